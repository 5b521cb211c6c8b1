/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-pt-modes.c - the passthrough filesystem's options and modes: locks,
 * file handles, credentials, read-only, cache modes, submounts, and
 * requests racing each other on several threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/pt-int.h"
#include "pt-harness.h"
#include "test.h"

#define ROOT FUSE_ROOT_ID

static const struct fs_ctx *ctx = &pth_root_ctx;

TEST(posix_locks_per_owner)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_file_lock lk, out;
    uint64_t id, fh;

    fh = pth_create(fs, ROOT, "f", 0644, &id);
    lk = pth_lock(F_WRLCK, 0, 99);
    ASSERT_OK(PT.setlk(fs, ctx, id, fh, 1, &lk, 0, false));
    /* the same owner may take it again; another may not */
    ASSERT_OK(PT.setlk(fs, ctx, id, fh, 1, &lk, 0, false));
    ASSERT_EQ(PT.setlk(fs, ctx, id, fh, 2, &lk, 0, false), -EAGAIN);
    memset(&out, 0, sizeof(out));
    lk = pth_lock(F_RDLCK, 50, 60);
    ASSERT_OK(PT.getlk(fs, ctx, id, fh, 2, &lk, &out));
    ASSERT_EQ(out.type, F_WRLCK);
    ASSERT_EQ(out.start, 0);
    ASSERT_EQ(out.end, 99);
    /* a range beyond the lock is free */
    lk = pth_lock(F_WRLCK, 100, 200);
    ASSERT_OK(PT.setlk(fs, ctx, id, fh, 2, &lk, 0, false));
    /* a close by owner 1 (FLUSH) drops its locks */
    ASSERT_OK(PT.flush(fs, ctx, id, fh, 1));
    lk = pth_lock(F_WRLCK, 0, 99);
    ASSERT_OK(PT.setlk(fs, ctx, id, fh, 2, &lk, 0, true));
    lk = pth_lock(F_RDLCK, 0, 10);
    ASSERT_OK(PT.getlk(fs, ctx, id, fh, 2, &lk, &out));
    ASSERT_EQ(out.type, F_UNLCK);
    lk = pth_lock(F_UNLCK, 0, ~0ull);
    ASSERT_OK(PT.setlk(fs, ctx, id, fh, 2, &lk, 0, false));
    lk = pth_lock(7, 0, 1);
    ASSERT_EQ(PT.setlk(fs, ctx, id, fh, 2, &lk, 0, false), -EINVAL);
    lk = pth_lock(F_RDLCK, 10, 5);
    ASSERT_EQ(PT.getlk(fs, ctx, id, fh, 2, &lk, &out), -EINVAL);
    ASSERT_OK(PT.release(fs, ctx, id, fh, 0, 0, 0));
    pt_destroy(fs);
}

struct waiter {
    struct pt_fs *fs;
    uint64_t id, fh;
    int rc;
};

static void *wait_lock(void *p)
{
    struct waiter *w = p;
    struct fuse_file_lock lk = pth_lock(F_WRLCK, 0, 9);

    w->rc = PT.setlk(w->fs, ctx, w->id, w->fh, 2, &lk, 0, true);
    return NULL;
}

