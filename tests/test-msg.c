/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-msg.c - message tables and validation (vhu-msg.h): sizes, fd
 * allow-lists, queue indexes, ring sizes, memory regions, headers and the
 * backend request dialects.
 */
#include <string.h>

#include "test.h"
#include "vhu-error.h"
#include "vhu-msg.h"

static const struct vhu_msg_limits lim = {.max_queues = 2};

static struct vhu_msg *mk(uint32_t req, uint32_t size)
{
    static struct vhu_msg m;

    memset(&m, 0, sizeof(m));
    m.hdr.request = req;
    m.hdr.flags = VHU_VERSION;
    m.hdr.size = size;
    return &m;
}

/*
 * Validate @m with @nfds and expect @kind (VHU_E_NONE: success).  Pure
 * functions: the fd table must not change either way.
 */
#define EXPECT(call, kind)                                                     \
    do {                                                                       \
        int fds_before_ = test_count_fds();                                    \
        int rc_ = (call);                                                      \
        if ((kind) == VHU_E_NONE) {                                            \
            ASSERT_OK(rc_);                                                    \
        } else {                                                               \
            ASSERT_ERR_KIND(rc_, (kind));                                      \
        }                                                                      \
        ASSERT_EQ(test_count_fds(), fds_before_);                              \
    } while (0)

#define V(m, nfds, kind)  EXPECT(vhu_msg_validate((m), (nfds), &lim), kind)
#define VB(m, nfds, d, k) EXPECT(vhu_msg_validate_breq((m), (nfds), (d)), k)

TEST(table_rows)
{
    for (uint32_t c = 1; c < VHU_REQ_MAX; c++) {
        const struct vhu_req_info *ri = vhu_req_info(c);

        ASSERT(ri != NULL);
        ASSERT(ri->name && ri->name[0]);
        ASSERT(!strcmp(vhu_req_name(c), ri->name));
        ASSERT_LE(ri->min_size, ri->max_size);
        ASSERT_LE(ri->max_size, VHU_MAX_PAYLOAD);
        ASSERT_LE(ri->min_fds, ri->max_fds);
        ASSERT_LE(ri->max_fds, VHU_MAX_FDS);
        ASSERT(ri->needs_pf >= -1 && ri->needs_pf < 64);
    }
    ASSERT(!strcmp(vhu_req_name(VHU_REQ_GET_FEATURES), "GET_FEATURES"));
    ASSERT(!strcmp(vhu_req_name(VHU_REQ_SET_MEM_TABLE), "SET_MEM_TABLE"));
    ASSERT(!strcmp(vhu_req_name(VHU_REQ_GET_VRING_BASE_SKIP_DRAIN),
                   "GET_VRING_BASE_SKIP_DRAIN"));
    ASSERT_EQ(vhu_req_info(VHU_REQ_GET_FEATURES)->reply, VHU_REPLY_ALWAYS);
    ASSERT_EQ(vhu_req_info(VHU_REQ_SET_FEATURES)->reply, VHU_REPLY_NONE);
    ASSERT_EQ(vhu_req_info(VHU_REQ_SET_LOG_BASE)->reply, VHU_REPLY_IF_PF);
    ASSERT_EQ(vhu_req_info(VHU_REQ_GET_VRING_BASE)->reply, VHU_REPLY_ALWAYS);
    ASSERT_EQ(vhu_req_info(VHU_REQ_IOTLB_MSG)->reply, VHU_REPLY_RESULT);
    ASSERT_EQ(vhu_req_info(VHU_REQ_POSTCOPY_END)->reply, VHU_REPLY_RESULT);
}

