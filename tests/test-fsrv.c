/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-fsrv.c - the FUSE server alone, over an in-memory filesystem:
 * each opcode decoded into the right op with the right arguments, exactly
 * one reply (none for FORGET and BATCH_FORGET), ENOSYS for unknown
 * opcodes, INIT negotiation, READ and WRITE over split iovecs, and a
 * SETLKW that waits without stalling other requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsrv-harness.h"
#include "test.h"

static struct fake_fs fk;
static struct fsrv *srv;
static struct hreq rq;
static uint8_t rep[70000];

#define ASSERT_STR(want) ASSERT(fk.last.op != NULL && !strcmp(fk.last.op, want))
#define OH               ((const struct fuse_out_header *)rep)
#define BODY(type)       ((const type *)(rep + sizeof(struct fuse_out_header)))

static void setup_opts(const struct fsrv_opts *o)
{
    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, o);
    ASSERT(srv != NULL);
    ASSERT_EQ(hinit(srv, 0xffffffffull | FUSE_HAS_INODE_DAX, rep, 4096),
              sizeof(struct fuse_out_header) + sizeof(struct fuse_init_out));
    ASSERT_EQ(OH->error, 0);
}

static void setup(void)
{
    setup_opts(NULL);
}

static ssize_t run_split(int nin, int nout, size_t outlen)
{
    return hrun(srv, rq.buf, hreq_end(&rq), nin, 0, rep, outlen, nout);
}

static ssize_t run(void)
{
    return run_split(1, 1, 4096);
}

/* Exactly one reply of @body bytes with @err, echoing the unique. */
static void expect(ssize_t rc, int err, size_t body, uint64_t unique)
{
    ASSERT_EQ(rc, sizeof(struct fuse_out_header) + body);
    ASSERT_EQ(OH->len, rc);
    ASSERT_EQ(OH->error, err);
    ASSERT_EQ(OH->unique, unique);
}

TEST(init_negotiates)
{
    const struct fuse_init_out *o;
    struct fsrv_opts opts = {0};

    setup();
    o = BODY(struct fuse_init_out);
    ASSERT_EQ(o->major, 7);
    ASSERT_EQ(o->minor, 38);
    ASSERT_EQ(o->max_write, 1024 * 1024);
    ASSERT_EQ(o->max_pages, 1024 * 1024 / sysconf(_SC_PAGESIZE));
    ASSERT(o->flags & FUSE_POSIX_LOCKS);
    ASSERT(o->flags & FUSE_FLOCK_LOCKS);
    ASSERT(o->flags & FUSE_DO_READDIRPLUS);
    ASSERT(o->flags & FUSE_PARALLEL_DIROPS);
    ASSERT(o->flags & FUSE_HANDLE_KILLPRIV_V2);
    ASSERT(o->flags & FUSE_SUBMOUNTS);
    ASSERT(o->flags & FUSE_SETXATTR_EXT);
    ASSERT(o->flags & FUSE_MAX_PAGES);
    ASSERT(o->flags & FUSE_INIT_EXT);
    /* Not enabled, or not served. */
    ASSERT(!(o->flags & FUSE_WRITEBACK_CACHE));
    ASSERT(!(o->flags & FUSE_MAP_ALIGNMENT));
    ASSERT(!(o->flags & FUSE_SPLICE_READ));
    ASSERT(!(o->flags & FUSE_NO_OPEN_SUPPORT));
    ASSERT_EQ(o->flags2, 0);
    ASSERT_EQ(o->map_alignment, 0);
    ASSERT_EQ(fk.ninit, 1);
    ASSERT_EQ(fsrv_session_flags(srv),
              (uint64_t)o->flags | (uint64_t)o->flags2 << 32);
    fsrv_free(srv);

    /* Writeback and DAX when enabled; what the fs refuses is not sent. */
    opts.writeback = true;
    opts.dax = true;
    opts.map_alignment = 21;
    opts.max_write = 128 * 1024;
    fake_init(&fk);
    fk.init_clear = FUSE_FLOCK_LOCKS;
    srv = fsrv_new(&fake_ops, &fk, &opts);
    ASSERT_EQ(hinit(srv, 0xffffffffull | FUSE_HAS_INODE_DAX, rep, 4096),
              sizeof(struct fuse_out_header) + sizeof(*o));
    ASSERT(o->flags & FUSE_WRITEBACK_CACHE);
    ASSERT(o->flags & FUSE_MAP_ALIGNMENT);
    ASSERT_EQ(o->map_alignment, 21);
    ASSERT_EQ(o->flags2, FUSE_HAS_INODE_DAX >> 32);
    ASSERT(!(o->flags & FUSE_FLOCK_LOCKS));
    ASSERT(fk.init_want & FUSE_FLOCK_LOCKS);
    ASSERT_EQ(o->max_write, 128 * 1024);
    fsrv_free(srv);
    ASSERT_EQ(fk.ndestroy, 1);
}

TEST(init_only_what_kernel_offers)
{
    const struct fuse_init_out *o = BODY(struct fuse_init_out);

    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, NULL);
    ASSERT_EQ(hinit(srv, FUSE_ASYNC_READ | FUSE_POSIX_LOCKS, rep, 4096),
              sizeof(struct fuse_out_header) + sizeof(*o));
    /* FUSE_INIT_EXT is always offered by hinit(). */
    ASSERT_EQ(o->flags, FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_INIT_EXT);
    ASSERT_EQ(o->max_pages, 0);
}