TEST(setlkw_sleeps_until_the_holder_closes)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_file_lock lk = pth_lock(F_WRLCK, 0, 99), out;
    struct waiter w = {.fs = fs, .rc = 1};
    pthread_t th;

    w.fh = pth_create(fs, ROOT, "f", 0644, &w.id);
    ASSERT_OK(PT.setlk(fs, ctx, w.id, w.fh, 1, &lk, 0, false));
    ASSERT_EQ(pthread_create(&th, NULL, wait_lock, &w), 0);
    /* whether or not the waiter sleeps yet, owner 1 holds the range until
     * its close (FLUSH); then the waiter must get it */
    ASSERT_OK(PT.getlk(fs, ctx, w.id, w.fh, 3, &lk, &out));
    ASSERT_EQ(out.type, F_WRLCK);
    ASSERT_OK(PT.flush(fs, ctx, w.id, w.fh, 1));
    ASSERT_EQ(pthread_join(th, NULL), 0);
    ASSERT_EQ(w.rc, 0);
    ASSERT_OK(PT.getlk(fs, ctx, w.id, w.fh, 3, &lk, &out));
    ASSERT_EQ(out.type, F_WRLCK); /* now owner 2's */
    ASSERT_EQ(PT.setlk(fs, ctx, w.id, w.fh, 1, &lk, 0, false), -EAGAIN);
    ASSERT_OK(PT.release(fs, ctx, w.id, w.fh, 0, FUSE_RELEASE_FLUSH, 2));
    /* RELEASE with FLUSH dropped owner 2's locks; POSIX locks follow
     * their owner and the node, not a fh */
    ASSERT_OK(PT.setlk(fs, ctx, w.id, 0, 1, &lk, 0, false));
    pt_destroy(fs);
}

TEST(flock_per_open_file)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct fuse_file_lock ex = pth_lock(F_WRLCK, 0, 0);
    uint64_t id, fh1, fh2;

    fh1 = pth_create(fs, ROOT, "f", 0644, &id);
    fh2 = pth_open(fs, id, O_RDONLY);
    ASSERT_OK(PT.setlk(fs, ctx, id, fh1, 1, &ex, FUSE_LK_FLOCK, false));
    ASSERT_EQ(PT.setlk(fs, ctx, id, fh2, 1, &ex, FUSE_LK_FLOCK, false),
              -EAGAIN);
    ASSERT_OK(PT.release(fs, ctx, id, fh1, 0, FUSE_RELEASE_FLOCK_UNLOCK, 1));
    ASSERT_OK(PT.setlk(fs, ctx, id, fh2, 1, &ex, FUSE_LK_FLOCK, true));
    ASSERT_OK(PT.release(fs, ctx, id, fh2, 0, FUSE_RELEASE_FLOCK_UNLOCK, 1));
    pt_destroy(fs);
}

static void make_files(const char *dir, unsigned int n)
{
    char name[4200];
    unsigned int i;
    int fd;

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s/f%05u", dir, i);
        fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ASSERT_GE(fd, 0);
        close(fd);
    }
}

#define MANY 3000

TEST(file_handles_keep_no_fd_per_inode)
{
    struct pt_options opt;
    const char *dir;
    struct pt_fs *fs = NULL;
    char name[16], buf[4];
    struct iovec iov = {buf, sizeof(buf)};
    int before, after, rc;
    unsigned int i;
    int64_t id = 0;
    uint64_t fh;

    pt_options_default(&opt);
    opt.inode_file_handles = PT_FH_MANDATORY;
    snprintf(name, sizeof(name), "share");
    {
        char path[4096];

        snprintf(path, sizeof(path), "%s/share", test_tmpdir());
        ASSERT_OK(mkdir(path, 0755));
        make_files(path, MANY);
        rc = pt_create(path, &opt, &fs);
        if (rc == -EOPNOTSUPP || rc == -EPERM) {
            TEST_SKIP("file handles cannot be made or opened here");
        }
        ASSERT_OK(rc);
        dir = path;
        before = test_count_fds();
        for (i = 0; i < MANY; i++) {
            snprintf(name, sizeof(name), "f%05u", i);
            id = pth_lookup(fs, ROOT, name);
            ASSERT_GT(id, 1);
        }
        after = test_count_fds();
        ASSERT_EQ(pt_inode_count(fs), MANY + 1);
        ASSERT_LE(after - before, 2);
        ASSERT_LE(pt_inode_fd_count(fs), 1); /* the root's */
        /* and the inodes work */
        pth_write_file(pth_path(dir, "f00007"), "abc");
        id = pth_lookup(fs, ROOT, "f00007");
        ASSERT_EQ(pth_attr(fs, (uint64_t)id).size, 3);
        fh = pth_open(fs, (uint64_t)id, O_RDONLY);
        ASSERT_EQ(PT.read(fs, ctx, (uint64_t)id, fh, 0, &iov, 1), 3);
        ASSERT_OK(PT.release(fs, ctx, (uint64_t)id, fh, 0, 0, 0));
        pt_destroy(fs);

        /* the same tree without handles: one fd per inode (the contrast
         * shows the count above measures what it claims) */
        opt.inode_file_handles = PT_FH_NEVER;
        ASSERT_OK(pt_create(path, &opt, &fs));
        before = test_count_fds();
        for (i = 0; i < MANY; i++) {
            snprintf(name, sizeof(name), "f%05u", i);
            ASSERT_GT(pth_lookup(fs, ROOT, name), 1);
        }
        after = test_count_fds();
        ASSERT_GE(after - before, MANY);
        pt_destroy(fs);
    }
}

