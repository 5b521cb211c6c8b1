/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-attr.c - INIT, DESTROY, LOOKUP, FORGET, GETATTR, SETATTR,
 * READLINK, ACCESS, STATFS and SYNCFS.
 *
 * Security model: node ids and fh values are resolved through the tables
 * (pt-inode.c, pt-handle.c) and never trusted; attribute changes go to the
 * inode the table holds, through its own fd (AT_EMPTY_PATH) or our own
 * /proc/self/fd entry for it, never through a guest path.  Setting a size
 * opens regular files only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "pt-int.h"

int pt_op_init(void *fsp, struct fs_init *in)
{
    struct pt_fs *fs = fsp;
    /*
     * Not done here: POSIX ACL semantics, security contexts, LOOKUP of
     * ".." for handles the guest did not get from us (export), and
     * killpriv v1 (suid cleared on every write).
     */
    uint64_t drop = FUSE_POSIX_ACL | FUSE_SECURITY_CTX | FUSE_MAP_ALIGNMENT |
                    FUSE_EXPORT_SUPPORT | FUSE_HANDLE_KILLPRIV;

#ifdef FUSE_CREATE_SUPP_GROUP
    drop |= FUSE_CREATE_SUPP_GROUP;
#endif
#ifdef FUSE_HAS_INODE_DAX
    drop |= FUSE_HAS_INODE_DAX;
#endif
#ifdef FUSE_PASSTHROUGH
    drop |= FUSE_PASSTHROUGH;
#endif
    if (fs->dax) {
        pt_dax_reset(fs); /* a new session: the window starts empty */
        drop &= ~FUSE_MAP_ALIGNMENT; /* pt-dax.c serves the mappings */
#ifdef FUSE_HAS_INODE_DAX
        if (fs->opts.dax_inode != PT_DAX_INODE_OFF) {
            drop &= ~FUSE_HAS_INODE_DAX; /* FUSE_ATTR_DAX per file */
        }
#endif
    }
    if (!fs->opts.writeback) {
        drop |= FUSE_WRITEBACK_CACHE;
    }
    if (!fs->opts.readdirplus) {
        drop |= FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
    }
    if (!fs->opts.posix_locks) {
        drop |= FUSE_POSIX_LOCKS;
    }
    if (!fs->opts.flock) {
        drop |= FUSE_FLOCK_LOCKS;
    }
    if (!fs->opts.announce_submounts) {
        drop |= FUSE_SUBMOUNTS;
    }
    if (!fs->opts.killpriv_v2) {
        drop |= FUSE_HANDLE_KILLPRIV_V2;
    }
    if (fs->opts.cache == PT_CACHE_NEVER) {
        drop |= FUSE_CACHE_SYMLINKS;
    }
    in->want &= ~drop;
    return 0;
}

void pt_op_destroy(void *fsp)
{
    (void)pt_reset(fsp);
}

int pt_op_lookup(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, struct fuse_entry_out *out)
{
    (void)ctx;
    return pt_do_lookup(fsp, parent, name, out);
}

void pt_op_forget(void *fsp, uint64_t ino, uint64_t nlookup)
{
    pt_inode_forget(fsp, ino, nlookup);
}

static void fill_attr_out(const struct pt_fs *fs, const struct statx *stx,
                          struct fuse_attr_out *out)
{
    out->attr_valid = (uint64_t)fs->attr_timeout;
    out->attr_valid_nsec =
        (uint32_t)((fs->attr_timeout - (double)out->attr_valid) * 1e9);
    pt_fill_attr(fs, stx, &out->attr);
}

/* Pin the open file @fh of inode @ino (-EBADF for anything else). */
static int file_of(struct pt_fs *fs, uint64_t ino, uint64_t fh,
                   struct pt_file **f)
{
    *f = pt_file_get(fs, fh);
    if (!*f) {
        return -EBADF;
    }
    if ((*f)->nodeid != ino) {
        pt_file_put(fs, *f);
        *f = NULL;
        return -EBADF;
    }
    return 0;
}

