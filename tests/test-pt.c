/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-pt.c - the passthrough filesystem's ops, called directly on a
 * directory of test_tmpdir() as the FUSE server would call them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../src/pt-int.h"
#include "pt-harness.h"
#include "test.h"

#define ROOT FUSE_ROOT_ID

static const struct fs_ctx *ctx = &pth_root_ctx;

/* CREATE @name in @parent with O_RDWR: the fh; *@nodeid the node. */
TEST(lookup_counts_and_forget)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    int64_t id1, id2;
    unsigned long base = pt_inode_count(fs);

    ASSERT_EQ(base, 1); /* the root */
    pth_write_file(pth_path(dir, "a"), "x");
    id1 = pth_lookup(fs, ROOT, "a");
    ASSERT_GT(id1, (int64_t)ROOT);
    id2 = pth_lookup(fs, ROOT, "a");
    ASSERT_EQ(id1, id2);
    ASSERT_EQ(pt_inode_nlookup(fs, (uint64_t)id1), 2);
    ASSERT_EQ(pt_inode_count(fs), 2);
    ASSERT_EQ(pth_lookup(fs, ROOT, "missing"), -ENOENT);

    PT.forget(fs, (uint64_t)id1, 1);
    ASSERT_EQ(pt_inode_nlookup(fs, (uint64_t)id1), 1);
    (void)pth_attr(fs, (uint64_t)id1);
    PT.forget(fs, (uint64_t)id1, 1);
    ASSERT_EQ(pt_inode_count(fs), 1);
    ASSERT_EQ(
        PT.getattr(fs, ctx, (uint64_t)id1, NULL, &(struct fuse_attr_out){0}),
        -ENOENT);
    /* FORGET of the root, of a stale id and of garbage changes nothing */
    PT.forget(fs, ROOT, 1000);
    PT.forget(fs, (uint64_t)id1, 1);
    PT.forget(fs, 0xdeadbeefcafeull, 1);
    ASSERT_EQ(pt_inode_count(fs), 1);
    ASSERT_EQ(pth_attr(fs, ROOT).mode & S_IFMT, S_IFDIR);
    pt_destroy(fs);
}

TEST(node_ids_are_indices_and_stale_ids_refused)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_attr_out a;
    int64_t old, neu;
    uint64_t forged[] = {0,
                         2,
                         3,
                         0xffffffffull,
                         1ull << 32,
                         ~0ull,
                         (uint64_t)(uintptr_t)fs,
                         (uint64_t)(uintptr_t)&a};
    unsigned int i;

    pth_write_file(pth_path(dir, "a"), "x");
    pth_write_file(pth_path(dir, "b"), "y");
    old = pth_lookup(fs, ROOT, "a");
    ASSERT_EQ((uint32_t)old, 2); /* slot 2: the first after the root */
    PT.forget(fs, (uint64_t)old, 1);
    neu = pth_lookup(fs, ROOT, "b");
    /* same slot, new generation: the old id does not reach "b" */
    ASSERT_EQ((uint32_t)neu, (uint32_t)old);
    ASSERT_NE(neu, old);
    ASSERT_EQ(PT.getattr(fs, ctx, (uint64_t)old, NULL, &a), -ENOENT);
    ASSERT_EQ(PT.access(fs, ctx, (uint64_t)old, R_OK), -ENOENT);
    ASSERT_EQ(pth_lookup(fs, (uint64_t)old, "x"), -ENOENT);
    for (i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        if (forged[i] == (uint64_t)neu) {
            continue;
        }
        ASSERT_EQ(PT.getattr(fs, ctx, forged[i], NULL, &a), -ENOENT);
        ASSERT_EQ(PT.read(fs, ctx, (uint64_t)neu, forged[i], 0, NULL, 0),
                  -EBADF);
    }
    pt_destroy(fs);
}

TEST(getattr_matches_host)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_attr a;
    struct stat st;
    int64_t id;

    pth_write_file(pth_path(dir, "f"), "hello");
    ASSERT_OK(chmod(pth_path(dir, "f"), 0604));
    ASSERT_OK(stat(pth_path(dir, "f"), &st));
    id = pth_lookup(fs, ROOT, "f");
    a = pth_attr(fs, (uint64_t)id);
    ASSERT_EQ(a.ino, st.st_ino);
    ASSERT_EQ(a.size, 5);
    ASSERT_EQ(a.mode, S_IFREG | 0604);
    ASSERT_EQ(a.nlink, 1);
    ASSERT_EQ(a.mtime, st.st_mtim.tv_sec);
    ASSERT_EQ(a.mtimensec, st.st_mtim.tv_nsec);
    pt_destroy(fs);
}

