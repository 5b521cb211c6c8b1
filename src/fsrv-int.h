/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-int.h - what fsrv.c (decode, INIT, dispatch, reply) and
 * fsrv-ops.c (one decoder per opcode) share.  Not for other layers.
 */
#ifndef VHOSTFS_FSRV_INT_H
#define VHOSTFS_FSRV_INT_H

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
    pthread_mutex_t lock; /* protects @blocked */
    unsigned int blocked; /* SETLKW requests waiting; protected by @lock */
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

/* Indexed by opcode; rows with fn == NULL are unknown: ENOSYS. */
extern const struct fsrv_opdesc fsrv_optable[FSRV_MAX_OPCODE + 1];

/* INIT, DESTROY and SETLKW live in fsrv.c. */
int fsrv__do_init(struct fsrv_call *c);
int fsrv__do_destroy(struct fsrv_call *c);
int fsrv__setlkw_defer(struct fsrv_call *c, uint64_t fh, uint64_t owner,
                       const struct fuse_file_lock *lk, uint32_t lk_flags);

/* Session flags in force, with acquire ordering against INIT. */
uint64_t fsrv__flags(const struct fsrv_call *c);

#endif /* VHOSTFS_FSRV_INT_H */