TEST(init_versions)
{
    struct fuse_init_in in = {.major = 7, .minor = 26};

    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, NULL);
    hreq_start(&rq, FUSE_INIT, 0, 5);
    hreq_add(&rq, &in, sizeof(in));
    expect(run(), -EPROTO, 0, 5);

    /* A newer major: answer with ours, the kernel sends INIT again. */
    in.major = 8;
    hreq_start(&rq, FUSE_INIT, 0, 6);
    hreq_add(&rq, &in, sizeof(in));
    expect(run(), 0, sizeof(struct fuse_init_out), 6);
    ASSERT_EQ(BODY(struct fuse_init_out)->major, 7);
    ASSERT_EQ(fk.ninit, 0);

    /* The 7.27-era 16-byte fuse_init_in is accepted. */
    in.major = 7;
    in.minor = 31;
    in.flags = FUSE_ASYNC_READ;
    hreq_start(&rq, FUSE_INIT, 0, 7);
    hreq_add(&rq, &in, 16);
    expect(run(), 0, sizeof(struct fuse_init_out), 7);
    ASSERT_EQ(BODY(struct fuse_init_out)->flags, FUSE_ASYNC_READ);
    ASSERT_EQ(fk.ninit, 1);
}

TEST(requests_before_init_get_eio)
{
    fake_init(&fk);
    srv = fsrv_new(&fake_ops, &fk, NULL);
    hreq_start(&rq, FUSE_LOOKUP, 1, 9);
    hreq_str(&rq, "file");
    expect(run(), -EIO, 0, 9);
    ASSERT_EQ(fk.ncalls, 0);
}

TEST(destroy_then_init_again)
{
    setup();
    hreq_start(&rq, FUSE_DESTROY, 0, 3);
    expect(run(), 0, 0, 3);
    ASSERT_EQ(fk.ndestroy, 1);
    ASSERT_EQ(fsrv_session_flags(srv), 0);
    hreq_start(&rq, FUSE_GETATTR, 1, 4);
    hreq_add(&rq, &(struct fuse_getattr_in){0}, sizeof(struct fuse_getattr_in));
    expect(run(), -EIO, 0, 4);
    ASSERT_EQ(hinit(srv, FUSE_ASYNC_READ, rep, 4096), 80);
    ASSERT_EQ(fk.ninit, 2);
    /* A second INIT without DESTROY (guest reboot) ends the old session. */
    ASSERT_EQ(hinit(srv, FUSE_ASYNC_READ, rep, 4096), 80);
    ASSERT_EQ(fk.ndestroy, 2);
}

TEST(lookup)
{
    const struct fuse_entry_out *e = BODY(struct fuse_entry_out);

    setup();
    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 11);
    hreq_str(&rq, "file");
    expect(run(), 0, sizeof(*e), 11);
    ASSERT_EQ(e->nodeid, FAKE_FILE);
    ASSERT_EQ(e->attr.size, FAKE_DATA);
    ASSERT_STR("lookup");
    ASSERT_EQ(fk.last.uid, 1001);
    ASSERT_EQ(fk.last.gid, 1002);
    ASSERT_EQ(fk.last.pid, 1003);
    ASSERT_EQ(fk.node[FAKE_FILE].nlookup, 1);

    hreq_start(&rq, FUSE_LOOKUP, FAKE_ROOT, 12);
    hreq_str(&rq, "nope");
    expect(run(), -ENOENT, 0, 12);
    /* ".." reaches the fs (export support); it must stay inside. */
    hreq_start(&rq, FUSE_LOOKUP, FAKE_DIR, 13);
    hreq_str(&rq, "..");
    expect(run(), -ENOENT, 0, 13);
    ASSERT(!strcmp(fk.last.name, ".."));
}

TEST(forget_and_batch_forget_have_no_reply)
{
    struct fuse_forget_in fi = {.nlookup = 3};
    struct fuse_batch_forget_in bi = {.count = 2};
    struct fuse_forget_one one[2] = {{2, 5}, {3, 7}};

    setup();
    hreq_start(&rq, FUSE_FORGET, FAKE_FILE, 20);
    hreq_add(&rq, &fi, sizeof(fi));
    ASSERT_EQ(run(), 0);
    ASSERT_EQ(rep[0], 0xee); /* hrun()'s filler: nothing written */
    ASSERT_EQ(fk.nforget, 1);
    ASSERT_EQ(fk.forgotten, 3);
    ASSERT_EQ(fk.last.ino, FAKE_FILE);

    hreq_start(&rq, FUSE_BATCH_FORGET, 0, 21);
    hreq_add(&rq, &bi, sizeof(bi));
    hreq_add(&rq, one, sizeof(one));
    /* A chain with no writable part at all is fine for these. */
    ASSERT_EQ(hrun(srv, rq.buf, hreq_end(&rq), 2, 0, rep, 0, 0), 0);
    ASSERT_EQ(fk.nforget, 3);
    ASSERT_EQ(fk.forgotten, 15);
}

TEST(unknown_opcodes_get_enosys)
{
    static const uint32_t ops[] = {
        7, 19, FUSE_BMAP, 52, CUSE_INIT, 9999, FUSE_INIT_BSWAP_RESERVED};

    setup();
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        hreq_start(&rq, ops[i], 1, 100 + i);
        hreq_add(&rq, "0123456789abcdef", 16);
        expect(run(), -ENOSYS, 0, 100 + i);
    }
    ASSERT_EQ(fk.ncalls, 0);
}

