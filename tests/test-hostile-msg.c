/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-hostile-msg.c - what a correct frontend never says, said to the
 * backend over a real socket.
 *
 * Each case negotiates (REPLY_ACK on), then drives the backend in this
 * thread: a raw message goes out, vhu_backend_handle_one() takes it, and
 * the answer is read back.  Each checks that an error came back, that no
 * fd was left open (counted after the pair is set up and again after the
 * exchange), and that the backend still answers GET_FEATURES - or, for a
 * framing error, that the connection is marked broken and nothing crashed.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dummy-backend.h"
#include "test.h"
#include "vhu-backend.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend.h"

static void setup(struct dummy_pair *p)
{
    ASSERT_OK(dummy_pair_open(p, test_sock_path("sock")));
    ASSERT_OK(dummy_pair_negotiate(p, ~0ull));
}

/* Send a message as given, let the backend handle it; its return. */
static int exchange(struct dummy_pair *p, uint32_t request, uint32_t flags,
                    const void *payload, uint32_t size, const int *fds,
                    unsigned int nfds)
{
    struct vhu_msg_hdr h = {
        .request = request,
        .flags = flags | VHU_VERSION,
        .size = size,
    };

    ASSERT_OK(vhu_fe_send_raw(p->fe, &h, payload, fds, nfds, NULL));
    return vhu_backend_handle_one(p->be);
}

/* Whether the backend left anything to read (it writes before returning). */
static bool reply_waiting(struct dummy_pair *p)
{
    struct pollfd pfd = {.fd = vhu_frontend_fd(p->fe), .events = POLLIN};

    return poll(&pfd, 1, 0) == 1;
}

static void read_reply(struct dummy_pair *p, struct vhu_msg *r)
{
    int fds[VHU_MAX_FDS];
    unsigned int n;

    ASSERT(reply_waiting(p));
    ASSERT_OK(vhu_recv(vhu_frontend_fd(p->fe), r, fds, &n));
    ASSERT_EQ(n, 0);
    ASSERT(r->hdr.flags & VHU_FLAG_REPLY);
}

/* An ack saying "failed" to @request, and nothing else. */
static void expect_error_ack(struct dummy_pair *p, uint32_t request)
{
    struct vhu_msg r;

    read_reply(p, &r);
    ASSERT_EQ(r.hdr.request, request);
    ASSERT_EQ(r.hdr.size, 8);
    ASSERT_NE(r.p.u64, 0);
    ASSERT(!reply_waiting(p));
}

/* A reply of size 0: a request with its own reply that failed. */
static void expect_empty_reply(struct dummy_pair *p, uint32_t request)
{
    struct vhu_msg r;

    read_reply(p, &r);
    ASSERT_EQ(r.hdr.request, request);
    ASSERT_EQ(r.hdr.size, 0);
    ASSERT(!reply_waiting(p));
}

static void expect_alive(struct dummy_pair *p)
{
    struct vhu_msg r;

    ASSERT(!vhu_backend_is_broken(p->be));
    ASSERT_EQ(exchange(p, VHU_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0), 0);
    read_reply(p, &r);
    ASSERT_EQ(r.hdr.request, VHU_REQ_GET_FEATURES);
    ASSERT_EQ(r.hdr.size, 8);
    ASSERT_EQ(r.p.u64, DUMMY_FEATURES);
}

/* A framing error: the stream is dropped, and stays dropped. */
static void expect_broken(struct dummy_pair *p, int rc)
{
    ASSERT(rc < 0);
    ASSERT(vhu_backend_is_broken(p->be));
    ASSERT_ERR_KIND(vhu_backend_handle_one(p->be), VHU_E_SOCKET_BROKEN);
}

/* Raw bytes on the frontend's socket, then its write side shut. */
static void write_and_shut(struct dummy_pair *p, const void *buf, size_t len)
{
    int fd = vhu_frontend_fd(p->fe);

    ASSERT_EQ(write(fd, buf, len), (ssize_t)len);
    ASSERT_EQ(shutdown(fd, SHUT_WR), 0);
}

TEST(truncated_header)
{
    struct dummy_pair p;
    struct vhu_msg_hdr h = {VHU_REQ_GET_FEATURES, VHU_VERSION, 0};
    int nfds, rc;

    setup(&p);
    nfds = test_count_fds();
    write_and_shut(&p, &h, 6);
    rc = vhu_backend_handle_one(p.be);
    ASSERT_ERR_KIND(rc, VHU_E_PARTIAL_MESSAGE);
    expect_broken(&p, rc);
    ASSERT_EQ(test_count_fds(), nfds);
    dummy_pair_close(&p);
}

