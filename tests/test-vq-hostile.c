/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-hostile.c - a hostile driver against the split ring's device
 * side: each broken ring rule is its own case.  Each must mark the queue
 * broken with one log line and a write to the err eventfd, never crash
 * or touch memory outside guest memory (run under ASan too), and leave
 * another queue on the same guest memory working.
 *
 * The packed ring's cases live in test-vq-packed-hostile.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "test.h"
#include "vq-harness.h"

#define NUM 8u

static char last_line[512];
static unsigned int nlines;

static void capture(void *opaque, enum vhostfs_log_level level,
                    const char *line)
{
    (void)opaque;
    (void)level;
    snprintf(last_line, sizeof(last_line), "%s", line);
    nlines++;
}

struct hostile {
    struct vqh h;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_desc *ind; /* the indirect area, table per head */
    uint64_t ind_gpa;
    uint64_t data; /* a valid data GPA */
};

static void setup_with(struct hostile *x, bool indirect)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = NUM,
        .indirect = indirect,
        .data_size = 16384,
        .data_regions = 2,
        .eventfds = true,
    };
    struct vq_driver_raw raw;

    vhostfs_log_set_sink(capture, NULL);
    ASSERT_OK(vqh_create(&x->h, &cfg));
    vq_driver_raw(x->h.drv, &raw);
    x->desc = raw.desc;
    x->avail = raw.driver_area;
    x->ind = raw.indirect;
    {
        struct vq_ring_layout lay;

        ASSERT_OK(vq_ring_layout(VQ_LAYOUT_SPLIT, NUM, &lay));
        x->ind_gpa = (lay.total + 4095) & ~4095ull;
    }
    x->data = x->h.data_gpa + 256;
}

static void setup(struct hostile *x)
{
    setup_with(x, true);
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* Make @head available (raw: what a driver does, no checks). */
static void publish(struct hostile *x, uint16_t head)
{
    uint16_t idx = x->avail->idx;

    x->avail->ring[idx % NUM] = head;
    __atomic_store_n(&x->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

/* Another queue on the same guest memory still carries a request. */
static void other_queue_works(struct hostile *x)
{
    struct vq_driver_config dc = {
        .layout = VQ_LAYOUT_SPLIT,
        .num = 4,
        .ring_gpa = x->h.data_gpa + 4096,
        .kick_fd = -1,
        .call_fd = -1,
    };
    struct vhost_vring_addr addr;
    struct vq_driver *drv;
    struct iovec iov[2];
    struct vq_elem e = {.iov = iov, .iov_max = 2};
    struct vq_buf in = {x->data, 16};
    struct vq *vq;
    uint32_t len;
    void *tok;
    int t;

    ASSERT_OK(vq_driver_new(&drv, &dc, x->h.drv_mem));
    ASSERT_OK(vq_new(&vq, 1));
    ASSERT_OK(vq_set_num(vq, 4));
    vq_driver_vring_addr(drv, 1, &addr);
    ASSERT_OK(vq_set_addr(vq, &addr));
    ASSERT_OK(vq_start(vq, x->h.dev_gm));
    ASSERT_OK(vq_driver_add(drv, NULL, 0, &in, 1, false, &t));
    vq_driver_kick(drv);
    ASSERT_EQ(vq_pop(vq, &e), 1);
    memset(iov[0].iov_base, 1, iov[0].iov_len);
    vq_complete(vq, &e, 16);
    ASSERT_EQ(vq_driver_get_used(drv, &len, &tok), 1);
    ASSERT_EQ(len, 16);
    vq_free(vq);
    vq_driver_free(drv);
}

static void expect_broken(struct hostile *x, const char *why)
{
    struct iovec iov[16];
    struct vq_elem e = {.iov = iov, .iov_max = 16};
    uint64_t v = 0;

    nlines = 0;
    ASSERT_EQ(vq_pop(x->h.vq, &e), -EIO);
    ASSERT(vq_is_broken(x->h.vq));
    ASSERT(e.mem == NULL); /* no reference leaked */
    ASSERT_EQ(nlines, 1);
    if (!strstr(last_line, "broken") || !strstr(last_line, why)) {
        test_fail(__FILE__, __LINE__, "log line \"%s\" lacks \"%s\"", last_line,
                  why);
    }
    ASSERT_EQ(read(x->h.err_fd, &v, sizeof(v)), (ssize_t)sizeof(v));
    ASSERT_EQ(v, 1);
    /* Stays broken, quietly. */
    ASSERT_EQ(vq_pop(x->h.vq, &e), -EIO);
    ASSERT_EQ(nlines, 1);
    ASSERT(!vq_avail_pending(x->h.vq));
    other_queue_works(x);
    vqh_destroy(&x->h);
}

TEST(head_out_of_range)
{
    struct hostile x;

    setup(&x);
    publish(&x, NUM);
    expect_broken(&x, "head 8 out of range");
}

TEST(next_out_of_range)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.data, 8, VRING_DESC_F_NEXT, NUM);
    publish(&x, 0);
    expect_broken(&x, "next 8 out of range");
}

TEST(descriptor_loop)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.data, 8, VRING_DESC_F_NEXT, 1);
    set_desc(&x.desc[1], x.data, 8, VRING_DESC_F_NEXT, 2);
    set_desc(&x.desc[2], x.data, 8, VRING_DESC_F_NEXT, 0);
    publish(&x, 0);
    expect_broken(&x, "loop");
}

