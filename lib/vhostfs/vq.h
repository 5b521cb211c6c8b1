/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq.h - virtqueues, device side: split and packed rings (virtio 1.2
 * 2.7 and 2.8) in guest memory, indirect descriptors, EVENT_IDX, used
 * entries and notifications.  The driver side is in vq-driver.h.
 *
 * Life of a queue (the vhost-user messages that drive it in brackets):
 *   vq_new()            once per queue
 *   vq_set_features()   layout, EVENT_IDX, INDIRECT   [SET_FEATURES]
 *   vq_set_num()        ring size                     [SET_VRING_NUM]
 *   vq_set_addr()       ring addresses (VMM virtual)  [SET_VRING_ADDR]
 *   vq_set_base()       next avail index (+wrap bit)  [SET_VRING_BASE]
 *   vq_set_kick_fd() / vq_set_call_fd() / vq_set_err_fd()
 *   vq_start()          translate the rings, start    [kick fd / ENABLE]
 *   ... vq_pop() / vq_push() / vq_flush() / vq_notify() ...
 *   vq_stop()           stop; vq_get_base() then     [GET_VRING_BASE]
 *   vq_free()
 *
 * A queue thread's loop (kicks; for polling, vq_disable_notify() and
 * spin on vq_avail_pending() for a while, then vq_enable_notify() before
 * sleeping):
 *
 *     for (;;) {
 *         while (vq_pop(vq, &elem) == 1) {
 *             n = handle(&elem);
 *             vq_push(vq, &elem, n);
 *         }
 *         vq_flush(vq);            one used->idx store for the batch
 *         vq_notify(vq);           a call only if the driver wants one
 *         if (vq_enable_notify(vq)) {
 *             continue;            the driver added buffers meanwhile
 *         }
 *         poll(vq_kick_fd(vq)); vq_drain_kick(vq);
 *     }
 *
 * With EVENT_IDX and notifications enabled, each vq_pop() moves
 * avail_event past the entry it took, so a driver kicks only for an entry
 * made available after the device has seen all the earlier ones.
 *
 * Threads: a struct vq is not locked.  One thread at a time may call the
 * functions of one queue (the queue thread; a pool that completes
 * requests must serialise its vq_push() calls with the queue thread, and
 * the control thread must stop the queue thread before vq_set_*(),
 * vq_start() or vq_stop()).  Different queues are independent.
 *
 * Guest memory: the queue translates descriptors against a reference on
 * the current gmem table, refreshed at vq_pop() when gmem_generation()
 * moves; each popped element holds its own reference (elem->mem) until
 * vq_push() or vq_elem_release(), so its iovecs stay mapped across a
 * table change.  The rings are translated once, at vq_start(), and stay
 * mapped until vq_stop().
 *
 * Broken queue: a driver that breaks a ring rule (head or next out of
 * range, a loop, nested or malformed indirect tables, a descriptor
 * outside guest memory or overflowing, the avail index jumping by more
 * than the ring size, a writable descriptor before a readable one) marks
 * the queue broken: one log line (log.h), a write to the err eventfd when
 * there is one, and every later vq_pop() returns -EIO until vq_stop() and
 * vq_start() again.  Nothing else is affected.
 *
 * Only little-endian hosts (virtio 1.x rings are little-endian).
 */
#ifndef VHOSTFS_VQ_H
#define VHOSTFS_VQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/vhost_types.h>

#include "gmem.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "virtqueues are implemented for little-endian hosts");

/* virtio 1.2 2.7 / 2.8: a queue has at most 32768 entries. */
#define VQ_MAX_SIZE 32768u

/* Feature bits the queue looks at (<linux/virtio_config.h> names). */
#define VQ_F_INDIRECT_DESC 28 /* VIRTIO_RING_F_INDIRECT_DESC */
#define VQ_F_EVENT_IDX     29 /* VIRTIO_RING_F_EVENT_IDX */
#define VQ_F_VERSION_1     32 /* VIRTIO_F_VERSION_1 */
#define VQ_F_RING_PACKED   34 /* VIRTIO_F_RING_PACKED */

enum vq_layout {
    VQ_LAYOUT_SPLIT = 0,
    VQ_LAYOUT_PACKED = 1,
};

/*
 * Where the three parts of a ring go when they are laid out one after the
 * other from one base address (what the driver side does), and how many
 * bytes each needs.  Offsets respect the alignment of virtio 1.2 2.7.1
 * (split: 16, 2, 4) and 2.8.10 (packed: 16, 4, 4).  Split sizes include
 * the used_event / avail_event words.
 */
