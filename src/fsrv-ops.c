/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-ops.c - one decoder per FUSE opcode, and the opcode table.
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

/* Largest ioctl argument: _IOC_SIZE() has 14 bits. */
#define FSRV_IOCTL_MAX 16384

#define OPS(c)         ((c)->srv->ops)
#define FS(c)          ((c)->srv->fs)

/* Each op this file calls may be NULL: ENOSYS. */
#define NEED_OP(c, op)                                                         \
    do {                                                                       \
        if (!OPS(c)->op) {                                                     \
            return -ENOSYS;                                                    \
        }                                                                      \
    } while (0)

static int get(struct fsrv_call *c, void *dst, size_t len)
{
    return fsrv_cursor_read(&c->in, dst, len);
}

static int put(struct fsrv_call *c, const void *src, size_t len)
{
    return fsrv_cursor_write(&c->out, src, len) < 0 ? -EINVAL : 0;
}

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

/* An xattr name: 1..XATTR_NAME_MAX bytes (ERANGE as setxattr(2) says). */
static int get_xattr_name(struct fsrv_call *c, char *buf)
{
    int n = fsrv_cursor_read_str(&c->in, buf, XATTR_NAME_MAX + 1);

    if (n == -ENAMETOOLONG || n == 0) {
        return -ERANGE;
    }
    return n < 0 ? n : 0;
}

/* Replies carrying a struct fuse_entry_out for a new lookup count. */
static int put_entry(struct fsrv_call *c, int rc,
                     const struct fuse_entry_out *e)
{
    if (rc < 0) {
        return rc;
    }
    return put(c, e, sizeof(*e));
}

static int do_lookup(struct fsrv_call *c)
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

static int do_forget(struct fsrv_call *c)
{
    struct fuse_forget_in in;

    if (get(c, &in, sizeof(in)) == 0 && OPS(c)->forget) {
        OPS(c)->forget(FS(c), c->hdr.nodeid, in.nlookup);
    }
    return FSRV_NO_REPLY;
}

static int do_batch_forget(struct fsrv_call *c)
{
    struct fuse_batch_forget_in in;
    struct fuse_forget_one one;
    uint64_t need;

    if (get(c, &in, sizeof(in)) < 0) {
        return FSRV_NO_REPLY;
    }
    /* All or nothing: a count the body cannot hold forgets nothing. */
    need = (uint64_t)in.count * sizeof(one);
    if (need > fsrv_cursor_left(&c->in) || !OPS(c)->forget) {
        return FSRV_NO_REPLY;
    }
    for (uint32_t i = 0; i < in.count; i++) {
        if (get(c, &one, sizeof(one)) < 0) {
            break;
        }
        OPS(c)->forget(FS(c), one.nodeid, one.nlookup);
    }
    return FSRV_NO_REPLY;
}

static int do_getattr(struct fsrv_call *c)
{
    struct fuse_getattr_in in;
    struct fuse_attr_out out;
    int rc;

    NEED_OP(c, getattr);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->getattr(FS(c), &c->ctx, c->hdr.nodeid,
                         (in.getattr_flags & FUSE_GETATTR_FH) ? &in.fh : NULL,
                         &out);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_setattr(struct fsrv_call *c)
{
    struct fuse_setattr_in in;
    struct fuse_attr_out out;
    int rc;

    NEED_OP(c, setattr);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->setattr(FS(c), &c->ctx, c->hdr.nodeid, &in, &out);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_readlink(struct fsrv_call *c)
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
    return put(c, buf, (size_t)rc);
}

static int do_symlink(struct fsrv_call *c)
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

static int do_mknod(struct fsrv_call *c)
{
    struct fuse_mknod_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, mknod);
    get(c, &in, sizeof(in));
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

static int do_mkdir(struct fsrv_call *c)
{
    struct fuse_mkdir_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, mkdir);
    get(c, &in, sizeof(in));
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    c->ctx.umask = in.umask;
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->mkdir(FS(c), &c->ctx, c->hdr.nodeid, name, in.mode, &e);
    return put_entry(c, rc, &e);
}

