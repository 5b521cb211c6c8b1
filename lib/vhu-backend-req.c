/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend-req.c - the backend's sender on the backend request channel.
 *
 * Security model: the frontend is not trusted.  Its ack must echo the
 * request, carry REPLY and be exactly a u64; an FS_IO count may not exceed
 * what was asked for; fds that come with an ack are closed.  A channel
 * whose ack did not come back as expected is out of step and is marked
 * broken: every later call fails with VHU_E_SOCKET_BROKEN.
 *
 * Ack value (as vhu-frontend-handler.h sends it): 0 is success, FS_IO's is
 * the byte count, a value in -4095..-1 is the frontend's -errno (returned
 * as VHU_E_REQ_HANDLER with that errno); any other value reads as EIO.
 * Without REPLY_ACK nothing comes back and a sent request counts as done
 * (FS_IO then returns 0).
 *
 * Once a request is on the wire, any failure to read its ack (EOF, a
 * socket error, a receive timeout, a partial or garbled ack) breaks the
 * channel: a late ack must never be taken for the ack of a later request.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhu-backend-req.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-msg.h"

struct vhu_breq {
    pthread_mutex_t lock; /* one request and its ack at a time */
    int fd;
    bool reply_ack;
    enum vhu_backend_dialect dialect;
    bool broken;        /* protected by lock */
    struct vhu_msg ack; /* protected by lock */
};

int vhu_breq_new(struct vhu_breq **out, int fd, bool reply_ack,
                 enum vhu_backend_dialect dialect)
{
    struct vhu_breq *b;