TEST(size_larger_than_payload)
{
    struct dummy_pair p;
    struct {
        struct vhu_msg_hdr h;
        uint64_t v;
    } __attribute__((packed)) m = {{VHU_REQ_SET_FEATURES, VHU_VERSION, 64}, 1};
    int nfds, rc;

    setup(&p);
    nfds = test_count_fds();
    write_and_shut(&p, &m, sizeof(m));
    rc = vhu_backend_handle_one(p.be);
    ASSERT_ERR_KIND(rc, VHU_E_PARTIAL_MESSAGE);
    expect_broken(&p, rc);
    ASSERT_EQ(p.dev.acked_features, DUMMY_FEATURES & ~1ull);
    ASSERT_EQ(test_count_fds(), nfds);
    dummy_pair_close(&p);
}

TEST(size_1gib)
{
    struct dummy_pair p;
    int nfds, rc;

    setup(&p);
    nfds = test_count_fds();
    rc = exchange(&p, VHU_REQ_SET_FEATURES, 0, NULL, 1u << 30, NULL, 0);
    ASSERT_ERR_KIND(rc, VHU_E_OVERSIZED_MSG);
    expect_broken(&p, rc);
    ASSERT(!reply_waiting(&p));
    ASSERT_EQ(test_count_fds(), nfds);
    dummy_pair_close(&p);
}

TEST(wrong_size_for_type)
{
    struct dummy_pair p;
    uint64_t v[2] = {1, 2};
    int nfds;

    setup(&p);
    nfds = test_count_fds();
    /* SET_FEATURES takes exactly 8 bytes. */
    ASSERT_ERR_KIND(
        exchange(&p, VHU_REQ_SET_FEATURES, VHU_FLAG_NEED_REPLY, v, 4, NULL, 0),
        VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, VHU_REQ_SET_FEATURES);
    ASSERT_ERR_KIND(
        exchange(&p, VHU_REQ_SET_FEATURES, VHU_FLAG_NEED_REPLY, v, 16, NULL, 0),
        VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, VHU_REQ_SET_FEATURES);
    /* A request with its own reply gets an empty one. */
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_GET_VRING_BASE, 0, v, 4, NULL, 0),
                    VHU_E_INVALID_MESSAGE);
    expect_empty_reply(&p, VHU_REQ_GET_VRING_BASE);
    ASSERT_EQ(p.dev.acked_features, DUMMY_FEATURES & ~1ull);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(unknown_request_code)
{
    struct dummy_pair p;
    uint64_t v = 0;
    int nfds;

    setup(&p);
    nfds = test_count_fds();
    ASSERT_ERR_KIND(
        exchange(&p, 200, VHU_FLAG_NEED_REPLY, &v, sizeof(v), NULL, 0),
        VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, 200);
    ASSERT_ERR_KIND(
        exchange(&p, VHU_REQ_NONE, VHU_FLAG_NEED_REPLY, NULL, 0, NULL, 0),
        VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, VHU_REQ_NONE);
    /* Known to the spec, served by no op: refused the same way. */
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_IOTLB_MSG, VHU_FLAG_NEED_REPLY,
                             &(struct vhost_iotlb_msg){
                                 .iova = 0x1000,
                                 .size = 0x1000,
                                 .type = VHOST_IOTLB_INVALIDATE,
                             },
                             sizeof(struct vhost_iotlb_msg), NULL, 0),
                    VHU_E_REQ_HANDLER);
    expect_error_ack(&p, VHU_REQ_IOTLB_MSG);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

/*
 * Requests whose reply is a u64 result (IOTLB_MSG, POSTCOPY_END) get one
 * whatever the flags and REPLY_ACK: QEMU waits for it.  A failure is a
 * nonzero u64, never an empty reply a frontend could read as 0.
 */
