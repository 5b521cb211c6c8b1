/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-fsrv-hostile.c - malformed and hostile FUSE requests: each gets an
 * error reply (or, when no reply can be written, an error return), the fs
 * is not called with anything unchecked, nothing is read or written out
 * of bounds (every iovec is its own allocation: run under ASan), and the
 * server keeps serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fsrv-harness.h"
#include "test.h"

static struct fake_fs fk;
static struct fsrv *srv;
static struct hreq rq;
static uint8_t rep[70000];

#define OH ((const struct fuse_out_header *)rep)

static void setup_opts(const struct fsrv_opts *o)
{
    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, o);
    ASSERT(srv != NULL);
    ASSERT_EQ(hinit(srv, 0xffffffffull, rep, 4096), 80);
}

static void setup(void)
{
    setup_opts(NULL);
}

static ssize_t run_out(size_t outlen)
{
    return hrun(srv, rq.buf, hreq_end(&rq), 1, 0, rep, outlen, 1);
}

static ssize_t run(void)
{
    return run_out(4096);
}

/* An error reply with nothing after the header. */
static void expect_err(ssize_t rc, int err, uint64_t unique)
{
    ASSERT_EQ(rc, sizeof(struct fuse_out_header));
    ASSERT_EQ(OH->len, sizeof(struct fuse_out_header));
    ASSERT_EQ(OH->error, err);
    ASSERT_EQ(OH->unique, unique);
}

/* The server still answers a good request. */
static void still_alive(void)
{
    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 999);
    hreq_str(&rq, "file");
    ASSERT_EQ(run(), 16 + sizeof(struct fuse_entry_out));
    ASSERT_EQ(OH->error, 0);
}

