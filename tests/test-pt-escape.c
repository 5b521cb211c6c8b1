/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-pt-escape.c - nothing outside the shared directory is reachable
 * through the passthrough filesystem's ops, and the daemon never opens a
 * special file for the guest.  Each way out is a case of its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt-harness.h"
#include "test.h"

#define ROOT FUSE_ROOT_ID

static const struct fs_ctx *ctx = &pth_root_ctx;

/* The share and, beside it, a directory that must stay out of reach. */
static struct pt_fs *setup(enum pt_fh_mode mode, const char **dir,
                           char *outside, size_t size)
{
    struct pt_options opt;
    struct pt_fs *fs;

    pt_options_default(&opt);
    opt.inode_file_handles = mode;
    opt.xattr = true;
    snprintf(outside, size, "%s/outside", test_tmpdir());
    ASSERT_OK(mkdir(outside, 0755));
    pth_write_file(pth_path(outside, "secret"), "secret");
    fs = pth_fs(&opt, dir);
    return fs;
}

static struct fuse_entry_out lookup_ok(struct pt_fs *fs, uint64_t parent,
                                       const char *name)
{
    struct fuse_entry_out e;

    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.lookup(fs, ctx, parent, name, &e));
    return e;
}

/* Every way to get data or a directory out of node @id is refused. */
static void assert_not_opened(struct pt_fs *fs, uint64_t id, int err)
{
    struct fuse_open_out o;
    struct fuse_setattr_in in = {.valid = FATTR_SIZE, .size = 0};
    struct fuse_attr_out a;

    ASSERT_EQ(PT.open(fs, ctx, id, O_RDONLY, 0, &o), err);
    ASSERT_EQ(PT.open(fs, ctx, id, O_RDWR, 0, &o), err);
    ASSERT_EQ(PT.open(fs, ctx, id, O_RDONLY | O_NONBLOCK, 0, &o), err);
    ASSERT_EQ(PT.opendir(fs, ctx, id, 0, &o), -ENOTDIR);
    ASSERT_EQ(pth_lookup(fs, id, "secret"), -ENOTDIR);
    ASSERT_EQ(PT.setattr(fs, ctx, id, &in, &a), -EINVAL);
}

static void symlinks_out(enum pt_fh_mode mode)
{
    char outside[4096], buf[4096];
    struct fuse_entry_out e;
    const char *dir;
    struct pt_fs *fs = setup(mode, &dir, outside, sizeof(outside));
    int n;

    if (!fs) {
        return;
    }
    ASSERT_OK(symlink(outside, pth_path(dir, "abs")));
    ASSERT_OK(symlink("../outside", pth_path(dir, "rel")));
    ASSERT_OK(symlink("../outside/secret", pth_path(dir, "file")));

    /* the link itself is what the guest gets: a symlink node */
    e = lookup_ok(fs, ROOT, "abs");
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFLNK);
    assert_not_opened(fs, e.nodeid, -ENXIO);
    /* its text goes to the guest, who resolves it in its own namespace */
    n = PT.readlink(fs, ctx, e.nodeid, buf, sizeof(buf));
    ASSERT_EQ(n, (int)strlen(outside));

    e = lookup_ok(fs, ROOT, "rel");
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFLNK);
    assert_not_opened(fs, e.nodeid, -ENXIO);

    e = lookup_ok(fs, ROOT, "file");
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFLNK);
    assert_not_opened(fs, e.nodeid, -ENXIO);
    /* nor are attributes read or changed through it: they are the link's */
    {
        struct fuse_setattr_in in = {.valid = FATTR_MODE, .mode = 0777};
        struct fuse_attr_out a;
        struct stat st;

        ASSERT_EQ(PT.setattr(fs, ctx, e.nodeid, &in, &a), -EOPNOTSUPP);
        ASSERT_OK(stat(pth_path(outside, "secret"), &st));
        ASSERT_EQ(st.st_mode & 07777, 0644);
    }
    /* a link the guest makes is text too */
    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.symlink(fs, ctx, ROOT, "mine", "/etc/passwd", &e));
    assert_not_opened(fs, e.nodeid, -ENXIO);
    pt_destroy(fs);
}

TEST(symlink_pointing_out_is_never_followed)
{
    symlinks_out(PT_FH_NEVER);
}