struct vq_ring_layout {
    uint64_t desc_off, desc_size;     /* descriptor area */
    uint64_t driver_off, driver_size; /* avail ring / driver event */
    uint64_t device_off, device_size; /* used ring / device event */
    uint64_t total;                   /* bytes from the base */
};

/**
 * vq_ring_layout() - fill @out for a ring of @num entries.
 * Returns 0, or -EINVAL when num is 0, above VQ_MAX_SIZE, or (split) not
 * a power of two.
 */
int vq_ring_layout(enum vq_layout layout, unsigned int num,
                   struct vq_ring_layout *out);

/*
 * One descriptor chain popped from the ring.  The caller provides the
 * iovec array (iov, iov_max) so popping does not allocate; vq_pop() fills
 * the rest.  iov[0 .. out_num) are device-readable (driver -> device),
 * iov[out_num .. out_num + in_num) device-writable.  A descriptor that
 * spans two guest memory regions takes two iovecs.
 *
 * Descriptors outside guest memory: a guest with a DAX window may hand the
 * device a buffer that lies in the window (an O_DIRECT read into a
 * DAX-mapped page), which the VMM never shares with the backend.  With
 * @gpa NULL such a descriptor breaks the queue, as any address outside
 * guest memory does.  With @gpa set, a descriptor that lies wholly
 * outside every region becomes one iovec with iov_base NULL, iov_len its
 * length and gpa[i] its guest-physical address, and @unmapped counts
 * them; the device must not touch such an iovec's memory, only ask the
 * VMM to move the bytes (FS_IO).  A descriptor partly inside guest memory
 * still breaks the queue.  Entries of @gpa for mapped iovecs are not set.
 */
struct vq_elem {
    struct iovec *iov;      /* set by the caller, not owned by the vq */
    unsigned int iov_max;   /* set by the caller: entries in iov */
    uint64_t *gpa;          /* set by the caller: NULL, or iov_max entries
                               for descriptors outside guest memory (below) */
    unsigned int unmapped;  /* iovecs outside guest memory (0 if gpa NULL) */
    unsigned int out_num;   /* device-readable iovecs */
    unsigned int in_num;    /* device-writable iovecs */
    uint64_t out_bytes;     /* sum of the readable lengths */
    uint64_t in_bytes;      /* sum of the writable lengths */
    uint16_t id;            /* split: head index; packed: buffer id */
    uint16_t ndescs;        /* ring descriptors the chain took (1 if
                               indirect) */
    uint16_t slot;          /* split: avail ring position (mod num);
                               packed: ring index of the first descriptor */
    uint16_t flags;         /* layout-private */
    struct gmem_table *mem; /* reference the iovecs point into */
};

/*
 * A chain needs at most this many iovecs per descriptor when regions are
 * not adjacent in the VMM; callers size iov_max for their largest
 * request (a chain longer than iov_max iovecs marks the queue broken).
 */

struct vq;

/**
 * vq_new() - a stopped queue with index @index (used in log lines), no
 * fds, num 0.  Free with vq_free().  Returns 0 or -ENOMEM.
 */
int vq_new(struct vq **out, unsigned int index);

/**
 * vq_free() - stop the queue and free it, closing its kick, call and err
 * fds.  Elements still out keep their own table reference: release them
 * with vq_elem_release() (vq_push() is not allowed after vq_free()).
 */
void vq_free(struct vq *vq);

/**
 * vq_set_features() - the negotiated virtio features: VQ_F_RING_PACKED
 * picks the layout, VQ_F_EVENT_IDX and VQ_F_INDIRECT_DESC enable those.
 * Stopped queue only.  Returns 0, -EBUSY (started) or -ENOTSUP (packed
 * layout not built in).
 */
int vq_set_features(struct vq *vq, uint64_t features);

/**
 * vq_set_num() - ring size, 1 .. VQ_MAX_SIZE (split rings must also be a
 * power of two: checked by vq_start()).  Returns 0, -EINVAL or -EBUSY.
 */
int vq_set_num(struct vq *vq, unsigned int num);

/**
 * vq_set_addr() - the rings' VMM virtual addresses (desc_user_addr,
 * avail_user_addr, used_user_addr; for packed: descriptor ring, driver
 * event, device event).  Translated by vq_start().  Returns 0 or -EBUSY.
 */
int vq_set_addr(struct vq *vq, const struct vhost_vring_addr *addr);

/**
 * vq_set_base() - the next avail index (SET_VRING_BASE num).  Split: the
 * low 16 bits; packed: bits 0-14 the index, bit 15 the wrap counter
 * (VHU_VRING_BASE_WRAP), and bits 16-31 the same for the used position
 * (0 there: the used position starts where avail does).
 * Returns 0 or -EBUSY.
 */
int vq_set_base(struct vq *vq, unsigned int base);