TEST(protocol_features_needed)
{
    static const struct {
        uint32_t req;
        int pf;
    } want[] = {
        {VHU_REQ_GET_FEATURES, -1},
        {VHU_REQ_SET_MEM_TABLE, -1},
        {VHU_REQ_SET_LOG_BASE, VHU_PF_LOG_SHMFD},
        {VHU_REQ_SET_LOG_FD, VHU_PF_LOG_SHMFD},
        {VHU_REQ_GET_QUEUE_NUM, VHU_PF_MQ},
        {VHU_REQ_SEND_RARP, VHU_PF_RARP},
        {VHU_REQ_NET_SET_MTU, VHU_PF_MTU},
        {VHU_REQ_SET_BACKEND_REQ_FD, VHU_PF_BACKEND_REQ},
        {VHU_REQ_SET_VRING_ENDIAN, VHU_PF_CROSS_ENDIAN},
        {VHU_REQ_GET_CONFIG, VHU_PF_CONFIG},
        {VHU_REQ_SET_CONFIG, VHU_PF_CONFIG},
        {VHU_REQ_CREATE_CRYPTO_SESSION, VHU_PF_CRYPTO_SESSION},
        {VHU_REQ_CLOSE_CRYPTO_SESSION, VHU_PF_CRYPTO_SESSION},
        {VHU_REQ_POSTCOPY_ADVISE, VHU_PF_PAGEFAULT},
        {VHU_REQ_POSTCOPY_LISTEN, VHU_PF_PAGEFAULT},
        {VHU_REQ_POSTCOPY_END, VHU_PF_PAGEFAULT},
        {VHU_REQ_GET_INFLIGHT_FD, VHU_PF_INFLIGHT_SHMFD},
        {VHU_REQ_SET_INFLIGHT_FD, VHU_PF_INFLIGHT_SHMFD},
        {VHU_REQ_RESET_DEVICE, VHU_PF_RESET_DEVICE},
        {VHU_REQ_VRING_KICK, VHU_PF_INBAND_NOTIFICATIONS},
        {VHU_REQ_GET_MAX_MEM_SLOTS, VHU_PF_CONFIGURE_MEM_SLOTS},
        {VHU_REQ_ADD_MEM_REG, VHU_PF_CONFIGURE_MEM_SLOTS},
        {VHU_REQ_REM_MEM_REG, VHU_PF_CONFIGURE_MEM_SLOTS},
        {VHU_REQ_SET_STATUS, VHU_PF_STATUS},
        {VHU_REQ_GET_STATUS, VHU_PF_STATUS},
        {VHU_REQ_GET_SHARED_OBJECT, VHU_PF_SHARED_OBJECT},
        {VHU_REQ_SET_DEVICE_STATE_FD, VHU_PF_DEVICE_STATE},
        {VHU_REQ_CHECK_DEVICE_STATE, VHU_PF_DEVICE_STATE},
        {VHU_REQ_GET_SHMEM_CONFIG, VHU_PF_SHMEM},
    };

    for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct vhu_req_info *ri = vhu_req_info(want[i].req);

        if (ri->needs_pf != want[i].pf) {
            test_fail(__FILE__, __LINE__, "%s needs %d, want %d", ri->name,
                      ri->needs_pf, want[i].pf);
        }
    }
}

TEST(unknown_codes)
{
    static const uint32_t codes[] = {0, VHU_REQ_MAX, 0xffffffffu};

    for (unsigned int i = 0; i < 3; i++) {
        ASSERT(vhu_req_info(codes[i]) == NULL);
        ASSERT(!strcmp(vhu_req_name(codes[i]), "UNKNOWN"));
        V(mk(codes[i], 0), 0, VHU_E_INVALID_MESSAGE);
        V(mk(codes[i], 8), 0, VHU_E_INVALID_MESSAGE);
    }
}

TEST(header_checks)
{
    struct vhu_msg_hdr h = {.request = 1, .flags = VHU_VERSION, .size = 0};

    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_NONE);
    h.flags = VHU_VERSION | VHU_FLAG_NEED_REPLY;
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_NONE);
    /* Version 0, 2, 3. */
    for (uint32_t v = 0; v < 4; v++) {
        if (v == VHU_VERSION) {
            continue;
        }
        h.flags = v;
        EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_INVALID_MESSAGE);
    }
    /* Unknown flag bits. */
    h.flags = VHU_VERSION | (1u << 4);
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_INVALID_MESSAGE);
    h.flags = VHU_VERSION | (1u << 31);
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_INVALID_MESSAGE);
    /* REPLY only where a reply is awaited. */
    h.flags = VHU_VERSION | VHU_FLAG_REPLY;
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_INVALID_MESSAGE);
    EXPECT(vhu_msg_check_hdr(&h, true), VHU_E_NONE);
    h.flags = VHU_VERSION;
    EXPECT(vhu_msg_check_hdr(&h, true), VHU_E_INVALID_MESSAGE);
    /* Size. */
    h.size = VHU_MAX_PAYLOAD;
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_NONE);
    h.size = VHU_MAX_PAYLOAD + 1;
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_OVERSIZED_MSG);
    h.size = 0xffffffffu;
    EXPECT(vhu_msg_check_hdr(&h, false), VHU_E_OVERSIZED_MSG);
    /* validate() refuses an oversized size too, never reading past. */
    V(mk(VHU_REQ_CREATE_CRYPTO_SESSION, VHU_MAX_PAYLOAD + 1), 0,
      VHU_E_OVERSIZED_MSG);
}

TEST(sizes_no_payload)
{
    static const uint32_t reqs[] = {
        VHU_REQ_GET_FEATURES,      VHU_REQ_SET_OWNER,
        VHU_REQ_RESET_OWNER,       VHU_REQ_GET_PROTOCOL_FEATURES,
        VHU_REQ_GET_QUEUE_NUM,     VHU_REQ_RESET_DEVICE,
        VHU_REQ_GET_MAX_MEM_SLOTS, VHU_REQ_GET_STATUS,
        VHU_REQ_GET_SHMEM_CONFIG,  VHU_REQ_CHECK_DEVICE_STATE,
        VHU_REQ_POSTCOPY_ADVISE,   VHU_REQ_POSTCOPY_LISTEN,
        VHU_REQ_POSTCOPY_END,
    };

    for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        V(mk(reqs[i], 0), 0, VHU_E_NONE);
        V(mk(reqs[i], 8), 0, VHU_E_INVALID_MESSAGE);
        V(mk(reqs[i], 1), 0, VHU_E_INVALID_MESSAGE);
        V(mk(reqs[i], 0), 1, VHU_E_INCORRECT_FDS);
    }
    /* The ones that carry exactly one fd and nothing else. */
    V(mk(VHU_REQ_SET_LOG_FD, 0), 1, VHU_E_NONE);
    V(mk(VHU_REQ_SET_LOG_FD, 8), 1, VHU_E_INVALID_MESSAGE);
    V(mk(VHU_REQ_SET_BACKEND_REQ_FD, 0), 1, VHU_E_NONE);
    V(mk(VHU_REQ_SET_BACKEND_REQ_FD, 4), 1, VHU_E_INVALID_MESSAGE);
}