TEST(getattr_setattr)
{
    struct fuse_getattr_in gi = {.getattr_flags = FUSE_GETATTR_FH,
                                 .fh = FAKE_FH_BASE + FAKE_FILE};
    struct fuse_setattr_in si = {0};

    setup();
    hreq_start(&rq, FUSE_GETATTR, FAKE_FILE, 30);
    hreq_add(&rq, &gi, sizeof(gi));
    expect(run(), 0, sizeof(struct fuse_attr_out), 30);
    ASSERT(fk.last.has_fh);
    ASSERT_EQ(BODY(struct fuse_attr_out)->attr.ino, FAKE_FILE);

    gi.getattr_flags = 0;
    hreq_start(&rq, FUSE_GETATTR, FAKE_FILE, 31);
    hreq_add(&rq, &gi, sizeof(gi));
    expect(run(), 0, sizeof(struct fuse_attr_out), 31);
    ASSERT(!fk.last.has_fh);

    /* Truncate through a handle, killing suid/sgid. */
    fk.node[FAKE_FILE].mode |= S_ISUID;
    si.valid = FATTR_SIZE | FATTR_FH | FATTR_KILL_SUIDGID;
    si.size = 100;
    si.fh = FAKE_FH_BASE + FAKE_FILE;
    hreq_start(&rq, FUSE_SETATTR, FAKE_FILE, 32);
    hreq_add(&rq, &si, sizeof(si));
    expect(run(), 0, sizeof(struct fuse_attr_out), 32);
    ASSERT_EQ(BODY(struct fuse_attr_out)->attr.size, 100);
    ASSERT_EQ(fk.last.flags, si.valid);
    ASSERT(!(fk.node[FAKE_FILE].mode & S_ISUID));
}

TEST(readlink_symlink)
{
    setup();
    hreq_start(&rq, FUSE_READLINK, FAKE_LINK, 40);
    expect(run(), 0, 4, 40);
    ASSERT(!memcmp(rep + 16, "file", 4));

    hreq_start(&rq, FUSE_SYMLINK, FAKE_DIR, 41);
    hreq_str(&rq, "sl");
    hreq_str(&rq, "../a/b/c");
    expect(run(), 0, sizeof(struct fuse_entry_out), 41);
    ASSERT_STR("symlink");
    ASSERT(!strcmp(fk.last.name, "sl"));
    ASSERT(!strcmp(fk.last.name2, "../a/b/c"));
    ASSERT_EQ(fk.last.ino, FAKE_DIR);
}

TEST(mknod_mkdir_pass_umask)
{
    struct fuse_mknod_in mi = {
        .mode = S_IFIFO | 0666, .rdev = 77, .umask = 022};
    struct fuse_mkdir_in di = {.mode = 0777, .umask = 027};

    setup();
    hreq_start(&rq, FUSE_MKNOD, FAKE_ROOT, 50);
    hreq_add(&rq, &mi, sizeof(mi));
    hreq_str(&rq, "fifo");
    expect(run(), 0, sizeof(struct fuse_entry_out), 50);
    ASSERT_STR("mknod");
    ASSERT_EQ(fk.last.mode, S_IFIFO | 0666);
    ASSERT_EQ(fk.last.umask, 022);
    ASSERT_EQ(fk.last.flags, 77);

    hreq_start(&rq, FUSE_MKDIR, FAKE_ROOT, 51);
    hreq_add(&rq, &di, sizeof(di));
    hreq_str(&rq, "d2");
    expect(run(), 0, sizeof(struct fuse_entry_out), 51);
    ASSERT_STR("mkdir");
    ASSERT_EQ(fk.last.umask, 027);
    ASSERT_EQ(BODY(struct fuse_entry_out)->attr.mode, S_IFDIR | 0750);
}

TEST(unlink_rmdir_rename_link)
{
    struct fuse_rename_in ri = {.newdir = FAKE_DIR};
    struct fuse_rename2_in r2 = {.newdir = FAKE_ROOT,
                                 .flags = RENAME_NOREPLACE};
    struct fuse_link_in li = {.oldnodeid = FAKE_FILE};

    setup();
    hreq_start(&rq, FUSE_RENAME, FAKE_ROOT, 60);
    hreq_add(&rq, &ri, sizeof(ri));
    hreq_str(&rq, "file");
    hreq_str(&rq, "moved");
    expect(run(), 0, 0, 60);
    ASSERT_STR("rename");
    ASSERT_EQ(fk.last.ino2, FAKE_DIR);
    ASSERT_EQ(fk.last.flags, 0);
    ASSERT(!strcmp(fk.node[FAKE_FILE].name, "moved"));

    hreq_start(&rq, FUSE_RENAME2, FAKE_DIR, 61);
    hreq_add(&rq, &r2, sizeof(r2));
    hreq_str(&rq, "moved");
    hreq_str(&rq, "back");
    expect(run(), 0, 0, 61);
    ASSERT_EQ(fk.last.flags, RENAME_NOREPLACE);
    ASSERT(!strcmp(fk.last.name2, "back"));

    r2.flags = RENAME_EXCHANGE | RENAME_WHITEOUT;
    hreq_start(&rq, FUSE_RENAME2, FAKE_ROOT, 62);
    hreq_add(&rq, &r2, sizeof(r2));
    hreq_str(&rq, "back");
    hreq_str(&rq, "dir");
    expect(run(), 0, 0, 62);
    ASSERT_EQ(fk.last.flags, RENAME_EXCHANGE | RENAME_WHITEOUT);

    hreq_start(&rq, FUSE_LINK, FAKE_DIR, 63);
    hreq_add(&rq, &li, sizeof(li));
    hreq_str(&rq, "hard");
    expect(run(), 0, sizeof(struct fuse_entry_out), 63);
    ASSERT_STR("link");
    ASSERT_EQ(fk.last.ino, FAKE_FILE);
    ASSERT_EQ(fk.last.ino2, FAKE_DIR);

    hreq_start(&rq, FUSE_UNLINK, FAKE_ROOT, 64);
    hreq_str(&rq, "link");
    expect(run(), 0, 0, 64);
    ASSERT_STR("unlink");
    hreq_start(&rq, FUSE_RMDIR, FAKE_ROOT, 65);
    hreq_str(&rq, "dir");
    expect(run(), 0, 0, 65);
    ASSERT_STR("rmdir");
    ASSERT(!strcmp(fk.last.name, "dir"));
}

