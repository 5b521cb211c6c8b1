/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-packed.c - the packed ring's device side against the project's
 * driver side, through memfd guest memory and real eventfds: in two
 * threads (vqh_traffic(): ring sizes 1 to 32768, sizes that are not
 * powers of two, more than 65536 requests, chains split across regions,
 * indirect on and off, EVENT_IDX on and off, notifications and polling),
 * and in one thread for what in-order traffic does not reach: completion
 * out of order, batches, each notification rule, and the vring base with
 * its wrap counters.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "vq-harness.h"
#include "vhu-proto.h"

/* More than 65536 requests (every position wraps many times). */
#define NREQ 70000u

#define WRAP VHU_VRING_BASE_WRAP

static void setup(struct vqh *h, unsigned int num, bool event_idx,
                  bool indirect, bool eventfds, unsigned int regions)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_PACKED,
        .num = num,
        .event_idx = event_idx,
        .indirect = indirect,
        .data_size = (uint64_t)num * VQH_SLOT_SIZE + 4096,
        .data_regions = regions,
        .eventfds = eventfds,
    };

    ASSERT_OK(vqh_create(h, &cfg));
    ASSERT_EQ(vq_get_layout(h->vq), VQ_LAYOUT_PACKED);
}

/* Base after @n chains of @d descriptors each, all used. */
static unsigned int base_after(unsigned int num, uint64_t descs)
{
    unsigned int pos = (unsigned int)(descs % num);
    unsigned int wrap = (descs / num) % 2 == 0 ? WRAP : 0;

    return (pos | wrap) | (pos | wrap) << 16;
}

static void run(unsigned int num, bool event_idx, bool indirect, bool eventfds,
                unsigned int regions, uint64_t nreq)
{
    struct vqh_traffic t = {.nreq = nreq, .indirect = indirect};
    struct vqh h;
    int rc;

    setup(&h, num, event_idx, indirect, eventfds, regions);
    rc = vqh_traffic(&h, &t);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "traffic: %s", t.err);
    }
    ASSERT(!vq_is_broken(h.vq));
    ASSERT_EQ(vq_driver_num_inflight(h.drv), 0);
    ASSERT_EQ(vq_driver_num_free(h.drv), num);
    if (!eventfds) {
        /* The device disables kicks as its thread starts: at most the
         * first kick can come before. */
        ASSERT_LE(t.kicks, 1);
    }
    vqh_destroy(&h);
}

TEST(size1_notify)
{
    run(1, false, false, true, 1, NREQ);
}

TEST(size1_event_idx_indirect)
{
    run(1, true, true, true, 2, NREQ);
}

TEST(size2_event_idx)
{
    run(2, true, false, true, 2, NREQ);
}

TEST(size3_notify_indirect)
{
    run(3, false, true, true, 3, NREQ);
}

TEST(size5_event_idx_indirect)
{
    run(5, true, true, true, 2, NREQ);
}

TEST(size100_event_idx)
{
    run(100, true, false, true, 3, NREQ);
}

TEST(size256_notify)
{
    run(256, false, false, true, 3, NREQ);
}

TEST(size256_event_idx_indirect)
{
    run(256, true, true, true, 3, NREQ);
}

TEST(size257_poll)
{
    run(257, false, false, false, 3, NREQ);
}

TEST(size256_poll_event_idx_indirect)
{
    run(256, true, true, false, 3, NREQ);
}

TEST(size1000_notify_indirect)
{
    run(1000, false, true, true, 5, NREQ);
}

TEST(size32768_notify)
{
    run(32768, false, false, true, 4, NREQ);
}

TEST(size32768_event_idx_indirect)
{
    run(32768, true, true, true, 7, NREQ);
}

TEST(size32767_event_idx_poll)
{
    run(32767, true, false, false, 2, 140000);
}

/* --- one thread -------------------------------------------------------- */

#define IOV_MAX_T 16u

struct popped {
    struct iovec iov[IOV_MAX_T];
    struct vq_elem e;
};

static int pop(struct vqh *h, struct popped *p)
{
    memset(p, 0, sizeof(*p));
    p->e.iov = p->iov;
    p->e.iov_max = IOV_MAX_T;
    return vq_pop(h->vq, &p->e);
}

/* Add a chain of @nout readable and @nin writable 8-byte buffers. */
static int add(struct vqh *h, unsigned int nout, unsigned int nin,
               bool indirect, void *token)
{
    struct vq_buf out[8], in[8];
    unsigned int i;

    for (i = 0; i < nout; i++) {
        out[i] = (struct vq_buf){h->data_gpa + 8 * i, 8};
    }
    for (i = 0; i < nin; i++) {
        in[i] = (struct vq_buf){h->data_gpa + 64 + 8 * i, 8};
    }
    return vq_driver_add(h->drv, out, nout, in, nin, indirect, token);
}

