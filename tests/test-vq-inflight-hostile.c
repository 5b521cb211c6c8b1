/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-inflight-hostile.c - inflight buffers a hostile frontend wrote
 * into: a version or ring size that is not ours, a last batch longer than
 * the ring or linked out of it, chains of no length or linked out of the
 * region, a free list pointing nowhere, random bytes anywhere between
 * device restarts; and chains that break the queue half way, which must
 * not stay in the buffer as in flight.  Each is refused at attach or
 * breaks the queue; nothing is read or written outside the region (run
 * under ASan).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "test.h"
#include "vhu-proto.h"
#include "vq-inflight-rig.h"

TEST(hostile_version)
{
    struct rig r;

    rig_setup(&r, false, false);
    ((struct vq_inflight_split *)rig_region(&r))->version = 2;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    /* Not tracked, but the queue works. */
    rig_rounds(&r, 1, 3);
    rig_destroy(&r);
}

TEST(hostile_desc_num)
{
    struct rig r;

    rig_setup(&r, true, false);
    ((struct vq_inflight_packed *)rig_region(&r))->desc_num = NUM * 2;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rig_destroy(&r);
}

TEST(hostile_split_batch)
{
    struct rig r;

    rig_setup(&r, false, false);
    rig_rounds(&r, 1, 3);
    /* A "last batch" longer than the ring. */
    ((struct vq_inflight_split *)rig_region(&r))->used_idx = 1000;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rig_destroy(&r);
}

TEST(hostile_split_batch_list)
{
    struct vq_inflight_split *rs;
    struct rig r;

    rig_setup(&r, false, false);
    rig_rounds(&r, 1, 3);
    rs = rig_region(&r);
    rs->used_idx -= 2;
    rs->last_batch_head = 0xffff;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rig_destroy(&r);
}

TEST(hostile_packed_chain_len)
{
    struct vq_inflight_packed *rp;
    struct popped p;
    struct rig r;

    rig_setup(&r, true, false);
    rig_add(&r, 1, 1, false);
    vq_driver_kick(r.h.drv);
    ASSERT_EQ(rig_pop(&r, &p), 1);
    vq_elem_release(&p.e);
    rp = rig_region(&r);
    rp->desc[p.e.flags].num = 0;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rp->desc[p.e.flags].num = NUM + 1;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rig_destroy(&r);
}

/* A chain in flight whose stored links lead out of the region. */
TEST(hostile_packed_chain_link)
{
    struct vq_inflight_packed *rp;
    struct popped p;
    struct rig r;

    rig_setup(&r, true, false);
    rig_add(&r, 1, 3, false);
    vq_driver_kick(r.h.drv);
    ASSERT_EQ(rig_pop(&r, &p), 1);
    vq_elem_release(&p.e);
    rp = rig_region(&r);
    rp->desc[p.e.flags].next = 0xfff0;
    ASSERT_EQ(rig_crash(&r), 1);
    ASSERT_EQ(rig_pop(&r, &p), -EIO);
    ASSERT(vq_is_broken(r.h.vq));
    rig_destroy(&r);
}

/* A free list pointing out of the region breaks the queue at the next
 * pop, and nothing is written outside the region. */
TEST(hostile_packed_free_list)
{
    struct vq_inflight_packed *rp;
    struct popped p;
    struct rig r;

    rig_setup(&r, true, false);
    rp = rig_region(&r);
    rp->free_head = rp->old_free_head = 0x7fff;
    ASSERT_EQ(rig_crash(&r), 0);
    rig_add(&r, 1, 1, false);
    vq_driver_kick(r.h.drv);
    ASSERT_EQ(rig_pop(&r, &p), -EIO);
    ASSERT(vq_is_broken(r.h.vq));
    rig_destroy(&r);
}

TEST(hostile_packed_used_idx)
{
    struct rig r;

    rig_setup(&r, true, false);
    ((struct vq_inflight_packed *)rig_region(&r))->used_idx = NUM;
    ASSERT_EQ(rig_crash(&r), -EINVAL);
    rig_destroy(&r);
}

/*
 * A frontend scribbling anywhere in the buffer between device restarts:
 * attach, pop, push and flush must stay inside the region and the rings
 * whatever they find (ASan checks), and only ever fail or break the
 * queue.
 */
static void quiet(void *opaque, enum vhostfs_log_level level, const char *line)
{
    (void)opaque;
    (void)level;
    (void)line;
}

