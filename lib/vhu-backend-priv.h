/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend-priv.h - what vhu-backend.c (the request loop) and
 * vhu-backend-dispatch.c (one handler per request code) share.  Not
 * installed.
 */
#ifndef VHOSTFS_VHU_BACKEND_PRIV_H
#define VHOSTFS_VHU_BACKEND_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu-backend.h"
#include "vhu-proto.h"

struct vhu_backend {
    int fd;
    bool broken; /* the stream is out of step: stop */
    unsigned int max_queues;
    uint32_t max_mem_slots;
    const struct vhu_backend_ops *ops;
    void *dev;
    uint64_t features; /* acked with a successful SET_FEATURES */
    uint64_t pf;       /* acked with a successful SET_PROTOCOL_FEATURES */
    /* One message at a time: no allocation and no 4 KiB stack frames. */
    struct vhu_msg req;
    struct vhu_msg reply;
};

/*
 * One request on its way through a handler.  fds are the message's (the
 * handler passes them to the op, which may steal them); the handler writes
 * the reply payload at reply->p and its size in reply_size.
 */
struct vhu_be_call {
    const struct vhu_msg *req;
    int *fds;
    unsigned int nfds;
    struct vhu_msg *reply;
    uint32_t reply_size;
    int reply_fd; /* borrowed from the device; -1 if none */
};

/* Returns 0 or an error code; -errno of an op goes through vhu__op_rc(). */
typedef int (*vhu_be_handler)(struct vhu_backend *be, struct vhu_be_call *c);

/** vhu__be_handler() - the handler of request @code, NULL if none. */
vhu_be_handler vhu__be_handler(uint32_t code);

/** vhu__op_rc() - an op's 0 / -errno as a library code (REQ_HANDLER). */
int vhu__op_rc(int rc);

#endif /* VHOSTFS_VHU_BACKEND_PRIV_H */
