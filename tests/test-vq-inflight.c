/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-inflight.c - inflight tracking (INFLIGHT_SHMFD): buffer sizes
 * and the memfd; a device that pops requests, answers some out of order,
 * and "crashes" (its queue dropped without answering the rest); a new
 * device on the same rings and the same buffer, which must resubmit
 * exactly the requests still in flight, in the order they were first
 * popped, and then go on; crashes in the middle of publishing a batch;
 * GET/SET_INFLIGHT_FD through the protocol.  Split and packed.  What a
 * hostile frontend may do to the buffer is in test-vq-inflight-hostile.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vhu-backend.h"
#include "vhu-frontend.h"
#include "vhu-proto.h"
#include "vq-inflight-rig.h"

TEST(sizes)
{
    /* QueueRegionSplit: 16 + 16 per entry; packed: 32 + 32 per entry;
     * each rounded up to 64. */
    ASSERT_EQ(vq_inflight_queue_size(256, false), 4160);
    ASSERT_EQ(vq_inflight_queue_size(256, true), 8256);
    ASSERT_EQ(vq_inflight_queue_size(1, false), 64);
    ASSERT_EQ(vq_inflight_queue_size(3, false), 64);
    ASSERT_EQ(vq_inflight_queue_size(3, true), 128);
    ASSERT_EQ(vq_inflight_queue_size(32768, true), 1048640);
    ASSERT_EQ(vq_inflight_queue_size(0, false), 0);
    ASSERT_EQ(vq_inflight_queue_size(32769, true), 0);
    ASSERT_EQ(vq_inflight_size(4, 128, false), 4 * 2112);
    ASSERT_EQ(vq_inflight_size(2, 1024, true), 2 * 32832);
    ASSERT_EQ(vq_inflight_size(0, 128, false), 0);
    ASSERT_EQ(vq_inflight_size(1, 0, false), 0);
}

TEST(memfd)
{
    struct vq_inflight_map map, map2, map3;
    size_t size = vq_inflight_size(3, 100, true), i;
    const unsigned char *p;
    struct stat st;
    int fd, seals;

    fd = vq_inflight_create(&map, 3, 100, true);
    ASSERT_OK(fd);
    ASSERT_EQ(map.size, size);
    ASSERT(fstat(fd, &st) == 0);
    ASSERT_EQ(st.st_size, size);
    ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    seals = fcntl(fd, F_GET_SEALS);
    ASSERT(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_SEAL));
    /* The frontend cannot shrink it under the device's mapping. */
    ASSERT(ftruncate(fd, 4096) < 0);
    for (p = map.base, i = 0; i < size; i++) {
        ASSERT_EQ(p[i], 0);
    }
    ASSERT(vq_inflight_region(&map, 0) == map.base);
    ASSERT(vq_inflight_region(&map, 2) ==
           (char *)map.base + 2 * vq_inflight_queue_size(100, true));
    ASSERT(vq_inflight_region(&map, 3) == NULL);
    /* Handed back: too small, misaligned offset, or not what it says. */
    ASSERT_EQ(vq_inflight_map_fd(&map2, fd, size - 1, 0, 3, 100, true),
              -EINVAL);
    ASSERT_EQ(vq_inflight_map_fd(&map2, fd, size, 100, 3, 100, true), -EINVAL);
    ASSERT_EQ(vq_inflight_map_fd(&map2, fd, size, 0, 3, 200, true), -EINVAL);
    ASSERT_EQ(vq_inflight_map_fd(&map2, fd, size, 0, 3, 0, true), -EINVAL);
    ASSERT_OK(vq_inflight_map_fd(&map2, fd, size, 0, 3, 100, true));
    /* A file that could be truncated under the mapping is refused. */
    {
        int plain = test_memfd("plain", size);

        ASSERT_EQ(vq_inflight_map_fd(&map3, plain, size, 0, 3, 100, true),
                  -EINVAL);
        close(plain);
    }
    /* As is one shorter than the mapping. */
    ASSERT_EQ(vq_inflight_map_fd(&map3, fd, size + 4096, 0, 3, 100, true),
              -EINVAL);
    ((unsigned char *)map.base)[77] = 5;
    ASSERT_EQ(((unsigned char *)map2.base)[77], 5);
    vq_inflight_unmap(&map2);
    vq_inflight_unmap(&map);
    vq_inflight_unmap(&map); /* no-op */
    ASSERT_EQ(vq_inflight_create(&map, 0, 100, false), -EINVAL);
    ASSERT(map.base == NULL);
    close(fd);
}

