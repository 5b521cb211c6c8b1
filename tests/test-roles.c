/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-roles.c - the frontend and the backend talking over a real Unix
 * socket, the backend serving the dummy device (the seed's tests, and
 * what the library adds: errors answered, REPLY_ACK on and off).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "dummy-backend.h"
#include "test.h"
#include "vhu-backend.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend.h"

#define ALL_PF (~0ull)

static void open_pair(struct dummy_pair *p)
{
    ASSERT_OK(dummy_pair_open(p, test_sock_path("sock")));
}

/* Backend's returns of the last serving run. */
static void assert_rcs_ok(const struct dummy_pair *p, unsigned int n)
{
    unsigned int i;

    ASSERT_EQ(p->nrcs, n);
    for (i = 0; i < n; i++) {
        if (p->rcs[i] < 0) {
            test_fail(__FILE__, __LINE__, "message %u: %s", i,
                      test_strerror(p->rcs[i]));
        }
    }
}

TEST(create_dummy_backend)
{
    struct dummy_dev d;

    dummy_dev_init(&d);
    ASSERT_EQ(dummy_backend_ops.set_owner(&d), 0);
    ASSERT(d.owned);
    ASSERT(dummy_backend_ops.set_owner(&d) < 0);
    ASSERT(d.owned);
    dummy_dev_fini(&d);
}

TEST(set_owner)
{
    struct dummy_pair p;

    open_pair(&p);
    ASSERT(!p.dev.owned);
    /* No REPLY_ACK yet: the call returns once the request is sent. */
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    ASSERT_EQ(vhu_backend_handle_one(p.be), 0);
    ASSERT(p.dev.owned);
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    ASSERT_ERR_KIND(vhu_backend_handle_one(p.be), VHU_E_REQ_HANDLER);
    ASSERT(p.dev.owned);
    ASSERT(!vhu_backend_is_broken(p.be));
    dummy_pair_close(&p);
}

TEST(set_features)
{
    struct dummy_pair p;
    uint64_t f, pf;

    open_pair(&p);
    ASSERT_OK(dummy_pair_serve(&p, 5));
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    ASSERT_OK(vhu_fe_get_features(p.fe, &f));
    ASSERT_EQ(f, DUMMY_FEATURES);
    ASSERT_OK(vhu_fe_set_features(p.fe, DUMMY_FEATURES & ~1ull));
    ASSERT_OK(vhu_fe_get_protocol_features(p.fe, &pf));
    ASSERT_EQ(pf, DUMMY_PROTOCOL_FEATURES);
    ASSERT_OK(vhu_fe_set_protocol_features(p.fe, pf));
    dummy_pair_wait(&p);
    assert_rcs_ok(&p, 5);
    ASSERT(p.dev.owned);
    ASSERT_EQ(p.dev.acked_features, DUMMY_FEATURES & ~1ull);
    ASSERT_EQ(p.dev.acked_protocol_features, DUMMY_PROTOCOL_FEATURES);
    ASSERT_EQ(vhu_backend_features(p.be), DUMMY_FEATURES & ~1ull);
    ASSERT_EQ(vhu_backend_protocol_features(p.be), DUMMY_PROTOCOL_FEATURES);
    dummy_pair_close(&p);
}