TEST(create_write_read_iovecs)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    char a[4], b[3], c[16], host[32];
    struct iovec wv[2] = {{(void *)"hello ", 6}, {(void *)"world", 5}};
    struct iovec rv[3] = {{a, 4}, {b, 3}, {c, 16}};
    uint64_t id, fh;
    int fd;

    fh = pth_create(fs, ROOT, "f", 0640, &id);
    ASSERT_EQ(pth_attr(fs, id).mode, S_IFREG | 0640);
    ASSERT_EQ(PT.write(fs, ctx, id, fh, 0, wv, 2, 0), 11);
    memset(c, 0, sizeof(c));
    ASSERT_EQ(PT.read(fs, ctx, id, fh, 0, rv, 3), 11);
    ASSERT(memcmp(a, "hell", 4) == 0);
    ASSERT(memcmp(b, "o w", 3) == 0);
    ASSERT(memcmp(c, "orld", 4) == 0);
    ASSERT_EQ(PT.read(fs, ctx, id, fh, 100, rv, 3), 0); /* end of file */
    /* the host sees it */
    fd = open(pth_path(dir, "f"), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(read(fd, host, sizeof(host)), 11);
    close(fd);
    ASSERT_OK(PT.flush(fs, ctx, id, fh, 7));
    ASSERT_OK(PT.fsync(fs, ctx, id, fh, true));
    ASSERT_OK(PT.release(fs, ctx, id, fh, O_RDWR, 0, 7));
    /* a released fh is refused, and so is a fh of another inode */
    ASSERT_EQ(PT.read(fs, ctx, id, fh, 0, rv, 3), -EBADF);
    ASSERT_EQ(PT.release(fs, ctx, id, fh, 0, 0, 0), -EBADF);
    fh = pth_open(fs, id, O_RDONLY);
    ASSERT_EQ(PT.read(fs, ctx, ROOT, fh, 0, rv, 3), -EBADF);
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    /* CREATE with O_EXCL on an existing name */
    {
        struct fuse_entry_out e;
        struct fuse_open_out o;

        ASSERT_EQ(PT.create(fs, ctx, ROOT, "f", S_IFREG | 0600, O_RDWR | O_EXCL,
                            0, &e, &o),
                  -EEXIST);
        /* without O_EXCL: opens the existing file */
        memset(&e, 0, sizeof(e));
        ASSERT_OK(
            PT.create(fs, ctx, ROOT, "f", S_IFREG | 0600, O_RDONLY, 0, &e, &o));
        ASSERT_EQ(e.nodeid, id);
        ASSERT_EQ(PT.read(fs, ctx, id, o.fh, 0, rv, 3), 11);
        ASSERT_OK(PT.release(fs, ctx, id, o.fh, 0, 0, 0));
    }
    pt_destroy(fs);
}

