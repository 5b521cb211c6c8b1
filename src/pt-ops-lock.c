/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-lock.c - GETLK, SETLK, SETLKW: POSIX record locks and flock().
 *
 * POSIX locks belong to a lock owner (a guest process's files table) and
 * go when that owner closes any fd of the file; open file description (OFD)
 * locks belong to an open file description.  So each owner gets its own
 * description of the inode, opened on first use, and its locks are OFD
 * locks on it: owners conflict with each other as processes do, and FLUSH
 * (a close in the guest) drops the owner's description and with it its
 * locks.  flock() locks belong to an open file: they are taken on the fd of
 * the guest's open file itself.
 *
 * Security model: ranges, types and owners come from the guest.  Types
 * other than F_RDLCK/F_WRLCK/F_UNLCK, starts above INT64_MAX and ends
 * before starts are refused; the owner is only a key.  A blocking SETLKW
 * runs on a dup of the owner's fd, so a racing FLUSH can close the owner's
 * fd without the sleeper ever touching a recycled fd number.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "pt-int.h"

/* fuse_file_lock.end of a lock to the end of the file */
#define LOCK_END_MAX ((uint64_t)INT64_MAX)

static int to_flock(const struct fuse_file_lock *lk, struct flock *fl)
{
    if (lk->type != F_RDLCK && lk->type != F_WRLCK && lk->type != F_UNLCK) {
        return -EINVAL;
    }
    if (lk->start > INT64_MAX || lk->end < lk->start) {
        return -EINVAL;
    }
    fl->l_type = (short)lk->type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)lk->start;
    fl->l_len = lk->end >= LOCK_END_MAX ? 0 : (off_t)(lk->end - lk->start + 1);
    fl->l_pid = 0; /* OFD locks want 0 */
    return 0;
}

static void from_flock(const struct flock *fl, struct fuse_file_lock *out)
{
    out->type = (uint32_t)fl->l_type;
    if (fl->l_type == F_UNLCK) {
        return;
    }
    out->start = (uint64_t)fl->l_start;
    out->end =
        fl->l_len == 0 ? LOCK_END_MAX : (uint64_t)(fl->l_start + fl->l_len - 1);
    out->pid = 0; /* the holder is another guest process or the host */
}

/*
 * A dup of @owner's own fd on @node, opened on first use.  Close it after.
 */
static int owner_fd(struct pt_fs *fs, struct pt_inode *node, uint64_t owner)
{
    struct pt_plock *p;
    int fd, dupfd;

    pt_inode_plock_lock(fs, node);
    for (p = node->plocks; p; p = p->next) {
        if (p->owner == owner) {
            break;
        }
    }
    if (!p) {
        fd = pt_inode_open(fs, node, O_RDWR | O_NONBLOCK);
        if (fd == -EACCES || fd == -EROFS || fd == -ETXTBSY) {
            fd = pt_inode_open(fs, node, O_RDONLY | O_NONBLOCK);
        }
        if (fd < 0) {
            pt_inode_plock_unlock(fs, node);
            return fd;
        }
        p = malloc(sizeof(*p));
        if (!p) {
            close(fd);
            pt_inode_plock_unlock(fs, node);
            return -ENOMEM;
        }
        p->owner = owner;
        p->fd = fd;
        p->next = node->plocks;
        node->plocks = p;
    }
    dupfd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
    dupfd = dupfd < 0 ? -errno : dupfd;
    pt_inode_plock_unlock(fs, node);
    return dupfd;
}

void pt_plock_drop(struct pt_fs *fs, uint64_t ino, uint64_t owner)
{
    struct pt_plock **pp, *p = NULL;
    struct pt_inode *node;

    node = pt_inode_get(fs, ino);
    if (!node) {
        return;
    }
    pt_inode_plock_lock(fs, node);
    for (pp = &node->plocks; *pp; pp = &(*pp)->next) {
        if ((*pp)->owner == owner) {
            p = *pp;
            *pp = p->next;
            break;
        }
    }
    pt_inode_plock_unlock(fs, node);
    pt_inode_put(fs, node);
    if (p) {
        close(p->fd);
        free(p);
    }
}

int pt_op_getlk(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t owner, const struct fuse_file_lock *lk,
                struct fuse_file_lock *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    struct flock fl;
    int fd, rc;

    (void)ctx;
    (void)fh;
    if (!fs->opts.posix_locks) {
        return -ENOSYS;
    }
    rc = to_flock(lk, &fl);
    if (rc < 0) {
        return rc;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    fd = owner_fd(fs, node, owner);
    pt_inode_put(fs, node);
    if (fd < 0) {
        return fd;
    }
    rc = fcntl(fd, F_OFD_GETLK, &fl) < 0 ? -errno : 0;
    close(fd);
    if (rc == 0) {
        from_flock(&fl, out);
    }
    return rc;
}

static int do_flock(struct pt_fs *fs, uint64_t ino, uint64_t fh,
                    const struct fuse_file_lock *lk, bool sleep)
{
    struct pt_file *f;
    int op, rc;

    if (!fs->opts.flock) {
        return -ENOSYS;
    }
    switch (lk->type) {
    case F_RDLCK:
        op = LOCK_SH;
        break;
    case F_WRLCK:
        op = LOCK_EX;
        break;
    case F_UNLCK:
        op = LOCK_UN;
        break;
    default:
        return -EINVAL;
    }
    if (!sleep) {
        op |= LOCK_NB;
    }
    f = pt_file_get(fs, fh);
    if (!f || f->nodeid != ino) {
        pt_file_put(fs, f);
        return -EBADF;
    }
    rc = flock(f->fd, op) < 0 ? -errno : 0;
    pt_file_put(fs, f);
    return rc;
}

int pt_op_setlk(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t owner, const struct fuse_file_lock *lk,
                uint32_t lk_flags, bool sleep)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node;
    struct flock fl;
    int fd, rc;

    (void)ctx;
    if (lk_flags & FUSE_LK_FLOCK) {
        return do_flock(fs, ino, fh, lk, sleep);
    }
    if (!fs->opts.posix_locks) {
        return -ENOSYS;
    }
    rc = to_flock(lk, &fl);
    if (rc < 0) {
        return rc;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    fd = owner_fd(fs, node, owner);
    pt_inode_put(fs, node);
    if (fd < 0) {
        return fd;
    }
    rc = fcntl(fd, sleep ? F_OFD_SETLKW : F_OFD_SETLK, &fl) < 0 ? -errno : 0;
    close(fd);
    return rc;
}