TEST(sizes_u64_and_state)
{
    static const uint32_t reqs[] = {
        VHU_REQ_SET_FEATURES,         VHU_REQ_SET_PROTOCOL_FEATURES,
        VHU_REQ_SET_VRING_NUM,        VHU_REQ_SET_VRING_BASE,
        VHU_REQ_GET_VRING_BASE,       VHU_REQ_SET_VRING_ENABLE,
        VHU_REQ_SET_VRING_ENDIAN,     VHU_REQ_VRING_KICK,
        VHU_REQ_SET_STATUS,           VHU_REQ_SEND_RARP,
        VHU_REQ_NET_SET_MTU,          VHU_REQ_GET_VRING_BASE_SKIP_DRAIN,
        VHU_REQ_CLOSE_CRYPTO_SESSION,
    };

    for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        struct vhu_msg *m = mk(reqs[i], 8);

        /* A valid body for every one of them: queue 0, num 1. */
        m->p.state.num = 1;
        if (reqs[i] == VHU_REQ_SET_STATUS) {
            m->p.u64 = 1;
        }
        V(m, 0, VHU_E_NONE);
        V(m, 1, VHU_E_INCORRECT_FDS);
        m->hdr.size = 0;
        V(m, 0, VHU_E_INVALID_MESSAGE);
        m->hdr.size = 4;
        V(m, 0, VHU_E_INVALID_MESSAGE);
        m->hdr.size = 16;
        V(m, 0, VHU_E_INVALID_MESSAGE);
    }
    /* SET_DEVICE_STATE_FD: 8 bytes and one fd. */
    V(mk(VHU_REQ_SET_DEVICE_STATE_FD, 8), 1, VHU_E_NONE);
    V(mk(VHU_REQ_SET_DEVICE_STATE_FD, 8), 0, VHU_E_INCORRECT_FDS);
    V(mk(VHU_REQ_SET_DEVICE_STATE_FD, 12), 1, VHU_E_INVALID_MESSAGE);
    {
        struct vhu_msg *m = mk(VHU_REQ_SET_DEVICE_STATE_FD, 8);

        m->p.dstate.direction = 2;
        V(m, 1, VHU_E_INVALID_PARAM);
        m->p.dstate.direction = 1;
        m->p.dstate.phase = 1;
        V(m, 1, VHU_E_INVALID_PARAM);
    }
}

TEST(sizes_fixed_structs)
{
    struct vhu_msg *m;

    V(mk(VHU_REQ_SET_VRING_ADDR, 40), 0, VHU_E_NONE);
    V(mk(VHU_REQ_SET_VRING_ADDR, 32), 0, VHU_E_INVALID_MESSAGE);
    V(mk(VHU_REQ_SET_VRING_ADDR, 48), 0, VHU_E_INVALID_MESSAGE);

    V(mk(VHU_REQ_SET_LOG_BASE, 16), 1, VHU_E_NONE);
    V(mk(VHU_REQ_SET_LOG_BASE, 8), 1, VHU_E_INVALID_MESSAGE);
    V(mk(VHU_REQ_SET_LOG_BASE, 16), 0, VHU_E_INCORRECT_FDS);
    m = mk(VHU_REQ_SET_LOG_BASE, 16);
    m->p.log.mmap_size = 4096;
    m->p.log.mmap_offset = ~0ull - 100;
    V(m, 1, VHU_E_INVALID_PARAM);

    V(mk(VHU_REQ_GET_SHARED_OBJECT, 16), 0, VHU_E_NONE);
    V(mk(VHU_REQ_GET_SHARED_OBJECT, 8), 0, VHU_E_INVALID_MESSAGE);

    m = mk(VHU_REQ_IOTLB_MSG, sizeof(struct vhost_iotlb_msg));
    m->p.iotlb.type = VHOST_IOTLB_UPDATE;
    m->p.iotlb.perm = VHOST_ACCESS_RW;
    m->p.iotlb.size = 4096;
    V(m, 0, VHU_E_NONE);
    m->p.iotlb.iova = ~0ull;
    V(m, 0, VHU_E_INVALID_PARAM);
    m->p.iotlb.iova = 0;
    m->p.iotlb.perm = 0;
    V(m, 0, VHU_E_INVALID_PARAM);
    m->p.iotlb.perm = VHOST_ACCESS_RO;
    m->p.iotlb.type = 99;
    V(m, 0, VHU_E_INVALID_PARAM);
    m->hdr.size = 24;
    V(m, 0, VHU_E_INVALID_MESSAGE);

    V(mk(VHU_REQ_CREATE_CRYPTO_SESSION, 0), 0, VHU_E_INVALID_MESSAGE);
    V(mk(VHU_REQ_CREATE_CRYPTO_SESSION, 600), 0, VHU_E_NONE);
}

