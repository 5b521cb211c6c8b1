/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-frontend.h - the frontend role (what a VMM does): one call per
 * request.
 *
 * The frontend remembers the protocol features it set; once REPLY_ACK is
 * among them, every request without a reply of its own is sent with
 * NEED_REPLY and the call waits for the ack, so a refused request returns
 * an error here.  SET_PROTOCOL_FEATURES is acked only when it keeps
 * REPLY_ACK (backends differ on which REPLY_ACK applies to it); otherwise
 * a backend refusing it closes the connection, which the next call sees.
 * Replies are checked as hostile input: the request code must echo the request,
 * REPLY must be set, the size must be exact. A refusal is VHU_E_REQ_HANDLER:
 * with the backend's errno when its ack carries a -errno, EIO for an empty
 * reply (a failed GET_*); a reply of the wrong form is VHU_E_INVALID_MESSAGE
 * (or VHU_E_INCORRECT_FDS).
 *
 * After a request that went out only in part, or a reply that did not come
 * whole, had a bad header or echoed another request, the stream is out of
 * step: vhu_frontend_is_broken() turns true and every later call fails with
 * VHU_E_SOCKET_BROKEN (the caller should close and reconnect).  A wait for
 * a reply is bounded only by SO_RCVTIMEO on the socket, if the caller set
 * one; a wait that runs out is VHU_E_SOCKET_BROKEN with ETIMEDOUT.
 *
 * Not thread-safe: one caller at a time (a VMM's control thread).
 * Fds passed in are borrowed; fds returned (get_inflight_fd) are the
 * caller's to close.
 */
#ifndef VHOSTFS_VHU_FRONTEND_H
#define VHOSTFS_VHU_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu-proto.h"

struct vhu_frontend;

/** vhu_frontend_new() - drive the backend on connected socket @fd (owned,
 *  also on failure), which has @max_queues queues at most. */
int vhu_frontend_new(struct vhu_frontend **out, int fd,
                     unsigned int max_queues);

/** vhu_frontend_connect() - connect to @path, then as vhu_frontend_new(). */
int vhu_frontend_connect(struct vhu_frontend **out, const char *path,
                         unsigned int max_queues);

void vhu_frontend_free(struct vhu_frontend *fe);
int vhu_frontend_fd(const struct vhu_frontend *fe);

/** vhu_frontend_is_broken() - whether the stream is out of step. */
bool vhu_frontend_is_broken(const struct vhu_frontend *fe);

/* One region of guest memory as the frontend sends it, with its fd. */
struct vhu_fe_region {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset;
    int fd;
};

int vhu_fe_set_owner(struct vhu_frontend *fe);
int vhu_fe_reset_owner(struct vhu_frontend *fe);
int vhu_fe_get_features(struct vhu_frontend *fe, uint64_t *features);
int vhu_fe_set_features(struct vhu_frontend *fe, uint64_t features);
int vhu_fe_get_protocol_features(struct vhu_frontend *fe, uint64_t *pf);
int vhu_fe_set_protocol_features(struct vhu_frontend *fe, uint64_t pf);
int vhu_fe_set_mem_table(struct vhu_frontend *fe,
                         const struct vhu_fe_region *regions, unsigned int n);
/* @fd < 0: no fd (the spec's pre-LOG_SHMFD form). */
int vhu_fe_set_log_base(struct vhu_frontend *fe, const struct vhu_log *log,
                        int fd);
int vhu_fe_set_log_fd(struct vhu_frontend *fe, int fd);
int vhu_fe_set_vring_num(struct vhu_frontend *fe, unsigned int index,
                         unsigned int num);
int vhu_fe_set_vring_addr(struct vhu_frontend *fe,
                          const struct vhost_vring_addr *addr);
int vhu_fe_set_vring_base(struct vhu_frontend *fe, unsigned int index,
                          unsigned int num);
int vhu_fe_get_vring_base(struct vhu_frontend *fe, unsigned int index,
                          unsigned int *num);
/* @fd < 0 sends the NOFD bit. */
int vhu_fe_set_vring_kick(struct vhu_frontend *fe, unsigned int index, int fd);
int vhu_fe_set_vring_call(struct vhu_frontend *fe, unsigned int index, int fd);
int vhu_fe_set_vring_err(struct vhu_frontend *fe, unsigned int index, int fd);
int vhu_fe_get_queue_num(struct vhu_frontend *fe, uint64_t *num);
int vhu_fe_set_vring_enable(struct vhu_frontend *fe, unsigned int index,
                            bool enable);
int vhu_fe_set_backend_req_fd(struct vhu_frontend *fe, int fd);
/* Reads @size bytes of config space at @offset into @buf. */
int vhu_fe_get_config(struct vhu_frontend *fe, uint32_t offset, uint32_t size,
                      uint32_t flags, void *buf);
int vhu_fe_set_config(struct vhu_frontend *fe, uint32_t offset, uint32_t size,
                      uint32_t flags, const void *buf);
/* @in: num_queues, queue_size; @out: the backend's answer; *fd: its memfd. */
int vhu_fe_get_inflight_fd(struct vhu_frontend *fe,
                           const struct vhu_inflight *in,
                           struct vhu_inflight *out, int *fd);
int vhu_fe_set_inflight_fd(struct vhu_frontend *fe,
                           const struct vhu_inflight *info, int fd);
int vhu_fe_get_max_mem_slots(struct vhu_frontend *fe, uint64_t *slots);
int vhu_fe_add_mem_reg(struct vhu_frontend *fe,
                       const struct vhu_fe_region *region);
int vhu_fe_rem_mem_reg(struct vhu_frontend *fe,
                       const struct vhu_fe_region *region);
int vhu_fe_reset_device(struct vhu_frontend *fe);
int vhu_fe_set_status(struct vhu_frontend *fe, uint8_t status);
int vhu_fe_get_status(struct vhu_frontend *fe, uint8_t *status);
int vhu_fe_get_shmem_config(struct vhu_frontend *fe,
                            struct vhu_shmem_config *cfg);
int vhu_fe_vring_kick(struct vhu_frontend *fe, unsigned int index);

/**
 * vhu_fe_send_raw() - send any header, payload and fds as they are, and,
 * when @reply is not NULL, read one message back into it (fds received
 * with it are closed).  For tests and protocol checks that must say
 * things a well-behaved frontend never says.
 *
 * The header goes out exactly as given (flags too: no version is added),
 * followed by hdr->size bytes of @payload, or by nothing when hdr->size is
 * over VHU_MAX_PAYLOAD (to announce a size nobody may send).  @reply is
 * not checked beyond framing.  It neither looks at nor changes whether the
 * frontend is broken.
 */
int vhu_fe_send_raw(struct vhu_frontend *fe, const struct vhu_msg_hdr *hdr,
                    const void *payload, const int *fds, unsigned int nfds,
                    struct vhu_msg *reply);

#endif /* VHOSTFS_VHU_FRONTEND_H */