/* The seed's master/slave process, one request after the other. */
TEST(frontend_backend_process)
{
    struct dummy_pair p;
    struct vhu_inflight in = {.num_queues = 2, .queue_size = 256}, out;
    struct vhost_vring_addr addr = {
        .index = 0,
        .flags = 1u << VHOST_VRING_F_LOG,
        .desc_user_addr = 0x1000,
        .used_user_addr = 0x2000,
        .avail_user_addr = 0x3000,
        .log_guest_addr = 0x4000,
    };
    struct vhu_log log = {.mmap_size = 0x1000, .mmap_offset = 0};
    struct vhu_fe_region mem, reg;
    uint8_t a5 = 0xa5, buf[4];
    uint64_t num, slots;
    unsigned int base = 99, i;
    int infd, efd, memfd, regfd, nfds;

    open_pair(&p);
    nfds = test_count_fds();
    ASSERT_OK(dummy_pair_negotiate(&p, ALL_PF));
    ASSERT_OK(dummy_pair_serve(&p, 20));

    ASSERT_OK(vhu_fe_get_inflight_fd(p.fe, &in, &out, &infd));
    ASSERT(infd >= 0);
    ASSERT_EQ(out.num_queues, 2);
    ASSERT_EQ(out.queue_size, 256);
    ASSERT(out.mmap_size > 0);
    ASSERT_OK(vhu_fe_set_inflight_fd(p.fe, &out, infd));
    close(infd);

    ASSERT_OK(vhu_fe_get_queue_num(p.fe, &num));
    ASSERT_EQ(num, 2);

    efd = test_eventfd();
    memfd = test_memfd("mem", 0x100000);
    mem = (struct vhu_fe_region){
        .guest_phys_addr = 0, .memory_size = 0x100000, .fd = memfd};
    ASSERT_OK(vhu_fe_set_mem_table(p.fe, &mem, 1));

    ASSERT_OK(vhu_fe_set_config(p.fe, 0x100, 1, VHU_CONFIG_F_WRITABLE, &a5));
    memset(buf, 0, sizeof(buf));
    ASSERT_OK(vhu_fe_get_config(p.fe, 0x100, 4, 0, buf));
    ASSERT_EQ(buf[0], 0xa5);

    ASSERT_OK(vhu_fe_set_backend_req_fd(p.fe, efd));
    ASSERT_OK(vhu_fe_set_vring_enable(p.fe, 0, true));

    /* LOG_SHMFD not negotiated: refused, and REPLY_ACK says so. */
    ASSERT(vhu_fe_set_log_base(p.fe, &log, efd) < 0);
    ASSERT(vhu_fe_set_log_fd(p.fe, efd) < 0);

    ASSERT_OK(vhu_fe_set_vring_num(p.fe, 0, 256));
    ASSERT_OK(vhu_fe_set_vring_base(p.fe, 0, 0));
    ASSERT_OK(vhu_fe_get_vring_base(p.fe, 0, &base));
    ASSERT_EQ(base, 0);
    ASSERT_OK(vhu_fe_set_vring_addr(p.fe, &addr));
    ASSERT_OK(vhu_fe_set_vring_call(p.fe, 0, efd));
    ASSERT_OK(vhu_fe_set_vring_kick(p.fe, 0, efd));
    ASSERT_OK(vhu_fe_set_vring_err(p.fe, 0, efd));

    ASSERT_OK(vhu_fe_get_max_mem_slots(p.fe, &slots));
    ASSERT_EQ(slots, 32);

    regfd = test_memfd("region", 0x100000);
    reg = (struct vhu_fe_region){
        .guest_phys_addr = 0x100000, .memory_size = 0x100000, .fd = regfd};
    ASSERT_OK(vhu_fe_add_mem_reg(p.fe, &reg));
    ASSERT_OK(vhu_fe_rem_mem_reg(p.fe, &reg));

    dummy_pair_wait(&p);
    ASSERT_EQ(p.nrcs, 20);
    for (i = 0; i < p.nrcs; i++) {
        /* Messages 8 and 9 are SET_LOG_BASE and SET_LOG_FD. */
        if (i == 8 || i == 9) {
            ASSERT_ERR_KIND(p.rcs[i], VHU_E_INVALID_OPERATION);
        } else if (p.rcs[i] < 0) {
            test_fail(__FILE__, __LINE__, "message %u: %s", i,
                      test_strerror(p.rcs[i]));
        }
    }
    ASSERT(p.dev.vring[0].enabled);
    ASSERT_EQ(p.dev.vring[0].num, 256);
    ASSERT(p.dev.vring[0].addr_set);
    ASSERT_EQ(p.dev.vring[0].addr.used_user_addr, 0x2000);
    ASSERT(p.dev.vring[0].call_fd >= 0);
    ASSERT(p.dev.vring[0].kick_fd >= 0);
    ASSERT(p.dev.vring[0].err_fd >= 0);
    ASSERT(p.dev.backend_req_fd >= 0);
    ASSERT(p.dev.inflight_set_fd >= 0);
    ASSERT_EQ(p.dev.config[0x100], 0xa5);
    /* The mem table's region stays; the added one is gone again. */
    ASSERT_EQ(p.dev.nregions, 1);
    ASSERT_EQ(p.dev.regions[0].guest_phys_addr, 0);

    close(efd);
    close(memfd);
    close(regfd);
    /* What the device keeps is closed with it; nothing else is left. */
    dummy_dev_fini(&p.dev);
    ASSERT_EQ(test_count_fds(), nfds);
    dummy_pair_close(&p);
}