TEST(config_sizes)
{
    uint32_t reqs[] = {VHU_REQ_GET_CONFIG, VHU_REQ_SET_CONFIG};

    for (unsigned int i = 0; i < 2; i++) {
        struct vhu_msg *m = mk(reqs[i], 12 + 36);

        m->p.config.size = 36;
        V(m, 0, VHU_E_NONE);
        V(m, 1, VHU_E_INCORRECT_FDS);
        /* The size field must agree with the header. */
        m->p.config.size = 35;
        V(m, 0, VHU_E_INVALID_MESSAGE);
        m->p.config.size = 36;
        m->hdr.size = 11;
        V(m, 0, VHU_E_INVALID_MESSAGE);
        /* Whole config space, and one past it. */
        m = mk(reqs[i], 12 + 256);
        m->p.config.size = 256;
        V(m, 0, VHU_E_NONE);
        m->hdr.size = 12 + 257;
        m->p.config.size = 257;
        V(m, 0, VHU_E_INVALID_MESSAGE);
        /* Any offset (the device checks its range), but no wrapping. */
        m = mk(reqs[i], 12 + 16);
        m->p.config.size = 16;
        m->p.config.offset = 0x100;
        V(m, 0, VHU_E_NONE);
        m->p.config.offset = 0xffffffe0u;
        V(m, 0, VHU_E_NONE);
        m->p.config.offset = 0xfffffff8u;
        V(m, 0, VHU_E_INVALID_PARAM);
        /* Empty config read. */
        V(mk(reqs[i], 12), 0, VHU_E_NONE);
    }
}

TEST(inflight)
{
    uint32_t reqs[] = {VHU_REQ_GET_INFLIGHT_FD, VHU_REQ_SET_INFLIGHT_FD};

    for (unsigned int i = 0; i < 2; i++) {
        unsigned int nfds = reqs[i] == VHU_REQ_SET_INFLIGHT_FD;
        struct vhu_msg *m = mk(reqs[i], 24);

        m->p.inflight.mmap_size = 8192;
        m->p.inflight.num_queues = 2;
        m->p.inflight.queue_size = 256;
        V(m, nfds, VHU_E_NONE);
        m->hdr.size = 20;
        V(m, nfds, VHU_E_NONE);
        m->hdr.size = 22;
        V(m, nfds, VHU_E_INVALID_MESSAGE);
        m->hdr.size = 28;
        V(m, nfds, VHU_E_INVALID_MESSAGE);
        m->hdr.size = 24;
        V(m, nfds + 1, VHU_E_INCORRECT_FDS);
        m->p.inflight.num_queues = 0;
        V(m, nfds, VHU_E_INVALID_PARAM);
        m->p.inflight.num_queues = 3;
        V(m, nfds, VHU_E_INVALID_PARAM);
        m->p.inflight.num_queues = 1;
        m->p.inflight.queue_size = 3;
        V(m, nfds, VHU_E_INVALID_PARAM);
        m->p.inflight.queue_size = 0;
        V(m, nfds, VHU_E_INVALID_PARAM);
    }
    {
        struct vhu_msg *m = mk(VHU_REQ_SET_INFLIGHT_FD, 24);

        m->p.inflight.num_queues = 1;
        m->p.inflight.queue_size = 128;
        V(m, 1, VHU_E_INVALID_PARAM); /* mmap_size 0 */
        V(m, 0, VHU_E_INCORRECT_FDS);
        m->p.inflight.mmap_size = 4096;
        m->p.inflight.mmap_offset = ~0ull;
        V(m, 1, VHU_E_INVALID_PARAM);
    }
}

TEST(fd_allow_list)
{
    uint32_t vfd[] = {VHU_REQ_SET_VRING_KICK, VHU_REQ_SET_VRING_CALL,
                      VHU_REQ_SET_VRING_ERR};
    struct vhu_msg *m;

    for (unsigned int i = 0; i < 3; i++) {
        m = mk(vfd[i], 8);
        m->p.u64 = 1;
        V(m, 1, VHU_E_NONE);
        V(m, 0, VHU_E_INCORRECT_FDS);
        V(m, 2, VHU_E_INCORRECT_FDS);
        /* NOFD: no fd, and none may come. */
        m->p.u64 = 1 | VHU_VRING_NOFD_MASK;
        V(m, 0, VHU_E_NONE);
        V(m, 1, VHU_E_INCORRECT_FDS);
        /* Bits the spec does not define. */
        m->p.u64 = 1 | (1ull << 9);
        V(m, 1, VHU_E_INVALID_PARAM);
        m->p.u64 = 1ull << 63;
        V(m, 1, VHU_E_INVALID_PARAM);
        m->hdr.size = 4;
        V(m, 1, VHU_E_INVALID_MESSAGE);
    }
    /* fds where none is taken. */
    V(mk(VHU_REQ_GET_FEATURES, 0), 1, VHU_E_INCORRECT_FDS);
    V(mk(VHU_REQ_SET_FEATURES, 8), 8, VHU_E_INCORRECT_FDS);
    /* One needed, none or two given. */
    V(mk(VHU_REQ_SET_LOG_FD, 0), 0, VHU_E_INCORRECT_FDS);
    V(mk(VHU_REQ_SET_BACKEND_REQ_FD, 0), 0, VHU_E_INCORRECT_FDS);
    V(mk(VHU_REQ_SET_BACKEND_REQ_FD, 0), 2, VHU_E_INCORRECT_FDS);
    V(mk(VHU_REQ_GPU_SET_SOCKET, 0), 0, VHU_E_INCORRECT_FDS);
}

