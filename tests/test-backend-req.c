/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-backend-req.c - the backend request channel end to end: the
 * backend's sender (vhu_breq_*) on one end of the frontend handler's
 * socket pair, the handler served by a thread on the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "test.h"
#include "vhu-backend-req.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend-handler.h"

/* What the frontend's ops saw. */
struct seen {
    unsigned int maps, unmaps, syncs, ios, shmem_maps, shmem_unmaps;
    unsigned int config_changes, calls;
    struct vhu_fs_backend_msg fs;
    struct vhu_shmem_map shmem;
    struct stat st; /* of the fd that came with the last map */
    char data[8];   /* its first bytes, read through that fd */
    int map_result; /* what fs_map / shmem_map return */
    unsigned int last_index;
};

static void look_at_fd(struct seen *s, int fd)
{
    memset(&s->st, 0, sizeof(s->st));
    memset(s->data, 0, sizeof(s->data));
    if (fd >= 0 && fstat(fd, &s->st) == 0) {
        if (pread(fd, s->data, sizeof(s->data), 0) < 0) {
            s->data[0] = '\0';
        }
    }
}

static int fs_map(void *ctx, const struct vhu_fs_backend_msg *m, int *fd)
{
    struct seen *s = ctx;

    s->maps++;
    s->fs = *m;
    look_at_fd(s, *fd);
    return s->map_result;
}

static int fs_unmap(void *ctx, const struct vhu_fs_backend_msg *m)
{
    struct seen *s = ctx;

    s->unmaps++;
    s->fs = *m;
    return 0;
}

static int fs_sync(void *ctx, const struct vhu_fs_backend_msg *m)
{
    struct seen *s = ctx;

    s->syncs++;
    s->fs = *m;
    return 0;
}

/* Reports having moved the first entry's length. */
static int64_t fs_io(void *ctx, const struct vhu_fs_backend_msg *m, int *fd)
{
    struct seen *s = ctx;

    s->ios++;
    (void)fd;
    return (int64_t)m->len[0];
}

static int shmem_map(void *ctx, const struct vhu_shmem_map *m, int *fd)
{
    struct seen *s = ctx;

    s->shmem_maps++;
    s->shmem = *m;
    look_at_fd(s, *fd);
    return s->map_result;
}

static int shmem_unmap(void *ctx, const struct vhu_shmem_map *m)
{
    struct seen *s = ctx;

    s->shmem_unmaps++;
    s->shmem = *m;
    return 0;
}

static int vring_call(void *ctx, unsigned int index)
{
    struct seen *s = ctx;

    s->calls++;
    s->last_index = index;
    return 0;
}

/* config_change and vring_err left NULL: refused. */
static const struct vhu_frontend_req_ops ops = {
    .fs_map = fs_map,
    .fs_unmap = fs_unmap,
    .fs_sync = fs_sync,
    .fs_io = fs_io,
    .shmem_map = shmem_map,
    .shmem_unmap = shmem_unmap,
    .vring_call = vring_call,
};

struct chan {
    struct seen seen;
    struct vhu_frontend_handler *h;
    struct vhu_breq *b;
    pthread_t thread;
    int handled; /* requests the handler answered */
    int end_rc;  /* what ended the handler loop */
};

static void *serve(void *arg)
{
    struct chan *c = arg;
    int rc;

    while ((rc = vhu_frontend_handler_handle_one(c->h)) == 0) {
        c->handled++;
    }
    c->end_rc = rc;
    return NULL;
}

static void chan_open(struct chan *c, enum vhu_backend_dialect dialect,
                      bool reply_ack)
{
    int peer;

    memset(c, 0, sizeof(*c));
    ASSERT_OK(vhu_frontend_handler_new(&c->h, dialect, &ops, &c->seen, &peer));
    ASSERT_OK(vhu_breq_new(&c->b, peer, reply_ack, dialect));
    ASSERT_EQ(pthread_create(&c->thread, NULL, serve, c), 0);
}

/* Closing the sender ends the handler's loop. */
static void chan_close(struct chan *c)
{
    vhu_breq_free(c->b);
    ASSERT_EQ(pthread_join(c->thread, NULL), 0);
    ASSERT_ERR_KIND(c->end_rc, VHU_E_SOCKET_BROKEN);
    vhu_frontend_handler_free(c->h);
}

