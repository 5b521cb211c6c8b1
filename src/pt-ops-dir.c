/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-dir.c - OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and FSYNCDIR.
 *
 * Security model: the fh and the offset come from the guest.  The fh is
 * checked by the file table and must name a directory; the offset is only
 * ever given back to lseek() on that directory (the filesystem refuses
 * what it does not like).  Entries come from getdents64() on the
 * directory's own fd; each record's length is checked against what the
 * kernel returned before it is read.  READDIRPLUS looks each entry up with
 * the same rules as LOOKUP (beneath the directory, never following) and
 * gives the lookup back when the entry does not fit in the reply.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt-int.h"

/* The kernel's record, as getdents64(2) documents it. */
struct dirent64_rec {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

int pt_op_opendir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint32_t flags, struct fuse_open_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    uint64_t fh;
    int fd, rc;

    (void)ctx;
    (void)flags;
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    if (node->type != S_IFDIR) {
        pt_inode_put(fs, node);
        return -ENOTDIR;
    }
    fd = pt_inode_open(fs, node, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    pt_inode_put(fs, node);
    if (fd < 0) {
        return fd;
    }
    rc = pt_file_add(fs, fd, ino, true, &fh);
    if (rc < 0) {
        return rc;
    }
    out->fh = fh;
    out->open_flags = 0;
    if (fs->opts.cache == PT_CACHE_ALWAYS) {
        out->open_flags = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
    }
    return 0;
}

static int dir_of(struct pt_fs *fs, uint64_t ino, uint64_t fh,
                  struct pt_file **f)
{
    *f = pt_file_get(fs, fh);
    if (!*f) {
        return -EBADF;
    }
    if ((*f)->nodeid != ino || !(*f)->is_dir) {
        pt_file_put(fs, *f);
        *f = NULL;
        return -EBADF;
    }
    return 0;
}

static bool is_dot_or_dotdot(const char *name)
{
    return name[0] == '.' &&
           (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * The next record of @f's buffer, refilled from the kernel when empty.
 * Called with f->dir_lock held.  Return: 1 and *@d, 0 at the end, -errno.
 */
static int next_rec(struct pt_file *f, struct dirent64_rec **d)
{
    struct dirent64_rec *r;
    size_t room;

    if (f->dirbuf_pos >= f->dirbuf_len) {
        long n = syscall(SYS_getdents64, f->fd, f->dirbuf, PT_DIRBUF_SIZE);

        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            return 0;
        }
        f->dirbuf_len = (size_t)n;
        f->dirbuf_pos = 0;
    }
    room = f->dirbuf_len - f->dirbuf_pos;
    r = (struct dirent64_rec *)(void *)(f->dirbuf + f->dirbuf_pos);
    if (room < offsetof(struct dirent64_rec, d_name) + 1 ||
        r->d_reclen > room ||
        r->d_reclen < offsetof(struct dirent64_rec, d_name) + 1 ||
        !memchr(r->d_name, '\0',
                r->d_reclen - offsetof(struct dirent64_rec, d_name))) {
        return -EIO;
    }
    *d = r;
    return 1;
}

/* READDIRPLUS: the entry as LOOKUP would give it (one lookup counted). */
static int plus_entry(struct pt_fs *fs, int dirfd, const struct dirent64_rec *d,
                      struct fuse_entry_out *e)
{
    memset(e, 0, sizeof(*e));
    if (is_dot_or_dotdot(d->d_name)) {
        /* no node for these: the guest knows its own tree */
        e->attr.ino = d->d_ino;
        e->attr.mode = (uint32_t)d->d_type << 12;
        return 0;
    }
    return pt_entry_at(fs, dirfd, d->d_name, e);
}

static int do_readdir(struct pt_fs *fs, uint64_t ino, uint64_t fh,
                      uint64_t offset, struct fs_dirbuf *db, bool plus)
{
    struct fuse_entry_out e;
    struct dirent64_rec *d = NULL;
    struct pt_file *f;
    int rc, added = 0;

    if (offset > INT64_MAX) {
        return -EINVAL;
    }
    rc = dir_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&f->dir_lock);
    if (offset != f->dir_off) {
        if (lseek(f->fd, (off_t)offset, SEEK_SET) < 0) {
            rc = -errno;
            goto out;
        }
        f->dirbuf_len = f->dirbuf_pos = 0;
        f->dir_off = offset;
    }
    for (;;) {
        size_t namelen;

        rc = next_rec(f, &d);
        if (rc <= 0) {
            break;
        }
        namelen = strlen(d->d_name);
        if (plus) {
            if (!fs_dirbuf_fits(db, namelen)) {
                rc = 0;
                break;
            }
            rc = plus_entry(fs, f->fd, d, &e);
            if (rc == -ENOENT) {
                /* gone since getdents64: skip it */
                f->dirbuf_pos += d->d_reclen;
                f->dir_off = (uint64_t)d->d_off;
                continue;
            }
            if (rc < 0) {
                break;
            }
        }
        rc = fs_dirbuf_add(db, d->d_name, namelen, d->d_ino, d->d_type,
                           (uint64_t)d->d_off, plus ? &e : NULL);
        if (rc < 0) {
            if (plus && e.nodeid) {
                pt_inode_forget(fs, e.nodeid, 1);
            }
            if (rc == -ENOSPC) {
                rc = 0;
            }
            break;
        }
        added++;
        f->dirbuf_pos += d->d_reclen;
        f->dir_off = (uint64_t)d->d_off;
    }
out:
    pthread_mutex_unlock(&f->dir_lock);
    pt_file_put(fs, f);
    /* once something was added, the guest gets it and the error next time */
    return added ? 0 : rc;
}

int pt_op_readdir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint64_t fh, uint64_t offset, struct fs_dirbuf *db)
{
    (void)ctx;
    return do_readdir(fsp, ino, fh, offset, db, false);
}

int pt_op_readdirplus(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                      uint64_t fh, uint64_t offset, struct fs_dirbuf *db)
{
    struct pt_fs *fs = fsp;

    (void)ctx;
    if (!fs->opts.readdirplus) {
        return -ENOSYS;
    }
    return do_readdir(fs, ino, fh, offset, db, true);
}

int pt_op_releasedir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                     uint64_t fh, uint32_t flags)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc;

    (void)ctx;
    (void)flags;
    rc = dir_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    pt_file_put(fs, f);
    return pt_file_release(fs, fh);
}

int pt_op_fsyncdir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, bool datasync)
{
    struct pt_fs *fs = fsp;
    struct pt_file *f;
    int rc;

    (void)ctx;
    rc = dir_of(fs, ino, fh, &f);
    if (rc < 0) {
        return rc;
    }
    rc = (datasync ? fdatasync(f->fd) : fsync(f->fd)) < 0 ? -errno : 0;
    pt_file_put(fs, f);
    return rc;
}