TEST(descriptor_self_loop)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[3], x.data, 8, VRING_DESC_F_NEXT, 3);
    publish(&x, 3);
    expect_broken(&x, "loop");
}

TEST(indirect_in_indirect)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.ind[0], x.data, 8, VRING_DESC_F_NEXT, 1);
    set_desc(&x.ind[1], x.ind_gpa, 32, VRING_DESC_F_INDIRECT, 0);
    set_desc(&x.desc[0], x.ind_gpa, 32, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "nested indirect");
}

TEST(indirect_len_not_multiple_of_16)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.ind[0], x.data, 8, 0, 0);
    set_desc(&x.desc[0], x.ind_gpa, 24, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "indirect table length 24");
}

TEST(indirect_len_zero)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.ind_gpa, 0, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "indirect table length 0");
}

TEST(indirect_too_large)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.ind_gpa, (VQ_MAX_SIZE + 1) * 16,
             VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "indirect table length");
}

TEST(indirect_with_next)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.ind[0], x.data, 8, 0, 0);
    set_desc(&x.desc[0], x.ind_gpa, 16,
             VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    set_desc(&x.desc[1], x.data, 8, 0, 0);
    publish(&x, 0);
    expect_broken(&x, "INDIRECT with NEXT");
}

TEST(indirect_after_direct)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.ind[0], x.data, 8, 0, 0);
    set_desc(&x.desc[0], x.data, 8, VRING_DESC_F_NEXT, 1);
    set_desc(&x.desc[1], x.ind_gpa, 16, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "chained indirect");
}

TEST(indirect_not_negotiated)
{
    struct hostile x;

    setup_with(&x, false);
    set_desc(&x.desc[0], x.data, 16, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "without VIRTIO_RING_F_INDIRECT_DESC");
}

TEST(indirect_table_outside_memory)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], 1ull << 50, 32, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "not in one region");
}

TEST(indirect_table_across_regions)
{
    struct hostile x;
    uint64_t boundary;

    setup(&x);
    boundary = x.h.regions[2].guest_phys_addr;
    set_desc(&x.desc[0], boundary - 16, 32, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "not in one region");
}

TEST(indirect_loop)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.ind[0], x.data, 8, VRING_DESC_F_NEXT, 1);
    set_desc(&x.ind[1], x.data, 8, VRING_DESC_F_NEXT, 0);
    set_desc(&x.desc[0], x.ind_gpa, 32, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "loop");
}

TEST(indirect_next_out_of_table)
{
    struct hostile x;

    setup(&x);
    /* next 2 is inside the ring's range but outside the 2-entry table. */
    set_desc(&x.ind[0], x.data, 8, VRING_DESC_F_NEXT, 2);
    set_desc(&x.ind[2], x.data, 8, 0, 0);
    set_desc(&x.desc[0], x.ind_gpa, 32, VRING_DESC_F_INDIRECT, 0);
    publish(&x, 0);
    expect_broken(&x, "next 2 out of range (2)");
}

TEST(descriptor_outside_memory)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], 1ull << 50, 8, 0, 0);
    publish(&x, 0);
    expect_broken(&x, "outside guest memory");
}