TEST(symlink_pointing_out_is_never_followed_file_handles)
{
    struct pt_options opt;
    struct pt_fs *fs = NULL;
    int rc;

    pt_options_default(&opt);
    opt.inode_file_handles = PT_FH_MANDATORY;
    rc = pt_create(test_tmpdir(), &opt, &fs);
    if (rc < 0) {
        TEST_SKIP("file handles cannot be made or opened here");
    }
    pt_destroy(fs);
    symlinks_out(PT_FH_MANDATORY);
}

TEST(dotdot_at_the_root_stays_at_the_root)
{
    char outside[4096];
    struct fuse_entry_out e, sub;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));

    e = lookup_ok(fs, ROOT, "..");
    ASSERT_EQ(e.nodeid, ROOT);
    e = lookup_ok(fs, ROOT, ".");
    ASSERT_EQ(e.nodeid, ROOT);
    /* and ".." of the root's child is the root */
    ASSERT_OK(PT.mkdir(fs, ctx, ROOT, "d", 0755, &sub));
    e = lookup_ok(fs, sub.nodeid, "..");
    ASSERT_EQ(e.nodeid, ROOT);
    /* names are one component: no way to spell a path */
    ASSERT_EQ(pth_lookup(fs, ROOT, "../outside"), -EINVAL);
    ASSERT_EQ(pth_lookup(fs, ROOT, "d/.."), -EINVAL);
    ASSERT_EQ(pth_lookup(fs, ROOT, "/etc"), -EINVAL);
    ASSERT_EQ(pth_lookup(fs, ROOT, ""), -EINVAL);
    ASSERT_EQ(PT.mkdir(fs, ctx, ROOT, "..", 0755, &e), -EINVAL);
    ASSERT_EQ(PT.mkdir(fs, ctx, ROOT, "../x", 0755, &e), -EINVAL);
    ASSERT_EQ(PT.symlink(fs, ctx, ROOT, "..", "x", &e), -EINVAL);
    ASSERT_EQ(PT.unlink(fs, ctx, ROOT, ".."), -EINVAL);
    ASSERT_EQ(PT.rmdir(fs, ctx, sub.nodeid, ".."), -EINVAL);
    pt_destroy(fs);
}

TEST(dotdot_only_reaches_directories_the_guest_holds)
{
    char outside[4096];
    struct fuse_entry_out a, b, e;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));

    ASSERT_OK(PT.mkdir(fs, ctx, ROOT, "a", 0755, &a));
    ASSERT_OK(PT.mkdir(fs, ctx, a.nodeid, "b", 0755, &b));
    e = lookup_ok(fs, b.nodeid, "..");
    ASSERT_EQ(e.nodeid, a.nodeid);
    PT.forget(fs, a.nodeid, 2);
    /* "a" is no longer held: ".." of "b" does not bring it back */
    ASSERT_EQ(pth_lookup(fs, b.nodeid, ".."), -ENOENT);
    /* a directory moved out of the share by the host: its ".." is outside */
    ASSERT_OK(rename(pth_path(dir, "a"), pth_path(outside, "a")));
    ASSERT_EQ(pth_lookup(fs, b.nodeid, ".."), -ENOENT);
    pt_destroy(fs);
}

/* Checks without ASSERT: they run in a child with procfs mounted in the
 * share, which must not be what the harness cleans up. */
#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "# %s:%d: %s\n", __FILE__, __LINE__, #c);          \
            return __LINE__;                                                   \
        }                                                                      \
    } while (0)

static int check_not_opened(struct pt_fs *fs, uint64_t id)
{
    struct fuse_open_out o;

    CHECK(PT.open(fs, ctx, id, O_RDONLY, 0, &o) == -ENXIO);
    CHECK(PT.open(fs, ctx, id, O_RDWR, 0, &o) == -ENXIO);
    CHECK(PT.opendir(fs, ctx, id, 0, &o) == -ENOTDIR);
    CHECK(pth_lookup(fs, id, "etc") == -ENOTDIR);
    return 0;
}

static int lookup_type(struct pt_fs *fs, uint64_t parent, const char *name,
                       uint32_t type, struct fuse_entry_out *e)
{
    memset(e, 0, sizeof(*e));
    CHECK(PT.lookup(fs, ctx, parent, name, e) == 0);
    CHECK((e->attr.mode & S_IFMT) == type);
    return 0;
}

