/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-int.h - what vfs-device.c (control plane) and vfs-queue.c (the queue
 * threads) share.  Not installed, not used elsewhere.
 */
#ifndef VHOSTFS_VFS_INT_H
#define VHOSTFS_VFS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fsrv.h"
#include "gmem.h"
#include "vfs-device.h"
#include "vhu-backend-req.h"
#include "vq.h"

/*
 * iovecs one request may use: a 1 MiB WRITE is 256 pages plus headers,
 * each of which may be split where guest memory regions meet.  IOV_MAX is
 * also what preadv()/pwritev() take in one call.
 */
#define VFS_IOV_PER_REQ 1024

/* A slot's arrays: 24 KiB, resident only once a request has used them. */
struct vfs_slot_bufs {
    struct iovec iov[VFS_IOV_PER_REQ];
    uint64_t gpa[VFS_IOV_PER_REQ]; /* with DAX: iovecs outside memory */
};

/*
 * One request in flight.  The queue thread serves requests inline in a
 * slot; a request the server leaves pending (SETLKW) keeps its slot, with
 * the element's table reference and iovecs, until it completes.  The
 * slots are small and kept together; their arrays are mapped apart
 * (vfs_queue.bufs), so setting up the free list touches no array.
 */
struct vfs_slot {
    struct vfs_queue *q;
    struct vfs_slot *next_free; /* protected by q->lock */
    uint64_t epoch;             /* q->epoch when popped */
    struct vq_elem elem;
    struct fsrv_req req;
    struct iovec *iov; /* VFS_IOV_PER_REQ, in q->bufs */
    uint64_t *gpa;     /* VFS_IOV_PER_REQ, in q->bufs */
};

struct vfs_queue {
    struct vfs_device *dev;
    struct vq *vq; /* calls serialised by lock (queue thread, completions) */
    unsigned int index;

    /*
     * lock protects vq_pop/push/flush/notify, free and epoch; the control
     * thread changes the vq only while the queue thread is stopped and
     * holds lock for it too, so a late completion never races it.
     */
    pthread_mutex_t lock;
    struct vfs_slot *slots; /* nslots, allocated at first start */
    struct vfs_slot_bufs *bufs; /* nslots, mapped with the slots */
    unsigned int nslots;
    struct vfs_slot *free;
    pthread_cond_t slot_freed; /* with lock: a slot went back to free */
    uint64_t epoch; /* bumped at each vq_stop(): late completions drop */

    /* Protected by the pool's lock: a worker serves this queue. */
    struct vfs_queue *next_work;
    bool in_pool;

    /* The queue thread only: its polling window, and no polling before
     * poll_off_until (CLOCK_MONOTONIC ns) after a preemption, which
     * pushes the next back-off (poll_backoff_ns) further. */
    uint64_t poll_ns;
    uint64_t poll_off_until;
    uint64_t poll_backoff_ns;

    /* Control thread only. */
    pthread_t thread;
    bool running;  /* thread exists */
    bool kick_set; /* SET_VRING_KICK received (started, spec "Ring states") */
    bool enabled;  /* SET_VRING_ENABLE 1, or no protocol features */
    int stop_fd;   /* eventfd: wakes the queue thread to exit */
};

struct vfs_device {
    struct vfs_device_opts opts;
    char tag[VFS_TAG_MAX];
    struct fsrv *srv;
    struct gmem *gm;
    unsigned int nqueues;
    struct vfs_queue *queues; /* nqueues */
    struct vfs_pool *pool;    /* --thread-pool-size workers, or NULL */

    /* Control thread only. */
    bool owned;
    uint64_t features;
    uint64_t protocol_features;
    uint8_t status;
    /* Backend request channel, or NULL; replaced under breq_lock (write),
     * used by the queue threads under it (read): vfs-dax.c. */
    pthread_rwlock_t breq_lock;
    struct vhu_breq *breq;
};

/* vfs-pool.c: workers that serve a queue beside its thread. */
struct vfs_pool;
int vfs_pool_new(struct vfs_pool **out, unsigned int nthreads,
                 void (*run)(struct vfs_queue *q));
/* Ask an idle worker to serve @q too; false when none is idle. */
bool vfs_pool_try_submit(struct vfs_pool *p, struct vfs_queue *q);
/* Run what is queued, stop and join the workers, free.  NULL: no-op. */
void vfs_pool_free(struct vfs_pool *p);

/*
 * vfs-dax.c: fsrv_req.window_io with the fs-cache dialect, FS_IO for a
 * READ or WRITE buffer outside the guest memory shared with the daemon
 * (@opaque: the vfs_slot).  Upstream has no FS_IO: no window_io there.
 */
ssize_t vfs_dax_window_io(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                          uint64_t len, bool to_file);

/* vfs-queue.c */
/* Serve @q's ring until it is empty (the queue thread, or a worker). */
void vfs_queue_serve(struct vfs_queue *q);
int vfs_queue_init(struct vfs_queue *q, struct vfs_device *dev,
                   unsigned int index);
void vfs_queue_destroy(struct vfs_queue *q);
/* Start the thread if the ring is started, enabled and not running. */
int vfs_queue_kick_off(struct vfs_queue *q);
/* Stop the thread (the vq stays as it is). */
void vfs_queue_pause(struct vfs_queue *q);
/* Stop the thread and the vq; late completions are dropped. */
void vfs_queue_stop(struct vfs_queue *q);

#endif /* VHOSTFS_VFS_INT_H */