TEST(short_header_gets_no_reply)
{
    setup();
    hreq_start(&rq, FUSE_LOOKUP, 1, 1);
    for (size_t len = 0; len < sizeof(struct fuse_in_header); len++) {
        ASSERT_EQ(hrun(srv, rq.buf, len, len ? 2 : 1, 0, rep, 4096, 1),
                  -EINVAL);
    }
    /* hrun() fills the reply area with 0xee: nothing overwrote it. */
    ASSERT_EQ(rep[0], 0xee);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(reply_area_below_a_header)
{
    setup();
    hreq_start(&rq, FUSE_STATFS, 1, 2);
    ASSERT_EQ(run_out(15), -ENOSPC);
    ASSERT_EQ(hrun(srv, rq.buf, hreq_end(&rq), 1, 0, rep, 0, 0), -ENOSPC);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(len_mismatch)
{
    struct fuse_in_header *h = (void *)rq.buf;
    size_t len;

    setup();
    hreq_start(&rq, FUSE_LOOKUP, 1, 3);
    hreq_str(&rq, "file");
    len = hreq_end(&rq);

    h->len = (uint32_t)len + 1; /* more than the chain holds */
    expect_err(hrun(srv, rq.buf, len, 3, 0, rep, 4096, 1), -EINVAL, 3);
    h->len = 0xffffffff;
    expect_err(hrun(srv, rq.buf, len, 1, 0, rep, 4096, 1), -EINVAL, 3);
    h->len = sizeof(*h) - 1; /* less than a header */
    expect_err(hrun(srv, rq.buf, len, 1, 0, rep, 4096, 1), -EINVAL, 3);
    h->len = (uint32_t)len - 1; /* cuts the NUL off the name */
    expect_err(hrun(srv, rq.buf, len, 2, 0, rep, 4096, 1), -EINVAL, 3);
    ASSERT_EQ(fk.ncalls, 0);

    /* Extensions longer than the body. */
    h->len = (uint32_t)len;
    h->total_extlen = 1;
    expect_err(hrun(srv, rq.buf, len, 1, 0, rep, 4096, 1), -EINVAL, 3);
    h->total_extlen = 0xffff;
    expect_err(hrun(srv, rq.buf, len, 1, 0, rep, 4096, 1), -EINVAL, 3);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(bad_names)
{
    static char longname[NAME_MAX + 2];
    struct fuse_mkdir_in mi = {.mode = 0755};
    struct fuse_rename_in ri = {.newdir = 1};
    struct fuse_link_in li = {.oldnodeid = FAKE_FILE};
    static const char *const dots[] = {".", ".."};

    setup();
    /* No NUL anywhere. */
    hreq_start(&rq, FUSE_LOOKUP, 1, 10);
    hreq_add(&rq, "file", 4);
    expect_err(run(), -EINVAL, 10);
    /* '/' inside, empty. */
    hreq_start(&rq, FUSE_LOOKUP, 1, 11);
    hreq_str(&rq, "dir/../../etc");
    expect_err(run(), -EINVAL, 11);
    hreq_start(&rq, FUSE_MKDIR, 1, 12);
    hreq_add(&rq, &mi, sizeof(mi));
    hreq_str(&rq, "");
    expect_err(run(), -EINVAL, 12);
    /* NAME_MAX + 1 bytes. */
    memset(longname, 'x', NAME_MAX + 1);
    hreq_start(&rq, FUSE_LOOKUP, 1, 13);
    hreq_str(&rq, longname);
    expect_err(run(), -ENAMETOOLONG, 13);
    ASSERT_EQ(fk.ncalls, 0);

    /* "." and ".." never name something to create, remove or rename. */
    for (int i = 0; i < 2; i++) {
        hreq_start(&rq, FUSE_MKDIR, 1, 20);
        hreq_add(&rq, &mi, sizeof(mi));
        hreq_str(&rq, dots[i]);
        expect_err(run(), -EINVAL, 20);
        hreq_start(&rq, FUSE_UNLINK, 1, 21);
        hreq_str(&rq, dots[i]);
        expect_err(run(), -EINVAL, 21);
        hreq_start(&rq, FUSE_RMDIR, 1, 22);
        hreq_str(&rq, dots[i]);
        expect_err(run(), -EINVAL, 22);
        hreq_start(&rq, FUSE_RENAME, 1, 23);
        hreq_add(&rq, &ri, sizeof(ri));
        hreq_str(&rq, "file");
        hreq_str(&rq, dots[i]);
        expect_err(run(), -EINVAL, 23);
        hreq_start(&rq, FUSE_LINK, 1, 24);
        hreq_add(&rq, &li, sizeof(li));
        hreq_str(&rq, dots[i]);
        expect_err(run(), -EINVAL, 24);
        hreq_start(&rq, FUSE_SYMLINK, 1, 25);
        hreq_str(&rq, dots[i]);
        hreq_str(&rq, "target");
        expect_err(run(), -EINVAL, 25);
    }
    /* RENAME: the second name missing its NUL. */
    hreq_start(&rq, FUSE_RENAME, 1, 26);
    hreq_add(&rq, &ri, sizeof(ri));
    hreq_str(&rq, "file");
    hreq_add(&rq, "new", 3);
    expect_err(run(), -EINVAL, 26);
    /* SYMLINK targets: empty, unterminated, too long. */
    hreq_start(&rq, FUSE_SYMLINK, 1, 27);
    hreq_str(&rq, "s");
    hreq_str(&rq, "");
    expect_err(run(), -ENOENT, 27);
    hreq_start(&rq, FUSE_SYMLINK, 1, 28);
    hreq_str(&rq, "s");
    hreq_add(&rq, "abc", 3);
    expect_err(run(), -EINVAL, 28);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(bodies_shorter_than_their_struct)
{
    static const struct {
        uint32_t op;
        size_t size;
    } rows[] = {
        {FUSE_GETATTR, sizeof(struct fuse_getattr_in)},
        {FUSE_SETATTR, sizeof(struct fuse_setattr_in)},
        {FUSE_MKNOD, sizeof(struct fuse_mknod_in)},
        {FUSE_MKDIR, sizeof(struct fuse_mkdir_in)},
        {FUSE_RENAME, sizeof(struct fuse_rename_in)},
        {FUSE_RENAME2, sizeof(struct fuse_rename2_in)},
        {FUSE_LINK, sizeof(struct fuse_link_in)},
        {FUSE_OPEN, sizeof(struct fuse_open_in)},
        {FUSE_CREATE, sizeof(struct fuse_create_in)},
        {FUSE_TMPFILE, sizeof(struct fuse_create_in)},
        {FUSE_READ, sizeof(struct fuse_read_in)},
        {FUSE_WRITE, sizeof(struct fuse_write_in)},
        {FUSE_RELEASE, sizeof(struct fuse_release_in)},
        {FUSE_FSYNC, sizeof(struct fuse_fsync_in)},
        {FUSE_SETXATTR, sizeof(struct fuse_setxattr_in)},
        {FUSE_GETXATTR, sizeof(struct fuse_getxattr_in)},
        {FUSE_LISTXATTR, sizeof(struct fuse_getxattr_in)},
        {FUSE_FLUSH, sizeof(struct fuse_flush_in)},
        {FUSE_INIT, 16},
        {FUSE_OPENDIR, sizeof(struct fuse_open_in)},
        {FUSE_READDIR, sizeof(struct fuse_read_in)},
        {FUSE_READDIRPLUS, sizeof(struct fuse_read_in)},
        {FUSE_RELEASEDIR, sizeof(struct fuse_release_in)},
        {FUSE_FSYNCDIR, sizeof(struct fuse_fsync_in)},
        {FUSE_GETLK, sizeof(struct fuse_lk_in)},
        {FUSE_SETLK, sizeof(struct fuse_lk_in)},
        {FUSE_SETLKW, sizeof(struct fuse_lk_in)},
        {FUSE_ACCESS, sizeof(struct fuse_access_in)},
        {FUSE_IOCTL, sizeof(struct fuse_ioctl_in)},
        {FUSE_POLL, sizeof(struct fuse_poll_in)},
        {FUSE_FALLOCATE, sizeof(struct fuse_fallocate_in)},
        {FUSE_LSEEK, sizeof(struct fuse_lseek_in)},
        {FUSE_COPY_FILE_RANGE, sizeof(struct fuse_copy_file_range_in)},
        {FUSE_SYNCFS, sizeof(struct fuse_syncfs_in)},
    };
    static const uint8_t zeros[256];

    setup();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        hreq_start(&rq, rows[i].op, FAKE_FILE, 30 + i);
        hreq_add(&rq, zeros, rows[i].size - 1);
        expect_err(run(), -EINVAL, 30 + i);
    }
    ASSERT_EQ(fk.ncalls, 0);
    ASSERT_EQ(fk.ninit, 1);
    still_alive();
}

TEST(huge_and_mismatched_sizes)
{
    struct fuse_read_in ri = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = ~0u};
    struct fuse_write_in wi = {.fh = FAKE_FH_BASE + FAKE_FILE, .size = 10};
    struct fuse_setxattr_in si = {.size = 100};
    struct fuse_getxattr_in gi = {.size = ~0u};

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 40);
    hreq_add(&rq, &ri, sizeof(ri));
    expect_err(run(), -EINVAL, 40);
    ri.size = 1024 * 1024 + 1;
    hreq_start(&rq, FUSE_READDIR, FAKE_ROOT, 41);
    hreq_add(&rq, &ri, sizeof(ri));
    expect_err(run(), -EINVAL, 41);

    /* A READ larger than the reply area reads only what fits. */
    ri.size = 8192;
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 42);
    hreq_add(&rq, &ri, sizeof(ri));
    ASSERT_EQ(hrun(srv, rq.buf, hreq_end(&rq), 1, 0, rep, 16 + 100, 3),
              16 + 100);
    ASSERT_EQ(fk.last.size, 100);

    /* WRITE: size more, or less, than the payload; over max_write. */
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 43);
    hreq_add(&rq, &wi, sizeof(wi));
    hreq_add(&rq, "0123456", 7);
    expect_err(run(), -EINVAL, 43);
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 44);
    hreq_add(&rq, &wi, sizeof(wi));
    hreq_add(&rq, "0123456789abc", 13);
    expect_err(run(), -EINVAL, 44);
    wi.size = 2 * 1024 * 1024;
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 45);
    hreq_add(&rq, &wi, sizeof(wi));
    expect_err(run(), -EINVAL, 45);

    /* SETXATTR: size beyond the value sent, or beyond XATTR_SIZE_MAX. */
    hreq_start(&rq, FUSE_SETXATTR, FAKE_FILE, 46);
    hreq_add(&rq, &si, sizeof(si));
    hreq_str(&rq, "user.a");
    hreq_add(&rq, "short", 5);
    expect_err(run(), -EINVAL, 46);
    si.size = 2;
    hreq_start(&rq, FUSE_SETXATTR, FAKE_FILE, 47);
    hreq_add(&rq, &si, sizeof(si));
    hreq_str(&rq, "user.a");
    hreq_add(&rq, "short", 5);
    expect_err(run(), -EINVAL, 47);
    si.size = ~0u;
    hreq_start(&rq, FUSE_SETXATTR, FAKE_FILE, 48);
    hreq_add(&rq, &si, sizeof(si));
    hreq_str(&rq, "user.a");
    expect_err(run(), -E2BIG, 48);
    /* Name without NUL, empty name. */
    si.size = 0;
    hreq_start(&rq, FUSE_SETXATTR, FAKE_FILE, 49);
    hreq_add(&rq, &si, sizeof(si));
    hreq_add(&rq, "user.a", 6);
    expect_err(run(), -EINVAL, 49);
    hreq_start(&rq, FUSE_REMOVEXATTR, FAKE_FILE, 50);
    hreq_str(&rq, "");
    expect_err(run(), -ERANGE, 50);

    /* GETXATTR asking for 4 GiB with a page of room. */
    hreq_start(&rq, FUSE_GETXATTR, FAKE_FILE, 51);
    hreq_add(&rq, &gi, sizeof(gi));
    hreq_str(&rq, "user.a");
    expect_err(run(), -EINVAL, 51);
    ASSERT_EQ(fk.ncalls, 1); /* only the capped READ reached the fs */
    still_alive();
}

