/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-client-replies.c - vhostfs-client's guest FUSE driver (fuse.c)
 * against a device that answers whatever a case wants: well-formed
 * replies go through, and every broken rule (used length, unique, header
 * length, error field, body on an error, writes into a chain with nothing
 * writable, unknown used ids, silence, a hang-up) is refused, never
 * trusted.  The device is the project's own device side of the rings,
 * run inline by the test between submit and wait.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "client/vfc.h"
#include "test.h"
#include "vq.h"

#define UADDR 0x7e0000000000ull

struct rig {
    struct vfc_opts opts;
    struct vfc_vmm v;
    struct vq *dev[VFC_NUM_QUEUES];
    int peer; /* the backend's end of the socket */
};

static void rig_init(struct rig *g, enum vq_layout layout)
{
    struct vhu_mem_region reg = {.memory_size = VFC_MEM_SIZE,
                                 .userspace_addr = UADDR};
    struct gmem_region_info info;
    int memfd, sv[2];
    unsigned int i;

    memset(g, 0, sizeof(*g));
    g->opts.socket_path = "test";
    g->opts.layout = layout;
    g->opts.timeout_ms = 1000;
    g->v.opts = &g->opts;
    g->v.heap_next = g->v.heap_floor = VFC_HEAP_START;
    memfd = test_memfd("guest", VFC_MEM_SIZE);
    ASSERT_GE(memfd, 0);
    ASSERT_OK(gmem_new(&g->v.gm));
    ASSERT_OK(gmem_set_table(g->v.gm, &reg, &memfd, 1));
    g->v.mem = gmem_get(g->v.gm);
    ASSERT_OK(gmem_table_region(g->v.mem, 0, &info));
    g->v.host = info.host;
    ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    ASSERT_OK(vhu_frontend_new(&g->v.fe, sv[0], VFC_NUM_QUEUES));
    g->peer = sv[1];
    g->v.indirect = true;
    for (i = 0; i < VFC_NUM_QUEUES; i++) {
        struct vfc_queue *q = &g->v.q[i];
        struct vq_driver_config cfg = {
            .layout = layout,
            .num = VFC_RING_SIZE,
            .ring_gpa = 0x10000ull * i,
            .event_idx = true,
            .indirect_gpa = 0x20000ull + VFC_RING_SIZE * 1024ull * i,
        };
        struct vhost_vring_addr addr;
        uint64_t f = (1ull << VIRTIO_F_VERSION_1) |
                     (1ull << VIRTIO_RING_F_EVENT_IDX) |
                     (1ull << VIRTIO_RING_F_INDIRECT_DESC);

        q->kick_fd = cfg.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        q->call_fd = cfg.call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ASSERT_OK(vq_driver_new(&q->drv, &cfg, g->v.mem));
        vq_driver_vring_addr(q->drv, i, &addr);
        if (layout == VQ_LAYOUT_PACKED) {
            f |= 1ull << VIRTIO_F_RING_PACKED;
        }
        ASSERT_OK(vq_new(&g->dev[i], i));
        ASSERT_OK(vq_set_features(g->dev[i], f));
        ASSERT_OK(vq_set_num(g->dev[i], VFC_RING_SIZE));
        ASSERT_OK(vq_set_addr(g->dev[i], &addr));
        ASSERT_OK(vq_set_base(
            g->dev[i], layout == VQ_LAYOUT_PACKED ? VHU_VRING_BASE_WRAP : 0));
        vq_set_kick_fd(g->dev[i], dup(q->kick_fd));
        vq_set_call_fd(g->dev[i], dup(q->call_fd));
        ASSERT_OK(vq_start(g->dev[i], g->v.gm));
    }
}

/*
 * The device takes the next chain of queue @qi, writes @n bytes of
 * @reply into its writable part and hands it back saying @len.
 */
static void dev_answer(struct rig *g, unsigned int qi, const void *reply,
                       size_t n, uint32_t len)
{
    struct iovec iov[8];
    struct vq_elem e = {.iov = iov, .iov_max = 8};
    const uint8_t *p = reply;
    unsigned int k;

    ASSERT_EQ(vq_pop(g->dev[qi], &e), 1);
    for (k = e.out_num; k < e.out_num + e.in_num && n; k++) {
        size_t c = n < iov[k].iov_len ? n : iov[k].iov_len;

        memcpy(iov[k].iov_base, p, c);
        p += c;
        n -= c;
    }
    ASSERT_EQ(n, 0);
    vq_push(g->dev[qi], &e, len);
    vq_flush(g->dev[qi]);
    vq_notify(g->dev[qi]);
}

/* A GETATTR asking for a fuse_attr_out. */
struct getattr {
    struct fuse_getattr_in in;
    struct fuse_attr_out out;
    struct vfc_req r;
};

static void getattr_init(struct getattr *ga)
{
    memset(ga, 0, sizeof(*ga));
    ga->r.opcode = FUSE_GETATTR;
    ga->r.nodeid = FUSE_ROOT_ID;
    ga->r.arg[0] = &ga->in;
    ga->r.arg_len[0] = sizeof(ga->in);
    ga->r.nargs = 1;
    ga->r.out = &ga->out;
    ga->r.out_size = sizeof(ga->out);
}

