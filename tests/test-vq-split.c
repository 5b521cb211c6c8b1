/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-split.c - the split ring's device side against the project's
 * driver side, through memfd guest memory and real eventfds, in two
 * threads: ring sizes 1 to 32768, more than 65536 requests so every
 * index wraps, chains split across regions, indirect on and off,
 * EVENT_IDX on and off, with notifications and polling.  Data is checked
 * both ways by vqh_traffic().
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "vq-harness.h"

/* More than 65536: the 16-bit avail and used indexes wrap. */
#define NREQ 70000u

static void run(unsigned int num, bool event_idx, bool indirect, bool eventfds,
                unsigned int regions, uint64_t nreq)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = num,
        .event_idx = event_idx,
        .indirect = indirect,
        .data_size = (uint64_t)num * VQH_SLOT_SIZE + 4096,
        .data_regions = regions,
        .eventfds = eventfds,
    };
    struct vqh_traffic t = {.nreq = nreq, .indirect = indirect};
    struct vqh h;
    int rc;

    ASSERT_OK(vqh_create(&h, &cfg));
    rc = vqh_traffic(&h, &t);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "traffic: %s", t.err);
    }
    ASSERT(!vq_is_broken(h.vq));
    ASSERT_EQ(vq_driver_num_inflight(h.drv), 0);
    ASSERT_EQ(vq_driver_num_free(h.drv), num);
    /* The device's next avail index is where the driver got to. */
    ASSERT_EQ(vq_get_base(h.vq), (uint16_t)nreq);
    if (!eventfds && !event_idx) {
        /* VRING_USED_F_NO_NOTIFY was set before the first request. */
        ASSERT_EQ(t.kicks, 0);
    }
    if (!eventfds && event_idx) {
        /* avail_event stays at 0: a kick only when the index passes 0. */
        ASSERT_LE(t.kicks, 1 + nreq / 65536);
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

TEST(size4_notify_indirect)
{
    run(4, false, true, true, 3, NREQ);
}

TEST(size256_notify)
{
    run(256, false, false, true, 3, NREQ);
}

TEST(size256_event_idx_indirect)
{
    run(256, true, true, true, 3, NREQ);
}

TEST(size256_poll)
{
    run(256, false, false, false, 3, NREQ);
}

TEST(size256_poll_event_idx_indirect)
{
    run(256, true, true, false, 3, NREQ);
}

TEST(size32768_notify)
{
    run(32768, false, false, true, 4, NREQ);
}

TEST(size32768_event_idx_indirect)
{
    run(32768, true, true, true, 7, NREQ);
}

TEST(size32768_event_idx_poll)
{
    run(32768, true, false, false, 2, 140000);
}

/* A chain crossing a region boundary arrives as one more iovec. */
TEST(chain_across_regions)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 8,
        .data_size = 8192,
        .data_regions = 2,
        .eventfds = true,
    };
    struct iovec iov[8];
    struct vq_elem e = {.iov = iov, .iov_max = 8};
    struct vqh h;
    struct vq_buf out, in;
    uint8_t pat[64];
    void *tok;
    uint32_t len;
    uint64_t boundary;
    unsigned int i;

    ASSERT_OK(vqh_create(&h, &cfg));
    boundary = h.regions[2].guest_phys_addr;
    for (i = 0; i < sizeof(pat); i++) {
        pat[i] = (uint8_t)(i + 1);
    }
    ASSERT_OK(vqh_copy_to_guest(&h, boundary - 10, pat, sizeof(pat)));
    out = (struct vq_buf){boundary - 10, 64};
    in = (struct vq_buf){boundary - 100, 90};
    ASSERT_OK(vq_driver_add(h.drv, &out, 1, &in, 1, false, &h));
    ASSERT(vq_driver_kick(h.drv));
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    ASSERT_EQ(e.out_num, 2);
    ASSERT_EQ(e.in_num, 1);
    ASSERT_EQ(iov[0].iov_len, 10);
    ASSERT_EQ(iov[1].iov_len, 54);
    ASSERT_EQ(((uint8_t *)iov[0].iov_base)[0], 1);
    ASSERT_EQ(((uint8_t *)iov[1].iov_base)[0], 11);
    ASSERT_EQ(e.out_bytes, 64);
    ASSERT_EQ(e.in_bytes, 90);
    ASSERT_EQ(e.ndescs, 2);
    vq_push(h.vq, &e, 7);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &tok), 0); /* not flushed */
    vq_flush(h.vq);
    ASSERT(vq_notify(h.vq));
    ASSERT_EQ(vq_driver_wait(h.drv, 1000), 1);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &tok), 1);
    ASSERT_EQ(len, 7);
    ASSERT(tok == &h);
    vqh_destroy(&h);
}