TEST(error_display)
{
    char buf[128];

    ASSERT(
        !strcmp(vhu_err_kind_str(VHU_E_INVALID_PARAM), "invalid parameters"));
    ASSERT(!strcmp(vhu_err_kind_str(VHU_E_INVALID_OPERATION),
                   "invalid operation"));
    ASSERT(!strcmp(vhu_strerror(vhu_err(VHU_E_INVALID_PARAM), buf, sizeof(buf)),
                   "invalid parameters"));
}

TEST(error_from_errno)
{
    int rc = vhu_err_from_errno(EAGAIN);

    ASSERT_ERR_KIND(rc, VHU_E_SOCKET_RETRY);
    ASSERT_EQ(vhu_err_errno(rc), -EAGAIN);
    ASSERT(!vhu_err_should_reconnect(rc));
}

/* NULL ops: an ack-type and a reply-type request both come back failed. */
TEST(unimplemented_op_answered)
{
    struct dummy_pair p;
    struct vhu_shmem_config cfg;
    uint8_t st;
    int rc;

    open_pair(&p);
    ASSERT_OK(dummy_pair_negotiate(&p, ALL_PF));
    ASSERT_OK(dummy_pair_serve(&p, 4));
    rc = vhu_fe_vring_kick(p.fe, 0);
    ASSERT_ERR_KIND(rc, VHU_E_REQ_HANDLER);
    ASSERT_EQ(vhu_err_errno(rc), -EOPNOTSUPP);
    ASSERT_ERR_KIND(vhu_fe_get_shmem_config(p.fe, &cfg), VHU_E_REQ_HANDLER);
    ASSERT_OK(vhu_fe_set_status(p.fe, 0x0f));
    ASSERT_OK(vhu_fe_get_status(p.fe, &st));
    ASSERT_EQ(st, 0x0f);
    dummy_pair_wait(&p);
    ASSERT_EQ(p.nrcs, 4);
    ASSERT_ERR_KIND(p.rcs[0], VHU_E_REQ_HANDLER);
    ASSERT_EQ(vhu_err_errno(p.rcs[0]), -EOPNOTSUPP);
    ASSERT_ERR_KIND(p.rcs[1], VHU_E_REQ_HANDLER);
    ASSERT_EQ(p.rcs[2], 0);
    ASSERT_EQ(p.rcs[3], 0);
    dummy_pair_close(&p);
}

/* A device's -errno reaches the frontend through the ack. */
TEST(op_errno_in_ack)
{
    struct dummy_pair p;
    uint8_t buf[4];
    int rc;

    open_pair(&p);
    ASSERT_OK(dummy_pair_negotiate(&p, ALL_PF));
    ASSERT_OK(dummy_pair_serve(&p, 4));
    /* 512 is a valid ring size the dummy does not take (max 256). */
    rc = vhu_fe_set_vring_num(p.fe, 1, 512);
    ASSERT_ERR_KIND(rc, VHU_E_REQ_HANDLER);
    ASSERT_EQ(vhu_err_errno(rc), -EINVAL);
    /* A feature the device never offered. */
    ASSERT_ERR_KIND(vhu_fe_set_features(p.fe, 1ull << 50), VHU_E_REQ_HANDLER);
    /* A protocol feature the device never offered (LOG_SHMFD). */
    ASSERT_ERR_KIND(
        vhu_fe_set_protocol_features(p.fe, DUMMY_PROTOCOL_FEATURES |
                                               VHU_PF_BIT(VHU_PF_LOG_SHMFD)),
        VHU_E_REQ_HANDLER);
    /* A failed GET_CONFIG is a reply of size 0 (spec). */
    ASSERT_ERR_KIND(vhu_fe_get_config(p.fe, DUMMY_CONFIG_SIZE - 2, 4, 0, buf),
                    VHU_E_REQ_HANDLER);
    dummy_pair_wait(&p);
    ASSERT_ERR_KIND(p.rcs[0], VHU_E_REQ_HANDLER);
    ASSERT_ERR_KIND(p.rcs[1], VHU_E_FEATURE_MISMATCH);
    ASSERT_ERR_KIND(p.rcs[2], VHU_E_FEATURE_MISMATCH);
    ASSERT_EQ(p.nrcs, 4);
    ASSERT(p.rcs[3] < 0);
    ASSERT_EQ(p.dev.acked_features, DUMMY_FEATURES & ~1ull);
    ASSERT_EQ(p.dev.acked_protocol_features, DUMMY_PROTOCOL_FEATURES);
    ASSERT_EQ(vhu_backend_protocol_features(p.be), DUMMY_PROTOCOL_FEATURES);
    dummy_pair_close(&p);
}

