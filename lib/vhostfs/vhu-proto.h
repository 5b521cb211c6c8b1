/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-proto.h - vhost-user wire format: request codes, flags, feature bits
 * and payload layouts.
 *
 * Everything here is a fact of the wire (QEMU docs/interop/vhost-user.rst,
 * "Message types" and "Protocol features"), native endian, no padding the
 * spec does not show.  Structures the kernel's UAPI already defines
 * (struct vhost_vring_state, struct vhost_vring_addr, struct
 * vhost_iotlb_msg) are used from <linux/vhost_types.h>, not copied.
 *
 * Nothing in this header does I/O or validation: see vhu-msg.h.
 */
#ifndef VHOSTFS_VHU_PROTO_H
#define VHOSTFS_VHU_PROTO_H

#include <stdint.h>
#include <linux/vhost_types.h>

/* Header flags (spec: "Header"). */
#define VHU_VERSION           0x1u
#define VHU_FLAG_VERSION_MASK 0x3u
#define VHU_FLAG_REPLY        (1u << 2)
#define VHU_FLAG_NEED_REPLY   (1u << 3)
#define VHU_FLAGS_KNOWN                                                        \
    (VHU_FLAG_VERSION_MASK | VHU_FLAG_REPLY | VHU_FLAG_NEED_REPLY)

/*
 * Limits.  VHU_MAX_PAYLOAD is the largest payload either side accepts;
 * VHU_MAX_RING_SIZE is virtio 1.2 2.7's largest Queue Size.
 */
#define VHU_MAX_FDS               8u /* fds per message (SCM_RIGHTS) */
#define VHU_MAX_PAYLOAD           4096u
#define VHU_MEM_BASELINE_NREGIONS 8u   /* SET_MEM_TABLE regions */
#define VHU_MAX_CONFIG_SIZE       256u /* GET/SET_CONFIG payload bytes */
#define VHU_MAX_RING_SIZE         32768u
#define VHU_MAX_SHMEM_REGIONS     256u
#define VHU_FS_BACKEND_ENTRIES    8u /* entries in an FS_* message */

/* The vring index in SET_VRING_KICK/CALL/ERR u64 payload. */
#define VHU_VRING_IDX_MASK  0xffull
#define VHU_VRING_NOFD_MASK (1ull << 8)

/* Packed ring: bit 15 of SET/GET_VRING_BASE num is the wrap counter. */
#define VHU_VRING_BASE_WRAP (1u << 15)

/* Frontend -> backend requests (spec: "Front-end message types"). */
enum vhu_req {
    VHU_REQ_NONE = 0,
    VHU_REQ_GET_FEATURES = 1,
    VHU_REQ_SET_FEATURES = 2,
    VHU_REQ_SET_OWNER = 3,
    VHU_REQ_RESET_OWNER = 4,
    VHU_REQ_SET_MEM_TABLE = 5,
    VHU_REQ_SET_LOG_BASE = 6,
    VHU_REQ_SET_LOG_FD = 7,
    VHU_REQ_SET_VRING_NUM = 8,
    VHU_REQ_SET_VRING_ADDR = 9,
    VHU_REQ_SET_VRING_BASE = 10,
    VHU_REQ_GET_VRING_BASE = 11,
    VHU_REQ_SET_VRING_KICK = 12,
    VHU_REQ_SET_VRING_CALL = 13,
    VHU_REQ_SET_VRING_ERR = 14,
    VHU_REQ_GET_PROTOCOL_FEATURES = 15,
    VHU_REQ_SET_PROTOCOL_FEATURES = 16,
    VHU_REQ_GET_QUEUE_NUM = 17,
    VHU_REQ_SET_VRING_ENABLE = 18,
    VHU_REQ_SEND_RARP = 19,
    VHU_REQ_NET_SET_MTU = 20,
    VHU_REQ_SET_BACKEND_REQ_FD = 21,
    VHU_REQ_IOTLB_MSG = 22,
    VHU_REQ_SET_VRING_ENDIAN = 23,
    VHU_REQ_GET_CONFIG = 24,
    VHU_REQ_SET_CONFIG = 25,
    VHU_REQ_CREATE_CRYPTO_SESSION = 26,
    VHU_REQ_CLOSE_CRYPTO_SESSION = 27,
    VHU_REQ_POSTCOPY_ADVISE = 28,
    VHU_REQ_POSTCOPY_LISTEN = 29,
    VHU_REQ_POSTCOPY_END = 30,
    VHU_REQ_GET_INFLIGHT_FD = 31,
    VHU_REQ_SET_INFLIGHT_FD = 32,
    VHU_REQ_GPU_SET_SOCKET = 33,
    VHU_REQ_RESET_DEVICE = 34,
    VHU_REQ_VRING_KICK = 35,
    VHU_REQ_GET_MAX_MEM_SLOTS = 36,
    VHU_REQ_ADD_MEM_REG = 37,
    VHU_REQ_REM_MEM_REG = 38,
    VHU_REQ_SET_STATUS = 39,
    VHU_REQ_GET_STATUS = 40,
    VHU_REQ_GET_SHARED_OBJECT = 41,
    VHU_REQ_SET_DEVICE_STATE_FD = 42,
    VHU_REQ_CHECK_DEVICE_STATE = 43,
    VHU_REQ_GET_SHMEM_CONFIG = 44,
    VHU_REQ_GET_VRING_BASE_SKIP_DRAIN = 45,
    VHU_REQ_MAX = 46, /* one past the last known code */
};

