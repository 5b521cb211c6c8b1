/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-harness.c - an in-memory filesystem behind struct fs_ops and
 * helpers to run FUSE requests through the server (fsrv-harness.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsrv-harness.h"

#define F(fs) ((struct fake_fs *)(fs))

static void note(struct fake_fs *f, const char *op, const struct fs_ctx *ctx,
                 uint64_t ino)
{
    memset(&f->last, 0, sizeof(f->last));
    f->last.op = op;
    f->last.ino = ino;
    if (ctx) {
        f->last.uid = ctx->uid;
        f->last.gid = ctx->gid;
        f->last.pid = (uint32_t)ctx->pid;
        f->last.umask = ctx->umask;
    }
    f->ncalls++;
}

static struct fake_node *node(struct fake_fs *f, uint64_t ino)
{
    if (ino == 0 || ino >= FAKE_NODES || !f->node[ino].used) {
        return NULL;
    }
    return &f->node[ino];
}

static int check_fh(uint64_t ino, uint64_t fh)
{
    return fh == FAKE_FH_BASE + ino ? 0 : -EBADF;
}

static void fill_attr(struct fake_fs *f, uint64_t ino, struct fuse_attr *a)
{
    struct fake_node *n = &f->node[ino];

    a->ino = ino;
    a->size = n->size;
    a->mode = n->mode;
    a->nlink = 1;
    a->blksize = 4096;
}

static int entry(struct fake_fs *f, uint64_t ino, struct fuse_entry_out *e)
{
    e->nodeid = ino;
    e->generation = 1;
    e->entry_valid = 1;
    e->attr_valid = 1;
    fill_attr(f, ino, &e->attr);
    f->node[ino].nlookup++;
    return 0;
}

static uint64_t find(struct fake_fs *f, uint64_t parent, const char *name)
{
    for (uint64_t i = 2; i < FAKE_NODES; i++) {
        if (f->node[i].used && f->node[i].parent == parent &&
            !strcmp(f->node[i].name, name)) {
            return i;
        }
    }
    return 0;
}

static int add_node(struct fake_fs *f, uint64_t parent, const char *name,
                    uint32_t mode)
{
    if (!node(f, parent)) {
        return -ENOENT;
    }
    if (find(f, parent, name)) {
        return -EEXIST;
    }
    for (uint64_t i = 2; i < FAKE_NODES; i++) {
        if (!f->node[i].used) {
            memset(&f->node[i], 0, sizeof(f->node[i]));
            f->node[i].used = true;
            f->node[i].parent = parent;
            snprintf(f->node[i].name, sizeof(f->node[i].name), "%s", name);
            f->node[i].mode = mode;
            return (int)i;
        }
    }
    return -ENOSPC;
}

void fake_init(struct fake_fs *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->intr_fd = -1;
    f->node[FAKE_ROOT].used = true;
    f->node[FAKE_ROOT].mode = S_IFDIR | 0755;
    add_node(f, FAKE_ROOT, "file", S_IFREG | 0644);
    add_node(f, FAKE_ROOT, "dir", S_IFDIR | 0755);
    add_node(f, FAKE_ROOT, "link", S_IFLNK | 0777);
    strcpy(f->node[FAKE_LINK].target, "file");
    for (size_t i = 0; i < FAKE_DATA; i++) {
        f->node[FAKE_FILE].data[i] = (char)('a' + i % 26);
    }
    f->node[FAKE_FILE].size = FAKE_DATA;
}

void fake_release_lock(struct fake_fs *f)
{
    pthread_mutex_lock(&f->mu);
    f->contended = false;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static int fk_init(void *fs, struct fs_init *in)
{
    F(fs)->ninit++;
    F(fs)->init_want = in->want;
    in->want &= ~F(fs)->init_clear;
    return 0;
}

static void fk_destroy(void *fs)
{
    F(fs)->ndestroy++;
}

static int fk_lookup(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                     const char *name, struct fuse_entry_out *out)
{
    struct fake_fs *f = fs;
    uint64_t ino;

    note(f, "lookup", ctx, parent);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    if (!node(f, parent)) {
        return -ENOENT;
    }
    ino = find(f, parent, name);
    return ino ? entry(f, ino, out) : -ENOENT;
}

static void fk_forget(void *fs, uint64_t ino, uint64_t nlookup)
{
    struct fake_fs *f = fs;

    note(f, "forget", NULL, ino);
    f->nforget++;
    f->forgotten += nlookup;
}

static int fk_getattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      const uint64_t *fh, struct fuse_attr_out *out)
{
    struct fake_fs *f = fs;

    note(f, "getattr", ctx, ino);
    f->last.has_fh = fh != NULL;
    f->last.fh = fh ? *fh : 0;
    if (!node(f, ino)) {
        return -ENOENT;
    }
    if (fh && check_fh(ino, *fh)) {
        return -EBADF;
    }
    out->attr_valid = 1;
    fill_attr(f, ino, &out->attr);
    return 0;
}

static int fk_setattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      const struct fuse_setattr_in *in,
                      struct fuse_attr_out *out)
{
    struct fake_fs *f = fs;

