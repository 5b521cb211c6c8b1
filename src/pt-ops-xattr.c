/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-xattr.c - SETXATTR, GETXATTR, LISTXATTR and REMOVEXATTR
 * (--xattr; -ENOSYS without it, and the guest stops asking).
 *
 * Security model: names and values come from the guest; the host checks
 * them (namespaces, sizes) as it would for a local caller.  The inode is
 * the one the table holds: regular files and directories through an fd
 * opened on it, other types (symlinks, special files: never opened)
 * through this process's /proc/self/fd entry for the O_PATH fd, whose
 * magic link ends on the inode itself and is not followed further.
 *
 * The daemon acts as root here: trusted.* and security.* attributes are the
 * guest's to set as the host's root would.  A deployment that must keep
 * them apart needs an attribute mapping, which this filesystem does not do.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "pt-int.h"

enum xop { XGET, XSET, XLIST, XREMOVE };

struct xargs {
    enum xop op;
    const char *name;
    void *buf;         /* XGET / XLIST */
    const void *value; /* XSET */
    size_t size;
    int flags;
};

static ssize_t xattr_fd(int fd, const struct xargs *a)
{
    switch (a->op) {
    case XGET:
        return fgetxattr(fd, a->name, a->buf, a->size);
    case XSET:
        return fsetxattr(fd, a->name, a->value, a->size, a->flags);
    case XLIST:
        return flistxattr(fd, a->buf, a->size);
    case XREMOVE:
    default:
        return fremovexattr(fd, a->name);
    }
}

static ssize_t xattr_path(const char *path, const struct xargs *a)
{
    switch (a->op) {
    case XGET:
        return getxattr(path, a->name, a->buf, a->size);
    case XSET:
        return setxattr(path, a->name, a->value, a->size, a->flags);
    case XLIST:
        return listxattr(path, a->buf, a->size);
    case XREMOVE:
    default:
        return removexattr(path, a->name);
    }
}

static ssize_t do_xattr(struct pt_fs *fs, uint64_t ino, const struct xargs *a)
{
    struct pt_inode *node;
    char path[64];
    ssize_t n;
    int fd;

    if (!fs->opts.xattr) {
        return -ENOSYS;
    }
    if ((a->op == XSET || a->op == XREMOVE) && fs->opts.readonly) {
        return -EROFS;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    if (node->type == S_IFREG || node->type == S_IFDIR) {
        fd = pt_inode_open(fs, node, O_RDONLY | O_NONBLOCK);
        if (fd < 0) {
            pt_inode_put(fs, node);
            return fd;
        }
        n = xattr_fd(fd, a);
        n = n < 0 ? -errno : n;
        close(fd);
    } else {
        fd = pt_inode_fd(fs, node);
        if (fd < 0) {
            pt_inode_put(fs, node);
            return fd;
        }
        /*
         * Following the magic link /proc/self/fd/N ends on the inode the
         * O_PATH fd holds, a symlink included: it is not followed again.
         */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = xattr_path(path, a);
        n = n < 0 ? -errno : n;
        pt_inode_fd_put(node, fd);
    }
    pt_inode_put(fs, node);
    return n;
}

static int to_int(ssize_t n)
{
    return n > INT32_MAX ? -E2BIG : (int)n;
}

int pt_op_setxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   const char *name, const void *value, size_t size,
                   uint32_t flags, uint32_t setxattr_flags)
{
    struct xargs a = {.op = XSET, .name = name, .value = value, .size = size};

    (void)ctx;
    (void)setxattr_flags; /* FUSE_POSIX_ACL is not offered: no ACL kill */
    if (flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE)) {
        return -EINVAL;
    }
    a.flags = (int)flags;
    return to_int(do_xattr(fsp, ino, &a));
}

int pt_op_getxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   const char *name, void *buf, size_t size)
{
    struct xargs a = {.op = XGET, .name = name, .buf = buf, .size = size};

    (void)ctx;
    return to_int(do_xattr(fsp, ino, &a));
}

int pt_op_listxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    char *buf, size_t size)
{
    struct xargs a = {.op = XLIST, .buf = buf, .size = size};

    (void)ctx;
    return to_int(do_xattr(fsp, ino, &a));
}

int pt_op_removexattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                      const char *name)
{
    struct xargs a = {.op = XREMOVE, .name = name};

    (void)ctx;
    return to_int(do_xattr(fsp, ino, &a));
}