TEST(open_create_tmpfile_release)
{
    struct fuse_open_in oi = {.flags = O_RDWR | O_APPEND,
                              .open_flags = FUSE_OPEN_KILL_SUIDGID};
    struct fuse_create_in ci = {
        .flags = O_WRONLY | O_CREAT, .mode = S_IFREG | 0640, .umask = 0};
    struct fuse_release_in rl = {.fh = FAKE_FH_BASE + FAKE_FILE,
                                 .release_flags = FUSE_RELEASE_FLOCK_UNLOCK,
                                 .lock_owner = 99};
    const struct fuse_open_out *oo;

    setup();
    hreq_start(&rq, FUSE_OPEN, FAKE_FILE, 70);
    hreq_add(&rq, &oi, sizeof(oi));
    expect(run(), 0, sizeof(struct fuse_open_out), 70);
    ASSERT_EQ(BODY(struct fuse_open_out)->fh, FAKE_FH_BASE + FAKE_FILE);
    ASSERT_EQ(fk.last.flags, O_RDWR | O_APPEND);
    ASSERT_EQ(fk.last.flags2, FUSE_OPEN_KILL_SUIDGID);

    hreq_start(&rq, FUSE_CREATE, FAKE_ROOT, 71);
    hreq_add(&rq, &ci, sizeof(ci));
    hreq_str(&rq, "new");
    expect(run(), 0,
           sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out), 71);
    oo = (const void *)(rep + 16 + sizeof(struct fuse_entry_out));
    ASSERT_EQ(oo->fh, FAKE_FH_BASE + BODY(struct fuse_entry_out)->nodeid);
    ASSERT_STR("create");
    ASSERT(!strcmp(fk.last.name, "new"));

    /* TMPFILE: the kernel names the dentry "/", which is not a name. */
    hreq_start(&rq, FUSE_TMPFILE, FAKE_ROOT, 72);
    hreq_add(&rq, &ci, sizeof(ci));
    hreq_str(&rq, "/");
    expect(run(), 0,
           sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out), 72);
    ASSERT_STR("tmpfile");

    hreq_start(&rq, FUSE_RELEASE, FAKE_FILE, 73);
    hreq_add(&rq, &rl, sizeof(rl));
    expect(run(), 0, 0, 73);
    ASSERT_STR("release");
    ASSERT_EQ(fk.last.flags2, FUSE_RELEASE_FLOCK_UNLOCK);
    ASSERT_EQ(fk.last.lock_owner, 99);
}

TEST(read_into_split_reply)
{
    struct fuse_read_in ri = {
        .fh = FAKE_FH_BASE + FAKE_FILE, .offset = 100, .size = 10000};

    setup();
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 80);
    hreq_add(&rq, &ri, sizeof(ri));
    /* 5 writable iovecs: the header straddles none, data spans them. */
    expect(run_split(2, 5, 16 + 10000), 0, 10000, 80);
    ASSERT_STR("read");
    ASSERT_EQ(fk.last.off, 100);
    ASSERT_EQ(fk.last.size, 10000);
    ASSERT_GE(fk.last.iovcnt, 5);
    ASSERT(!memcmp(rep + 16, fk.node[FAKE_FILE].data + 100, 10000));

    /* Short read at end of file: the reply says how much. */
    ri.offset = FAKE_DATA - 10;
    hreq_start(&rq, FUSE_READ, FAKE_FILE, 81);
    hreq_add(&rq, &ri, sizeof(ri));
    expect(run_split(1, 7, 16 + 10000), 0, 10, 81);
}

TEST(write_from_split_request)
{
    struct fuse_write_in wi = {.fh = FAKE_FH_BASE + FAKE_FILE,
                               .offset = 50,
                               .size = 9000,
                               .write_flags = FUSE_WRITE_KILL_SUIDGID};
    char data[9000];
    size_t len;

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (char)(i * 7);
    }
    setup();
    hreq_start(&rq, FUSE_WRITE, FAKE_FILE, 90);
    hreq_add(&rq, &wi, sizeof(wi));
    hreq_add(&rq, data, sizeof(data));
    len = hreq_end(&rq);
    /* The header itself split over the first two iovecs, then 6 more. */
    expect(hrun(srv, rq.buf, len, 8, 7, rep, 4096, 3), 0,
           sizeof(struct fuse_write_out), 90);
    ASSERT_EQ(BODY(struct fuse_write_out)->size, 9000);
    ASSERT_STR("write");
    ASSERT_GE(fk.last.iovcnt, 6);
    ASSERT_EQ(fk.last.flags, FUSE_WRITE_KILL_SUIDGID);
    ASSERT(!memcmp(fk.node[FAKE_FILE].data + 50, data, sizeof(data)));
}