    note(f, "setattr", ctx, ino);
    f->last.flags = in->valid;
    f->last.fh = in->fh;
    if (!node(f, ino)) {
        return -ENOENT;
    }
    if ((in->valid & FATTR_FH) && check_fh(ino, in->fh)) {
        return -EBADF;
    }
    if (in->valid & FATTR_SIZE) {
        if (in->size > FAKE_DATA) {
            return -EFBIG;
        }
        f->node[ino].size = in->size;
    }
    if (in->valid & FATTR_MODE) {
        f->node[ino].mode = (f->node[ino].mode & S_IFMT) | (in->mode & 07777);
    }
    if (in->valid & FATTR_KILL_SUIDGID) {
        f->node[ino].mode &= ~(uint32_t)(S_ISUID | S_ISGID);
    }
    fill_attr(f, ino, &out->attr);
    return 0;
}

static int fk_readlink(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       char *buf, size_t size)
{
    struct fake_fs *f = fs;
    size_t len;

    note(f, "readlink", ctx, ino);
    if (!node(f, ino)) {
        return -ENOENT;
    }
    if (!S_ISLNK(f->node[ino].mode)) {
        return -EINVAL;
    }
    len = strlen(f->node[ino].target);
    if (len > size) {
        len = size;
    }
    memcpy(buf, f->node[ino].target, len);
    return (int)len;
}

static int fk_symlink(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                      const char *name, const char *target,
                      struct fuse_entry_out *out)
{
    struct fake_fs *f = fs;
    int ino;

    note(f, "symlink", ctx, parent);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    snprintf(f->last.name2, sizeof(f->last.name2), "%s", target);
    ino = add_node(f, parent, name, S_IFLNK | 0777);
    if (ino < 0) {
        return ino;
    }
    snprintf(f->node[ino].target, sizeof(f->node[ino].target), "%s", target);
    return entry(f, (uint64_t)ino, out);
}

static int make(struct fake_fs *f, const char *op, const struct fs_ctx *ctx,
                uint64_t parent, const char *name, uint32_t mode,
                struct fuse_entry_out *out)
{
    int ino;

    note(f, op, ctx, parent);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    f->last.mode = mode;
    ino = add_node(f, parent, name, mode & ~ctx->umask);
    return ino < 0 ? ino : entry(f, (uint64_t)ino, out);
}

static int fk_mknod(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                    const char *name, mode_t mode, dev_t rdev,
                    struct fuse_entry_out *out)
{
    int rc = make(fs, "mknod", ctx, parent, name, mode, out);

    F(fs)->last.flags = (uint32_t)rdev;
    return rc;
}

static int fk_mkdir(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                    const char *name, mode_t mode, struct fuse_entry_out *out)
{
    return make(fs, "mkdir", ctx, parent, name, S_IFDIR | mode, out);
}

