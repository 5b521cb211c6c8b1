/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-conn.c - vhost-user connections (vhu-conn.h): listening, framing,
 * fd passing, and what a misbehaving peer gets.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "vhu-conn.h"
#include "vhu-error.h"

static void pair(int sv[2])
{
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send @len bytes with @nfds fds in one sendmsg, bypassing vhu_send(). */
static void raw_send(int fd, const void *buf, size_t len, const int *fds,
                     unsigned int nfds)
{
    union {
        char buf[CMSG_SPACE(16 * sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    ASSERT_LE(nfds, 16);
    if (nfds) {
        struct cmsghdr *cm;

        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }
    ASSERT_EQ(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static void raw_hdr(int fd, uint32_t req, uint32_t size, const int *fds,
                    unsigned int nfds)
{
    struct vhu_msg_hdr h = {.request = req, .flags = VHU_VERSION, .size = size};

    raw_send(fd, &h, sizeof(h), fds, nfds);
}

/* The eventfd @a and @b are the same object: what goes in one comes out
 * of the other. */
static void assert_same_eventfd(int a, int b, uint64_t v)
{
    uint64_t got = 0;

    ASSERT_EQ(write(a, &v, sizeof(v)), (ssize_t)sizeof(v));
    ASSERT_EQ(read(b, &got, sizeof(got)), (ssize_t)sizeof(got));
    ASSERT_EQ(got, v);
}

/* Nothing is waiting on @fd. */
static void assert_empty(int fd)
{
    char c;

    ASSERT_EQ(recv(fd, &c, 1, MSG_DONTWAIT), -1);
    ASSERT_EQ(errno, EAGAIN);
}

TEST(listen_connect_accept)
{
    const char *path = test_sock_path("s");
    int lfd, c, s, before = test_count_fds();
    struct stat st;

    ASSERT_OK(vhu_listen(path, &lfd));
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT(S_ISSOCK(st.st_mode));
    ASSERT(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
    ASSERT_OK(vhu_connect(path, &c));
    ASSERT_OK(vhu_accept(lfd, &s));
    ASSERT(fcntl(c, F_GETFD) & FD_CLOEXEC);
    ASSERT(fcntl(s, F_GETFD) & FD_CLOEXEC);
    ASSERT_EQ(test_count_fds(), before + 3);

    /* The two ends talk to each other. */
    ASSERT_OK(vhu_send(c, VHU_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0));
    {
        struct vhu_msg m;
        int fds[VHU_MAX_FDS];
        unsigned int n = 99;

        ASSERT_OK(vhu_recv(s, &m, fds, &n));
        ASSERT_EQ(m.hdr.request, VHU_REQ_GET_FEATURES);
        ASSERT_EQ(n, 0);
    }
    close(c);
    close(s);
    close(lfd);
    ASSERT_EQ(test_count_fds(), before);
}

static void round_trip(unsigned int nfds)
{
    int sv[2], orig[VHU_MAX_FDS], fds[VHU_MAX_FDS];
    struct vhu_msg m;
    uint64_t payload[3] = {1, 0x1122334455667788ull, ~0ull};
    unsigned int n = 99, i;
    int before;

    pair(sv);
    for (i = 0; i < nfds; i++) {
        orig[i] = test_eventfd();
    }
    before = test_count_fds();
    ASSERT_OK(vhu_send(sv[0], VHU_REQ_SET_MEM_TABLE, VHU_FLAG_NEED_REPLY,
                       payload, sizeof(payload), orig, nfds));
    memset(&m, 0xa5, sizeof(m));
    ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
    ASSERT_EQ(m.hdr.request, VHU_REQ_SET_MEM_TABLE);
    ASSERT_EQ(m.hdr.flags, VHU_VERSION | VHU_FLAG_NEED_REPLY);
    ASSERT_EQ(m.hdr.size, sizeof(payload));
    ASSERT(!memcmp(m.p.raw, payload, sizeof(payload)));
    /* Nothing stale past the payload. */
    ASSERT_EQ(m.p.raw[sizeof(payload)], 0);
    ASSERT_EQ(m.p.raw[VHU_MAX_PAYLOAD - 1], 0);
    ASSERT_EQ(n, nfds);
    ASSERT_EQ(test_count_fds(), before + (int)nfds);
    for (i = 0; i < nfds; i++) {
        ASSERT(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
        /* In order, and each one works. */
        assert_same_eventfd(fds[i], orig[i], i + 1);
    }
    vhu_close_fds(fds, n);
    for (i = 0; i < n; i++) {
        ASSERT_EQ(fds[i], -1);
    }
    ASSERT_EQ(test_count_fds(), before);
    vhu_close_fds(orig, nfds);
    close(sv[0]);
    close(sv[1]);
}

TEST(round_trip_no_fd)
{
    round_trip(0);
}

TEST(round_trip_one_fd)
{
    round_trip(1);
}

TEST(round_trip_eight_fds)
{
    round_trip(VHU_MAX_FDS);
}

TEST(send_version_and_empty_payload)
{
    int sv[2], fds[VHU_MAX_FDS];
    unsigned int n;
    struct vhu_msg m;

    pair(sv);
    /* Version bits from the caller are replaced by version 1. */
    ASSERT_OK(vhu_send(sv[0], 77, VHU_FLAG_REPLY | 0x3, NULL, 0, NULL, 0));
    ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
    ASSERT_EQ(m.hdr.request, 77);
    ASSERT_EQ(m.hdr.flags, VHU_FLAG_REPLY | VHU_VERSION);
    ASSERT_EQ(m.hdr.size, 0);
    assert_empty(sv[1]);
    close(sv[0]);
    close(sv[1]);
}

TEST(send_refuses_bad_args)
{
    int sv[2], fds[VHU_MAX_FDS + 1], i, before;
    char big[VHU_MAX_PAYLOAD + 1] = {0};

    pair(sv);
    for (i = 0; i < (int)VHU_MAX_FDS + 1; i++) {
        fds[i] = test_eventfd();
    }
    before = test_count_fds();
    ASSERT_ERR_KIND(vhu_send(sv[0], 5, 0, NULL, 0, fds, VHU_MAX_FDS + 1),
                    VHU_E_INCORRECT_FDS);
    ASSERT_ERR_KIND(vhu_send(sv[0], 5, 0, NULL, 0, NULL, 1),
                    VHU_E_INCORRECT_FDS);
    {
        int neg[2] = {fds[0], -1};

        ASSERT_ERR_KIND(vhu_send(sv[0], 5, 0, NULL, 0, neg, 2),
                        VHU_E_INCORRECT_FDS);
    }
    ASSERT_ERR_KIND(vhu_send(sv[0], 5, 0, big, sizeof(big), NULL, 0),
                    VHU_E_OVERSIZED_MSG);
    ASSERT_ERR_KIND(vhu_send(sv[0], 5, 0, NULL, 8, NULL, 0),
                    VHU_E_INVALID_PARAM);
    /* Nothing went out, nothing leaked. */
    assert_empty(sv[1]);
    ASSERT_EQ(test_count_fds(), before);
    vhu_close_fds(fds, VHU_MAX_FDS + 1);
    close(sv[0]);
    close(sv[1]);
}

TEST(nine_fds_forced_in)
{
    int sv[2], orig[9], fds[VHU_MAX_FDS], i, before;
    unsigned int n = 99;
    struct vhu_msg m;

    pair(sv);
    for (i = 0; i < 9; i++) {
        orig[i] = test_eventfd();
    }
    before = test_count_fds();
    raw_hdr(sv[0], VHU_REQ_SET_MEM_TABLE, 0, orig, 9);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_INCORRECT_FDS);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(test_count_fds(), before);

    /* The whole message was read: the next one is received intact. */
    ASSERT_OK(vhu_send(sv[0], VHU_REQ_SET_OWNER, 0, NULL, 0, NULL, 0));
    ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
    ASSERT_EQ(m.hdr.request, VHU_REQ_SET_OWNER);
    ASSERT_EQ(n, 0);
    vhu_close_fds(orig, 9);
    close(sv[0]);
    close(sv[1]);
}

TEST(fds_after_first_chunk)
{
    int sv[2], efd, fds[VHU_MAX_FDS], before;
    unsigned int n = 99;
    uint64_t v = 7;
    struct vhu_msg m;

    pair(sv);
    efd = test_eventfd();
    before = test_count_fds();
    /*
     * The header is one chunk of exactly 12 bytes, so the header read stops
     * there; the fd rides on the payload, which is too late.
     */
    raw_hdr(sv[0], VHU_REQ_SET_FEATURES, sizeof(v), NULL, 0);
    raw_send(sv[0], &v, sizeof(v), &efd, 1);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_INCORRECT_FDS);
    ASSERT_EQ(test_count_fds(), before);
    /* Still in step. */
    ASSERT_OK(vhu_send(sv[0], VHU_REQ_SET_OWNER, 0, NULL, 0, NULL, 0));
    ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
    ASSERT_EQ(m.hdr.request, VHU_REQ_SET_OWNER);
    close(efd);
    close(sv[0]);
    close(sv[1]);
}

TEST(header_truncated_then_close)
{
    int sv[2], efd, fds[VHU_MAX_FDS], before;
    unsigned int n = 99;
    struct vhu_msg m;
    struct vhu_msg_hdr h = {.request = 1, .flags = 1, .size = 0};

    pair(sv);
    efd = test_eventfd();
    before = test_count_fds();
    raw_send(sv[0], &h, 6, &efd, 1);
    close(sv[0]);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_PARTIAL_MESSAGE);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(test_count_fds(), before - 1);
    ASSERT(vhu_err_should_reconnect(vhu_err(VHU_E_PARTIAL_MESSAGE)));
    close(efd);
    close(sv[1]);
}

TEST(payload_short_then_close)
{
    int sv[2], efd, fds[VHU_MAX_FDS], before;
    unsigned int n = 99;
    struct vhu_msg m;
    char half[50] = {0};

    pair(sv);
    efd = test_eventfd();
    before = test_count_fds();
    raw_hdr(sv[0], VHU_REQ_SET_MEM_TABLE, 100, &efd, 1);
    raw_send(sv[0], half, sizeof(half), NULL, 0);
    close(sv[0]);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_PARTIAL_MESSAGE);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(test_count_fds(), before - 1);
    close(efd);
    close(sv[1]);
}

TEST(oversized_size)
{
    int sv[2], efd, fds[VHU_MAX_FDS], before;
    unsigned int n = 99;
    struct vhu_msg m;

    pair(sv);
    efd = test_eventfd();
    before = test_count_fds();
    raw_hdr(sv[0], VHU_REQ_SET_MEM_TABLE, 1u << 30, &efd, 1);
    raw_send(sv[0], "abcd", 4, NULL, 0);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_OVERSIZED_MSG);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(test_count_fds(), before);
    /* The payload was not read. */
    {
        char buf[8];

        ASSERT_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 4);
    }
    close(efd);
    close(sv[0]);
    close(sv[1]);
}

TEST(peer_closed)
{
    int sv[2], fds[VHU_MAX_FDS], before, rc;
    unsigned int n = 99;
    struct vhu_msg m;

    pair(sv);
    before = test_count_fds();
    close(sv[0]);
    rc = vhu_recv(sv[1], &m, fds, &n);
    ASSERT_ERR_KIND(rc, VHU_E_SOCKET_BROKEN);
    ASSERT_EQ(vhu_err_errno(rc), -ECONNRESET);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(test_count_fds(), before - 1);
    /* Sending to a closed peer is an error, not a SIGPIPE. */
    ASSERT_ERR_KIND(vhu_send(sv[1], 1, 0, NULL, 0, NULL, 0),
                    VHU_E_SOCKET_BROKEN);
    close(sv[1]);
}

TEST(split_writes_reassembled)
{
    int sv[2], efd, fds[VHU_MAX_FDS];
    unsigned int n = 99, i;
    struct vhu_msg m;
    uint8_t buf[12 + 300];
    struct vhu_msg_hdr h = {
        .request = VHU_REQ_SET_CONFIG, .flags = VHU_VERSION, .size = 300};
    pid_t pid;
    int status;

    pair(sv);
    efd = test_eventfd();
    memcpy(buf, &h, sizeof(h));
    for (i = 0; i < 300; i++) {
        buf[12 + i] = (uint8_t)(i * 7);
    }
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        /* Header in 3 pieces (the fd on the first), payload byte by byte. */
        close(sv[1]);
        raw_send(sv[0], buf, 5, &efd, 1);
        usleep(1000);
        raw_send(sv[0], buf + 5, 4, NULL, 0);
        raw_send(sv[0], buf + 9, 3, NULL, 0);
        for (i = 12; i < sizeof(buf); i++) {
            raw_send(sv[0], buf + i, 1, NULL, 0);
            if (i % 50 == 0) {
                usleep(1000);
            }
        }
        _exit(0);
    }
    close(sv[0]);
    ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_EQ(status, 0);
    ASSERT_EQ(m.hdr.request, VHU_REQ_SET_CONFIG);
    ASSERT_EQ(m.hdr.size, 300);
    ASSERT(!memcmp(m.p.raw, buf + 12, 300));
    ASSERT_EQ(n, 1);
    assert_same_eventfd(fds[0], efd, 3);
    vhu_close_fds(fds, n);
    /* The child closed its end: next is a clean EOF. */
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, &n), VHU_E_SOCKET_BROKEN);
    close(efd);
    close(sv[1]);
}

