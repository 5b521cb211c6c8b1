/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-frontend-handler.c - the frontend's end of the backend request
 * channel.
 *
 * Security model: the backend is not trusted.  A request reaches an op only
 * after its header passed vhu_msg_check_hdr() and its body
 * vhu_msg_validate_breq() in the dialect chosen at creation (so a code
 * means one thing only).  Anything refused is answered with an error ack
 * when the backend asked for one, and the channel goes on; only a framing
 * error (socket error, partial or oversized message) ends it.  Every fd
 * received and not taken by an op is closed here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend-handler.h"
#include "vhu-msg.h"

struct vhu_frontend_handler {
    int fd;
    enum vhu_backend_dialect dialect;
    const struct vhu_frontend_req_ops *ops;
    void *ctx;
    struct vhu_msg msg;
};

int vhu_frontend_handler_new(struct vhu_frontend_handler **out,
                             enum vhu_backend_dialect dialect,
                             const struct vhu_frontend_req_ops *ops, void *ctx,
                             int *peer_fd)
{
    struct vhu_frontend_handler *h;
    int sv[2];

    if (!out || !ops || !peer_fd ||
        (dialect != VHU_DIALECT_UPSTREAM && dialect != VHU_DIALECT_FS_CACHE)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *out = NULL;
    *peer_fd = -1;
    h = calloc(1, sizeof(*h));
    if (!h) {
        return VHU_ERR(VHU_E_FRONTEND_INTERNAL, ENOMEM);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int rc = vhu_err_from_errno(errno);

        free(h);
        return rc;
    }
    h->fd = sv[0];
    h->dialect = dialect;
    h->ops = ops;
    h->ctx = ctx;
    *peer_fd = sv[1];
    *out = h;
    return 0;
}

void vhu_frontend_handler_free(struct vhu_frontend_handler *h)
{
    if (!h) {
        return;
    }
    close(h->fd);
    free(h);
}

int vhu_frontend_handler_fd(const struct vhu_frontend_handler *h)
{
    return h->fd;
}

/* Dispatch a validated request; returns the ack value as an int64. */
static int64_t dispatch(struct vhu_frontend_handler *h, int *fds,
                        unsigned int nfds)
{
    const struct vhu_frontend_req_ops *ops = h->ops;
    const struct vhu_msg *m = &h->msg;
    int none = -1;
    int *fd = nfds ? &fds[0] : &none;
    bool fs = h->dialect == VHU_DIALECT_FS_CACHE;

    switch (m->hdr.request) {
    case VHU_BREQ_CONFIG_CHANGE_MSG:
        return ops->config_change ? ops->config_change(h->ctx) : -EOPNOTSUPP;
    case VHU_BREQ_VRING_CALL:
        return ops->vring_call ? ops->vring_call(h->ctx, m->p.state.index)
                               : -EOPNOTSUPP;
    case VHU_BREQ_VRING_ERR:
        return ops->vring_err ? ops->vring_err(h->ctx, m->p.state.index)
                              : -EOPNOTSUPP;
    default:
        break;
    }
    if (fs) {
        switch (m->hdr.request) {
        case VHU_BREQ_FS_MAP:
            return ops->fs_map ? ops->fs_map(h->ctx, &m->p.fs, fd)
                               : -EOPNOTSUPP;
        case VHU_BREQ_FS_UNMAP:
            return ops->fs_unmap ? ops->fs_unmap(h->ctx, &m->p.fs)
                                 : -EOPNOTSUPP;
        case VHU_BREQ_FS_SYNC:
            return ops->fs_sync ? ops->fs_sync(h->ctx, &m->p.fs) : -EOPNOTSUPP;
        case VHU_BREQ_FS_IO:
            return ops->fs_io ? ops->fs_io(h->ctx, &m->p.fs, fd) : -EOPNOTSUPP;
        default:
            return -EOPNOTSUPP;
        }
    }
    switch (m->hdr.request) {
    case VHU_BREQ_SHMEM_MAP:
        return ops->shmem_map ? ops->shmem_map(h->ctx, &m->p.shmem, fd)
                              : -EOPNOTSUPP;
    case VHU_BREQ_SHMEM_UNMAP:
        return ops->shmem_unmap ? ops->shmem_unmap(h->ctx, &m->p.shmem)
                                : -EOPNOTSUPP;
    default:
        return -EOPNOTSUPP;
    }
}

/*
 * Whether the backend waits for an answer: it asked for an ack, or the
 * request has a reply of its own (SHARED_OBJECT_LOOKUP), which a refusal
 * answers with the error as a u64.
 */
static bool must_answer(const struct vhu_frontend_handler *h,
                        const struct vhu_msg_hdr *hdr)
{
    const struct vhu_req_info *ri = vhu_breq_info(hdr->request, h->dialect);

    return (hdr->flags & VHU_FLAG_NEED_REPLY) ||
           (ri && ri->reply == VHU_REPLY_ALWAYS);
}

int vhu_frontend_handler_handle_one(struct vhu_frontend_handler *h)
{
    struct vhu_msg *m = &h->msg;
    int fds[VHU_MAX_FDS];
    unsigned int nfds = 0;
    int64_t result;
    uint64_t ack;
    int rc;

    rc = vhu_recv(h->fd, m, fds, &nfds);
    switch (vhu_err_kind(rc)) {
    case VHU_E_NONE:
    case VHU_E_INCORRECT_FDS: /* whole message read: refuse it below */
        break;
    default:
        return rc;
    }
    if (rc == 0) {
        rc = vhu_msg_check_hdr(&m->hdr, false);
    }
    if (rc == 0) {
        rc = vhu_msg_validate_breq(m, nfds, h->dialect);
    }
    if (rc == 0) {
        result = dispatch(h, fds, nfds);
        /* Only FS_IO has a count; elsewhere a positive return is success. */
        if (result > 0 && !(h->dialect == VHU_DIALECT_FS_CACHE &&
                            m->hdr.request == VHU_BREQ_FS_IO)) {
            result = 0;
        }
        if (result < -VHU_ERR_ERRNO_MASK) {
            result = -EIO;
        }
    } else {
        int err = vhu_err_errno(rc);

        result = err < 0 ? err : -EIO;
    }
    vhu_close_fds(fds, nfds);
    if (!must_answer(h, &m->hdr)) {
        return 0;
    }
    ack = (uint64_t)result;
    rc = vhu_send(h->fd, m->hdr.request, VHU_FLAG_REPLY, &ack, sizeof(ack),
                  NULL, 0);
    return rc < 0 ? rc : 0;
}