static void set_region(struct vhu_mem_region *r, uint64_t gpa, uint64_t size,
                       uint64_t uaddr, uint64_t off)
{
    r->guest_phys_addr = gpa;
    r->memory_size = size;
    r->userspace_addr = uaddr;
    r->mmap_offset = off;
}

TEST(ring_sizes)
{
    static const uint32_t bad[] = {0, 3, 6, 32767, 32769, 65536, 0x80000000u};
    static const uint32_t good[] = {1, 2, 256, 1024, 32768};
    struct vhu_msg *m = mk(VHU_REQ_SET_VRING_NUM, 8);

    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT(!vhu_ring_size_ok(bad[i]));
        m->p.state.num = bad[i];
        V(m, 0, VHU_E_INVALID_PARAM);
    }
    for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ASSERT(vhu_ring_size_ok(good[i]));
        m->p.state.num = good[i];
        V(m, 0, VHU_E_NONE);
    }
}

TEST(vring_fields)
{
    struct vhu_msg *m = mk(VHU_REQ_SET_VRING_BASE, 8);

    m->p.state.num = 0xffff;
    V(m, 0, VHU_E_NONE);
    /* Packed rings: avail and used positions, as QEMU sends them. */
    m->p.state.num = 0x80008000u;
    V(m, 0, VHU_E_NONE);

    m = mk(VHU_REQ_SET_VRING_ADDR, 40);
    m->p.addr.flags = 1u << VHOST_VRING_F_LOG;
    V(m, 0, VHU_E_NONE);
    m->p.addr.flags = 2;
    V(m, 0, VHU_E_INVALID_PARAM);

    m = mk(VHU_REQ_SET_VRING_ENABLE, 8);
    m->p.state.num = 1;
    V(m, 0, VHU_E_NONE);
    m->p.state.num = 2;
    V(m, 0, VHU_E_INVALID_PARAM);

    m = mk(VHU_REQ_SET_STATUS, 8);
    m->p.u64 = 0xff;
    V(m, 0, VHU_E_NONE);
    m->p.u64 = 0x100;
    V(m, 0, VHU_E_INVALID_PARAM);
}

TEST(queue_index)
{
    uint32_t state_reqs[] = {VHU_REQ_SET_VRING_NUM,
                             VHU_REQ_SET_VRING_BASE,
                             VHU_REQ_GET_VRING_BASE,
                             VHU_REQ_SET_VRING_ENABLE,
                             VHU_REQ_SET_VRING_ENDIAN,
                             VHU_REQ_VRING_KICK,
                             VHU_REQ_GET_VRING_BASE_SKIP_DRAIN};
    uint32_t fd_reqs[] = {VHU_REQ_SET_VRING_KICK, VHU_REQ_SET_VRING_CALL,
                          VHU_REQ_SET_VRING_ERR};
    struct vhu_msg *m;

    for (unsigned int i = 0; i < sizeof(state_reqs) / sizeof(state_reqs[0]);
         i++) {
        m = mk(state_reqs[i], 8);
        m->p.state.num = 1;
        m->p.state.index = 1;
        V(m, 0, VHU_E_NONE);
        m->p.state.index = 2;
        V(m, 0, VHU_E_INVALID_PARAM);
        m->p.state.index = 0xffffffffu;
        V(m, 0, VHU_E_INVALID_PARAM);
        /* Without limits there is no queue at all. */
        m->p.state.index = 0;
        EXPECT(vhu_msg_validate(m, 0, NULL), VHU_E_INVALID_PARAM);
    }
    for (unsigned int i = 0; i < 3; i++) {
        m = mk(fd_reqs[i], 8);
        m->p.u64 = 1;
        V(m, 1, VHU_E_NONE);
        m->p.u64 = 2;
        V(m, 1, VHU_E_INVALID_PARAM);
        m->p.u64 = 0xff | VHU_VRING_NOFD_MASK;
        V(m, 0, VHU_E_INVALID_PARAM);
    }
    m = mk(VHU_REQ_SET_VRING_ADDR, 40);
    m->p.addr.index = 1;
    V(m, 0, VHU_E_NONE);
    m->p.addr.index = 2;
    V(m, 0, VHU_E_INVALID_PARAM);
}

