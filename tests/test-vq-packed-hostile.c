/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-vq-packed-hostile.c - a packed ring written by a hostile driver.
 * Each case writes one rule-breaking chain straight into the descriptor
 * ring and checks that the queue is marked broken (vq_pop() -EIO, the
 * queue says so, one log line naming the reason, the err eventfd
 * signalled) and stays broken until restarted, without a crash or an
 * access outside guest memory (run under ASan).  And a hostile device,
 * for the driver side.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "test.h"
#include "vq-harness.h"

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED  (1u << VRING_PACKED_DESC_F_USED)

static char log_buf[4096];

static void capture(void *opaque, enum vhostfs_log_level level,
                    const char *line)
{
    size_t n = strlen(log_buf);

    (void)opaque;
    (void)level;
    snprintf(log_buf + n, sizeof(log_buf) - n, "%s\n", line);
}

struct hq {
    struct vqh h;
    struct vring_packed_desc *ring;
    unsigned int num;
};

static void setup(struct hq *q, unsigned int num, bool indirect)
{
    struct vqh_config cfg = {
        .layout = VQ_LAYOUT_PACKED,
        .num = num,
        .indirect = indirect,
        .data_size = 3 * 4096,
        .data_regions = 2,
        .eventfds = false,
    };
    struct vq_driver_raw raw;

    log_buf[0] = '\0';
    vhostfs_log_set_sink(capture, NULL);
    ASSERT_OK(vqh_create(&q->h, &cfg));
    vq_driver_raw(q->h.drv, &raw);
    q->ring = raw.desc;
    q->num = num;
}

/* Write ring descriptor @i as available in the first lap. */
static void put(struct hq *q, unsigned int i, uint64_t addr, uint32_t len,
                uint16_t id, uint16_t flags)
{
    q->ring[i].addr = addr;
    q->ring[i].len = len;
    q->ring[i].id = id;
    __atomic_store_n(&q->ring[i].flags, (uint16_t)(flags | F_AVAIL),
                     __ATOMIC_RELEASE);
}

/* A table entry in guest memory at @gpa + 16 * @i. */
static void put_ind(struct hq *q, uint64_t gpa, unsigned int i, uint64_t addr,
                    uint32_t len, uint16_t flags)
{
    struct vring_packed_desc *d = vqh_host(&q->h, gpa + 16 * i, 16);

    ASSERT(d != NULL);
    d->addr = addr;
    d->len = len;
    d->id = 0;
    d->flags = flags;
}

static uint64_t data(struct hq *q, unsigned int off)
{
    return q->h.data_gpa + off;
}

/* The queue must be broken, say why once, and stay broken. */
static void expect_broken(struct hq *q, const char *why)
{
    struct iovec iov[16];
    struct vq_elem e = {.iov = iov, .iov_max = 16};
    uint64_t v = 0;

    ASSERT_EQ(vq_pop(q->h.vq, &e), -EIO);
    ASSERT(vq_is_broken(q->h.vq));
    if (!strstr(log_buf, "vq 0 broken") || !strstr(log_buf, why)) {
        test_fail(__FILE__, __LINE__, "log \"%s\" lacks \"%s\"", log_buf, why);
    }
    ASSERT_EQ(read(q->h.err_fd, &v, sizeof(v)), sizeof(v));
    ASSERT_EQ(v, 1);
    /* Still broken, and nothing more logged. */
    v = strlen(log_buf);
    ASSERT_EQ(vq_pop(q->h.vq, &e), -EIO);
    ASSERT_EQ(strlen(log_buf), v);
    ASSERT(!vq_avail_pending(q->h.vq));
    vqh_destroy(&q->h);
    vhostfs_log_set_sink(NULL, NULL);
}

/* Every descriptor says NEXT: the chain runs round the ring. */
TEST(chain_loop)
{
    struct hq q;
    unsigned int i;

    setup(&q, 8, false);
    for (i = 0; i < 8; i++) {
        put(&q, i, data(&q, 0), 8, 0, VRING_DESC_F_NEXT);
    }
    expect_broken(&q, "chain longer than the ring");
}

