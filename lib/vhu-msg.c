/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-msg.c - what a vhost-user message may be, and the checks that a
 * received one is that.
 *
 * Security model: every field of a received message is hostile.  The
 * frontend (the VMM) and, in the other direction, the backend may send
 * any code, any flags, any size and any number of fds, and may lie in
 * every count, index, address and offset of the payload.  Nothing here
 * trusts them:
 *
 *  - the header must be version 1 with no unknown flag bits, REPLY set only
 *    on replies, and a size of at most VHU_MAX_PAYLOAD;
 *  - each request code has one row in a table giving its exact (or its
 *    smallest and largest) payload size and how many fds it may carry; a
 *    body is looked at only once its size matched the row;
 *  - counts inside a body (SET_MEM_TABLE nregions, GET/SET_CONFIG size)
 *    must agree with the size of the body and with the fds that came;
 *  - queue indexes are below the device's maximum, ring sizes are powers of
 *    two up to 32768, and every "address + length" or "offset + length" is
 *    computed with __builtin_add_overflow and refused if it wraps;
 *  - memory regions are non-empty and do not overlap in guest-physical
 *    space, so a guest address resolves to one region only.
 *
 * Fds are only counted here; closing the ones a message may not keep is the
 * caller's job (vhu_recv() and the role that dispatches the message).
 * Nothing here does I/O, allocates, or keeps state.
 */
#include <stddef.h>
#include <string.h>

#include "vhu-error.h"
#include "vhu-msg.h"

/* Linux 5.10 UAPI; older headers lack them. */
#ifndef VHOST_IOTLB_BATCH_BEGIN
#define VHOST_IOTLB_BATCH_BEGIN 5
#define VHOST_IOTLB_BATCH_END   6
#endif

#define PF(f) ((int8_t)VHU_PF_##f)
#define NO_PF ((int8_t)-1)

/* One row: name, payload size range, fd range, reply kind, feature. */
#define ROW(nm, lo, hi, flo, fhi, rep, pf)                                     \
    {                                                                          \
        .name = (nm), .min_size = (lo), .max_size = (hi), .min_fds = (flo),    \
        .max_fds = (fhi), .reply = VHU_REPLY_##rep, .needs_pf = (pf)           \
    }

#define U64  ((uint16_t)sizeof(uint64_t))
#define VST  ((uint16_t)sizeof(struct vhost_vring_state))
#define MREG ((uint16_t)sizeof(struct vhu_mem_single))

/*
 * Frontend -> backend requests (spec: "Front-end message types").  Codes
 * with one fd to pass a ring eventfd allow 0..1 here; the NOFD bit of the
 * payload then decides (vhu_msg_validate()).
 */