static int proc_checks(struct pt_fs *fs, const char *outside)
{
    struct fuse_entry_out proc, self, e, fdir;
    char name[16];
    int fd, rc;

    fd = open(outside, O_RDONLY | O_DIRECTORY); /* a magic link to outside */
    CHECK(fd >= 0);
    if ((rc = lookup_type(fs, ROOT, "proc", S_IFDIR, &proc)) ||
        (rc = lookup_type(fs, proc.nodeid, "self", S_IFLNK, &self))) {
        return rc;
    }
    CHECK(check_not_opened(fs, self.nodeid) == 0);
    snprintf(name, sizeof(name), "%d", (int)getpid());
    if ((rc = lookup_type(fs, proc.nodeid, name, S_IFDIR, &self)) ||
        (rc = lookup_type(fs, self.nodeid, "root", S_IFLNK, &e)) ||
        (rc = check_not_opened(fs, e.nodeid)) ||
        (rc = lookup_type(fs, self.nodeid, "cwd", S_IFLNK, &e)) ||
        (rc = check_not_opened(fs, e.nodeid)) ||
        (rc = lookup_type(fs, self.nodeid, "fd", S_IFDIR, &fdir))) {
        return rc;
    }
    snprintf(name, sizeof(name), "%d", fd);
    if ((rc = lookup_type(fs, fdir.nodeid, name, S_IFLNK, &e)) ||
        (rc = check_not_opened(fs, e.nodeid))) {
        return rc;
    }
    close(fd);
    return 0;
}

TEST(proc_magic_links_are_not_followed)
{
    char outside[4096], procdir[4200];
    struct fuse_entry_out e;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    struct pt_options opt;
    struct pt_fs *nfs = NULL;
    int status, rc;
    pid_t pid;

    /* a symlink into /proc placed in the share is only text */
    ASSERT_OK(symlink("/proc/self/root", pth_path(dir, "procroot")));
    e = lookup_ok(fs, ROOT, "procroot");
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFLNK);
    assert_not_opened(fs, e.nodeid, -ENXIO);

    /* the real thing: procfs mounted inside the share, in a child of its
     * own mount namespace (the mount goes with it) */
    snprintf(procdir, sizeof(procdir), "%s/proc", dir);
    ASSERT_OK(mkdir(procdir, 0755));
    fflush(stderr);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        pt_destroy(fs);
        if (unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", procdir, "proc", 0, NULL) < 0) {
            _exit(77);
        }
        /* a filesystem opened in this namespace, which sees the mount */
        pt_options_default(&opt);
        rc = pt_create(dir, &opt, &nfs);
        if (rc == 0) {
            rc = proc_checks(nfs, outside);
            pt_destroy(nfs);
        }
        umount2(procdir, MNT_DETACH);
        _exit(rc ? 1 : 0);
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        TEST_SKIP("cannot mount procfs in a private mount namespace here");
    }
    ASSERT_EQ(WEXITSTATUS(status), 0);
    pt_destroy(fs);
}

/* A special file in the share: served as a node, never opened. */
static void special_file(const char *name, mode_t type, dev_t rdev)
{
    char outside[4096];
    struct fuse_entry_out e, e2;
    struct fuse_open_out o;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    char buf[64];
    int rc;

    if (mknod(pth_path(dir, name), type | 0666, rdev) < 0) {
        pt_destroy(fs);
        TEST_SKIP("mknod is not permitted here");
    }
    e = lookup_ok(fs, ROOT, name);
    ASSERT_EQ(e.attr.mode & S_IFMT, type);
    ASSERT_EQ(e.attr.rdev, (uint32_t)rdev);
    /* a FIFO opened for reading would block the daemon: it returns */
    assert_not_opened(fs, e.nodeid, -ENXIO);
    /* CREATE on the existing name does not open it either */
    ASSERT_EQ(
        PT.create(fs, ctx, ROOT, name, S_IFREG | 0600, O_RDWR, 0, &e2, &o),
        -ENXIO);
    ASSERT_EQ(
        PT.create(fs, ctx, ROOT, name, S_IFREG | 0600, O_RDONLY, 0, &e2, &o),
        -ENXIO);
    /* metadata works without opening it */
    rc = PT.getxattr(fs, ctx, e.nodeid, "user.none", buf, sizeof(buf));
    ASSERT(rc == -ENODATA || rc == -EOPNOTSUPP || rc == -EPERM);
    ASSERT_EQ(PT.getattr(fs, ctx, e.nodeid, NULL, &(struct fuse_attr_out){0}),
              0);
    pt_destroy(fs);
}

