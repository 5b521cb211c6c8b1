/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-frontend.c - the frontend role: one call per request.
 *
 * Security model: the backend is not trusted.  A reply must echo the
 * request code, carry the REPLY flag and have exactly the size of its type;
 * fds that come with a reply that takes none are closed; a GET_INFLIGHT_FD
 * reply must carry exactly one fd.  Nothing the backend says is used before
 * these checks (and a GET_INFLIGHT_FD area must be non-empty and not
 * wrap: the caller maps it).
 *
 * Acks (spec: "Communication", REPLY_ACK): once REPLY_ACK was set with a
 * successful SET_PROTOCOL_FEATURES, every request without a reply of its
 * own carries NEED_REPLY (SET_PROTOCOL_FEATURES only if it keeps REPLY_ACK) and
 * the call waits for a u64: 0 is success, anything else a refusal
 * (VHU_E_REQ_HANDLER; a value in -4095..-1 is the backend's -errno, anything
 * else reads as EIO).  A reply of size 0 to a request with its own reply is how
 * a backend says it failed (GET_CONFIG's failure form in the spec):
 * VHU_E_REQ_HANDLER with EIO.  Any other wrong size is VHU_E_INVALID_MESSAGE.
 *
 * Being in step: every message the backend sends on this socket is a reply
 * to the request in flight.  When a request went out only in part, or a
 * reply did not come whole, or came with a bad header or another request's
 * code, the next reply read would not be the next request's (spec,
 * "Communication": the frontend closes the connection on a wrong reply).
 * The frontend is then broken: every later call fails with
 * VHU_E_SOCKET_BROKEN without touching the socket.  A reply of the wrong
 * size or with the wrong fds was read whole and leaves the stream in step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend.h"
#include "vhu-msg.h"

struct vhu_frontend {
    int fd;
    bool broken; /* the stream is out of step: refuse every call */
    unsigned int max_queues;
    uint64_t pf;        /* protocol features acked by set_protocol_features */
    struct vhu_msg msg; /* requests are built here */
    struct vhu_msg reply;
};

int vhu_frontend_new(struct vhu_frontend **out, int fd, unsigned int max_queues)
{
    struct vhu_frontend *fe;

    if (!out || fd < 0) {
        if (fd >= 0) {
            close(fd);
        }
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *out = NULL;
    fe = calloc(1, sizeof(*fe));
    if (!fe) {
        close(fd);
        return VHU_ERR(VHU_E_FRONTEND_INTERNAL, ENOMEM);
    }
    fe->fd = fd;
    fe->max_queues = max_queues;
    *out = fe;
    return 0;
}

int vhu_frontend_connect(struct vhu_frontend **out, const char *path,
                         unsigned int max_queues)
{
    int fd, rc;

    if (out) {
        *out = NULL;
    }
    rc = vhu_connect(path, &fd);
    if (rc < 0) {
        return rc;
    }
    return vhu_frontend_new(out, fd, max_queues);
}

void vhu_frontend_free(struct vhu_frontend *fe)
{
    if (!fe) {
        return;
    }
    close(fe->fd);
    free(fe);
}

int vhu_frontend_fd(const struct vhu_frontend *fe)
{
    return fe->fd;
}

bool vhu_frontend_is_broken(const struct vhu_frontend *fe)
{
    return fe->broken;
}

/*
 * Send a request.  Errors that left nothing on the wire (refused
 * arguments, SOCKET_RETRY) keep the stream in step; any other breaks it.
 */
static int send_req(struct vhu_frontend *fe, uint32_t request, uint32_t flags,
                    const void *p, uint32_t size, const int *fds,
                    unsigned int nfds)
{
    int rc;

    if (fe->broken) {
        return vhu_err(VHU_E_SOCKET_BROKEN);
    }
    rc = vhu_send(fe->fd, request, flags, p, size, fds, nfds);
    switch (vhu_err_kind(rc)) {
    case VHU_E_NONE:
    case VHU_E_SOCKET_RETRY:
    case VHU_E_INCORRECT_FDS:
    case VHU_E_OVERSIZED_MSG:
    case VHU_E_INVALID_PARAM:
        break;
    default:
        fe->broken = true;
        break;
    }
    return rc;
}

/* A backend's ack or error value as an error code (0 stays 0). */
static int ack_to_rc(uint64_t v)
{
    int64_t s = (int64_t)v;

    if (v == 0) {
        return 0;
    }
    if (s < 0 && s >= -VHU_ERR_ERRNO_MASK) {
        return VHU_ERR(VHU_E_REQ_HANDLER, (int)-s);
    }
    return VHU_ERR(VHU_E_REQ_HANDLER, EIO);
}

/*
 * Read the reply to @request: header checks, echo, and either exactly
 * @want_size bytes (or @alt_size when nonzero) and @want_fds fds.  A fd
 * the caller wants is stored in *@fd_out; every other fd is closed.
 */
static int recv_reply(struct vhu_frontend *fe, uint32_t request,
                      uint32_t want_size, uint32_t alt_size,
                      unsigned int want_fds, int *fd_out)
{
    struct vhu_msg *r = &fe->reply;
    int fds[VHU_MAX_FDS];
    unsigned int nfds = 0;
    int rc;

    rc = vhu_recv(fe->fd, r, fds, &nfds);
    if (rc < 0) {
        /* Only a whole message with bad fds leaves the stream in step. */
        if (vhu_err_kind(rc) != VHU_E_INCORRECT_FDS) {
            fe->broken = true;
        }
        /* A wait that SO_RCVTIMEO ended: the reply may still come. */
        if (vhu_err_kind(rc) == VHU_E_SOCKET_RETRY) {
            rc = VHU_ERR(VHU_E_SOCKET_BROKEN, ETIMEDOUT);
        }
        return rc;
    }
    rc = vhu_msg_check_hdr(&r->hdr, true);
    if (rc == 0 && r->hdr.request != request) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc < 0) {
        /* Not a reply to this request: whose it is, nobody knows. */
        fe->broken = true;
    }
    if (rc == 0 && r->hdr.size == 0 && want_size != 0) {
        rc = VHU_ERR(VHU_E_REQ_HANDLER, EIO);
    }
    if (rc == 0 && r->hdr.size != want_size &&
        (alt_size == 0 || r->hdr.size != alt_size)) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0 && nfds != want_fds) {
        rc = vhu_err(VHU_E_INCORRECT_FDS);
    }
    if (rc == 0 && want_fds == 1) {
        *fd_out = fds[0];
        fds[0] = -1;
    }
    vhu_close_fds(fds, nfds);
    return rc;
}