static const struct vhu_req_info req_table[VHU_REQ_MAX] = {
    [VHU_REQ_GET_FEATURES] = ROW("GET_FEATURES", 0, 0, 0, 0, ALWAYS, NO_PF),
    [VHU_REQ_SET_FEATURES] = ROW("SET_FEATURES", U64, U64, 0, 0, NONE, NO_PF),
    [VHU_REQ_SET_OWNER] = ROW("SET_OWNER", 0, 0, 0, 0, NONE, NO_PF),
    [VHU_REQ_RESET_OWNER] = ROW("RESET_OWNER", 0, 0, 0, 0, NONE, NO_PF),
    [VHU_REQ_SET_MEM_TABLE] = ROW("SET_MEM_TABLE", VHU_MEM_TABLE_SIZE(0),
                                  VHU_MEM_TABLE_SIZE(VHU_MEM_BASELINE_NREGIONS),
                                  0, VHU_MEM_BASELINE_NREGIONS, NONE, NO_PF),
    [VHU_REQ_SET_LOG_BASE] =
        ROW("SET_LOG_BASE", sizeof(struct vhu_log), sizeof(struct vhu_log), 1,
            1, IF_PF, PF(LOG_SHMFD)),
    [VHU_REQ_SET_LOG_FD] = ROW("SET_LOG_FD", 0, 0, 1, 1, NONE, PF(LOG_SHMFD)),
    [VHU_REQ_SET_VRING_NUM] = ROW("SET_VRING_NUM", VST, VST, 0, 0, NONE, NO_PF),
    [VHU_REQ_SET_VRING_ADDR] =
        ROW("SET_VRING_ADDR", sizeof(struct vhost_vring_addr),
            sizeof(struct vhost_vring_addr), 0, 0, NONE, NO_PF),
    [VHU_REQ_SET_VRING_BASE] =
        ROW("SET_VRING_BASE", VST, VST, 0, 0, NONE, NO_PF),
    [VHU_REQ_GET_VRING_BASE] =
        ROW("GET_VRING_BASE", VST, VST, 0, 0, ALWAYS, NO_PF),
    [VHU_REQ_SET_VRING_KICK] =
        ROW("SET_VRING_KICK", U64, U64, 0, 1, NONE, NO_PF),
    [VHU_REQ_SET_VRING_CALL] =
        ROW("SET_VRING_CALL", U64, U64, 0, 1, NONE, NO_PF),
    [VHU_REQ_SET_VRING_ERR] = ROW("SET_VRING_ERR", U64, U64, 0, 1, NONE, NO_PF),
    [VHU_REQ_GET_PROTOCOL_FEATURES] =
        ROW("GET_PROTOCOL_FEATURES", 0, 0, 0, 0, ALWAYS, NO_PF),
    [VHU_REQ_SET_PROTOCOL_FEATURES] =
        ROW("SET_PROTOCOL_FEATURES", U64, U64, 0, 0, NONE, NO_PF),
    [VHU_REQ_GET_QUEUE_NUM] = ROW("GET_QUEUE_NUM", 0, 0, 0, 0, ALWAYS, PF(MQ)),
    [VHU_REQ_SET_VRING_ENABLE] =
        ROW("SET_VRING_ENABLE", VST, VST, 0, 0, NONE, NO_PF),
    [VHU_REQ_SEND_RARP] = ROW("SEND_RARP", U64, U64, 0, 0, NONE, PF(RARP)),
    [VHU_REQ_NET_SET_MTU] = ROW("NET_SET_MTU", U64, U64, 0, 0, NONE, PF(MTU)),
    [VHU_REQ_SET_BACKEND_REQ_FD] =
        ROW("SET_BACKEND_REQ_FD", 0, 0, 1, 1, NONE, PF(BACKEND_REQ)),
    [VHU_REQ_IOTLB_MSG] =
        ROW("IOTLB_MSG", sizeof(struct vhost_iotlb_msg),
            sizeof(struct vhost_iotlb_msg), 0, 0, RESULT, NO_PF),
    [VHU_REQ_SET_VRING_ENDIAN] =
        ROW("SET_VRING_ENDIAN", VST, VST, 0, 0, NONE, PF(CROSS_ENDIAN)),
    [VHU_REQ_GET_CONFIG] = ROW("GET_CONFIG", VHU_CONFIG_HDR_SIZE,
                               VHU_CONFIG_HDR_SIZE + VHU_MAX_CONFIG_SIZE, 0, 0,
                               ALWAYS, PF(CONFIG)),
    [VHU_REQ_SET_CONFIG] =
        ROW("SET_CONFIG", VHU_CONFIG_HDR_SIZE,
            VHU_CONFIG_HDR_SIZE + VHU_MAX_CONFIG_SIZE, 0, 0, NONE, PF(CONFIG)),
    /* Crypto session setup: variable, device-specific; only bounded. */
    [VHU_REQ_CREATE_CRYPTO_SESSION] =
        ROW("CREATE_CRYPTO_SESSION", U64, VHU_MAX_PAYLOAD, 0, 0, ALWAYS,
            PF(CRYPTO_SESSION)),
    [VHU_REQ_CLOSE_CRYPTO_SESSION] =
        ROW("CLOSE_CRYPTO_SESSION", U64, U64, 0, 0, NONE, PF(CRYPTO_SESSION)),
    [VHU_REQ_POSTCOPY_ADVISE] =
        ROW("POSTCOPY_ADVISE", 0, 0, 0, 0, ALWAYS, PF(PAGEFAULT)),
    [VHU_REQ_POSTCOPY_LISTEN] =
        ROW("POSTCOPY_LISTEN", 0, 0, 0, 0, NONE, PF(PAGEFAULT)),
    [VHU_REQ_POSTCOPY_END] =
        ROW("POSTCOPY_END", 0, 0, 0, 0, RESULT, PF(PAGEFAULT)),
    [VHU_REQ_GET_INFLIGHT_FD] =
        ROW("GET_INFLIGHT_FD", VHU_INFLIGHT_SIZE_PACKED,
            sizeof(struct vhu_inflight), 0, 0, ALWAYS, PF(INFLIGHT_SHMFD)),
    [VHU_REQ_SET_INFLIGHT_FD] =
        ROW("SET_INFLIGHT_FD", VHU_INFLIGHT_SIZE_PACKED,
            sizeof(struct vhu_inflight), 1, 1, NONE, PF(INFLIGHT_SHMFD)),
    [VHU_REQ_GPU_SET_SOCKET] = ROW("GPU_SET_SOCKET", 0, 0, 1, 1, NONE, NO_PF),
    [VHU_REQ_RESET_DEVICE] =
        ROW("RESET_DEVICE", 0, 0, 0, 0, NONE, PF(RESET_DEVICE)),
    [VHU_REQ_VRING_KICK] =
        ROW("VRING_KICK", VST, VST, 0, 0, NONE, PF(INBAND_NOTIFICATIONS)),
    [VHU_REQ_GET_MAX_MEM_SLOTS] =
        ROW("GET_MAX_MEM_SLOTS", 0, 0, 0, 0, ALWAYS, PF(CONFIGURE_MEM_SLOTS)),
    [VHU_REQ_ADD_MEM_REG] =
        ROW("ADD_MEM_REG", MREG, MREG, 1, 1, NONE, PF(CONFIGURE_MEM_SLOTS)),
    /* Spec: a REM_MEM_REG fd is tolerated (and closed unused). */
    [VHU_REQ_REM_MEM_REG] =
        ROW("REM_MEM_REG", MREG, MREG, 0, 1, NONE, PF(CONFIGURE_MEM_SLOTS)),
    [VHU_REQ_SET_STATUS] = ROW("SET_STATUS", U64, U64, 0, 0, NONE, PF(STATUS)),
    [VHU_REQ_GET_STATUS] = ROW("GET_STATUS", 0, 0, 0, 0, ALWAYS, PF(STATUS)),
    [VHU_REQ_GET_SHARED_OBJECT] =
        ROW("GET_SHARED_OBJECT", 16, 16, 0, 0, ALWAYS, PF(SHARED_OBJECT)),
    [VHU_REQ_SET_DEVICE_STATE_FD] =
        ROW("SET_DEVICE_STATE_FD", sizeof(struct vhu_device_state),
            sizeof(struct vhu_device_state), 1, 1, ALWAYS, PF(DEVICE_STATE)),
    [VHU_REQ_CHECK_DEVICE_STATE] =
        ROW("CHECK_DEVICE_STATE", 0, 0, 0, 0, RESULT, PF(DEVICE_STATE)),
    [VHU_REQ_GET_SHMEM_CONFIG] =
        ROW("GET_SHMEM_CONFIG", 0, 0, 0, 0, ALWAYS, PF(SHMEM)),
    [VHU_REQ_GET_VRING_BASE_SKIP_DRAIN] =
        ROW("GET_VRING_BASE_SKIP_DRAIN", VST, VST, 0, 0, ALWAYS, NO_PF),
};