TEST(batch_forget_count_that_does_not_fit)
{
    struct fuse_batch_forget_in bi = {.count = 3};
    struct fuse_forget_one one[2] = {{2, 1}, {3, 1}};

    setup();
    hreq_start(&rq, FUSE_BATCH_FORGET, 0, 60);
    hreq_add(&rq, &bi, sizeof(bi));
    hreq_add(&rq, one, sizeof(one));
    ASSERT_EQ(run(), 0);
    bi.count = 0xffffffff;
    hreq_start(&rq, FUSE_BATCH_FORGET, 0, 61);
    hreq_add(&rq, &bi, sizeof(bi));
    hreq_add(&rq, one, sizeof(one));
    ASSERT_EQ(run(), 0);
    /* Short FORGET: ignored, still no reply. */
    hreq_start(&rq, FUSE_FORGET, 2, 62);
    hreq_add(&rq, "1234", 4);
    ASSERT_EQ(run(), 0);
    ASSERT_EQ(fk.nforget, 0);
    still_alive();
}

TEST(unknown_node_ids_reach_the_fs)
{
    static const uint64_t ids[] = {0, 12345, FAKE_NODES, UINT64_MAX};
    struct fuse_getattr_in gi = {0};

    setup();
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        hreq_start(&rq, FUSE_GETATTR, ids[i], 70 + i);
        hreq_add(&rq, &gi, sizeof(gi));
        expect_err(run(), -ENOENT, 70 + i);
        ASSERT_EQ(fk.last.ino, ids[i]);
        hreq_start(&rq, FUSE_LOOKUP, ids[i], 80 + i);
        hreq_str(&rq, "file");
        expect_err(run(), -ENOENT, 80 + i);
    }
    still_alive();
}