TEST(file_handles_tell_a_reused_inode_number_apart)
{
    struct pt_options opt;
    struct fuse_attr_out a;
    const char *dir;
    struct pt_fs *fs;
    struct stat st;
    int64_t old, neu;
    ino_t ino;
    char name[16];
    int i, rc;

    pt_options_default(&opt);
    opt.inode_file_handles = PT_FH_MANDATORY;
    {
        char path[4096];

        snprintf(path, sizeof(path), "%s/share", test_tmpdir());
        ASSERT_OK(mkdir(path, 0755));
        rc = pt_create(path, &opt, &fs);
        if (rc == -EOPNOTSUPP || rc == -EPERM) {
            TEST_SKIP("file handles cannot be made or opened here");
        }
        ASSERT_OK(rc);
        dir = path;
        pth_write_file(pth_path(dir, "f"), "old");
        ASSERT_OK(stat(pth_path(dir, "f"), &st));
        ino = st.st_ino;
        old = pth_lookup(fs, ROOT, "f");
        ASSERT_GT(old, 1);
        /* the guest still holds "f" when the host deletes it: no fd pins
         * the host inode, so its number may come back */
        ASSERT_OK(unlink(pth_path(dir, "f")));
        for (i = 0; i < 200; i++) {
            snprintf(name, sizeof(name), "n%d", i);
            pth_write_file(pth_path(dir, name), "new!");
            ASSERT_OK(stat(pth_path(dir, name), &st));
            if (st.st_ino == ino) {
                break;
            }
        }
        if (i == 200) {
            pt_destroy(fs);
            TEST_SKIP("the filesystem did not reuse the inode number");
        }
        neu = pth_lookup(fs, ROOT, name);
        ASSERT_GT(neu, 1);
        ASSERT_NE(neu, old);
        ASSERT_OK(PT.getattr(fs, ctx, (uint64_t)neu, NULL, &a));
        ASSERT_EQ(a.attr.size, 4);
        ASSERT_EQ(PT.getattr(fs, ctx, (uint64_t)old, NULL, &a), -ESTALE);
        /* both nodes live on until forgotten; the key finds the new one */
        ASSERT_EQ(pth_lookup(fs, ROOT, name), neu);
        PT.forget(fs, (uint64_t)old, 1);
        PT.forget(fs, (uint64_t)neu, 2);
        ASSERT_EQ(pt_inode_count(fs), 1);
        pt_destroy(fs);
    }
}