/* Send a request with no reply of its own; with @ack, wait for the ack. */
static int call_ack(struct vhu_frontend *fe, uint32_t request, bool ack,
                    const void *p, uint32_t size, const int *fds,
                    unsigned int nfds)
{
    int rc;

    rc = send_req(fe, request, ack ? VHU_FLAG_NEED_REPLY : 0, p, size, fds,
                  nfds);
    if (rc < 0 || !ack) {
        return rc;
    }
    rc = recv_reply(fe, request, sizeof(uint64_t), 0, 0, NULL);
    return rc < 0 ? rc : ack_to_rc(fe->reply.p.u64);
}

/* The same, asking for an ack once REPLY_ACK is acked. */
static int call(struct vhu_frontend *fe, uint32_t request, const void *p,
                uint32_t size, const int *fds, unsigned int nfds)
{
    return call_ack(fe, request, fe->pf & VHU_PF_BIT(VHU_PF_REPLY_ACK), p, size,
                    fds, nfds);
}

/* Send a request that has a reply of @size bytes and read the reply. */
static int query(struct vhu_frontend *fe, uint32_t request, const void *p,
                 uint32_t size, uint32_t reply_size)
{
    int rc = send_req(fe, request, 0, p, size, NULL, 0);

    return rc < 0 ? rc : recv_reply(fe, request, reply_size, 0, 0, NULL);
}

static int call_u64(struct vhu_frontend *fe, uint32_t request, uint64_t v)
{
    return call(fe, request, &v, sizeof(v), NULL, 0);
}

static int query_u64(struct vhu_frontend *fe, uint32_t request, uint64_t *v)
{
    int rc;

    if (!v) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = query(fe, request, NULL, 0, sizeof(uint64_t));
    if (rc == 0) {
        *v = fe->reply.p.u64;
    }
    return rc;
}

static int call_state(struct vhu_frontend *fe, uint32_t request,
                      unsigned int index, unsigned int num)
{
    struct vhost_vring_state s = {.index = index, .num = num};

    if (index >= fe->max_queues) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return call(fe, request, &s, sizeof(s), NULL, 0);
}

int vhu_fe_set_owner(struct vhu_frontend *fe)
{
    return call(fe, VHU_REQ_SET_OWNER, NULL, 0, NULL, 0);
}