/* A reply: header, then a fuse_attr_out body of @body bytes. */
struct reply {
    struct fuse_out_header oh;
    struct fuse_attr_out ao;
};

static size_t reply_fill(struct reply *rp, uint64_t unique, int error,
                         uint32_t body)
{
    memset(rp, 0, sizeof(*rp));
    rp->oh.len = (uint32_t)sizeof(rp->oh) + body;
    rp->oh.error = error;
    rp->oh.unique = unique;
    rp->ao.attr.ino = 4242;
    return sizeof(rp->oh) + body;
}

/* Submit a GETATTR, let the device answer @rp (@n bytes, @len used),
 * and return what vfc_fuse_wait() says. */
static int exchange(struct rig *g, struct getattr *ga, struct reply *rp,
                    size_t n, uint32_t len)
{
    ASSERT_OK(vfc_fuse_submit(&g->v, &ga->r));
    if (rp->oh.unique == 0) {
        rp->oh.unique = ga->r.priv_unique;
    }
    dev_answer(g, VFC_QUEUE_REQUEST, rp, n, len);
    return vfc_fuse_wait(&g->v, &ga->r);
}

static void good_reply(enum vq_layout layout)
{
    struct rig g;
    struct getattr ga;
    struct reply rp;
    size_t n;

    rig_init(&g, layout);
    getattr_init(&ga);
    n = reply_fill(&rp, 0, 0, sizeof(rp.ao));
    ASSERT_EQ(exchange(&g, &ga, &rp, n, (uint32_t)n), 0);
    ASSERT(ga.r.replied);
    ASSERT_EQ(ga.r.error, 0);
    ASSERT_EQ(ga.r.out_len, sizeof(ga.out));
    ASSERT_EQ(ga.out.attr.ino, 4242);
    /* Nothing out: the heap is empty again. */
    ASSERT_EQ(g.v.heap_next, VFC_HEAP_START);
}

TEST(good_reply_split)
{
    good_reply(VQ_LAYOUT_SPLIT);
}

TEST(good_reply_packed)
{
    good_reply(VQ_LAYOUT_PACKED);
}

TEST(error_reply)
{
    struct rig g;
    struct getattr ga;
    struct reply rp;
    size_t n;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&ga);
    n = reply_fill(&rp, 0, -ENOENT, 0);
    ASSERT_EQ(exchange(&g, &ga, &rp, n, (uint32_t)n), 0);
    ASSERT_EQ(ga.r.error, -ENOENT);
    ASSERT_EQ(ga.r.out_len, 0);
}

/* One broken reply per case: each must give -EPROTO. */
static void broken(int error, uint32_t body, int64_t hdr_len, int64_t used,
                   uint64_t unique)
{
    struct rig g;
    struct getattr ga;
    struct reply rp;
    size_t n;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&ga);
    n = reply_fill(&rp, unique, error, body);
    if (hdr_len >= 0) {
        rp.oh.len = (uint32_t)hdr_len;
    }
    ASSERT_EQ(
        exchange(&g, &ga, &rp, n, used >= 0 ? (uint32_t)used : (uint32_t)n),
        -EPROTO);
    ASSERT(vfc_fuse_why[0] != '\0');
}

TEST(used_length_over_offered)
{
    broken(0, sizeof(struct fuse_attr_out), -1, sizeof(struct reply) + 1, 0);
}

TEST(used_length_below_header)
{
    broken(0, 0, -1, 8, 0);
}

TEST(empty_chain_when_a_reply_is_due)
{
    broken(0, 0, -1, 0, 0);
}

TEST(wrong_unique)
{
    broken(0, sizeof(struct fuse_attr_out), -1, -1, 12345678);
}

TEST(header_length_not_used_length)
{
    broken(0, sizeof(struct fuse_attr_out), 16 + 50, -1, 0);
}

TEST(positive_error)
{
    broken(5, 0, -1, -1, 0);
}

TEST(error_beyond_errno)
{
    broken(-5000, 0, -1, -1, 0);
}

TEST(error_with_a_body)
{
    broken(-EIO, sizeof(struct fuse_attr_out), -1, -1, 0);
}

TEST(write_into_a_chain_with_nothing_writable)
{
    struct rig g;
    struct fuse_forget_in fi = {.nlookup = 1};
    struct vfc_req r = {.opcode = FUSE_FORGET,
                        .nodeid = 2,
                        .hiprio = true,
                        .no_reply = true,
                        .arg = {&fi},
                        .arg_len = {sizeof(fi)},
                        .nargs = 1};

    rig_init(&g, VQ_LAYOUT_SPLIT);
    ASSERT_OK(vfc_fuse_submit(&g.v, &r));
    dev_answer(&g, VFC_QUEUE_HIPRIO, NULL, 0, 16);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &r), -EPROTO);
    /* Handed back with nothing written: fine. */
    ASSERT_OK(vfc_fuse_submit(&g.v, &r));
    dev_answer(&g, VFC_QUEUE_HIPRIO, NULL, 0, 0);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &r), 0);
    ASSERT(!r.replied);
}