TEST(creates_as_the_caller)
{
    const char *dir;
    struct pt_fs *fs;
    struct fs_ctx c = {.uid = 1234, .gid = 5678, .pid = 9, .umask = 022};
    struct fuse_entry_out e;
    struct fuse_open_out o;
    gid_t extra = 4242;
    char sub[4096];

    if (geteuid() != 0) {
        TEST_SKIP("switching credentials needs root");
    }
    fs = pth_fs(NULL, &dir);
    ASSERT_OK(chmod(dir, 0777));
    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.mkdir(fs, &c, ROOT, "d", 0777, &e));
    ASSERT_EQ(e.attr.uid, 1234);
    ASSERT_EQ(e.attr.gid, 5678);
    ASSERT_EQ(e.attr.mode, S_IFDIR | 0755); /* umask 022 applied */
    ASSERT_OK(PT.create(fs, &c, ROOT, "f", S_IFREG | 0666, O_RDWR, 0, &e, &o));
    ASSERT_EQ(e.attr.uid, 1234);
    ASSERT_EQ(e.attr.mode, S_IFREG | 0644);
    ASSERT_OK(PT.release(fs, &c, e.nodeid, o.fh, 0, 0, 0));
    ASSERT_OK(PT.symlink(fs, &c, ROOT, "l", "t", &e));
    ASSERT_EQ(e.attr.uid, 1234);
    /* "unchanged" is not an id: no file is made as the daemon for it */
    c.uid = (uid_t)-1;
    ASSERT_EQ(PT.mkdir(fs, &c, ROOT, "nobody", 0755, &e), -EINVAL);
    c.uid = 1234;
    c.gid = (gid_t)-1;
    ASSERT_EQ(PT.mknod(fs, &c, ROOT, "nobody", S_IFREG | 0644, 0, &e), -EINVAL);
    c.gid = 5678;
    /* the thread is root again */
    ASSERT_EQ(geteuid(), 0);
    ASSERT_EQ(getegid(), 0);

    /* the host checks the caller's rights: a root-owned 0755 directory */
    snprintf(sub, sizeof(sub), "%s/rootdir", dir);
    ASSERT_OK(mkdir(sub, 0755));
    e.nodeid = (uint64_t)pth_lookup(fs, ROOT, "rootdir");
    ASSERT_EQ(PT.mkdir(fs, &c, e.nodeid, "x", 0755, &e), -EACCES);

    /* the daemon's supplementary groups lend the caller nothing */
    snprintf(sub, sizeof(sub), "%s/groupdir", dir);
    ASSERT_OK(mkdir(sub, 0770));
    ASSERT_OK(chown(sub, 0, extra));
    ASSERT_OK(chmod(sub, 0770));
    ASSERT_OK(setgroups(1, &extra));
    e.nodeid = (uint64_t)pth_lookup(fs, ROOT, "groupdir");
    c.uid = 0; /* root in the guest, but of another group */
    ASSERT_OK(PT.access(fs, &c, e.nodeid, W_OK)); /* root: capabilities */
    c.uid = 1234;
    ASSERT_EQ(PT.access(fs, &c, e.nodeid, W_OK), -EACCES);
    ASSERT_EQ(PT.mkdir(fs, &c, e.nodeid, "x", 0755, &e), -EACCES);
    c.gid = extra; /* the caller's own group does count */
    ASSERT_OK(PT.access(fs, &c, e.nodeid, W_OK | X_OK));
    pt_destroy(fs);
}