/* REPLY_ACK off: requests without a reply still work, refusals are silent. */
TEST(no_reply_ack)
{
    struct dummy_pair p;
    uint64_t num;

    open_pair(&p);
    ASSERT_OK(dummy_pair_negotiate(&p, ~VHU_PF_BIT(VHU_PF_REPLY_ACK)));
    ASSERT_EQ(
        vhu_backend_protocol_features(p.be) & VHU_PF_BIT(VHU_PF_REPLY_ACK), 0);
    ASSERT_OK(dummy_pair_serve(&p, 4));
    ASSERT_OK(vhu_fe_set_vring_num(p.fe, 0, 128));
    /* Refused by the device, but nobody asked for an ack. */
    ASSERT_OK(vhu_fe_set_vring_num(p.fe, 1, 512));
    ASSERT_OK(vhu_fe_set_vring_base(p.fe, 0, 7));
    ASSERT_OK(vhu_fe_get_queue_num(p.fe, &num));
    ASSERT_EQ(num, 2);
    dummy_pair_wait(&p);
    ASSERT_EQ(p.rcs[0], 0);
    ASSERT_ERR_KIND(p.rcs[1], VHU_E_REQ_HANDLER);
    ASSERT_EQ(p.rcs[2], 0);
    ASSERT_EQ(p.rcs[3], 0);
    ASSERT_EQ(p.dev.vring[0].num, 128);
    ASSERT_EQ(p.dev.vring[0].base, 7);
    dummy_pair_close(&p);
}

/* What negotiation forbids never reaches the device. */
TEST(negotiation_enforced)
{
    struct dummy_pair p;
    uint64_t f, pf;
    uint8_t b = 1;

    open_pair(&p);
    ASSERT_OK(dummy_pair_serve(&p, 7));
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    ASSERT_OK(vhu_fe_get_features(p.fe, &f));
    /* F_PROTOCOL_FEATURES offered but not acked. */
    ASSERT_OK(
        vhu_fe_set_features(p.fe, f & ~(1ull << VHU_F_PROTOCOL_FEATURES)));
    ASSERT_OK(vhu_fe_get_protocol_features(p.fe, &pf));
    ASSERT_OK(vhu_fe_set_protocol_features(p.fe, VHU_PF_BIT(VHU_PF_REPLY_ACK) |
                                                     VHU_PF_BIT(VHU_PF_MQ)));
    ASSERT_ERR_KIND(vhu_fe_set_vring_enable(p.fe, 0, true), VHU_E_REQ_HANDLER);
    /* CONFIG not negotiated. */
    ASSERT_ERR_KIND(vhu_fe_set_config(p.fe, 0, 1, 0, &b), VHU_E_REQ_HANDLER);
    dummy_pair_wait(&p);
    ASSERT_EQ(p.nrcs, 7);
    ASSERT_ERR_KIND(p.rcs[5], VHU_E_INVALID_OPERATION);
    ASSERT_ERR_KIND(p.rcs[6], VHU_E_INVALID_OPERATION);
    ASSERT(!p.dev.vring[0].enabled);
    ASSERT_EQ(p.dev.config[0], 0);
    dummy_pair_close(&p);
}

/*
 * A reply that is not the one the frontend waits for: the stream is out of
 * step (spec, "Communication": a wrong reply closes the connection), so the
 * next call must not read a stale reply as its own.
 */
TEST(wrong_reply_breaks_frontend)
{
    struct vhu_frontend *fe;
    uint64_t v = 0x42, f = 0;
    int sv[2];
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_OK(vhu_frontend_new(&fe, sv[0], 2));
    /* A reply to something else, then one that looks right. */
    ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_PROTOCOL_FEATURES, VHU_FLAG_REPLY, &v,
                       sizeof(v), NULL, 0));
    ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_FEATURES, VHU_FLAG_REPLY, &v,
                       sizeof(v), NULL, 0));
    ASSERT(!vhu_frontend_is_broken(fe));
    ASSERT_ERR_KIND(vhu_fe_get_features(fe, &f), VHU_E_INVALID_MESSAGE);
    ASSERT(vhu_frontend_is_broken(fe));
    ASSERT_ERR_KIND(vhu_fe_get_features(fe, &f), VHU_E_SOCKET_BROKEN);
    ASSERT_EQ(f, 0);
    ASSERT_ERR_KIND(vhu_fe_set_owner(fe), VHU_E_SOCKET_BROKEN);
    vhu_frontend_free(fe);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