TEST(setattr_mode_size_times_and_fh)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_setattr_in in;
    struct fuse_attr_out out;
    struct stat st;
    uint64_t id, fh;

    fh = pth_create(fs, ROOT, "f", 0600, &id);
    pth_write(fs, id, fh, 0, "0123456789");

    memset(&in, 0, sizeof(in));
    in.valid = FATTR_MODE;
    in.mode = S_IFREG | 0751;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_EQ(out.attr.mode, S_IFREG | 0751);

    in.valid = FATTR_SIZE;
    in.size = 4;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_EQ(out.attr.size, 4);

    in.valid = FATTR_SIZE | FATTR_FH;
    in.size = 2;
    in.fh = fh;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_EQ(out.attr.size, 2);
    in.fh = fh + (1ull << 32); /* wrong generation */
    ASSERT_EQ(PT.setattr(fs, ctx, id, &in, &out), -EBADF);

    in.valid = FATTR_ATIME | FATTR_MTIME;
    in.atime = 1000;
    in.atimensec = 5;
    in.mtime = 2000;
    in.mtimensec = 7;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_OK(stat(pth_path(dir, "f"), &st));
    ASSERT_EQ(st.st_atim.tv_sec, 1000);
    ASSERT_EQ(st.st_mtim.tv_sec, 2000);
    ASSERT_EQ(st.st_mtim.tv_nsec, 7);

    in.valid = FATTR_UID | FATTR_GID;
    in.uid = 4321;
    in.gid = 8765;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_EQ(out.attr.uid, 4321);
    ASSERT_EQ(out.attr.gid, 8765);

    /* KILL_SUIDGID with a truncation clears what CAP_FSETID would keep */
    ASSERT_OK(chmod(pth_path(dir, "f"), 06755));
    in.valid = FATTR_SIZE | FATTR_KILL_SUIDGID;
    in.size = 0;
    ASSERT_OK(PT.setattr(fs, ctx, id, &in, &out));
    ASSERT_EQ(out.attr.mode & 07777, 0755);

    /* KILL_SUIDGID on a write */
    ASSERT_OK(chmod(pth_path(dir, "f"), 04755));
    {
        struct iovec iov = {(void *)"x", 1};

        ASSERT_EQ(
            PT.write(fs, ctx, id, fh, 0, &iov, 1, FUSE_WRITE_KILL_SUIDGID), 1);
    }
    ASSERT_OK(stat(pth_path(dir, "f"), &st));
    ASSERT_EQ(st.st_mode & 07777, 0755);
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST(mkdir_rmdir_unlink)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_entry_out e;
    struct stat st;
    uint64_t id, fh;

    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.mkdir(fs, ctx, ROOT, "d", 0750, &e));
    ASSERT_EQ(e.attr.mode, S_IFDIR | 0750);
    ASSERT_OK(stat(pth_path(dir, "d"), &st));
    ASSERT(S_ISDIR(st.st_mode));
    ASSERT_EQ(PT.mkdir(fs, ctx, ROOT, "d", 0750, &e), -EEXIST);
    fh = pth_create(fs, e.nodeid, "f", 0600, &id);
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    ASSERT_EQ(PT.rmdir(fs, ctx, ROOT, "d"), -ENOTEMPTY);
    ASSERT_EQ(PT.unlink(fs, ctx, e.nodeid, "nope"), -ENOENT);
    ASSERT_OK(PT.unlink(fs, ctx, e.nodeid, "f"));
    ASSERT_OK(PT.rmdir(fs, ctx, ROOT, "d"));
    ASSERT_EQ(stat(pth_path(dir, "d"), &st), -1);
    /* a file is not a parent */
    fh = pth_create(fs, ROOT, "g", 0600, &id);
    ASSERT_EQ(PT.mkdir(fs, ctx, id, "x", 0700, &e), -ENOTDIR);
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST(rename_and_rename2_flags)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_entry_out e;
    struct stat st;
    char buf[16];
    int rc;

    pth_write_file(pth_path(dir, "a"), "A");
    pth_write_file(pth_path(dir, "b"), "B");
    ASSERT_OK(PT.mkdir(fs, ctx, ROOT, "d", 0755, &e));

    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "a", ROOT, "b", RENAME_NOREPLACE),
              -EEXIST);
    ASSERT_OK(PT.rename(fs, ctx, ROOT, "a", ROOT, "b", RENAME_EXCHANGE));
    pth_slurp(pth_path(dir, "a"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "B") == 0);
    pth_slurp(pth_path(dir, "b"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "A") == 0);
    ASSERT_OK(PT.rename(fs, ctx, ROOT, "a", e.nodeid, "c", 0));
    pth_slurp(pth_path(dir, "d/c"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "B") == 0);
    ASSERT_OK(PT.rename(fs, ctx, ROOT, "b", e.nodeid, "c", 0)); /* replaces */
    pth_slurp(pth_path(dir, "d/c"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "A") == 0);
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "nope", ROOT, "x", 0), -ENOENT);
    ASSERT_EQ(PT.rename(fs, ctx, e.nodeid, "c", ROOT, "x", 1u << 20), -EINVAL);
    ASSERT_EQ(PT.rename(fs, ctx, e.nodeid, "c", ROOT, "x",
                        RENAME_EXCHANGE | RENAME_NOREPLACE),
              -EINVAL);
    /* WHITEOUT leaves a 0/0 character device behind */
    rc = PT.rename(fs, ctx, e.nodeid, "c", ROOT, "w", RENAME_WHITEOUT);
    if (rc == -EINVAL || rc == -EPERM || rc == -EOPNOTSUPP) {
        TEST_SKIP("no RENAME_WHITEOUT on this filesystem or without "
                  "CAP_MKNOD");
    }
    ASSERT_OK(rc);
    ASSERT_OK(lstat(pth_path(dir, "d/c"), &st));
    ASSERT(S_ISCHR(st.st_mode));
    ASSERT_EQ(st.st_rdev, 0);
    pt_destroy(fs);
}