TEST(mem_table)
{
    struct vhu_msg *m = mk(VHU_REQ_SET_MEM_TABLE, VHU_MEM_TABLE_SIZE(2));

    m->p.mem.nregions = 2;
    set_region(&m->p.mem.regions[0], 0, 0x100000, 0x7f0000000000, 0);
    set_region(&m->p.mem.regions[1], 0x100000, 0x100000, 0x7f0000100000, 0);
    V(m, 2, VHU_E_NONE);
    /* One fd per region, exactly. */
    V(m, 1, VHU_E_INCORRECT_FDS);
    V(m, 3, VHU_E_INCORRECT_FDS);
    /* Size must be that of nregions regions. */
    m->hdr.size = VHU_MEM_TABLE_SIZE(3);
    V(m, 2, VHU_E_INVALID_MESSAGE);
    m->hdr.size = VHU_MEM_TABLE_SIZE(2) - 1;
    V(m, 2, VHU_E_INVALID_MESSAGE);
    /* Nine regions is more than the table holds. */
    m->hdr.size = VHU_MEM_TABLE_SIZE(2);
    m->p.mem.nregions = 9;
    V(m, 2, VHU_E_INVALID_MESSAGE);
    m->p.mem.nregions = 0xffffffffu;
    V(m, 2, VHU_E_INVALID_MESSAGE);
    /* Empty table, and a full one. */
    m = mk(VHU_REQ_SET_MEM_TABLE, VHU_MEM_TABLE_SIZE(0));
    V(m, 0, VHU_E_NONE);
    m = mk(VHU_REQ_SET_MEM_TABLE, VHU_MEM_TABLE_SIZE(8));
    m->p.mem.nregions = 8;
    for (unsigned int i = 0; i < 8; i++) {
        set_region(&m->p.mem.regions[i], i * 0x1000ull, 0x1000, 0, 0);
    }
    V(m, 8, VHU_E_NONE);
    /* Overlap between the first and the last. */
    m->p.mem.regions[7].guest_phys_addr = 0x800;
    V(m, 8, VHU_E_INVALID_PARAM);
}

TEST(regions)
{
    struct vhu_mem_region r[2];

    set_region(&r[0], 0x1000, 0x1000, 0x10000, 0);
    ASSERT_OK(vhu_mem_region_check(&r[0]));
    /* Size 0. */
    set_region(&r[0], 0x1000, 0, 0x10000, 0);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_INVALID_PARAM);
    /* Wrapping in each of the three address spaces. */
    set_region(&r[0], ~0ull - 0xfff, 0x1000, 0, 0);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_INVALID_PARAM);
    set_region(&r[0], 0, 0x1000, ~0ull - 0x10, 0);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_INVALID_PARAM);
    set_region(&r[0], 0, 0x1000, 0, ~0ull);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_INVALID_PARAM);
    set_region(&r[0], 0, ~0ull, 0, 0);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_NONE);
    set_region(&r[0], 1, ~0ull, 0, 0);
    EXPECT(vhu_mem_region_check(&r[0]), VHU_E_INVALID_PARAM);

    /* Adjacent: fine, either order. */
    set_region(&r[0], 0x0, 0x1000, 0x10000, 0);
    set_region(&r[1], 0x1000, 0x1000, 0x10000, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_NONE);
    set_region(&r[0], 0x1000, 0x1000, 0x10000, 0);
    set_region(&r[1], 0x0, 0x1000, 0x10000, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_NONE);
    /* Overlapping by one byte, contained, identical. */
    set_region(&r[1], 0x0, 0x1001, 0x10000, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_INVALID_PARAM);
    set_region(&r[1], 0x1800, 0x10, 0x10000, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_INVALID_PARAM);
    set_region(&r[1], 0x0, 0x10000, 0x10000, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_INVALID_PARAM);
    r[1] = r[0];
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_INVALID_PARAM);
    /* A bad region anywhere fails the set. */
    set_region(&r[1], 0x8000, 0x1000, ~0ull, 0);
    EXPECT(vhu_mem_regions_check(r, 2), VHU_E_INVALID_PARAM);
    EXPECT(vhu_mem_regions_check(r, 0), VHU_E_NONE);
}

TEST(mem_reg_single)
{
    struct vhu_msg *m = mk(VHU_REQ_ADD_MEM_REG, 40);

    set_region(&m->p.mem_reg.region, 0x1000, 0x1000, 0x10000, 0);
    V(m, 1, VHU_E_NONE);
    V(m, 0, VHU_E_INCORRECT_FDS);
    V(m, 2, VHU_E_INCORRECT_FDS);
    m->hdr.size = 32;
    V(m, 1, VHU_E_INVALID_MESSAGE);
    m->hdr.size = 40;
    m->p.mem_reg.region.mmap_offset = ~0ull;
    V(m, 1, VHU_E_INVALID_PARAM);

    /* REM_MEM_REG: an fd is tolerated, two are not. */
    m = mk(VHU_REQ_REM_MEM_REG, 40);
    set_region(&m->p.mem_reg.region, 0x1000, 0x1000, 0x10000, 0);
    V(m, 0, VHU_E_NONE);
    V(m, 1, VHU_E_NONE);
    V(m, 2, VHU_E_INCORRECT_FDS);
    /* Spec: REM_MEM_REG ignores the mmap offset; the rest must fit. */
    m->p.mem_reg.region.mmap_offset = ~0ull;
    V(m, 0, VHU_E_NONE);
    m->p.mem_reg.region.userspace_addr = ~0ull;
    V(m, 0, VHU_E_INVALID_PARAM);
    m->p.mem_reg.region.userspace_addr = 0x10000;
    m->p.mem_reg.region.memory_size = 0;
    V(m, 0, VHU_E_INVALID_PARAM);
}