/*
 * Nothing to read on a non-blocking socket is SOCKET_RETRY: nothing was
 * consumed, nothing is answered, and the connection goes on.
 */
TEST(backend_retry_not_broken)
{
    struct dummy_pair p;

    open_pair(&p);
    ASSERT_EQ(fcntl(vhu_backend_fd(p.be), F_SETFL, O_NONBLOCK), 0);
    ASSERT_ERR_KIND(vhu_backend_handle_one(p.be), VHU_E_SOCKET_RETRY);
    ASSERT(!vhu_backend_is_broken(p.be));
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    ASSERT_EQ(vhu_backend_handle_one(p.be), 0);
    ASSERT(p.dev.owned);
    dummy_pair_close(&p);
}

/*
 * A SET_PROTOCOL_FEATURES the backend refuses without being able to say so
 * (no REPLY_ACK yet) leaves the two sides disagreeing on how requests are
 * answered: the frontend would wait for acks that never come.  The backend
 * closes the connection instead.
 */
TEST(refused_protocol_features_close)
{
    struct dummy_pair p;
    uint64_t f, pf;

    open_pair(&p);
    ASSERT_OK(dummy_pair_serve(&p, 4));
    ASSERT_OK(vhu_fe_get_features(p.fe, &f));
    ASSERT_OK(vhu_fe_set_features(p.fe, f));
    ASSERT_OK(vhu_fe_get_protocol_features(p.fe, &pf));
    /* LOG_SHMFD is not offered: refused. */
    ASSERT_OK(
        vhu_fe_set_protocol_features(p.fe, pf | VHU_PF_BIT(VHU_PF_LOG_SHMFD)));
    dummy_pair_wait(&p);
    ASSERT_ERR_KIND(p.rcs[3], VHU_E_FEATURE_MISMATCH);
    ASSERT(vhu_backend_is_broken(p.be));
    ASSERT_EQ(vhu_backend_protocol_features(p.be), 0);
    dummy_pair_close(&p);

    /*
     * Spec, "In-band notifications": INBAND_NOTIFICATIONS without
     * BACKEND_REQ and REPLY_ACK is an error the backend answers by closing.
     */
    open_pair(&p);
    ASSERT_OK(dummy_pair_serve(&p, 2));
    ASSERT_OK(vhu_fe_get_protocol_features(p.fe, &pf));
    ASSERT_OK(vhu_fe_set_protocol_features(
        p.fe, VHU_PF_BIT(VHU_PF_INBAND_NOTIFICATIONS) |
                  VHU_PF_BIT(VHU_PF_REPLY_ACK)));
    dummy_pair_wait(&p);
    ASSERT_ERR_KIND(p.rcs[1], VHU_E_FEATURE_MISMATCH);
    ASSERT(vhu_backend_is_broken(p.be));
    ASSERT_EQ(vhu_backend_protocol_features(p.be), 0);
    dummy_pair_close(&p);
}

/*
 * GET_INFLIGHT_FD's answer is the backend's: an area of size 0 or one that
 * wraps is refused, and the fd that came with it is closed, not returned.
 */
TEST(bad_inflight_reply_refused)
{
    struct vhu_inflight in = {.num_queues = 1, .queue_size = 64}, out;
    struct vhu_inflight bad[] = {
        {.mmap_size = 0, .num_queues = 1, .queue_size = 64},
        {.mmap_size = 4096,
         .mmap_offset = ~0ull,
         .num_queues = 1,
         .queue_size = 64},
    };
    struct vhu_frontend *fe;
    int sv[2], mfd, fd;
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_OK(vhu_frontend_new(&fe, sv[0], 2));
    mfd = test_memfd("inflight", 4096);
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_INFLIGHT_FD, VHU_FLAG_REPLY,
                           &bad[i], sizeof(bad[i]), &mfd, 1));
        fd = 123456;
        ASSERT_ERR_KIND(vhu_fe_get_inflight_fd(fe, &in, &out, &fd),
                        VHU_E_INVALID_MESSAGE);
        ASSERT_EQ(fd, -1);
        /* Read whole: the stream is still in step. */
        ASSERT(!vhu_frontend_is_broken(fe));
    }
    close(mfd);
    vhu_frontend_free(fe);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