TEST(descriptor_partly_outside_memory)
{
    struct hostile x;
    struct vhu_mem_region *last;

    setup(&x);
    last = &x.h.regions[x.h.nregions - 1];
    set_desc(&x.desc[0], last->guest_phys_addr + last->memory_size - 4, 16,
             VRING_DESC_F_WRITE, 0);
    publish(&x, 0);
    expect_broken(&x, "outside guest memory");
}

/*
 * With a gpa array (a device with a DAX window, vq.h), a descriptor wholly
 * outside guest memory is kept as an iovec with no base and its address;
 * one partly inside, or overflowing, still breaks the queue.
 */
TEST(descriptor_outside_memory_kept_with_gpa)
{
    struct hostile x;
    struct iovec iov[4];
    uint64_t gpa[4] = {0};
    struct vq_elem e = {.iov = iov, .iov_max = 4, .gpa = gpa};

    setup(&x);
    set_desc(&x.desc[0], x.data, 16, VRING_DESC_F_NEXT, 1);
    set_desc(&x.desc[1], 1ull << 50, 8192,
             VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
    set_desc(&x.desc[2], x.data + 64, 32, VRING_DESC_F_WRITE, 0);
    publish(&x, 0);
    ASSERT_EQ(vq_pop(x.h.vq, &e), 1);
    ASSERT_EQ(e.out_num, 1);
    ASSERT_EQ(e.in_num, 2);
    ASSERT_EQ(e.unmapped, 1);
    ASSERT_EQ(e.in_bytes, 8192 + 32);
    ASSERT(iov[0].iov_base != NULL);
    ASSERT(iov[1].iov_base == NULL);
    ASSERT_EQ(iov[1].iov_len, 8192);
    ASSERT_EQ(gpa[1], 1ull << 50);
    ASSERT(iov[2].iov_base != NULL);
    ASSERT(!vq_is_broken(x.h.vq));
    vq_complete(x.h.vq, &e, 0);
    /* The next pop starts from zero. */
    set_desc(&x.desc[3], x.data, 16, 0, 0);
    publish(&x, 3);
    ASSERT_EQ(vq_pop(x.h.vq, &e), 1);
    ASSERT_EQ(e.unmapped, 0);
    vq_complete(x.h.vq, &e, 0);
    vqh_destroy(&x.h);
}

/* Head 0, one writable descriptor at @addr: broken even with a gpa. */
static void expect_broken_with_gpa(struct hostile *x, uint64_t addr)
{
    struct iovec iov[4];
    uint64_t gpa[4];
    struct vq_elem e = {.iov = iov, .iov_max = 4, .gpa = gpa};

    set_desc(&x->desc[0], addr, 16, VRING_DESC_F_WRITE, 0);
    publish(x, 0);
    ASSERT_EQ(vq_pop(x->h.vq, &e), -EIO);
    ASSERT(vq_is_broken(x->h.vq));
    vqh_destroy(&x->h);
}

TEST(descriptor_partly_outside_memory_with_gpa)
{
    struct hostile x;
    struct vhu_mem_region *last;

    setup(&x);
    /* Starts in the last region, ends past it. */
    last = &x.h.regions[x.h.nregions - 1];
    expect_broken_with_gpa(&x, last->guest_phys_addr + last->memory_size - 4);
}

TEST(descriptor_overflowing_with_gpa)
{
    struct hostile x;

    setup(&x);
    expect_broken_with_gpa(&x, UINT64_MAX - 8);
}

TEST(addr_len_overflow)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], UINT64_MAX - 8, 16, 0, 0);
    publish(&x, 0);
    expect_broken(&x, "overflows");
}

TEST(avail_idx_jump)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.data, 8, 0, 0);
    x.avail->ring[0] = 0;
    __atomic_store_n(&x.avail->idx, (uint16_t)(NUM + 1), __ATOMIC_RELEASE);
    expect_broken(&x, "ahead");
}

TEST(avail_idx_backwards)
{
    struct hostile x;

    setup(&x);
    /* Going back by one is 65535 ahead. */
    __atomic_store_n(&x.avail->idx, (uint16_t)0xffff, __ATOMIC_RELEASE);
    expect_broken(&x, "ahead");
}

