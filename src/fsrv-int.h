/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-int.h - what fsrv.c (decode, INIT, dispatch, reply) and
 * fsrv-ops.c (one decoder per opcode) share.  Not for other layers.
 */
#ifndef VHOSTFS_FSRV_INT_H
#define VHOSTFS_FSRV_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "fsrv-cursor.h"
#include "fsrv.h"

struct fsrv {
    const struct fs_ops *ops; /* borrowed, read-only */
    void *fs;
    struct fsrv_opts opts; /* read-only after fsrv_new() */
    uint32_t max_write;    /* read-only after fsrv_new() */
    uint16_t max_pages;    /* read-only after fsrv_new() */
    /*
     * Session state, written by INIT and DESTROY only; the kernel sends
     * nothing else until INIT is answered, so a release store of
     * @initialized publishes @flags and @proto_minor.
     */
    atomic_bool initialized;
    _Atomic uint64_t flags;
    _Atomic uint32_t proto_minor;
    pthread_mutex_t lock;      /* protects @blocked and @waiting */
    unsigned int blocked;      /* SETLKW requests waiting; protected by @lock */
    struct lock_wait *waiting; /* their list; protected by @lock */
};

/* One request being served: header copied out, cursors on body/reply. */
struct fsrv_call {
    struct fsrv *srv;
    struct fsrv_req *req;
    struct fuse_in_header hdr; /* a copy: guest memory is read once */
    struct fs_ctx ctx;
    struct fsrv_cursor in;  /* the body after the header, within hdr.len */
    struct fsrv_cursor out; /* the reply after fuse_out_header */
};

/* Handler results besides 0 (reply with what was written) and -errno. */
#define FSRV_NO_REPLY (-0x10000)
#define FSRV_PENDING  (-0x10001)

typedef int (*fsrv_handler)(struct fsrv_call *c);

/* A row of the opcode table (fsrv-ops.c). */
struct fsrv_opdesc {
    fsrv_handler fn;
    const char *name;
    uint32_t in_size;  /* smallest body accepted */
    uint32_t out_size; /* fixed reply body the reply area must hold */
};

/* Largest opcode with a row in fsrv_optable. */
#define FSRV_MAX_OPCODE FUSE_TMPFILE

#define OPS(c)          ((c)->srv->ops)
#define FS(c)           ((c)->srv->fs)

/* Each op this file calls may be NULL: ENOSYS. */
#define NEED_OP(c, op)                                                         \
    do {                                                                       \
        if (!OPS(c)->op) {                                                     \
            return -ENOSYS;                                                    \
        }                                                                      \
    } while (0)

static inline int fsrv__get(struct fsrv_call *c, void *dst, size_t len)
{
    return fsrv_cursor_read(&c->in, dst, len);
}

static inline int fsrv__put(struct fsrv_call *c, const void *src, size_t len)
{
    return fsrv_cursor_write(&c->out, src, len) < 0 ? -EINVAL : 0;
}

/* Decoders, one per opcode (fsrv-ops.c, fsrv-ops-misc.c). */
int fsrv__do_access(struct fsrv_call *c);
int fsrv__do_batch_forget(struct fsrv_call *c);
int fsrv__do_copy_file_range(struct fsrv_call *c);
int fsrv__do_create(struct fsrv_call *c);
int fsrv__do_fallocate(struct fsrv_call *c);
int fsrv__do_flush(struct fsrv_call *c);
int fsrv__do_forget(struct fsrv_call *c);
int fsrv__do_fsync(struct fsrv_call *c);
int fsrv__do_getattr(struct fsrv_call *c);
int fsrv__do_getlk(struct fsrv_call *c);
int fsrv__do_getxattr(struct fsrv_call *c);
int fsrv__do_interrupt(struct fsrv_call *c);
int fsrv__do_ioctl(struct fsrv_call *c);
int fsrv__do_link(struct fsrv_call *c);
int fsrv__do_listxattr(struct fsrv_call *c);
int fsrv__do_lookup(struct fsrv_call *c);
int fsrv__do_lseek(struct fsrv_call *c);
int fsrv__do_mkdir(struct fsrv_call *c);
int fsrv__do_mknod(struct fsrv_call *c);
int fsrv__do_notify_reply(struct fsrv_call *c);
int fsrv__do_open(struct fsrv_call *c);
int fsrv__do_opendir(struct fsrv_call *c);
int fsrv__do_poll(struct fsrv_call *c);
int fsrv__do_read(struct fsrv_call *c);
int fsrv__do_readdir(struct fsrv_call *c);
int fsrv__do_readlink(struct fsrv_call *c);
int fsrv__do_release(struct fsrv_call *c);
int fsrv__do_releasedir(struct fsrv_call *c);
int fsrv__do_removemapping(struct fsrv_call *c);
int fsrv__do_removexattr(struct fsrv_call *c);
int fsrv__do_rename(struct fsrv_call *c);
int fsrv__do_rename2(struct fsrv_call *c);
int fsrv__do_rmdir(struct fsrv_call *c);
int fsrv__do_setattr(struct fsrv_call *c);
int fsrv__do_setlk(struct fsrv_call *c);
int fsrv__do_setupmapping(struct fsrv_call *c);
int fsrv__do_setxattr(struct fsrv_call *c);
int fsrv__do_statfs(struct fsrv_call *c);
int fsrv__do_symlink(struct fsrv_call *c);
int fsrv__do_syncfs(struct fsrv_call *c);
int fsrv__do_tmpfile(struct fsrv_call *c);
int fsrv__do_unlink(struct fsrv_call *c);
int fsrv__do_write(struct fsrv_call *c);

/* INIT, DESTROY and SETLKW live in fsrv.c. */
int fsrv__do_init(struct fsrv_call *c);
int fsrv__do_destroy(struct fsrv_call *c);
int fsrv__setlkw_defer(struct fsrv_call *c, uint64_t fh, uint64_t owner,
                       const struct fuse_file_lock *lk, uint32_t lk_flags);

/* INTERRUPT of request @unique: a waiting SETLKW is woken (fsrv.c). */
int fsrv__interrupt(struct fsrv *srv, uint64_t unique);

/* Session flags in force, with acquire ordering against INIT. */
uint64_t fsrv__flags(const struct fsrv_call *c);

#endif /* VHOSTFS_FSRV_INT_H */