TEST(listen_live_path_refused)
{
    const char *path = test_sock_path("live");
    int lfd, lfd2 = 5555, before, rc;

    ASSERT_OK(vhu_listen(path, &lfd));
    before = test_count_fds();
    rc = vhu_listen(path, &lfd2);
    ASSERT_ERR_KIND(rc, VHU_E_SOCKET_ERROR);
    ASSERT_EQ(vhu_err_errno(rc), -EADDRINUSE);
    ASSERT_EQ(lfd2, -1);
    ASSERT_EQ(test_count_fds(), before);
    /* The first listener still works. */
    {
        int c, s;

        ASSERT_OK(vhu_connect(path, &c));
        ASSERT_OK(vhu_accept(lfd, &s));
        close(c);
        close(s);
    }
    close(lfd);
}

TEST(listen_stale_path_replaced)
{
    const char *path = test_sock_path("stale");
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int old, lfd, c, s, before;

    /* A socket file whose listener is gone. */
    strcpy(sun.sun_path, path);
    old = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(old, 0);
    ASSERT_EQ(bind(old, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(old);
    ASSERT_ERR_KIND(vhu_connect(path, &c), VHU_E_SOCKET_CONNECT);

    before = test_count_fds();
    ASSERT_OK(vhu_listen(path, &lfd));
    ASSERT_EQ(test_count_fds(), before + 1);
    ASSERT_OK(vhu_connect(path, &c));
    ASSERT_OK(vhu_accept(lfd, &s));
    close(c);
    close(s);
    close(lfd);
}

TEST(listen_regular_file_refused)
{
    const char *path = test_sock_path("file");
    struct stat st;
    int f, lfd, before;

    f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(f, 0);
    ASSERT_EQ(write(f, "keep", 4), 4);
    close(f);
    before = test_count_fds();
    ASSERT_ERR_KIND(vhu_listen(path, &lfd), VHU_E_SOCKET_ERROR);
    ASSERT_EQ(lfd, -1);
    ASSERT_EQ(test_count_fds(), before);
    /* Left alone. */
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT(S_ISREG(st.st_mode));
    ASSERT_EQ(st.st_size, 4);
}

TEST(listen_path_too_long)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
    int lfd, c, before = test_count_fds();

    snprintf(path, sizeof(path), "%s/", test_tmpdir());
    memset(path + strlen(path), 'x', sizeof(path) - strlen(path) - 1);
    path[sizeof(path) - 1] = '\0';
    ASSERT_ERR_KIND(vhu_listen(path, &lfd), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_connect(path, &c), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_listen("", &lfd), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_listen(NULL, &lfd), VHU_E_INVALID_PARAM);
    ASSERT_EQ(test_count_fds(), before);
}

TEST(connect_to_nothing)
{
    int c = 5555, rc, before = test_count_fds();

    rc = vhu_connect(test_sock_path("nobody"), &c);
    ASSERT_ERR_KIND(rc, VHU_E_SOCKET_CONNECT);
    ASSERT_EQ(vhu_err_errno(rc), -ENOENT);
    ASSERT_EQ(c, -1);
    ASSERT_EQ(test_count_fds(), before);
}

TEST(recv_bad_args)
{
    int sv[2], fds[VHU_MAX_FDS];
    unsigned int n;
    struct vhu_msg m;

    pair(sv);
    ASSERT_ERR_KIND(vhu_recv(sv[1], NULL, fds, &n), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, NULL, &n), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_recv(sv[1], &m, fds, NULL), VHU_E_INVALID_PARAM);
    ASSERT_ERR_KIND(vhu_recv(-1, &m, fds, &n), VHU_E_SOCKET_ERROR);
    close(sv[0]);
    close(sv[1]);
}

TEST_MAIN(T(listen_connect_accept), T(round_trip_no_fd), T(round_trip_one_fd),
          T(round_trip_eight_fds), T(send_version_and_empty_payload),
          T(send_refuses_bad_args), T(nine_fds_forced_in),
          T(fds_after_first_chunk), T(header_truncated_then_close),
          T(payload_short_then_close), T(oversized_size), T(peer_closed),
          T(split_writes_reassembled), T(listen_live_path_refused),
          T(listen_stale_path_replaced), T(listen_regular_file_refused),
          T(listen_path_too_long), T(connect_to_nothing), T(recv_bad_args))
