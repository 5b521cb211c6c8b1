/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-internal.h - what the layout files (vq-split.c, vq-packed.c,
 * vq-driver-split.c, vq-driver-packed.c) and the inflight tracker
 * (vq-inflight.c) share with vq.c and vq-driver.c.  Not installed.
 *
 * Memory ordering: the rings are shared with another CPU, so every
 * access to a ring field that the other side writes goes through
 * vq_load16/32/64 (relaxed atomic: one untorn read, never re-read by the
 * compiler) and every store through vq_store*; the ordering between them
 * is made by the barriers below, each use commented with the rule it
 * implements (virtio 1.2 2.7.7, 2.7.13, 2.8.21).
 */
#ifndef VHOSTFS_VQ_INTERNAL_H
#define VHOSTFS_VQ_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "gmem.h"
#include "vq-driver.h"
#include "vq.h"

/* Read barrier: loads before it are done before loads after it. */
#define vq_smp_rmb() atomic_thread_fence(memory_order_acquire)
/* Write barrier: stores before it are visible before stores after it. */
#define vq_smp_wmb() atomic_thread_fence(memory_order_release)
/* Full barrier: also orders earlier stores before later loads. */
#define vq_smp_mb()  atomic_thread_fence(memory_order_seq_cst)

#define vq_load16(p) __atomic_load_n((uint16_t *)(p), __ATOMIC_RELAXED)
#define vq_load32(p) __atomic_load_n((uint32_t *)(p), __ATOMIC_RELAXED)
#define vq_load64(p) __atomic_load_n((uint64_t *)(p), __ATOMIC_RELAXED)
#define vq_store16(p, v)                                                       \
    __atomic_store_n((uint16_t *)(p), (uint16_t)(v), __ATOMIC_RELAXED)
#define vq_store32(p, v)                                                       \
    __atomic_store_n((uint32_t *)(p), (uint32_t)(v), __ATOMIC_RELAXED)
#define vq_store64(p, v)                                                       \
    __atomic_store_n((uint64_t *)(p), (uint64_t)(v), __ATOMIC_RELAXED)

/*
 * Copy @n bytes of a descriptor out of shared memory once: the compiler
 * barrier after the copy forbids the compiler to re-load a field from
 * guest memory later instead of using the copy (the driver may change it
 * in between).  Works for unaligned indirect tables too.
 */
#define vq_copy_once(dst, src, n)                                              \
    do {                                                                       \
        memcpy((dst), (src), (n));                                             \
        __asm__ __volatile__("" ::: "memory");                                 \
    } while (0)

struct vq;

/* One layout's device side.  vq.c checks started/broken before calling. */
struct vq_ops {
    /* vq->desc_area etc. are translated; check num and base, set up. */
    int (*start)(struct vq *vq);
    /* 1 popped, 0 empty, -EIO broken (after vq_mark_broken()). */
    int (*pop)(struct vq *vq, struct vq_elem *elem);
    void (*push)(struct vq *vq, const struct vq_elem *elem, uint32_t len);
    void (*flush)(struct vq *vq);
    /* After a flush: does the driver want a used-buffer notification? */
    bool (*need_notify)(struct vq *vq);
    void (*disable_notify)(struct vq *vq);
    bool (*enable_notify)(struct vq *vq);
    bool (*avail_pending)(struct vq *vq);
    unsigned int (*get_base)(const struct vq *vq);
    /* Optional: vq->desc_area etc. now point elsewhere (same ring, new
     * mapping after a memory table change); reload layout pointers. */
    void (*rings_moved)(struct vq *vq);
};

extern const struct vq_ops vq_split_ops;
/* Defined by vq-packed.c; weak so the library links without it. */
extern const struct vq_ops vq_packed_ops __attribute__((weak));

/*
 * Inflight tracking (INFLIGHT_SHMFD): vq-inflight.c installs these on a
 * queue; the layout files call them (when vq->inflight_ops != NULL)
 * around the ring updates, in the order the vhost-user spec's "Inflight
 * I/O tracking" section gives.
 */
struct vq_inflight_ops {
    /* A chain was popped (before vq_pop() returns it). */
    void (*popped)(struct vq *vq, const struct vq_elem *elem);
    /* A used entry is about to be written for @elem. */
    void (*push_begin)(struct vq *vq, const struct vq_elem *elem);
    /* vq_flush() made the entries pushed since the last flush visible. */
    void (*flushed)(struct vq *vq);
};

struct vq {
    unsigned int index;
    enum vq_layout layout;
    const struct vq_ops *ops;
    uint64_t features;
    bool event_idx;
    bool indirect;
    bool started;
    bool broken;
    unsigned int num;  /* 0 until vq_set_num() */
    unsigned int base; /* as given to vq_set_base() */
    bool addr_set;
    struct vhost_vring_addr addr;

