/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-ops-misc.c - FUSE decoders: xattrs, directory listings, locks,
 * and the less common operations (fallocate to DAX mappings).
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

/* Largest ioctl argument: _IOC_SIZE() has 14 bits. */
#define FSRV_IOCTL_MAX 16384

/* An xattr name: 1..XATTR_NAME_MAX bytes (ERANGE as setxattr(2) says). */
static int get_xattr_name(struct fsrv_call *c, char *buf)
{
    int n = fsrv_cursor_read_str(&c->in, buf, XATTR_NAME_MAX + 1);

    if (n == -ENAMETOOLONG || n == 0) {
        return -ERANGE;
    }
    return n < 0 ? n : 0;
}

int fsrv__do_setxattr(struct fsrv_call *c)
{
    struct fuse_setxattr_in in;
    char name[XATTR_NAME_MAX + 1];
    void *value, *copy = NULL;
    int rc;

    NEED_OP(c, setxattr);
    /* The 16-byte struct only with FUSE_SETXATTR_EXT (fuse.h, 7.33). */
    if (fsrv__flags(c) & FUSE_SETXATTR_EXT) {
        rc = fsrv__get(c, &in, sizeof(in));
    } else {
        memset(&in, 0, sizeof(in));
        rc = fsrv__get(c, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
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
        fsrv__get(c, copy, in.size);
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
    fsrv__get(c, &in, sizeof(in));
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
        return fsrv__put(c, &out, sizeof(out));
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
            rc = fsrv__put(c, copy, (size_t)rc);
        } else {
            fsrv_cursor_skip(&c->out, (size_t)rc);
            rc = 0;
        }
    }
    free(copy);
    return rc;
}

int fsrv__do_getxattr(struct fsrv_call *c)
{
    return xattr_get_common(c, false);
}

int fsrv__do_listxattr(struct fsrv_call *c)
{
    return xattr_get_common(c, true);
}

int fsrv__do_removexattr(struct fsrv_call *c)
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