/*
 * Fds on a reply that takes none are closed and the call fails; a
 * GET_INFLIGHT_FD reply without its fd fails too.  Both replies were read
 * whole: the frontend goes on.
 */
TEST(reply_fds_checked)
{
    struct vhu_inflight in = {.num_queues = 1, .queue_size = 64}, out;
    struct vhu_inflight good = {
        .mmap_size = 4096, .num_queues = 1, .queue_size = 64};
    struct vhu_frontend *fe;
    uint64_t v = 7, f = 0;
    int sv[2], efd, fd = -1;
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_OK(vhu_frontend_new(&fe, sv[0], 2));
    efd = test_eventfd();
    ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_FEATURES, VHU_FLAG_REPLY, &v,
                       sizeof(v), &efd, 1));
    close(efd);
    ASSERT_ERR_KIND(vhu_fe_get_features(fe, &f), VHU_E_INCORRECT_FDS);
    ASSERT_EQ(f, 0);
    ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_INFLIGHT_FD, VHU_FLAG_REPLY, &good,
                       sizeof(good), NULL, 0));
    ASSERT_ERR_KIND(vhu_fe_get_inflight_fd(fe, &in, &out, &fd),
                    VHU_E_INCORRECT_FDS);
    ASSERT_EQ(fd, -1);
    ASSERT(!vhu_frontend_is_broken(fe));
    ASSERT_OK(vhu_send(sv[1], VHU_REQ_GET_FEATURES, VHU_FLAG_REPLY, &v,
                       sizeof(v), NULL, 0));
    ASSERT_OK(vhu_fe_get_features(fe, &f));
    ASSERT_EQ(f, 7);
    vhu_frontend_free(fe);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

/*
 * SET_PROTOCOL_FEATURES that turns REPLY_ACK off asks for no ack: backends
 * differ on whether the REPLY_ACK before or after the message decides
 * (rust-vmm acks by the new set), so the frontend would wait forever for
 * an ack that one kind of backend never sends.
 */
TEST(set_protocol_features_never_waits)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 1000};
    struct vhu_frontend *fe;
    struct vhu_msg m;
    int sv[2], fds[VHU_MAX_FDS];
    unsigned int n;
    int nfds = test_count_fds();

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    /* A wait that would never end fails instead. */
    ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_OK(vhu_frontend_new(&fe, sv[0], 2));
    ASSERT_OK(vhu_fe_set_protocol_features(fe, VHU_PF_BIT(VHU_PF_REPLY_ACK)));
    ASSERT_OK(vhu_fe_set_protocol_features(fe, VHU_PF_BIT(VHU_PF_MQ)));
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(vhu_recv(sv[1], &m, fds, &n));
        ASSERT_EQ(m.hdr.request, VHU_REQ_SET_PROTOCOL_FEATURES);
        ASSERT_EQ(m.hdr.flags & VHU_FLAG_NEED_REPLY, 0);
    }
    ASSERT_EQ(m.p.u64, VHU_PF_BIT(VHU_PF_MQ));
    vhu_frontend_free(fe);
    close(sv[1]);
    ASSERT_EQ(test_count_fds(), nfds);
}

/* The frontend hanging up ends vhu_backend_run() with 0. */
TEST(run_until_hangup)
{
    struct dummy_pair p;

    open_pair(&p);
    ASSERT_OK(vhu_fe_set_owner(p.fe));
    vhu_frontend_free(p.fe);
    p.fe = NULL;
    ASSERT_EQ(vhu_backend_run(p.be), 0);
    ASSERT(p.dev.owned);
    ASSERT(vhu_backend_is_broken(p.be));
    dummy_pair_close(&p);
}

TEST_MAIN(T(create_dummy_backend), T(set_owner), T(set_features),
          T(frontend_backend_process), T(error_display), T(error_from_errno),
          T(unimplemented_op_answered), T(op_errno_in_ack), T(no_reply_ack),
          T(negotiation_enforced), T(wrong_reply_breaks_frontend),
          T(backend_retry_not_broken), T(bad_inflight_reply_refused),
          T(reply_fds_checked), T(set_protocol_features_never_waits),
          T(refused_protocol_features_close), T(run_until_hangup))