TEST(statfs_fsync_flush_access_syncfs)
{
    struct fuse_fsync_in fi = {.fh = FAKE_FH_BASE + FAKE_FILE,
                               .fsync_flags = FUSE_FSYNC_FDATASYNC};
    struct fuse_flush_in fl = {.fh = FAKE_FH_BASE + FAKE_FILE, .lock_owner = 5};
    struct fuse_access_in ai = {.mask = 4};
    struct fuse_syncfs_in sy = {0};

    setup();
    hreq_start(&rq, FUSE_STATFS, FAKE_ROOT, 100);
    expect(run(), 0, sizeof(struct fuse_statfs_out), 100);
    ASSERT_EQ(BODY(struct fuse_statfs_out)->st.blocks, 1000);

    hreq_start(&rq, FUSE_FSYNC, FAKE_FILE, 101);
    hreq_add(&rq, &fi, sizeof(fi));
    expect(run(), 0, 0, 101);
    ASSERT_STR("fsync");
    ASSERT_EQ(fk.last.flags, 1);

    fi.fh = FAKE_FH_BASE + FAKE_DIR;
    fi.fsync_flags = 0;
    hreq_start(&rq, FUSE_FSYNCDIR, FAKE_DIR, 102);
    hreq_add(&rq, &fi, sizeof(fi));
    expect(run(), 0, 0, 102);
    ASSERT_STR("fsyncdir");
    ASSERT_EQ(fk.last.flags, 0);

    hreq_start(&rq, FUSE_FLUSH, FAKE_FILE, 103);
    hreq_add(&rq, &fl, sizeof(fl));
    expect(run(), 0, 0, 103);
    ASSERT_STR("flush");
    ASSERT_EQ(fk.last.lock_owner, 5);

    hreq_start(&rq, FUSE_ACCESS, FAKE_FILE, 104);
    hreq_add(&rq, &ai, sizeof(ai));
    expect(run(), 0, 0, 104);
    ASSERT_EQ(fk.last.mode, 4);

    hreq_start(&rq, FUSE_SYNCFS, FAKE_ROOT, 105);
    hreq_add(&rq, &sy, sizeof(sy));
    expect(run(), 0, 0, 105);
    ASSERT_STR("syncfs");
}

TEST(xattrs)
{
    struct fuse_setxattr_in si = {.size = 5, .flags = 1, .setxattr_flags = 0};
    struct fuse_getxattr_in gi = {.size = 0};

    setup();
    hreq_start(&rq, FUSE_SETXATTR, FAKE_FILE, 110);
    hreq_add(&rq, &si, sizeof(si)); /* SETXATTR_EXT negotiated: 16 bytes */
    hreq_str(&rq, "user.k");
    hreq_add(&rq, "hello", 5);
    /* The value split over iovecs is gathered. */
    expect(run_split(4, 1, 4096), 0, 0, 110);
    ASSERT_STR("setxattr");
    ASSERT(!strcmp(fk.last.name, "user.k"));
    ASSERT_EQ(fk.last.size, 5);
    ASSERT_EQ(fk.last.flags, 1);

    hreq_start(&rq, FUSE_GETXATTR, FAKE_FILE, 111);
    hreq_add(&rq, &gi, sizeof(gi));
    hreq_str(&rq, "user.k");
    expect(run(), 0, sizeof(struct fuse_getxattr_out), 111);
    ASSERT_EQ(BODY(struct fuse_getxattr_out)->size, 5);

    gi.size = 64;
    hreq_start(&rq, FUSE_GETXATTR, FAKE_FILE, 112);
    hreq_add(&rq, &gi, sizeof(gi));
    hreq_str(&rq, "user.k");
    expect(run_split(1, 3, 16 + 64), 0, 5, 112);
    ASSERT(!memcmp(rep + 16, "hello", 5));

    gi.size = 2;
    hreq_start(&rq, FUSE_GETXATTR, FAKE_FILE, 113);
    hreq_add(&rq, &gi, sizeof(gi));
    hreq_str(&rq, "user.k");
    expect(run(), -ERANGE, 0, 113);

    gi.size = 100;
    hreq_start(&rq, FUSE_LISTXATTR, FAKE_FILE, 114);
    hreq_add(&rq, &gi, sizeof(gi));
    expect(run(), 0, 7, 114);
    ASSERT(!memcmp(rep + 16, "user.k", 7));

    hreq_start(&rq, FUSE_REMOVEXATTR, FAKE_FILE, 115);
    hreq_str(&rq, "user.k");
    expect(run(), 0, 0, 115);
    ASSERT_STR("removexattr");
}