static int file_with(const char *text)
{
    int fd = test_memfd("file", 0x10000);

    ASSERT_EQ(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
    return fd;
}

TEST(fs_map_with_fd)
{
    struct vhu_fs_backend_msg m = {0};
    struct chan c;
    struct stat st;
    int fd, nfds;

    fd = file_with("daxdata");
    ASSERT_EQ(fstat(fd, &st), 0);
    nfds = test_count_fds();
    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    m.fd_offset[0] = 0;
    m.cache_offset[0] = 0x200000;
    m.len[0] = 0x1000;
    m.flags[0] = VHU_FS_FLAG_MAP_R | VHU_FS_FLAG_MAP_W;
    m.fd_offset[3] = 0x2000;
    m.cache_offset[3] = 0x400000;
    m.len[3] = 0x2000;
    m.flags[3] = VHU_FS_FLAG_MAP_R;
    ASSERT_EQ(vhu_breq_fs_map(c.b, &m, fd), 0);
    chan_close(&c);
    ASSERT_EQ(c.seen.maps, 1);
    ASSERT_EQ(c.handled, 1);
    ASSERT(!memcmp(&c.seen.fs, &m, sizeof(m)));
    /* The fd the op got is the file the backend sent. */
    ASSERT_EQ(c.seen.st.st_ino, st.st_ino);
    ASSERT_EQ(c.seen.st.st_dev, st.st_dev);
    ASSERT(!memcmp(c.seen.data, "daxdata", 7));
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

TEST(fs_unmap_and_sync)
{
    struct vhu_fs_backend_msg m = {0};
    struct chan c;
    int nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    m.cache_offset[0] = 0x200000;
    m.len[0] = 0x200000;
    ASSERT_EQ(vhu_breq_fs_unmap(c.b, &m), 0);
    ASSERT_EQ(c.seen.unmaps, 1);
    ASSERT_EQ(c.seen.fs.cache_offset[0], 0x200000);
    m.cache_offset[0] = 0x600000;
    ASSERT_EQ(vhu_breq_fs_sync(c.b, &m), 0);
    ASSERT_EQ(c.seen.syncs, 1);
    ASSERT_EQ(c.seen.fs.cache_offset[0], 0x600000);
    chan_close(&c);
    ASSERT_EQ(test_count_fds(), nfds);
}

TEST(fs_io_count)
{
    struct vhu_fs_backend_msg m = {0};
    struct chan c;
    int fd = file_with("io"), nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    m.len[0] = 1234;
    m.len[1] = 1000;
    ASSERT_EQ(vhu_breq_fs_io(c.b, &m, fd), 1234);
    ASSERT_EQ(c.seen.ios, 1);
    chan_close(&c);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

TEST(shmem_round_trip)
{
    struct vhu_shmem_map m = {
        .shmid = 0,
        .fd_offset = 0x1000,
        .shm_offset = 0x200000,
        .len = 0x1000,
        .flags = VHU_SHMEM_MAP_F_WRITABLE,
    };
    struct chan c;
    struct stat st;
    int fd = file_with("shmem"), nfds;

    ASSERT_EQ(fstat(fd, &st), 0);
    nfds = test_count_fds();
    chan_open(&c, VHU_DIALECT_UPSTREAM, true);
    ASSERT_EQ(vhu_breq_shmem_map(c.b, &m, fd), 0);
    ASSERT_EQ(c.seen.shmem_maps, 1);
    ASSERT_EQ(c.seen.shmem.shm_offset, 0x200000);
    ASSERT_EQ(c.seen.shmem.fd_offset, 0x1000);
    ASSERT_EQ(c.seen.shmem.flags, VHU_SHMEM_MAP_F_WRITABLE);
    ASSERT_EQ(c.seen.st.st_ino, st.st_ino);
    m.flags = 0;
    ASSERT_EQ(vhu_breq_shmem_unmap(c.b, &m), 0);
    ASSERT_EQ(c.seen.shmem_unmaps, 1);
    chan_close(&c);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

TEST(refused_map)
{
    struct vhu_fs_backend_msg m = {0};
    struct chan c;
    int fd = file_with("x"), nfds = test_count_fds(), rc;

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    c.seen.map_result = -EINVAL;
    m.len[0] = 0x1000;
    rc = vhu_breq_fs_map(c.b, &m, fd);
    ASSERT_ERR_KIND(rc, VHU_E_REQ_HANDLER);
    ASSERT_EQ(vhu_err_errno(rc), -EINVAL);
    /* A refusal does not break the channel. */
    ASSERT_EQ(vhu_breq_fs_sync(c.b, &m), 0);
    /* config_change has no op: refused with EOPNOTSUPP. */
    rc = vhu_breq_config_change(c.b);
    ASSERT_ERR_KIND(rc, VHU_E_REQ_HANDLER);
    ASSERT_EQ(vhu_err_errno(rc), -EOPNOTSUPP);
    chan_close(&c);
    ASSERT_EQ(c.seen.maps, 1);
    ASSERT_EQ(c.seen.syncs, 1);
    ASSERT_EQ(c.handled, 3);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

TEST(wrong_dialect)
{
    struct vhu_fs_backend_msg fs = {.len = {0x1000}};
    struct vhu_shmem_map sm = {.len = 0x1000};
    struct chan c;
    int fd = file_with("x"), nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    ASSERT_ERR_KIND(vhu_breq_shmem_map(c.b, &sm, fd), VHU_E_INVALID_OPERATION);
    ASSERT_ERR_KIND(vhu_breq_shmem_unmap(c.b, &sm), VHU_E_INVALID_OPERATION);
    chan_close(&c);
    ASSERT_EQ(c.handled, 0);

    chan_open(&c, VHU_DIALECT_UPSTREAM, true);
    ASSERT_ERR_KIND(vhu_breq_fs_map(c.b, &fs, fd), VHU_E_INVALID_OPERATION);
    ASSERT_ERR_KIND(vhu_breq_fs_unmap(c.b, &fs), VHU_E_INVALID_OPERATION);
    ASSERT_ERR_KIND(vhu_breq_fs_sync(c.b, &fs), VHU_E_INVALID_OPERATION);
    ASSERT_ERR_KIND(vhu_breq_fs_io(c.b, &fs, fd), VHU_E_INVALID_OPERATION);
    /* Common requests go through in either dialect. */
    ASSERT_EQ(vhu_breq_vring_call(c.b, 1), 0);
    chan_close(&c);
    ASSERT_EQ(c.handled, 1);
    ASSERT_EQ(c.seen.calls, 1);
    ASSERT_EQ(c.seen.last_index, 1);
    ASSERT_EQ(c.seen.maps + c.seen.unmaps + c.seen.syncs + c.seen.ios, 0);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

/* The sender refuses what the frontend would, before anything is sent. */
TEST(sender_checks_like_receiver)
{
    struct vhu_fs_backend_msg fs = {.len = {0x1000}, .flags = {4}};
    struct vhu_shmem_map sm = {.len = 0x1000, .flags = 2};
    struct chan c;
    int fd = file_with("x"), nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    ASSERT_ERR_KIND(vhu_breq_fs_map(c.b, &fs, fd), VHU_E_INVALID_PARAM);
    fs.flags[0] = 0;
    fs.cache_offset[0] = ~0ull;
    ASSERT_ERR_KIND(vhu_breq_fs_unmap(c.b, &fs), VHU_E_INVALID_PARAM);
    fs.cache_offset[0] = 0;
    fs.len[1] = ~0ull;
    ASSERT_ERR_KIND(vhu_breq_fs_io(c.b, &fs, fd), VHU_E_INVALID_PARAM);
    chan_close(&c);
    ASSERT_EQ(c.handled, 0);

    chan_open(&c, VHU_DIALECT_UPSTREAM, true);
    ASSERT_ERR_KIND(vhu_breq_shmem_map(c.b, &sm, fd), VHU_E_INVALID_PARAM);
    sm.flags = 0;
    sm.len = 0;
    ASSERT_ERR_KIND(vhu_breq_shmem_unmap(c.b, &sm), VHU_E_INVALID_PARAM);
    chan_close(&c);
    ASSERT_EQ(c.handled, 0);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

/* The handler refuses what its dialect does not know, and goes on. */
TEST(handler_refuses_unknown)
{
    struct vhu_frontend_handler *h;
    struct seen s = {0};
    struct vhu_msg r;
    uint64_t v = 0;
    int peer, fds[VHU_MAX_FDS], efd = test_eventfd();
    unsigned int n;
    int nfds = test_count_fds();

    ASSERT_OK(
        vhu_frontend_handler_new(&h, VHU_DIALECT_FS_CACHE, &ops, &s, &peer));
    /* SHMEM_UNMAP's code (10) does not exist in the fs-cache dialect. */
    ASSERT_OK(vhu_send(peer, VHU_BREQ_SHMEM_UNMAP, VHU_FLAG_NEED_REPLY, &v,
                       sizeof(v), &efd, 1));
    ASSERT_EQ(vhu_frontend_handler_handle_one(h), 0);
    ASSERT_OK(vhu_recv(peer, &r, fds, &n));
    ASSERT_EQ(n, 0);
    ASSERT_EQ(r.hdr.request, VHU_BREQ_SHMEM_UNMAP);
    ASSERT(r.hdr.flags & VHU_FLAG_REPLY);
    ASSERT_EQ(r.hdr.size, 8);
    ASSERT_NE(r.p.u64, 0);
    /* FS_SYNC with the wrong size. */
    ASSERT_OK(vhu_send(peer, VHU_BREQ_FS_SYNC, VHU_FLAG_NEED_REPLY, &v,
                       sizeof(v), NULL, 0));
    ASSERT_EQ(vhu_frontend_handler_handle_one(h), 0);
    ASSERT_OK(vhu_recv(peer, &r, fds, &n));
    ASSERT_NE(r.p.u64, 0);
    ASSERT_EQ(s.syncs, 0);
    vhu_frontend_handler_free(h);
    close(peer);
    close(efd);
    ASSERT_EQ(test_count_fds(), nfds - 1);
}

/*
 * A request with a reply of its own (SHARED_OBJECT_LOOKUP) is answered
 * even without NEED_REPLY: the backend waits for that reply.  A VRING_CALL
 * for a queue the protocol cannot address never reaches the op.
 */
TEST(handler_answers_what_waits)
{
    struct vhu_frontend_handler *h;
    struct seen s = {0};
    struct vhost_vring_state st = {.index = 256};
    uint8_t uuid[16] = {1};
    struct vhu_msg r;
    int peer, fds[VHU_MAX_FDS];
    unsigned int n;
    int nfds = test_count_fds();

    ASSERT_OK(
        vhu_frontend_handler_new(&h, VHU_DIALECT_UPSTREAM, &ops, &s, &peer));
    /* handle_one() answers before it returns: nothing to wait for. */
    ASSERT_EQ(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
    ASSERT_OK(vhu_send(peer, VHU_BREQ_SHARED_OBJECT_LOOKUP, 0, uuid,
                       sizeof(uuid), NULL, 0));
    ASSERT_EQ(vhu_frontend_handler_handle_one(h), 0);
    ASSERT_OK(vhu_recv(peer, &r, fds, &n));
    ASSERT_EQ(n, 0);
    ASSERT_EQ(r.hdr.request, VHU_BREQ_SHARED_OBJECT_LOOKUP);
    ASSERT(r.hdr.flags & VHU_FLAG_REPLY);
    ASSERT_EQ(r.hdr.size, 8);
    ASSERT_EQ((int64_t)r.p.u64, -EOPNOTSUPP);

    ASSERT_OK(vhu_send(peer, VHU_BREQ_VRING_CALL, VHU_FLAG_NEED_REPLY, &st,
                       sizeof(st), NULL, 0));
    ASSERT_EQ(vhu_frontend_handler_handle_one(h), 0);
    ASSERT_OK(vhu_recv(peer, &r, fds, &n));
    ASSERT_EQ((int64_t)r.p.u64, -EINVAL);
    ASSERT_EQ(s.calls, 0);
    vhu_frontend_handler_free(h);
    close(peer);
    ASSERT_EQ(test_count_fds(), nfds);
}

/* Without REPLY_ACK nothing is waited for. */
TEST(no_reply_ack)
{
    struct vhu_fs_backend_msg m = {.len = {0x1000}};
    struct chan c;
    int nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, false);
    ASSERT_EQ(vhu_breq_fs_unmap(c.b, &m), 0);
    ASSERT_EQ(vhu_breq_fs_sync(c.b, &m), 0);
    chan_close(&c);
    ASSERT_EQ(c.seen.unmaps, 1);
    ASSERT_EQ(c.seen.syncs, 1);
    ASSERT_EQ(test_count_fds(), nfds);
}

/*
 * A frontend that does not answer: a receive timeout on the channel bounds
 * the wait, and the ack that comes late must not be taken for the ack of
 * the next request.
 */
TEST(late_ack_breaks_channel)
{
    struct vhu_fs_backend_msg m = {.len = {0x1000}};
    struct timeval tv = {.tv_sec = 0, .tv_usec = 1000};
    struct vhu_breq *b;
    struct vhu_msg req;
    uint64_t zero = 0;
    int sv[2], fds[VHU_MAX_FDS], rc;
    unsigned int n;
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_OK(vhu_breq_new(&b, sv[0], true, VHU_DIALECT_FS_CACHE));
    rc = vhu_breq_fs_sync(b, &m);
    ASSERT_ERR_KIND(rc, VHU_E_SOCKET_BROKEN);
    ASSERT_EQ(vhu_err_errno(rc), -ETIMEDOUT);
    /* The frontend answers after all. */
    ASSERT_OK(vhu_recv(sv[1], &req, fds, &n));
    ASSERT_EQ(n, 0);
    ASSERT_EQ(req.hdr.request, VHU_BREQ_FS_SYNC);
    ASSERT_OK(vhu_send(sv[1], VHU_BREQ_FS_SYNC, VHU_FLAG_REPLY, &zero,
                       sizeof(zero), NULL, 0));
    /* That ack is not the next request's: the channel stays broken. */
    ASSERT_ERR_KIND(vhu_breq_fs_sync(b, &m), VHU_E_SOCKET_BROKEN);
    vhu_breq_free(b);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

/* An ack that carries an fd: the fd is closed, the channel is broken. */
TEST(ack_with_fd_refused)
{
    struct vhu_fs_backend_msg m = {.len = {0x1000}};
    struct vhu_breq *b;
    struct vhu_msg req;
    uint64_t zero = 0;
    int sv[2], fds[VHU_MAX_FDS], efd;
    unsigned int n;
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_OK(vhu_breq_new(&b, sv[0], true, VHU_DIALECT_FS_CACHE));
    efd = test_eventfd();
    /* The ack is there before the request: the call reads it at once. */
    ASSERT_OK(vhu_send(sv[1], VHU_BREQ_FS_SYNC, VHU_FLAG_REPLY, &zero,
                       sizeof(zero), &efd, 1));
    close(efd);
    ASSERT_ERR_KIND(vhu_breq_fs_sync(b, &m), VHU_E_INCORRECT_FDS);
    ASSERT_ERR_KIND(vhu_breq_fs_sync(b, &m), VHU_E_SOCKET_BROKEN);
    ASSERT_OK(vhu_recv(sv[1], &req, fds, &n));
    ASSERT_EQ(n, 0);
    vhu_breq_free(b);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

#define SENDERS 4
#define ROUNDS  200

struct sender {
    struct vhu_breq *b;
    int fd;
    unsigned int id;
    unsigned int matched;
};

static void *send_many(void *arg)
{
    struct sender *s = arg;
    unsigned int i;

    for (i = 0; i < ROUNDS; i++) {
        struct vhu_fs_backend_msg m = {0};
        uint64_t want = 1 + s->id * 100000 + i;

        m.len[0] = want;
        if (vhu_breq_fs_io(s->b, &m, s->fd) == (int64_t)want) {
            s->matched++;
        }
    }
    return NULL;
}

/* Each sender gets the ack of its own request, never another's. */
TEST(concurrent_senders)
{
    struct sender s[SENDERS];
    pthread_t t[SENDERS];
    struct chan c;
    unsigned int i;
    int fd = file_with("x"), nfds = test_count_fds();

    chan_open(&c, VHU_DIALECT_FS_CACHE, true);
    for (i = 0; i < SENDERS; i++) {
        s[i] = (struct sender){.b = c.b, .fd = fd, .id = i};
        ASSERT_EQ(pthread_create(&t[i], NULL, send_many, &s[i]), 0);
    }
    for (i = 0; i < SENDERS; i++) {
        ASSERT_EQ(pthread_join(t[i], NULL), 0);
    }
    chan_close(&c);
    for (i = 0; i < SENDERS; i++) {
        ASSERT_EQ(s[i].matched, ROUNDS);
    }
    ASSERT_EQ(c.seen.ios, SENDERS * ROUNDS);
    ASSERT_EQ(test_count_fds(), nfds);
    close(fd);
}

TEST_MAIN(T(fs_map_with_fd), T(fs_unmap_and_sync), T(fs_io_count),
          T(shmem_round_trip), T(refused_map), T(wrong_dialect),
          T(sender_checks_like_receiver), T(handler_refuses_unknown),
          T(handler_answers_what_waits), T(no_reply_ack),
          T(late_ack_breaks_channel), T(ack_with_fd_refused),
          T(concurrent_senders))