int fsrv__do_opendir(struct fsrv_call *c)
{
    struct fuse_open_in in;
    struct fuse_open_out out;
    int rc;

    NEED_OP(c, opendir);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->opendir(FS(c), &c->ctx, c->hdr.nodeid, in.flags, &out);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
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

int fsrv__do_readdir(struct fsrv_call *c)
{
    struct fuse_read_in in;
    struct fs_dirbuf db;
    bool plus = c->hdr.opcode == FUSE_READDIRPLUS;
    int rc;

    if (plus ? !OPS(c)->readdirplus : !OPS(c)->readdir) {
        return -ENOSYS;
    }
    fsrv__get(c, &in, sizeof(in));
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

int fsrv__do_getlk(struct fsrv_call *c)
{
    struct fuse_lk_in in;
    struct fuse_lk_out out;
    int rc;

    NEED_OP(c, getlk);
    fsrv__get(c, &in, sizeof(in));
    if (!lock_type_ok(in.lk.type)) {
        return -EINVAL;
    }
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->getlk(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.owner, &in.lk,
                       &out.lk);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_setlk(struct fsrv_call *c)
{
    struct fuse_lk_in in;

    NEED_OP(c, setlk);
    fsrv__get(c, &in, sizeof(in));
    if (!lock_type_ok(in.lk.type)) {
        return -EINVAL;
    }
    if (c->hdr.opcode == FUSE_SETLKW && in.lk.type != F_UNLCK) {
        return fsrv__setlkw_defer(c, in.fh, in.owner, &in.lk, in.lk_flags);
    }
    return OPS(c)->setlk(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.owner, &in.lk,
                         in.lk_flags, false);
}

int fsrv__do_access(struct fsrv_call *c)
{
    struct fuse_access_in in;

    NEED_OP(c, access);
    fsrv__get(c, &in, sizeof(in));
    return OPS(c)->access(FS(c), &c->ctx, c->hdr.nodeid, in.mask);
}

/*
 * INTERRUPT (fuse.h, "Interrupting requests"): virtio-fs guests do not
 * send it.  On /dev/fuse the only request that waits is SETLKW: with an
 * interrupt signal configured its thread is signalled, its fcntl() ends
 * with EINTR and that is its reply.  Otherwise there is nothing to stop,
 * and no reply (the kernel needs none).
 */
int fsrv__do_interrupt(struct fsrv_call *c)
{
    struct fuse_interrupt_in in;

    if (fsrv__get(c, &in, sizeof(in)) < 0) {
        return FSRV_NO_REPLY;
    }
    return fsrv__interrupt(c->srv, in.unique);
}

/* A reply to a notification we never send: no answer either. */
int fsrv__do_notify_reply(struct fsrv_call *c)
{
    (void)c;
    return FSRV_NO_REPLY;
}

int fsrv__do_fallocate(struct fsrv_call *c)
{
    struct fuse_fallocate_in in;

    NEED_OP(c, fallocate);
    fsrv__get(c, &in, sizeof(in));
    return OPS(c)->fallocate(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset,
                             in.length, in.mode);
}

int fsrv__do_lseek(struct fsrv_call *c)
{
    struct fuse_lseek_in in;
    struct fuse_lseek_out out;
    int rc;

    NEED_OP(c, lseek);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->lseek(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.offset,
                       in.whence, &out.offset);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_copy_file_range(struct fsrv_call *c)
{
    struct fuse_copy_file_range_in in;
    struct fuse_write_out out;
    ssize_t n;

    NEED_OP(c, copy_file_range);
    fsrv__get(c, &in, sizeof(in));
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
    return fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_syncfs(struct fsrv_call *c)
{
    NEED_OP(c, syncfs);
    return OPS(c)->syncfs(FS(c), &c->ctx, c->hdr.nodeid);
}

int fsrv__do_ioctl(struct fsrv_call *c)
{
    struct fuse_ioctl_in in;
    struct fuse_ioctl_out out;
    char ibuf[FSRV_IOCTL_MAX], obuf[FSRV_IOCTL_MAX];
    int rc;

    NEED_OP(c, ioctl);
    fsrv__get(c, &in, sizeof(in));
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
    fsrv__get(c, ibuf, in.in_size);
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->ioctl(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.flags, in.cmd,
                       ibuf, in.in_size, obuf, in.out_size, &out.result);
    if (rc < 0) {
        return rc;
    }
    if ((uint32_t)rc > in.out_size) {
        return -EIO;
    }
    fsrv__put(c, &out, sizeof(out));
    return fsrv__put(c, obuf, (size_t)rc);
}

int fsrv__do_poll(struct fsrv_call *c)
{
    struct fuse_poll_in in;
    struct fuse_poll_out out;
    int rc;

    NEED_OP(c, poll);
    fsrv__get(c, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    rc = OPS(c)->poll(FS(c), &c->ctx, c->hdr.nodeid, in.fh, in.events,
                      &out.revents);
    return rc < 0 ? rc : fsrv__put(c, &out, sizeof(out));
}

int fsrv__do_setupmapping(struct fsrv_call *c)
{
    struct fuse_setupmapping_in in;

    if (!c->srv->opts.dax) {
        return -ENOSYS;
    }
    NEED_OP(c, setupmapping);
    fsrv__get(c, &in, sizeof(in));
    return OPS(c)->setupmapping(FS(c), &c->ctx, c->hdr.nodeid, in.fh,
                                in.foffset, in.len, in.flags, in.moffset);
}

int fsrv__do_removemapping(struct fsrv_call *c)
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
    fsrv__get(c, &in, sizeof(in));
    if ((uint64_t)in.count * sizeof(ranges[0]) > fsrv_cursor_left(&c->in)) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < in.count && rc >= 0; i += n) {
        n = in.count - i;
        if (n > sizeof(ranges) / sizeof(ranges[0])) {
            n = sizeof(ranges) / sizeof(ranges[0]);
        }
        fsrv__get(c, ranges, n * sizeof(ranges[0]));
        rc = OPS(c)->removemapping(FS(c), &c->ctx, ranges, n);
    }
    return rc;
}