/*
 * Chains of 1 to 4 descriptors (some indirect), completed in a shuffled
 * order in batches of random size, on rings of sizes that are and are not
 * powers of two: every used descriptor lands where the driver looks for
 * it and carries the right buffer id and length.
 */
TEST(out_of_order)
{
    static const unsigned int sizes[] = {1, 2, 3, 7, 16, 33};
    unsigned int s;

    srand(12345);
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        unsigned int num = sizes[s], round;
        struct vqh h;

        setup(&h, num, s % 2, true, false, 2);
        for (round = 0; round < 300; round++) {
            static struct popped p[64];
            uintptr_t tok[64];
            unsigned int n = 0, i, j, done = 0;
            uint32_t len;
            void *t;

            /* Fill the ring with chains of random shapes. */
            for (;;) {
                unsigned int nd = 1 + (unsigned int)rand() % 4;
                bool ind = rand() % 3 == 0;
                unsigned int nout;

                if (!ind && nd > num) {
                    nd = num;
                }
                nout = (unsigned int)rand() % (nd + 1);
                tok[n] = 1000 + n;
                if (add(&h, nout, nd - nout, ind, (void *)tok[n]) < 0) {
                    break;
                }
                n++;
            }
            ASSERT_GT(n, 0);
            vq_driver_kick(h.drv);
            for (i = 0; i < n; i++) {
                ASSERT_EQ(pop(&h, &p[i]), 1);
            }
            ASSERT_EQ(pop(&h, &p[n]), 0);
            /* Shuffle, then push in batches. */
            for (i = n; i > 1; i--) {
                struct popped tmp;

                j = (unsigned int)rand() % i;
                tmp = p[i - 1];
                p[i - 1] = p[j];
                p[j] = tmp;
                p[i - 1].e.iov = p[i - 1].iov;
                p[j].e.iov = p[j].iov;
            }
            for (i = 0; i < n; i++) {
                vq_push(h.vq, &p[i].e, p[i].e.in_bytes ? 5 : 0);
                if (rand() % 3 == 0 || i == n - 1) {
                    vq_flush(h.vq);
                }
            }
            while (vq_driver_get_used(h.drv, &len, &t) == 1) {
                uintptr_t v = (uintptr_t)t;

                ASSERT(v >= 1000 && v < 1000 + n);
                ASSERT(tok[v - 1000] != 0);
                tok[v - 1000] = 0;
                done++;
            }
            ASSERT_EQ(done, n);
            ASSERT_EQ(vq_driver_num_free(h.drv), num);
        }
        ASSERT(!vq_is_broken(h.vq));
        vqh_destroy(&h);
    }
}

/* Pushed entries reach the driver only at the flush, all at once. */
TEST(batch_visible_at_flush)
{
    struct popped p[4];
    struct vqh h;
    unsigned int i;
    uint32_t len;
    void *t;

    setup(&h, 8, false, false, false, 1);
    for (i = 0; i < 4; i++) {
        ASSERT_OK(add(&h, 1, 1, false, (void *)(uintptr_t)(i + 1)));
    }
    /* Nothing is visible before the kick publishes it. */
    ASSERT_EQ(pop(&h, &p[0]), 0);
    vq_driver_kick(h.drv);
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(pop(&h, &p[i]), 1);
        ASSERT_EQ(p[i].e.out_num, 1);
        ASSERT_EQ(p[i].e.in_num, 1);
        ASSERT_EQ(p[i].e.ndescs, 2);
    }
    vq_push(h.vq, &p[2].e, 3);
    vq_push(h.vq, &p[0].e, 1);
    vq_push(h.vq, &p[3].e, 4);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 0);
    vq_flush(h.vq);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, 3);
    ASSERT_EQ(len, 3);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, 1);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, 4);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 0);
    vq_complete(h.vq, &p[1].e, 0);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, 2);
    ASSERT_EQ(len, 0);
    vqh_destroy(&h);
}