TEST(opendir_readdir_readdirplus)
{
    struct fuse_open_in oi = {.flags = O_RDONLY};
    struct fuse_read_in ri = {.fh = FAKE_FH_BASE + FAKE_ROOT, .size = 4096};
    struct fuse_release_in rl = {.fh = FAKE_FH_BASE + FAKE_ROOT};
    const struct fuse_dirent *d;
    const struct fuse_direntplus *dp;
    size_t pos, n = 0;
    ssize_t rc;

    setup();
    hreq_start(&rq, FUSE_OPENDIR, FAKE_ROOT, 120);
    hreq_add(&rq, &oi, sizeof(oi));
    expect(run(), 0, sizeof(struct fuse_open_out), 120);
    ASSERT_EQ(BODY(struct fuse_open_out)->fh, FAKE_FH_BASE + FAKE_ROOT);

    hreq_start(&rq, FUSE_READDIR, FAKE_ROOT, 121);
    hreq_add(&rq, &ri, sizeof(ri));
    rc = run_split(1, 4, 4096);
    ASSERT_GT(rc, 16);
    ASSERT_EQ(OH->error, 0);
    for (pos = 16; pos < (size_t)rc; pos += FUSE_DIRENT_SIZE(d)) {
        d = (const void *)(rep + pos);
        ASSERT_LE(pos + FUSE_DIRENT_SIZE(d), (size_t)rc);
        n++;
        ASSERT_EQ(d->off, n);
    }
    ASSERT_EQ(n, 5); /* . .. file dir link */
    ASSERT_EQ(pos, (size_t)rc);

    /* READDIRPLUS with room for two entries only, from offset 1. */
    ri.offset = 1;
    ri.size = 2 * FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + 4) + 8;
    hreq_start(&rq, FUSE_READDIRPLUS, FAKE_ROOT, 122);
    hreq_add(&rq, &ri, sizeof(ri));
    rc = run();
    ASSERT_EQ(OH->error, 0);
    dp = (const void *)(rep + 16);
    ASSERT_EQ(dp->dirent.namelen, 2);
    ASSERT(!memcmp(dp->dirent.name, "..", 2));
    dp = (const void *)(rep + 16 + FUSE_DIRENTPLUS_SIZE(dp));
    ASSERT_EQ(dp->dirent.namelen, 4);
    ASSERT(!memcmp(dp->dirent.name, "file", 4));
    ASSERT_EQ(dp->entry_out.nodeid, FAKE_FILE);
    ASSERT_EQ(rc, 16 + 2 * FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + 4));
    ASSERT_EQ(fk.node[FAKE_FILE].nlookup, 1);
    ASSERT_EQ(fk.node[FAKE_DIR].nlookup, 0); /* did not fit: not counted */

    hreq_start(&rq, FUSE_RELEASEDIR, FAKE_ROOT, 123);
    hreq_add(&rq, &rl, sizeof(rl));
    expect(run(), 0, 0, 123);
    ASSERT_STR("releasedir");
}

TEST(locks_getlk_setlk)
{
    struct fuse_lk_in li = {.fh = FAKE_FH_BASE + FAKE_FILE,
                            .owner = 0xabc,
                            .lk = {.start = 10, .end = 20, .type = F_WRLCK}};

    setup();
    hreq_start(&rq, FUSE_GETLK, FAKE_FILE, 130);
    hreq_add(&rq, &li, sizeof(li));
    expect(run(), 0, sizeof(struct fuse_lk_out), 130);
    ASSERT_EQ(BODY(struct fuse_lk_out)->lk.type, F_UNLCK);
    ASSERT_EQ(fk.last.lock_owner, 0xabc);
    ASSERT_EQ(fk.last.off, 10);

    li.lk_flags = FUSE_LK_FLOCK;
    hreq_start(&rq, FUSE_SETLK, FAKE_FILE, 131);
    hreq_add(&rq, &li, sizeof(li));
    expect(run(), 0, 0, 131);
    ASSERT_STR("setlk");
    ASSERT_EQ(fk.last.flags, FUSE_LK_FLOCK);
    ASSERT(!fk.last.sleep);

    fk.contended = true;
    hreq_start(&rq, FUSE_SETLK, FAKE_FILE, 132);
    hreq_add(&rq, &li, sizeof(li));
    expect(run(), -EAGAIN, 0, 132);

    /* An uncontended SETLKW is answered at once. */
    fk.contended = false;
    hreq_start(&rq, FUSE_SETLKW, FAKE_FILE, 133);
    hreq_add(&rq, &li, sizeof(li));
    expect(run(), 0, 0, 133);
}

struct later {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t len;
    bool done;
};

static void complete_cb(struct fsrv_req *r, size_t len)
{
    struct later *l = r->opaque;

    pthread_mutex_lock(&l->mu);
    l->len = len;
    l->done = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

TEST(setlkw_waits_off_the_queue)
{
    struct fuse_lk_in li = {.fh = FAKE_FH_BASE + FAKE_FILE,
                            .owner = 1,
                            .lk = {.start = 0, .end = 10, .type = F_RDLCK}};
    struct later l = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
                      false};
    static uint8_t lkout[64];
    struct iovec in, out = {lkout, sizeof(lkout)};
    struct fsrv_req r = {0};
    struct fuse_out_header *oh = (void *)lkout;

    setup();
    fk.contended = true;
    hreq_start(&rq, FUSE_SETLKW, FAKE_FILE, 140);
    hreq_add(&rq, &li, sizeof(li));
    in.iov_base = rq.buf;
    in.iov_len = hreq_end(&rq);
    r.in = &in;
    r.in_cnt = 1;
    r.out = &out;
    r.out_cnt = 1;
    r.complete = complete_cb;
    r.opaque = &l;
    ASSERT_EQ(fsrv_handle(srv, &r), -EINPROGRESS);
    ASSERT_EQ(fsrv_pending(srv), 1);

    /* Wait until the lock thread sleeps in the fs. */
    pthread_mutex_lock(&fk.mu);
    while (!fk.waiting) {
        pthread_cond_wait(&fk.cv, &fk.mu);
    }
    pthread_mutex_unlock(&fk.mu);

    /* The queue goes on meanwhile. */
    hreq_start(&rq, FUSE_STATFS, FAKE_ROOT, 141);
    expect(run(), 0, sizeof(struct fuse_statfs_out), 141);
    pthread_mutex_lock(&l.mu);
    ASSERT(!l.done);
    pthread_mutex_unlock(&l.mu);

    fake_release_lock(&fk);
    pthread_mutex_lock(&l.mu);
    while (!l.done) {
        pthread_cond_wait(&l.cv, &l.mu);
    }
    pthread_mutex_unlock(&l.mu);
    ASSERT_EQ(l.len, sizeof(*oh));
    ASSERT_EQ(oh->len, sizeof(*oh));
    ASSERT_EQ(oh->error, 0);
    ASSERT_EQ(oh->unique, 140);
    ASSERT_EQ(fsrv_pending(srv), 0);
}

