/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend.c - the backend role: the request loop.
 *
 * Security model: the frontend (the VMM) is not trusted.  A message reaches
 * a device op only after it passed, in this order: framing (vhu_recv()),
 * the header (version, flags, size), the request table (a known code), the
 * body (vhu_msg_validate(): exact size, fd allow-list, queue index, ring
 * size, memory regions), and what was negotiated (the protocol feature the
 * request needs, F_PROTOCOL_FEATURES for SET_VRING_ENABLE, features that
 * are a subset of what the device offers).  Every fd received is closed
 * here unless an op took it, on every path.  Framing errors (a socket
 * error, a partial or oversized message) leave the stream out of step: the
 * connection is marked broken.  Anything else is answered with an error
 * and the connection goes on, except a SET_PROTOCOL_FEATURES refused
 * without an ack to say so (the two sides would disagree on how requests
 * are answered): that breaks the connection too.
 *
 * Answers (spec: "Communication", "REPLY_ACK"):
 *  - a request with a reply of its own (GET_*) always gets one; when it
 *    failed, the reply has size 0 (GET_CONFIG's failure form in the spec;
 *    for the other types the frontend sees a wrong size and never hangs);
 *  - SET_LOG_BASE, once LOG_SHMFD is negotiated, gets its u64: 0, or the
 *    failure's -errno;
 *  - so do IOTLB_MSG, POSTCOPY_END and CHECK_DEVICE_STATE, always: their
 *    reply is a u64 result (QEMU waits for IOTLB_MSG's even without
 *    REPLY_ACK), and an empty one could be read as success;
 *  - any other request gets an ack only when REPLY_ACK was negotiated and
 *    it carries NEED_REPLY: u64 0 on success, the failure's -errno as a u64
 *    otherwise.  Unknown codes and malformed messages follow the same rule.
 *
 * A request whose op is NULL fails with VHU_E_REQ_HANDLER carrying
 * EOPNOTSUPP: to the frontend it is the device refusing the request, like
 * an op that returns -EOPNOTSUPP.  VHU_E_INVALID_OPERATION is kept for what
 * negotiation forbids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu-backend-priv.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-msg.h"

/* Used when the device does not say (spec: GET_MAX_MEM_SLOTS). */
#define DEFAULT_MEM_SLOTS 32u