static int remove_name(struct fake_fs *f, const char *op,
                       const struct fs_ctx *ctx, uint64_t parent,
                       const char *name)
{
    uint64_t ino;

    note(f, op, ctx, parent);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    ino = node(f, parent) ? find(f, parent, name) : 0;
    if (!ino) {
        return -ENOENT;
    }
    f->node[ino].used = false;
    return 0;
}

static int fk_unlink(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                     const char *name)
{
    return remove_name(fs, "unlink", ctx, parent, name);
}

static int fk_rmdir(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                    const char *name)
{
    return remove_name(fs, "rmdir", ctx, parent, name);
}

static int fk_rename(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                     const char *name, uint64_t newparent, const char *newname,
                     uint32_t flags)
{
    struct fake_fs *f = fs;
    uint64_t ino;

    note(f, "rename", ctx, parent);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    snprintf(f->last.name2, sizeof(f->last.name2), "%s", newname);
    f->last.ino2 = newparent;
    f->last.flags = flags;
    ino = node(f, parent) ? find(f, parent, name) : 0;
    if (!ino || !node(f, newparent)) {
        return -ENOENT;
    }
    f->node[ino].parent = newparent;
    snprintf(f->node[ino].name, sizeof(f->node[ino].name), "%s", newname);
    return 0;
}

static int fk_link(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t newparent, const char *newname,
                   struct fuse_entry_out *out)
{
    struct fake_fs *f = fs;

    note(f, "link", ctx, ino);
    f->last.ino2 = newparent;
    snprintf(f->last.name, sizeof(f->last.name), "%s", newname);
    if (!node(f, ino) || !node(f, newparent)) {
        return -ENOENT;
    }
    return entry(f, ino, out);
}

static int fk_open(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint32_t flags, uint32_t open_flags,
                   struct fuse_open_out *out)
{
    struct fake_fs *f = fs;

    note(f, "open", ctx, ino);
    f->last.flags = flags;
    f->last.flags2 = open_flags;
    if (!node(f, ino)) {
        return -ENOENT;
    }
    out->fh = FAKE_FH_BASE + ino;
    out->open_flags = FOPEN_KEEP_CACHE;
    return 0;
}

static int fk_create(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                     const char *name, mode_t mode, uint32_t flags,
                     uint32_t open_flags, struct fuse_entry_out *e,
                     struct fuse_open_out *out)
{
    struct fake_fs *f = fs;
    int rc = make(f, "create", ctx, parent, name, S_IFREG | mode, e);

    f->last.flags = flags;
    f->last.flags2 = open_flags;
    if (rc == 0) {
        out->fh = FAKE_FH_BASE + e->nodeid;
    }
    return rc;
}

static int fk_tmpfile(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                      mode_t mode, uint32_t flags, uint32_t open_flags,
                      struct fuse_entry_out *e, struct fuse_open_out *out)
{
    struct fake_fs *f = fs;
    int rc = make(f, "tmpfile", ctx, parent, "#tmp", S_IFREG | mode, e);

    f->last.flags = flags;
    f->last.flags2 = open_flags;
    if (rc == 0) {
        out->fh = FAKE_FH_BASE + e->nodeid;
    }
    return rc;
}

/* iovec @i is beyond the daemon's reach: the window's io moves it. */
static ssize_t far_io(const struct fs_ctx *ctx, int i, uint64_t offset,
                      size_t len, bool to_file)
{
    if (!ctx->win) {
        return -EFAULT;
    }
    return ctx->win->io(ctx->win->opaque, -1, offset, ctx->win->gpa[i], len,
                        to_file);
}