int pt_op_getattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  const uint64_t *fh, struct fuse_attr_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    struct pt_file *f;
    struct statx stx;
    int fd, rc;

    (void)ctx;
    if (fh) {
        rc = file_of(fs, ino, *fh, &f);
        if (rc < 0) {
            return rc;
        }
        rc = pt_statx_fd(f->fd, &stx);
        pt_file_put(fs, f);
    } else {
        node = pt_inode_get(fs, ino);
        if (!node) {
            return -ENOENT;
        }
        fd = pt_inode_fd(fs, node);
        rc = fd < 0 ? fd : pt_statx_fd(fd, &stx);
        pt_inode_fd_put(node, fd);
        pt_inode_put(fs, node);
    }
    if (rc < 0) {
        return rc;
    }
    fill_attr_out(fs, &stx, out);
    return 0;
}

/* chmod through our own /proc/self/fd entry for @fd (an inode we hold). */
static int chmod_fd(struct pt_fs *fs, int fd, mode_t mode)
{
    char name[16];

    snprintf(name, sizeof(name), "%d", fd);
    return fchmodat(fs->proc_fd, name, mode, 0) < 0 ? -errno : 0;
}

int pt_kill_suidgid(struct pt_fs *fs, int fd)
{
    struct statx stx;
    mode_t mode, kill = S_ISUID;
    int rc;

    rc = pt_statx_fd(fd, &stx);
    if (rc < 0) {
        return rc;
    }
    mode = stx.stx_mode;
    if (!S_ISREG(mode)) {
        return 0;
    }
    /* sgid without group exec is mandatory locking, not a privilege */
    if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) {
        kill |= S_ISGID;
    }
    if (!(mode & kill)) {
        return 0;
    }
    return chmod_fd(fs, fd, mode & 07777 & ~kill);
}

static int set_times(int fd, bool is_file, const struct fuse_setattr_in *in)
{
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
    int rc;

    if (in->valid & FATTR_ATIME_NOW) {
        ts[0].tv_nsec = UTIME_NOW;
    } else if (in->valid & FATTR_ATIME) {
        if (in->atimensec >= 1000000000u) {
            return -EINVAL;
        }
        ts[0].tv_sec = (time_t)in->atime;
        ts[0].tv_nsec = in->atimensec;
    }
    if (in->valid & FATTR_MTIME_NOW) {
        ts[1].tv_nsec = UTIME_NOW;
    } else if (in->valid & FATTR_MTIME) {
        if (in->mtimensec >= 1000000000u) {
            return -EINVAL;
        }
        ts[1].tv_sec = (time_t)in->mtime;
        ts[1].tv_nsec = in->mtimensec;
    }
    if (is_file) {
        rc = futimens(fd, ts);
    } else {
        rc = utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    }
    return rc < 0 ? -errno : 0;
}

static int set_size(struct pt_fs *fs, struct pt_inode *node, struct pt_file *f,
                    const struct fuse_setattr_in *in)
{
    int fd, rc = 0;

    if (in->size > INT64_MAX) {
        return -EFBIG;
    }
    if (f) {
        fd = f->fd;
    } else {
        if (node->type == S_IFDIR) {
            return -EISDIR;
        }
        fd = pt_inode_open(fs, node, O_WRONLY);
        if (fd < 0) {
            return fd == -ENXIO ? -EINVAL : fd;
        }
    }
    if (ftruncate(fd, (off_t)in->size) < 0) {
        rc = -errno;
    }
    if (rc == 0 && (in->valid & FATTR_KILL_SUIDGID)) {
        rc = pt_kill_suidgid(fs, fd);
    }
    if (!f) {
        close(fd);
    }
    return rc;
}