/*
 * Four requests answered out of order: the driver's free descriptors and
 * the region's free entries come back shuffled, so what the next
 * requests get is not in index order.
 */
static void shuffle_round(struct rig *r, unsigned int first)
{
    static const unsigned int order[4] = {1, 3, 0, 2};
    struct popped p[4];
    unsigned int i, want[4];

    for (i = 0; i < 4; i++) {
        rig_add(r, first + i, 1 + i % 2, false);
        want[i] = first + order[i];
    }
    vq_driver_kick(r->h.drv);
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(rig_pop(r, &p[i]), 1);
    }
    for (i = 0; i < 4; i++) {
        vq_push(r->h.vq, &p[order[i]].e, 0);
    }
    vq_flush(r->h.vq);
    rig_reap(r, want, 4);
}

static void crash_resubmit(bool packed, bool indirect)
{
    static const unsigned int again[] = {10, 12, 14, 15};
    static const unsigned int after[] = {10, 12, 14, 15};
    struct popped p[6], q;
    struct rig r;
    unsigned int i;

    rig_setup(&r, packed, indirect);
    /* Some traffic first, so positions are not at 0 and the free
     * descriptors and entries are not in index order. */
    rig_rounds(&r, 1, 5);
    shuffle_round(&r, 100);
    shuffle_round(&r, 110);
    for (i = 0; i < 6; i++) {
        rig_add(&r, 10 + i, i % 3 == 1 ? 2 : 1, indirect && i % 2);
    }
    vq_driver_kick(r.h.drv);
    for (i = 0; i < 6; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
        ASSERT_EQ(rig_tok(&p[i]), 10 + i);
    }
    /* 11 and 13 answered; 14 pushed but never published. */
    vq_push(r.h.vq, &p[3].e, 0);
    vq_push(r.h.vq, &p[1].e, 0);
    vq_flush(r.h.vq);
    vq_push(r.h.vq, &p[4].e, 0);
    rig_reap(&r, (const unsigned int[]){13, 11}, 2);
    vq_elem_release(&p[0].e);
    vq_elem_release(&p[2].e);
    vq_elem_release(&p[5].e);

    ASSERT_EQ(rig_crash(&r), 4);
    /*
     * A queue thread looks for work before it sleeps: the resubmissions
     * are work, although no avail entry is new.
     */
    ASSERT(vq_avail_pending(r.h.vq));
    ASSERT(vq_enable_notify(r.h.vq));
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
        ASSERT_EQ(rig_tok(&p[i]), again[i]);
    }
    /* Nothing else: the ring's new position is past them. */
    ASSERT_EQ(rig_pop(&r, &q), 0);
    for (i = 0; i < 4; i++) {
        vq_push(r.h.vq, &p[i].e, 0);
    }
    vq_flush(r.h.vq);
    rig_reap(&r, after, 4);
    ASSERT_EQ(vq_driver_num_free(r.h.drv), NUM);
    /* And on, across the end of the ring several times. */
    rig_rounds(&r, 20, 3 * NUM);
    ASSERT(!vq_is_broken(r.h.vq));
    /* A crash with nothing in flight resubmits nothing. */
    ASSERT_EQ(rig_crash(&r), 0);
    rig_rounds(&r, 40, NUM);
    rig_destroy(&r);
}

TEST(split_crash_resubmit)
{
    crash_resubmit(false, false);
}

TEST(split_crash_resubmit_indirect)
{
    crash_resubmit(false, true);
}

TEST(packed_crash_resubmit)
{
    crash_resubmit(true, false);
}

TEST(packed_crash_resubmit_indirect)
{
    crash_resubmit(true, true);
}

/*
 * Two-thread traffic with tracking on, past 65536 requests: afterwards
 * nothing is in flight, in the region's view as in the ring's, and a
 * restarted device resubmits nothing.
 */