static ssize_t fk_read(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       uint64_t fh, uint64_t offset, const struct iovec *iov,
                       int iovcnt)
{
    struct fake_fs *f = fs;
    struct fake_node *n;
    size_t done = 0;

    note(f, "read", ctx, ino);
    f->last.fh = fh;
    f->last.off = offset;
    f->last.iovcnt = iovcnt;
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    if (check_fh(ino, fh)) {
        return -EBADF;
    }
    for (int i = 0; i < iovcnt; i++) {
        f->last.size += iov[i].iov_len;
    }
    for (int i = 0; i < iovcnt && offset < n->size; i++) {
        size_t k = iov[i].iov_len;

        if (k > n->size - offset) {
            k = n->size - offset;
        }
        if (!iov[i].iov_base) {
            ssize_t r = far_io(ctx, i, offset, k, false);

            if (r < 0) {
                return done ? (ssize_t)done : r;
            }
            k = (size_t)r;
        } else {
            memcpy(iov[i].iov_base, n->data + offset, k);
        }
        offset += k;
        done += k;
    }
    return (ssize_t)done;
}

static ssize_t fk_write(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                        uint64_t fh, uint64_t offset, const struct iovec *iov,
                        int iovcnt, uint32_t write_flags)
{
    struct fake_fs *f = fs;
    struct fake_node *n;
    size_t done = 0;

    note(f, "write", ctx, ino);
    f->last.fh = fh;
    f->last.off = offset;
    f->last.iovcnt = iovcnt;
    f->last.flags = write_flags;
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    if (check_fh(ino, fh)) {
        return -EBADF;
    }
    for (int i = 0; i < iovcnt; i++) {
        size_t k = iov[i].iov_len;

        if (offset >= FAKE_DATA) {
            break;
        }
        if (k > FAKE_DATA - offset) {
            k = FAKE_DATA - offset;
        }
        if (!iov[i].iov_base) {
            ssize_t r = far_io(ctx, i, offset, k, true);

            if (r < 0) {
                return done ? (ssize_t)done : r;
            }
            k = (size_t)r;
        } else {
            memcpy(n->data + offset, iov[i].iov_base, k);
        }
        offset += k;
        done += k;
    }
    if (offset > n->size) {
        n->size = offset;
    }
    if (write_flags & FUSE_WRITE_KILL_SUIDGID) {
        n->mode &= ~(uint32_t)(S_ISUID | S_ISGID);
    }
    f->last.size = done;
    return done ? (ssize_t)done : -EFBIG;
}

static int fh_op(struct fake_fs *f, const char *op, const struct fs_ctx *ctx,
                 uint64_t ino, uint64_t fh)
{
    note(f, op, ctx, ino);
    f->last.fh = fh;
    if (!node(f, ino)) {
        return -ENOENT;
    }
    return check_fh(ino, fh);
}

static int fk_flush(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t lock_owner)
{
    int rc = fh_op(fs, "flush", ctx, ino, fh);

    F(fs)->last.lock_owner = lock_owner;
    return rc;
}

static int fk_release(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      uint64_t fh, uint32_t flags, uint32_t release_flags,
                      uint64_t lock_owner)
{
    int rc = fh_op(fs, "release", ctx, ino, fh);

    F(fs)->last.flags = flags;
    F(fs)->last.flags2 = release_flags;
    F(fs)->last.lock_owner = lock_owner;
    return rc;
}

static int fk_fsync(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, bool datasync)
{
    int rc = fh_op(fs, "fsync", ctx, ino, fh);

    F(fs)->last.flags = datasync;
    return rc;
}

static int fk_fsyncdir(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       uint64_t fh, bool datasync)
{
    int rc = fh_op(fs, "fsyncdir", ctx, ino, fh);

    F(fs)->last.flags = datasync;
    return rc;
}

static int fk_statfs(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                     struct fuse_kstatfs *out)
{
    note(fs, "statfs", ctx, ino);
    out->blocks = 1000;
    out->bfree = 500;
    out->bsize = 4096;
    out->namelen = NAME_MAX;
    return 0;
}

