/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend.h - the backend role: run the frontend's requests against a
 * device.
 *
 * A device fills a struct vhu_backend_ops; the library reads each message,
 * validates it (vhu-msg.h), checks it against what was negotiated, calls
 * the op, and writes the reply: the type's own reply, or the REPLY_ACK ack
 * when the frontend asked for one.  A request whose op is NULL, or which
 * needs a protocol feature that was not negotiated, is refused like any
 * failure: with an error ack if the frontend asked for one, and a request
 * that must be answered gets a reply the frontend recognises as failed.
 * The frontend never waits for nothing.
 *
 * Fd ownership: ops get fds in an int array they may steal from (set the
 * entry to -1 to keep the fd); the library closes every entry still >= 0
 * after the op returns, on success and on failure alike.  An fd an op
 * hands back (get_inflight_fd's *fd) stays the device's: the library only
 * sends it.
 *
 * Ops return 0 or -errno.  The library turns a failure into
 * VHU_E_REQ_HANDLER carrying that errno; a NULL op fails the same way with
 * EOPNOTSUPP.  What negotiation forbids (a protocol feature not acked) is
 * VHU_E_INVALID_OPERATION, features not offered VHU_E_FEATURE_MISMATCH.
 * An error ack, and the u64 result of SET_LOG_BASE (with LOG_SHMFD),
 * IOTLB_MSG, POSTCOPY_END and CHECK_DEVICE_STATE, carries the failure's
 * -errno; a failed request with a reply of another form (GET_*) gets a
 * reply of size 0.
 */
#ifndef VHOSTFS_VHU_BACKEND_H
#define VHOSTFS_VHU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu-proto.h"

struct vhu_backend_ops {
    int (*set_owner)(void *dev);
    int (*reset_owner)(void *dev);
    /* Features the device offers; F_PROTOCOL_FEATURES is the device's. */
    int (*get_features)(void *dev, uint64_t *features);
    /* Only features that were offered reach this op. */
    int (*set_features)(void *dev, uint64_t features);
    int (*get_protocol_features)(void *dev, uint64_t *features);
    int (*set_protocol_features)(void *dev, uint64_t features);
    /* regions validated; fds[i] belongs to regions[i]. */
    int (*set_mem_table)(void *dev, const struct vhu_mem_region *regions,
                         int *fds, unsigned int n);
    int (*set_log_base)(void *dev, const struct vhu_log *log, int *fd);
    int (*set_log_fd)(void *dev, int *fd);
    int (*set_vring_num)(void *dev, unsigned int index, unsigned int num);
    int (*set_vring_addr)(void *dev, const struct vhost_vring_addr *addr);
    /* num: next avail index; packed rings carry the wrap bit (bit 15). */
    int (*set_vring_base)(void *dev, unsigned int index, unsigned int num);
    /* Stops the ring; *num as for set_vring_base. */
    int (*get_vring_base)(void *dev, unsigned int index, unsigned int *num);
    /* *fd == -1 when the frontend sent the NOFD bit. */
    int (*set_vring_kick)(void *dev, unsigned int index, int *fd);
    int (*set_vring_call)(void *dev, unsigned int index, int *fd);
    int (*set_vring_err)(void *dev, unsigned int index, int *fd);
    int (*get_queue_num)(void *dev, uint64_t *num);
    int (*set_vring_enable)(void *dev, unsigned int index, bool enable);
    /* The backend request channel's socket: see vhu_breq_new(). */
    int (*set_backend_req_fd)(void *dev, int *fd);
    /*
     * cfg->size (1..256) bytes at cfg->offset; fill cfg->payload.  The
     * library bounds offset + size only by 2^32: check it against the
     * device's config space.
     */
    int (*get_config)(void *dev, struct vhu_config *cfg);
    int (*set_config)(void *dev, const struct vhu_config *cfg);
    /* Fill *out (mmap_size, mmap_offset) and return the memfd in *fd. */
    int (*get_inflight_fd)(void *dev, const struct vhu_inflight *in,
                           struct vhu_inflight *out, int *fd);
    int (*set_inflight_fd)(void *dev, const struct vhu_inflight *in, int *fd);
    int (*get_max_mem_slots)(void *dev, uint64_t *slots);
    /* The region is checked alone; refuse overlaps and one too many. */
    int (*add_mem_reg)(void *dev, const struct vhu_mem_region *region, int *fd);
    /* Match by addresses and size: mmap_offset is unchecked, ignore it. */
    int (*rem_mem_reg)(void *dev, const struct vhu_mem_region *region);
    int (*reset_device)(void *dev);
    int (*set_status)(void *dev, uint8_t status);
    int (*get_status)(void *dev, uint8_t *status);
    int (*get_shmem_config)(void *dev, struct vhu_shmem_config *cfg);
    /* In-band notification (VRING_KICK, INBAND_NOTIFICATIONS). */
    int (*vring_kick)(void *dev, unsigned int index);
};

struct vhu_backend;

/**
 * vhu_backend_new() - serve the frontend on connected socket @fd (owned
 * from now on, also on failure) for device @dev with @max_queues queues.
 */
int vhu_backend_new(struct vhu_backend **out, int fd, unsigned int max_queues,
                    const struct vhu_backend_ops *ops, void *dev);

/** vhu_backend_free() - close the connection and free; NULL is a no-op. */
void vhu_backend_free(struct vhu_backend *be);

/** vhu_backend_fd() - the connection's fd, for poll(). */
int vhu_backend_fd(const struct vhu_backend *be);

/**
 * vhu_backend_handle_one() - read, validate, dispatch and answer one
 * message.
 *
 * Returns 0 when the message was handled, or an error code.  After a
 * socket error or a partial or oversized message the stream cannot be
 * trusted: vhu_backend_is_broken() turns true and the caller should stop.
 * So it does after a SET_PROTOCOL_FEATURES refused without REPLY_ACK (the
 * frontend could not learn of the refusal).  VHU_E_SOCKET_RETRY (a
 * non-blocking socket with nothing to read, or ENOMEM/ENOBUFS before the
 * first byte) means no message was read: call again.  Other errors
 * (unknown request, bad parameters or fds, an op failing) were answered,
 * and the connection goes on.
 */
int vhu_backend_handle_one(struct vhu_backend *be);

/** vhu_backend_is_broken() - whether the connection must be dropped. */
bool vhu_backend_is_broken(const struct vhu_backend *be);

/**
 * vhu_backend_run() - handle messages until the frontend disconnects (0)
 * or the connection breaks (the error that broke it).  For a blocking
 * socket: on a non-blocking one it would spin on VHU_E_SOCKET_RETRY.
 */
int vhu_backend_run(struct vhu_backend *be);

/* What was negotiated, for the device. */
uint64_t vhu_backend_features(const struct vhu_backend *be);
uint64_t vhu_backend_protocol_features(const struct vhu_backend *be);

#endif /* VHOSTFS_VHU_BACKEND_H */
