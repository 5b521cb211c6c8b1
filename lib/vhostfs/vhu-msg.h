/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-msg.h - pure parsing and validation of vhost-user messages.
 *
 * No I/O, no allocation, no state: every function looks only at the bytes
 * and fd count it is given, so each can be fuzzed alone.  A handler sees a
 * message body only after vhu_msg_validate() accepted it: exact payload
 * size for its type, fd count within the type's allow-list, queue index
 * below the device's maximum, ring size a power of two <= 32768, memory
 * regions that neither overflow nor overlap.
 */
#ifndef VHOSTFS_VHU_MSG_H
#define VHOSTFS_VHU_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhu-proto.h"

/* How a request is answered (spec: "Communication"). */
enum vhu_reply {
    VHU_REPLY_NONE = 0, /* only an ack, and only if NEED_REPLY + REPLY_ACK */
    VHU_REPLY_ALWAYS,   /* the type has its own reply (GET_*); on failure
                           it has size 0 */
    VHU_REPLY_IF_PF,    /* a u64 result if a protocol feature says so
                           (SET_LOG_BASE with LOG_SHMFD) */
    VHU_REPLY_RESULT,   /* always a u64 result, 0 or nonzero (IOTLB_MSG,
                           POSTCOPY_END, CHECK_DEVICE_STATE) */
};

/* One row of the request table: what a message of this code may be. */
struct vhu_req_info {
    const char *name;  /* "SET_MEM_TABLE" */
    uint16_t min_size; /* payload bytes; == max_size means exact */
    uint16_t max_size;
    uint8_t min_fds; /* fds the message may carry */
    uint8_t max_fds;
    uint8_t reply;   /* enum vhu_reply */
    int8_t needs_pf; /* protocol feature it requires, or -1 */
};

/** vhu_req_info() - table row for frontend request @code, NULL if unknown. */
const struct vhu_req_info *vhu_req_info(uint32_t code);

/**
 * vhu_breq_info() - table row for backend request @code in @dialect, NULL
 * if unknown in that dialect.
 */
const struct vhu_req_info *vhu_breq_info(uint32_t code,
                                         enum vhu_backend_dialect dialect);

/** vhu_req_name() - "GET_FEATURES", or "UNKNOWN" for codes not in table. */
const char *vhu_req_name(uint32_t code);

/**
 * vhu_breq_name() - name of backend request @code in @dialect ("FS_MAP"),
 * or "UNKNOWN".
 */
const char *vhu_breq_name(uint32_t code, enum vhu_backend_dialect dialect);

/**
 * vhu_msg_check_hdr() - check a received header before its payload is read:
 * version 1, no unknown flag bits, REPLY set exactly when @want_reply,
 * size <= VHU_MAX_PAYLOAD.  Returns 0, VHU_E_OVERSIZED_MSG for a size over
 * the limit, VHU_E_INVALID_MESSAGE otherwise.
 */
int vhu_msg_check_hdr(const struct vhu_msg_hdr *hdr, bool want_reply);

/*
 * What the receiver knows when it validates a body.  How many regions
 * ADD_MEM_REG may add up to is state, not a property of one message: the
 * device counts them.
 */
struct vhu_msg_limits {
    uint32_t max_queues; /* queue index must be below this */
};

/**
 * vhu_msg_validate() - validate a frontend request whose header passed
 * vhu_msg_check_hdr(), with @nfds fds attached.
 *
 * Unknown code: VHU_E_INVALID_MESSAGE.  Wrong size: VHU_E_INVALID_MESSAGE.
 * Fd count outside the allow-list (for SET_VRING_KICK/CALL/ERR it depends on
 * the NOFD bit; for SET_MEM_TABLE it equals nregions): VHU_E_INCORRECT_FDS.
 * Queue index >= limits->max_queues, ring size 0, not a power of two or over
 * 32768, bad memory regions: VHU_E_INVALID_PARAM.  A size over
 * VHU_MAX_PAYLOAD: VHU_E_OVERSIZED_MSG.  @limits NULL means no queues (every
 * queue index is refused).  Protocol features are not checked here: the
 * caller compares vhu_req_info()->needs_pf with what was negotiated.
 */
int vhu_msg_validate(const struct vhu_msg *msg, unsigned int nfds,
                     const struct vhu_msg_limits *limits);

/**
 * vhu_msg_validate_breq() - the same for a backend request received by the
 * frontend in @dialect.  Entries of FS_* messages with len != 0 must not
 * overflow (offset + len); SHMEM_MAP needs exactly one fd; the queue index
 * of VRING_CALL/ERR is below 256 (the 8 bits queues are addressed with),
 * not checked against any device's queue count.
 */
int vhu_msg_validate_breq(const struct vhu_msg *msg, unsigned int nfds,
                          enum vhu_backend_dialect dialect);

/**
 * vhu_fs_msg_check() - the entries of an FS_* message: those with len != 0
 * have fd_offset + len and cache_offset + len that do not wrap and only
 * the MAP_R/MAP_W flags.  With @total, their lengths must also add up
 * without wrapping, and the sum is stored there (what FS_IO may move).
 * Both ends use it: the frontend on what it receives, the backend before
 * it sends.
 */
int vhu_fs_msg_check(const struct vhu_fs_backend_msg *fs, uint64_t *total);

/**
 * vhu_shmem_map_check() - a SHMEM_MAP (@map) or SHMEM_UNMAP body: len != 0,
 * shm_offset + len that does not wrap; for a map also fd_offset + len, and
 * no flag but WRITABLE.
 */
int vhu_shmem_map_check(const struct vhu_shmem_map *m, bool map);

/**
 * vhu_mem_region_check() - one region: size != 0, and guest_phys_addr,
 * userspace_addr and mmap_offset + size do not overflow.
 */
int vhu_mem_region_check(const struct vhu_mem_region *r);

/**
 * vhu_mem_regions_check() - @n regions each pass vhu_mem_region_check()
 * and no two overlap in guest-physical space.
 */
int vhu_mem_regions_check(const struct vhu_mem_region *r, unsigned int n);

/** vhu_ring_size_ok() - 1 <= @num <= 32768 and a power of two. */
bool vhu_ring_size_ok(uint32_t num);

#endif /* VHOSTFS_VHU_MSG_H */