#define SHM   ((uint16_t)sizeof(struct vhu_shmem_map))
#define FSM   ((uint16_t)sizeof(struct vhu_fs_backend_msg))
#define AREA  ((uint16_t)sizeof(struct vhu_vring_area))
#define IOTLB ((uint16_t)sizeof(struct vhost_iotlb_msg))

/* Codes 1-5 mean the same in both dialects. */
#define BREQ_COMMON_ROWS                                                       \
    [VHU_BREQ_IOTLB_MSG] = ROW("IOTLB_MSG", IOTLB, IOTLB, 0, 0, NONE, NO_PF),  \
    [VHU_BREQ_CONFIG_CHANGE_MSG] =                                             \
        ROW("CONFIG_CHANGE_MSG", 0, 0, 0, 0, NONE, PF(CONFIG)),                \
    [VHU_BREQ_VRING_HOST_NOTIFIER_MSG] = ROW(                                  \
        "VRING_HOST_NOTIFIER_MSG", AREA, AREA, 0, 1, NONE, PF(HOST_NOTIFIER)), \
    [VHU_BREQ_VRING_CALL] =                                                    \
        ROW("VRING_CALL", VST, VST, 0, 0, NONE, PF(INBAND_NOTIFICATIONS)),     \
    [VHU_BREQ_VRING_ERR] =                                                     \
        ROW("VRING_ERR", VST, VST, 0, 0, NONE, PF(INBAND_NOTIFICATIONS))