TEST(forged_handles)
{
    struct fuse_read_in ri = {.fh = 42, .size = 10};
    struct fuse_release_in rl = {.fh = (uint64_t)&rl};
    struct fuse_lk_in li = {.fh = ~0ull, .lk = {.type = F_WRLCK}};

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 90);
    hreq_add(&rq, &ri, sizeof(ri));
    expect_err(run(), -EBADF, 90);
    ASSERT_EQ(fk.last.fh, 42);
    hreq_start(&rq, FUSE_RELEASE, FAKE_FILE, 91);
    hreq_add(&rq, &rl, sizeof(rl));
    expect_err(run(), -EBADF, 91);
    hreq_start(&rq, FUSE_SETLKW, FAKE_FILE, 92);
    hreq_add(&rq, &li, sizeof(li));
    expect_err(run(), -EBADF, 92);
    /* A lock type that is none of F_RDLCK/F_WRLCK/F_UNLCK. */
    li.fh = FAKE_FH_BASE + FAKE_FILE;
    li.lk.type = 77;
    hreq_start(&rq, FUSE_SETLK, FAKE_FILE, 93);
    hreq_add(&rq, &li, sizeof(li));
    expect_err(run(), -EINVAL, 93);
    still_alive();
}

TEST(reply_area_too_small_for_the_reply)
{
    struct fuse_create_in ci = {.mode = S_IFREG | 0644};
    struct fuse_ioctl_in ii = {.fh = FAKE_FH_BASE + FAKE_FILE,
                               .cmd = 0x1234,
                               .in_size = 4,
                               .out_size = 200};

    setup();
    /* LOOKUP with room for half an entry: refused before the fs counts a
     * lookup it could not report. */
    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 100);
    hreq_str(&rq, "file");
    expect_err(hrun(srv, rq.buf, hreq_end(&rq), 1, 0, rep, 16 + 64, 2), -EINVAL,
               100);
    ASSERT_EQ(fk.node[FAKE_FILE].nlookup, 0);
    hreq_start(&rq, FUSE_CREATE, FAKE_ROOT, 101);
    hreq_add(&rq, &ci, sizeof(ci));
    hreq_str(&rq, "new");
    expect_err(run_out(16 + sizeof(struct fuse_entry_out)), -EINVAL, 101);
    hreq_start(&rq, FUSE_STATFS, FAKE_ROOT, 102);
    expect_err(run_out(17), -EINVAL, 102);
    hreq_start(&rq, FUSE_IOCTL, FAKE_FILE, 103);
    hreq_add(&rq, &ii, sizeof(ii));
    hreq_add(&rq, "abcd", 4);
    expect_err(run_out(16 + 16 + 100), -EINVAL, 103);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(ioctl_rename2_flags_and_mappings)
{
    struct fuse_ioctl_in ii = {.fh = FAKE_FH_BASE + FAKE_FILE,
                               .flags = FUSE_IOCTL_UNRESTRICTED,
                               .cmd = 0x1234};
    struct fuse_rename2_in r2 = {.newdir = 1, .flags = 1u << 9};
    struct fuse_removemapping_in rm = {.count = 1000};
    struct fsrv_opts o = {.dax = true};

    setup();
    hreq_start(&rq, FUSE_IOCTL, FAKE_FILE, 110);
    hreq_add(&rq, &ii, sizeof(ii));
    expect_err(run(), -ENOSYS, 110);
    ii.flags = 0;
    ii.in_size = 100; /* more than the request holds */
    hreq_start(&rq, FUSE_IOCTL, FAKE_FILE, 111);
    hreq_add(&rq, &ii, sizeof(ii));
    expect_err(run(), -EINVAL, 111);
    hreq_start(&rq, FUSE_RENAME2, 1, 112);
    hreq_add(&rq, &r2, sizeof(r2));
    hreq_str(&rq, "file");
    hreq_str(&rq, "x");
    expect_err(run(), -EINVAL, 112);
    ASSERT_EQ(fk.ncalls, 0);
    fsrv_free(srv);

    setup_opts(&o);
    /* More ranges than the request holds: none is unmapped. */
    hreq_start(&rq, FUSE_REMOVEMAPPING, 1, 113);
    hreq_add(&rq, &rm, sizeof(rm));
    hreq_add(&rq, rq.buf, 32);
    expect_err(run(), -EINVAL, 113);
    ASSERT_EQ(fk.ncalls, 0);
    still_alive();
}