/* Several pushes, one flush: the driver sees all of them at once. */
TEST(batched_push)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 16,
        .data_size = 8192,
        .data_regions = 1,
        .eventfds = true,
    };
    struct iovec iov[4];
    struct vq_elem e[4];
    struct vq_buf in = {0, 0};
    struct vqh h;
    int tokens[4];
    uint32_t len;
    void *tok;
    unsigned int i;

    ASSERT_OK(vqh_create(&h, &cfg));
    in.gpa = h.data_gpa;
    in.len = 8;
    for (i = 0; i < 4; i++) {
        ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tokens[i]));
    }
    ASSERT(vq_driver_kick(h.drv));
    for (i = 0; i < 4; i++) {
        e[i].iov = &iov[i];
        e[i].iov_max = 1;
        ASSERT_EQ(vq_pop(h.vq, &e[i]), 1);
    }
    ASSERT_EQ(vq_pop(h.vq, &e[0]), 0);
    /* Completed out of order. */
    vq_push(h.vq, &e[2], 2);
    vq_push(h.vq, &e[0], 0);
    vq_push(h.vq, &e[3], 3);
    vq_push(h.vq, &e[1], 1);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &tok), 0);
    vq_flush(h.vq);
    ASSERT(vq_notify(h.vq));
    ASSERT(!vq_notify(h.vq)); /* nothing new since */
    {
        static const int order[4] = {2, 0, 3, 1};

        for (i = 0; i < 4; i++) {
            ASSERT_EQ(vq_driver_get_used(h.drv, &len, &tok), 1);
            ASSERT(tok == &tokens[order[i]]);
            ASSERT_EQ(len, (uint32_t)order[i]);
        }
    }
    vqh_destroy(&h);
}

/* EVENT_IDX: no call until the driver's used_event is passed. */
TEST(event_idx_suppresses_calls)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 8,
        .event_idx = true,
        .data_size = 8192,
        .data_regions = 1,
        .eventfds = true,
    };
    struct iovec iov[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_buf in;
    struct vqh h;
    int tok0, tok1;
    uint16_t *used_event;
    struct vq_driver_raw raw;

    ASSERT_OK(vqh_create(&h, &cfg));
    in = (struct vq_buf){h.data_gpa, 8};
    vq_driver_raw(h.drv, &raw);
    used_event = &((struct vring_avail *)raw.driver_area)->ring[raw.num];
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok0));
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok1));
    vq_driver_kick(h.drv);
    /* The driver wants a call only once two entries are used. */
    *used_event = 1;
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_complete(h.vq, &e, 0);
    /* The first notification is always sent (nothing signalled yet). */
    ASSERT_EQ(vq_driver_wait(h.drv, 1000), 1);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_push(h.vq, &e, 0);
    vq_flush(h.vq);
    ASSERT(vq_notify(h.vq)); /* used idx 1 -> 2 passes used_event 1 */
    *used_event = 10;
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok0));
    vq_driver_kick(h.drv);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_push(h.vq, &e, 0);
    vq_flush(h.vq);
    ASSERT(!vq_notify(h.vq));
    vqh_destroy(&h);
}