TEST(readonly_refuses_changes)
{
    struct pt_options opt;
    const char *dir;
    struct pt_fs *fs;
    struct fuse_entry_out e;
    struct fuse_open_out o;
    struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = 0600};
    struct fuse_attr_out a;
    int64_t id;

    pt_options_default(&opt);
    opt.readonly = true;
    fs = pth_fs(&opt, &dir);
    pth_write_file(pth_path(dir, "f"), "x");
    id = pth_lookup(fs, ROOT, "f");
    ASSERT_EQ(PT.create(fs, ctx, ROOT, "g", S_IFREG | 0600, O_RDWR, 0, &e, &o),
              -EROFS);
    ASSERT_EQ(PT.mkdir(fs, ctx, ROOT, "d", 0700, &e), -EROFS);
    ASSERT_EQ(PT.unlink(fs, ctx, ROOT, "f"), -EROFS);
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", ROOT, "g", 0), -EROFS);
    ASSERT_EQ(PT.open(fs, ctx, (uint64_t)id, O_WRONLY, 0, &o), -EROFS);
    ASSERT_EQ(PT.open(fs, ctx, (uint64_t)id, O_RDONLY | O_TRUNC, 0, &o),
              -EROFS);
    ASSERT_EQ(PT.setattr(fs, ctx, (uint64_t)id, &in, &a), -EROFS);
    ASSERT_OK(PT.open(fs, ctx, (uint64_t)id, O_RDONLY, 0, &o));
    ASSERT_OK(PT.release(fs, ctx, (uint64_t)id, o.fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST(cache_modes_and_init)
{
    struct pt_options opt;
    struct fuse_entry_out e;
    struct fuse_open_out o;
    struct fs_init in;
    const char *dir;
    struct pt_fs *fs;
    int64_t id;

    pt_options_default(&opt);
    opt.cache = PT_CACHE_NEVER;
    fs = pth_fs(&opt, &dir);
    pth_write_file(pth_path(dir, "f"), "x");
    e = pth_entry(fs, ROOT, "f");
    ASSERT_EQ(e.entry_valid, 0);
    ASSERT_EQ(e.attr_valid, 0);
    ASSERT_OK(PT.open(fs, ctx, e.nodeid, O_RDONLY, 0, &o));
    ASSERT(o.open_flags & FOPEN_DIRECT_IO);
    memset(&in, 0, sizeof(in));
    in.want = in.kernel_flags = FUSE_WRITEBACK_CACHE | FUSE_DO_READDIRPLUS |
                                FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS |
                                FUSE_SUBMOUNTS | FUSE_ASYNC_READ |
                                FUSE_HANDLE_KILLPRIV | FUSE_POSIX_ACL;
    ASSERT_OK(PT.init(fs, &in));
    ASSERT_EQ(in.want & FUSE_WRITEBACK_CACHE, 0);
    ASSERT_EQ(in.want & FUSE_SUBMOUNTS, 0);
    ASSERT_EQ(in.want & (FUSE_HANDLE_KILLPRIV | FUSE_POSIX_ACL), 0);
    ASSERT(in.want & FUSE_DO_READDIRPLUS);
    ASSERT(in.want & FUSE_POSIX_LOCKS);
    ASSERT(in.want & FUSE_ASYNC_READ);
    pt_destroy(fs);

    opt.cache = PT_CACHE_ALWAYS;
    opt.writeback = true;
    opt.readdirplus = false;
    opt.posix_locks = false;
    fs = pt_fs_from_share(&opt, dir);
    e = pth_entry(fs, ROOT, "f");
    ASSERT_EQ(e.entry_valid, 86400);
    ASSERT_OK(PT.open(fs, ctx, e.nodeid, O_WRONLY | O_APPEND, 0, &o));
    ASSERT(o.open_flags & FOPEN_KEEP_CACHE);
    ASSERT_EQ(o.open_flags & FOPEN_DIRECT_IO, 0);
    {
        /* writeback: the guest's cache reads what it writes, and it does
         * the appending itself (no O_APPEND: offsets are honoured) */
        char c = 0, host[2];
        struct iovec iov = {&c, 1};

        ASSERT_EQ(PT.read(fs, ctx, e.nodeid, o.fh, 0, &iov, 1), 1);
        ASSERT_EQ(c, 'x');
        c = 'y';
        ASSERT_EQ(PT.write(fs, ctx, e.nodeid, o.fh, 0, &iov, 1, 0), 1);
        pth_slurp(pth_path(dir, "f"), host, sizeof(host));
        ASSERT_EQ(host[0], 'y');
    }
    in.want = in.kernel_flags;
    ASSERT_OK(PT.init(fs, &in));
    ASSERT(in.want & FUSE_WRITEBACK_CACHE);
    ASSERT_EQ(in.want & (FUSE_DO_READDIRPLUS | FUSE_POSIX_LOCKS), 0);
    {
        struct fs_dirbuf *db = calloc(1, sizeof(*db));
        struct fuse_file_lock lk = pth_lock(F_RDLCK, 0, 1);

        ASSERT(db != NULL);
        pth_dirbuf_init(db, 4, true);
        ASSERT_EQ(PT.readdirplus(fs, ctx, ROOT, 0, 0, db), -ENOSYS);
        ASSERT_EQ(PT.setlk(fs, ctx, e.nodeid, o.fh, 1, &lk, 0, false), -ENOSYS);
        free(db);
    }
    /* DESTROY forgets every node and handle; the root stays */
    id = (int64_t)e.nodeid;
    PT.destroy(fs);
    ASSERT_EQ(pt_inode_count(fs), 1);
    ASSERT_EQ(
        PT.getattr(fs, ctx, (uint64_t)id, NULL, &(struct fuse_attr_out){0}),
        -ENOENT);
    ASSERT_EQ(PT.release(fs, ctx, (uint64_t)id, o.fh, 0, 0, 0), -EBADF);
    ASSERT_GT(pth_lookup(fs, ROOT, "f"), 1);
    pt_destroy(fs);
}

/* --- requests racing each other ------------------------------------------ */

struct race {
    struct pt_fs *fs;
    uint64_t id, fh;
    int bad;
    pthread_mutex_t lock;
};

static void race_bad(struct race *r)
{
    pthread_mutex_lock(&r->lock);
    r->bad++;
    pthread_mutex_unlock(&r->lock);
}

/* Read "AAAA" through one fh until it is released: never anything else. */
static void *reader(void *p)
{
    struct race *r = p;
    char buf[4];
    struct iovec iov = {buf, sizeof(buf)};
    int i;

    for (i = 0; i < 20000; i++) {
        ssize_t n = PT.read(r->fs, ctx, r->id, r->fh, 0, &iov, 1);

        if (n == -EBADF) {
            break;
        }
        if (n != 4 || memcmp(buf, "AAAA", 4) != 0) {
            race_bad(r);
            break;
        }
    }
    return NULL;
}

TEST(release_racing_reads_never_reads_another_file)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct race r = {.fs = fs};
    pthread_t t[2];
    uint64_t b, fhb;
    int i;

    pthread_mutex_init(&r.lock, NULL);
    r.fh = pth_create(fs, ROOT, "a", 0644, &r.id);
    pth_write(fs, r.id, r.fh, 0, "AAAA");
    pth_write_file(pth_path(dir, "b"), "BBBB");
    b = pth_entry(fs, ROOT, "b").nodeid;
    for (i = 0; i < 2; i++) {
        ASSERT_EQ(pthread_create(&t[i], NULL, reader, &r), 0);
    }
    /* release "a" while they read, then recycle fd numbers with "b" */
    for (i = 0; i < 400; i++) {
        if (i == 50) {
            ASSERT_OK(PT.release(fs, ctx, r.id, r.fh, 0, 0, 0));
        }
        fhb = pth_open(fs, b, O_RDONLY);
        ASSERT_OK(PT.release(fs, ctx, b, fhb, 0, 0, 0));
    }
    for (i = 0; i < 2; i++) {
        ASSERT_EQ(pthread_join(t[i], NULL), 0);
    }
    ASSERT_EQ(r.bad, 0);
    pt_destroy(fs);
}

struct looker {
    struct race *r;
    const char *name;
    uint64_t ino; /* the host inode number of @name */
};

static void *looker(void *p)
{
    struct looker *l = p;
    struct race *r = l->r;
    struct fuse_attr_out a;
    int i, rc;

    for (i = 0; i < 3000; i++) {
        int64_t id = pth_lookup(r->fs, ROOT, l->name);

        if (id <= 1 || PT.getattr(r->fs, ctx, (uint64_t)id, NULL, &a) != 0 ||
            a.attr.ino != l->ino) {
            race_bad(r);
            break;
        }
        PT.forget(r->fs, (uint64_t)id, 1);
        /*
         * Another thread may hold the same inode, and so the same id, or
         * have been given the freed slot under a new generation: either
         * way an id never reaches an inode it was not given for.
         */
        rc = PT.getattr(r->fs, ctx, (uint64_t)id, NULL, &a);
        if (rc != -ENOENT && (rc != 0 || a.attr.ino != l->ino)) {
            race_bad(r);
            break;
        }
    }
    return NULL;
}

TEST(lookup_and_forget_on_several_threads)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    struct race r = {.fs = fs};
    struct looker l[4];
    pthread_t t[4];
    struct stat st;
    int i;

    pthread_mutex_init(&r.lock, NULL);
    pth_write_file(pth_path(dir, "f"), "x");
    pth_write_file(pth_path(dir, "g"), "y");
    for (i = 0; i < 4; i++) {
        l[i].r = &r;
        l[i].name = i % 2 ? "g" : "f";
        ASSERT_OK(stat(pth_path(dir, l[i].name), &st));
        l[i].ino = st.st_ino;
    }
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(pthread_create(&t[i], NULL, looker, &l[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        ASSERT_EQ(pthread_join(t[i], NULL), 0);
    }
    ASSERT_EQ(r.bad, 0);
    ASSERT_EQ(pt_inode_count(fs), 1);
    pt_destroy(fs);
}

/* --- submounts -------------------------------------------------------------
 */

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "# %s:%d: %s\n", __FILE__, __LINE__, #c);          \
            return __LINE__;                                                   \
        }                                                                      \
    } while (0)