TEST(result_replies_always_come)
{
    struct vhost_iotlb_msg io = {
        .iova = 0x1000,
        .size = 0x1000,
        .type = VHOST_IOTLB_INVALIDATE,
    };
    struct dummy_pair p;
    int nfds;

    ASSERT_OK(dummy_pair_open(&p, test_sock_path("sock")));
    ASSERT_OK(dummy_pair_negotiate(&p, ~VHU_PF_BIT(VHU_PF_REPLY_ACK)));
    nfds = test_count_fds();
    ASSERT_ERR_KIND(
        exchange(&p, VHU_REQ_IOTLB_MSG, 0, &io, sizeof(io), NULL, 0),
        VHU_E_REQ_HANDLER);
    expect_error_ack(&p, VHU_REQ_IOTLB_MSG);
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_IOTLB_MSG, VHU_FLAG_NEED_REPLY, &io,
                             sizeof(io), NULL, 0),
                    VHU_E_REQ_HANDLER);
    expect_error_ack(&p, VHU_REQ_IOTLB_MSG);
    /* PAGEFAULT is never negotiated. */
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_POSTCOPY_END, VHU_FLAG_NEED_REPLY,
                             NULL, 0, NULL, 0),
                    VHU_E_INVALID_OPERATION);
    expect_error_ack(&p, VHU_REQ_POSTCOPY_END);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(bad_header_flags)
{
    struct dummy_pair p;
    int nfds;

    setup(&p);
    nfds = test_count_fds();
    /* A request claiming to be a reply, and an unknown flag bit. */
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_OWNER,
                             VHU_FLAG_REPLY | VHU_FLAG_NEED_REPLY, NULL, 0,
                             NULL, 0),
                    VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, VHU_REQ_SET_OWNER);
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_OWNER,
                             (1u << 7) | VHU_FLAG_NEED_REPLY, NULL, 0, NULL, 0),
                    VHU_E_INVALID_MESSAGE);
    expect_error_ack(&p, VHU_REQ_SET_OWNER);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

