/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-ops.c - FUSE decoders: names, attributes, files, READ and WRITE.
 *
 * Security model: as fsrv.c.  When a decoder runs, the body holds at least
 * the row's in_size bytes and the reply area at least its out_size; each
 * decoder copies its struct out of the request once, checks every further
 * length (names, values, payloads) against what is left, and never trusts
 * a size field to describe the request or reply area: READ, READDIR,
 * GETXATTR, LISTXATTR and IOCTL are bounded by the reply room, WRITE and
 * SETXATTR by the request.  A handler returns 0 (reply with what it wrote
 * to c->out) or -errno (error reply).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsrv-int.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#define RENAME_WHITEOUT  (1 << 2)
#endif

/*
 * A directory entry name: NUL-terminated within the request, 1..NAME_MAX
 * bytes, no '/'; "." and ".." only where @dots (LOOKUP).
 */
static int get_name(struct fsrv_call *c, char *buf, bool dots)
{
    int n = fsrv_cursor_read_str(&c->in, buf, NAME_MAX + 1);

    if (n < 0) {
        return n;
    }
    if (n == 0 || memchr(buf, '/', (size_t)n)) {
        return -EINVAL;
    }
    if (!dots && (!strcmp(buf, ".") || !strcmp(buf, ".."))) {
        return -EINVAL;
    }
    return 0;
}

/* Replies carrying a struct fuse_entry_out for a new lookup count. */
static int put_entry(struct fsrv_call *c, int rc,
                     const struct fuse_entry_out *e)
{
    if (rc < 0) {
        return rc;
    }
    return fsrv__put(c, e, sizeof(*e));
}

int fsrv__do_lookup(struct fsrv_call *c)
{
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc = get_name(c, name, true);

    NEED_OP(c, lookup);
    if (rc < 0) {
        return rc;
    }
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->lookup(FS(c), &c->ctx, c->hdr.nodeid, name, &e);
    return put_entry(c, rc, &e);
}

int fsrv__do_forget(struct fsrv_call *c)
{
    struct fuse_forget_in in;

    if (fsrv__get(c, &in, sizeof(in)) == 0 && OPS(c)->forget) {
        OPS(c)->forget(FS(c), c->hdr.nodeid, in.nlookup);
    }
    return FSRV_NO_REPLY;
}

int fsrv__do_batch_forget(struct fsrv_call *c)
{
    struct fuse_batch_forget_in in;
    struct fuse_forget_one one;
    uint64_t need;

    if (fsrv__get(c, &in, sizeof(in)) < 0) {
        return FSRV_NO_REPLY;
    }
    /* All or nothing: a count the body cannot hold forgets nothing. */
    need = (uint64_t)in.count * sizeof(one);
    if (need > fsrv_cursor_left(&c->in) || !OPS(c)->forget) {
        return FSRV_NO_REPLY;
    }
    for (uint32_t i = 0; i < in.count; i++) {
        if (fsrv__get(c, &one, sizeof(one)) < 0) {
            break;
        }
        OPS(c)->forget(FS(c), one.nodeid, one.nlookup);
    }
    return FSRV_NO_REPLY;
}

int fsrv__do_getattr(struct fsrv_call *c)
{
    struct fuse_getattr_in in;
    struct fuse_attr_out out;
    int rc;

    NEED_OP(c, getattr);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->getattr(FS(c), &c->ctx, c->hdr.nodeid,
                         (in.getattr_flags & FUSE_GETATTR_FH) ? &in.fh : NULL,
                         &out);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_setattr(struct fsrv_call *c)
{
    struct fuse_setattr_in in;
    struct fuse_attr_out out;
    int rc;

    NEED_OP(c, setattr);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->setattr(FS(c), &c->ctx, c->hdr.nodeid, &in, &out);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_readlink(struct fsrv_call *c)
{
    char buf[PATH_MAX];
    size_t room = fsrv_cursor_left(&c->out);
    int rc;

    NEED_OP(c, readlink);
    if (room > sizeof(buf)) {
        room = sizeof(buf);
    }
    rc = OPS(c)->readlink(FS(c), &c->ctx, c->hdr.nodeid, buf, room);
    if (rc < 0) {
        return rc;
    }
    if ((size_t)rc > room) {
        return -EIO;
    }
    return fsrv__put(c, buf, (size_t)rc);
}

int fsrv__do_symlink(struct fsrv_call *c)
{
    char name[NAME_MAX + 1], target[PATH_MAX];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, symlink);
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    rc = fsrv_cursor_read_str(&c->in, target, sizeof(target));
    if (rc == 0) {
        return -ENOENT; /* symlink(2) with an empty target */
    }
    if (rc < 0) {
        return rc;
    }
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->symlink(FS(c), &c->ctx, c->hdr.nodeid, name, target, &e);
    return put_entry(c, rc, &e);
}

int fsrv__do_mknod(struct fsrv_call *c)
{
    struct fuse_mknod_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, mknod);
    fsrv__get(c, &in, sizeof(in));
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    c->ctx.umask = in.umask;
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->mknod(FS(c), &c->ctx, c->hdr.nodeid, name, in.mode, in.rdev,
                       &e);
    return put_entry(c, rc, &e);
}