/*
 * Backend -> frontend requests.  Codes 6-10 mean different things in the
 * upstream spec and in the virtio-fs DAX lineage (crosvm's
 * SlaveFsCacheReq): the two dialects are told apart by
 * enum vhu_backend_dialect, never by guessing from the code.
 */
enum vhu_backend_req {
    VHU_BREQ_NONE = 0,
    VHU_BREQ_IOTLB_MSG = 1,
    VHU_BREQ_CONFIG_CHANGE_MSG = 2,
    VHU_BREQ_VRING_HOST_NOTIFIER_MSG = 3,
    VHU_BREQ_VRING_CALL = 4,
    VHU_BREQ_VRING_ERR = 5,
    /* upstream dialect */
    VHU_BREQ_SHARED_OBJECT_ADD = 6,
    VHU_BREQ_SHARED_OBJECT_REMOVE = 7,
    VHU_BREQ_SHARED_OBJECT_LOOKUP = 8,
    VHU_BREQ_SHMEM_MAP = 9,
    VHU_BREQ_SHMEM_UNMAP = 10,
    /* fs-cache dialect */
    VHU_BREQ_FS_MAP = 6,
    VHU_BREQ_FS_UNMAP = 7,
    VHU_BREQ_FS_SYNC = 8,
    VHU_BREQ_FS_IO = 9,
    VHU_BREQ_MAX = 11,
};

enum vhu_backend_dialect {
    VHU_DIALECT_UPSTREAM = 0, /* SHMEM_MAP / SHMEM_UNMAP at 9 / 10 */
    VHU_DIALECT_FS_CACHE = 1, /* FS_MAP .. FS_IO at 6 .. 9 */
};

/* Virtio feature bit that enables the protocol-feature handshake. */
#define VHU_F_PROTOCOL_FEATURES 30

/* Protocol feature bits (spec: "Protocol features"). */
enum vhu_protocol_feature {
    VHU_PF_MQ = 0,
    VHU_PF_LOG_SHMFD = 1,
    VHU_PF_RARP = 2,
    VHU_PF_REPLY_ACK = 3,
    VHU_PF_MTU = 4,
    VHU_PF_BACKEND_REQ = 5,
    VHU_PF_CROSS_ENDIAN = 6,
    VHU_PF_CRYPTO_SESSION = 7,
    VHU_PF_PAGEFAULT = 8,
    VHU_PF_CONFIG = 9,
    VHU_PF_BACKEND_SEND_FD = 10,
    VHU_PF_HOST_NOTIFIER = 11,
    VHU_PF_INFLIGHT_SHMFD = 12,
    VHU_PF_RESET_DEVICE = 13,
    VHU_PF_INBAND_NOTIFICATIONS = 14,
    VHU_PF_CONFIGURE_MEM_SLOTS = 15,
    VHU_PF_STATUS = 16,
    VHU_PF_XEN_MMAP = 17,
    VHU_PF_SHARED_OBJECT = 18,
    VHU_PF_DEVICE_STATE = 19,
    /* The SHMEM bit moved while it was being specified: keep it here. */
    VHU_PF_SHMEM = 22,
};
#define VHU_PF_BIT(f) (1ull << (f))
/* Every protocol feature bit this library knows how to speak. */
#define VHU_PF_ALL_KNOWN                                                       \
    (VHU_PF_BIT(VHU_PF_MQ) | VHU_PF_BIT(VHU_PF_LOG_SHMFD) |                    \
     VHU_PF_BIT(VHU_PF_REPLY_ACK) | VHU_PF_BIT(VHU_PF_BACKEND_REQ) |           \
     VHU_PF_BIT(VHU_PF_CONFIG) | VHU_PF_BIT(VHU_PF_BACKEND_SEND_FD) |          \
     VHU_PF_BIT(VHU_PF_INFLIGHT_SHMFD) | VHU_PF_BIT(VHU_PF_RESET_DEVICE) |     \
     VHU_PF_BIT(VHU_PF_INBAND_NOTIFICATIONS) |                                 \
     VHU_PF_BIT(VHU_PF_CONFIGURE_MEM_SLOTS) | VHU_PF_BIT(VHU_PF_STATUS) |      \
     VHU_PF_BIT(VHU_PF_SHMEM))

/* Header (spec: "Header").  Payload of hdr.size bytes follows. */
struct vhu_msg_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
} __attribute__((packed));

/* Memory region description (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG). */
struct vhu_mem_region {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset;
};