TEST(device_node_in_the_share_is_never_opened)
{
    special_file("null", S_IFCHR, makedev(1, 3));
}

TEST(fifo_in_the_share_is_never_opened)
{
    special_file("fifo", S_IFIFO, 0);
}

TEST(socket_in_the_share_is_never_opened)
{
    char outside[4096];
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct fuse_entry_out e;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);

    ASSERT_GE(s, 0);
    if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
                         pth_path(dir, "sock")) >= sizeof(sun.sun_path)) {
        TEST_SKIP("temporary directory path too long for a socket");
    }
    ASSERT_OK(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
    e = lookup_ok(fs, ROOT, "sock");
    ASSERT_EQ(e.attr.mode & S_IFMT, S_IFSOCK);
    assert_not_opened(fs, e.nodeid, -ENXIO);
    close(s);
    pt_destroy(fs);
}

TEST(guest_made_special_files_are_created_not_opened)
{
    char outside[4096];
    struct fuse_entry_out e;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    struct stat st;

    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.mknod(fs, ctx, ROOT, "fifo", S_IFIFO | 0600, 0, &e));
    ASSERT_OK(lstat(pth_path(dir, "fifo"), &st));
    ASSERT(S_ISFIFO(st.st_mode));
    assert_not_opened(fs, e.nodeid, -ENXIO);
    ASSERT_EQ(PT.mknod(fs, ctx, ROOT, "d", S_IFDIR | 0700, 0, &e), -EINVAL);
    if (PT.mknod(fs, ctx, ROOT, "null", S_IFCHR | 0666, makedev(1, 3), &e) ==
        0) {
        assert_not_opened(fs, e.nodeid, -ENXIO);
    }
    pt_destroy(fs);
}

/*
 * Hard links.  A file outside that the host's administrator hard-linked
 * into the share cannot be told from the share's own files by name; it is
 * served as they are (the administrator put it there).  What holds: the
 * guest names inodes only by the node ids it was given, all from lookups
 * beneath the root, so it cannot link an outside file in, and it names the
 * new link by one component under a directory it holds, so it cannot put a
 * link out.
 */
TEST(hard_link_to_a_file_outside_cannot_be_made_by_the_guest)
{
    char outside[4096], path[4200];
    struct fuse_entry_out e, f;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    struct stat st;
    uint64_t id, gen;

    pth_write_file(pth_path(dir, "inside"), "in");
    f = lookup_ok(fs, ROOT, "inside");
    /* every node id the guest could forge, but the ones it holds */
    for (gen = 0; gen < 4; gen++) {
        for (id = 0; id < 64; id++) {
            uint64_t nodeid = gen << 32 | id;

            if (nodeid == ROOT || nodeid == f.nodeid) {
                continue;
            }
            ASSERT_EQ(PT.link(fs, ctx, nodeid, ROOT, "stolen", &e), -ENOENT);
        }
    }
    ASSERT_EQ(lstat(pth_path(dir, "stolen"), &st), -1);
    /* nor can a link to a shared file be put outside */
    ASSERT_EQ(PT.link(fs, ctx, f.nodeid, ROOT, "../outside/leak", &e), -EINVAL);
    ASSERT_EQ(PT.link(fs, ctx, f.nodeid, f.nodeid, "leak", &e), -ENOTDIR);
    snprintf(path, sizeof(path), "%s/leak", outside);
    ASSERT_EQ(lstat(path, &st), -1);
    pt_destroy(fs);
}

TEST(hard_link_made_on_the_host_is_served_as_the_admin_made_it)
{
    char outside[4096], path[4200], buf[16];
    struct fuse_entry_out e;
    struct fuse_open_out o;
    struct iovec iov = {buf, sizeof(buf)};
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));

    snprintf(path, sizeof(path), "%s/secret", outside);
    ASSERT_OK(link(path, pth_path(dir, "linked")));
    e = lookup_ok(fs, ROOT, "linked");
    ASSERT_EQ(e.attr.nlink, 2); /* the guest can see it is shared */
    ASSERT_OK(PT.open(fs, ctx, e.nodeid, O_RDONLY, 0, &o));
    ASSERT_EQ(PT.read(fs, ctx, e.nodeid, o.fh, 0, &iov, 1), 6);
    ASSERT_OK(PT.release(fs, ctx, e.nodeid, o.fh, 0, 0, 0));
    pt_destroy(fs);
}

