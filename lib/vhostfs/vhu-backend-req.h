/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend-req.h - the backend's sender on the backend request channel
 * (the socket received with SET_BACKEND_REQ_FD): DAX map and unmap
 * requests in either dialect, config change, vring call/err.
 *
 * Thread-safe: several queue threads may send at once; a mutex keeps each
 * request and its ack together.  With REPLY_ACK negotiated each request is
 * sent with NEED_REPLY and the call waits for the ack; the frontend's
 * reply is checked as hostile input.  Fds passed in are borrowed.
 * vhu_breq_free() must not run while a call is in progress.
 *
 * A frontend that never answers blocks the waiting call, and through the
 * mutex every other sender, until the frontend closes the channel.  To
 * bound the wait, set SO_RCVTIMEO on @fd before vhu_breq_new(): a wait
 * that runs out fails with VHU_E_SOCKET_BROKEN (ETIMEDOUT).  Any failure
 * after a request went out (no ack, a late, garbled or partial one) marks
 * the channel broken: every later call fails with VHU_E_SOCKET_BROKEN.
 */
#ifndef VHOSTFS_VHU_BACKEND_REQ_H
#define VHOSTFS_VHU_BACKEND_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu-proto.h"

struct vhu_breq;

/**
 * vhu_breq_new() - take ownership of channel socket @fd (also on failure).
 * @reply_ack: REPLY_ACK was negotiated; @dialect: which numbering.
 */
int vhu_breq_new(struct vhu_breq **out, int fd, bool reply_ack,
                 enum vhu_backend_dialect dialect);
void vhu_breq_free(struct vhu_breq *b);

/* fs-cache dialect (VHU_DIALECT_FS_CACHE only; else VHU_E_INVALID_OPERATION).
 */
int vhu_breq_fs_map(struct vhu_breq *b, const struct vhu_fs_backend_msg *m,
                    int fd);
int vhu_breq_fs_unmap(struct vhu_breq *b, const struct vhu_fs_backend_msg *m);
int vhu_breq_fs_sync(struct vhu_breq *b, const struct vhu_fs_backend_msg *m);
/* Returns the frontend's byte count (>= 0) or an error code. */
int64_t vhu_breq_fs_io(struct vhu_breq *b, const struct vhu_fs_backend_msg *m,
                       int fd);

/* upstream dialect (VHU_DIALECT_UPSTREAM only). */
int vhu_breq_shmem_map(struct vhu_breq *b, const struct vhu_shmem_map *m,
                       int fd);
int vhu_breq_shmem_unmap(struct vhu_breq *b, const struct vhu_shmem_map *m);

int vhu_breq_config_change(struct vhu_breq *b);
int vhu_breq_vring_call(struct vhu_breq *b, unsigned int index);
int vhu_breq_vring_err(struct vhu_breq *b, unsigned int index);

#endif /* VHOSTFS_VHU_BACKEND_REQ_H */