TEST(breq_upstream)
{
    static const char *const names[] = {
        NULL,
        "IOTLB_MSG",
        "CONFIG_CHANGE_MSG",
        "VRING_HOST_NOTIFIER_MSG",
        "VRING_CALL",
        "VRING_ERR",
        "SHARED_OBJECT_ADD",
        "SHARED_OBJECT_REMOVE",
        "SHARED_OBJECT_LOOKUP",
        "SHMEM_MAP",
        "SHMEM_UNMAP",
    };
    const enum vhu_backend_dialect d = VHU_DIALECT_UPSTREAM;
    struct vhu_msg *m;

    for (uint32_t c = 1; c <= 10; c++) {
        ASSERT(vhu_breq_info(c, d) != NULL);
        ASSERT(!strcmp(vhu_breq_info(c, d)->name, names[c]));
        ASSERT(!strcmp(vhu_breq_name(c, d), names[c]));
    }
    ASSERT(vhu_breq_info(0, d) == NULL);
    ASSERT(vhu_breq_info(11, d) == NULL);
    ASSERT(vhu_breq_info(0xffffffffu, d) == NULL);
    ASSERT(vhu_breq_info(1, (enum vhu_backend_dialect)7) == NULL);
    VB(mk(0, 0), 0, d, VHU_E_INVALID_MESSAGE);
    VB(mk(11, 0), 0, d, VHU_E_INVALID_MESSAGE);

    VB(mk(VHU_BREQ_CONFIG_CHANGE_MSG, 0), 0, d, VHU_E_NONE);
    VB(mk(VHU_BREQ_CONFIG_CHANGE_MSG, 8), 0, d, VHU_E_INVALID_MESSAGE);
    VB(mk(VHU_BREQ_CONFIG_CHANGE_MSG, 0), 1, d, VHU_E_INCORRECT_FDS);
    VB(mk(VHU_BREQ_VRING_CALL, 8), 0, d, VHU_E_NONE);
    VB(mk(VHU_BREQ_VRING_ERR, 4), 0, d, VHU_E_INVALID_MESSAGE);
    VB(mk(VHU_BREQ_SHARED_OBJECT_ADD, 16), 0, d, VHU_E_NONE);
    VB(mk(VHU_BREQ_SHARED_OBJECT_LOOKUP, 8), 0, d, VHU_E_INVALID_MESSAGE);

    /* Host notifier: fd unless NOFD. */
    m = mk(VHU_BREQ_VRING_HOST_NOTIFIER_MSG, 24);
    m->p.area.size = 4096;
    VB(m, 1, d, VHU_E_NONE);
    VB(m, 0, d, VHU_E_INCORRECT_FDS);
    m->p.area.u64 = VHU_VRING_NOFD_MASK;
    VB(m, 0, d, VHU_E_NONE);
    VB(m, 1, d, VHU_E_INCORRECT_FDS);
    m->p.area.u64 = 1ull << 20;
    VB(m, 0, d, VHU_E_INVALID_PARAM);
    m->p.area.u64 = 0;
    m->p.area.offset = ~0ull;
    VB(m, 1, d, VHU_E_INVALID_PARAM);

    /* SHMEM_MAP: 40 bytes, exactly one fd, ranges that fit. */
    m = mk(VHU_BREQ_SHMEM_MAP, 40);
    m->p.shmem.len = 0x200000;
    m->p.shmem.flags = VHU_SHMEM_MAP_F_WRITABLE;
    VB(m, 1, d, VHU_E_NONE);
    VB(m, 0, d, VHU_E_INCORRECT_FDS);
    VB(m, 2, d, VHU_E_INCORRECT_FDS);
    m->p.shmem.flags = 2;
    VB(m, 1, d, VHU_E_INVALID_PARAM);
    m->p.shmem.flags = 0;
    m->p.shmem.fd_offset = ~0ull;
    VB(m, 1, d, VHU_E_INVALID_PARAM);
    m->p.shmem.fd_offset = 0;
    m->p.shmem.shm_offset = ~0ull - 1;
    VB(m, 1, d, VHU_E_INVALID_PARAM);
    m->p.shmem.shm_offset = 0;
    m->p.shmem.len = 0;
    VB(m, 1, d, VHU_E_INVALID_PARAM);
    m->hdr.size = 256;
    VB(m, 1, d, VHU_E_INVALID_MESSAGE);

    m = mk(VHU_BREQ_SHMEM_UNMAP, 40);
    m->p.shmem.len = 0x1000;
    VB(m, 0, d, VHU_E_NONE);
    VB(m, 1, d, VHU_E_INCORRECT_FDS);
    m->p.shmem.shm_offset = ~0ull;
    VB(m, 0, d, VHU_E_INVALID_PARAM);

    /* VRING_CALL/ERR: a queue index the protocol can address (bits 0-7). */
    for (uint32_t c = VHU_BREQ_VRING_CALL; c <= VHU_BREQ_VRING_ERR; c++) {
        m = mk(c, 8);
        m->p.state.index = 255;
        VB(m, 0, d, VHU_E_NONE);
        m->p.state.index = 256;
        VB(m, 0, d, VHU_E_INVALID_PARAM);
        m->p.state.index = 0xffffffffu;
        VB(m, 0, VHU_DIALECT_FS_CACHE, VHU_E_INVALID_PARAM);
    }
}