TEST(rename_out_of_the_share_is_impossible)
{
    char outside[4096], path[4200];
    struct fuse_entry_out f, d;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    struct stat st;

    pth_write_file(pth_path(dir, "f"), "x");
    f = lookup_ok(fs, ROOT, "f");
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", ROOT, "../outside/f", 0), -EINVAL);
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", ROOT, "..", 0), -EINVAL);
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "../outside/secret", ROOT, "got", 0),
              -EINVAL);
    /* a forged or a non-directory new parent */
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", 0x100000002ull, "f", 0), -ENOENT);
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", f.nodeid, "f", 0), -ENOTDIR);
    /* through a symlink to a directory outside: it is not a directory */
    ASSERT_OK(symlink(outside, pth_path(dir, "out")));
    d = lookup_ok(fs, ROOT, "out");
    ASSERT_EQ(PT.rename(fs, ctx, ROOT, "f", d.nodeid, "f", 0), -ENOTDIR);
    ASSERT_EQ(PT.rename(fs, ctx, d.nodeid, "secret", ROOT, "got", 0), -ENOTDIR);
    snprintf(path, sizeof(path), "%s/f", outside);
    ASSERT_EQ(lstat(path, &st), -1);
    ASSERT_OK(lstat(pth_path(dir, "f"), &st));
    pt_destroy(fs);
}

/* --- garbage from the guest --------------------------------------------- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A node id or fh: mostly near real ones, sometimes anything. */
static uint64_t rnd_id(const uint64_t *real, unsigned int n)
{
    switch (rnd() % 4) {
    case 0:
        return rnd();
    case 1:
        return rnd() % 16 | (rnd() % 3) << 32;
    default:
        return real[rnd() % n];
    }
}

static const char *rnd_name(void)
{
    static char longname[300];
    static const char *names[] = {"",  ".", "..", "a/b", "/",      "../outside",
                                  "f", "d", "x",  "l",   "secret", longname};

    memset(longname, 'n', sizeof(longname) - 1);
    return names[rnd() % (sizeof(names) / sizeof(names[0]))];
}

static bool is_errno(long long rc)
{
    return rc >= 0 || (rc < 0 && rc > -4096);
}