/* Used-buffer notifications follow the driver event suppression. */
static void notify_rules(bool event_idx)
{
    struct popped p[4];
    struct vqh h;
    unsigned int i;
    uint32_t len;
    void *t;

    setup(&h, 4, event_idx, false, true, 1);
    for (i = 0; i < 4; i++) {
        ASSERT_OK(add(&h, 1, 0, false, (void *)(uintptr_t)(i + 1)));
    }
    vq_driver_kick(h.drv);
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(pop(&h, &p[i]), 1);
    }
    /* Disabled: no call. */
    vq_driver_disable_cb(h.drv);
    vq_push(h.vq, &p[0].e, 0);
    vq_flush(h.vq);
    ASSERT(!vq_notify(h.vq));
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    /* Enabled (with EVENT_IDX: at the next used descriptor): a call. */
    ASSERT(!vq_driver_enable_cb(h.drv));
    vq_push(h.vq, &p[1].e, 0);
    vq_flush(h.vq);
    ASSERT(vq_notify(h.vq));
    ASSERT_EQ(vq_driver_wait(h.drv, 0), 1);
    /* Nothing flushed since: no second call. */
    ASSERT(!vq_notify(h.vq));
    /* The driver has not reaped: with EVENT_IDX its event descriptor
     * was passed already, so no call; without, a call each time. */
    vq_push(h.vq, &p[2].e, 0);
    vq_flush(h.vq);
    ASSERT_EQ(vq_notify(h.vq), !event_idx);
    /* Reaping moves the event on to the next used descriptor. */
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    vq_push(h.vq, &p[3].e, 0);
    vq_flush(h.vq);
    ASSERT(vq_notify(h.vq));
    vqh_destroy(&h);
}

TEST(notify_flags)
{
    notify_rules(false);
}

TEST(notify_event_idx)
{
    notify_rules(true);
}

/* Kicks follow the device event suppression. */
static void kick_rules(bool event_idx)
{
    struct popped p[3];
    struct vqh h;

    setup(&h, 8, event_idx, false, true, 1);
    /* Fresh ring: kicks wanted. */
    ASSERT_OK(add(&h, 1, 0, false, (void *)1));
    ASSERT(vq_driver_kick(h.drv));
    ASSERT(vq_drain_kick(h.vq) > 0);
    /* Polling: no kick. */
    vq_disable_notify(h.vq);
    ASSERT_OK(add(&h, 1, 0, false, (void *)2));
    ASSERT(!vq_driver_kick(h.drv));
    /* Enabling finds the two buffers already there. */
    ASSERT(vq_enable_notify(h.vq));
    ASSERT_EQ(pop(&h, &p[0]), 1);
    ASSERT_EQ(pop(&h, &p[1]), 1);
    ASSERT(!vq_enable_notify(h.vq));
    ASSERT_OK(add(&h, 1, 0, false, (void *)3));
    ASSERT(vq_driver_kick(h.drv));
    /* Not popped yet: with EVENT_IDX the device waits for the
     * descriptor before, so a second buffer needs no kick. */
    ASSERT_OK(add(&h, 1, 0, false, (void *)4));
    ASSERT_EQ(vq_driver_kick(h.drv), !event_idx);
    /* Nothing added: never a kick. */
    ASSERT(!vq_driver_kick(h.drv));
    vq_elem_release(&p[0].e);
    vq_elem_release(&p[1].e);
    vqh_destroy(&h);
}

TEST(kick_flags)
{
    kick_rules(false);
}

TEST(kick_event_idx)
{
    kick_rules(true);
}

/* Restart the queue from what vq_get_base() said (GET/SET_VRING_BASE). */
static void restart(struct vqh *h, unsigned int base)
{
    vq_stop(h->vq);
    ASSERT_OK(vq_set_base(h->vq, base));
    ASSERT_OK(vq_start(h->vq, h->dev_gm));
}

