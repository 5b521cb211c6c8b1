/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-frontend-handler.h - the frontend's side of the backend request
 * channel: it receives the requests the backend initiates (DAX map and
 * unmap, config change, vring call/err) and answers them.
 *
 * Security model: the backend is not trusted.  Every message is validated
 * (vhu_msg_validate_breq()) before an op sees it; a request whose op is
 * NULL, or that is unknown in the chosen dialect, is refused with an error
 * ack, never a crash.  Fds: ops may steal (set to -1); the rest are closed.
 *
 * Ack value (sent when the backend set NEED_REPLY, and always for a
 * request with a reply of its own, which no op serves yet): 0 on success,
 * the op's count for FS_IO, and the op's -errno as a u64 on failure.
 */
#ifndef VHOSTFS_VHU_FRONTEND_HANDLER_H
#define VHOSTFS_VHU_FRONTEND_HANDLER_H

#include <stdint.h>

#include "vhu-proto.h"

struct vhu_frontend_req_ops {
    /* fs-cache dialect; @fd: the file the entries refer to. */
    int (*fs_map)(void *ctx, const struct vhu_fs_backend_msg *m, int *fd);
    int (*fs_unmap)(void *ctx, const struct vhu_fs_backend_msg *m);
    int (*fs_sync)(void *ctx, const struct vhu_fs_backend_msg *m);
    /* Returns bytes transferred (>= 0) or -errno. */
    int64_t (*fs_io)(void *ctx, const struct vhu_fs_backend_msg *m, int *fd);
    /* upstream dialect */
    int (*shmem_map)(void *ctx, const struct vhu_shmem_map *m, int *fd);
    int (*shmem_unmap)(void *ctx, const struct vhu_shmem_map *m);
    /* both; @index < 256 but not checked against the queues: check it. */
    int (*config_change)(void *ctx);
    int (*vring_call)(void *ctx, unsigned int index);
    int (*vring_err)(void *ctx, unsigned int index);
};

struct vhu_frontend_handler;

/**
 * vhu_frontend_handler_new() - make a socket pair: the handler keeps one
 * end and stores the other in *@peer_fd, to be sent with
 * vhu_fe_set_backend_req_fd() and then closed by the caller.
 */
int vhu_frontend_handler_new(struct vhu_frontend_handler **out,
                             enum vhu_backend_dialect dialect,
                             const struct vhu_frontend_req_ops *ops, void *ctx,
                             int *peer_fd);

void vhu_frontend_handler_free(struct vhu_frontend_handler *h);

/** The handler's fd, for poll(). */
int vhu_frontend_handler_fd(const struct vhu_frontend_handler *h);

/**
 * vhu_frontend_handler_handle_one() - receive, validate, dispatch and ack
 * one backend request.  0 when handled (also when refused with an error
 * ack); VHU_E_SOCKET_RETRY when nothing was read (a non-blocking socket):
 * call again; any other error code when the channel broke.
 */
int vhu_frontend_handler_handle_one(struct vhu_frontend_handler *h);

#endif /* VHOSTFS_VHU_FRONTEND_HANDLER_H */