    if (!out || fd < 0 ||
        (dialect != VHU_DIALECT_UPSTREAM && dialect != VHU_DIALECT_FS_CACHE)) {
        if (fd >= 0) {
            close(fd);
        }
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *out = NULL;
    b = calloc(1, sizeof(*b));
    if (!b) {
        close(fd);
        return VHU_ERR(VHU_E_BACKEND_INTERNAL, ENOMEM);
    }
    pthread_mutex_init(&b->lock, NULL);
    b->fd = fd;
    b->reply_ack = reply_ack;
    b->dialect = dialect;
    *out = b;
    return 0;
}

void vhu_breq_free(struct vhu_breq *b)
{
    if (!b) {
        return;
    }
    close(b->fd);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* Read and check the ack of @request; its value in *@v.  Under b->lock. */
static int recv_ack(struct vhu_breq *b, uint32_t request, uint64_t *v)
{
    int fds[VHU_MAX_FDS];
    unsigned int nfds = 0;
    int rc;

    rc = vhu_recv(b->fd, &b->ack, fds, &nfds);
    if (rc < 0) {
        return rc;
    }
    vhu_close_fds(fds, nfds);
    rc = vhu_msg_check_hdr(&b->ack.hdr, true);
    if (rc == 0 && (b->ack.hdr.request != request ||
                    b->ack.hdr.size != sizeof(uint64_t))) {
        rc = vhu_err(VHU_E_INVALID_MESSAGE);
    }
    if (rc == 0 && nfds) {
        rc = vhu_err(VHU_E_INCORRECT_FDS);
    }
    *v = b->ack.p.u64;
    return rc;
}

/*
 * Send one request and wait for its ack.  Returns the ack value as a
 * signed count (0 without REPLY_ACK) or an error code.
 */
static int64_t send_req(struct vhu_breq *b, uint32_t request,
                        const void *payload, uint32_t size, int fd)
{
    uint64_t v = 0;
    int64_t s;
    int rc;

    pthread_mutex_lock(&b->lock);
    if (b->broken) {
        pthread_mutex_unlock(&b->lock);
        return vhu_err(VHU_E_SOCKET_BROKEN);
    }
    rc = vhu_send(b->fd, request, b->reply_ack ? VHU_FLAG_NEED_REPLY : 0,
                  payload, size, &fd, fd >= 0 ? 1 : 0);
    if (rc < 0) {
        /* SOCKET_RETRY: nothing went out, the channel is still in step. */
        if (vhu_err_kind(rc) != VHU_E_SOCKET_RETRY) {
            b->broken = true;
        }
    } else if (b->reply_ack) {
        rc = recv_ack(b, request, &v);
        /*
         * The request went out: an ack that did not come (yet) or came
         * garbled leaves the channel out of step, whatever the error.  A
         * wait that SO_RCVTIMEO ended is not a reason to retry.
         */
        if (rc < 0) {
            b->broken = true;
            if (vhu_err_kind(rc) == VHU_E_SOCKET_RETRY) {
                rc = VHU_ERR(VHU_E_SOCKET_BROKEN, ETIMEDOUT);
            }
        }
    }
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        return rc;
    }
    s = (int64_t)v;
    if (s < 0) {
        return VHU_ERR(VHU_E_REQ_HANDLER, s >= -VHU_ERR_ERRNO_MASK ? -s : EIO);
    }
    return s;
}

/* Only FS_IO may answer a count: anything else nonzero is a refusal. */
static int send_simple(struct vhu_breq *b, uint32_t request,
                       const void *payload, uint32_t size, int fd)
{
    int64_t r = send_req(b, request, payload, size, fd);

    if (r > 0) {
        return VHU_ERR(VHU_E_REQ_HANDLER, EIO);
    }
    return (int)r;
}

static int fs_send(struct vhu_breq *b, uint32_t request,
                   const struct vhu_fs_backend_msg *m, int fd)
{
    int rc;

    if (b->dialect != VHU_DIALECT_FS_CACHE) {
        return vhu_err(VHU_E_INVALID_OPERATION);
    }
    /* What the frontend would refuse is not sent (vhu-msg.h). */
    rc = vhu_fs_msg_check(m, NULL);
    return rc < 0 ? rc : send_simple(b, request, m, sizeof(*m), fd);
}

int vhu_breq_fs_map(struct vhu_breq *b, const struct vhu_fs_backend_msg *m,
                    int fd)
{
    if (b->dialect == VHU_DIALECT_FS_CACHE && fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return fs_send(b, VHU_BREQ_FS_MAP, m, fd);
}

int vhu_breq_fs_unmap(struct vhu_breq *b, const struct vhu_fs_backend_msg *m)
{
    return fs_send(b, VHU_BREQ_FS_UNMAP, m, -1);
}

int vhu_breq_fs_sync(struct vhu_breq *b, const struct vhu_fs_backend_msg *m)
{
    return fs_send(b, VHU_BREQ_FS_SYNC, m, -1);
}

int64_t vhu_breq_fs_io(struct vhu_breq *b, const struct vhu_fs_backend_msg *m,
                       int fd)
{
    uint64_t total;
    int64_t r;
    int rc;

    if (b->dialect != VHU_DIALECT_FS_CACHE) {
        return vhu_err(VHU_E_INVALID_OPERATION);
    }
    if (fd < 0) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    /* The total length bounds the count the frontend may report. */
    rc = vhu_fs_msg_check(m, &total);
    if (rc < 0) {
        return rc;
    }
    r = send_req(b, VHU_BREQ_FS_IO, m, sizeof(*m), fd);
    /* The frontend cannot have moved more than was asked for. */
    if (r > 0 && (uint64_t)r > total) {
        return vhu_err(VHU_E_INVALID_MESSAGE);
    }
    return r;
}

static int shmem_check(struct vhu_breq *b, const struct vhu_shmem_map *m,
                       bool map)
{
    if (b->dialect != VHU_DIALECT_UPSTREAM) {
        return vhu_err(VHU_E_INVALID_OPERATION);
    }
    return vhu_shmem_map_check(m, map);
}

int vhu_breq_shmem_map(struct vhu_breq *b, const struct vhu_shmem_map *m,
                       int fd)
{
    int rc = shmem_check(b, m, true);

    if (rc == 0 && fd < 0) {
        rc = vhu_err(VHU_E_INCORRECT_FDS);
    }
    return rc < 0 ? rc : send_simple(b, VHU_BREQ_SHMEM_MAP, m, sizeof(*m), fd);
}

int vhu_breq_shmem_unmap(struct vhu_breq *b, const struct vhu_shmem_map *m)
{
    int rc = shmem_check(b, m, false);

    return rc < 0 ? rc
                  : send_simple(b, VHU_BREQ_SHMEM_UNMAP, m, sizeof(*m), -1);
}

int vhu_breq_config_change(struct vhu_breq *b)
{
    return send_simple(b, VHU_BREQ_CONFIG_CHANGE_MSG, NULL, 0, -1);
}

static int send_vring(struct vhu_breq *b, uint32_t request, unsigned int index)
{
    struct vhost_vring_state s = {.index = index, .num = 0};

    return send_simple(b, request, &s, sizeof(s), -1);
}

int vhu_breq_vring_call(struct vhu_breq *b, unsigned int index)
{
    return send_vring(b, VHU_BREQ_VRING_CALL, index);
}

int vhu_breq_vring_err(struct vhu_breq *b, unsigned int index)
{
    return send_vring(b, VHU_BREQ_VRING_ERR, index);
}