/* One 2-descriptor request through the ring, start to finish. */
static void one_round(struct vqh *h, uintptr_t token)
{
    struct popped p;
    uint32_t len;
    void *t;

    ASSERT_OK(add(h, 1, 1, false, (void *)token));
    vq_driver_kick(h->drv);
    ASSERT_EQ(pop(h, &p), 1);
    vq_complete(h->vq, &p.e, 8);
    ASSERT_EQ(vq_driver_get_used(h->drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, token);
    ASSERT_EQ(len, 8);
}

/*
 * GET_VRING_BASE mid-ring carries both positions with their wrap
 * counters (bits 0-14 and 15 the avail position, 16-30 and 31 the used
 * one); a device restarted from it goes on where the old one stopped.
 */
TEST(vring_base_wrap)
{
    struct popped p;
    struct vqh h;
    unsigned int base, i;
    uint32_t len;
    void *t;

    setup(&h, 5, false, false, false, 1);
    for (i = 0; i < 13; i++) {
        one_round(&h, 100 + i);
    }
    /* 26 descriptors: 5 laps (wrap counters 0) and position 1. */
    base = vq_get_base(h.vq);
    ASSERT_EQ(base, base_after(5, 26));
    ASSERT_EQ(base, 1 | 1 << 16);
    /* A frontend that sends only the low half: used = avail. */
    restart(&h, base & 0xffff);
    ASSERT_EQ(vq_get_base(h.vq), base);
    one_round(&h, 200);
    /* A chain in flight across the restart: used trails avail. */
    ASSERT_OK(add(&h, 1, 1, false, (void *)300));
    vq_driver_kick(h.drv);
    ASSERT_EQ(pop(&h, &p), 1);
    base = vq_get_base(h.vq);
    ASSERT_EQ(base & 0xffff, 0 | WRAP); /* 30: 6 laps, position 0 */
    ASSERT_EQ(base >> 16, 3);           /* 28: 5 laps, position 3 */
    vq_stop(h.vq);
    vq_elem_release(&p.e);
    ASSERT_OK(vq_set_base(h.vq, base));
    ASSERT_OK(vq_start(h.vq, h.dev_gm));
    ASSERT_EQ(vq_get_base(h.vq), base);
    /* The next chain is taken at 30 and answered at 28, where the
     * driver looks. */
    ASSERT_OK(add(&h, 1, 1, false, (void *)301));
    vq_driver_kick(h.drv);
    ASSERT_EQ(pop(&h, &p), 1);
    vq_complete(h.vq, &p.e, 0);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT_EQ((uintptr_t)t, 301);
    ASSERT_EQ(vq_get_base(h.vq), (2 | WRAP) | (0 | WRAP) << 16);
    ASSERT(!vq_is_broken(h.vq));
    vqh_destroy(&h);
}

/* Entries pushed but not flushed were never published: the used half
 * of the base stays where the first of them was to go. */
TEST(vring_base_unflushed)
{
    struct popped p[2];
    struct vqh h;

    setup(&h, 4, false, false, false, 1);
    one_round(&h, 1);
    ASSERT_OK(add(&h, 1, 0, false, (void *)2));
    ASSERT_OK(add(&h, 1, 0, false, (void *)3));
    vq_driver_kick(h.drv);
    ASSERT_EQ(pop(&h, &p[0]), 1);
    ASSERT_EQ(pop(&h, &p[1]), 1);
    vq_push(h.vq, &p[1].e, 0);
    ASSERT_EQ(vq_get_base(h.vq), 0 | (2 | WRAP) << 16);
    vq_flush(h.vq);
    ASSERT_EQ(vq_get_base(h.vq), 0 | (3 | WRAP) << 16);
    vq_elem_release(&p[0].e);
    vqh_destroy(&h);
}

/* Bases outside the ring are refused at start. */
TEST(vring_base_bad)
{
    struct vqh h;

    setup(&h, 8, false, false, false, 1);
    vq_stop(h.vq);
    ASSERT_OK(vq_set_base(h.vq, 8 | WRAP));
    ASSERT_EQ(vq_start(h.vq, h.dev_gm), -EINVAL);
    ASSERT_OK(vq_set_base(h.vq, (9u | WRAP) << 16 | WRAP));
    ASSERT_EQ(vq_start(h.vq, h.dev_gm), -EINVAL);
    /* Used ahead of avail (more than the ring apart backwards). */
    ASSERT_OK(vq_set_base(h.vq, (3u | WRAP) << 16 | 1 | WRAP));
    ASSERT_EQ(vq_start(h.vq, h.dev_gm), -EINVAL);
    ASSERT_OK(vq_set_base(h.vq, WRAP));
    ASSERT_OK(vq_start(h.vq, h.dev_gm));
    vqh_destroy(&h);
}

/* A buffer across a region boundary arrives as two iovecs. */
TEST(chain_across_regions)
{
    struct popped p;
    struct vqh h;
    struct vq_buf out;
    uint64_t boundary;

    setup(&h, 8, false, false, false, 2);
    boundary = h.regions[2].guest_phys_addr;
    out = (struct vq_buf){boundary - 5, 12};
    ASSERT_OK(vq_driver_add(h.drv, &out, 1, NULL, 0, false, (void *)1));
    vq_driver_kick(h.drv);
    ASSERT_EQ(pop(&h, &p), 1);
    ASSERT_EQ(p.e.out_num, 2);
    ASSERT_EQ(p.iov[0].iov_len, 5);
    ASSERT_EQ(p.iov[1].iov_len, 7);
    ASSERT_EQ(p.e.out_bytes, 12);
    ASSERT_EQ(p.e.in_num, 0);
    vq_complete(h.vq, &p.e, 0);
    vqh_destroy(&h);
}

TEST_MAIN(T(size1_notify), T(size1_event_idx_indirect), T(size2_event_idx),
          T(size3_notify_indirect), T(size5_event_idx_indirect),
          T(size100_event_idx), T(size256_notify),
          T(size256_event_idx_indirect), T(size257_poll),
          T(size256_poll_event_idx_indirect), T(size1000_notify_indirect),
          T(size32768_notify), T(size32768_event_idx_indirect),
          T(size32767_event_idx_poll), T(out_of_order),
          T(batch_visible_at_flush), T(notify_flags), T(notify_event_idx),
          T(kick_flags), T(kick_event_idx), T(vring_base_wrap),
          T(vring_base_unflushed), T(vring_base_bad), T(chain_across_regions))