/* Backend -> frontend requests, upstream spec ("Back-end message types"). */
static const struct vhu_req_info breq_upstream[] = {
    BREQ_COMMON_ROWS,
    [VHU_BREQ_SHARED_OBJECT_ADD] =
        ROW("SHARED_OBJECT_ADD", 16, 16, 0, 0, NONE, PF(SHARED_OBJECT)),
    [VHU_BREQ_SHARED_OBJECT_REMOVE] =
        ROW("SHARED_OBJECT_REMOVE", 16, 16, 0, 0, NONE, PF(SHARED_OBJECT)),
    [VHU_BREQ_SHARED_OBJECT_LOOKUP] =
        ROW("SHARED_OBJECT_LOOKUP", 16, 16, 0, 0, ALWAYS, PF(SHARED_OBJECT)),
    [VHU_BREQ_SHMEM_MAP] = ROW("SHMEM_MAP", SHM, SHM, 1, 1, NONE, PF(SHMEM)),
    [VHU_BREQ_SHMEM_UNMAP] =
        ROW("SHMEM_UNMAP", SHM, SHM, 0, 0, NONE, PF(SHMEM)),
};

/* The same in the fs-cache dialect (crosvm SlaveFsCacheReq numbering). */
static const struct vhu_req_info breq_fs_cache[] = {
    BREQ_COMMON_ROWS,
    [VHU_BREQ_FS_MAP] =
        ROW("FS_MAP", FSM, FSM, 1, 1, NONE, PF(BACKEND_SEND_FD)),
    [VHU_BREQ_FS_UNMAP] =
        ROW("FS_UNMAP", FSM, FSM, 0, 0, NONE, PF(BACKEND_REQ)),
    [VHU_BREQ_FS_SYNC] = ROW("FS_SYNC", FSM, FSM, 0, 0, NONE, PF(BACKEND_REQ)),
    [VHU_BREQ_FS_IO] = ROW("FS_IO", FSM, FSM, 1, 1, NONE, PF(BACKEND_SEND_FD)),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct vhu_req_info *vhu_req_info(uint32_t code)
{
    if (code >= ARRAY_SIZE(req_table) || !req_table[code].name) {
        return NULL;
    }
    return &req_table[code];
}

const struct vhu_req_info *vhu_breq_info(uint32_t code,
                                         enum vhu_backend_dialect dialect)
{
    const struct vhu_req_info *t;
    size_t n;

    switch (dialect) {
    case VHU_DIALECT_UPSTREAM:
        t = breq_upstream;
        n = ARRAY_SIZE(breq_upstream);
        break;
    case VHU_DIALECT_FS_CACHE:
        t = breq_fs_cache;
        n = ARRAY_SIZE(breq_fs_cache);
        break;
    default:
        return NULL;
    }
    if (code >= n || !t[code].name) {
        return NULL;
    }
    return &t[code];
}

const char *vhu_req_name(uint32_t code)
{
    const struct vhu_req_info *ri = vhu_req_info(code);

    return ri ? ri->name : "UNKNOWN";
}

const char *vhu_breq_name(uint32_t code, enum vhu_backend_dialect dialect)
{
    const struct vhu_req_info *ri = vhu_breq_info(code, dialect);

    return ri ? ri->name : "UNKNOWN";
}

int vhu_msg_check_hdr(const struct vhu_msg_hdr *hdr, bool want_reply)
{
    if (!hdr) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if ((hdr->flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION ||
        (hdr->flags & ~VHU_FLAGS_KNOWN) ||
        !!(hdr->flags & VHU_FLAG_REPLY) != want_reply) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (hdr->size > VHU_MAX_PAYLOAD) {
        return vhu_err(VHU_E_OVERSIZED_MSG);
    }
    return 0;
}

bool vhu_ring_size_ok(uint32_t num)
{
    return num >= 1 && num <= VHU_MAX_RING_SIZE && !(num & (num - 1));
}

/* @off + @len fits in 64 bits. */
static bool range_ok(uint64_t off, uint64_t len)
{
    uint64_t end;

    return !__builtin_add_overflow(off, len, &end);
}

int vhu_mem_region_check(const struct vhu_mem_region *r)
{
    if (!r || r->memory_size == 0 ||
        !range_ok(r->guest_phys_addr, r->memory_size) ||
        !range_ok(r->userspace_addr, r->memory_size) ||
        !range_ok(r->mmap_offset, r->memory_size)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return 0;
}

int vhu_mem_regions_check(const struct vhu_mem_region *r, unsigned int n)
{
    unsigned int i, j;
    int rc;

    if (n && !r) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    for (i = 0; i < n; i++) {
        rc = vhu_mem_region_check(&r[i]);
        if (rc < 0) {
            return rc;
        }
    }
    /* n is small (8, or the slot count): pairwise is fine. */
    for (i = 0; i < n; i++) {
        uint64_t a0 = r[i].guest_phys_addr, a1 = a0 + r[i].memory_size;

        for (j = i + 1; j < n; j++) {
            uint64_t b0 = r[j].guest_phys_addr, b1 = b0 + r[j].memory_size;

            if (a0 < b1 && b0 < a1) {
                return vhu_err(VHU_E_INVALID_PARAM);
            }
        }
    }
    return 0;
}

static int queue_ok(uint32_t index, const struct vhu_msg_limits *limits)
{
    return index < limits->max_queues ? 0 : vhu_err(VHU_E_INVALID_PARAM);
}

/*
 * A u64 of SET_VRING_KICK/CALL/ERR or VRING_HOST_NOTIFIER_MSG (spec: "bits
 * 0-7 are the index, bit 8 is the invalid FD flag"): no other bit may be
 * set; with the flag no fd comes, without it exactly one.
 */
static int check_index_nofd(uint64_t u64, unsigned int nfds)
{
    if (u64 & ~(VHU_VRING_IDX_MASK | VHU_VRING_NOFD_MASK)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (nfds != ((u64 & VHU_VRING_NOFD_MASK) ? 0u : 1u)) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return 0;
}

static int check_vring_fd(uint64_t u64, unsigned int nfds,
                          const struct vhu_msg_limits *limits)
{
    int rc = check_index_nofd(u64, nfds);

    return rc < 0 ? rc : queue_ok((uint32_t)(u64 & VHU_VRING_IDX_MASK), limits);
}

static int check_mem_table(const struct vhu_msg *msg, unsigned int nfds)
{
    uint32_t n = msg->p.mem.nregions;

    /* Spec: the size is that of nregions regions, one fd per region. */
    if (n > VHU_MEM_BASELINE_NREGIONS ||
        msg->hdr.size != VHU_MEM_TABLE_SIZE(n)) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (nfds != n) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return vhu_mem_regions_check(msg->p.mem.regions, n);
}

static int check_config(const struct vhu_msg *msg)
{
    const struct vhu_config *c = &msg->p.config;

    if (c->size != msg->hdr.size - VHU_CONFIG_HDR_SIZE) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    /*
     * The spec bounds only the payload (size <= 256); where the device's
     * config space ends is the device's to check.  The range must not wrap.
     */
    if ((uint64_t)c->offset + c->size > UINT32_MAX) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return 0;
}

static int check_inflight(const struct vhu_msg *msg,
                          const struct vhu_msg_limits *limits, bool set)
{
    const struct vhu_inflight *in = &msg->p.inflight;

    /* 20 (packed) or 24 (QEMU's sizeof), nothing in between. */
    if (msg->hdr.size != VHU_INFLIGHT_SIZE_PACKED &&
        msg->hdr.size != sizeof(struct vhu_inflight)) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (in->num_queues == 0 || in->num_queues > limits->max_queues ||
        !vhu_ring_size_ok(in->queue_size)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (set &&
        (in->mmap_size == 0 || !range_ok(in->mmap_offset, in->mmap_size))) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return 0;
}

static int check_iotlb(const struct vhost_iotlb_msg *m)
{
    switch (m->type) {
    case VHOST_IOTLB_UPDATE:
        if (m->size == 0 || !range_ok(m->uaddr, m->size) ||
            m->perm < VHOST_ACCESS_RO || m->perm > VHOST_ACCESS_RW) {
            return vhu_err(VHU_E_INVALID_PARAM);
        }
        /* fall through */
    case VHOST_IOTLB_MISS:
    case VHOST_IOTLB_INVALIDATE:
    case VHOST_IOTLB_ACCESS_FAIL:
        return range_ok(m->iova, m->size) ? 0 : vhu_err(VHU_E_INVALID_PARAM);
    case VHOST_IOTLB_BATCH_BEGIN:
    case VHOST_IOTLB_BATCH_END:
        return 0;
    default:
        return vhu_err(VHU_E_INVALID_PARAM);
    }
}

/* Size and fd count against a table row. */
static int check_row(const struct vhu_req_info *ri, const struct vhu_msg *msg,
                     unsigned int nfds)
{
    if (!ri) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (msg->hdr.size > VHU_MAX_PAYLOAD) {
        return vhu_err(VHU_E_OVERSIZED_MSG);
    }
    if (msg->hdr.size < ri->min_size || msg->hdr.size > ri->max_size) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (nfds < ri->min_fds || nfds > ri->max_fds) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return 0;
}

int vhu_msg_validate(const struct vhu_msg *msg, unsigned int nfds,
                     const struct vhu_msg_limits *limits)
{
    /* No limits: no queue exists, so every queue index is refused. */
    static const struct vhu_msg_limits none;
    const struct vhost_vring_state *st;
    int rc;

    if (!msg) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (!limits) {
        limits = &none;
    }
    rc = check_row(vhu_req_info(msg->hdr.request), msg, nfds);
    if (rc < 0) {
        return rc;
    }
    st = &msg->p.state;

    switch ((enum vhu_req)msg->hdr.request) {
    case VHU_REQ_SET_MEM_TABLE:
        return check_mem_table(msg, nfds);
    case VHU_REQ_SET_LOG_BASE:
        return range_ok(msg->p.log.mmap_offset, msg->p.log.mmap_size)
                   ? 0
                   : vhu_err(VHU_E_INVALID_PARAM);
    case VHU_REQ_SET_VRING_NUM:
        rc = queue_ok(st->index, limits);
        if (rc == 0 && !vhu_ring_size_ok(st->num)) {
            rc = vhu_err(VHU_E_INVALID_PARAM);
        }
        return rc;
    case VHU_REQ_SET_VRING_BASE:
        /*
         * Split: a 16-bit index.  Packed ("Vring descriptor indices for
         * packed virtqueues"): the avail index and wrap counter in bits
         * 0-15, the used index and wrap counter in bits 16-31, which
         * QEMU sends.  The layout is not known here: the queue checks
         * the value against its size when it starts.
         */
        return queue_ok(st->index, limits);
    case VHU_REQ_SET_VRING_ENABLE:
    case VHU_REQ_SET_VRING_ENDIAN:
        /* Both take 0 or 1 (disable/enable, little/big endian). */
        rc = queue_ok(st->index, limits);
        if (rc == 0 && st->num > 1) {
            rc = vhu_err(VHU_E_INVALID_PARAM);
        }
        return rc;
    case VHU_REQ_GET_VRING_BASE:
    case VHU_REQ_GET_VRING_BASE_SKIP_DRAIN:
    case VHU_REQ_VRING_KICK:
        return queue_ok(st->index, limits);
    case VHU_REQ_SET_VRING_ADDR:
        if (msg->p.addr.flags & ~(1u << VHOST_VRING_F_LOG)) {
            return vhu_err(VHU_E_INVALID_PARAM);
        }
        return queue_ok(msg->p.addr.index, limits);
    case VHU_REQ_SET_VRING_KICK:
    case VHU_REQ_SET_VRING_CALL:
    case VHU_REQ_SET_VRING_ERR:
        return check_vring_fd(msg->p.u64, nfds, limits);
    case VHU_REQ_SET_STATUS:
        /* The virtio device status is one byte (virtio 1.2 2.1). */
        return msg->p.u64 <= 0xff ? 0 : vhu_err(VHU_E_INVALID_PARAM);
    case VHU_REQ_GET_CONFIG:
    case VHU_REQ_SET_CONFIG:
        return check_config(msg);
    case VHU_REQ_GET_INFLIGHT_FD:
        return check_inflight(msg, limits, false);
    case VHU_REQ_SET_INFLIGHT_FD:
        return check_inflight(msg, limits, true);
    case VHU_REQ_ADD_MEM_REG:
        return vhu_mem_region_check(&msg->p.mem_reg.region);
    case VHU_REQ_REM_MEM_REG: {
        /*
         * Spec: the region is found by its addresses and size; the mmap
         * offset is ignored, so it is not checked either.
         */
        struct vhu_mem_region r = msg->p.mem_reg.region;

        r.mmap_offset = 0;
        return vhu_mem_region_check(&r);
    }
    case VHU_REQ_IOTLB_MSG:
        return check_iotlb(&msg->p.iotlb);
    case VHU_REQ_SET_DEVICE_STATE_FD:
        /* direction 0 save / 1 load; phase 0 (stopped) is the only one. */
        if (msg->p.dstate.direction > 1 || msg->p.dstate.phase != 0) {
            return vhu_err(VHU_E_INVALID_PARAM);
        }
        return 0;
    default:
        return 0;
    }
}

/* VRING_HOST_NOTIFIER_MSG: index, NOFD bit, and an area that fits. */
static int check_host_notifier(const struct vhu_vring_area *a,
                               unsigned int nfds)
{
    int rc = check_index_nofd(a->u64, nfds);

    if (rc == 0 && !range_ok(a->offset, a->size)) {
        rc = vhu_err(VHU_E_INVALID_PARAM);
    }
    return rc;
}

int vhu_shmem_map_check(const struct vhu_shmem_map *m, bool map)
{
    if (!m || m->len == 0 || !range_ok(m->shm_offset, m->len)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (map && (!range_ok(m->fd_offset, m->len) ||
                (m->flags & ~VHU_SHMEM_MAP_F_WRITABLE))) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return 0;
}

int vhu_fs_msg_check(const struct vhu_fs_backend_msg *fs, uint64_t *total)
{
    uint64_t sum = 0;
    unsigned int i;

    if (!fs) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (fs->len[i] == 0) {
            continue;
        }
        if (!range_ok(fs->fd_offset[i], fs->len[i]) ||
            !range_ok(fs->cache_offset[i], fs->len[i]) ||
            (fs->flags[i] & ~(VHU_FS_FLAG_MAP_R | VHU_FS_FLAG_MAP_W)) ||
            (total && __builtin_add_overflow(sum, fs->len[i], &sum))) {
            return vhu_err(VHU_E_INVALID_PARAM);
        }
    }
    if (total) {
        *total = sum;
    }
    return 0;
}

int vhu_msg_validate_breq(const struct vhu_msg *msg, unsigned int nfds,
                          enum vhu_backend_dialect dialect)
{
    uint32_t code;
    int rc;

    if (!msg) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    code = msg->hdr.request;
    rc = check_row(vhu_breq_info(code, dialect), msg, nfds);
    if (rc < 0) {
        return rc;
    }
    switch (code) {
    case VHU_BREQ_IOTLB_MSG:
        return check_iotlb(&msg->p.iotlb);
    case VHU_BREQ_VRING_HOST_NOTIFIER_MSG:
        return check_host_notifier(&msg->p.area, nfds);
    case VHU_BREQ_VRING_CALL:
    case VHU_BREQ_VRING_ERR:
        /*
         * Queues are addressed with 8 bits (SET_VRING_CALL's index): a
         * larger index names no queue.  The frontend still checks it
         * against the queues it has.
         */
        return msg->p.state.index <= VHU_VRING_IDX_MASK
                   ? 0
                   : vhu_err(VHU_E_INVALID_PARAM);
    default:
        break;
    }
    if (dialect == VHU_DIALECT_FS_CACHE) {
        /* Codes 6..9 are all FS_* here (the table refused the rest). */
        return code >= VHU_BREQ_FS_MAP ? vhu_fs_msg_check(&msg->p.fs, NULL) : 0;
    }
    switch (code) {
    case VHU_BREQ_SHMEM_MAP:
        return vhu_shmem_map_check(&msg->p.shmem, true);
    case VHU_BREQ_SHMEM_UNMAP:
        return vhu_shmem_map_check(&msg->p.shmem, false);
    default:
        return 0;
    }
}
