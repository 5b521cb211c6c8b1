/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-ops-name.c - the ops that make or remove names: SYMLINK, MKNOD,
 * MKDIR, UNLINK, RMDIR, RENAME/RENAME2 and LINK.
 *
 * Security model: every name is one checked component (pt_check_name())
 * under a directory the guest holds, through *at() calls on that
 * directory's fd; nothing the guest sends is used as a path.  New nodes are
 * made with the caller's uid, gid and umask (pt-creds.c).  Device nodes
 * and FIFOs may be created (that is the guest's business) but are never
 * opened by the daemon.  LINK and RENAME name both ends by node ids the
 * table holds, so neither can take an inode out of the share nor bring an
 * outside one in.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pt-int.h"

/* Checks shared by every op that makes a name in @parent. */
static int begin(struct pt_fs *fs, uint64_t parent, const char *name,
                 struct pt_inode **dir, int *pfd)
{
    int rc = pt_check_writable(fs);

    if (rc == 0) {
        rc = pt_check_name(name);
    }
    if (rc == 0) {
        rc = pt_dir_get(fs, parent, dir, pfd);
    }
    return rc;
}

/* What the four creating ops share: @make runs as the caller. */
enum make_kind { MAKE_DIR, MAKE_NOD, MAKE_SYMLINK };

static int make_node(struct pt_fs *fs, const struct fs_ctx *ctx,
                     uint64_t parent, const char *name, enum make_kind kind,
                     mode_t mode, dev_t rdev, const char *target,
                     struct fuse_entry_out *out)
{
    struct pt_inode *dir;
    struct pt_creds cr;
    int pfd, rc;

    rc = begin(fs, parent, name, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    rc = pt_creds_enter(ctx, &cr);
    if (rc < 0) {
        goto out;
    }
    switch (kind) {
    case MAKE_DIR:
        rc = mkdirat(pfd, name, pt_creds_mask_mode(ctx, &cr, mode & 07777));
        break;
    case MAKE_NOD:
        rc = mknodat(
            pfd, name,
            (mode & S_IFMT) | pt_creds_mask_mode(ctx, &cr, mode & 07777), rdev);
        break;
    case MAKE_SYMLINK:
    default:
        rc = symlinkat(target, pfd, name);
        break;
    }
    rc = rc < 0 ? -errno : 0;
    pt_creds_leave(&cr);
    if (rc == 0) {
        rc = pt_entry_at(fs, pfd, name, out);
    }
out:
    pt_dir_put(fs, dir, pfd);
    return rc;
}

int pt_op_mkdir(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name, mode_t mode, struct fuse_entry_out *out)
{
    return make_node(fsp, ctx, parent, name, MAKE_DIR, mode, 0, NULL, out);
}

int pt_op_mknod(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name, mode_t mode, dev_t rdev,
                struct fuse_entry_out *out)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
    case S_IFCHR:
    case S_IFBLK:
        break;
    default:
        return -EINVAL;
    }
    return make_node(fsp, ctx, parent, name, MAKE_NOD, mode, rdev, NULL, out);
}

int pt_op_symlink(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name, const char *target,
                  struct fuse_entry_out *out)
{
    if (!target || !target[0]) {
        return -ENOENT;
    }
    if (strnlen(target, PATH_MAX) >= PATH_MAX) {
        return -ENAMETOOLONG;
    }
    return make_node(fsp, ctx, parent, name, MAKE_SYMLINK, 0, 0, target, out);
}

static int remove_name(struct pt_fs *fs, uint64_t parent, const char *name,
                       int flags)
{
    struct pt_inode *dir;
    int pfd, rc;

    rc = begin(fs, parent, name, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    rc = unlinkat(pfd, name, flags) < 0 ? -errno : 0;
    pt_dir_put(fs, dir, pfd);
    return rc;
}

int pt_op_unlink(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name)
{
    (void)ctx;
    return remove_name(fsp, parent, name, 0);
}

int pt_op_rmdir(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name)
{
    (void)ctx;
    return remove_name(fsp, parent, name, AT_REMOVEDIR);
}

int pt_op_rename(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, uint64_t newparent, const char *newname,
                 uint32_t flags)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *dir, *newdir;
    int pfd, npfd, rc;

    (void)ctx;
    if (flags &
        ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) {
        return -EINVAL;
    }
    rc = pt_check_name(newname);
    if (rc < 0) {
        return rc;
    }
    rc = begin(fs, parent, name, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    rc = pt_dir_get(fs, newparent, &newdir, &npfd);
    if (rc == 0) {
        rc = renameat2(pfd, name, npfd, newname, flags) < 0 ? -errno : 0;
        pt_dir_put(fs, newdir, npfd);
    }
    pt_dir_put(fs, dir, pfd);
    return rc;
}

int pt_op_link(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
               uint64_t newparent, const char *newname,
               struct fuse_entry_out *out)
{
    struct pt_fs *fs = fsp;
    struct pt_inode *node, *dir;
    char name[16];
    int fd, pfd, rc;

    (void)ctx;
    rc = begin(fs, newparent, newname, &dir, &pfd);
    if (rc < 0) {
        return rc;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        pt_dir_put(fs, dir, pfd);
        return -ENOENT;
    }
    if (node->type == S_IFDIR) {
        rc = -EPERM;
        goto out;
    }
    fd = pt_inode_fd(fs, node);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = linkat(fd, "", pfd, newname, AT_EMPTY_PATH);
    if (rc < 0 && (errno == ENOENT || errno == EPERM)) {
        /*
         * AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH; our own /proc/self/fd
         * entry for the inode we hold does the same without it.
         */
        snprintf(name, sizeof(name), "%d", fd);
        rc = linkat(fs->proc_fd, name, pfd, newname, AT_SYMLINK_FOLLOW);
    }
    rc = rc < 0 ? -errno : 0;
    pt_inode_fd_put(node, fd);
    if (rc == 0) {
        rc = pt_entry_at(fs, pfd, newname, out);
    }
out:
    pt_inode_put(fs, node);
    pt_dir_put(fs, dir, pfd);
    return rc;
}