int fsrv__do_mkdir(struct fsrv_call *c)
{
    struct fuse_mkdir_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, mkdir);
    fsrv__get(c, &in, sizeof(in));
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    c->ctx.umask = in.umask;
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->mkdir(FS(c), &c->ctx, c->hdr.nodeid, name, in.mode, &e);
    return put_entry(c, rc, &e);
}

int fsrv__do_unlink(struct fsrv_call *c)
{
    char name[NAME_MAX + 1];
    int rc;

    NEED_OP(c, unlink);
    rc = get_name(c, name, false);
    return rc < 0 ? rc : OPS(c)->unlink(FS(c), &c->ctx, c->hdr.nodeid, name);
}

int fsrv__do_rmdir(struct fsrv_call *c)
{
    char name[NAME_MAX + 1];
    int rc;

    NEED_OP(c, rmdir);
    rc = get_name(c, name, false);
    return rc < 0 ? rc : OPS(c)->rmdir(FS(c), &c->ctx, c->hdr.nodeid, name);
}

static int rename_common(struct fsrv_call *c, uint64_t newdir, uint32_t flags)
{
    char name[NAME_MAX + 1], newname[NAME_MAX + 1];
    int rc;

    NEED_OP(c, rename);
    if (flags &
        ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) {
        return -EINVAL;
    }
    rc = get_name(c, name, false);
    if (rc == 0) {
        rc = get_name(c, newname, false);
    }
    if (rc < 0) {
        return rc;
    }
    return OPS(c)->rename(FS(c), &c->ctx, c->hdr.nodeid, name, newdir, newname,
                          flags);
}

int fsrv__do_rename(struct fsrv_call *c)
{
    struct fuse_rename_in in;

    fsrv__get(c, &in, sizeof(in));
    return rename_common(c, in.newdir, 0);
}

int fsrv__do_rename2(struct fsrv_call *c)
{
    struct fuse_rename2_in in;

    fsrv__get(c, &in, sizeof(in));
    return rename_common(c, in.newdir, in.flags);
}

int fsrv__do_link(struct fsrv_call *c)
{
    struct fuse_link_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, link);
    fsrv__get(c, &in, sizeof(in));
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->link(FS(c), &c->ctx, in.oldnodeid, c->hdr.nodeid, name, &e);
    return put_entry(c, rc, &e);
}