/* Nine fds: one more than SCM_RIGHTS may carry in vhost-user. */
TEST(nine_fds)
{
    struct dummy_pair p;
    struct vhu_msg_hdr h = {VHU_REQ_SET_VRING_CALL,
                            VHU_VERSION | VHU_FLAG_NEED_REPLY, 8};
    uint64_t v = 0;
    struct iovec iov[2] = {{&h, sizeof(h)}, {&v, sizeof(v)}};
    union {
        char buf[CMSG_SPACE(9 * sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct msghdr mh = {.msg_iov = iov,
                        .msg_iovlen = 2,
                        .msg_control = cbuf.buf,
                        .msg_controllen = sizeof(cbuf.buf)};
    struct cmsghdr *cm;
    int fds[9], nfds, i;

    setup(&p);
    nfds = test_count_fds();
    for (i = 0; i < 9; i++) {
        fds[i] = test_eventfd();
    }
    memset(&cbuf, 0, sizeof(cbuf));
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cm), fds, sizeof(fds));
    ASSERT_EQ(sendmsg(vhu_frontend_fd(p.fe), &mh, 0),
              (ssize_t)(sizeof(h) + sizeof(v)));
    ASSERT_ERR_KIND(vhu_backend_handle_one(p.be), VHU_E_INCORRECT_FDS);
    expect_error_ack(&p, VHU_REQ_SET_VRING_CALL);
    ASSERT_EQ(p.dev.vring[0].call_fd, -1);
    for (i = 0; i < 9; i++) {
        close(fds[i]);
    }
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(fds_on_message_without_fds)
{
    struct dummy_pair p;
    uint64_t v = DUMMY_FEATURES & ~1ull;
    int efd[2], nfds;

    setup(&p);
    nfds = test_count_fds();
    efd[0] = test_eventfd();
    efd[1] = test_eventfd();
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_FEATURES, VHU_FLAG_NEED_REPLY, &v,
                             sizeof(v), efd, 1),
                    VHU_E_INCORRECT_FDS);
    expect_error_ack(&p, VHU_REQ_SET_FEATURES);
    /* NOFD bit set, and an fd anyway. */
    v = VHU_VRING_NOFD_MASK;
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_VRING_KICK, VHU_FLAG_NEED_REPLY,
                             &v, sizeof(v), efd, 1),
                    VHU_E_INCORRECT_FDS);
    expect_error_ack(&p, VHU_REQ_SET_VRING_KICK);
    /* A reply-type request with fds attached. */
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_GET_QUEUE_NUM, 0, NULL, 0, efd, 2),
                    VHU_E_INCORRECT_FDS);
    expect_empty_reply(&p, VHU_REQ_GET_QUEUE_NUM);
    ASSERT_EQ(p.dev.vring[0].kick_fd, -1);
    close(efd[0]);
    close(efd[1]);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(queue_index_out_of_range)
{
    struct dummy_pair p;
    struct vhost_vring_state s = {.index = DUMMY_QUEUES, .num = 256};
    uint64_t v = 200;
    int efd, nfds;

    setup(&p);
    nfds = test_count_fds();
    efd = test_eventfd();
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_VRING_NUM, VHU_FLAG_NEED_REPLY, &s,
                             sizeof(s), NULL, 0),
                    VHU_E_INVALID_PARAM);
    expect_error_ack(&p, VHU_REQ_SET_VRING_NUM);
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_VRING_CALL, VHU_FLAG_NEED_REPLY,
                             &v, sizeof(v), &efd, 1),
                    VHU_E_INVALID_PARAM);
    expect_error_ack(&p, VHU_REQ_SET_VRING_CALL);
    s.index = 0xffffffffu;
    ASSERT_ERR_KIND(
        exchange(&p, VHU_REQ_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0),
        VHU_E_INVALID_PARAM);
    expect_empty_reply(&p, VHU_REQ_GET_VRING_BASE);
    close(efd);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(bad_ring_sizes)
{
    static const uint32_t bad[] = {0, 3, 65536};
    struct dummy_pair p;
    struct vhost_vring_state s = {.index = 0};
    unsigned int i;
    int nfds;

    setup(&p);
    nfds = test_count_fds();
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.num = bad[i];
        ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_VRING_NUM, VHU_FLAG_NEED_REPLY,
                                 &s, sizeof(s), NULL, 0),
                        VHU_E_INVALID_PARAM);
        expect_error_ack(&p, VHU_REQ_SET_VRING_NUM);
        ASSERT_EQ(p.dev.vring[0].num, 0);
    }
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(overlapping_regions)
{
    struct dummy_pair p;
    struct vhu_mem_table t = {.nregions = 2};
    int fds[2], nfds;

    setup(&p);
    nfds = test_count_fds();
    fds[0] = test_memfd("a", 0x2000);
    fds[1] = test_memfd("b", 0x2000);
    t.regions[0] = (struct vhu_mem_region){0x10000, 0x2000, 0x7f0000000000, 0};
    t.regions[1] = (struct vhu_mem_region){0x11000, 0x2000, 0x7f0000100000, 0};
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_MEM_TABLE, VHU_FLAG_NEED_REPLY, &t,
                             VHU_MEM_TABLE_SIZE(2), fds, 2),
                    VHU_E_INVALID_PARAM);
    expect_error_ack(&p, VHU_REQ_SET_MEM_TABLE);
    ASSERT_EQ(p.dev.nregions, 0);
    close(fds[0]);
    close(fds[1]);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST(overflowing_region)
{
    struct dummy_pair p;
    struct vhu_mem_table t = {.nregions = 1};
    struct vhu_mem_single one = {0};
    int fd, nfds;

    setup(&p);
    nfds = test_count_fds();
    fd = test_memfd("a", 0x2000);
    t.regions[0] = (struct vhu_mem_region){0xfffffffffffff000ull, 0x2000, 0, 0};
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_SET_MEM_TABLE, VHU_FLAG_NEED_REPLY, &t,
                             VHU_MEM_TABLE_SIZE(1), &fd, 1),
                    VHU_E_INVALID_PARAM);
    expect_error_ack(&p, VHU_REQ_SET_MEM_TABLE);
    /* The same through ADD_MEM_REG, with a wrapping mmap offset. */
    one.region = (struct vhu_mem_region){0, 0x2000, 0, ~0ull};
    ASSERT_ERR_KIND(exchange(&p, VHU_REQ_ADD_MEM_REG, VHU_FLAG_NEED_REPLY, &one,
                             sizeof(one), &fd, 1),
                    VHU_E_INVALID_PARAM);
    expect_error_ack(&p, VHU_REQ_ADD_MEM_REG);
    ASSERT_EQ(p.dev.nregions, 0);
    close(fd);
    ASSERT_EQ(test_count_fds(), nfds);
    expect_alive(&p);
    dummy_pair_close(&p);
}

TEST_MAIN(T(truncated_header), T(size_larger_than_payload), T(size_1gib),
          T(wrong_size_for_type), T(unknown_request_code),
          T(result_replies_always_come), T(bad_header_flags), T(nine_fds),
          T(fds_on_message_without_fds), T(queue_index_out_of_range),
          T(bad_ring_sizes), T(overlapping_regions), T(overflowing_region))