/* SET_MEM_TABLE: nregions entries are meaningful, one fd each. */
struct vhu_mem_table {
    uint32_t nregions;
    uint32_t padding;
    struct vhu_mem_region regions[VHU_MEM_BASELINE_NREGIONS];
};
/* Bytes of a SET_MEM_TABLE payload carrying n regions. */
#define VHU_MEM_TABLE_SIZE(n)                                                  \
    (8u + (n) * (uint32_t)sizeof(struct vhu_mem_region))

/* ADD_MEM_REG / REM_MEM_REG. */
struct vhu_mem_single {
    uint64_t padding;
    struct vhu_mem_region region;
};

/* SET_LOG_BASE. */
struct vhu_log {
    uint64_t mmap_size;
    uint64_t mmap_offset;
};

/* GET_CONFIG / SET_CONFIG: 12-byte header then size bytes. */
struct vhu_config {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t payload[VHU_MAX_CONFIG_SIZE];
};
#define VHU_CONFIG_HDR_SIZE    12u
#define VHU_CONFIG_F_WRITABLE  0x1u
#define VHU_CONFIG_F_MIGRATION 0x2u

/*
 * GET_INFLIGHT_FD / SET_INFLIGHT_FD.  QEMU sends sizeof() of its unpacked
 * struct (24 bytes); some backends expect the packed 20.  Both sizes are
 * accepted; 24 is sent.
 */
struct vhu_inflight {
    uint64_t mmap_size;
    uint64_t mmap_offset;
    uint16_t num_queues;
    uint16_t queue_size;
    uint32_t padding;
};
#define VHU_INFLIGHT_SIZE_PACKED 20u

/* Host notifier area (VRING_HOST_NOTIFIER_MSG). */
struct vhu_vring_area {
    uint64_t u64; /* bits 0-7 queue index, bit 8 no fd */
    uint64_t size;
    uint64_t offset;
};

/* SET_DEVICE_STATE_FD. */
struct vhu_device_state {
    uint32_t direction;
    uint32_t phase;
};

/* GET_SHMEM_CONFIG reply: memory_sizes[shmid]. */
struct vhu_shmem_config {
    uint32_t nregions;
    uint32_t padding;
    uint64_t memory_sizes[VHU_MAX_SHMEM_REGIONS];
};

/* SHMEM_MAP / SHMEM_UNMAP (upstream dialect), one mapping, one fd. */
struct vhu_shmem_map {
    uint8_t shmid;
    uint8_t padding[7];
    uint64_t fd_offset;
    uint64_t shm_offset;
    uint64_t len;
    uint64_t flags;
};
#define VHU_SHMEM_MAP_F_WRITABLE 0x1ull

/*
 * FS_MAP / FS_UNMAP / FS_SYNC / FS_IO (fs-cache dialect,
 * VhostUserFSSlaveMsg): up to 8 entries, len == 0 entries skipped.
 */
struct vhu_fs_backend_msg {
    uint64_t fd_offset[VHU_FS_BACKEND_ENTRIES];
    uint64_t cache_offset[VHU_FS_BACKEND_ENTRIES];
    uint64_t len[VHU_FS_BACKEND_ENTRIES];
    uint64_t flags[VHU_FS_BACKEND_ENTRIES];
};
#define VHU_FS_FLAG_MAP_R 0x1ull
#define VHU_FS_FLAG_MAP_W 0x2ull

/*
 * A whole message: header and payload.  The payload union is 8-byte
 * aligned, so 4 bytes of padding follow hdr: send and receive the two
 * separately, never as one buffer.
 */
struct vhu_msg {
    struct vhu_msg_hdr hdr;
    union {
        uint64_t u64;
        struct vhost_vring_state state;
        struct vhost_vring_addr addr;
        struct vhu_mem_table mem;
        struct vhu_mem_single mem_reg;
        struct vhu_log log;
        struct vhu_config config;
        struct vhu_inflight inflight;
        struct vhu_vring_area area;
        struct vhu_device_state dstate;
        struct vhu_shmem_config shmem_config;
        struct vhu_shmem_map shmem;
        struct vhu_fs_backend_msg fs;
        struct vhost_iotlb_msg iotlb;
        uint8_t raw[VHU_MAX_PAYLOAD];
    } p;
};

_Static_assert(sizeof(struct vhu_msg_hdr) == 12, "vhost-user header");
_Static_assert(sizeof(struct vhu_mem_region) == 32, "memory region");
_Static_assert(sizeof(struct vhost_vring_addr) == 40, "vring address");
_Static_assert(sizeof(struct vhu_inflight) == 24, "inflight");
_Static_assert(sizeof(struct vhu_shmem_map) == 40, "SHMEM_MAP");
_Static_assert(sizeof(struct vhu_fs_backend_msg) == 256, "FS_* message");
_Static_assert(sizeof(struct vhu_shmem_config) == 8 + 8 * 256, "shmem cfg");

#endif /* VHOSTFS_VHU_PROTO_H */
