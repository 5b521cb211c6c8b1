/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-fs.c - the passthrough filesystem: setup, safe name resolution, and
 * what the ops share (attributes, open flags, LOOKUP).
 *
 * Security model: see pt-int.h.  This file is where a guest name becomes a
 * host fd: one component, beneath a directory fd the table holds, never
 * following a symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, or O_NOFOLLOW on a kernel without openat2, which
 * is as strict for a single component); and where an inode becomes an open
 * file: regular files and directories only.
 */
#include <errno.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pt-int.h"

#define LONG_TIMEOUT 86400.0

void pt_options_default(struct pt_options *o)
{
    memset(o, 0, sizeof(*o));
    o->cache = PT_CACHE_AUTO;
    o->inode_file_handles = PT_FH_NEVER;
    o->posix_locks = true;
    o->flock = true;
    o->readdirplus = true;
}

int pt_check_name(const char *name)
{
    size_t len;

    if (!name) {
        return -EINVAL;
    }
    len = strnlen(name, NAME_MAX + 1);
    if (len == 0 || strchr(name, '/')) {
        return -EINVAL;
    }
    if (len > NAME_MAX) {
        return -ENAMETOOLONG;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return -EINVAL;
    }
    return 0;
}

int pt_check_writable(const struct pt_fs *fs)
{
    return fs->opts.readonly ? -EROFS : 0;
}

static int openat2_beneath(int dirfd, const char *name, uint64_t flags)
{
    struct open_how how = {
        .flags = flags,
        .resolve =
            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int i, fd = -1;

    /* EAGAIN: a rename raced with the lookup; the kernel wants a retry */
    for (i = 0; i < 8; i++) {
        fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN) {
            break;
        }
    }
    return fd;
}