static int fk_setxattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       const char *name, const void *value, size_t size,
                       uint32_t flags, uint32_t setxattr_flags)
{
    struct fake_fs *f = fs;
    struct fake_node *n;

    note(f, "setxattr", ctx, ino);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    f->last.size = size;
    f->last.flags = flags;
    f->last.flags2 = setxattr_flags;
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    if (size > sizeof(n->xval) || strlen(name) >= sizeof(n->xname)) {
        return -ENOSPC;
    }
    snprintf(n->xname, sizeof(n->xname), "%s", name);
    memcpy(n->xval, value, size);
    n->xlen = size;
    return 0;
}

static int fk_getxattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       const char *name, void *buf, size_t size)
{
    struct fake_fs *f = fs;
    struct fake_node *n;

    note(f, "getxattr", ctx, ino);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    f->last.size = size;
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    if (!n->xname[0] || strcmp(n->xname, name)) {
        return -ENODATA;
    }
    if (size == 0) {
        return (int)n->xlen;
    }
    if (size < n->xlen) {
        return -ERANGE;
    }
    memcpy(buf, n->xval, n->xlen);
    return (int)n->xlen;
}

static int fk_listxattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                        char *buf, size_t size)
{
    struct fake_fs *f = fs;
    struct fake_node *n;
    size_t len;

    note(f, "listxattr", ctx, ino);
    f->last.size = size;
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    len = n->xname[0] ? strlen(n->xname) + 1 : 0;
    if (size == 0) {
        return (int)len;
    }
    if (size < len) {
        return -ERANGE;
    }
    memcpy(buf, n->xname, len);
    return (int)len;
}

static int fk_removexattr(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                          const char *name)
{
    struct fake_fs *f = fs;
    struct fake_node *n;

    note(f, "removexattr", ctx, ino);
    snprintf(f->last.name, sizeof(f->last.name), "%s", name);
    n = node(f, ino);
    if (!n) {
        return -ENOENT;
    }
    if (strcmp(n->xname, name)) {
        return -ENODATA;
    }
    n->xname[0] = '\0';
    return 0;
}

static int fk_opendir(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      uint32_t flags, struct fuse_open_out *out)
{
    struct fake_fs *f = fs;

    note(f, "opendir", ctx, ino);
    f->last.flags = flags;
    if (!node(f, ino)) {
        return -ENOENT;
    }
    if (!S_ISDIR(f->node[ino].mode)) {
        return -ENOTDIR;
    }
    out->fh = FAKE_FH_BASE + ino;
    return 0;
}

/* Entries: ".", "..", then children in node order; off = index + 1. */
static int fk_readdir(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      uint64_t fh, uint64_t offset, struct fs_dirbuf *db)
{
    struct fake_fs *f = fs;
    uint64_t idx = 0;
    int rc = fh_op(f, "readdir", ctx, ino, fh);

    f->last.off = offset;
    if (rc < 0) {
        return rc;
    }
    for (uint64_t i = 0; i < FAKE_NODES + 2; i++) {
        const char *name;
        uint64_t child;
        struct fuse_entry_out e;

        if (i == 0) {
            name = ".";
            child = ino;
        } else if (i == 1) {
            name = "..";
            child = ino == FAKE_ROOT ? ino : f->node[ino].parent;
        } else {
            child = i - 2;
            if (child < 2 || !f->node[child].used ||
                f->node[child].parent != ino) {
                continue;
            }
            name = f->node[child].name;
        }
        if (idx++ < offset) {
            continue;
        }
        memset(&e, 0, sizeof(e));
        if (!fs_dirbuf_fits(db, strlen(name))) {
            break;
        }
        if (fs_dirbuf_is_plus(db)) {
            entry(f, child, &e);
        }
        rc = fs_dirbuf_add(db, name, strlen(name), child,
                           (f->node[child].mode & S_IFMT) >> 12, idx,
                           fs_dirbuf_is_plus(db) ? &e : NULL);
        if (rc < 0) {
            if (fs_dirbuf_is_plus(db)) {
                f->node[child].nlookup--;
            }
            break;
        }
        f->last.size++;
    }
    return 0;
}

