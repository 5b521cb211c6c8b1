/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-error.h - the protocol library's error taxonomy.
 *
 * Every function of the vhost-user layer returns 0 (or a count >= 0) on
 * success and a negative error code on failure.  A code carries two things
 * in one int, so that callers keep the usual "if (rc < 0)" habit:
 *
 *     rc = -(kind << 12 | errno)
 *
 * kind is an enum vhu_err_kind (why it failed, as the protocol sees it),
 * errno is the operating-system error behind it (always a valid errno:
 * kinds with no system cause carry a fitting default, e.g. EBADMSG for an
 * invalid message).  Linux errnos are below 4096 (MAX_ERRNO), so nothing
 * is lost.  vhu_err_errno() turns a code back into a plain -errno for
 * layers that speak only errno.
 */
#ifndef VHOSTFS_VHU_ERROR_H
#define VHOSTFS_VHU_ERROR_H

#include <stdbool.h>

enum vhu_err_kind {
    VHU_E_NONE = 0,
    VHU_E_FEATURE_MISMATCH,  /* virtio/protocol features mismatch */
    VHU_E_INCORRECT_FDS,     /* wrong number of attached fds */
    VHU_E_INVALID_MESSAGE,   /* invalid message format, flag or content */
    VHU_E_INVALID_OPERATION, /* not allowed by what was negotiated */
    VHU_E_INVALID_PARAM,     /* invalid parameters */
    VHU_E_FRONTEND_INTERNAL, /* failure on the frontend side */
    VHU_E_OVERSIZED_MSG,     /* message is too large */
    VHU_E_PARTIAL_MESSAGE,   /* only part of a message went through */
    VHU_E_REQ_HANDLER,       /* the request handler failed (errno says) */
    VHU_E_BACKEND_INTERNAL,  /* failure on the backend side */
    VHU_E_SOCKET_BROKEN,     /* socket broken or closed by the peer */
    VHU_E_SOCKET_CONNECT,    /* cannot connect to the peer */
    VHU_E_SOCKET_ERROR,      /* other socket errors */
    VHU_E_SOCKET_RETRY,      /* temporary: retry the operation */
    VHU_E_KIND_MAX,
};

#define VHU_ERR_SHIFT      12
#define VHU_ERR_ERRNO_MASK ((1 << VHU_ERR_SHIFT) - 1)

/* Build an error code from a kind and a (positive) errno. */
#define VHU_ERR(kind, err) (-(((int)(kind) << VHU_ERR_SHIFT) | (err)))

/**
 * vhu_err() - error code of @kind with the kind's default errno.
 */
int vhu_err(enum vhu_err_kind kind);

/**
 * vhu_err_from_errno() - classify a socket-level errno (positive or
 * negative) the way the seed does: EAGAIN, EWOULDBLOCK, EINTR, ENOBUFS,
 * ENOMEM -> SOCKET_RETRY; ECONNRESET, EPIPE -> SOCKET_BROKEN; EACCES ->
 * SOCKET_CONNECT; anything else -> SOCKET_ERROR.
 */
int vhu_err_from_errno(int err);

/** vhu_err_kind() - the kind of code @rc (VHU_E_NONE when @rc >= 0). */
enum vhu_err_kind vhu_err_kind(int rc);

/**
 * vhu_err_errno() - the plain -errno of code @rc (0 when @rc >= 0).  A
 * plain -errno that is not an encoded code is returned as it is.
 */
int vhu_err_errno(int rc);

/**
 * vhu_err_should_reconnect() - whether the connection should be rebuilt
 * after @rc: yes for PARTIAL_MESSAGE, SOCKET_BROKEN, FRONTEND_INTERNAL and
 * BACKEND_INTERNAL; no for everything else (SOCKET_RETRY means retry the
 * operation on the same connection).
 */
bool vhu_err_should_reconnect(int rc);

/**
 * vhu_err_kind_str() - the message of a kind ("invalid parameters"), as
 * the seed spells it.  Never NULL.
 */
const char *vhu_err_kind_str(enum vhu_err_kind kind);

/**
 * vhu_strerror() - "<kind message>: <strerror(errno)>" for @rc into @buf
 * (or just the kind message for kinds whose errno is their default).
 * Returns @buf.
 */
const char *vhu_strerror(int rc, char *buf, unsigned long len);

#endif /* VHOSTFS_VHU_ERROR_H */