static int do_setattr(struct pt_fs *fs, struct pt_inode *node,
                      struct pt_file *f, int pfd,
                      const struct fuse_setattr_in *in)
{
    uint32_t v = in->valid;
    int fd = f ? f->fd : pfd;
    int rc;

    if (v & FATTR_MODE) {
        if (node->type == S_IFLNK) {
            return -EOPNOTSUPP; /* Linux has no lchmod */
        }
        rc = f ? (fchmod(f->fd, in->mode & 07777) < 0 ? -errno : 0)
               : chmod_fd(fs, pfd, in->mode & 07777);
        if (rc < 0) {
            return rc;
        }
    }
    if (v & (FATTR_UID | FATTR_GID)) {
        uid_t uid = (v & FATTR_UID) ? in->uid : (uid_t)-1;
        gid_t gid = (v & FATTR_GID) ? in->gid : (gid_t)-1;

        if (fchownat(pfd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) <
            0) {
            return -errno;
        }
    }
    if (v & FATTR_SIZE) {
        rc = set_size(fs, node, f, in);
        if (rc < 0) {
            return rc;
        }
    } else if ((v & FATTR_KILL_SUIDGID) && !(v & FATTR_MODE) &&
               node->type == S_IFREG) {
        rc = pt_kill_suidgid(fs, fd);
        if (rc < 0) {
            return rc;
        }
    }
    if (v & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)) {
        rc = set_times(fd, f != NULL, in);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int pt_op_setattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  const struct fuse_setattr_in *in, struct fuse_attr_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f = NULL;
    struct pt_inode *node;
    struct statx stx;
    int pfd, rc;

    (void)ctx;
    rc = pt_check_writable(fs);
    if (rc < 0) {
        return rc;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    if (in->valid & FATTR_FH) {
        rc = file_of(fs, ino, in->fh, &f);
        if (rc < 0) {
            pt_inode_put(fs, node);
            return rc;
        }
    }
    pfd = pt_inode_fd(fs, node);
    if (pfd < 0) {
        rc = pfd;
        goto out;
    }
    rc = do_setattr(fs, node, f, pfd, in);
    if (rc == 0) {
        rc = pt_statx_fd(pfd, &stx);
    }
    if (rc == 0) {
        fill_attr_out(fs, &stx, out);
    }
    pt_inode_fd_put(node, pfd);
out:
    pt_file_put(fs, f);
    pt_inode_put(fs, node);
    return rc;
}

int pt_op_readlink(void *fsp, const struct fs_ctx *ctx, uint64_t ino, char *buf,
                   size_t size)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    ssize_t n;
    int fd;

    (void)ctx;
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    if (node->type != S_IFLNK) {
        pt_inode_put(fs, node);
        return -EINVAL;
    }
    fd = pt_inode_fd(fs, node);
    if (fd < 0) {
        pt_inode_put(fs, node);
        return fd;
    }
    /* the link's text, for the guest to resolve in its own namespace */
    n = readlinkat(fd, "", buf, size);
    n = n < 0 ? -errno : n;
    pt_inode_fd_put(node, fd);
    pt_inode_put(fs, node);
    if (n > INT32_MAX) {
        return -ENAMETOOLONG;
    }
    return (int)n;
}

int pt_op_access(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                 uint32_t mask)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    struct pt_creds cr;
    int fd, rc;

    if (mask & ~(uint32_t)(R_OK | W_OK | X_OK)) {
        return -EINVAL;
    }
    if ((mask & W_OK) && fs->opts.readonly) {
        return -EROFS;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    fd = pt_inode_fd(fs, node);
    if (fd < 0) {
        pt_inode_put(fs, node);
        return fd;
    }
    rc = pt_creds_enter(ctx, &cr);
    if (rc == 0) {
        rc = faccessat(fd, "", (int)mask,
                       AT_EMPTY_PATH | AT_EACCESS | AT_SYMLINK_NOFOLLOW);
        rc = rc < 0 ? -errno : 0;
        pt_creds_leave(&cr);
    }
    pt_inode_fd_put(node, fd);
    pt_inode_put(fs, node);
    return rc;
}

int pt_op_statfs(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                 struct fuse_kstatfs *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    struct statfs st;
    int fd, rc;

    (void)ctx;
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    fd = pt_inode_fd(fs, node);
    rc = fd < 0 ? fd : (fstatfs(fd, &st) < 0 ? -errno : 0);
    pt_inode_fd_put(node, fd);
    pt_inode_put(fs, node);
    if (rc < 0) {
        return rc;
    }
    out->blocks = st.f_blocks;
    out->bfree = st.f_bfree;
    out->bavail = st.f_bavail;
    out->files = st.f_files;
    out->ffree = st.f_ffree;
    out->bsize = (uint32_t)st.f_bsize;
    out->namelen = (uint32_t)st.f_namelen;
    out->frsize = (uint32_t)st.f_frsize;
    return 0;
}

int pt_op_syncfs(void *fsp, const struct fs_ctx *ctx, uint64_t ino)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    int fd, rc;

    (void)ctx;
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    /* syncfs() wants a real fd: open the inode if it may be opened, else
     * sync the filesystem of the shared directory */
    fd = pt_inode_open(fs, node, O_RDONLY | O_NONBLOCK);
    pt_inode_put(fs, node);
    if (fd == -ENXIO) {
        char name[16];

        snprintf(name, sizeof(name), "%d", fs->root_fd);
        fd = openat(fs->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fd = fd < 0 ? -errno : fd;
    }
    if (fd < 0) {
        return fd;
    }
    rc = syncfs(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}