    int kick_fd;
    int call_fd;
    int err_fd;

    struct gmem *gm;             /* not owned; set while started */
    struct gmem_table *ring_mem; /* reference keeping the rings mapped */
    struct gmem_table *mem;      /* reference used to translate descs */
    uint64_t mem_gen;            /* gmem_generation() when mem was got */

    /* Host addresses of the ring parts (valid while started). */
    void *desc_area;
    void *driver_area;
    void *device_area;

    /* Common ring state (layout files interpret). */
    uint16_t last_avail_idx;   /* next avail entry to pop */
    uint16_t used_idx;         /* next used entry to write */
    uint16_t shadow_avail_idx; /* last avail idx read from the ring */
    uint16_t signalled_used;   /* used idx at the last notification */
    bool signalled_used_valid;
    bool notify_pending;   /* flushed since the last notification */
    bool notify_disabled;  /* vq_disable_notify() in force */
    uint16_t pending_used; /* pushed, not yet flushed */

    /* --- split ring state (vq-split.c) --- */
    struct vring_desc *sdesc;
    struct vring_avail *savail;
    struct vring_used *sused;

    /* --- packed ring state (vq-packed.c) --- */
    struct vring_packed_desc *pdesc;
    struct vring_packed_desc_event *pdriver; /* driver event suppression */
    struct vring_packed_desc_event *pdevice; /* device event suppression */
    bool avail_wrap;        /* wrap counter of last_avail_idx */
    bool used_wrap;         /* wrap counter of used_idx */
    uint16_t pending_first; /* ring index of the first pushed, unflushed */
    uint16_t pending_first_flags;
    void *packed_priv; /* anything else vq-packed.c needs */

    /* --- inflight tracking (vq-inflight.c) --- */
    const struct vq_inflight_ops *inflight_ops;
    void *inflight;
};

/**
 * vq_mark_broken() - log "vq N broken: <why>" once, set broken, signal
 * the err eventfd.  Returns -EIO (for "return vq_mark_broken(...)").
 */
int vq_mark_broken(struct vq *vq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * vq_map_desc() - append the iovecs of one descriptor [addr, addr + len)
 * to @elem (readable or writable side), translating through vq->mem.
 * Returns 0, or -EIO after marking the queue broken (outside guest
 * memory, overflow, too many iovecs).
 */
int vq_map_desc(struct vq *vq, struct vq_elem *elem, uint64_t addr,
                uint32_t len, bool writable);

/**
 * vq_map_table() - the host address of an indirect table of @len bytes
 * at @addr; it must be contiguous in one region (no alignment is
 * required: read it with vq_copy_once()).  NULL after marking the queue
 * broken.
 */
const void *vq_map_table(struct vq *vq, uint64_t addr, uint32_t len);

/* Driver side: one layout's operations (vq-driver.c dispatches). */
struct vq_driver_ops {
    int (*init)(struct vq_driver *d);
    int (*add)(struct vq_driver *d, const struct vq_buf *out, unsigned int nout,
               const struct vq_buf *in, unsigned int nin, bool indirect,
               void *token);
    bool (*kick_prepare)(struct vq_driver *d); /* publish; need a kick? */
    int (*get_used)(struct vq_driver *d, uint32_t *len, void **token);
    bool (*enable_cb)(struct vq_driver *d);
    void (*disable_cb)(struct vq_driver *d);
};

extern const struct vq_driver_ops vq_driver_split_ops;
extern const struct vq_driver_ops vq_driver_packed_ops __attribute__((weak));

struct vq_driver {
    struct vq_driver_config cfg;
    const struct vq_driver_ops *ops;
    struct gmem_table *mem;
    struct vq_ring_layout lay;
    void *desc_area; /* host addresses */
    void *driver_area;
    void *device_area;
    void *indirect; /* NULL without indirect_gpa */
    unsigned int num;
    unsigned int num_free;
    unsigned int inflight;
    void **tokens;  /* [num], by head / buffer id */
    uint16_t *next; /* [num] free list links / chain lengths */
    uint16_t free_head;
    uint16_t avail_idx;     /* split: next avail idx (published at kick) */
    uint16_t kicked_idx;    /* avail idx at the last kick decision */
    uint16_t last_used_idx; /* next used entry to reap */
    bool cb_disabled;
    /* packed (vq-driver-packed.c) */
    bool avail_wrap;
    bool used_wrap;
    uint16_t next_avail; /* ring index of the next descriptor */
    uint16_t *ndescs;    /* [num] descriptors per buffer id */
    void *packed_priv;
};

/* Guest-physical -> host for the driver: whole range in one region. */
void *vq_driver_gpa(struct vq_driver *d, uint64_t gpa, uint64_t len);

#endif /* VHOSTFS_VQ_INTERNAL_H */