static void tracked_traffic(bool packed)
{
    struct vqh_traffic t = {.nreq = 70000, .indirect = true};
    struct rig r;
    unsigned int i, n;
    void *region;

    rig_setup(&r, packed, true);
    if (vqh_traffic(&r.h, &t) < 0) {
        test_fail(__FILE__, __LINE__, "traffic: %s", t.err);
    }
    region = vq_inflight_region(&r.map, 0);
    if (packed) {
        struct vq_inflight_packed *rp = region;

        ASSERT_EQ(rp->used_idx, rp->old_used_idx);
        ASSERT_EQ(rp->free_head, rp->old_free_head);
        /* Every entry back on the free list. */
        for (i = rp->free_head, n = 0; i < NUM && n <= NUM; n++) {
            ASSERT_EQ(rp->desc[i].inflight, 0);
            i = rp->desc[i].next;
        }
        ASSERT_EQ(n, NUM);
    } else {
        struct vq_inflight_split *rs = region;

        ASSERT_EQ(rs->used_idx, (uint16_t)70000);
        for (i = 0; i < NUM; i++) {
            ASSERT_EQ(rs->desc[i].inflight, 0);
        }
    }
    ASSERT_EQ(rig_crash(&r), 0);
    rig_rounds(&r, 1, NUM);
    rig_destroy(&r);
}

TEST(split_tracked_traffic)
{
    tracked_traffic(false);
}

TEST(packed_tracked_traffic)
{
    tracked_traffic(true);
}

/* A full ring in flight, popped in one order, all resubmitted in it. */
static void crash_full(bool packed)
{
    struct popped p[NUM];
    struct rig r;
    unsigned int i;

    rig_setup(&r, packed, false);
    rig_rounds(&r, 1, 3);
    shuffle_round(&r, 100);
    for (i = 0; i < NUM; i++) {
        rig_add(&r, 10 + i, 1, false);
    }
    vq_driver_kick(r.h.drv);
    for (i = 0; i < NUM; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
        vq_elem_release(&p[i].e);
    }
    ASSERT_EQ(rig_crash(&r), NUM);
    for (i = 0; i < NUM; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
        ASSERT_EQ(rig_tok(&p[i]), 10 + i);
    }
    ASSERT_EQ(rig_pop(&r, &p[0]), 0);
    rig_destroy(&r);
}

TEST(split_crash_full_ring)
{
    crash_full(false);
}

TEST(packed_crash_full_ring)
{
    crash_full(true);
}

/*
 * The device dies while publishing a batch of two: after the ring shows
 * it (the driver has the answers: nothing to resubmit) or, for packed,
 * before (the batch is rolled back: both resubmitted).
 */