TEST(readable_after_writable)
{
    struct hostile x;

    setup(&x);
    set_desc(&x.desc[0], x.data, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(&x.desc[1], x.data, 8, 0, 0);
    publish(&x, 0);
    expect_broken(&x, "readable descriptor 1 after a writable");
}

TEST(more_iovecs_than_room)
{
    struct hostile x;
    unsigned int i;

    setup(&x);
    /* A chain of the whole ring, each descriptor across the region
     * boundary: 16 iovecs. */
    for (i = 0; i < NUM; i++) {
        uint64_t b = x.h.regions[2].guest_phys_addr;

        set_desc(&x.desc[i], b - 4, 8, (i + 1 < NUM ? VRING_DESC_F_NEXT : 0),
                 (uint16_t)(i + 1));
    }
    publish(&x, 0);
    {
        /* 16 iovecs needed, room for 15. */
        struct iovec iov[15];
        struct vq_elem e = {.iov = iov, .iov_max = 15};

        nlines = 0;
        ASSERT_EQ(vq_pop(x.h.vq, &e), -EIO);
        ASSERT(strstr(last_line, "iovecs"));
    }
    vqh_destroy(&x.h);
}

TEST(ring_outside_memory)
{
    struct hostile x;
    struct vhost_vring_addr addr;
    struct vq *vq;

    setup(&x);
    ASSERT_OK(vq_new(&vq, 2));
    ASSERT_OK(vq_set_num(vq, NUM));
    vq_driver_vring_addr(x.h.drv, 2, &addr);
    addr.used_user_addr = 0x1000; /* in no region */
    ASSERT_OK(vq_set_addr(vq, &addr));
    ASSERT_EQ(vq_start(vq, x.h.dev_gm), -EFAULT);
    vq_driver_vring_addr(x.h.drv, 2, &addr);
    addr.avail_user_addr += 1; /* misaligned */
    ASSERT_OK(vq_set_addr(vq, &addr));
    ASSERT_EQ(vq_start(vq, x.h.dev_gm), -EFAULT);
    ASSERT_OK(vq_set_num(vq, 6)); /* split: not a power of two */
    vq_driver_vring_addr(x.h.drv, 2, &addr);
    ASSERT_OK(vq_set_addr(vq, &addr));
    ASSERT_EQ(vq_start(vq, x.h.dev_gm), -EINVAL);
    ASSERT_EQ(vq_set_num(vq, VQ_MAX_SIZE + 1), -EINVAL);
    vq_free(vq);
    vqh_destroy(&x.h);
}

TEST(restart_clears_broken)
{
    struct hostile x;
    struct iovec iov[4];
    struct vq_elem e = {.iov = iov, .iov_max = 4};

    setup(&x);
    publish(&x, NUM);
    ASSERT_EQ(vq_pop(x.h.vq, &e), -EIO);
    vq_stop(x.h.vq);
    /* The VMM resets the ring and starts over. */
    ASSERT_OK(vq_set_base(x.h.vq, 1));
    set_desc(&x.desc[1], x.data, 8, 0, 0);
    publish(&x, 1);
    ASSERT_OK(vq_start(x.h.vq, x.h.dev_gm));
    ASSERT(!vq_is_broken(x.h.vq));
    ASSERT_EQ(vq_pop(x.h.vq, &e), 1);
    ASSERT_EQ(e.id, 1);
    vq_elem_release(&e);
    vqh_destroy(&x.h);
}

TEST_MAIN(T(head_out_of_range), T(next_out_of_range), T(descriptor_loop),
          T(descriptor_self_loop), T(indirect_in_indirect),
          T(indirect_len_not_multiple_of_16), T(indirect_len_zero),
          T(indirect_too_large), T(indirect_with_next),
          T(indirect_after_direct), T(indirect_not_negotiated),
          T(indirect_table_outside_memory), T(indirect_table_across_regions),
          T(indirect_loop), T(indirect_next_out_of_table),
          T(descriptor_outside_memory), T(descriptor_partly_outside_memory),
          T(descriptor_outside_memory_kept_with_gpa),
          T(descriptor_partly_outside_memory_with_gpa),
          T(descriptor_overflowing_with_gpa), T(addr_len_overflow),
          T(avail_idx_jump), T(avail_idx_backwards), T(readable_after_writable),
          T(more_iovecs_than_room), T(ring_outside_memory),
          T(restart_clears_broken))