static int fk_releasedir(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                         uint64_t fh, uint32_t flags)
{
    int rc = fh_op(fs, "releasedir", ctx, ino, fh);

    F(fs)->last.flags = flags;
    return rc;
}

static int fk_getlk(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t owner,
                    const struct fuse_file_lock *lk, struct fuse_file_lock *out)
{
    int rc = fh_op(fs, "getlk", ctx, ino, fh);

    F(fs)->last.lock_owner = owner;
    F(fs)->last.off = lk->start;
    *out = *lk;
    out->type = F_UNLCK;
    return rc;
}

static int fk_setlk(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t owner,
                    const struct fuse_file_lock *lk, uint32_t lk_flags,
                    bool sleep)
{
    struct fake_fs *f = fs;
    int rc;

    pthread_mutex_lock(&f->mu);
    rc = fh_op(f, "setlk", ctx, ino, fh);
    f->last.lock_owner = owner;
    f->last.flags = lk_flags;
    f->last.mode = lk->type;
    f->last.sleep = sleep;
    if (rc == 0 && f->contended && lk->type != F_UNLCK) {
        if (!sleep) {
            rc = -EAGAIN;
        } else if (f->intr_fd >= 0) {
            /* Like fcntl(F_OFD_SETLKW): a signal ends the wait. */
            char c;
            ssize_t n;

            f->waiting = true;
            pthread_cond_broadcast(&f->cv);
            pthread_mutex_unlock(&f->mu);
            n = read(f->intr_fd, &c, 1);
            rc = n == 1 ? 0 : n < 0 ? -errno : -EIO;
            pthread_mutex_lock(&f->mu);
            f->waiting = false;
        } else {
            f->waiting = true;
            pthread_cond_broadcast(&f->cv);
            while (f->contended) {
                pthread_cond_wait(&f->cv, &f->mu);
            }
            f->waiting = false;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fk_access(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                     uint32_t mask)
{
    note(fs, "access", ctx, ino);
    F(fs)->last.mode = mask;
    return node(fs, ino) ? 0 : -ENOENT;
}

static int fk_fallocate(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                        uint64_t fh, uint64_t offset, uint64_t length,
                        uint32_t mode)
{
    int rc = fh_op(fs, "fallocate", ctx, ino, fh);

    F(fs)->last.off = offset;
    F(fs)->last.len = length;
    F(fs)->last.mode = mode;
    return rc;
}

static int fk_lseek(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, uint32_t whence,
                    uint64_t *out)
{
    int rc = fh_op(fs, "lseek", ctx, ino, fh);

    F(fs)->last.off = offset;
    F(fs)->last.mode = whence;
    *out = offset + 7;
    return rc;
}

static ssize_t fk_copy_file_range(void *fs, const struct fs_ctx *ctx,
                                  uint64_t ino_in, uint64_t fh_in,
                                  uint64_t off_in, uint64_t ino_out,
                                  uint64_t fh_out, uint64_t off_out,
                                  uint64_t len, uint64_t flags)
{
    struct fake_fs *f = fs;
    int rc = fh_op(f, "copy_file_range", ctx, ino_in, fh_in);

    f->last.ino2 = ino_out;
    f->last.off = off_in;
    f->last.len = len;
    f->last.flags = (uint32_t)flags;
    if (rc == 0) {
        rc = check_fh(ino_out, fh_out);
    }
    (void)off_out;
    return rc < 0 ? rc : (ssize_t)(len > 100 ? 100 : len);
}

static int fk_syncfs(void *fs, const struct fs_ctx *ctx, uint64_t ino)
{
    note(fs, "syncfs", ctx, ino);
    return 0;
}

static int fk_ioctl(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint32_t flags, uint32_t cmd, const void *in,
                    uint32_t in_size, void *out, uint32_t out_size,
                    int32_t *result)
{
    int rc = fh_op(fs, "ioctl", ctx, ino, fh);

    F(fs)->last.flags = cmd;
    F(fs)->last.size = in_size;
    if (rc < 0) {
        return rc;
    }
    if (cmd != 0x1234) {
        return -ENOTTY;
    }
    /* Echo the input back, as much as fits. */
    if (in_size > out_size) {
        in_size = out_size;
    }
    memcpy(out, in, in_size);
    *result = 42;
    (void)flags;
    return (int)in_size;
}

static int fk_poll(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, uint32_t events, uint32_t *revents)
{
    int rc = fh_op(fs, "poll", ctx, ino, fh);

    *revents = events & 0x5;
    return rc;
}

static int fk_setupmapping(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                           uint64_t fh, uint64_t foffset, uint64_t len,
                           uint64_t flags, uint64_t moffset)
{
    int rc = fh_op(fs, "setupmapping", ctx, ino, fh);

    F(fs)->last.off = foffset;
    F(fs)->last.len = len;
    F(fs)->last.flags = (uint32_t)flags;
    F(fs)->last.ino2 = moffset;
    return rc;
}

static int fk_removemapping(void *fs, const struct fs_ctx *ctx,
                            const struct fuse_removemapping_one *ranges,
                            uint32_t count)
{
    struct fake_fs *f = fs;

    if (!f->last.op || strcmp(f->last.op, "removemapping")) {
        note(f, "removemapping", ctx, 0);
    }
    /* Several calls for one request add up. */
    f->last.size += count;
    for (uint32_t i = 0; i < count; i++) {
        f->last.len += ranges[i].len;
    }
    return 0;
}

const struct fs_ops fake_ops = {
    .init = fk_init,
    .destroy = fk_destroy,
    .lookup = fk_lookup,
    .forget = fk_forget,
    .getattr = fk_getattr,
    .setattr = fk_setattr,
    .readlink = fk_readlink,
    .symlink = fk_symlink,
    .mknod = fk_mknod,
    .mkdir = fk_mkdir,
    .unlink = fk_unlink,
    .rmdir = fk_rmdir,
    .rename = fk_rename,
    .link = fk_link,
    .open = fk_open,
    .create = fk_create,
    .tmpfile = fk_tmpfile,
    .read = fk_read,
    .write = fk_write,
    .flush = fk_flush,
    .release = fk_release,
    .fsync = fk_fsync,
    .statfs = fk_statfs,
    .setxattr = fk_setxattr,
    .getxattr = fk_getxattr,
    .listxattr = fk_listxattr,
    .removexattr = fk_removexattr,
    .opendir = fk_opendir,
    .readdir = fk_readdir,
    .readdirplus = fk_readdir,
    .releasedir = fk_releasedir,
    .fsyncdir = fk_fsyncdir,
    .getlk = fk_getlk,
    .setlk = fk_setlk,
    .access = fk_access,
    .fallocate = fk_fallocate,
    .lseek = fk_lseek,
    .copy_file_range = fk_copy_file_range,
    .syncfs = fk_syncfs,
    .ioctl = fk_ioctl,
    .poll = fk_poll,
    .setupmapping = fk_setupmapping,
    .removemapping = fk_removemapping,
};

/* --- requests --------------------------------------------------------- */

void hreq_start(struct hreq *r, uint32_t opcode, uint64_t nodeid,
                uint64_t unique)
{
    struct fuse_in_header h;

    memset(&h, 0, sizeof(h));
    h.opcode = opcode;
    h.nodeid = nodeid;
    h.unique = unique;
    h.uid = 1001;
    h.gid = 1002;
    h.pid = 1003;
    r->len = 0;
    hreq_add(r, &h, sizeof(h));
}

void hreq_add(struct hreq *r, const void *p, size_t len)
{
    if (len > sizeof(r->buf) - r->len) {
        abort();
    }
    memcpy(r->buf + r->len, p, len);
    r->len += len;
}

void hreq_str(struct hreq *r, const char *s)
{
    hreq_add(r, s, strlen(s) + 1);
}

size_t hreq_end(struct hreq *r)
{
    uint32_t len = (uint32_t)r->len;

    memcpy(r->buf, &len, sizeof(len));
    return r->len;
}

#define HMAX_IOV 64

/* window_io of hrun_far(): every byte "moved", none touched. */
static ssize_t touch_nothing_io(void *opaque, int fd, uint64_t fd_off,
                                uint64_t gpa, uint64_t len, bool to_file)
{
    (void)opaque;
    (void)fd;
    (void)fd_off;
    (void)gpa;
    (void)to_file;
    return (ssize_t)len;
}

ssize_t hrun(struct fsrv *srv, const void *req, size_t len, int nin,
             size_t first, void *reply, size_t outlen, int nout)
{
    return hrun_far(srv, req, len, nin, first, reply, outlen, nout, false);
}

ssize_t hrun_far(struct fsrv *srv, const void *req, size_t len, int nin,
                 size_t first, void *reply, size_t outlen, int nout, bool far)
{
    struct iovec in[HMAX_IOV], out[HMAX_IOV];
    uint64_t gpa[HMAX_IOV] = {0};
    struct fsrv_req fr;
    size_t pos = 0;
    ssize_t rc;

    if (nin < 1 || nin > HMAX_IOV || nout < 0 || nout > HMAX_IOV) {
        abort();
    }
    for (int i = 0; i < nin; i++) {
        size_t n = (len - pos) / (size_t)(nin - i);

        if (i == 0 && first) {
            n = first < len ? first : len;
        } else if (i == nin - 1) {
            n = len - pos;
        }
        in[i].iov_base = malloc(n ? n : 1);
        in[i].iov_len = n;
        memcpy(in[i].iov_base, (const char *)req + pos, n);
        pos += n;
    }
    pos = 0;
    for (int i = 0; i < nout; i++) {
        size_t n = (outlen - pos) / (size_t)(nout - i);

        if (i == nout - 1) {
            n = outlen - pos;
        }
        out[i].iov_base = malloc(n ? n : 1);
        out[i].iov_len = n;
        memset(out[i].iov_base, 0xee, n);
        pos += n;
    }
    memset(&fr, 0, sizeof(fr));
    fr.in = in;
    fr.in_cnt = nin;
    fr.out = out;
    fr.out_cnt = nout;
    /* The last iovec of each side out of reach (freed: ASan sees a use). */
    if (far && nin > 1) {
        free(in[nin - 1].iov_base);
        in[nin - 1].iov_base = NULL;
        fr.in_gpa = gpa;
    }
    if (far && nout > 1) {
        free(out[nout - 1].iov_base);
        out[nout - 1].iov_base = NULL;
        fr.out_gpa = gpa;
    }
    fr.window_io = far ? touch_nothing_io : NULL;
    rc = fsrv_handle(srv, &fr);
    pos = 0;
    for (int i = 0; i < nout; i++) {
        if (out[i].iov_base) {
            memcpy((char *)reply + pos, out[i].iov_base, out[i].iov_len);
        } else {
            memset((char *)reply + pos, 0xee, out[i].iov_len);
        }
        pos += out[i].iov_len;
        free(out[i].iov_base);
    }
    for (int i = 0; i < nin; i++) {
        free(in[i].iov_base);
    }
    return rc;
}

ssize_t hinit(struct fsrv *srv, uint64_t flags, void *reply, size_t outlen)
{
    struct hreq *r = malloc(sizeof(*r));
    struct fuse_init_in in;
    ssize_t rc;

    memset(&in, 0, sizeof(in));
    in.major = 7;
    in.minor = 38;
    in.max_readahead = 131072;
    in.flags = (uint32_t)flags | FUSE_INIT_EXT;
    in.flags2 = (uint32_t)(flags >> 32);
    hreq_start(r, FUSE_INIT, 0, 1);
    hreq_add(r, &in, sizeof(in));
    rc = hrun(srv, r->buf, hreq_end(r), 1, 0, reply, outlen, 1);
    free(r);
    return rc;
}