TEST(breq_fs_cache)
{
    static const char *const names[] = {
        NULL,
        "IOTLB_MSG",
        "CONFIG_CHANGE_MSG",
        "VRING_HOST_NOTIFIER_MSG",
        "VRING_CALL",
        "VRING_ERR",
        "FS_MAP",
        "FS_UNMAP",
        "FS_SYNC",
        "FS_IO",
    };
    const enum vhu_backend_dialect d = VHU_DIALECT_FS_CACHE;
    uint32_t with_fd[] = {VHU_BREQ_FS_MAP, VHU_BREQ_FS_IO};
    uint32_t no_fd[] = {VHU_BREQ_FS_UNMAP, VHU_BREQ_FS_SYNC};
    struct vhu_msg *m;

    for (uint32_t c = 1; c <= 9; c++) {
        ASSERT(!strcmp(vhu_breq_name(c, d), names[c]));
    }
    ASSERT(vhu_breq_info(10, d) == NULL);
    ASSERT(!strcmp(vhu_breq_name(10, d), "UNKNOWN"));
    VB(mk(10, 40), 0, d, VHU_E_INVALID_MESSAGE);

    /* Code 9: FS_IO here, SHMEM_MAP upstream; the sizes tell them apart. */
    ASSERT(!strcmp(vhu_breq_name(9, VHU_DIALECT_UPSTREAM), "SHMEM_MAP"));
    VB(mk(9, 256), 1, d, VHU_E_NONE);
    VB(mk(9, 40), 1, d, VHU_E_INVALID_MESSAGE);
    VB(mk(9, 256), 1, VHU_DIALECT_UPSTREAM, VHU_E_INVALID_MESSAGE);
    /* Code 6: FS_MAP here, SHARED_OBJECT_ADD upstream. */
    VB(mk(6, 16), 0, d, VHU_E_INVALID_MESSAGE);
    VB(mk(6, 16), 0, VHU_DIALECT_UPSTREAM, VHU_E_NONE);

    for (unsigned int i = 0; i < 2; i++) {
        m = mk(with_fd[i], 256);
        m->p.fs.len[0] = 0x1000;
        m->p.fs.flags[0] = VHU_FS_FLAG_MAP_R | VHU_FS_FLAG_MAP_W;
        m->p.fs.len[7] = 0x1000;
        m->p.fs.cache_offset[7] = 0x200000;
        VB(m, 1, d, VHU_E_NONE);
        VB(m, 0, d, VHU_E_INCORRECT_FDS);
        VB(m, 2, d, VHU_E_INCORRECT_FDS);
        /* Unused entries (len 0) are not looked at. */
        m->p.fs.fd_offset[3] = ~0ull;
        m->p.fs.flags[3] = ~0ull;
        VB(m, 1, d, VHU_E_NONE);
        /* Used entries must not wrap, nor carry unknown flags. */
        m->p.fs.fd_offset[7] = ~0ull - 0xfff;
        VB(m, 1, d, VHU_E_INVALID_PARAM);
        m->p.fs.fd_offset[7] = 0;
        m->p.fs.cache_offset[7] = ~0ull;
        VB(m, 1, d, VHU_E_INVALID_PARAM);
        m->p.fs.cache_offset[7] = 0;
        m->p.fs.flags[7] = 4;
        VB(m, 1, d, VHU_E_INVALID_PARAM);
        m->hdr.size = 248;
        VB(m, 1, d, VHU_E_INVALID_MESSAGE);
    }
    for (unsigned int i = 0; i < 2; i++) {
        m = mk(no_fd[i], 256);
        m->p.fs.len[0] = 0x1000;
        VB(m, 0, d, VHU_E_NONE);
        VB(m, 1, d, VHU_E_INCORRECT_FDS);
        m->p.fs.cache_offset[0] = ~0ull;
        VB(m, 0, d, VHU_E_INVALID_PARAM);
    }
}

TEST_MAIN(T(table_rows), T(protocol_features_needed), T(unknown_codes),
          T(header_checks), T(sizes_no_payload), T(sizes_u64_and_state),
          T(sizes_fixed_structs), T(config_sizes), T(inflight),
          T(fd_allow_list), T(ring_sizes), T(vring_fields), T(queue_index),
          T(mem_table), T(regions), T(mem_reg_single), T(breq_upstream),
          T(breq_fs_cache))