TEST(link_counts_one_more_lookup)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_entry_out e;
    uint64_t id, fh;
    char buf[8];

    fh = pth_create(fs, ROOT, "f", 0644, &id);
    pth_write(fs, id, fh, 0, "data");
    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.link(fs, ctx, id, ROOT, "g", &e));
    ASSERT_EQ(e.nodeid, id);
    ASSERT_EQ(e.attr.nlink, 2);
    ASSERT_EQ(pt_inode_nlookup(fs, id), 2);
    pth_slurp(pth_path(dir, "g"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "data") == 0);
    ASSERT_EQ(PT.link(fs, ctx, id, ROOT, "g", &e), -EEXIST);
    ASSERT_EQ(PT.link(fs, ctx, ROOT, ROOT, "h", &e), -EPERM); /* a dir */
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST(symlink_and_readlink)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_entry_out e;
    struct fuse_open_out o;
    char buf[64], host[64];
    int n;

    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.symlink(fs, ctx, ROOT, "l", "some/where/../else", &e));
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFLNK);
    n = PT.readlink(fs, ctx, e.nodeid, buf, sizeof(buf));
    ASSERT_EQ(n, 18);
    ASSERT(memcmp(buf, "some/where/../else", 18) == 0);
    ASSERT_EQ(readlink(pth_path(dir, "l"), host, sizeof(host)), 18);
    ASSERT_EQ(PT.readlink(fs, ctx, ROOT, buf, sizeof(buf)), -EINVAL);
    ASSERT_EQ(PT.open(fs, ctx, e.nodeid, O_RDONLY, 0, &o), -ENXIO);
    pt_destroy(fs);
}

TEST(xattrs)
{
    struct pt_options opt;
    const char *dir;
    struct pt_fs *fs;
    char buf[64];
    int64_t id;
    int rc;

    pt_options_default(&opt);
    opt.xattr = true;
    fs = pth_fs(&opt, &dir);
    pth_write_file(pth_path(dir, "f"), "x");
    id = pth_lookup(fs, ROOT, "f");
    rc = PT.setxattr(fs, ctx, (uint64_t)id, "user.k", "value", 5, 0, 0);
    if (rc == -EOPNOTSUPP) {
        TEST_SKIP("the temporary directory's filesystem has no user xattrs");
    }
    ASSERT_OK(rc);
    ASSERT_EQ(PT.getxattr(fs, ctx, (uint64_t)id, "user.k", NULL, 0), 5);
    ASSERT_EQ(PT.getxattr(fs, ctx, (uint64_t)id, "user.k", buf, sizeof(buf)),
              5);
    ASSERT(memcmp(buf, "value", 5) == 0);
    ASSERT_EQ(PT.getxattr(fs, ctx, (uint64_t)id, "user.k", buf, 2), -ERANGE);
    ASSERT_EQ(getxattr(pth_path(dir, "f"), "user.k", buf, sizeof(buf)), 5);
    ASSERT_EQ(
        PT.setxattr(fs, ctx, (uint64_t)id, "user.k", "v", 1, XATTR_CREATE, 0),
        -EEXIST);
    rc = PT.listxattr(fs, ctx, (uint64_t)id, buf, sizeof(buf));
    ASSERT_GE(rc, 7);
    ASSERT(memmem(buf, (size_t)rc, "user.k", 7) != NULL);
    ASSERT_OK(PT.removexattr(fs, ctx, (uint64_t)id, "user.k"));
    ASSERT_EQ(PT.getxattr(fs, ctx, (uint64_t)id, "user.k", buf, sizeof(buf)),
              -ENODATA);
    /* on the root directory too */
    ASSERT_OK(PT.setxattr(fs, ctx, ROOT, "user.d", "1", 1, 0, 0));
    ASSERT_EQ(PT.getxattr(fs, ctx, ROOT, "user.d", buf, sizeof(buf)), 1);
    pt_destroy(fs);

    /* without --xattr */
    pt_options_default(&opt);
    fs = pt_fs_from_share(&opt, dir);
    ASSERT_EQ(PT.getxattr(fs, ctx, ROOT, "user.d", buf, sizeof(buf)), -ENOSYS);
    pt_destroy(fs);
}