int pt_open_beneath(struct pt_fs *fs, int dirfd, const char *name)
{
    int fd;

    if (fs->have_openat2) {
        fd = openat2_beneath(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int pt_statx_fd(int fd, struct statx *stx)
{
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
              STATX_BASIC_STATS | STATX_MNT_ID, stx) < 0) {
        return -errno;
    }
    return 0;
}

static void set_timeout(double t, uint64_t *sec, uint32_t *nsec)
{
    *sec = (uint64_t)t;
    *nsec = (uint32_t)((t - (double)*sec) * 1e9);
}

void pt_fill_attr(const struct pt_fs *fs, const struct statx *stx,
                  struct fuse_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = stx->stx_ino;
    a->size = stx->stx_size;
    a->blocks = stx->stx_blocks;
    a->atime = (uint64_t)stx->stx_atime.tv_sec;
    a->mtime = (uint64_t)stx->stx_mtime.tv_sec;
    a->ctime = (uint64_t)stx->stx_ctime.tv_sec;
    a->atimensec = stx->stx_atime.tv_nsec;
    a->mtimensec = stx->stx_mtime.tv_nsec;
    a->ctimensec = stx->stx_ctime.tv_nsec;
    a->mode = stx->stx_mode;
    a->nlink = stx->stx_nlink;
    a->uid = stx->stx_uid;
    a->gid = stx->stx_gid;
    a->rdev = (uint32_t)makedev(stx->stx_rdev_major, stx->stx_rdev_minor);
    a->blksize = stx->stx_blksize;
    if (fs->opts.announce_submounts && S_ISDIR(stx->stx_mode) &&
        (stx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        (stx->stx_attributes & STATX_ATTR_MOUNT_ROOT) &&
        stx->stx_mnt_id != fs->root_mnt_id) {
        a->flags |= FUSE_ATTR_SUBMOUNT;
    }
    if (fs->dax && S_ISREG(stx->stx_mode) &&
        (fs->opts.dax_inode == PT_DAX_INODE_ALWAYS ||
         (fs->opts.dax_inode == PT_DAX_INODE_FLAG &&
          (stx->stx_attributes & STATX_ATTR_DAX)))) {
        a->flags |= FUSE_ATTR_DAX;
    }
}

void pt_fill_entry(const struct pt_fs *fs, const struct pt_inode *ino,
                   const struct statx *stx, struct fuse_entry_out *e)
{
    e->nodeid = pt_inode_nodeid(ino);
    e->generation = 0; /* the node id already carries the slot generation */
    set_timeout(fs->entry_timeout, &e->entry_valid, &e->entry_valid_nsec);
    set_timeout(fs->attr_timeout, &e->attr_valid, &e->attr_valid_nsec);
    pt_fill_attr(fs, stx, &e->attr);
}

int pt_open_flags(const struct pt_fs *fs, uint32_t flags)
{
    int f = (int)flags &
            (O_ACCMODE | O_APPEND | O_TRUNC | O_DIRECT | O_DSYNC | O_SYNC |
             O_NOATIME | O_LARGEFILE | O_DIRECTORY | O_NONBLOCK);

    if ((f & O_ACCMODE) == O_ACCMODE) {
        f &= ~O_ACCMODE; /* "3" is not an access mode open(2) takes here */
        f |= O_RDWR;
    }
    if (fs->opts.writeback) {
        /* the guest's page cache may read what it writes, and appends */
        if ((f & O_ACCMODE) == O_WRONLY) {
            f = (f & ~O_ACCMODE) | O_RDWR;
        }
        f &= ~O_APPEND;
    }
    return f | O_CLOEXEC | O_NOCTTY;
}

int pt_inode_open(struct pt_fs *fs, struct pt_inode *ino, int flags)
{
    char name[16];
    int fd;

    /* never a device, FIFO, socket or symlink: see pt-int.h */
    if (ino->type != S_IFREG && ino->type != S_IFDIR) {
        return -ENXIO;
    }
    flags &= ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_PATH);
    flags |= O_CLOEXEC | O_NOCTTY;
    if (ino->fh) {
        fd = open_by_handle_at(ino->mount_fd, ino->fh, flags);
        return fd < 0 ? -errno : fd;
    }
    /*
     * Reopen our own O_PATH fd through /proc/self/fd: the one magic link
     * the daemon follows, and only to an inode it already checked.
     */
    snprintf(name, sizeof(name), "%d", ino->fd);
    fd = openat(fs->proc_fd, name, flags);
    return fd < 0 ? -errno : fd;
}

uint32_t pt_open_out_flags(const struct pt_fs *fs, bool is_dir)
{
    switch (fs->opts.cache) {
    case PT_CACHE_NEVER:
    case PT_CACHE_METADATA:
        return is_dir ? 0 : FOPEN_DIRECT_IO;
    case PT_CACHE_ALWAYS:
        return is_dir ? FOPEN_CACHE_DIR : FOPEN_KEEP_CACHE;
    case PT_CACHE_AUTO:
    default:
        return 0;
    }
}

/*
 * ".." of a directory other than the root: only an inode the guest already
 * holds is returned.  The guest reached @parent through its parent, which
 * it still holds (a dentry pins its parent); anything else means the tree
 * changed under us, perhaps a directory moved out of the share.
 */
static int lookup_dotdot(struct pt_fs *fs, int pfd, struct pt_inode **out,
                         struct statx *stx)
{
    int fd, rc;

    fd = openat(pfd, "..", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    rc = pt_statx_fd(fd, stx);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return pt_inode_intern_held(fs, fd, stx, out);
}

int pt_entry_at(struct pt_fs *fs, int dirfd, const char *name,
                struct fuse_entry_out *e)
{
    struct pt_inode *ino;
    struct statx stx;
    int fd, rc;

    fd = pt_open_beneath(fs, dirfd, name);
    if (fd < 0) {
        return fd;
    }
    rc = pt_statx_fd(fd, &stx);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    rc = pt_inode_intern(fs, fd, &stx, &ino);
    if (rc < 0) {
        return rc;
    }
    pt_fill_entry(fs, ino, &stx, e);
    pt_inode_put(fs, ino);
    return 0;
}

int pt_entry_of_fd(struct pt_fs *fs, int fd, struct fuse_entry_out *e)
{
    struct pt_inode *ino;
    struct statx stx;
    char name[16];
    int pfd, rc;

    snprintf(name, sizeof(name), "%d", fd);
    pfd = openat(fs->proc_fd, name, O_PATH | O_CLOEXEC);
    if (pfd < 0) {
        return -errno;
    }
    rc = pt_statx_fd(pfd, &stx);
    if (rc < 0) {
        close(pfd);
        return rc;
    }
    rc = pt_inode_intern(fs, pfd, &stx, &ino);
    if (rc < 0) {
        return rc;
    }
    pt_fill_entry(fs, ino, &stx, e);
    pt_inode_put(fs, ino);
    return 0;
}

int pt_dir_get(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **dir,
               int *dirfd)
{
    struct pt_inode *d = pt_inode_get(fs, nodeid);
    int fd;

    if (!d) {
        return -ENOENT;
    }
    if (d->type != S_IFDIR) {
        pt_inode_put(fs, d);
        return -ENOTDIR;
    }
    fd = pt_inode_fd(fs, d);
    if (fd < 0) {
        pt_inode_put(fs, d);
        return fd;
    }
    *dir = d;
    *dirfd = fd;
    return 0;
}

void pt_dir_put(struct pt_fs *fs, struct pt_inode *dir, int dirfd)
{
    pt_inode_fd_put(dir, dirfd);
    pt_inode_put(fs, dir);
}

int pt_do_lookup(struct pt_fs *fs, uint64_t parent, const char *name,
                 struct fuse_entry_out *e)
{
    struct pt_inode *dir, *ino;
    struct statx stx;
    bool dot = strcmp(name, ".") == 0, dotdot = strcmp(name, "..") == 0;
    int pfd, rc;

    if (!dot && !dotdot) {
        rc = pt_check_name(name);
        if (rc < 0) {
            return rc;
        }
    }
    rc = pt_dir_get(fs, parent, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    if (dotdot && pt_inode_nodeid(dir) != FUSE_ROOT_ID) {
        rc = lookup_dotdot(fs, pfd, &ino, &stx);
        if (rc == 0) {
            pt_fill_entry(fs, ino, &stx, e);
            pt_inode_put(fs, ino);
        }
    } else {
        /* "." anywhere and ".." at the root: the directory itself */
        rc = pt_entry_at(fs, pfd, dotdot ? "." : name, e);
    }
    pt_dir_put(fs, dir, pfd);
    return rc;
}

static int probe_openat2(int dirfd)
{
    int fd = openat2_beneath(dirfd, ".", O_PATH | O_CLOEXEC);

    if (fd < 0) {
        return 0;
    }
    close(fd);
    return 1;
}

/* With file handles: can this process make them and open them here? */
static int probe_handles(struct pt_fs *fs, int rootfd)
{
    union {
        struct file_handle fh;
        char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    } u;
    int mnt, mfd, fd;

    u.fh.handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(rootfd, "", &u.fh, &mnt, AT_EMPTY_PATH) < 0) {
        return -errno;
    }
    mfd = pt_mount_fd(fs, fs->root_mnt_id, rootfd, S_IFDIR);
    if (mfd < 0) {
        return -EOPNOTSUPP;
    }
    fd = open_by_handle_at(mfd, &u.fh, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        return -errno; /* EPERM without CAP_DAC_READ_SEARCH */
    }
    close(fd);
    return 0;
}

static int add_root(struct pt_fs *fs)
{
    struct statx stx;
    int fd, rc;

    fd = fcntl(fs->root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    rc = pt_statx_fd(fd, &stx);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    fs->root_mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
    return pt_inode_add_root(fs, fd, &stx);
}

static void set_timeouts(struct pt_fs *fs)
{
    switch (fs->opts.cache) {
    case PT_CACHE_NEVER:
        fs->entry_timeout = fs->attr_timeout = 0.0;
        break;
    case PT_CACHE_METADATA:
    case PT_CACHE_ALWAYS:
        fs->entry_timeout = fs->attr_timeout = LONG_TIMEOUT;
        break;
    case PT_CACHE_AUTO:
    default:
        fs->entry_timeout = fs->attr_timeout = 1.0;
        break;
    }
}

int pt_create(const char *root, const struct pt_options *opts,
              struct pt_fs **out)
{
    struct pt_fs *fs;
    int rc;

    fs = calloc(1, sizeof(*fs));
    if (!fs) {
        return -ENOMEM;
    }
    fs->opts = *opts;
    fs->proc_fd = -1;
    pthread_mutex_init(&fs->mnt_lock, NULL);
    set_timeouts(fs);
    fs->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0) {
        rc = -errno;
        goto fail;
    }
    fs->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fs->proc_fd < 0) {
        rc = -errno;
        goto fail;
    }
    fs->have_openat2 = probe_openat2(fs->root_fd);
    rc = pt_itable_init(&fs->itab);
    if (rc < 0) {
        goto fail;
    }
    pt_ftable_init(&fs->ftab);
    rc = add_root(fs);
    if (rc < 0) {
        goto fail;
    }
    if (opts->inode_file_handles != PT_FH_NEVER) {
        rc = probe_handles(fs, fs->root_fd);
        if (rc < 0 && opts->inode_file_handles == PT_FH_MANDATORY) {
            goto fail;
        }
        fs->use_handles = rc == 0;
    }
    *out = fs;
    return 0;
fail:
    pt_destroy(fs);
    return rc;
}

/* Forget every inode but the root and every open file (DESTROY). */
int pt_reset(struct pt_fs *fs)
{
    pt_ftable_fini(&fs->ftab);
    pt_ftable_init(&fs->ftab);
    pt_itable_fini(&fs->itab);
    if (pt_itable_init(&fs->itab) < 0) {
        return -ENOMEM;
    }
    return add_root(fs);
}

void pt_destroy(struct pt_fs *fs)
{
    unsigned int i;

    if (!fs) {
        return;
    }
    if (fs->itab.buckets) {
        pt_itable_fini(&fs->itab);
    }
    if (fs->ftab.nslots) {
        pt_ftable_fini(&fs->ftab);
    }
    for (i = 0; i < fs->nmounts; i++) {
        close(fs->mounts[i].fd);
    }
    free(fs->mounts);
    pthread_mutex_destroy(&fs->mnt_lock);
    pt_dax_free(fs->dax);
    if (fs->proc_fd >= 0) {
        close(fs->proc_fd);
    }
    if (fs->root_fd >= 0) {
        close(fs->root_fd);
    }
    free(fs);
}