int vhu_backend_new(struct vhu_backend **out, int fd, unsigned int max_queues,
                    const struct vhu_backend_ops *ops, void *dev)
{
    struct vhu_backend *be;
    uint64_t slots = 0;

    if (!out || fd < 0 || !ops || max_queues == 0) {
        if (fd >= 0) {
            close(fd);
        }
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *out = NULL;
    be = calloc(1, sizeof(*be));
    if (!be) {
        close(fd);
        return VHU_ERR(VHU_E_BACKEND_INTERNAL, ENOMEM);
    }
    be->fd = fd;
    be->max_queues = max_queues;
    be->ops = ops;
    be->dev = dev;
    be->max_mem_slots = DEFAULT_MEM_SLOTS;
    if (ops->get_max_mem_slots && ops->get_max_mem_slots(dev, &slots) == 0 &&
        slots > 0 && slots <= UINT32_MAX) {
        be->max_mem_slots = (uint32_t)slots;
    }
    *out = be;
    return 0;
}

void vhu_backend_free(struct vhu_backend *be)
{
    if (!be) {
        return;
    }
    close(be->fd);
    free(be);
}

int vhu_backend_fd(const struct vhu_backend *be)
{
    return be->fd;
}

bool vhu_backend_is_broken(const struct vhu_backend *be)
{
    return be->broken;
}

uint64_t vhu_backend_features(const struct vhu_backend *be)
{
    return be->features;
}

uint64_t vhu_backend_protocol_features(const struct vhu_backend *be)
{
    return be->pf;
}

int vhu__op_rc(int rc)
{
    if (rc >= 0) {
        return 0;
    }
    /* Ops speak -errno; anything else is a device bug, reported as EIO. */
    if (rc < -VHU_ERR_ERRNO_MASK) {
        return VHU_ERR(VHU_E_REQ_HANDLER, EIO);
    }
    return VHU_ERR(VHU_E_REQ_HANDLER, -rc);
}

/*
 * Whether the byte stream can still be trusted after vhu_recv() failed
 * with @rc: when the whole message was read and just its fds were wrong,
 * or when nothing was read at all (SOCKET_RETRY: vhu_recv() reports a
 * retry only before the first byte; see vhu-conn.h).  Everything else
 * (socket errors, partial or oversized messages) breaks the connection.
 */
static bool breaks_stream(int rc)
{
    switch (vhu_err_kind(rc)) {
    case VHU_E_INCORRECT_FDS:
    case VHU_E_SOCKET_RETRY:
        return false;
    default:
        return true;
    }
}

/* What negotiation allows, before any op sees the request. */
static int check_negotiated(const struct vhu_backend *be,
                            const struct vhu_req_info *info)
{
    if (info->needs_pf >= 0 && !(be->pf & VHU_PF_BIT(info->needs_pf))) {
        return vhu_err(VHU_E_INVALID_OPERATION);
    }
    return 0;
}

/* The u64 an ack or a u64 result reply carries for outcome @rc. */
static uint64_t result_u64(int rc)
{
    int err = vhu_err_errno(rc);

    if (rc >= 0) {
        return 0;
    }
    return (uint64_t)(int64_t)(err < 0 ? err : -EIO);
}

/*
 * Whether a request (known as @info, or NULL) is answered with a u64
 * result rather than a reply of its own or nothing.
 */
static bool result_reply(const struct vhu_req_info *info, bool need_ack,
                         bool log_pf)
{
    if (need_ack) {
        return true;
    }
    if (!info) {
        return false;
    }
    /* IF_PF is SET_LOG_BASE's row: its u64 comes with LOG_SHMFD. */
    return info->reply == VHU_REPLY_RESULT ||
           (info->reply == VHU_REPLY_IF_PF && log_pf);
}

/*
 * Answer request @hdr (known as @info, or NULL) whose outcome is @rc;
 * @need_ack: NEED_REPLY with REPLY_ACK negotiated when it arrived.
 */
static int answer(struct vhu_backend *be, const struct vhu_msg_hdr *hdr,
                  const struct vhu_req_info *info, bool need_ack, bool log_pf,
                  int rc, struct vhu_be_call *c)
{
    struct vhu_msg *r = c->reply;
    uint32_t size;
    int fd = -1, src;

    if (info && info->reply == VHU_REPLY_ALWAYS) {
        size = rc < 0 ? 0 : c->reply_size;
        fd = rc < 0 ? -1 : c->reply_fd;
    } else if (result_reply(info, need_ack, log_pf)) {
        r->p.u64 = result_u64(rc);
        size = sizeof(uint64_t);
    } else {
        return 0;
    }
    src = vhu_send(be->fd, hdr->request, VHU_FLAG_REPLY, r->p.raw, size, &fd,
                   fd >= 0 ? 1 : 0);
    if (src < 0) {
        be->broken = true;
    }
    return src;
}

int vhu_backend_handle_one(struct vhu_backend *be)
{
    struct vhu_msg *m = &be->req;
    const struct vhu_msg_limits limits = {.max_queues = be->max_queues};
    const struct vhu_req_info *info;
    int fds[VHU_MAX_FDS];
    unsigned int nfds = 0;
    struct vhu_be_call c;
    vhu_be_handler fn;
    bool need_ack, log_pf;
    int rc, arc;

    if (be->broken) {
        return vhu_err(VHU_E_SOCKET_BROKEN);
    }
    rc = vhu_recv(be->fd, m, fds, &nfds);
    if (rc < 0 && breaks_stream(rc)) {
        be->broken = true;
        return rc;
    }
    if (vhu_err_kind(rc) == VHU_E_SOCKET_RETRY) {
        /* No message yet: nothing to answer. */
        return rc;
    }
    /* Otherwise the whole message was read (vhu-conn.h): answer it. */
    info = vhu_req_info(m->hdr.request);
    /* What was negotiated before this message decides how it is answered. */
    need_ack = (m->hdr.flags & VHU_FLAG_NEED_REPLY) &&
               (be->pf & VHU_PF_BIT(VHU_PF_REPLY_ACK));
    log_pf = be->pf & VHU_PF_BIT(VHU_PF_LOG_SHMFD);
    c = (struct vhu_be_call){
        .req = m,
        .fds = fds,
        .nfds = nfds,
        .reply = &be->reply,
        .reply_fd = -1,
    };
    if (rc == 0) {
        rc = vhu_msg_check_hdr(&m->hdr, false);
    }
    if (rc == 0 && !info) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0) {
        rc = vhu_msg_validate(m, nfds, &limits);
    }
    if (rc == 0) {
        rc = check_negotiated(be, info);
    }
    if (rc == 0) {
        fn = vhu__be_handler(m->hdr.request);
        rc = fn ? fn(be, &c) : VHU_ERR(VHU_E_REQ_HANDLER, EOPNOTSUPP);
    }
    /* Whatever the op did not take. */
    vhu_close_fds(fds, nfds);
    arc = answer(be, &m->hdr, info, need_ack, log_pf, rc, &c);
    /*
     * A refused SET_PROTOCOL_FEATURES that no ack reported: the frontend
     * now believes in features (REPLY_ACK, LOG_SHMFD) that change how
     * requests are answered, and would wait for replies that never come.
     * Spec, "Communication": the backend may close on incompatible
     * features.
     */
    if (rc < 0 && m->hdr.request == VHU_REQ_SET_PROTOCOL_FEATURES &&
        !need_ack) {
        be->broken = true;
    }
    return rc < 0 ? rc : arc;
}

int vhu_backend_run(struct vhu_backend *be)
{
    int rc;

    for (;;) {
        rc = vhu_backend_handle_one(be);
        if (!be->broken) {
            continue;
        }
        /* The frontend hanging up between messages is the normal end. */
        if (vhu_err_kind(rc) == VHU_E_SOCKET_BROKEN &&
            vhu_err_errno(rc) == -ECONNRESET) {
            return 0;
        }
        return rc;
    }
}