/* A chain that fits the ring but not the room left by chains in flight. */
TEST(chain_longer_than_room)
{
    struct iovec iov[4];
    struct vq_elem e = {.iov = iov, .iov_max = 4};
    struct hq q;

    setup(&q, 4, false);
    put(&q, 1, data(&q, 0), 8, 0, 0);
    put(&q, 0, data(&q, 0), 8, 0, VRING_DESC_F_NEXT);
    ASSERT_EQ(vq_pop(q.h.vq, &e), 1);
    vq_elem_release(&e);
    /* Two in flight; three more claimed available (wrapping to 0). */
    put(&q, 3, data(&q, 0), 8, 1, VRING_DESC_F_NEXT);
    put(&q, 2, data(&q, 0), 8, 1, VRING_DESC_F_NEXT);
    expect_broken(&q, "chain longer than the ring");
}

TEST(indirect_nested)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, 0);
    put_ind(&q, tbl, 1, data(&q, 512), 32, VRING_DESC_F_INDIRECT);
    put(&q, 0, tbl, 32, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "indirect table inside an indirect table");
}

TEST(indirect_len_not_multiple_of_16)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, 0);
    put_ind(&q, tbl, 1, data(&q, 8), 8, 0);
    put(&q, 0, tbl, 24, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "not a multiple of 16");
}

TEST(indirect_len_zero)
{
    struct hq q;

    setup(&q, 8, true);
    put(&q, 0, data(&q, 256), 0, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "not a multiple of 16");
}

/* More entries than a queue may have (2.8: at most 32768). */
TEST(indirect_too_long)
{
    struct hq q;

    setup(&q, 8, true);
    put(&q, 0, data(&q, 0), 16 * 32769, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "indirect table of 32769 descriptors");
}

TEST(indirect_with_next)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, 0);
    put(&q, 1, data(&q, 0), 8, 0, 0);
    put(&q, 0, tbl, 16, 0, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
    expect_broken(&q, "indirect descriptor in a chain");
}

TEST(indirect_in_chain)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, 0);
    put(&q, 1, tbl, 16, 0, VRING_DESC_F_INDIRECT);
    put(&q, 0, data(&q, 0), 8, 0, VRING_DESC_F_NEXT);
    expect_broken(&q, "indirect descriptor in a chain");
}

TEST(indirect_not_negotiated)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, false);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, 0);
    put(&q, 0, tbl, 16, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "without VIRTIO_F_INDIRECT_DESC");
}

TEST(indirect_table_outside_memory)
{
    struct hq q;

    setup(&q, 8, true);
    put(&q, 0, 0x100000000000ull, 32, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "not in one region");
}

/* A table straddling two regions cannot be read in place. */
TEST(indirect_table_across_regions)
{
    struct hq q;
    uint64_t boundary;

    setup(&q, 8, true);
    boundary = q.h.regions[2].guest_phys_addr;
    put(&q, 0, boundary - 16, 32, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "not in one region");
}

TEST(desc_outside_memory)
{
    struct hq q;

    setup(&q, 8, false);
    put(&q, 0, 0x100000000000ull, 8, 0, 0);
    expect_broken(&q, "outside guest memory");
}

TEST(desc_past_end_of_memory)
{
    struct hq q;
    uint64_t end;

    setup(&q, 8, false);
    end = q.h.regions[q.h.nregions - 1].guest_phys_addr +
          q.h.regions[q.h.nregions - 1].memory_size;
    put(&q, 0, end - 4, 8, 0, 0);
    expect_broken(&q, "outside guest memory");
}

TEST(addr_len_overflow)
{
    struct hq q;

    setup(&q, 8, false);
    put(&q, 0, UINT64_MAX - 3, 16, 0, VRING_DESC_F_WRITE);
    expect_broken(&q, "overflows");
}

TEST(indirect_entry_overflow)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, UINT64_MAX, 2, 0);
    put(&q, 0, tbl, 16, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "overflows");
}

TEST(buffer_id_out_of_range)
{
    struct hq q;

    setup(&q, 8, false);
    put(&q, 1, data(&q, 0), 8, 8, 0);
    put(&q, 0, data(&q, 8), 8, 0, VRING_DESC_F_NEXT);
    expect_broken(&q, "buffer id 8 >= ring size 8");
}