static void crash_in_batch(bool packed, bool published)
{
    struct popped p[3];
    struct rig r;
    unsigned int i, n;
    void *region;

    rig_setup(&r, packed, false);
    rig_rounds(&r, 1, 6);
    for (i = 0; i < 3; i++) {
        rig_add(&r, 10 + i, 2, false);
    }
    vq_driver_kick(r.h.drv);
    for (i = 0; i < 3; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
    }
    region = vq_inflight_region(&r.map, 0);
    if (packed) {
        struct vq_inflight_packed *rp = region;
        struct vring_packed_desc *ring;
        struct vq_driver_raw raw;
        uint16_t ofh = rp->old_free_head, oused = rp->old_used_idx;
        uint16_t ring_flags;
        uint8_t owrap = rp->old_used_wrap_counter;
        uint16_t e0 = p[0].e.flags, e2 = p[2].e.flags;

        vq_driver_raw(r.h.drv, &raw);
        ring = raw.desc;
        ring_flags = ring[oused].flags;
        vq_push(r.h.vq, &p[2].e, 0);
        vq_push(r.h.vq, &p[0].e, 0);
        vq_flush(r.h.vq);
        /* Undo what the commit did: the state just before it. */
        rp->old_free_head = ofh;
        rp->old_used_idx = oused;
        rp->old_used_wrap_counter = owrap;
        rp->desc[e0].inflight = 1;
        rp->desc[e2].inflight = 1;
        if (!published) {
            /* ... and before the batch's first flags were stored. */
            ring[oused].flags = ring_flags;
        }
    } else {
        struct vq_inflight_split *rs = region;
        uint16_t used = rs->used_idx;

        vq_push(r.h.vq, &p[2].e, 0);
        vq_push(r.h.vq, &p[0].e, 0);
        vq_flush(r.h.vq);
        /* used->idx stored, the region not updated. */
        rs->used_idx = used;
        rs->desc[p[0].e.id].inflight = 1;
        rs->desc[p[2].e.id].inflight = 1;
    }
    vq_elem_release(&p[1].e);
    n = (unsigned int)rig_crash(&r);
    if (published) {
        ASSERT_EQ(n, 1);
        ASSERT_EQ(rig_pop(&r, &p[1]), 1);
        ASSERT_EQ(rig_tok(&p[1]), 11);
        vq_push(r.h.vq, &p[1].e, 0);
        vq_flush(r.h.vq);
        rig_reap(&r, (const unsigned int[]){12, 10, 11}, 3);
    } else {
        ASSERT_EQ(n, 3);
        for (i = 0; i < 3; i++) {
            ASSERT_EQ(rig_pop(&r, &p[i]), 1);
            ASSERT_EQ(rig_tok(&p[i]), 10 + i);
        }
        for (i = 0; i < 3; i++) {
            vq_push(r.h.vq, &p[i].e, 0);
        }
        vq_flush(r.h.vq);
        rig_reap(&r, (const unsigned int[]){10, 11, 12}, 3);
    }
    rig_rounds(&r, 20, 2 * NUM);
    ASSERT(!vq_is_broken(r.h.vq));
    rig_destroy(&r);
}

TEST(split_crash_after_used_idx)
{
    crash_in_batch(false, true);
}

TEST(packed_crash_after_flags)
{
    crash_in_batch(true, true);
}

TEST(packed_crash_before_flags)
{
    crash_in_batch(true, false);
}

/* A frontend that zeroes the buffer (guest reset): a fresh start. */
TEST(zeroed_is_fresh)
{
    struct popped p;
    struct rig r;

    rig_setup(&r, true, false);
    rig_rounds(&r, 1, 3);
    rig_add(&r, 9, 1, false);
    vq_driver_kick(r.h.drv);
    ASSERT_EQ(rig_pop(&r, &p), 1);
    vq_elem_release(&p.e);
    memset(r.map.base, 0, r.map.size);
    /* Fresh region: the frontend's base rules (here: that of a reset
     * ring, which the driver's ring is not, so only check the count). */
    ASSERT_EQ(rig_crash(&r), 0);
    ASSERT_EQ(((struct vq_inflight_packed *)rig_region(&r))->version, 1);
    rig_destroy(&r);
}

/* --- through the protocol ---------------------------------------------- */

/* A backend whose only business is the inflight buffer. */
struct idev {
    struct vq_inflight_map map;
    int memfd; /* made at GET_INFLIGHT_FD, the device's to close */
};

static int i_get_features(void *dev, uint64_t *f)
{
    (void)dev;
    *f = 1ull << VHU_F_PROTOCOL_FEATURES | 1ull << VQ_F_VERSION_1 |
         1ull << VQ_F_RING_PACKED;
    return 0;
}

static int i_set_features(void *dev, uint64_t f)
{
    (void)dev;
    (void)f;
    return 0;
}

static int i_get_pf(void *dev, uint64_t *f)
{
    (void)dev;
    *f = VHU_PF_BIT(VHU_PF_INFLIGHT_SHMFD) | VHU_PF_BIT(VHU_PF_REPLY_ACK);
    return 0;
}

static int i_set_pf(void *dev, uint64_t f)
{
    (void)dev;
    (void)f;
    return 0;
}

/* GET_INFLIGHT_FD: a new buffer (the layout may not be known yet). */
static int i_get_inflight_fd(void *dev, const struct vhu_inflight *in,
                             struct vhu_inflight *out, int *fd)
{
    struct idev *d = dev;
    int m = vq_inflight_create(&d->map, in->num_queues, in->queue_size, true);

