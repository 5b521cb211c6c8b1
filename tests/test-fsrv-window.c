/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-fsrv-window.c - requests whose buffers lie partly where the daemon
 * cannot reach (iovecs with a NULL base: guest memory in the DAX window,
 * vq.h).  The cursors never copy there; READ and WRITE hand those pieces
 * to fsrv_req.window_io with their guest-physical addresses; every other
 * request sees its chain end there; without window_io such a READ or
 * WRITE is answered EFAULT.  Nothing here may touch a NULL base: ASan
 * and a segfault would tell.
 */
#include <errno.h>
#include <string.h>

#include "fsrv-cursor.h"
#include "fsrv-harness.h"
#include "test.h"

static struct fake_fs fk;
static struct fsrv *srv;
static struct hreq rq;
static uint8_t hdr[sizeof(struct fuse_out_header)];
static uint8_t body[8192];

/* What window_io was asked to do. */
static struct {
    unsigned int calls;
    uint64_t fd_off, gpa, len;
    bool to_file;
    ssize_t answer; /* < 0: fail with it; else move min(len, answer) */
} io;

static ssize_t window_io(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                         uint64_t len, bool to_file)
{
    (void)opaque;
    (void)fd;
    io.calls++;
    io.fd_off = fd_off;
    io.gpa = gpa;
    io.len = len;
    io.to_file = to_file;
    if (io.answer < 0) {
        return io.answer;
    }
    return (uint64_t)io.answer < len ? io.answer : (ssize_t)len;
}

static void setup(void)
{
    static uint8_t rep[4096];

    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, NULL);
    ASSERT(srv != NULL);
    ASSERT_EQ(hinit(srv, 0xffffffffull, rep, sizeof(rep)),
              sizeof(struct fuse_out_header) + sizeof(struct fuse_init_out));
    memset(&io, 0, sizeof(io));
    io.answer = 1 << 30;
}

/*
 * Serve rq: request iovecs are the header+args and, when @in_far, @far
 * bytes the daemon cannot reach at guest-physical @gpa; the reply is
 * `hdr` then `body` (@body_len bytes) or, when @out_far, @far bytes out
 * of reach at @gpa.
 */
static ssize_t serve(bool in_far, bool out_far, size_t far, uint64_t gpa,
                     size_t body_len, bool with_io)
{
    struct iovec in[2] = {{rq.buf, 0}, {NULL, far}};
    struct iovec out[2] = {{hdr, sizeof(hdr)}, {body, body_len}};
    uint64_t in_gpa[2] = {0, gpa}, out_gpa[2] = {0, gpa};
    struct fsrv_req r = {0};

    in[0].iov_len = hreq_end(&rq) - (in_far ? far : 0);
    if (out_far) {
        out[1].iov_base = NULL;
        out[1].iov_len = far;
    }
    memset(hdr, 0xee, sizeof(hdr));
    r.in = in;
    r.in_cnt = in_far ? 2 : 1;
    r.out = out;
    r.out_cnt = 2;
    r.in_gpa = in_far ? in_gpa : NULL;
    r.out_gpa = out_far ? out_gpa : NULL;
    r.window_io = with_io ? window_io : NULL;
    return fsrv_handle(srv, &r);
}

#define OH ((const struct fuse_out_header *)hdr)

TEST(read_into_the_window_goes_through_window_io)
{
    struct fuse_read_in ri = {
        .fh = FAKE_FH_BASE + FAKE_FILE, .offset = FAKE_DATA - 10, .size = 4096};
    ssize_t n;

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 10);
    hreq_add(&rq, &ri, sizeof(ri));
    n = serve(false, true, 4096, 0x10000000000ull, 0, true);
    ASSERT_EQ(OH->error, 0);
    ASSERT_EQ(io.calls, 1);
    ASSERT(!io.to_file);
    ASSERT_EQ(io.gpa, 0x10000000000ull);
    ASSERT_EQ(io.fd_off, FAKE_DATA - 10);
    /* The fake file holds FAKE_DATA bytes: a short read, 10 bytes. */
    ASSERT_EQ(io.len, 10);
    ASSERT_EQ(n, sizeof(struct fuse_out_header) + 10);
    ASSERT_EQ(OH->len, n);
}

TEST(write_from_the_window_goes_through_window_io)
{
    struct fuse_write_in wi = {
        .fh = FAKE_FH_BASE + FAKE_FILE, .offset = 100, .size = 512};
    const struct fuse_write_out *wo = (const void *)body;
    ssize_t n;

    setup();
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 11);
    hreq_add(&rq, &wi, sizeof(wi));
    rq.len += 512; /* the payload: counted in hdr.len, not in rq.buf */
    n = serve(true, false, 512, 0x20000, sizeof(*wo), true);
    ASSERT_EQ(OH->error, 0);
    ASSERT_EQ(n, sizeof(struct fuse_out_header) + sizeof(*wo));
    ASSERT_EQ(io.calls, 1);
    ASSERT(io.to_file);
    ASSERT_EQ(io.gpa, 0x20000);
    ASSERT_EQ(io.fd_off, 100);
    ASSERT_EQ(io.len, 512);
    ASSERT_EQ(wo->size, 512);
}

