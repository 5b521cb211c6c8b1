/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-error.c - the protocol library's error taxonomy: kinds, their
 * messages and default errnos, and the classification of socket errnos.
 *
 * Default errno of each kind (the errno a code carries when nothing in the
 * system caused it):
 *
 *   FEATURE_MISMATCH   ENOTSUP       OVERSIZED_MSG     EMSGSIZE
 *   INCORRECT_FDS      EBADF         PARTIAL_MESSAGE   EPROTO
 *   INVALID_MESSAGE    EBADMSG       REQ_HANDLER       EIO
 *   INVALID_OPERATION  EOPNOTSUPP    BACKEND_INTERNAL  EIO
 *   INVALID_PARAM      EINVAL        SOCKET_BROKEN     ECONNRESET
 *   FRONTEND_INTERNAL  EIO           SOCKET_CONNECT    ECONNREFUSED
 *   SOCKET_ERROR       EIO           SOCKET_RETRY      EAGAIN
 *
 * ENOTSUP and EOPNOTSUPP are the same number on Linux; the kind tells a
 * feature mismatch from a refused operation.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vhu-error.h"

struct kind_desc {
    const char *msg;
    int err;
};

static const struct kind_desc kinds[VHU_E_KIND_MAX] = {
    [VHU_E_NONE] = {"success", 0},
    [VHU_E_FEATURE_MISMATCH] = {"virtio features mismatch", ENOTSUP},
    [VHU_E_INCORRECT_FDS] = {"wrong number of attached fds", EBADF},
    [VHU_E_INVALID_MESSAGE] = {"invalid message", EBADMSG},
    [VHU_E_INVALID_OPERATION] = {"invalid operation", EOPNOTSUPP},
    [VHU_E_INVALID_PARAM] = {"invalid parameters", EINVAL},
    [VHU_E_FRONTEND_INTERNAL] = {"frontend internal error", EIO},
    [VHU_E_OVERSIZED_MSG] = {"oversized message", EMSGSIZE},
    [VHU_E_PARTIAL_MESSAGE] = {"partial message", EPROTO},
    [VHU_E_REQ_HANDLER] = {"handler failed to handle request", EIO},
    [VHU_E_BACKEND_INTERNAL] = {"backend internal error", EIO},
    [VHU_E_SOCKET_BROKEN] = {"socket is broken", ECONNRESET},
    [VHU_E_SOCKET_CONNECT] = {"can't connect to peer", ECONNREFUSED},
    [VHU_E_SOCKET_ERROR] = {"socket error", EIO},
    [VHU_E_SOCKET_RETRY] = {"temporary socket error", EAGAIN},
};

int vhu_err(enum vhu_err_kind kind)
{
    if (kind == VHU_E_NONE) {
        return 0;
    }
    if ((unsigned int)kind >= VHU_E_KIND_MAX) {
        return VHU_ERR(VHU_E_BACKEND_INTERNAL, EINVAL);
    }
    return VHU_ERR(kind, kinds[kind].err);
}

int vhu_err_from_errno(int err)
{
    /* Magnitude as unsigned: -INT_MIN does not fit in an int. */
    unsigned int mag = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

    /* Already an encoded code, or nonsense: keep the kind or call it EIO. */
    if (mag >> VHU_ERR_SHIFT) {
        if (mag <= (unsigned int)INT_MAX &&
            vhu_err_kind(-(int)mag) != VHU_E_NONE) {
            return -(int)mag;
        }
        return vhu_err(VHU_E_SOCKET_ERROR);
    }
    err = (int)mag;
    switch (err) {
    case 0:
        return vhu_err(VHU_E_SOCKET_ERROR);
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
    case ENOBUFS:
    case ENOMEM:
        return VHU_ERR(VHU_E_SOCKET_RETRY, err);
    case ECONNRESET:
    case EPIPE:
        return VHU_ERR(VHU_E_SOCKET_BROKEN, err);
    case EACCES:
        return VHU_ERR(VHU_E_SOCKET_CONNECT, err);
    default:
        return VHU_ERR(VHU_E_SOCKET_ERROR, err);
    }
}

enum vhu_err_kind vhu_err_kind(int rc)
{
    unsigned int code, kind;

    if (rc >= 0) {
        return VHU_E_NONE;
    }
    code = 0u - (unsigned int)rc;
    kind = code >> VHU_ERR_SHIFT;
    /* A plain -errno (kind 0) or an out-of-range value is not a code. */
    if (kind >= VHU_E_KIND_MAX) {
        return VHU_E_NONE;
    }
    return (enum vhu_err_kind)kind;
}

int vhu_err_errno(int rc)
{
    unsigned int code;

    if (rc >= 0) {
        return 0;
    }
    code = 0u - (unsigned int)rc;
    if (!(code >> VHU_ERR_SHIFT)) {
        return rc;
    }
    if (vhu_err_kind(rc) == VHU_E_NONE || !(code & VHU_ERR_ERRNO_MASK)) {
        return -EIO;
    }
    return -(int)(code & VHU_ERR_ERRNO_MASK);
}

bool vhu_err_should_reconnect(int rc)
{
    switch (vhu_err_kind(rc)) {
    case VHU_E_PARTIAL_MESSAGE:
    case VHU_E_SOCKET_BROKEN:
    case VHU_E_FRONTEND_INTERNAL:
    case VHU_E_BACKEND_INTERNAL:
        return true;
    default:
        return false;
    }
}

const char *vhu_err_kind_str(enum vhu_err_kind kind)
{
    if ((unsigned int)kind >= VHU_E_KIND_MAX) {
        return "unknown error";
    }
    return kinds[kind].msg;
}

/* Kinds whose message always names the system error behind them. */
static bool kind_shows_errno(enum vhu_err_kind kind)
{
    switch (kind) {
    case VHU_E_REQ_HANDLER:
    case VHU_E_SOCKET_BROKEN:
    case VHU_E_SOCKET_CONNECT:
    case VHU_E_SOCKET_ERROR:
    case VHU_E_SOCKET_RETRY:
        return true;
    default:
        return false;
    }
}

const char *vhu_strerror(int rc, char *buf, unsigned long len)
{
    enum vhu_err_kind kind = vhu_err_kind(rc);
    int err = -vhu_err_errno(rc);
    char ebuf[128];

    if (!buf || !len) {
        return buf;
    }
    if (rc >= 0) {
        snprintf(buf, len, "%s", kinds[VHU_E_NONE].msg);
    } else if (kind == VHU_E_NONE) {
        /* A plain -errno. */
        snprintf(buf, len, "%s", strerror_r(err, ebuf, sizeof(ebuf)));
    } else if (kind_shows_errno(kind) || err != kinds[kind].err) {
        snprintf(buf, len, "%s: %s", kinds[kind].msg,
                 strerror_r(err, ebuf, sizeof(ebuf)));
    } else {
        snprintf(buf, len, "%s", kinds[kind].msg);
    }
    return buf;
}