static void on_intr(int sig)
{
    (void)sig;
}

TEST(interrupt_ends_a_waiting_setlkw)
{
    struct fsrv_opts o = {.interrupt_signal = SIGUSR2};
    struct fuse_lk_in li = {.fh = FAKE_FH_BASE + FAKE_FILE,
                            .owner = 1,
                            .lk = {.start = 0, .end = 10, .type = F_WRLCK}};
    struct fuse_interrupt_in it = {.unique = 150};
    struct later l = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
                      false};
    struct sigaction sa = {.sa_handler = on_intr}; /* no SA_RESTART */
    static uint8_t lkout[64];
    struct iovec in, out = {lkout, sizeof(lkout)};
    struct fsrv_req r = {0};
    struct fuse_out_header *oh = (void *)lkout;
    int p[2];
    bool done = false;
    unsigned int n;

    ASSERT_OK(sigaction(SIGUSR2, &sa, NULL));
    ASSERT_OK(pipe(p));
    setup_opts(&o);
    fk.contended = true;
    fk.intr_fd = p[0];
    hreq_start(&rq, FUSE_SETLKW, FAKE_FILE, 150);
    hreq_add(&rq, &li, sizeof(li));
    in.iov_base = rq.buf;
    in.iov_len = hreq_end(&rq);
    r.in = &in;
    r.in_cnt = 1;
    r.out = &out;
    r.out_cnt = 1;
    r.complete = complete_cb;
    r.opaque = &l;
    ASSERT_EQ(fsrv_handle(srv, &r), -EINPROGRESS);

    /* An INTERRUPT for another request is not answered. */
    it.unique = 149;
    hreq_start(&rq, FUSE_INTERRUPT, 0, 149 | (1ull << 63));
    hreq_add(&rq, &it, sizeof(it));
    ASSERT_EQ(run(), 0);

    /* The kernel sends it again as long as it is answered EAGAIN. */
    it.unique = 150;
    for (n = 0; n < 100000 && !done; n++) {
        ssize_t rc;

        hreq_start(&rq, FUSE_INTERRUPT, 0, 150 | (1ull << 63));
        hreq_add(&rq, &it, sizeof(it));
        rc = run();
        if (rc == 0) {
            done = true;
            break;
        }
        expect(rc, -EAGAIN, 0, 150 | (1ull << 63));
        pthread_mutex_lock(&l.mu);
        done = l.done;
        pthread_mutex_unlock(&l.mu);
    }
    ASSERT(done);
    pthread_mutex_lock(&l.mu);
    while (!l.done) {
        pthread_cond_wait(&l.cv, &l.mu);
    }
    pthread_mutex_unlock(&l.mu);
    ASSERT_EQ(l.len, sizeof(*oh));
    ASSERT_EQ(oh->error, -EINTR);
    ASSERT_EQ(oh->unique, 150);
    ASSERT_EQ(fsrv_pending(srv), 0);
}

TEST(fallocate_lseek_copy_file_range)
{
    struct fuse_fallocate_in fa = {.fh = FAKE_FH_BASE + FAKE_FILE,
                                   .offset = 4096,
                                   .length = 8192,
                                   .mode = 3};
    struct fuse_lseek_in ls = {
        .fh = FAKE_FH_BASE + FAKE_FILE, .offset = 10, .whence = SEEK_DATA};
    struct fuse_copy_file_range_in cf = {.fh_in = FAKE_FH_BASE + FAKE_FILE,
                                         .off_in = 1,
                                         .nodeid_out = FAKE_LINK,
                                         .fh_out = FAKE_FH_BASE + FAKE_LINK,
                                         .len = 1ull << 40};

    setup();
    hreq_start(&rq, FUSE_FALLOCATE, FAKE_FILE, 150);
    hreq_add(&rq, &fa, sizeof(fa));
    expect(run(), 0, 0, 150);
    ASSERT_EQ(fk.last.off, 4096);
    ASSERT_EQ(fk.last.len, 8192);
    ASSERT_EQ(fk.last.mode, 3);

    hreq_start(&rq, FUSE_LSEEK, FAKE_FILE, 151);
    hreq_add(&rq, &ls, sizeof(ls));
    expect(run(), 0, sizeof(struct fuse_lseek_out), 151);
    ASSERT_EQ(BODY(struct fuse_lseek_out)->offset, 17);
    ASSERT_EQ(fk.last.mode, SEEK_DATA);

    hreq_start(&rq, FUSE_COPY_FILE_RANGE, FAKE_FILE, 152);
    hreq_add(&rq, &cf, sizeof(cf));
    expect(run(), 0, sizeof(struct fuse_write_out), 152);
    ASSERT_EQ(BODY(struct fuse_write_out)->size, 100);
    ASSERT_EQ(fk.last.ino2, FAKE_LINK);
    ASSERT_LE(fk.last.len, UINT32_MAX); /* capped for the 32-bit reply */
}

