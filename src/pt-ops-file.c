/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-file.c - open files: OPEN, CREATE, TMPFILE, READ, WRITE, FLUSH,
 * RELEASE, FSYNC, FALLOCATE, LSEEK and COPY_FILE_RANGE.
 *
 * Security model: open flags come from the guest and are reduced to an
 * allow-list (pt_open_flags()); only regular files and directories are
 * opened (pt_inode_open()).  CREATE never opens an existing special file:
 * it creates with O_EXCL and, when the name exists, goes the OPEN way with
 * its type check.  Offsets above INT64_MAX are refused.  READ and WRITE go
 * straight between the file and the guest's iovecs (one copy) on an fd
 * pinned for the call.
 */
#include <errno.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt-int.h"

static bool wants_write(uint32_t flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int file_of(struct pt_fs *fs, uint64_t ino, uint64_t fh,
                   struct pt_file **f)
{
    *f = pt_file_get(fs, fh);
    if (!*f) {
        return -EBADF;
    }
    if ((*f)->nodeid != ino || (*f)->is_dir) {
        pt_file_put(fs, *f);
        *f = NULL;
        return -EBADF;
    }
    return 0;
}

/* OPEN's work once the inode is pinned; takes nothing. */
static int open_node(struct pt_fs *fs, struct pt_inode *node, uint32_t flags,
                     uint32_t open_flags, struct fuse_open_out *out)
{
    uint64_t fh;
    int fd, rc;

    if (node->type == S_IFDIR && (flags & O_ACCMODE) != O_RDONLY) {
        return -EISDIR;
    }
    fd = pt_inode_open(fs, node, pt_open_flags(fs, flags));
    if (fd < 0) {
        return fd;
    }
    if ((open_flags & FUSE_OPEN_KILL_SUIDGID) && (flags & O_TRUNC)) {
        rc = pt_kill_suidgid(fs, fd);
        if (rc < 0) {
            close(fd);
            return rc;
        }
    }
    rc = pt_file_add(fs, fd, pt_inode_nodeid(node), false, &fh);
    if (rc < 0) {
        return rc;
    }
    out->fh = fh;
    out->open_flags = pt_open_out_flags(fs, node->type == S_IFDIR);
    return 0;
}

int pt_op_open(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
               uint32_t flags, uint32_t open_flags, struct fuse_open_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    int rc;

    (void)ctx;
    if (wants_write(flags) && fs->opts.readonly) {
        return -EROFS;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    rc = open_node(fs, node, flags, open_flags, out);
    pt_inode_put(fs, node);
    return rc;
}

/* Create @name exclusively beneath @pfd, as the caller. */
static int create_excl(struct pt_fs *fs, const struct fs_ctx *ctx, int pfd,
                       const char *name, mode_t mode, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CREAT | O_EXCL | O_NOFOLLOW),
        .resolve =
            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    struct pt_creds cr;
    int fd, rc;

    rc = pt_creds_enter(ctx, &cr);
    if (rc < 0) {
        return rc;
    }
    how.mode = pt_creds_mask_mode(ctx, &cr, mode & 07777);
    if (fs->have_openat2) {
        fd = (int)syscall(SYS_openat2, pfd, name, &how, sizeof(how));
    } else {
        fd = openat(pfd, name, (int)how.flags, (mode_t)how.mode);
    }
    fd = fd < 0 ? -errno : fd;
    pt_creds_leave(&cr);
    return fd;
}

/*
 * A file just made (CREATE, TMPFILE) on @fd: its entry, counted as one
 * lookup, and an open handle for it.  @fd is consumed on every path.
 */
static int add_new_file(struct pt_fs *fs, int fd, struct fuse_entry_out *entry,
                        struct fuse_open_out *out)
{
    uint64_t fh;
    int rc;

    rc = pt_entry_of_fd(fs, fd, entry);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    rc = pt_file_add(fs, fd, entry->nodeid, false, &fh);
    if (rc < 0) {
        pt_inode_forget(fs, entry->nodeid, 1);
        return rc;
    }
    out->fh = fh;
    out->open_flags = pt_open_out_flags(fs, false);
    return 0;
}

int pt_op_create(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, mode_t mode, uint32_t flags,
                 uint32_t open_flags, struct fuse_entry_out *entry,
                 struct fuse_open_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *dir, *node;
    int pfd, fd, rc;

    rc = pt_check_writable(fs);
    if (rc == 0) {
        rc = pt_check_name(name);
    }
    if (rc < 0) {
        return rc;
    }
    rc = pt_dir_get(fs, parent, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    fd = create_excl(fs, ctx, pfd, name, mode,
                     pt_open_flags(fs, flags) & ~O_TRUNC);
    if (fd == -EEXIST && !(flags & O_EXCL)) {
        /* an existing name: OPEN it, with OPEN's type check */
        rc = pt_entry_at(fs, pfd, name, entry);
        if (rc == 0) {
            node = pt_inode_get(fs, entry->nodeid);
            rc = node ? open_node(fs, node, flags, open_flags, out) : -ENOENT;
            pt_inode_put(fs, node);
            if (rc < 0) {
                pt_inode_forget(fs, entry->nodeid, 1);
            }
        }
        goto out;
    }
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = add_new_file(fs, fd, entry, out);
out:
    pt_dir_put(fs, dir, pfd);
    return rc;
}

int pt_op_tmpfile(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                  mode_t mode, uint32_t flags, uint32_t open_flags,
                  struct fuse_entry_out *entry, struct fuse_open_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *dir;
    struct pt_creds cr;
    int pfd, fd, rc, oflags;

    (void)open_flags;
    rc = pt_check_writable(fs);
    if (rc < 0) {
        return rc;
    }
    oflags = pt_open_flags(fs, flags) & ~(O_TRUNC | O_APPEND | O_DIRECTORY);
    if ((oflags & O_ACCMODE) == O_RDONLY) {
        oflags |= O_RDWR; /* O_TMPFILE wants write access */
    }
    rc = pt_dir_get(fs, parent, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    rc = pt_creds_enter(ctx, &cr);
    if (rc < 0) {
        goto out;
    }
    fd = openat(pfd, ".", oflags | O_TMPFILE,
                pt_creds_mask_mode(ctx, &cr, mode & 07777));
    fd = fd < 0 ? -errno : fd;
    pt_creds_leave(&cr);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = add_new_file(fs, fd, entry, out);
out:
    pt_dir_put(fs, dir, pfd);
    return rc;
}

/* preadv() or pwritev() at @offset, again on EINTR: bytes or -errno. */
static ssize_t rw_iov(int fd, const struct iovec *iov, int iovcnt,
                      uint64_t offset, bool to_file)
{
    ssize_t n;

    do {
        n = to_file ? pwritev(fd, iov, iovcnt, (off_t)offset)
                    : preadv(fd, iov, iovcnt, (off_t)offset);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

/*
 * READ or WRITE with a buffer partly beyond the daemon's reach (struct
 * fs_window_io): runs of reachable iovecs go through rw_iov(), each
 * unreachable one through win->io (the VMM), in order, until all is
 * moved or a piece comes up short.  Returns the bytes moved, or -errno
 * when nothing was.
 */
static ssize_t rw_window(int fd, const struct iovec *iov, int iovcnt,
                         uint64_t offset, const struct fs_window_io *win,
                         bool to_file)
{
    uint64_t done = 0;
    int i = 0;

    while (i < iovcnt) {
        uint64_t want = 0;
        ssize_t n;
        int j = i;

        if (!iov[i].iov_base) {
            want = iov[i].iov_len;
            n = win->io(win->opaque, fd, offset + done, win->gpa[i], want,
                        to_file);
            j = i + 1;
        } else {
            while (j < iovcnt && iov[j].iov_base) {
                want += iov[j++].iov_len;
            }
            n = rw_iov(fd, iov + i, j - i, offset + done, to_file);
        }
        if (n < 0) {
            return done ? (ssize_t)done : n;
        }
        done += (uint64_t)n;
        if ((uint64_t)n != want) {
            break; /* end of file, or a short write */
        }
        i = j;
    }
    return (ssize_t)done;
}

/* The data of a READ or WRITE, with or without pieces out of reach. */
static ssize_t rw_data(int fd, const struct fs_ctx *ctx,
                       const struct iovec *iov, int iovcnt, uint64_t offset,
                       bool to_file)
{
    return ctx->win ? rw_window(fd, iov, iovcnt, offset, ctx->win, to_file)
                    : rw_iov(fd, iov, iovcnt, offset, to_file);
}

ssize_t pt_op_read(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, uint64_t offset, const struct iovec *iov,
                   int iovcnt)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    ssize_t n;
    int rc;

    if (offset > INT64_MAX) {
        return -EINVAL;
    }
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    n = rw_data(f->fd, ctx, iov, iovcnt, offset, false);
    pt_file_put(fs, f);
    return n;
}

ssize_t pt_op_write(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, const struct iovec *iov,
                    int iovcnt, uint32_t write_flags)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    ssize_t n;
    int rc;

    if (offset > INT64_MAX) {
        return -EFBIG;
    }
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    if (write_flags & FUSE_WRITE_KILL_SUIDGID) {
        /* the daemon's CAP_FSETID must not keep the bits for the guest */
        rc = pt_kill_suidgid(fs, f->fd);
        if (rc < 0) {
            pt_file_put(fs, f);
            return rc;
        }
    }
    n = rw_data(f->fd, ctx, iov, iovcnt, offset, true);
    pt_file_put(fs, f);
    return n;
}

int pt_op_flush(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t lock_owner)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc, fd;

    (void)ctx;
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    /* a close() in the guest drops the owner's POSIX locks on the inode */
    pt_plock_drop(fs, ino, lock_owner);
    /* and lets the host filesystem do what it does on close (NFS...) */
    fd = dup(f->fd);
    rc = fd < 0 ? -errno : (close(fd) < 0 ? -errno : 0);
    pt_file_put(fs, f);
    return rc;
}

int pt_op_release(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint64_t fh, uint32_t flags, uint32_t release_flags,
                  uint64_t lock_owner)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc;

    (void)ctx;
    (void)flags;
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    if (release_flags & FUSE_RELEASE_FLOCK_UNLOCK) {
        (void)flock(f->fd, LOCK_UN);
    }
    if (release_flags & FUSE_RELEASE_FLUSH) {
        pt_plock_drop(fs, ino, lock_owner);
    }
    pt_file_put(fs, f);
    return pt_file_release(fs, fh);
}

int pt_op_fsync(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                bool datasync)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc;

    (void)ctx;
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    /* What the guest wrote through the DAX window goes first. */
    rc = pt_dax_sync_inode(fs, ino);
    if (rc == 0) {
        rc = (datasync ? fdatasync(f->fd) : fsync(f->fd)) < 0 ? -errno : 0;
    }
    pt_file_put(fs, f);
    return rc;
}