    if (m < 0) {
        return m;
    }
    d->memfd = m;
    *out = *in;
    out->mmap_size = d->map.size;
    out->mmap_offset = 0;
    *fd = m;
    return 0;
}

/* SET_INFLIGHT_FD: the buffer back, from a frontend that kept it. */
static int i_set_inflight_fd(void *dev, const struct vhu_inflight *in, int *fd)
{
    struct idev *d = dev;

    vq_inflight_unmap(&d->map);
    return vq_inflight_map_fd(&d->map, *fd, in->mmap_size, in->mmap_offset,
                              in->num_queues, in->queue_size, true);
}

static const struct vhu_backend_ops i_ops = {
    .get_features = i_get_features,
    .set_features = i_set_features,
    .get_protocol_features = i_get_pf,
    .set_protocol_features = i_set_pf,
    .get_inflight_fd = i_get_inflight_fd,
    .set_inflight_fd = i_set_inflight_fd,
};

struct iconn {
    struct idev dev;
    struct vhu_backend *be;
    struct vhu_frontend *fe;
    pthread_t thread;
};

static void *serve(void *arg)
{
    vhu_backend_run(arg);
    return NULL;
}

/* A backend process (a thread here) and a frontend that negotiated. */
static void iconn_open(struct iconn *c)
{
    uint64_t f, pf;
    int sv[2];

    memset(c, 0, sizeof(*c));
    c->dev.memfd = -1;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_OK(vhu_backend_new(&c->be, sv[0], 2, &i_ops, &c->dev));
    ASSERT_OK(vhu_frontend_new(&c->fe, sv[1], 2));
    ASSERT_EQ(pthread_create(&c->thread, NULL, serve, c->be), 0);
    ASSERT_OK(vhu_fe_get_features(c->fe, &f));
    ASSERT_OK(vhu_fe_set_features(c->fe, f));
    ASSERT_OK(vhu_fe_get_protocol_features(c->fe, &pf));
    ASSERT_OK(vhu_fe_set_protocol_features(c->fe, pf));
}

/* The connection goes; the device's mapping stays for the test. */
static void iconn_close(struct iconn *c)
{
    vhu_frontend_free(c->fe);
    pthread_join(c->thread, NULL);
    vhu_backend_free(c->be);
    if (c->dev.memfd >= 0) {
        close(c->dev.memfd);
    }
}

/*
 * GET_INFLIGHT_FD hands the frontend a sealed memfd of the size the
 * layout needs; the device crashes with requests in flight; a new device
 * gets the buffer back with SET_INFLIGHT_FD and resubmits them.
 */