TEST(ioctl_poll_interrupt)
{
    struct fuse_ioctl_in ii = {.fh = FAKE_FH_BASE + FAKE_FILE,
                               .cmd = 0x1234,
                               .in_size = 4,
                               .out_size = 8};
    struct fuse_poll_in pi = {.fh = FAKE_FH_BASE + FAKE_FILE, .events = 7};
    struct fuse_interrupt_in it = {.unique = 1};
    const struct fuse_ioctl_out *io = BODY(struct fuse_ioctl_out);

    setup();
    hreq_start(&rq, FUSE_IOCTL, FAKE_FILE, 160);
    hreq_add(&rq, &ii, sizeof(ii));
    hreq_add(&rq, "abcd", 4);
    expect(run(), 0, sizeof(*io) + 4, 160);
    ASSERT_EQ(io->result, 42);
    ASSERT(!memcmp(rep + 16 + sizeof(*io), "abcd", 4));

    ii.cmd = 0x99;
    hreq_start(&rq, FUSE_IOCTL, FAKE_FILE, 161);
    hreq_add(&rq, &ii, sizeof(ii));
    hreq_add(&rq, "abcd", 4);
    expect(run(), -ENOTTY, 0, 161);

    hreq_start(&rq, FUSE_POLL, FAKE_FILE, 162);
    hreq_add(&rq, &pi, sizeof(pi));
    expect(run(), 0, sizeof(struct fuse_poll_out), 162);
    ASSERT_EQ(BODY(struct fuse_poll_out)->revents, 5);

    hreq_start(&rq, FUSE_INTERRUPT, 0, 163);
    hreq_add(&rq, &it, sizeof(it));
    ASSERT_EQ(run(), 0);
}

TEST(missing_ops_get_enosys)
{
    static const struct fs_ops none;
    struct fuse_open_in oi = {0};

    srv = fsrv_new(&none, NULL, NULL);
    ASSERT_EQ(hinit(srv, 0xffffffffull, rep, 4096), 80);
    /* No lock or readdirplus ops: those capabilities are not offered. */
    ASSERT(!(BODY(struct fuse_init_out)->flags & FUSE_POSIX_LOCKS));
    ASSERT(!(BODY(struct fuse_init_out)->flags & FUSE_DO_READDIRPLUS));
    hreq_start(&rq, FUSE_OPEN, 1, 170);
    hreq_add(&rq, &oi, sizeof(oi));
    expect(run(), -ENOSYS, 0, 170);
    hreq_start(&rq, FUSE_LOOKUP, 1, 171);
    hreq_str(&rq, "x");
    expect(run(), -ENOSYS, 0, 171);
}

TEST(dax_mapping_ops_need_dax)
{
    struct fuse_setupmapping_in si = {.fh = 1, .len = 4096};

    setup();
    hreq_start(&rq, FUSE_SETUPMAPPING, FAKE_FILE, 180);
    hreq_add(&rq, &si, sizeof(si));
    expect(run(), -ENOSYS, 0, 180);
}

TEST(dax_mappings)
{
    struct fsrv_opts o = {.dax = true};
    struct fuse_setupmapping_in si = {.fh = FAKE_FH_BASE + FAKE_FILE,
                                      .foffset = 1 << 21,
                                      .len = 1 << 21,
                                      .flags = FUSE_SETUPMAPPING_FLAG_READ,
                                      .moffset = 4 << 21};
    struct fuse_removemapping_in rm = {.count = 300};
    static struct fuse_removemapping_one ranges[300];

    setup_opts(&o);
    hreq_start(&rq, FUSE_SETUPMAPPING, FAKE_FILE, 190);
    hreq_add(&rq, &si, sizeof(si));
    expect(run(), 0, 0, 190);
    ASSERT_STR("setupmapping");
    ASSERT_EQ(fk.last.off, 1 << 21);
    ASSERT_EQ(fk.last.ino2, 4 << 21);
    ASSERT_EQ(fk.last.flags, FUSE_SETUPMAPPING_FLAG_READ);

    /* More ranges than one page: given to the fs in pieces, all of them. */
    for (int i = 0; i < 300; i++) {
        ranges[i].moffset = (uint64_t)i << 21;
        ranges[i].len = 1;
    }
    hreq_start(&rq, FUSE_REMOVEMAPPING, 0, 191);
    hreq_add(&rq, &rm, sizeof(rm));
    hreq_add(&rq, ranges, sizeof(ranges));
    expect(run_split(3, 1, 4096), 0, 0, 191);
    ASSERT_STR("removemapping");
    ASSERT_EQ(fk.last.size, 300);
    ASSERT_EQ(fk.last.len, 300);
}

TEST_MAIN(T(init_negotiates), T(init_only_what_kernel_offers), T(init_versions),
          T(requests_before_init_get_eio), T(destroy_then_init_again),
          T(lookup), T(forget_and_batch_forget_have_no_reply),
          T(unknown_opcodes_get_enosys), T(getattr_setattr),
          T(readlink_symlink), T(mknod_mkdir_pass_umask),
          T(unlink_rmdir_rename_link), T(open_create_tmpfile_release),
          T(read_into_split_reply), T(write_from_split_request),
          T(statfs_fsync_flush_access_syncfs), T(xattrs),
          T(opendir_readdir_readdirplus), T(locks_getlk_setlk),
          T(setlkw_waits_off_the_queue), T(interrupt_ends_a_waiting_setlkw),
          T(fallocate_lseek_copy_file_range), T(ioctl_poll_interrupt),
          T(missing_ops_get_enosys), T(dax_mapping_ops_need_dax),
          T(dax_mappings))