TEST(readable_after_writable)
{
    struct hq q;

    setup(&q, 8, false);
    put(&q, 1, data(&q, 0), 8, 0, 0);
    put(&q, 0, data(&q, 8), 8, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
    expect_broken(&q, "readable descriptor after a writable one");
}

TEST(indirect_readable_after_writable)
{
    uint64_t tbl;
    struct hq q;

    setup(&q, 8, true);
    tbl = data(&q, 256);
    put_ind(&q, tbl, 0, data(&q, 0), 8, VRING_DESC_F_WRITE);
    put_ind(&q, tbl, 1, data(&q, 8), 8, 0);
    put(&q, 0, tbl, 32, 0, VRING_DESC_F_INDIRECT);
    expect_broken(&q, "readable descriptor after a writable one");
}

/* More iovecs than the caller's array holds. */
TEST(too_many_iovecs)
{
    struct hq q;
    unsigned int i;

    setup(&q, 32, false);
    for (i = 20; i-- > 0;) {
        put(&q, i, data(&q, 8 * i), 8, 0, i < 19 ? VRING_DESC_F_NEXT : 0);
    }
    expect_broken(&q, "more than 16 iovecs");
}

/* A restart clears the broken state; the ring is read afresh. */
TEST(restart_clears_broken)
{
    struct iovec iov[4];
    struct vq_elem e = {.iov = iov, .iov_max = 4};
    struct hq q;

    setup(&q, 8, false);
    put(&q, 0, UINT64_MAX - 3, 16, 0, 0);
    ASSERT_EQ(vq_pop(q.h.vq, &e), -EIO);
    ASSERT(vq_is_broken(q.h.vq));
    vq_stop(q.h.vq);
    put(&q, 0, data(&q, 0), 16, 3, 0);
    ASSERT_OK(vq_start(q.h.vq, q.h.dev_gm));
    ASSERT(!vq_is_broken(q.h.vq));
    ASSERT_EQ(vq_pop(q.h.vq, &e), 1);
    ASSERT_EQ(e.id, 3);
    ASSERT_EQ(e.out_bytes, 16);
    vq_elem_release(&e);
    vqh_destroy(&q.h);
    vhostfs_log_set_sink(NULL, NULL);
}

/* A hostile device: used ids that are not out, or out of range. */
TEST(driver_bad_used_id)
{
    struct vq_buf b;
    struct hq q;
    uint32_t len;
    void *tok;

    setup(&q, 8, false);
    b = (struct vq_buf){data(&q, 0), 8};
    ASSERT_OK(vq_driver_add(q.h.drv, &b, 1, NULL, 0, false, (void *)1));
    vq_driver_kick(q.h.drv);
    /* Used descriptor for id 5 (never given) in the first lap. */
    q.ring[0].id = 5;
    __atomic_store_n(&q.ring[0].flags, (uint16_t)(F_AVAIL | F_USED),
                     __ATOMIC_RELEASE);
    ASSERT_EQ(vq_driver_get_used(q.h.drv, &len, &tok), -EIO);
    q.ring[0].id = 0xffff;
    ASSERT_EQ(vq_driver_get_used(q.h.drv, &len, &tok), -EIO);
    /* The real one is still out and can be completed. */
    q.ring[0].id = 0;
    q.ring[0].len = 0;
    ASSERT_EQ(vq_driver_get_used(q.h.drv, &len, &tok), 1);
    ASSERT_EQ((uintptr_t)tok, 1);
    ASSERT_EQ(vq_driver_num_free(q.h.drv), 8);
    vqh_destroy(&q.h);
    vhostfs_log_set_sink(NULL, NULL);
}

TEST_MAIN(T(chain_loop), T(chain_longer_than_room), T(indirect_nested),
          T(indirect_len_not_multiple_of_16), T(indirect_len_zero),
          T(indirect_too_long), T(indirect_with_next), T(indirect_in_chain),
          T(indirect_not_negotiated), T(indirect_table_outside_memory),
          T(indirect_table_across_regions), T(desc_outside_memory),
          T(desc_past_end_of_memory), T(addr_len_overflow),
          T(indirect_entry_overflow), T(buffer_id_out_of_range),
          T(readable_after_writable), T(indirect_readable_after_writable),
          T(too_many_iovecs), T(restart_clears_broken), T(driver_bad_used_id))
