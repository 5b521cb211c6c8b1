/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-conn.h - vhost-user connections: Unix stream sockets carrying a
 * header, a payload and up to VHU_MAX_FDS fds as SCM_RIGHTS.
 *
 * Either role may listen or connect; an fd that is already connected (as
 * handed over with --fd) is used as it is.  Sockets are blocking and
 * close-on-exec; sends use MSG_NOSIGNAL, so a closed peer is an error, not
 * a SIGPIPE.
 *
 * Fd ownership: vhu_recv() hands the received fds to the caller only on
 * success; on every error path it has closed them all.  vhu_send() borrows
 * the fds it sends.
 */
#ifndef VHOSTFS_VHU_CONN_H
#define VHOSTFS_VHU_CONN_H

#include <stdint.h>

#include "vhu-proto.h"

/**
 * vhu_listen() - bind and listen on Unix socket @path.  A socket file that
 * nobody listens on any more is replaced; one with a live listener is an
 * error (VHU_E_SOCKET_ERROR with EADDRINUSE), and so is a path that exists
 * but is not a socket (VHU_E_SOCKET_ERROR with EEXIST; it is left alone).
 * An empty path, or one too long for sun_path, is VHU_E_INVALID_PARAM.
 * Stores the fd in @lfd (-1 on error).
 */
int vhu_listen(const char *path, int *lfd);

/** vhu_accept() - accept one connection on @lfd into @fd. */
int vhu_accept(int lfd, int *fd);

/**
 * vhu_connect() - connect to Unix socket @path into @fd (-1 on error).  A
 * failed connect() is VHU_E_SOCKET_CONNECT with its errno (ENOENT,
 * ECONNREFUSED, EACCES...), whatever the cause: the caller may retry.
 */
int vhu_connect(const char *path, int *fd);

/**
 * vhu_send() - send one message: header (@request, @flags | VHU_VERSION,
 * @size), @size bytes of @payload and @nfds fds (at most VHU_MAX_FDS).
 * Short writes are continued; the fds go with the first byte.  Returns 0;
 * more than VHU_MAX_FDS fds (VHU_E_INCORRECT_FDS) or a payload over
 * VHU_MAX_PAYLOAD (VHU_E_OVERSIZED_MSG) are refused before anything is
 * sent; an error after part of the message went out is
 * VHU_E_PARTIAL_MESSAGE.
 */
int vhu_send(int fd, uint32_t request, uint32_t flags, const void *payload,
             uint32_t size, const int *fds, unsigned int nfds);

/**
 * vhu_send_hdr() - send header @hdr exactly as it is (flags, version and
 * size unchecked), then @size bytes of @payload and @nfds fds, as
 * vhu_send() does.  @size need not be hdr->size: for tests and protocol
 * checks that must say what a correct peer never says.  Same errors as
 * vhu_send(), except that negative fds are not looked for.
 */
int vhu_send_hdr(int fd, const struct vhu_msg_hdr *hdr, const void *payload,
                 uint32_t size, const int *fds, unsigned int nfds);

/**
 * vhu_recv() - receive one message into @msg and its fds into @fds (room
 * for VHU_MAX_FDS), their count into @nfds.
 *
 * Only framing is checked here: a peer that closes before the first byte
 * gives VHU_E_SOCKET_BROKEN (ECONNRESET); one that closes mid-message
 * VHU_E_PARTIAL_MESSAGE (so does any error once a byte was read: a retry
 * kind, VHU_E_SOCKET_RETRY, comes only before the first byte, when the
 * stream is still in step); a size over VHU_MAX_PAYLOAD VHU_E_OVERSIZED_MSG
 * (the stream is then out of step: close it); more fds than fit
 * (MSG_CTRUNC) VHU_E_INCORRECT_FDS.  What the message means is checked by
 * vhu_msg_check_hdr() and vhu_msg_validate().
 *
 * Returns 0.  Fds count only when they come with the first bytes of the
 * header; fds that do not fit or come later are VHU_E_INCORRECT_FDS, after
 * the whole message was read (the stream stays in step).  The payload
 * bytes past hdr.size are zeroed.
 */
int vhu_recv(int fd, struct vhu_msg *msg, int *fds, unsigned int *nfds);

/** vhu_close_fds() - close @n fds of @fds that are >= 0 and set them -1. */
void vhu_close_fds(int *fds, unsigned int n);

#endif /* VHOSTFS_VHU_CONN_H */