/**
 * vq_get_base() - the value GET_VRING_BASE returns: the next avail index
 * to pop; for packed rings with its wrap counter in bit 15 and the used
 * position and wrap counter in bits 16-31.
 */
unsigned int vq_get_base(const struct vq *vq);

/**
 * vq_set_kick_fd(), vq_set_call_fd(), vq_set_err_fd() - the queue's
 * eventfds.  The queue owns @fd from then on (closes it when replaced, in
 * vq_free()); -1 means none.  No call fd: vq_notify() signals nothing
 * (the driver polls).  Safe to call on a started queue only from the
 * thread that runs it.
 */
void vq_set_kick_fd(struct vq *vq, int fd);
void vq_set_call_fd(struct vq *vq, int fd);
void vq_set_err_fd(struct vq *vq, int fd);

/** vq_kick_fd() - the kick eventfd (for poll()), or -1. */
int vq_kick_fd(const struct vq *vq);

/**
 * vq_drain_kick() - consume pending kicks (a non-blocking read of the
 * kick eventfd, which must then be O_NONBLOCK, or a blocking one that
 * waits for a kick).  Returns the count read, 0 or -errno.
 */
int vq_drain_kick(struct vq *vq);

/**
 * vq_start() - translate the ring addresses through @gm's current table
 * (each part must lie whole in one region, aligned in this process
 * too), check num and base, clear
 * the broken state, and start.  The queue keeps @gm (not owned: it must
 * outlive the queue's start..stop).  Returns 0, -EINVAL (no num, or a
 * split num not a power of two, or no address), -EFAULT (a ring not in
 * guest memory) or -EBUSY.
 */
int vq_start(struct vq *vq, struct gmem *gm);

/**
 * vq_stop() - stop the queue and drop its table references.  The avail
 * position is kept (vq_get_base()); elements still out stay valid and
 * must be released with vq_elem_release() (pushing them is ignored).
 */
void vq_stop(struct vq *vq);

bool vq_is_started(const struct vq *vq);
bool vq_is_broken(const struct vq *vq);
enum vq_layout vq_get_layout(const struct vq *vq);
unsigned int vq_get_num(const struct vq *vq);
unsigned int vq_get_index(const struct vq *vq);

/**
 * vq_pop() - take the next available chain.
 * @elem: iov and iov_max set by the caller; the rest is filled.
 *
 * Each descriptor is read from shared memory once.  Returns 1 (an element,
 * which holds a table reference until vq_push() or vq_elem_release()),
 * 0 (ring empty), or -EIO (queue broken, stopped, or broken by this
 * chain: see vq_is_broken()).
 */
int vq_pop(struct vq *vq, struct vq_elem *elem);

/**
 * vq_push() - return @elem to the driver with @len bytes written into its
 * writable part, and drop its table reference.  The used entry becomes
 * visible to the driver at the next vq_flush(): push several, then flush
 * once.  Elements must be pushed on the queue they were popped from.
 */
void vq_push(struct vq *vq, struct vq_elem *elem, uint32_t len);

/**
 * vq_flush() - publish the used entries pushed since the last flush.
 */
void vq_flush(struct vq *vq);

/**
 * vq_notify() - signal the call eventfd if the driver asked for it
 * (EVENT_IDX used_event, or no VRING_AVAIL_F_NO_INTERRUPT; packed:
 * the driver event suppression structure) and something was flushed
 * since the last signal.  Returns true if it signalled.
 */
bool vq_notify(struct vq *vq);

/**
 * vq_complete() - vq_push(), vq_flush(), vq_notify() for one element.
 */
void vq_complete(struct vq *vq, struct vq_elem *elem, uint32_t len);

/**
 * vq_elem_release() - drop @elem's table reference without pushing it
 * (after vq_stop(), or to give up an element).  Idempotent.
 */
void vq_elem_release(struct vq_elem *elem);

/**
 * vq_disable_notify() - tell the driver no kick is needed (the device
 * polls): VRING_USED_F_NO_NOTIFY, or avail_event left behind with
 * EVENT_IDX; packed: device event flags DISABLE.  A hint: the driver may
 * still kick.
 */
void vq_disable_notify(struct vq *vq);

/**
 * vq_enable_notify() - ask for kicks again, then check the ring once
 * more (with a full barrier between) so a buffer made available in the
 * window is not missed.  Returns true when buffers are available: pop
 * them before sleeping on the kick fd.
 */
bool vq_enable_notify(struct vq *vq);

/**
 * vq_avail_pending() - whether vq_pop() would find something (a cheap
 * poll of the avail index / next descriptor flags).  False when stopped
 * or broken.
 */
bool vq_avail_pending(struct vq *vq);

#endif /* VHOSTFS_VQ_H */