static int do_unlink(struct fsrv_call *c)
{
    char name[NAME_MAX + 1];
    int rc;

    NEED_OP(c, unlink);
    rc = get_name(c, name, false);
    return rc < 0 ? rc : OPS(c)->unlink(FS(c), &c->ctx, c->hdr.nodeid, name);
}

static int do_rmdir(struct fsrv_call *c)
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

static int do_rename(struct fsrv_call *c)
{
    struct fuse_rename_in in;

    get(c, &in, sizeof(in));
    return rename_common(c, in.newdir, 0);
}

static int do_rename2(struct fsrv_call *c)
{
    struct fuse_rename2_in in;

    get(c, &in, sizeof(in));
    return rename_common(c, in.newdir, in.flags);
}

static int do_link(struct fsrv_call *c)
{
    struct fuse_link_in in;
    char name[NAME_MAX + 1];
    struct fuse_entry_out e;
    int rc;

    NEED_OP(c, link);
    get(c, &in, sizeof(in));
    rc = get_name(c, name, false);
    if (rc < 0) {
        return rc;
    }
    memset(&e, 0, sizeof(e));
    rc = OPS(c)->link(FS(c), &c->ctx, in.oldnodeid, c->hdr.nodeid, name, &e);
    return put_entry(c, rc, &e);
}