/* Read a whole directory @room entries at a time, following offsets. */
static unsigned int list_all(struct pt_fs *fs, uint64_t id, uint64_t fh,
                             unsigned int room, bool plus, char names[][16],
                             uint64_t *nodeids)
{
    static struct fs_dirbuf db;
    unsigned int n = 0, i, rounds = 0;
    uint64_t off = 0;

    for (;;) {
        pth_dirbuf_init(&db, room, plus);
        if (plus) {
            ASSERT_OK(PT.readdirplus(fs, ctx, id, fh, off, &db));
        } else {
            ASSERT_OK(PT.readdir(fs, ctx, id, fh, off, &db));
        }
        if (db.n == 0) {
            return n;
        }
        for (i = 0; i < db.n; i++) {
            ASSERT_LT(n, 64);
            snprintf(names[n], 16, "%s", db.ents[i].name);
            nodeids[n] = plus ? db.ents[i].entry.nodeid : 0;
            n++;
        }
        off = db.ents[db.n - 1].off;
        ASSERT_LT(++rounds, 100);
    }
}

static int has_name(char names[][16], unsigned int n, const char *name)
{
    unsigned int i;
    int c = 0;

    for (i = 0; i < n; i++) {
        c += strcmp(names[i], name) == 0;
    }
    return c;
}

TEST(readdir_and_readdirplus)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_open_out o;
    char names[64][16], name[16];
    uint64_t nodeids[64];
    unsigned int n, i;

    for (i = 0; i < 7; i++) {
        snprintf(name, sizeof(name), "f%u", i);
        pth_write_file(pth_path(dir, name), "x");
    }
    ASSERT_OK(PT.opendir(fs, ctx, ROOT, 0, &o));
    n = list_all(fs, ROOT, o.fh, 3, false, names, nodeids);
    ASSERT_EQ(n, 9); /* 7 + . and .. */
    for (i = 0; i < 7; i++) {
        snprintf(name, sizeof(name), "f%u", i);
        ASSERT_EQ(has_name(names, n, name), 1);
    }
    ASSERT_EQ(has_name(names, n, "."), 1);
    ASSERT_EQ(pt_inode_count(fs), 1); /* READDIR looks nothing up */

    /* READDIRPLUS, 2 at a time: each entry counted once, . and .. not */
    n = list_all(fs, ROOT, o.fh, 2, true, names, nodeids);
    ASSERT_EQ(n, 9);
    ASSERT_EQ(pt_inode_count(fs), 8);
    for (i = 0; i < n; i++) {
        if (strcmp(names[i], ".") == 0 || strcmp(names[i], "..") == 0) {
            ASSERT_EQ(nodeids[i], 0);
            continue;
        }
        ASSERT_EQ(pt_inode_nlookup(fs, nodeids[i]), 1);
        PT.forget(fs, nodeids[i], 1);
    }
    /* entries that did not fit were given back: nothing is left over */
    ASSERT_EQ(pt_inode_count(fs), 1);
    ASSERT_OK(PT.fsyncdir(fs, ctx, ROOT, o.fh, false));
    ASSERT_OK(PT.releasedir(fs, ctx, ROOT, o.fh, 0));
    ASSERT_EQ(PT.releasedir(fs, ctx, ROOT, o.fh, 0), -EBADF);
    /* a file's fh is not a directory's */
    {
        int64_t id = pth_lookup(fs, ROOT, "f0");
        uint64_t fh = pth_open(fs, (uint64_t)id, O_RDONLY);
        struct fs_dirbuf *db = calloc(1, sizeof(*db));

        ASSERT(db != NULL);
        pth_dirbuf_init(db, 4, false);
        ASSERT_EQ(PT.readdir(fs, ctx, (uint64_t)id, fh, 0, db), -EBADF);
        ASSERT_EQ(PT.opendir(fs, ctx, (uint64_t)id, 0, &o), -ENOTDIR);
        free(db);
    }
    pt_destroy(fs);
}