TEST(odd_iovecs)
{
    struct iovec in[3], out[3];
    struct fsrv_req r = {0};
    size_t len;

    setup();
    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 120);
    hreq_str(&rq, "file");
    len = hreq_end(&rq);
    /* Empty iovecs around the data are skipped. */
    in[0] = (struct iovec){rq.buf, 0};
    in[1] = (struct iovec){rq.buf, len};
    in[2] = (struct iovec){NULL, 0};
    out[0] = (struct iovec){rep, 0};
    out[1] = (struct iovec){rep, 10};
    out[2] = (struct iovec){rep + 10, 4000};
    r.in = in;
    r.in_cnt = 3;
    r.out = out;
    r.out_cnt = 3;
    ASSERT_EQ(fsrv_handle(srv, &r), 16 + sizeof(struct fuse_entry_out));
    ASSERT_EQ(OH->error, 0);
    ASSERT_EQ(OH->unique, 120);
    /* Counts that make no sense. */
    r.in_cnt = -1;
    ASSERT_EQ(fsrv_handle(srv, &r), -EINVAL);
    r.in_cnt = 3;
    r.out_cnt = -5;
    ASSERT_EQ(fsrv_handle(srv, &r), -EINVAL);
    /* Lengths that overflow size_t. */
    in[0].iov_len = SIZE_MAX;
    r.out_cnt = 3;
    ASSERT_EQ(fsrv_handle(srv, &r), -EINVAL);
    still_alive();
}

TEST_MAIN(T(short_header_gets_no_reply), T(reply_area_below_a_header),
          T(len_mismatch), T(bad_names), T(bodies_shorter_than_their_struct),
          T(huge_and_mismatched_sizes), T(batch_forget_count_that_does_not_fit),
          T(unknown_node_ids_reach_the_fs), T(forged_handles),
          T(reply_area_too_small_for_the_reply),
          T(ioctl_rename2_flags_and_mappings), T(odd_iovecs))