int fsrv__do_open(struct fsrv_call *c)
{
    struct fuse_open_in in;
    struct fuse_open_out out;
    int rc;

    NEED_OP(c, open);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->open(FS(c), &c->ctx, c->hdr.nodeid, in.flags, in.open_flags,
                      &out);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

/* CREATE and TMPFILE: fuse_create_in, a name, entry + open replies. */
static int create_common(struct fsrv_call *c, bool tmpfile)
{
    struct fuse_create_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    struct fuse_open_out out;
    int rc;

    if (tmpfile ? !OPS(c)->tmpfile : !OPS(c)->create) {
        return -ENOSYS;
    }
    fsrv__get(c, &in, sizeof(in));
    c->ctx.umask = in.umask;
    memset(&e, 0, sizeof(e));
    memset(&out, 0, sizeof(out));
    if (tmpfile) {
        /* The kernel names the new dentry "/": read it, use nothing. */
        rc = fsrv_cursor_read_str(&c->in, name, sizeof(name));
        if (rc < 0) {
            return rc;
        }
        rc = OPS(c)->tmpfile(FS(c), &c->ctx, c->hdr.nodeid, in.mode, in.flags,
                             in.open_flags, &e, &out);
    } else {
        rc = get_name(c, name, false);
        if (rc < 0) {
            return rc;
        }
        rc = OPS(c)->create(FS(c), &c->ctx, c->hdr.nodeid, name, in.mode,
                            in.flags, in.open_flags, &e, &out);
    }
    if (rc < 0) {
        return rc;
    }
    rc = fsrv__put(c, &e, sizeof(e));
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_create(struct fsrv_call *c)
{
    return create_common(c, false);
}

int fsrv__do_tmpfile(struct fsrv_call *c)
{
    return create_common(c, true);
}

/*
 * View the next @len bytes of @cur as iovecs for a READ or WRITE, and
 * the context to pass with them: c->ctx, plus (when some lie beyond the
 * daemon's reach, struct fsrv_req) @win with their guest-physical
 * addresses in @gpa.  Returns the iovec count, -EINVAL or -EFAULT (such
 * pieces and no way to reach them).
 */
static int data_view(struct fsrv_call *c, struct fsrv_cursor *cur, size_t len,
                     struct iovec *iov, uint64_t *gpa, struct fs_ctx *ctx,
                     struct fs_window_io *win)
{
    int cnt, unreachable;

    *ctx = c->ctx;

    cnt = fsrv_cursor_view_gpa(cur, len, iov, gpa, FSRV_MAX_IOV, &unreachable);
    if (cnt < 0) {
        return -EINVAL;
    }
    if (unreachable) {
        if (!cur->gpa || !c->req->window_io) {
            return -EFAULT;
        }
        win->gpa = gpa;
        win->io = c->req->window_io;
        win->opaque = c->req->opaque;
        ctx->win = win;
    }
    return cnt;
}

int fsrv__do_read(struct fsrv_call *c)
{
    struct fuse_read_in in;
    struct iovec iov[FSRV_MAX_IOV];
    uint64_t gpa[FSRV_MAX_IOV];
    struct fs_window_io win;
    struct fs_ctx ctx;
    size_t size;
    ssize_t n;
    int cnt;

    NEED_OP(c, read);
    fsrv__get(c, &in, sizeof(in));
    if (in.size > c->srv->max_write) {
        return -EINVAL;
    }
    /* A reply area smaller than asked for gives a short read. */
    size = in.size;
    if (size > fsrv_cursor_left(&c->out)) {
        size = fsrv_cursor_left(&c->out);
    }
    cnt = data_view(c, &c->out, size, iov, gpa, &ctx, &win);
    if (cnt < 0) {
        return cnt;
    }
    if (cnt == 0) {
        return 0;
    }
    n = OPS(c)->read(FS(c), &ctx, c->hdr.nodeid, in.fh, in.offset, iov, cnt);
    if (n < 0) {
        return (int)n;
    }
    if ((size_t)n > size) {
        return -EIO;
    }
    fsrv_cursor_skip(&c->out, (size_t)n);
    return 0;
}

int fsrv__do_write(struct fsrv_call *c)
{
    struct fuse_write_in in;
    struct fuse_write_out out;
    struct iovec iov[FSRV_MAX_IOV];
    uint64_t gpa[FSRV_MAX_IOV];
    struct fs_window_io win;
    struct fs_ctx ctx;
    ssize_t n;
    int cnt;

    NEED_OP(c, write);
    fsrv__get(c, &in, sizeof(in));
    if (in.size > c->srv->max_write || in.size != fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    memset(&out, 0, sizeof(out));
    cnt = data_view(c, &c->in, in.size, iov, gpa, &ctx, &win);
    if (cnt < 0) {
        return cnt;
    }
    if (cnt > 0) {
        n = OPS(c)->write(FS(c), &ctx, c->hdr.nodeid, in.fh, in.offset, iov,
                          cnt, in.write_flags);
        if (n < 0) {
            return (int)n;
        }
        if ((size_t)n > in.size) {
            return -EIO;
        }
        out.size = (uint32_t)n;
    }
    return fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_statfs(struct fsrv_call *c)
{
    struct fuse_statfs_out out;
    int rc;

    NEED_OP(c, statfs);
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->statfs(FS(c), &c->ctx, c->hdr.nodeid, &out.st);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_release(struct fsrv_call *c)
{
    struct fuse_release_in in;

    fsrv__get(c, &in, sizeof(in));
    if (!OPS(c)->release) {
        return 0; /* nothing to release: not an error for the kernel */
    }
    return OPS(c)->release(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags,
                           in.release_flags, in.lock_owner);
}

int fsrv__do_releasedir(struct fsrv_call *c)
{
    struct fuse_release_in in;

    fsrv__get(c, &in, sizeof(in));
    if (!OPS(c)->releasedir) {
        return 0;
    }
    return OPS(c)->releasedir(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags);
}

int fsrv__do_fsync(struct fsrv_call *c)
{
    struct fuse_fsync_in in;
    bool dir = c->hdr.opcode == FUSE_FSYNCDIR;

    fsrv__get(c, &in, sizeof(in));
    if (dir ? !OPS(c)->fsyncdir : !OPS(c)->fsync) {
        return -ENOSYS;
    }
    return (dir ? OPS(c)->fsyncdir
                : OPS(c)->fsync)(FS(c), &c->ctx, c->hdr.nodeid, in.fh,
                                 (in.fsync_flags & FUSE_FSYNC_FDATASYNC) != 0);
}

int fsrv__do_flush(struct fsrv_call *c)
{
    struct fuse_flush_in in;

    NEED_OP(c, flush);
    fsrv__get(c, &in, sizeof(in));
    return OPS(c)->flush(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.lock_owner);
}