TEST(statfs_fallocate_lseek_copy_file_range)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_kstatfs sfs;
    uint64_t a, b, fha, fhb, off;
    char buf[16];
    struct stat st;
    int rc;

    ASSERT_OK(PT.statfs(fs, ctx, ROOT, &sfs));
    ASSERT_GT(sfs.blocks, 0);
    ASSERT_GT(sfs.bsize, 0);
    ASSERT_GE(sfs.namelen, 255);

    fha = pth_create(fs, ROOT, "a", 0644, &a);
    ASSERT_OK(PT.fallocate(fs, ctx, a, fha, 0, 65536, 0));
    ASSERT_EQ(pth_attr(fs, a).size, 65536);
    ASSERT_OK(PT.fallocate(fs, ctx, a, fha, 0, 1 << 20, FALLOC_FL_KEEP_SIZE));
    ASSERT_EQ(pth_attr(fs, a).size, 65536);
    ASSERT_EQ(PT.fallocate(fs, ctx, a, fha, ~0ull, 1, 0), -EINVAL);

    fhb = pth_create(fs, ROOT, "b", 0644, &b);
    pth_write(fs, b, fhb, 0, "data");
    pth_write(fs, b, fhb, 1 << 20, "more");
    ASSERT_OK(PT.lseek(fs, ctx, b, fhb, 0, SEEK_END, &off));
    ASSERT_EQ(off, (1 << 20) + 4);
    ASSERT_OK(PT.lseek(fs, ctx, b, fhb, 0, SEEK_DATA, &off));
    ASSERT_EQ(off, 0);
    ASSERT_OK(PT.lseek(fs, ctx, b, fhb, 0, SEEK_HOLE, &off));
    ASSERT_GE(off, 4);
    ASSERT_LE(off, 1 << 20);
    ASSERT_EQ(PT.lseek(fs, ctx, b, fhb, 0, 77, &off), -EINVAL);

    rc = (int)PT.copy_file_range(fs, ctx, b, fhb, 1, a, fha, 10, 3, 0);
    ASSERT_EQ(rc, 3);
    pth_slurp(pth_path(dir, "a"), buf, 14);
    ASSERT(memcmp(buf + 10, "ata", 3) == 0);
    ASSERT_EQ(PT.copy_file_range(fs, ctx, b, fhb, 0, a, fha, 0, 3, 1), -EINVAL);
    ASSERT_EQ(PT.copy_file_range(fs, ctx, b, fha, 0, a, fhb, 0, 3, 0), -EBADF);
    ASSERT_OK(PT.syncfs(fs, ctx, ROOT));
    ASSERT_OK(stat(pth_path(dir, "b"), &st));
    ASSERT_OK(PT.release(fs, ctx, a, fha, 0, 0, 0));
    ASSERT_OK(PT.release(fs, ctx, b, fhb, 0, 0, 0));
    pt_destroy(fs);
}

TEST(tmpfile_then_link)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_entry_out e, e2;
    struct fuse_open_out o;
    char buf[8];
    int rc;

    memset(&e, 0, sizeof(e));
    rc = PT.tmpfile(fs, ctx, ROOT, S_IFREG | 0600, O_RDWR, 0, &e, &o);
    if (rc == -EOPNOTSUPP || rc == -EISDIR) {
        TEST_SKIP("no O_TMPFILE on this filesystem");
    }
    ASSERT_OK(rc);
    ASSERT_EQ(e.attr.nlink, 0);
    pth_write(fs, e.nodeid, o.fh, 0, "tmp");
    ASSERT_OK(PT.link(fs, ctx, e.nodeid, ROOT, "kept", &e2));
    ASSERT_EQ(e2.nodeid, e.nodeid);
    ASSERT_EQ(e2.attr.nlink, 1);
    pth_slurp(pth_path(dir, "kept"), buf, sizeof(buf));
    ASSERT(strcmp(buf, "tmp") == 0);
    ASSERT_OK(PT.release(fs, ctx, e.nodeid, o.fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST_MAIN(T(lookup_counts_and_forget),
          T(node_ids_are_indices_and_stale_ids_refused),
          T(getattr_matches_host), T(create_write_read_iovecs),
          T(setattr_mode_size_times_and_fh), T(mkdir_rmdir_unlink),
          T(rename_and_rename2_flags), T(link_counts_one_more_lookup),
          T(symlink_and_readlink), T(xattrs), T(readdir_and_readdirplus),
          T(statfs_fallocate_lseek_copy_file_range), T(tmpfile_then_link))