static int submount_checks(const char *dir, bool announce, enum pt_fh_mode m)
{
    struct fuse_entry_out sub, d, f, root_f;
    struct fuse_open_out o;
    struct pt_options opt;
    struct pt_fs *fs = NULL;
    char buf[8];
    struct iovec iov = {buf, sizeof(buf)};

    pt_options_default(&opt);
    opt.announce_submounts = announce;
    opt.inode_file_handles = m;
    CHECK(pt_create(dir, &opt, &fs) == 0);
    CHECK(PT.lookup(fs, ctx, ROOT, "sub", &sub) == 0);
    CHECK(!!(sub.attr.flags & FUSE_ATTR_SUBMOUNT) == announce);
    CHECK(PT.mkdir(fs, ctx, sub.nodeid, "d", 0755, &d) == 0);
    CHECK(!(d.attr.flags & FUSE_ATTR_SUBMOUNT));
    CHECK(PT.create(fs, ctx, sub.nodeid, "f", S_IFREG | 0644, O_RDWR, 0, &f,
                    &o) == 0);
    CHECK(PT.write(fs, ctx, f.nodeid, o.fh, 0, &iov, 1, 0) == 8);
    CHECK(PT.release(fs, ctx, f.nodeid, o.fh, 0, 0, 0) == 0);
    /* looked up again: the same node; its ".." is the root */
    CHECK(PT.lookup(fs, ctx, ROOT, "sub", &root_f) == 0);
    CHECK(root_f.nodeid == sub.nodeid);
    CHECK(PT.lookup(fs, ctx, sub.nodeid, "..", &root_f) == 0);
    CHECK(root_f.nodeid == ROOT);
    CHECK(PT.unlink(fs, ctx, sub.nodeid, "f") == 0);
    CHECK(PT.rmdir(fs, ctx, sub.nodeid, "d") == 0);
    pt_destroy(fs);
    return 0;
}