int vhu_fe_reset_owner(struct vhu_frontend *fe)
{
    return call(fe, VHU_REQ_RESET_OWNER, NULL, 0, NULL, 0);
}

int vhu_fe_get_features(struct vhu_frontend *fe, uint64_t *features)
{
    return query_u64(fe, VHU_REQ_GET_FEATURES, features);
}

int vhu_fe_set_features(struct vhu_frontend *fe, uint64_t features)
{
    return call_u64(fe, VHU_REQ_SET_FEATURES, features);
}

int vhu_fe_get_protocol_features(struct vhu_frontend *fe, uint64_t *pf)
{
    return query_u64(fe, VHU_REQ_GET_PROTOCOL_FEATURES, pf);
}

int vhu_fe_set_protocol_features(struct vhu_frontend *fe, uint64_t pf)
{
    const uint64_t ra = VHU_PF_BIT(VHU_PF_REPLY_ACK);
    int rc;

    /*
     * Backends differ on whether the REPLY_ACK in force before this
     * message or the one it sets decides its ack (rust-vmm: the new one).
     * Ask for an ack only when both have REPLY_ACK, so that every kind of
     * backend sends it; otherwise a backend that refuses closes the
     * connection (vhu-backend.h), which the next call sees.
     */
    rc = call_ack(fe, VHU_REQ_SET_PROTOCOL_FEATURES, fe->pf & pf & ra, &pf,
                  sizeof(pf), NULL, 0);
    /* From the next request on, REPLY_ACK (if set) is in force. */
    if (rc == 0) {
        fe->pf = pf;
    }
    return rc;
}

static void fill_region(struct vhu_mem_region *r, const struct vhu_fe_region *f)
{
    r->guest_phys_addr = f->guest_phys_addr;
    r->memory_size = f->memory_size;
    r->userspace_addr = f->userspace_addr;
    r->mmap_offset = f->mmap_offset;
}