/* Without EVENT_IDX: VRING_AVAIL_F_NO_INTERRUPT and NO_NOTIFY. */
TEST(flags_suppress_notifications)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 8,
        .data_size = 8192,
        .data_regions = 1,
        .eventfds = true,
    };
    struct iovec iov[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_buf in;
    struct vqh h;
    int tok;

    ASSERT_OK(vqh_create(&h, &cfg));
    in = (struct vq_buf){h.data_gpa, 8};
    vq_disable_notify(h.vq);
    vq_driver_disable_cb(h.drv);
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok));
    ASSERT(!vq_driver_kick(h.drv));
    ASSERT(vq_avail_pending(h.vq));
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_push(h.vq, &e, 0);
    vq_flush(h.vq);
    ASSERT(!vq_notify(h.vq));
    ASSERT(vq_driver_enable_cb(h.drv)); /* one is pending already */
    ASSERT(!vq_enable_notify(h.vq));
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok));
    ASSERT(vq_driver_kick(h.drv));
    vqh_destroy(&h);
}

/* GET_VRING_BASE after stop, SET_VRING_BASE continues from there. */
TEST(stop_and_resume_base)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 4,
        .data_size = 8192,
        .data_regions = 1,
        .eventfds = true,
    };
    struct iovec iov[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_buf in;
    struct vqh h;
    int tok[3];
    uint32_t len;
    void *t;

    ASSERT_OK(vqh_create(&h, &cfg));
    in = (struct vq_buf){h.data_gpa, 8};
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok[0]));
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok[1]));
    vq_driver_kick(h.drv);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_complete(h.vq, &e, 1);
    vq_stop(h.vq);
    ASSERT(!vq_is_started(h.vq));
    ASSERT_EQ(vq_pop(h.vq, &e), -EIO);
    ASSERT_EQ(vq_get_base(h.vq), 1);
    ASSERT_OK(vq_set_base(h.vq, vq_get_base(h.vq)));
    ASSERT_OK(vq_start(h.vq, h.dev_gm));
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_complete(h.vq, &e, 2);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT(t == &tok[0]);
    ASSERT_EQ(vq_driver_get_used(h.drv, &len, &t), 1);
    ASSERT(t == &tok[1]);
    ASSERT_EQ(len, 2);
    vqh_destroy(&h);
}

/* A table change while an element is out: its iovecs stay mapped, new
 * chains are translated with the new table. */
TEST(mem_table_change_while_running)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 4,
        .data_size = 8192,
        .data_regions = 2,
        .eventfds = true,
    };
    struct iovec iov[2], iov2[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_elem e2 = {.iov = iov2, .iov_max = 2};
    struct vq_buf in;
    struct vqh h;
    int tok;
    struct vhu_mem_region last;

    ASSERT_OK(vqh_create(&h, &cfg));
    last = h.regions[h.nregions - 1];
    in = (struct vq_buf){last.guest_phys_addr + 8, 8};
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok));
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok));
    vq_driver_kick(h.drv);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    /* The VMM removes the region the element points into. */
    ASSERT_OK(gmem_remove_region(h.dev_gm, &last));
    memset(iov[0].iov_base, 0x5a, iov[0].iov_len); /* still mapped */
    vq_complete(h.vq, &e, 8);
    /* The next chain points into the removed region: broken. */
    ASSERT_EQ(vq_pop(h.vq, &e2), -EIO);
    ASSERT(vq_is_broken(h.vq));
    vqh_destroy(&h);
}

/* The VMM replaces the rings' region with another file holding the same
 * contents (REM_MEM_REG + ADD_MEM_REG): the queue follows the rings to
 * the new mapping and keeps its indexes. */
