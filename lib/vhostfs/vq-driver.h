/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-driver.h - virtqueues, driver side: what a guest's virtio driver
 * does, so the project can drive a device (its own, or another
 * vhost-user backend through vhostfs-client) without a guest.
 *
 * The "guest memory" is whatever a struct gmem_table maps: typically
 * memfds the caller created and described with struct vhu_mem_region,
 * mapped in this process by its own struct gmem, the same fds sent to the
 * device.  The driver writes rings and tables through that mapping and
 * speaks guest-physical addresses in descriptors.
 *
 * Threads: a struct vq_driver is not locked; one thread at a time.
 */
#ifndef VHOSTFS_VQ_DRIVER_H
#define VHOSTFS_VQ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vhost_types.h>

#include "gmem.h"
#include "vq.h"

/* Most descriptors in one indirect table the driver builds. */
#define VQ_DRIVER_INDIRECT_MAX 64u

struct vq_driver_config {
    enum vq_layout layout;
    unsigned int num;  /* ring size (vq_ring_layout() rules) */
    uint64_t ring_gpa; /* rings laid out from here (vq_ring_layout()) */
    bool event_idx;    /* VIRTIO_RING_F_EVENT_IDX negotiated */
    /*
     * Indirect tables: when indirect_gpa != 0, num tables of
     * VQ_DRIVER_INDIRECT_MAX descriptors (num * 1024 bytes, 16-aligned)
     * start there, one per descriptor head / buffer id.
     */
    uint64_t indirect_gpa;
    int kick_fd; /* eventfd written by vq_driver_kick(); -1: none.  Not
                    owned. */
    int call_fd; /* eventfd vq_driver_wait() reads; -1: none.  Not owned. */
};

/* A guest-physical buffer. */
struct vq_buf {
    uint64_t gpa;
    uint32_t len;
};

struct vq_driver;

/**
 * vq_driver_new() - set up a ring in guest memory: zero the ring areas,
 * fill the free list.  Takes its own reference on @mem.  Returns 0,
 * -EINVAL (bad config) or -EFAULT (a ring or the indirect area not in
 * one region of @mem), -ENOMEM.  Free with vq_driver_free().
 */
int vq_driver_new(struct vq_driver **out, const struct vq_driver_config *cfg,
                  struct gmem_table *mem);

/** vq_driver_free() - drop the table reference and free (fds not closed). */
void vq_driver_free(struct vq_driver *d);

/**
 * vq_driver_vring_addr() - the SET_VRING_ADDR payload for this ring (VMM
 * virtual addresses from the table's regions) with @index.
 */
void vq_driver_vring_addr(const struct vq_driver *d, unsigned int index,
                          struct vhost_vring_addr *addr);

/**
 * vq_driver_add() - make a chain available: @nout device-readable
 * buffers, then @nin device-writable ones (at least one buffer in all).
 * @indirect: put the chain in this head's indirect table (needs
 * indirect_gpa and nout + nin <= VQ_DRIVER_INDIRECT_MAX); it then takes
 * one ring descriptor.
 * @token: returned with the used entry; must not be NULL.
 *
 * The entry is not visible to the device until vq_driver_kick().
 * Returns 0, -ENOSPC (not enough free descriptors) or -EINVAL.
 */
int vq_driver_add(struct vq_driver *d, const struct vq_buf *out,
                  unsigned int nout, const struct vq_buf *in, unsigned int nin,
                  bool indirect, void *token);

/**
 * vq_driver_kick() - publish the chains added since the last call and
 * write the kick eventfd if the device asked for it (EVENT_IDX
 * avail_event, or no VRING_USED_F_NO_NOTIFY; packed: device event
 * suppression).  Returns true if it kicked.
 */
bool vq_driver_kick(struct vq_driver *d);

/**
 * vq_driver_get_used() - reap one used entry: *len (bytes the device
 * wrote) and *token (as given to vq_driver_add()), its descriptors freed.
 * Returns 1, 0 (none), or -EIO when the device returned an id that is
 * not out (the device is buggy).
 */
int vq_driver_get_used(struct vq_driver *d, uint32_t *len, void **token);

/**
 * vq_driver_enable_cb() - ask for used-buffer notifications again (used
 * event = the next entry to reap, or clear VRING_AVAIL_F_NO_INTERRUPT),
 * then re-check with a full barrier.  Returns true if used entries are
 * already pending (reap them before waiting).
 */
bool vq_driver_enable_cb(struct vq_driver *d);

/** vq_driver_disable_cb() - ask for no used-buffer notification. */
void vq_driver_disable_cb(struct vq_driver *d);

/**
 * vq_driver_wait() - wait up to @timeout_ms (-1: forever) for the call
 * eventfd and consume it.  Returns 1 (signalled), 0 (timeout) or -errno.
 */
int vq_driver_wait(struct vq_driver *d, int timeout_ms);

/** vq_driver_num_free() - free descriptors. */
unsigned int vq_driver_num_free(const struct vq_driver *d);

/** vq_driver_num_inflight() - chains added and not yet reaped. */
unsigned int vq_driver_num_inflight(const struct vq_driver *d);

/*
 * Raw access to the rings, for tests that play a hostile driver: host
 * pointers to the descriptor area (struct vring_desc[] or struct
 * vring_packed_desc[]), the driver area (struct vring_avail or struct
 * vring_packed_desc_event) and the device area (struct vring_used or
 * struct vring_packed_desc_event), and the indirect area (NULL if none).
 */
struct vq_driver_raw {
    void *desc;
    void *driver_area;
    void *device_area;
    void *indirect;
    unsigned int num;
};
void vq_driver_raw(const struct vq_driver *d, struct vq_driver_raw *raw);

#endif /* VHOSTFS_VQ_DRIVER_H */