TEST(submounts_are_announced_when_asked)
{
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    char sub[4200];
    int status, rc;
    pid_t pid;

    pt_destroy(fs);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    ASSERT_OK(mkdir(sub, 0755));
    fflush(stderr);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        /* the mount lives and dies with this child's mount namespace */
        if (unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", sub, "tmpfs", 0, "size=1m") < 0) {
            _exit(77);
        }
        rc = submount_checks(dir, true, PT_FH_NEVER);
        if (rc == 0) {
            rc = submount_checks(dir, false, PT_FH_NEVER);
        }
        if (rc == 0) {
            rc = submount_checks(dir, true, PT_FH_PREFER);
        }
        umount2(sub, MNT_DETACH);
        _exit(rc ? 1 : 0);
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        TEST_SKIP("cannot mount a tmpfs in a private mount namespace here");
    }
    ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST_MAIN(T(posix_locks_per_owner), T(setlkw_sleeps_until_the_holder_closes),
          T(flock_per_open_file), T(file_handles_keep_no_fd_per_inode),
          T(file_handles_tell_a_reused_inode_number_apart),
          T(creates_as_the_caller), T(readonly_refuses_changes),
          T(cache_modes_and_init),
          T(release_racing_reads_never_reads_another_file),
          T(lookup_and_forget_on_several_threads),
          T(submounts_are_announced_when_asked))
