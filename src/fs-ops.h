/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs-ops.h - the filesystem operations the FUSE server (fsrv_) calls.
 *
 * The server decodes and validates a FUSE request, calls one op of a
 * struct fs_ops, and writes the one reply itself: an op returns 0 or a
 * count >= 0 on success, -errno on failure, and never sees the wire
 * encoding beyond the <linux/fuse.h> result structs it fills in
 * (struct fuse_entry_out, fuse_attr_out, fuse_open_out, fuse_kstatfs,
 * fuse_file_lock), which avoid a conversion per reply.
 *
 * What the server has already checked before an op runs:
 *  - every name is NUL-terminated, 1..NAME_MAX bytes, holds no '/';
 *    "." and ".." reach only lookup (which must not climb above the
 *    shared root); symlink targets are 1..PATH_MAX-1 bytes;
 *  - sizes fit the request or the reply area (a read or readdir never asks
 *    for more than the reply can hold, nor more than max_write);
 *  - nothing about node ids and file handles: they come from the guest
 *    as they are, and the filesystem must refuse unknown or forged ones
 *    (-ENOENT / -EBADF), never trust them as pointers.
 *
 * An op left NULL is answered with ENOSYS (the kernel then stops asking
 * for most of them).  Ops may be called concurrently from several queue
 * threads, and setlk with @sleep from a thread of its own.
 *
 * Memory: names, values and iovecs passed to an op are borrowed for the
 * call only (they may point into guest memory: read them once).  Result
 * structs are zeroed by the server before the call.
 */
#ifndef VHOSTFS_FS_OPS_H
#define VHOSTFS_FS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/fuse.h>

/**
 * struct fs_ctx - who asks: the caller's credentials as the guest kernel
 * gives them (fuse_in_header), for the filesystem to switch to.
 * @unique: the request's id (for logs).
 * @nodeid: the request header's node id (what the op's @ino also is).
 * @uid:    fsuid of the calling process.
 * @gid:    fsgid of the calling process.
 * @pid:    thread group id of the caller (0 for kernel-internal requests).
 * @umask:  the caller's umask as sent with MKNOD, MKDIR, CREATE and TMPFILE
 *          (0 for the other ops).  The kernel has already applied it to
 *          the mode unless FUSE_DONT_MASK was negotiated; only then must
 *          the fs apply it.
 * @win:    READ and WRITE only: NULL, or how to reach the pieces of the
 *          buffer the daemon cannot map (struct fs_window_io).
 */
struct fs_window_io;

struct fs_ctx {
    uint64_t unique;
    uint64_t nodeid;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    mode_t umask;
    const struct fs_window_io *win;
};

/**
 * struct fs_window_io - how READ and WRITE reach guest memory the daemon
 * cannot map: a guest with a DAX window may read a file into (or write it
 * from) a buffer that is itself in the window, which the VMM keeps to
 * itself.  fs_ctx.win is NULL unless the iovecs given to read/write have
 * such pieces: those have iov_base NULL, and @gpa (parallel to the
 * iovecs) holds their guest-physical addresses.  The fs moves their bytes
 * with @io, which asks the VMM to do it (FS_IO), and does the others
 * itself as usual.
 * @gpa:    parallel to the op's iovecs; set where iov_base is NULL.
 * @io:     move @len bytes between @fd at @fd_off and guest-physical @gpa:
 *          into guest memory (@to_file false: a READ) or from it into the
 *          file.  Returns the bytes moved (short at end of file) or -errno.
 * @opaque: for @io.
 */
struct fs_window_io {
    const uint64_t *gpa;
    ssize_t (*io)(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                  uint64_t len, bool to_file);
    void *opaque;
};

/**
 * struct fs_init - INIT negotiation, given to fs_ops.init.
 * @proto_minor:  the kernel's protocol minor version (>= 7.27 here).
 * @kernel_flags: FUSE_* init flags the kernel offers (flags | flags2 << 32,
 *                so FUSE_SECURITY_CTX and FUSE_HAS_INODE_DAX fit).
 * @want:         in: what the server proposes (already a subset of
 *                @kernel_flags and of the daemon's options: e.g.
 *                FUSE_WRITEBACK_CACHE only when enabled, FUSE_MAP_ALIGNMENT
 *                and FUSE_HAS_INODE_DAX only with DAX); out: the fs clears
 *                the bits it cannot honour.  The server never adds bits
 *                after the call: what is left is what is replied and in
 *                force for the whole session.
 * @max_write:    the largest WRITE (and READ) the kernel will send.
 * @max_readahead: as negotiated.
 * @dax:          the daemon serves a DAX window (SETUPMAPPING and
 *                REMOVEMAPPING may come).
 */
struct fs_init {
    uint32_t proto_minor;
    uint64_t kernel_flags;
    uint64_t want;
    uint32_t max_write;
    uint32_t max_readahead;
    bool dax;
};

/*
 * Directory listings: the server owns the reply area and hands the op a
 * struct fs_dirbuf to fill.  These two functions are implemented by the
 * server (libfsrv); the fs only calls them.
 */
struct fs_dirbuf;