int pt_op_fallocate(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, uint64_t length,
                    uint32_t mode)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc;

    (void)ctx;
    if (offset > INT64_MAX || length > INT64_MAX) {
        return -EINVAL;
    }
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    rc = fallocate(f->fd, (int)mode, (off_t)offset, (off_t)length) < 0 ? -errno
                                                                       : 0;
    pt_file_put(fs, f);
    return rc;
}

int pt_op_lseek(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t offset, uint32_t whence, uint64_t *out)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    off_t r;
    int rc;

    (void)ctx;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END &&
        whence != SEEK_DATA && whence != SEEK_HOLE) {
        return -EINVAL;
    }
    if (offset > INT64_MAX) {
        return -EINVAL;
    }
    rc = file_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    r = lseek(f->fd, (off_t)offset, (int)whence);
    rc = r < 0 ? -errno : 0;
    if (rc == 0) {
        *out = (uint64_t)r;
    }
    pt_file_put(fs, f);
    return rc;
}

ssize_t pt_op_copy_file_range(void *fsp, const struct fs_ctx *ctx,
                              uint64_t ino_in, uint64_t fh_in, uint64_t off_in,
                              uint64_t ino_out, uint64_t fh_out,
                              uint64_t off_out, uint64_t len, uint64_t flags)
{
    struct pt_fs *fs = fsp;
    struct pt_file *fin, *fout;
    loff_t oin = (loff_t)off_in, oout = (loff_t)off_out;
    ssize_t n;
    int rc;

    (void)ctx;
    if (off_in > INT64_MAX || off_out > INT64_MAX || flags != 0) {
        return -EINVAL;
    }
    if (len > SSIZE_MAX) {
        len = SSIZE_MAX;
    }
    rc = file_of(fs, ino_in, fh_in, &fin);
    if (rc < 0) {
        return rc;
    }
    rc = file_of(fs, ino_out, fh_out, &fout);
    if (rc < 0) {
        pt_file_put(fs, fin);
        return rc;
    }
    n = copy_file_range(fin->fd, &oin, fout->fd, &oout, (size_t)len, 0);
    n = n < 0 ? -errno : n;
    pt_file_put(fs, fout);
    pt_file_put(fs, fin);
    return n;
}
