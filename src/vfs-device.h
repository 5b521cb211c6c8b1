/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-device.h - the virtio-fs device behind a vhost-user socket: the
 * struct vhu_backend_ops that turns the frontend's messages into guest
 * memory (gmem), virtqueues (vq) and one thread per queue that hands each
 * chain to the FUSE server (fsrv).
 *
 * Queue 0 is the high-priority queue (FORGET, INTERRUPT), queues 1..N the
 * request queues (virtio 1.2 5.11.2).  Every queue is served alike: each
 * chain is one FUSE request, answered by exactly one used entry.
 *
 * Threads: the control thread (the one running vhu_backend_run()) calls
 * the ops; it stops a queue's thread before it touches the queue.  A
 * SETLKW that must wait completes from a thread of the FUSE server's.
 */
#ifndef VHOSTFS_VFS_DEVICE_H
#define VHOSTFS_VFS_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "fsrv.h"
#include "vhu-backend.h"

/* virtio 1.2 5.11.4: the tag is at most 36 bytes, not NUL-terminated. */
#define VFS_TAG_MAX            36
#define VFS_MAX_REQUEST_QUEUES 64

struct vfs_device_opts {
    const char *tag;                 /* config space tag (for GET_CONFIG) */
    unsigned int num_request_queues; /* 1 .. VFS_MAX_REQUEST_QUEUES */
    unsigned int max_blocked_locks;  /* SETLKW that may wait per queue */
    unsigned int thread_pool_size;   /* workers shared by all queues; 0:
                                        each queue's thread serves inline */
    unsigned int poll_us; /* poll the ring this long before sleeping */
    /*
     * DAX: the backend request dialect and the cache window's size (a
     * multiple of 2 MiB).  With the upstream dialect the device offers
     * VHU_PF_SHMEM and reports @dax_window as shared memory region 0 in
     * GET_SHMEM_CONFIG: the backend owns the size, the VMM asks for it.
     */
    bool dax;
    enum vhu_backend_dialect dax_dialect;
    uint64_t dax_window;
};

struct vfs_device;

/* The ops table to run the device with (vhu_backend_new()). */
extern const struct vhu_backend_ops vfs_device_ops;

/**
 * vfs_device_new() - a device serving FUSE server @srv (borrowed: it
 * outlives the device).  Returns 0 or -errno.
 */
int vfs_device_new(struct vfs_device **out, const struct vfs_device_opts *o,
                   struct fsrv *srv);

/** vfs_device_num_queues() - 1 (hiprio) + request queues. */
unsigned int vfs_device_num_queues(const struct vfs_device *dev);

/**
 * vfs_device_free() - stop every queue thread, free the queues and guest
 * memory.  Must run after the connection's last message.
 */
void vfs_device_free(struct vfs_device *dev);

/*
 * vfs-dax.c: the DAX mapper over the backend request channel, in the
 * dialect of vfs_device_opts.dax_dialect (@ctx: the struct vfs_device).
 * They fit struct pt_dax_mapper; thread-safe.  Return 0 or -errno
 * (-ENOTCONN before SET_BACKEND_REQ_FD; the VMM's refusal as its errno).
 * @fd is borrowed.  vfs_dax_sync() is FS_SYNC, a no-op upstream.
 */
int vfs_dax_map(void *ctx, int fd, uint64_t foffset, uint64_t moffset,
                uint64_t len, bool writable);
int vfs_dax_unmap(void *ctx, uint64_t moffset, uint64_t len);
int vfs_dax_sync(void *ctx, uint64_t moffset, uint64_t len);

#endif /* VHOSTFS_VFS_DEVICE_H */