TEST(optional_reply)
{
    struct rig g;
    struct getattr ga;

    rig_init(&g, VQ_LAYOUT_PACKED);
    getattr_init(&ga);
    ga.r.reply_optional = true;
    ASSERT_OK(vfc_fuse_submit(&g.v, &ga.r));
    dev_answer(&g, VFC_QUEUE_REQUEST, NULL, 0, 0);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &ga.r), 0);
    ASSERT(!ga.r.replied);
}

/* Two requests out, answered in the other order: each gets its own. */
TEST(answers_out_of_order)
{
    struct rig g;
    struct getattr a, b;
    struct reply rp;
    struct iovec iov[2][8];
    struct vq_elem e[2] = {{.iov = iov[0], .iov_max = 8},
                           {.iov = iov[1], .iov_max = 8}};
    size_t n;
    int k;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&a);
    getattr_init(&b);
    ASSERT_OK(vfc_fuse_submit(&g.v, &a.r));
    ASSERT_OK(vfc_fuse_submit(&g.v, &b.r));
    ASSERT_EQ(vq_pop(g.dev[1], &e[0]), 1);
    ASSERT_EQ(vq_pop(g.dev[1], &e[1]), 1);
    for (k = 1; k >= 0; k--) {
        n = reply_fill(&rp, k ? b.r.priv_unique : a.r.priv_unique, 0,
                       sizeof(rp.ao));
        rp.ao.attr.ino = 100 + (uint64_t)k;
        memcpy(iov[k][e[k].out_num].iov_base, &rp.oh, sizeof(rp.oh));
        memcpy(iov[k][e[k].out_num + 1].iov_base, &rp.ao, sizeof(rp.ao));
        vq_push(g.dev[1], &e[k], (uint32_t)n);
    }
    vq_flush(g.dev[1]);
    vq_notify(g.dev[1]);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &a.r), 0);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &b.r), 0);
    ASSERT_EQ(a.out.attr.ino, 100);
    ASSERT_EQ(b.out.attr.ino, 101);
}

/* Silence: a timeout; the late answer is dropped and its guest buffers
 * are never handed to another request. */
TEST(silence_then_a_late_answer)
{
    struct rig g;
    struct getattr a, b;
    struct reply rp;
    uint64_t late;
    size_t n;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&a);
    getattr_init(&b);
    ASSERT_OK(vfc_fuse_submit(&g.v, &a.r));
    late = a.r.priv_unique;
    ASSERT_EQ(vfc_fuse_wait(&g.v, &a.r), -ETIMEDOUT);
    ASSERT_GT(g.v.heap_floor, VFC_HEAP_START);
    n = reply_fill(&rp, late, 0, sizeof(rp.ao));
    dev_answer(&g, VFC_QUEUE_REQUEST, &rp, n, (uint32_t)n);
    n = reply_fill(&rp, 0, 0, sizeof(rp.ao));
    ASSERT_EQ(exchange(&g, &b, &rp, n, (uint32_t)n), 0);
    ASSERT_EQ(b.out.attr.ino, 4242);
}

TEST(hang_up)
{
    struct rig g;
    struct getattr ga;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&ga);
    ASSERT_OK(vfc_fuse_submit(&g.v, &ga.r));
    close(g.peer);
    ASSERT_EQ(vfc_fuse_wait(&g.v, &ga.r), -ECONNRESET);
    ASSERT(g.v.gone);
    ASSERT_EQ(vfc_fuse_submit(&g.v, &ga.r), -ECONNRESET);
}

/* A used id that is not out (split ring written by hand). */
TEST(used_id_not_out)
{
    struct rig g;
    struct getattr ga;
    struct vq_driver_raw raw;
    struct vring_used *used;
    uint64_t one = 1;

    rig_init(&g, VQ_LAYOUT_SPLIT);
    getattr_init(&ga);
    ASSERT_OK(vfc_fuse_submit(&g.v, &ga.r));
    vq_driver_raw(g.v.q[1].drv, &raw);
    used = raw.device_area;
    used->ring[0].id = 77;
    used->ring[0].len = 16;
    __atomic_store_n(&used->idx, 1, __ATOMIC_RELEASE);
    ASSERT_EQ(write(g.v.q[1].call_fd, &one, sizeof(one)), sizeof(one));
    ASSERT_EQ(vfc_fuse_wait(&g.v, &ga.r), -EPROTO);
}

TEST_MAIN(T(good_reply_split), T(good_reply_packed), T(error_reply),
          T(used_length_over_offered), T(used_length_below_header),
          T(empty_chain_when_a_reply_is_due), T(wrong_unique),
          T(header_length_not_used_length), T(positive_error),
          T(error_beyond_errno), T(error_with_a_body),
          T(write_into_a_chain_with_nothing_writable), T(optional_reply),
          T(answers_out_of_order), T(silence_then_a_late_answer), T(hang_up),
          T(used_id_not_out))