/**
 * fs_dirbuf_add() - append one directory entry to the reply.
 * @db:      the buffer given to readdir / readdirplus.
 * @name:    entry name (need not be NUL-terminated), @namelen bytes.
 * @ino:     inode number shown to the guest (d_ino).
 * @type:    DT_* type of the entry.
 * @off:     the offset the next READDIR continues from (telldir cookie).
 * @entry:   READDIRPLUS: the entry as a LOOKUP would return it (its
 *           nodeid counts as one lookup, except when nodeid is 0); NULL for
 *           READDIR, where it is ignored.
 *
 * Return: 0; -ENOSPC when the entry does not fit (nothing was written: the
 * fs stops there, returns 0, and in readdirplus undoes the lookup it made
 * for @entry); -EINVAL for an empty name or one longer than NAME_MAX.
 */
int fs_dirbuf_add(struct fs_dirbuf *db, const char *name, size_t namelen,
                  uint64_t ino, uint32_t type, uint64_t off,
                  const struct fuse_entry_out *entry);

/**
 * fs_dirbuf_fits() - whether an entry with a name of @namelen bytes would
 * still fit, so readdirplus can stop before it looks the entry up.
 */
bool fs_dirbuf_fits(const struct fs_dirbuf *db, size_t namelen);

/**
 * fs_dirbuf_is_plus() - whether @db builds a READDIRPLUS reply (entries
 * need a struct fuse_entry_out, and each counts a lookup).
 */
bool fs_dirbuf_is_plus(const struct fs_dirbuf *db);

/**
 * struct fs_ops - the filesystem below the server.  @fs, the first
 * argument of every op, is the pointer given to the server with the table.
 *
 * Node ids (@ino, @parent, ...) are fuse node ids: FUSE_ROOT_ID (1) is the
 * shared directory.  Ops that create a name fill @out (a struct
 * fuse_entry_out: nodeid, generation, entry/attr timeouts, attr) and count
 * one lookup of the node, which FORGET later gives back.  File handles
 * (@fh) are the fs's own 64-bit values from open/create/opendir.
 */
struct fs_ops {
    /* INIT: adjust @in->want (see struct fs_init). -errno fails INIT. */
    int (*init)(void *fs, struct fs_init *in);
    /* DESTROY, or the session ends: drop every node and handle. */
    void (*destroy)(void *fs);