static int do_open(struct fsrv_call *c)
{
    struct fuse_open_in in;
    struct fuse_open_out out;
    int rc;

    NEED_OP(c, open);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->open(FS(c), &c->ctx, c->hdr.nodeid, in.flags, in.open_flags,
                      &out);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
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
    get(c, &in, sizeof(in));
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
    rc = put(c, &e, sizeof(e));
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_create(struct fsrv_call *c)
{
    return create_common(c, false);
}

static int do_tmpfile(struct fsrv_call *c)
{
    return create_common(c, true);
}

static int do_read(struct fsrv_call *c)
{
    struct fuse_read_in in;
    struct iovec iov[FSRV_MAX_IOV];
    size_t size;
    ssize_t n;
    int cnt;

    NEED_OP(c, read);
    get(c, &in, sizeof(in));
    if (in.size > c->srv->max_write) {
        return -EINVAL;
    }
    /* A reply area smaller than asked for gives a short read. */
    size = in.size;
    if (size > fsrv_cursor_left(&c->out)) {
        size = fsrv_cursor_left(&c->out);
    }
    cnt = fsrv_cursor_view(&c->out, size, iov, FSRV_MAX_IOV);
    if (cnt < 0) {
        return -EINVAL;
    }
    if (cnt == 0) {
        return 0;
    }
    n = OPS(c)->read(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset, iov, cnt);
    if (n < 0) {
        return (int)n;
    }
    if ((size_t)n > size) {
        return -EIO;
    }
    fsrv_cursor_skip(&c->out, (size_t)n);
    return 0;
}

static int do_write(struct fsrv_call *c)
{
    struct fuse_write_in in;
    struct fuse_write_out out;
    struct iovec iov[FSRV_MAX_IOV];
    ssize_t n;
    int cnt;

    NEED_OP(c, write);
    get(c, &in, sizeof(in));
    if (in.size > c->srv->max_write || in.size != fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    memset(&out, 0, sizeof(out));
    cnt = fsrv_cursor_view(&c->in, in.size, iov, FSRV_MAX_IOV);
    if (cnt < 0) {
        return -EINVAL;
    }
    if (cnt > 0) {
        n = OPS(c)->write(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset, iov,
                          cnt, in.write_flags);
        if (n < 0) {
            return (int)n;
        }
        if ((size_t)n > in.size) {
            return -EIO;
        }
        out.size = (uint32_t)n;
    }
    return put(c, &out, sizeof(out));
}

static int do_statfs(struct fsrv_call *c)
{
    struct fuse_statfs_out out;
    int rc;

    NEED_OP(c, statfs);
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->statfs(FS(c), &c->ctx, c->hdr.nodeid, &out.st);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_release(struct fsrv_call *c)
{
    struct fuse_release_in in;

    get(c, &in, sizeof(in));
    if (!OPS(c)->release) {
        return 0; /* nothing to release: not an error for the kernel */
    }
    return OPS(c)->release(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags,
                           in.release_flags, in.lock_owner);
}

static int do_releasedir(struct fsrv_call *c)
{
    struct fuse_release_in in;

    get(c, &in, sizeof(in));
    if (!OPS(c)->releasedir) {
        return 0;
    }
    return OPS(c)->releasedir(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags);
}

static int do_fsync(struct fsrv_call *c)
{
    struct fuse_fsync_in in;
    bool dir = c->hdr.opcode == FUSE_FSYNCDIR;

    get(c, &in, sizeof(in));
    if (dir ? !OPS(c)->fsyncdir : !OPS(c)->fsync) {
        return -ENOSYS;
    }
    return (dir ? OPS(c)->fsyncdir
                : OPS(c)->fsync)(FS(c), &c->ctx, c->hdr.nodeid, in.fh,
                                 (in.fsync_flags & FUSE_FSYNC_FDATASYNC) != 0);
}

static int do_flush(struct fsrv_call *c)
{
    struct fuse_flush_in in;

    NEED_OP(c, flush);
    get(c, &in, sizeof(in));
    return OPS(c)->flush(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.lock_owner);
}

static int do_setxattr(struct fsrv_call *c)
{
    struct fuse_setxattr_in in;
    char name[XATTR_NAME_MAX + 1];
    void *value, *copy = NULL;
    int rc;

    NEED_OP(c, setxattr);
    /* The 16-byte struct only with FUSE_SETXATTR_EXT (fuse.h, 7.33). */
    if (fsrv__flags(c) & FUSE_SETXATTR_EXT) {
        rc = get(c, &in, sizeof(in));
    } else {
        memset(&in, 0, sizeof(in));
        rc = get(c, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
    }
    if (rc == 0) {
        rc = get_xattr_name(c, name);
    }
    if (rc < 0) {
        return rc;
    }
    if (in.size > XATTR_SIZE_MAX) {
        return -E2BIG;
    }
    if (in.size != fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    value = fsrv_cursor_contig(&c->in, in.size);
    if (!value && in.size > 0) {
        /* Split across iovecs: setxattr(2) wants one buffer. */
        copy = malloc(in.size);
        if (!copy) {
            return -ENOMEM;
        }
        get(c, copy, in.size);
        value = copy;
    }
    rc = OPS(c)->setxattr(FS(c), &c->ctx, c->hdr.nodeid, name, value, in.size,
                          in.flags, in.setxattr_flags);
    free(copy);
    return rc;
}

/*
 * GETXATTR and LISTXATTR: size 0 asks for the size (fuse_getxattr_out);
 * else the value itself, bounded by the reply room.
 */
static int xattr_get_common(struct fsrv_call *c, bool list)
{
    struct fuse_getxattr_in in;
    struct fuse_getxattr_out out;
    char name[XATTR_NAME_MAX + 1];
    void *buf, *copy = NULL;
    size_t size;
    int rc;

    if (list ? !OPS(c)->listxattr : !OPS(c)->getxattr) {
        return -ENOSYS;
    }
    get(c, &in, sizeof(in));
    if (!list) {
        rc = get_xattr_name(c, name);
        if (rc < 0) {
            return rc;
        }
    }
    if (in.size == 0) {
        rc = list ? OPS(c)->listxattr(FS(c), &c->ctx, c->hdr.nodeid, NULL, 0)
                  : OPS(c)->getxattr(FS(c), &c->ctx, c->hdr.nodeid, name, NULL,
                                     0);
        if (rc < 0) {
            return rc;
        }
        memset(&out, 0, sizeof(out));
        out.size = (uint32_t)rc;
        return put(c, &out, sizeof(out));
    }
    size = in.size;
    if (size > XATTR_SIZE_MAX) {
        size = XATTR_SIZE_MAX;
    }
    if (size > fsrv_cursor_left(&c->out)) {
        return -EINVAL;
    }
    buf = fsrv_cursor_contig(&c->out, size);
    if (!buf) {
        buf = copy = malloc(size);
        if (!buf) {
            return -ENOMEM;
        }
    }
    rc = list
             ? OPS(c)->listxattr(FS(c), &c->ctx, c->hdr.nodeid, buf, size)
             : OPS(c)->getxattr(FS(c), &c->ctx, c->hdr.nodeid, name, buf, size);
    if (rc >= 0 && (size_t)rc > size) {
        rc = -EIO;
    }
    if (rc >= 0) {
        if (copy) {
            rc = put(c, copy, (size_t)rc);
        } else {
            fsrv_cursor_skip(&c->out, (size_t)rc);
            rc = 0;
        }
    }
    free(copy);
    return rc;
}

static int do_getxattr(struct fsrv_call *c)
{
    return xattr_get_common(c, false);
}

static int do_listxattr(struct fsrv_call *c)
{
    return xattr_get_common(c, true);
}

static int do_removexattr(struct fsrv_call *c)
{
    char name[XATTR_NAME_MAX + 1];
    int rc;

    NEED_OP(c, removexattr);
    rc = get_xattr_name(c, name);
    if (rc < 0) {
        return rc;
    }
    return OPS(c)->removexattr(FS(c), &c->ctx, c->hdr.nodeid, name);
}

static int do_opendir(struct fsrv_call *c)
{
    struct fuse_open_in in;
    struct fuse_open_out out;
    int rc;

    NEED_OP(c, opendir);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->opendir(FS(c), &c->ctx, c->hdr.nodeid, in.flags, &out);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

/* --- directory listings ------------------------------------------------ */

struct fs_dirbuf {
    struct fsrv_cursor *out;
    size_t left; /* min(size asked, reply room) not yet used */
    bool plus;
};

static size_t dirent_size(const struct fs_dirbuf *db, size_t namelen)
{
    size_t head = db->plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;

    return FUSE_DIRENT_ALIGN(head + namelen);
}

bool fs_dirbuf_is_plus(const struct fs_dirbuf *db)
{
    return db->plus;
}

bool fs_dirbuf_fits(const struct fs_dirbuf *db, size_t namelen)
{
    return namelen <= NAME_MAX && dirent_size(db, namelen) <= db->left;
}

int fs_dirbuf_add(struct fs_dirbuf *db, const char *name, size_t namelen,
                  uint64_t ino, uint32_t type, uint64_t off,
                  const struct fuse_entry_out *entry)
{
    static const char pad[8];
    struct fuse_dirent d;
    size_t size;

    if (namelen == 0 || namelen > NAME_MAX || (db->plus && !entry)) {
        return -EINVAL;
    }
    size = dirent_size(db, namelen);
    if (size > db->left) {
        return -ENOSPC;
    }
    memset(&d, 0, sizeof(d));
    d.ino = ino;
    d.off = off;
    d.namelen = (uint32_t)namelen;
    d.type = type;
    /* Room for all of it was checked above: these writes cannot fail. */
    if (db->plus) {
        fsrv_cursor_write(db->out, entry, sizeof(*entry));
    }
    fsrv_cursor_write(db->out, &d, FUSE_NAME_OFFSET);
    fsrv_cursor_write(db->out, name, namelen);
    fsrv_cursor_write(db->out, pad,
                      size - namelen - FUSE_NAME_OFFSET -
                          (db->plus ? sizeof(*entry) : 0));
    db->left -= size;
    return 0;
}

static int do_readdir(struct fsrv_call *c)
{
    struct fuse_read_in in;
    struct fs_dirbuf db;
    bool plus = c->hdr.opcode == FUSE_READDIRPLUS;
    int rc;

    if (plus ? !OPS(c)->readdirplus : !OPS(c)->readdir) {
        return -ENOSYS;
    }
    get(c, &in, sizeof(in));
    if (in.size > c->srv->max_write) {
        return -EINVAL;
    }
    db.out = &c->out;
    db.left = in.size;
    if (db.left > fsrv_cursor_left(&c->out)) {
        db.left = fsrv_cursor_left(&c->out);
    }
    db.plus = plus;
    rc = (plus ? OPS(c)->readdirplus : OPS(c)->readdir)(
        FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset, &db);
    /* Entries added before an error are still sent: they are counted. */
    if (rc < 0 && c->out.done > 0) {
        rc = 0;
    }
    return rc < 0 ? rc : 0;
}

/* --- locks ------------------------------------------------------------- */

static bool lock_type_ok(uint32_t type)
{
    return type == F_RDLCK || type == F_WRLCK || type == F_UNLCK;
}

static int do_getlk(struct fsrv_call *c)
{
    struct fuse_lk_in in;
    struct fuse_lk_out out;
    int rc;

    NEED_OP(c, getlk);
    get(c, &in, sizeof(in));
    if (!lock_type_ok(in.lk.type)) {
        return -EINVAL;
    }
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->getlk(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.owner, &in.lk,
                       &out.lk);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_setlk(struct fsrv_call *c)
{
    struct fuse_lk_in in;

    NEED_OP(c, setlk);
    get(c, &in, sizeof(in));
    if (!lock_type_ok(in.lk.type)) {
        return -EINVAL;
    }
    if (c->hdr.opcode == FUSE_SETLKW && in.lk.type != F_UNLCK) {
        return fsrv__setlkw_defer(c, in.fh, in.owner, &in.lk, in.lk_flags);
    }
    return OPS(c)->setlk(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.owner, &in.lk,
                         in.lk_flags, false);
}

static int do_access(struct fsrv_call *c)
{
    struct fuse_access_in in;

    NEED_OP(c, access);
    get(c, &in, sizeof(in));
    return OPS(c)->access(FS(c), &c->ctx, c->hdr.nodeid, in.mask);
}

/*
 * INTERRUPT: virtio-fs guests do not send it; on /dev/fuse the only
 * request that waits is SETLKW, which the kernel ends itself when the
 * waiter is killed.  No reply: the kernel does not need one.
 */
static int do_interrupt(struct fsrv_call *c)
{
    (void)c;
    return FSRV_NO_REPLY;
}

/* A reply to a notification we never send: no answer either. */
static int do_notify_reply(struct fsrv_call *c)
{
    (void)c;
    return FSRV_NO_REPLY;
}

static int do_fallocate(struct fsrv_call *c)
{
    struct fuse_fallocate_in in;

    NEED_OP(c, fallocate);
    get(c, &in, sizeof(in));
    return OPS(c)->fallocate(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset,
                             in.length, in.mode);
}

static int do_lseek(struct fsrv_call *c)
{
    struct fuse_lseek_in in;
    struct fuse_lseek_out out;
    int rc;

    NEED_OP(c, lseek);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->lseek(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset,
                       in.whence, &out.offset);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_copy_file_range(struct fsrv_call *c)
{
    struct fuse_copy_file_range_in in;
    struct fuse_write_out out;
    ssize_t n;

    NEED_OP(c, copy_file_range);
    get(c, &in, sizeof(in));
    /* The reply's size is 32 bits (the kernel caps len the same way). */
    if (in.len > (UINT32_MAX & ~4095u)) {
        in.len = UINT32_MAX & ~4095u;
    }
    n = OPS(c)->copy_file_range(FS(c), &c->ctx, c->hdr.nodeid, in.fh_in,
                                in.off_in, in.nodeid_out, in.fh_out, in.off_out,
                                in.len, in.flags);
    if (n < 0) {
        return (int)n;
    }
    if ((uint64_t)n > in.len) {
        return -EIO;
    }
    memset(&out, 0, sizeof(out));
    out.size = (uint32_t)n;
    return put(c, &out, sizeof(out));
}

static int do_syncfs(struct fsrv_call *c)
{
    NEED_OP(c, syncfs);
    return OPS(c)->syncfs(FS(c), &c->ctx, c->hdr.nodeid);
}

static int do_ioctl(struct fsrv_call *c)
{
    struct fuse_ioctl_in in;
    struct fuse_ioctl_out out;
    char ibuf[FSRV_IOCTL_MAX], obuf[FSRV_IOCTL_MAX];
    int rc;

    NEED_OP(c, ioctl);
    get(c, &in, sizeof(in));
    if (in.flags & FUSE_IOCTL_UNRESTRICTED) {
        return -ENOSYS;
    }
    if (in.in_size > FSRV_IOCTL_MAX || in.out_size > FSRV_IOCTL_MAX ||
        in.in_size != fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    if (in.out_size > fsrv_cursor_left(&c->out) - sizeof(out)) {
        return -EINVAL;
    }
    get(c, ibuf, in.in_size);
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->ioctl(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags, in.cmd,
                       ibuf, in.in_size, obuf, in.out_size, &out.result);
    if (rc < 0) {
        return rc;
    }
    if ((uint32_t)rc > in.out_size) {
        return -EIO;
    }
    put(c, &out, sizeof(out));
    return put(c, obuf, (size_t)rc);
}

static int do_poll(struct fsrv_call *c)
{
    struct fuse_poll_in in;
    struct fuse_poll_out out;
    int rc;

    NEED_OP(c, poll);
    get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->poll(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.events,
                      &out.revents);
    return rc < 0 ? rc : put(c, &out, sizeof(out));
}

static int do_setupmapping(struct fsrv_call *c)
{
    struct fuse_setupmapping_in in;

    if (!c->srv->opts.dax) {
        return -ENOSYS;
    }
    NEED_OP(c, setupmapping);
    get(c, &in, sizeof(in));
    return OPS(c)->setupmapping(FS(c), &c->ctx, c->hdr.nodeid, in.fh,
                                in.foffset, in.len, in.flags, in.moffset);
}

static int do_removemapping(struct fsrv_call *c)
{
    /* The kernel sends at most a page of them (FUSE_REMOVEMAPPING_MAX). */
    struct fuse_removemapping_one
        ranges[4096 / sizeof(struct fuse_removemapping_one)];
    struct fuse_removemapping_in in;
    uint32_t n;
    int rc = 0;

    if (!c->srv->opts.dax) {
        return -ENOSYS;
    }
    NEED_OP(c, removemapping);
    get(c, &in, sizeof(in));
    if ((uint64_t)in.count * sizeof(ranges[0]) > fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < in.count && rc >= 0; i += n) {
        n = in.count - i;
        if (n > sizeof(ranges) / sizeof(ranges[0])) {
            n = sizeof(ranges) / sizeof(ranges[0]);
        }
        get(c, ranges, n * sizeof(ranges[0]));
        rc = OPS(c)->removemapping(FS(c), &c->ctx, ranges, n);
    }
    return rc;
}

#define ROW(op, fn_, in_, out_)                                                \
    [op] = {.fn = fn_, .name = #op, .in_size = in_, .out_size = out_}
#define ENTRY_OUT sizeof(struct fuse_entry_out)
#define ATTR_OUT  sizeof(struct fuse_attr_out)
#define OPEN_OUT  sizeof(struct fuse_open_out)

const struct fsrv_opdesc fsrv_optable[FSRV_MAX_OPCODE + 1] = {
    ROW(FUSE_LOOKUP, do_lookup, 0, ENTRY_OUT),
    ROW(FUSE_FORGET, do_forget, 0, 0),
    ROW(FUSE_GETATTR, do_getattr, sizeof(struct fuse_getattr_in), ATTR_OUT),
    ROW(FUSE_SETATTR, do_setattr, sizeof(struct fuse_setattr_in), ATTR_OUT),
    ROW(FUSE_READLINK, do_readlink, 0, 0),
    ROW(FUSE_SYMLINK, do_symlink, 0, ENTRY_OUT),
    ROW(FUSE_MKNOD, do_mknod, sizeof(struct fuse_mknod_in), ENTRY_OUT),
    ROW(FUSE_MKDIR, do_mkdir, sizeof(struct fuse_mkdir_in), ENTRY_OUT),
    ROW(FUSE_UNLINK, do_unlink, 0, 0),
    ROW(FUSE_RMDIR, do_rmdir, 0, 0),
    ROW(FUSE_RENAME, do_rename, sizeof(struct fuse_rename_in), 0),
    ROW(FUSE_LINK, do_link, sizeof(struct fuse_link_in), ENTRY_OUT),
    ROW(FUSE_OPEN, do_open, sizeof(struct fuse_open_in), OPEN_OUT),
    ROW(FUSE_READ, do_read, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_WRITE, do_write, sizeof(struct fuse_write_in),
        sizeof(struct fuse_write_out)),
    ROW(FUSE_STATFS, do_statfs, 0, sizeof(struct fuse_statfs_out)),
    ROW(FUSE_RELEASE, do_release, sizeof(struct fuse_release_in), 0),
    ROW(FUSE_FSYNC, do_fsync, sizeof(struct fuse_fsync_in), 0),
    ROW(FUSE_SETXATTR, do_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0),
    ROW(FUSE_GETXATTR, do_getxattr, sizeof(struct fuse_getxattr_in), 0),
    ROW(FUSE_LISTXATTR, do_listxattr, sizeof(struct fuse_getxattr_in), 0),
    ROW(FUSE_REMOVEXATTR, do_removexattr, 0, 0),
    ROW(FUSE_FLUSH, do_flush, sizeof(struct fuse_flush_in), 0),
    /* Before 7.36 fuse_init_in had no flags2 and no padding: 16 bytes. */
    ROW(FUSE_INIT, fsrv__do_init, 16, sizeof(struct fuse_init_out)),
    ROW(FUSE_OPENDIR, do_opendir, sizeof(struct fuse_open_in), OPEN_OUT),
    ROW(FUSE_READDIR, do_readdir, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_RELEASEDIR, do_releasedir, sizeof(struct fuse_release_in), 0),
    ROW(FUSE_FSYNCDIR, do_fsync, sizeof(struct fuse_fsync_in), 0),
    ROW(FUSE_GETLK, do_getlk, sizeof(struct fuse_lk_in),
        sizeof(struct fuse_lk_out)),
    ROW(FUSE_SETLK, do_setlk, sizeof(struct fuse_lk_in), 0),
    ROW(FUSE_SETLKW, do_setlk, sizeof(struct fuse_lk_in), 0),
    ROW(FUSE_ACCESS, do_access, sizeof(struct fuse_access_in), 0),
    ROW(FUSE_CREATE, do_create, sizeof(struct fuse_create_in),
        ENTRY_OUT + OPEN_OUT),
    ROW(FUSE_INTERRUPT, do_interrupt, 0, 0),
    ROW(FUSE_DESTROY, fsrv__do_destroy, 0, 0),
    ROW(FUSE_IOCTL, do_ioctl, sizeof(struct fuse_ioctl_in),
        sizeof(struct fuse_ioctl_out)),
    ROW(FUSE_POLL, do_poll, sizeof(struct fuse_poll_in),
        sizeof(struct fuse_poll_out)),
    ROW(FUSE_NOTIFY_REPLY, do_notify_reply, 0, 0),
    ROW(FUSE_BATCH_FORGET, do_batch_forget, 0, 0),
    ROW(FUSE_FALLOCATE, do_fallocate, sizeof(struct fuse_fallocate_in), 0),
    ROW(FUSE_READDIRPLUS, do_readdir, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_RENAME2, do_rename2, sizeof(struct fuse_rename2_in), 0),
    ROW(FUSE_LSEEK, do_lseek, sizeof(struct fuse_lseek_in),
        sizeof(struct fuse_lseek_out)),
    ROW(FUSE_COPY_FILE_RANGE, do_copy_file_range,
        sizeof(struct fuse_copy_file_range_in), sizeof(struct fuse_write_out)),
    ROW(FUSE_SETUPMAPPING, do_setupmapping, sizeof(struct fuse_setupmapping_in),
        0),
    ROW(FUSE_REMOVEMAPPING, do_removemapping,
        sizeof(struct fuse_removemapping_in), 0),
    ROW(FUSE_SYNCFS, do_syncfs, sizeof(struct fuse_syncfs_in), 0),
    ROW(FUSE_TMPFILE, do_tmpfile, sizeof(struct fuse_create_in),
        ENTRY_OUT + OPEN_OUT),
};