TEST(window_io_failure_is_the_reply)
{
    struct fuse_read_in ri = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = 4096};

    setup();
    io.answer = -EFAULT;
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 12);
    hreq_add(&rq, &ri, sizeof(ri));
    serve(false, true, 4096, 0x30000, 0, true);
    ASSERT_EQ(io.calls, 1);
    ASSERT_EQ(OH->error, -EFAULT);
    ASSERT_EQ(OH->unique, 12);
}

TEST(no_window_io_read_and_write_get_efault)
{
    struct fuse_read_in ri = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = 4096};
    struct fuse_write_in wi = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = 64};

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 13);
    hreq_add(&rq, &ri, sizeof(ri));
    serve(false, true, 4096, 0x30000, 0, false);
    ASSERT_EQ(OH->error, -EFAULT);
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 14);
    hreq_add(&rq, &wi, sizeof(wi));
    rq.len += 64;
    serve(true, false, 64, 0x30000, 16, false);
    ASSERT_EQ(OH->error, -EFAULT);
    ASSERT_EQ(io.calls, 0);
}

/* Anything but READ and WRITE data: the chain ends where reach ends. */
TEST(other_requests_see_the_chain_end_there)
{
    struct fuse_getattr_in gi = {0};

    setup();
    /* The name of a LOOKUP out of reach: no name at all. */
    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 15);
    hreq_str(&rq, "file");
    serve(true, false, 5, 0x40000, 4096, true);
    ASSERT_EQ(OH->error, -EINVAL);
    ASSERT_EQ(OH->unique, 15);
    /* A GETATTR whose reply body is out of reach: no room for it. */
    hreq_start(&rq, FUSE_GETATTR, FAKE_FILE, 16);
    hreq_add(&rq, &gi, sizeof(gi));
    serve(false, true, 4096, 0x40000, 0, true);
    ASSERT_EQ(OH->error, -EINVAL);
    ASSERT_EQ(OH->len, sizeof(struct fuse_out_header));
    ASSERT_EQ(io.calls, 0);
}

/* The reply header itself out of reach: nothing can be answered. */
TEST(reply_header_out_of_reach)
{
    struct fuse_read_in ri = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = 16};
    struct iovec in = {rq.buf, 0}, out = {NULL, 4096};
    uint64_t gpa = 0x50000;
    struct fsrv_req r = {0};

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 17);
    hreq_add(&rq, &ri, sizeof(ri));
    in.iov_len = hreq_end(&rq);
    r.in = &in;
    r.in_cnt = 1;
    r.out = &out;
    r.out_cnt = 1;
    r.out_gpa = &gpa;
    r.window_io = window_io;
    ASSERT(fsrv_handle(srv, &r) < 0);
    ASSERT_EQ(io.calls, 0);
}

TEST(cursor_copies_stop_at_reach)
{
    char a[8] = "abcdefg", b[8], s[16];
    struct iovec v[3] = {{a, 4}, {NULL, 100}, {b, 8}};
    uint64_t gpa[3] = {0, 0x1000, 0};
    struct iovec view[3];
    uint64_t vgpa[3] = {0};
    struct fsrv_cursor c;
    int unreachable;

    ASSERT_OK(fsrv_cursor_init(&c, v, 3));
    c.gpa = gpa;
    ASSERT_EQ(fsrv_cursor_left(&c), 112);
    ASSERT_EQ(fsrv_cursor_reach(&c), 4);
    ASSERT_EQ(fsrv_cursor_read(&c, s, 5), -EFAULT);
    ASSERT_EQ(fsrv_cursor_write(&c, s, 5), -EFAULT);
    ASSERT(fsrv_cursor_contig(&c, 5) == NULL);
    ASSERT_EQ(fsrv_cursor_read_str(&c, s, sizeof(s)), -EINVAL);
    ASSERT_EQ(fsrv_cursor_read_upto(&c, s, 16), 4);
    ASSERT_EQ(fsrv_cursor_reach(&c), 0);
    /* Views pass the far piece on, with its address, offset included. */
    ASSERT_OK(fsrv_cursor_skip(&c, 10));
    ASSERT_EQ(fsrv_cursor_view_gpa(&c, 98, view, vgpa, 3, &unreachable), 2);
    ASSERT_EQ(unreachable, 1);
    ASSERT(view[0].iov_base == NULL);
    ASSERT_EQ(view[0].iov_len, 90);
    ASSERT_EQ(vgpa[0], 0x1000 + 10);
    ASSERT(view[1].iov_base == b);
    ASSERT_EQ(view[1].iov_len, 8);
    /* Past the far piece nothing is within reach again (conservative). */
    ASSERT_OK(fsrv_cursor_skip(&c, 90));
    ASSERT_EQ(fsrv_cursor_read(&c, s, 1), -EFAULT);
}

TEST_MAIN(T(read_into_the_window_goes_through_window_io),
          T(write_from_the_window_goes_through_window_io),
          T(window_io_failure_is_the_reply),
          T(no_window_io_read_and_write_get_efault),
          T(other_requests_see_the_chain_end_there),
          T(reply_header_out_of_reach), T(cursor_copies_stop_at_reach))