TEST(garbage_ids_names_and_flags_stay_in_the_share)
{
    char outside[4096], buf[256];
    struct fuse_entry_out e;
    struct fuse_open_out o;
    struct fuse_attr_out a;
    struct fuse_setattr_in in;
    struct fuse_file_lock lk, out;
    struct iovec iov = {buf, sizeof(buf)};
    uint64_t real[8], off;
    const char *dir;
    struct pt_fs *fs = setup(PT_FH_NEVER, &dir, outside, sizeof(outside));
    struct stat before, after;
    unsigned int i, nreal = 0;
    long long rc = 0;

    ASSERT_OK(stat(pth_path(outside, "secret"), &before));
    ASSERT_OK(symlink(outside, pth_path(dir, "l")));
    ASSERT_OK(PT.mkdir(fs, ctx, ROOT, "d", 0755, &e));
    real[nreal++] = ROOT;
    real[nreal++] = e.nodeid;
    ASSERT_OK(
        PT.create(fs, ctx, e.nodeid, "f", S_IFREG | 0644, O_RDWR, 0, &e, &o));
    real[nreal++] = e.nodeid;
    real[nreal++] = o.fh;
    real[nreal++] = pth_entry(fs, ROOT, "l").nodeid;
    ASSERT_OK(PT.opendir(fs, ctx, ROOT, 0, &o));
    real[nreal++] = o.fh;

    for (i = 0; i < 20000; i++) {
        uint64_t id = rnd_id(real, nreal), id2 = rnd_id(real, nreal);
        uint64_t fh = rnd_id(real, nreal);

        memset(&e, 0, sizeof(e));
        switch (rnd() % 16) {
        case 0:
            rc = PT.lookup(fs, ctx, id, rnd_name(), &e);
            break;
        case 1:
            rc = PT.open(fs, ctx, id, (uint32_t)rnd(), (uint32_t)rnd(), &o);
            if (rc == 0) {
                PT.release(fs, ctx, id, o.fh, 0, 0, 0);
            }
            break;
        case 2:
            rc = PT.read(fs, ctx, id, fh, rnd() % 8192, &iov, 1);
            break;
        case 3:
            rc = PT.write(fs, ctx, id, fh, rnd() % 8192, &iov, 1,
                          (uint32_t)rnd());
            break;
        case 4:
            rc = PT.mkdir(fs, ctx, id, rnd_name(), (mode_t)rnd(), &e);
            break;
        case 5:
            /* no real device numbers: the nodes are made for real */
            rc = PT.mknod(fs, ctx, id, rnd_name(),
                          ((mode_t)rnd() & ~(mode_t)S_IFMT) |
                              (rnd() % 2 ? S_IFIFO : (mode_t)rnd() & S_IFMT),
                          0, &e);
            break;
        case 6:
            rc = PT.rename(fs, ctx, id, rnd_name(), id2, rnd_name(),
                           (uint32_t)rnd() % 8);
            break;
        case 7:
            rc = PT.link(fs, ctx, id, id2, rnd_name(), &e);
            break;
        case 8:
            rc = PT.unlink(fs, ctx, id, rnd_name());
            break;
        case 9:
            memset(&in, 0, sizeof(in));
            in.valid = (uint32_t)rnd() & ~(uint32_t)(FATTR_UID | FATTR_GID);
            in.size = rnd() % 65536;
            in.mode = (uint32_t)rnd() & 0755;
            in.fh = fh;
            rc = PT.setattr(fs, ctx, id, &in, &a);
            break;
        case 10:
            rc = PT.readlink(fs, ctx, id, buf, sizeof(buf));
            break;
        case 11:
            lk.start = rnd() % 1000;
            lk.end = lk.start + rnd() % 1000;
            lk.type = (uint32_t)(rnd() % 4);
            lk.pid = 0;
            rc = PT.setlk(fs, ctx, id, fh, rnd() % 4, &lk,
                          (uint32_t)rnd() & FUSE_LK_FLOCK, false);
            if (rc == 0 || rc == -EAGAIN) {
                rc = PT.getlk(fs, ctx, id, fh, rnd() % 4, &lk, &out);
            }
            break;
        case 12:
            rc = PT.lseek(fs, ctx, id, fh, rnd() % 100000,
                          (uint32_t)(rnd() % 6), &off);
            break;
        case 13:
            rc = PT.getxattr(fs, ctx, id, "user.x", buf, rnd() % 2 * 16);
            break;
        case 14:
            rc = PT.tmpfile(fs, ctx, id, S_IFREG | 0600, (uint32_t)rnd(), 0, &e,
                            &o);
            if (rc == 0) {
                PT.release(fs, ctx, e.nodeid, o.fh, 0, 0, 0);
            }
            break;
        default:
            PT.forget(fs, rnd_id(real, nreal) + (rnd() % 2 << 32), 1);
            rc = 0;
            break;
        }
        ASSERT(is_errno(rc));
        /* whatever the guest was given counts a lookup: give it back */
        if (rc == 0 && e.nodeid && e.nodeid != ROOT) {
            PT.forget(fs, e.nodeid, 1);
        }
    }
    /* nothing outside changed, nothing new appeared beside the share */
    ASSERT_OK(stat(pth_path(outside, "secret"), &after));
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ASSERT_EQ(after.st_nlink, 1);
    ASSERT_EQ(after.st_mode, before.st_mode);
    {
        DIR *dp = opendir(outside);
        struct dirent *de;
        int n = 0;

        ASSERT(dp != NULL);
        while ((de = readdir(dp))) {
            n += de->d_name[0] != '.';
        }
        closedir(dp);
        ASSERT_EQ(n, 1);
    }
    pt_destroy(fs);
}

TEST_MAIN(T(symlink_pointing_out_is_never_followed),
          T(symlink_pointing_out_is_never_followed_file_handles),
          T(dotdot_at_the_root_stays_at_the_root),
          T(dotdot_only_reaches_directories_the_guest_holds),
          T(proc_magic_links_are_not_followed),
          T(device_node_in_the_share_is_never_opened),
          T(fifo_in_the_share_is_never_opened),
          T(socket_in_the_share_is_never_opened),
          T(guest_made_special_files_are_created_not_opened),
          T(hard_link_to_a_file_outside_cannot_be_made_by_the_guest),
          T(hard_link_made_on_the_host_is_served_as_the_admin_made_it),
          T(rename_out_of_the_share_is_impossible),
          T(garbage_ids_names_and_flags_stay_in_the_share))