TEST(ring_region_replaced)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 8,
        .data_size = 8192,
        .data_regions = 1,
        .eventfds = true,
    };
    struct iovec iov[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_ring_layout lay;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used, *old_used;
    struct vq_driver_raw raw;
    struct vq_buf in;
    struct vqh h;
    uint64_t size;
    uint8_t *p2;
    int fd, tok;

    ASSERT_OK(vqh_create(&h, &cfg));
    in = (struct vq_buf){h.data_gpa, 8};
    ASSERT_OK(vq_driver_add(h.drv, NULL, 0, &in, 1, false, &tok));
    vq_driver_kick(h.drv);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    vq_complete(h.vq, &e, 8);

    size = h.regions[0].memory_size;
    fd = test_memfd("ring-copy", size);
    p2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT(p2 != MAP_FAILED);
    memcpy(p2, vqh_host(&h, 0, size), size);
    ASSERT_OK(gmem_remove_region(h.dev_gm, &h.regions[0]));
    ASSERT_OK(gmem_add_region(h.dev_gm, &h.regions[0], &fd));

    /* The next chain is written into the new file only. */
    ASSERT_OK(vq_ring_layout(VQ_LAYOUT_SPLIT, 8, &lay));
    desc = (struct vring_desc *)(p2 + lay.desc_off);
    avail = (struct vring_avail *)(p2 + lay.driver_off);
    used = (struct vring_used *)(p2 + lay.device_off);
    desc[5] = (struct vring_desc){
        .addr = h.data_gpa + 64, .len = 16, .flags = VRING_DESC_F_WRITE};
    avail->ring[1] = 5;
    __atomic_store_n(&avail->idx, 2, __ATOMIC_RELEASE);
    ASSERT_EQ(vq_pop(h.vq, &e), 1);
    ASSERT_EQ(e.id, 5);
    ASSERT_EQ(e.in_bytes, 16);
    vq_complete(h.vq, &e, 16);
    ASSERT_EQ(used->idx, 2);
    ASSERT_EQ(used->ring[1].id, 5);
    ASSERT_EQ(used->ring[1].len, 16);
    /* The old file saw nothing of it. */
    vq_driver_raw(h.drv, &raw);
    old_used = raw.device_area;
    ASSERT_EQ(old_used->idx, 1);
    munmap(p2, size);
    vqh_destroy(&h);
}

struct churn {
    struct vqh *h;
    _Atomic bool stop;
    unsigned long changes;
};

/* Add and remove an unrelated region, over and over. */
static void *churn_thread(void *arg)
{
    struct churn *c = arg;
    struct vhu_mem_region r = {
        .guest_phys_addr = 1ull << 40,
        .memory_size = 65536,
        .userspace_addr = 1ull << 44,
    };

    while (!atomic_load(&c->stop)) {
        int fd = test_memfd("churn", 65536);

        if (gmem_add_region(c->h->dev_gm, &r, &fd) < 0 ||
            gmem_remove_region(c->h->dev_gm, &r) < 0) {
            abort();
        }
        c->changes++;
    }
    return NULL;
}

/* The memory table changes all the time while requests flow: queues
 * pick up each new table, elements keep theirs. */
TEST(mem_table_churn_during_traffic)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 256,
        .event_idx = true,
        .indirect = true,
        .data_size = 256 * VQH_SLOT_SIZE + 4096,
        .data_regions = 3,
        .eventfds = true,
    };
    struct vqh_traffic t = {.nreq = NREQ, .indirect = true};
    struct churn c = {0};
    pthread_t th;
    struct vqh h;
    int rc;

    ASSERT_OK(vqh_create(&h, &cfg));
    c.h = &h;
    ASSERT_EQ(pthread_create(&th, NULL, churn_thread, &c), 0);
    rc = vqh_traffic(&h, &t);
    atomic_store(&c.stop, true);
    pthread_join(th, NULL);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "traffic: %s", t.err);
    }
    ASSERT_GT(c.changes, 0);
    vqh_destroy(&h);
}

TEST_MAIN(T(size1_notify), T(size1_event_idx_indirect), T(size2_event_idx),
          T(size4_notify_indirect), T(size256_notify),
          T(size256_event_idx_indirect), T(size256_poll),
          T(size256_poll_event_idx_indirect), T(size32768_notify),
          T(size32768_event_idx_indirect), T(size32768_event_idx_poll),
          T(chain_across_regions), T(batched_push),
          T(event_idx_suppresses_calls), T(flags_suppress_notifications),
          T(stop_and_resume_base), T(mem_table_change_while_running),
          T(ring_region_replaced), T(mem_table_churn_during_traffic))
