/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv.h - the FUSE server: one request in, exactly one reply out.
 *
 * Transport-independent: a request arrives as device-readable iovecs (the
 * request bytes: fuse_in_header, the op's struct, names, WRITE data) and
 * device-writable iovecs (room for fuse_out_header and the reply), as a
 * virtqueue chain gives them and as /dev/fuse gives them with one read
 * buffer and one reply buffer.  The server decodes with <linux/fuse.h>
 * (protocol 7.38), validates every length, calls the struct fs_ops of
 * fs-ops.h, and encodes the one reply (none for FORGET, BATCH_FORGET,
 * INTERRUPT and NOTIFY_REPLY).
 *
 * Threads: fsrv_handle() may be called from several threads at once (one
 * per queue).  A SETLKW that has to wait runs on a thread of its own and
 * completes through struct fsrv_req.complete, so no queue stalls.
 */
#ifndef VHOSTFS_FSRV_H
#define VHOSTFS_FSRV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "fs-ops.h"

/* Oldest protocol minor accepted (Linux 4.20); virtio-fs needs 7.31. */
#define FSRV_MIN_MINOR 27

/**
 * struct fsrv_opts - what the daemon offers at INIT.  Zeroed fields take
 * the defaults.
 * @max_write:       largest WRITE accepted (default and cap 1 MiB); also
 *                   sets max_pages.  The transport's buffers must hold a
 *                   request of max_write + FSRV_HEADROOM bytes.
 * @max_readahead:   cap on the kernel's readahead (default: the kernel's).
 * @max_background:  the kernel's limit on background requests (default 64).
 * @writeback:       offer FUSE_WRITEBACK_CACHE.
 * @dax:             a DAX window is served: offer FUSE_MAP_ALIGNMENT and
 *                   FUSE_HAS_INODE_DAX, accept SETUPMAPPING/REMOVEMAPPING.
 * @map_alignment:   log2 of the DAX mapping alignment (default 12).
 * @flags_on:        more FUSE_* init flags to offer (e.g. FUSE_POSIX_ACL,
 *                   FUSE_DONT_MASK, FUSE_SECURITY_CTX is refused).
 * @flags_off:       FUSE_* init flags never to offer.
 * @max_blocked_locks: SETLKW requests that may wait at once (default 64);
 *                   more are answered ENOLCK.
 * @interrupt_signal: 0, or a signal for which the daemon has installed a
 *                   handler without SA_RESTART: INTERRUPT of a waiting
 *                   SETLKW sends it to the waiting thread, so the fs's
 *                   blocking fcntl() returns EINTR and the SETLKW is
 *                   answered EINTR.  Without it INTERRUPT is ignored.
 */
struct fsrv_opts {
    uint32_t max_write;
    uint32_t max_readahead;
    uint16_t max_background;
    bool writeback;
    bool dax;
    uint8_t map_alignment;
    uint64_t flags_on;
    uint64_t flags_off;
    unsigned int max_blocked_locks;
    int interrupt_signal;
};

/* Bytes a request holds besides WRITE data: headers, write_in, slack. */
#define FSRV_HEADROOM 4096
/* Hard cap on max_write (FUSE_MAX_MAX_PAGES of 4 KiB). */
#define FSRV_MAX_WRITE (1024 * 1024)

/**
 * struct fsrv_req - one request as the transport gives it.
 * @in:       device-readable iovecs: the request.
 * @in_cnt:   how many.
 * @out:      device-writable iovecs: room for the reply.
 * @out_cnt:  how many.
 * @complete: NULL, or how a request that fsrv_handle() left pending
 *            (-EINPROGRESS) is finished: called once, from another thread,
 *            with the reply's length (already written at the start of
 *            @out).  The transport keeps @req, @out and the memory @out
 *            points to alive until then; @in may go as soon as
 *            fsrv_handle() returns.
 * @opaque:   the transport's, untouched by the server.
 * @in_gpa, @out_gpa: NULL, or (when some iovecs have a NULL base: guest
 *            memory the daemon cannot map, vq.h) the guest-physical
 *            address of each such iovec, parallel to @in / @out.  Only
 *            READ and WRITE data may lie there, moved through
 *            @window_io; other requests see the chain end at the first
 *            such iovec.
 * @window_io: NULL, or how READ and WRITE move such data (struct
 *            fs_window_io.io, called with @opaque); without it such a
 *            READ or WRITE is answered EFAULT.
 */
struct fsrv_req {
    const struct iovec *in;
    int in_cnt;
    const struct iovec *out;
    int out_cnt;
    const uint64_t *in_gpa;
    const uint64_t *out_gpa;
    ssize_t (*window_io)(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                         uint64_t len, bool to_file);
    void (*complete)(struct fsrv_req *req, size_t reply_len);
    void *opaque;
};

struct fsrv;

/**
 * fsrv_new() - a server for filesystem @fs with ops @ops (both borrowed:
 * they outlive the server).  @opts may be NULL (defaults); it is copied.
 *
 * Return: the server, or NULL with errno set.  Free with fsrv_free().
 */
struct fsrv *fsrv_new(const struct fs_ops *ops, void *fs,
                      const struct fsrv_opts *opts);

/**
 * fsrv_free() - free @srv.  Calls the fs's destroy if a session is still
 * initialized.  No fsrv_handle() may run, and no SETLKW may be pending
 * (see fsrv_pending()).
 */
void fsrv_free(struct fsrv *srv);

/**
 * fsrv_handle() - serve one request.
 *
 * Return: the length of the reply written at the start of @req->out
 * (fuse_out_header.len), which the transport sends or marks used;
 * 0 when the request takes no reply (FORGET, BATCH_FORGET, NOTIFY_REPLY,
 * INTERRUPT unless it answers EAGAIN; a virtqueue still returns the
 * chain, with 0 bytes used);
 * -EINPROGRESS when @req->complete will be called later (only when it is
 * set); another -errno when no reply could be written at all: the
 * readable part is shorter than a fuse_in_header, or the writable part
 * shorter than a fuse_out_header.  Every other malformed request is
 * answered with an error reply.
 */
ssize_t fsrv_handle(struct fsrv *srv, struct fsrv_req *req);

/**
 * fsrv_session_flags() - the FUSE_* flags in force since INIT (flags |
 * flags2 << 32), 0 before INIT.
 */
uint64_t fsrv_session_flags(const struct fsrv *srv);

/** fsrv_max_write() - the max_write offered at INIT. */
uint32_t fsrv_max_write(const struct fsrv *srv);

/** fsrv_pending() - how many SETLKW requests are waiting. */
unsigned int fsrv_pending(struct fsrv *srv);

#endif /* VHOSTFS_FSRV_H */