    int (*lookup)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name, struct fuse_entry_out *out);
    /* FORGET and each entry of BATCH_FORGET; no reply is sent. */
    void (*forget)(void *fs, uint64_t ino, uint64_t nlookup);
    /* @fh is NULL unless the kernel named a handle (FUSE_GETATTR_FH). */
    int (*getattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   const uint64_t *fh, struct fuse_attr_out *out);
    /*
     * @in as received: @in->valid says which fields apply (FATTR_MODE,
     * _UID, _GID, _SIZE, _ATIME, _MTIME, _ATIME_NOW, _MTIME_NOW, _CTIME;
     * FATTR_FH: use @in->fh; FATTR_KILL_SUIDGID: clear suid/sgid as a
     * write by an unprivileged caller would).
     */
    int (*setattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   const struct fuse_setattr_in *in, struct fuse_attr_out *out);
    /* Fill @buf (not NUL-terminated); return the length. */
    int (*readlink)(void *fs, const struct fs_ctx *ctx, uint64_t ino, char *buf,
                    size_t size);
    int (*symlink)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                   const char *name, const char *target,
                   struct fuse_entry_out *out);
    int (*mknod)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, mode_t mode, dev_t rdev,
                 struct fuse_entry_out *out);
    int (*mkdir)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, mode_t mode, struct fuse_entry_out *out);
    int (*unlink)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name);
    int (*rmdir)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name);
    /* RENAME (@flags 0) and RENAME2: RENAME_NOREPLACE/EXCHANGE/WHITEOUT. */
    int (*rename)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name, uint64_t newparent, const char *newname,
                  uint32_t flags);
    int (*link)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                uint64_t newparent, const char *newname,
                struct fuse_entry_out *out);

    /*
     * @flags: open(2) flags from the guest (O_ACCMODE, O_APPEND, ...);
     * @open_flags: FUSE_OPEN_KILL_SUIDGID.  Fill @out->fh and
     * @out->open_flags (FOPEN_*).
     */
    int (*open)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                uint32_t flags, uint32_t open_flags, struct fuse_open_out *out);
    int (*create)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name, mode_t mode, uint32_t flags,
                  uint32_t open_flags, struct fuse_entry_out *entry,
                  struct fuse_open_out *out);
    /* O_TMPFILE in directory @parent: no name. */
    int (*tmpfile)(void *fs, const struct fs_ctx *ctx, uint64_t parent,
                   mode_t mode, uint32_t flags, uint32_t open_flags,
                   struct fuse_entry_out *entry, struct fuse_open_out *out);
    /*
     * READ straight into the reply: @iov (@iovcnt entries, at most
     * IOV_MAX) is guest memory, its total the size asked for (already
     * capped at max_write and at the room in the reply).  preadv() into
     * it (ctx->win: see struct fs_window_io); return the bytes read
     * (short at end of file).
     */
    ssize_t (*read)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, const struct iovec *iov,
                    int iovcnt);
    /*
     * WRITE straight from the request: @iov is the payload in guest
     * memory (total = fuse_write_in.size).  pwritev() from it (ctx->win:
     * see struct fs_window_io); return the bytes written.  @write_flags:
     * FUSE_WRITE_KILL_SUIDGID, FUSE_WRITE_CACHE, FUSE_WRITE_LOCKOWNER.
     */
    ssize_t (*write)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                     uint64_t fh, uint64_t offset, const struct iovec *iov,
                     int iovcnt, uint32_t write_flags);
    int (*flush)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 uint64_t lock_owner);
    /* @release_flags: FUSE_RELEASE_FLUSH, FUSE_RELEASE_FLOCK_UNLOCK. */
    int (*release)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, uint32_t flags, uint32_t release_flags,
                   uint64_t lock_owner);
    int (*fsync)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 bool datasync);
    int (*statfs)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                  struct fuse_kstatfs *out);

    /* @value: @size bytes, copied out of the request. */
    int (*setxattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    const char *name, const void *value, size_t size,
                    uint32_t flags, uint32_t setxattr_flags);
    /* @size 0: return the size needed; else fill @buf, return length. */
    int (*getxattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    const char *name, void *buf, size_t size);
    /* As getxattr: NUL-separated names. */
    int (*listxattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                     char *buf, size_t size);
    int (*removexattr)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       const char *name);

    int (*opendir)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint32_t flags, struct fuse_open_out *out);
    /*
     * READDIR / READDIRPLUS from @offset (0 or an @off given to
     * fs_dirbuf_add()).  Add entries until -ENOSPC or the end; return 0
     * (even after an error once something was added) or -errno.  The
     * two may be the same function, asking fs_dirbuf_is_plus() whether to
     * look entries up (and so count a lookup) for fs_dirbuf_add().
     */
    int (*readdir)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, uint64_t offset, struct fs_dirbuf *db);
    int (*readdirplus)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                       uint64_t fh, uint64_t offset, struct fs_dirbuf *db);
    int (*releasedir)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                      uint64_t fh, uint32_t flags);
    int (*fsyncdir)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, bool datasync);

    /* GETLK: the conflicting lock into @out (type F_UNLCK if none). */
    int (*getlk)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 uint64_t owner, const struct fuse_file_lock *lk,
                 struct fuse_file_lock *out);
    /*
     * SETLK (@sleep false) and SETLKW (@sleep true: may block until the
     * lock is granted; the server calls it so from a thread that may
     * block, never from a queue thread).  @lk_flags: FUSE_LK_FLOCK for
     * flock(2) locks, else POSIX record locks owned by @owner.
     */
    int (*setlk)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 uint64_t owner, const struct fuse_file_lock *lk,
                 uint32_t lk_flags, bool sleep);
    int (*access)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                  uint32_t mask);
    int (*fallocate)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                     uint64_t fh, uint64_t offset, uint64_t length,
                     uint32_t mode);
    /* SEEK_SET/CUR/END/DATA/HOLE: the resulting offset into @out. */
    int (*lseek)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 uint64_t offset, uint32_t whence, uint64_t *out);
    /* Return the bytes copied. */
    ssize_t (*copy_file_range)(void *fs, const struct fs_ctx *ctx,
                               uint64_t ino_in, uint64_t fh_in, uint64_t off_in,
                               uint64_t ino_out, uint64_t fh_out,
                               uint64_t off_out, uint64_t len, uint64_t flags);
    int (*syncfs)(void *fs, const struct fs_ctx *ctx, uint64_t ino);
    /*
     * Restricted ioctl (FUSE_IOCTL_UNRESTRICTED is refused by the server):
     * @in is @in_size bytes of input, @out room for @out_size bytes.
     * Set *@result (the ioctl's return value) and return the bytes of
     * @out filled, or -errno (-ENOTTY for commands not passed through).
     */
    int (*ioctl)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                 uint32_t flags, uint32_t cmd, const void *in, uint32_t in_size,
                 void *out, uint32_t out_size, int32_t *result);
    /* POLL: the ready events into *@revents (no notification support). */
    int (*poll)(void *fs, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint32_t events, uint32_t *revents);

    /*
     * DAX (only when struct fs_init.dax): map @len bytes of the file
     * open as @fh at @foffset to window offset @moffset
     * (FUSE_SETUPMAPPING_FLAG_READ/WRITE in @flags); unmap @count ranges.
     * Ranges are not checked against the window by the server.
     */
    int (*setupmapping)(void *fs, const struct fs_ctx *ctx, uint64_t ino,
                        uint64_t fh, uint64_t foffset, uint64_t len,
                        uint64_t flags, uint64_t moffset);
    int (*removemapping)(void *fs, const struct fs_ctx *ctx,
                         const struct fuse_removemapping_one *ranges,
                         uint32_t count);
};

#endif /* VHOSTFS_FS_OPS_H */