TEST(protocol_get_set_inflight)
{
    struct vhu_inflight in = {.num_queues = 2, .queue_size = NUM}, out;
    struct vhost_vring_addr addr;
    struct iconn c1, c2;
    struct popped p[3];
    struct rig r;
    struct stat st;
    unsigned int i;
    int fd = -1, nfds;

    rig_setup(&r, true, false);
    vq_inflight_detach(r.h.vq);
    nfds = test_count_fds();
    iconn_open(&c1);
    ASSERT_OK(vhu_fe_get_inflight_fd(c1.fe, &in, &out, &fd));
    ASSERT(fd >= 0);
    ASSERT_EQ(out.mmap_size, vq_inflight_size(2, NUM, true));
    ASSERT_EQ(out.mmap_offset, 0);
    ASSERT(fstat(fd, &st) == 0);
    ASSERT_EQ(st.st_size, out.mmap_size);
    ASSERT(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
    ASSERT_OK(vhu_fe_set_inflight_fd(c1.fe, &out, fd));
    /* Queue 1 of the device is the rig's queue. */
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &c1.dev.map, 1), 0);
    rig_rounds(&r, 1, 5);
    for (i = 0; i < 3; i++) {
        rig_add(&r, 10 + i, 1, false);
    }
    vq_driver_kick(r.h.drv);
    for (i = 0; i < 3; i++) {
        ASSERT_EQ(rig_pop(&r, &p[i]), 1);
    }
    vq_complete(r.h.vq, &p[1].e, 0);
    rig_reap(&r, (const unsigned int[]){11}, 1);
    vq_elem_release(&p[0].e);
    vq_elem_release(&p[2].e);
    /* The device dies: queue, mapping and connection. */
    vq_inflight_detach(r.h.vq);
    vq_free(r.h.vq);
    r.h.vq = NULL;
    iconn_close(&c1);
    vq_inflight_unmap(&c1.dev.map);

    /* A new device, and the frontend hands the buffer back. */
    iconn_open(&c2);
    ASSERT_OK(vhu_fe_set_inflight_fd(c2.fe, &out, fd));
    ASSERT(c2.dev.map.base != NULL);
    ASSERT_OK(vq_new(&r.h.vq, 1));
    ASSERT_OK(vq_set_features(r.h.vq, 1ull << VQ_F_VERSION_1 |
                                          1ull << VQ_F_RING_PACKED));
    ASSERT_OK(vq_set_num(r.h.vq, NUM));
    vq_driver_vring_addr(r.h.drv, 0, &addr);
    ASSERT_OK(vq_set_addr(r.h.vq, &addr));
    ASSERT_OK(vq_set_base(r.h.vq, VHU_VRING_BASE_WRAP));
    vq_set_err_fd(r.h.vq, dup(r.h.err_fd));
    ASSERT_OK(vq_start(r.h.vq, r.h.dev_gm));
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &c2.dev.map, 1), 2);
    ASSERT_EQ(rig_pop(&r, &p[0]), 1);
    ASSERT_EQ(rig_tok(&p[0]), 10);
    ASSERT_EQ(rig_pop(&r, &p[1]), 1);
    ASSERT_EQ(rig_tok(&p[1]), 12);
    ASSERT_EQ(rig_pop(&r, &p[2]), 0);
    vq_complete(r.h.vq, &p[1].e, 0);
    vq_complete(r.h.vq, &p[0].e, 0);
    rig_reap(&r, (const unsigned int[]){12, 10}, 2);
    vq_inflight_detach(r.h.vq);
    iconn_close(&c2);
    vq_inflight_unmap(&c2.dev.map);
    close(fd);
    ASSERT_EQ(test_count_fds(), nfds);
    rig_destroy(&r);
}

/* A region must hold the queue: layout, size and index are checked. */
TEST(attach_region_fits)
{
    struct vq_inflight_map small, big;
    struct rig r;
    int fd1, fd2;

    rig_setup(&r, true, false);
    vq_inflight_detach(r.h.vq);
    /* Made for split: too small for a packed queue of the same size. */
    fd1 = vq_inflight_create(&small, 2, NUM, false);
    ASSERT_OK(fd1);
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &small, 0), -EINVAL);
    /* Made packed for a bigger ring: fits; no queue 2. */
    fd2 = vq_inflight_create(&big, 2, 4 * NUM, true);
    ASSERT_OK(fd2);
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &big, 2), -EINVAL);
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &big, 1), 0);
    ASSERT_EQ(
        ((struct vq_inflight_packed *)vq_inflight_region(&big, 1))->desc_num,
        NUM);
    rig_rounds(&r, 1, 2 * NUM);
    vq_inflight_detach(r.h.vq);
    vq_inflight_unmap(&small);
    vq_inflight_unmap(&big);
    close(fd1);
    close(fd2);
    rig_destroy(&r);
}

TEST(attach_needs_started)
{
    struct rig r;

    rig_setup(&r, false, false);
    vq_inflight_detach(r.h.vq);
    vq_stop(r.h.vq);
    ASSERT_EQ(vq_inflight_attach(r.h.vq, &r.map, 0), -EBUSY);
    rig_destroy(&r);
}

TEST_MAIN(T(sizes), T(memfd), T(split_crash_resubmit),
          T(split_crash_resubmit_indirect), T(packed_crash_resubmit),
          T(packed_crash_resubmit_indirect), T(split_tracked_traffic),
          T(packed_tracked_traffic), T(split_crash_full_ring),
          T(packed_crash_full_ring), T(split_crash_after_used_idx),
          T(packed_crash_after_flags), T(packed_crash_before_flags),
          T(zeroed_is_fresh), T(protocol_get_set_inflight),
          T(attach_region_fits), T(attach_needs_started))