static void scribbles(bool packed)
{
    struct popped p[2 * NUM];
    unsigned char *b;
    struct rig r;
    unsigned int it, i, k, n, recovered = 0, refused = 0;
    int rc;

    vhostfs_log_set_sink(quiet, NULL);
    rig_setup(&r, packed, true);
    srand(packed ? 7 : 11);
    for (it = 0; it < 400; it++) {
        for (i = 0; i < NUM && vq_driver_num_free(r.h.drv) > 0; i++) {
            rig_add(&r, 1 + (unsigned int)rand() % 200, 1, rand() % 2);
        }
        vq_driver_kick(r.h.drv);
        for (n = 0; n < 2 * NUM && rig_pop(&r, &p[n]) == 1; n++) {
        }
        for (i = 0; i < n; i++) {
            if (rand() % 2) {
                vq_push(r.h.vq, &p[i].e, 0);
            } else {
                vq_elem_release(&p[i].e);
            }
        }
        vq_flush(r.h.vq);
        b = rig_region(&r);
        for (k = 1 + (unsigned int)rand() % 4; k > 0; k--) {
            b[(unsigned int)rand() % vq_inflight_queue_size(NUM, packed)] =
                (unsigned char)rand();
        }
        if (rand() % 8 == 0) {
            memset(b, 0, 64);
        }
        rc = rig_crash(&r);
        recovered += rc > 0;
        refused += rc < 0;
        /* Reap what the device answered; the driver's view may be off
         * after a scribble, which is the frontend's own doing. */
        for (i = 0; i < 2 * NUM; i++) {
            uint32_t len;
            void *t;

            if (vq_driver_get_used(r.h.drv, &len, &t) != 1) {
                break;
            }
        }
        if (vq_driver_num_free(r.h.drv) == 0) {
            /* Start the driver over on a zeroed ring and buffer. */
            rig_destroy(&r);
            rig_setup(&r, packed, true);
        }
    }
    /* Both paths were taken: requests recovered, buffers refused. */
    fprintf(stderr, "# %u recovered, %u refused\n", recovered, refused);
    ASSERT_GT(recovered, 0);
    ASSERT_GT(refused, 0);
    rig_destroy(&r);
}

TEST(hostile_split_scribbles)
{
    scribbles(false);
}

TEST(hostile_packed_scribbles)
{
    scribbles(true);
}

/*
 * A chain that breaks the queue half way through its walk (or at its
 * last descriptor) is not left in the region as in flight: after the
 * queue restarts (tracking kept) and after a crash, only what is really
 * in flight comes back.
 */
static void broken_walk(bool at_last)
{
    struct vring_packed_desc *ring;
    struct vq_driver_raw raw;
    struct popped p[2];
    struct rig r;
    uint16_t avail = 1u << VRING_PACKED_DESC_F_AVAIL;
    uint64_t buf = 0;

    rig_setup(&r, true, false);
    buf = r.h.data_gpa + 64 * 2;
    rig_add(&r, 1, 1, false);
    vq_driver_kick(r.h.drv);
    ASSERT_EQ(rig_pop(&r, &p[0]), 1);
    ASSERT_EQ(rig_tok(&p[0]), 1);
    /* Ring slots 1-2: a chain whose last descriptor is bad. */
    vq_driver_raw(r.h.drv, &raw);
    ring = raw.desc;
    ring[2] = (struct vring_packed_desc){buf + 32, 8, 3, avail};
    if (at_last) {
        ring[2].id = NUM; /* buffer id out of range */
    } else {
        ring[2].addr = 0x100000000000ull; /* nowhere */
    }
    ring[1] = (struct vring_packed_desc){buf, 4, 3, avail | VRING_DESC_F_NEXT};
    ASSERT_OK(
        vqh_copy_to_guest(&r.h, buf, &(unsigned int){2}, sizeof(unsigned int)));
    ASSERT_EQ(rig_pop(&r, &p[1]), -EIO);
    ASSERT(vq_is_broken(r.h.vq));
    /* The driver mends it; the queue restarts with tracking kept. */
    ring[2].addr = buf + 32;
    ring[2].id = 3;
    vq_stop(r.h.vq);
    ASSERT_OK(vq_start(r.h.vq, r.h.dev_gm));
    ASSERT_EQ(rig_pop(&r, &p[1]), 1);
    ASSERT_EQ(rig_tok(&p[1]), 2);
    ASSERT_EQ(p[1].e.ndescs, 2);
    vq_elem_release(&p[0].e);
    vq_push(r.h.vq, &p[1].e, 0);
    vq_flush(r.h.vq);
    /* Request 1 is the only one in flight. */
    ASSERT_EQ(rig_crash(&r), 1);
    ASSERT_EQ(rig_pop(&r, &p[0]), 1);
    ASSERT_EQ(rig_tok(&p[0]), 1);
    ASSERT_EQ(rig_pop(&r, &p[1]), 0);
    vq_elem_release(&p[0].e);
    rig_destroy(&r);
}

TEST(packed_broken_walk)
{
    broken_walk(false);
}

TEST(packed_broken_at_last)
{
    broken_walk(true);
}

TEST_MAIN(T(hostile_version), T(hostile_desc_num), T(hostile_split_batch),
          T(hostile_split_batch_list), T(hostile_packed_chain_len),
          T(hostile_packed_chain_link), T(hostile_packed_free_list),
          T(hostile_packed_used_idx), T(hostile_split_scribbles),
          T(hostile_packed_scribbles), T(packed_broken_walk),
          T(packed_broken_at_last))