int vhu_fe_set_mem_table(struct vhu_frontend *fe,
                         const struct vhu_fe_region *regions, unsigned int n)
{
    struct vhu_mem_table *t = &fe->msg.p.mem;
    int fds[VHU_MEM_BASELINE_NREGIONS];
    unsigned int i;

    if (n > VHU_MEM_BASELINE_NREGIONS || (n && !regions)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    memset(t, 0, sizeof(*t));
    t->nregions = n;
    for (i = 0; i < n; i++) {
        if (regions[i].fd < 0) {
            return vhu_err(VHU_E_INCORRECT_FDS);
        }
        fill_region(&t->regions[i], &regions[i]);
        fds[i] = regions[i].fd;
    }
    return call(fe, VHU_REQ_SET_MEM_TABLE, t, VHU_MEM_TABLE_SIZE(n), fds, n);
}

int vhu_fe_set_log_base(struct vhu_frontend *fe, const struct vhu_log *log,
                        int fd)
{
    unsigned int nfds = fd >= 0 ? 1 : 0;
    int rc;

    if (!log) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    /* With LOG_SHMFD the backend answers with a u64 of its own. */
    if (!(fe->pf & VHU_PF_BIT(VHU_PF_LOG_SHMFD))) {
        return call(fe, VHU_REQ_SET_LOG_BASE, log, sizeof(*log), &fd, nfds);
    }
    rc = send_req(fe, VHU_REQ_SET_LOG_BASE, 0, log, sizeof(*log), &fd, nfds);
    if (rc == 0) {
        rc = recv_reply(fe, VHU_REQ_SET_LOG_BASE, sizeof(uint64_t), 0, 0, NULL);
    }
    return rc < 0 ? rc : ack_to_rc(fe->reply.p.u64);
}

int vhu_fe_set_log_fd(struct vhu_frontend *fe, int fd)
{
    if (fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return call(fe, VHU_REQ_SET_LOG_FD, NULL, 0, &fd, 1);
}

int vhu_fe_set_vring_num(struct vhu_frontend *fe, unsigned int index,
                         unsigned int num)
{
    return call_state(fe, VHU_REQ_SET_VRING_NUM, index, num);
}

int vhu_fe_set_vring_addr(struct vhu_frontend *fe,
                          const struct vhost_vring_addr *addr)
{
    if (!addr || addr->index >= fe->max_queues) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return call(fe, VHU_REQ_SET_VRING_ADDR, addr, sizeof(*addr), NULL, 0);
}

int vhu_fe_set_vring_base(struct vhu_frontend *fe, unsigned int index,
                          unsigned int num)
{
    return call_state(fe, VHU_REQ_SET_VRING_BASE, index, num);
}

int vhu_fe_get_vring_base(struct vhu_frontend *fe, unsigned int index,
                          unsigned int *num)
{
    struct vhost_vring_state s = {.index = index};
    int rc;

    if (!num || index >= fe->max_queues) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = query(fe, VHU_REQ_GET_VRING_BASE, &s, sizeof(s), sizeof(s));
    if (rc == 0 && fe->reply.p.state.index != index) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0) {
        *num = fe->reply.p.state.num;
    }
    return rc;
}

/* SET_VRING_KICK/CALL/ERR: u64 index, NOFD bit when there is no fd. */
static int call_vring_fd(struct vhu_frontend *fe, uint32_t request,
                         unsigned int index, int fd)
{
    uint64_t v = index;

    if (index >= fe->max_queues || index > VHU_VRING_IDX_MASK) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (fd < 0) {
        v |= VHU_VRING_NOFD_MASK;
    }
    return call(fe, request, &v, sizeof(v), &fd, fd >= 0 ? 1 : 0);
}

int vhu_fe_set_vring_kick(struct vhu_frontend *fe, unsigned int index, int fd)
{
    return call_vring_fd(fe, VHU_REQ_SET_VRING_KICK, index, fd);
}

int vhu_fe_set_vring_call(struct vhu_frontend *fe, unsigned int index, int fd)
{
    return call_vring_fd(fe, VHU_REQ_SET_VRING_CALL, index, fd);
}

int vhu_fe_set_vring_err(struct vhu_frontend *fe, unsigned int index, int fd)
{
    return call_vring_fd(fe, VHU_REQ_SET_VRING_ERR, index, fd);
}

int vhu_fe_get_queue_num(struct vhu_frontend *fe, uint64_t *num)
{
    return query_u64(fe, VHU_REQ_GET_QUEUE_NUM, num);
}

int vhu_fe_set_vring_enable(struct vhu_frontend *fe, unsigned int index,
                            bool enable)
{
    return call_state(fe, VHU_REQ_SET_VRING_ENABLE, index, enable ? 1 : 0);
}

int vhu_fe_set_backend_req_fd(struct vhu_frontend *fe, int fd)
{
    if (fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return call(fe, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &fd, 1);
}

int vhu_fe_get_config(struct vhu_frontend *fe, uint32_t offset, uint32_t size,
                      uint32_t flags, void *buf)
{
    struct vhu_config *c = &fe->msg.p.config;
    struct vhu_config *r = &fe->reply.p.config;
    int rc;

    if (size == 0 || size > VHU_MAX_CONFIG_SIZE || !buf) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    memset(c, 0, VHU_CONFIG_HDR_SIZE + size);
    c->offset = offset;
    c->size = size;
    c->flags = flags;
    rc = query(fe, VHU_REQ_GET_CONFIG, c, VHU_CONFIG_HDR_SIZE + size,
               VHU_CONFIG_HDR_SIZE + size);
    if (rc == 0 && (r->offset != offset || r->size != size)) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0) {
        memcpy(buf, r->payload, size);
    }
    return rc;
}

int vhu_fe_set_config(struct vhu_frontend *fe, uint32_t offset, uint32_t size,
                      uint32_t flags, const void *buf)
{
    struct vhu_config *c = &fe->msg.p.config;

    if (size == 0 || size > VHU_MAX_CONFIG_SIZE || !buf) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    c->offset = offset;
    c->size = size;
    c->flags = flags;
    memcpy(c->payload, buf, size);
    return call(fe, VHU_REQ_SET_CONFIG, c, VHU_CONFIG_HDR_SIZE + size, NULL, 0);
}

int vhu_fe_get_inflight_fd(struct vhu_frontend *fe,
                           const struct vhu_inflight *in,
                           struct vhu_inflight *out, int *fd)
{
    const struct vhu_inflight *r;
    uint64_t end;
    int rc;

    if (!in || !out || !fd) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *fd = -1;
    rc = send_req(fe, VHU_REQ_GET_INFLIGHT_FD, 0, in, sizeof(*in), NULL, 0);
    if (rc < 0) {
        return rc;
    }
    /* vhu-proto.h: the packed 20-byte form is accepted too. */
    rc = recv_reply(fe, VHU_REQ_GET_INFLIGHT_FD, sizeof(*out),
                    VHU_INFLIGHT_SIZE_PACKED, 1, fd);
    if (rc < 0) {
        return rc;
    }
    r = &fe->reply.p.inflight;
    /* The caller will mmap this: a non-empty area that does not wrap. */
    if (r->mmap_size == 0 ||
        __builtin_add_overflow(r->mmap_offset, r->mmap_size, &end)) {
        close(*fd);
        *fd = -1;
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    memcpy(out, r, sizeof(*out));
    if (fe->reply.hdr.size == VHU_INFLIGHT_SIZE_PACKED) {
        out->padding = 0;
    }
    return 0;
}

int vhu_fe_set_inflight_fd(struct vhu_frontend *fe,
                           const struct vhu_inflight *info, int fd)
{
    if (!info) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return call(fe, VHU_REQ_SET_INFLIGHT_FD, info, sizeof(*info), &fd, 1);
}

int vhu_fe_get_max_mem_slots(struct vhu_frontend *fe, uint64_t *slots)
{
    return query_u64(fe, VHU_REQ_GET_MAX_MEM_SLOTS, slots);
}

static int call_mem_reg(struct vhu_frontend *fe, uint32_t request,
                        const struct vhu_fe_region *region)
{
    struct vhu_mem_single *m = &fe->msg.p.mem_reg;

    if (!region) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    memset(m, 0, sizeof(*m));
    fill_region(&m->region, region);
    /* REM_MEM_REG may carry the fd too (QEMU sends it); both are fine. */
    if (request == VHU_REQ_ADD_MEM_REG && region->fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return call(fe, request, m, sizeof(*m), &region->fd,
                region->fd >= 0 ? 1 : 0);
}

int vhu_fe_add_mem_reg(struct vhu_frontend *fe,
                       const struct vhu_fe_region *region)
{
    return call_mem_reg(fe, VHU_REQ_ADD_MEM_REG, region);
}

int vhu_fe_rem_mem_reg(struct vhu_frontend *fe,
                       const struct vhu_fe_region *region)
{
    return call_mem_reg(fe, VHU_REQ_REM_MEM_REG, region);
}

int vhu_fe_reset_device(struct vhu_frontend *fe)
{
    return call(fe, VHU_REQ_RESET_DEVICE, NULL, 0, NULL, 0);
}

int vhu_fe_set_status(struct vhu_frontend *fe, uint8_t status)
{
    return call_u64(fe, VHU_REQ_SET_STATUS, status);
}

int vhu_fe_get_status(struct vhu_frontend *fe, uint8_t *status)
{
    uint64_t v;
    int rc;

    if (!status) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = query_u64(fe, VHU_REQ_GET_STATUS, &v);
    if (rc == 0 && v > 0xff) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0) {
        *status = (uint8_t)v;
    }
    return rc;
}

int vhu_fe_get_shmem_config(struct vhu_frontend *fe,
                            struct vhu_shmem_config *cfg)
{
    int rc;

    if (!cfg) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = query(fe, VHU_REQ_GET_SHMEM_CONFIG, NULL, 0, sizeof(*cfg));
    if (rc == 0 && fe->reply.p.shmem_config.nregions > VHU_MAX_SHMEM_REGIONS) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0) {
        memcpy(cfg, &fe->reply.p.shmem_config, sizeof(*cfg));
    }
    return rc;
}

int vhu_fe_vring_kick(struct vhu_frontend *fe, unsigned int index)
{
    return call_state(fe, VHU_REQ_VRING_KICK, index, 0);
}

int vhu_fe_send_raw(struct vhu_frontend *fe, const struct vhu_msg_hdr *hdr,
                    const void *payload, const int *fds, unsigned int nfds,
                    struct vhu_msg *reply)
{
    int rfds[VHU_MAX_FDS];
    unsigned int rn = 0;
    int rc;

    if (!hdr || nfds > VHU_MAX_FDS || (nfds && !fds)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    /* A size nobody may send is announced, and nothing follows it. */
    rc = vhu_send_hdr(fe->fd, hdr, payload,
                      hdr->size <= VHU_MAX_PAYLOAD ? hdr->size : 0, fds, nfds);
    if (rc < 0 || !reply) {
        return rc;
    }
    rc = vhu_recv(fe->fd, reply, rfds, &rn);
    vhu_close_fds(rfds, rn);
    return rc;
}
