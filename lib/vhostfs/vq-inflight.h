/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-inflight.h - inflight I/O tracking (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD,
 * vhost-user spec "Inflight I/O tracking").
 *
 * The device keeps, in a buffer it shares with the frontend, which
 * requests it took from each queue and has not answered yet.  When the
 * device process dies and a new one connects, the frontend hands the same
 * buffer back (SET_INFLIGHT_FD) and the new device resubmits those
 * requests, in the order they were first taken, before taking new ones.
 *
 * The buffer is one region per queue, one after the other; each region is
 * the spec's QueueRegionSplit or QueueRegionPacked, rounded up to
 * VQ_INFLIGHT_ALIGN bytes (the sizes DPDK's vhost library hands out).
 * A frontend may ask for the buffer before SET_FEATURES says which layout
 * the queues have (QEMU does): a device that does not know it yet makes
 * and maps the buffer with packed = true, whose regions hold either
 * layout, and keeps to that choice so a restarted device finds each
 * region where the previous one put it.
 *
 * A device's part:
 *   GET_INFLIGHT_FD:  fd = vq_inflight_create(&map, num_queues,
 *                     queue_size, packed); answer map.size, offset 0, fd.
 *   SET_INFLIGHT_FD:  vq_inflight_map_fd(&map, fd, mmap_size,
 *                     mmap_offset, num_queues, queue_size, packed).
 *   each vq_start():  vq_inflight_attach(vq, &map, index), then pop.
 *   before vq_stop() / vq_free(): vq_inflight_detach(vq).
 *
 * Ownership: vq_inflight_create() returns a memfd the caller owns (it is
 * given to the frontend by GET_INFLIGHT_FD and may be closed after); the
 * mapping lives in struct vq_inflight_map until vq_inflight_unmap().
 * vq_inflight_map_fd() borrows its fd.  A tracked queue borrows its
 * region from the map, which must stay mapped until
 * vq_inflight_detach(); the tracking state is allocated by
 * vq_inflight_attach() and freed by vq_inflight_detach().
 *
 * Every function returns 0 (or a count) or -errno.
 */
#ifndef VHOSTFS_VQ_INFLIGHT_H
#define VHOSTFS_VQ_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

/* Each queue region starts on a multiple of this (DPDK, libvhost-user). */
#define VQ_INFLIGHT_ALIGN 64u
/* QueueRegion*.version this code writes and reads; 0 = not set up yet. */
#define VQ_INFLIGHT_VERSION 1u

/*
 * The spec's structures (no UAPI header has them).  Native endian, as
 * everything in vhost-user; the layout is the C layout the spec shows.
 */
struct vq_inflight_desc_split {
    uint8_t inflight; /* 1 while the head is in flight */
    uint8_t padding[5];
    uint16_t next;    /* link of the last batch of used heads */
    uint64_t counter; /* submission order */
};

struct vq_inflight_split {
    uint64_t features;
    uint16_t version;
    uint16_t desc_num;
    uint16_t last_batch_head;
    uint16_t used_idx; /* used->idx once the last batch was committed */
    struct vq_inflight_desc_split desc[];
};

struct vq_inflight_desc_packed {
    uint8_t inflight; /* head entries: 1 while in flight */
    uint8_t padding;
    uint16_t next;    /* free list, or the next entry of a chain */
    uint16_t last;    /* head entries: the chain's last entry */
    uint16_t num;     /* head entries: ring descriptors in the chain */
    uint64_t counter; /* head entries: submission order */
    /* A copy of the ring descriptor (the ring slot may be overwritten). */
    uint16_t id;
    uint16_t flags;
    uint32_t len;
    uint64_t addr;
};

struct vq_inflight_packed {
    uint64_t features;
    uint16_t version;
    uint16_t desc_num;
    uint16_t free_head;
    uint16_t old_free_head;
    uint16_t used_idx;
    uint16_t old_used_idx;
    uint8_t used_wrap_counter;
    uint8_t old_used_wrap_counter;
    uint8_t padding[7];
    struct vq_inflight_desc_packed desc[];
};

/**
 * vq_inflight_queue_size() - bytes of one queue's region for a ring of
 * @queue_size entries (@packed: the packed layout), rounded up to
 * VQ_INFLIGHT_ALIGN.  0 when @queue_size is 0 or above 32768.
 */
size_t vq_inflight_queue_size(unsigned int queue_size, bool packed);

/**
 * vq_inflight_size() - bytes of the whole buffer for @num_queues queues
 * of @queue_size entries: what GET_INFLIGHT_FD answers in mmap_size.
 * Returns 0 for an empty or impossible request (either count 0, a queue
 * size above 32768).
 */
size_t vq_inflight_size(unsigned int num_queues, unsigned int queue_size,
                        bool packed);

/* A mapped inflight buffer. */
struct vq_inflight_map {
    void *base;   /* NULL when nothing is mapped */
    size_t size;  /* bytes mapped */
    size_t qsize; /* bytes of one queue region */
    unsigned int num_queues;
    unsigned int queue_size;
    bool packed;
};

/**
 * vq_inflight_create() - GET_INFLIGHT_FD: a new zeroed buffer for
 * @num_queues queues of @queue_size entries, in a memfd (MFD_CLOEXEC |
 * MFD_ALLOW_SEALING; sealed against shrinking, growing and more seals),
 * mapped into @map.
 *
 * Returns the memfd (the caller owns it) or -EINVAL, -ENOMEM, or the
 * memfd_create()/ftruncate()/mmap() error; on failure @map is empty.
 */
int vq_inflight_create(struct vq_inflight_map *map, unsigned int num_queues,
                       unsigned int queue_size, bool packed);

/**
 * vq_inflight_map_fd() - SET_INFLIGHT_FD: map the buffer the frontend
 * hands back: @mmap_size bytes of @fd from @mmap_offset, which must hold
 * @num_queues regions of vq_inflight_queue_size(@queue_size, @packed).
 * The file must be that long and sealed against shrinking (as every
 * backend's buffer is), or a frontend could truncate it under the
 * mapping.  @fd is borrowed (the caller closes it; the mapping keeps the
 * file).  Returns 0, -EINVAL (sizes that do not fit, a file too short or
 * not sealed) or the fstat()/mmap() error.
 */
int vq_inflight_map_fd(struct vq_inflight_map *map, int fd, uint64_t mmap_size,
                       uint64_t mmap_offset, unsigned int num_queues,
                       unsigned int queue_size, bool packed);

/** vq_inflight_unmap() - unmap; an empty @map is a no-op. */
void vq_inflight_unmap(struct vq_inflight_map *map);

/**
 * vq_inflight_region() - queue @index's region in @map, or NULL when
 * @index >= num_queues or nothing is mapped.
 */
void *vq_inflight_region(const struct vq_inflight_map *map, unsigned int index);

struct vq;

/**
 * vq_inflight_attach() - track started queue @vq in region @index of
 * @map (which must stay mapped until vq_inflight_detach()), and recover
 * what a previous device left in flight.
 *
 * The region must hold the queue's ring size in the queue's layout: a
 * buffer made before the layout was negotiated should be made packed
 * (its regions are large enough for either).
 *
 * Call after every vq_start() and before the first vq_pop().  A region
 * never set up (version 0: fresh from vq_inflight_create(), or zeroed by
 * the frontend at a guest reset) is initialised for the queue.
 * Otherwise the spec's reconnect steps run: a batch of used entries that
 * was being published when the device died is committed or rolled back
 * (whichever the ring shows), the requests still in flight are listed in
 * the order they were first popped, and the queue's positions are set
 * from the region: split, next avail = used->idx + in flight (the
 * frontend's base cannot know); packed, the used position the region
 * recorded and next avail = used + the in-flight chains' descriptors.
 * The next vq_pop() calls return those requests, in that order, before
 * any new one.
 *
 * Returns the number of requests to resubmit, or -EINVAL (no such
 * region, one too small for the queue, of another version or ring size,
 * or inconsistent: the queue is then not tracked), -EBUSY (queue not
 * started), -ENOMEM.
 */
int vq_inflight_attach(struct vq *vq, const struct vq_inflight_map *map,
                       unsigned int index);

/**
 * vq_inflight_detach() - stop tracking @vq (before vq_stop() or
 * vq_free(), or to re-attach after the next vq_start()); frees the
 * tracking state.  The region is left as it is.  No-op when not tracked.
 */
void vq_inflight_detach(struct vq *vq);

/*
 * --- For the ring code (vq-split.c, vq-packed.c), not for devices ---
 *
 * One queue's tracking state, vq->inflight while tracked.  Owned by the
 * queue's thread (no lock).  The region is shared with the frontend and
 * read by the next incarnation of the device, so nothing read back from
 * it is trusted: every index is bounded before use.
 */
struct vq_inflight_queue {
    void *region;
    unsigned int num; /* ring size == region's desc_num */
    bool packed;
    uint64_t counter;  /* submission number of the next request */
    uint16_t chain_n;  /* packed: descriptors of the chain being taken */
    bool resubmitting; /* the element being popped is a resubmission */
    uint16_t *pending; /* [num] pushed, not yet flushed */
    unsigned int npending;
    uint16_t *resubmit; /* [nresubmit] in submission order */
    unsigned int nresubmit;
    unsigned int resubmit_pos;
};

/**
 * vq_inflight_next_resubmit() - the next request to resubmit, if any: a
 * split head (walk it from the descriptor table, do not take an avail
 * entry) or a packed region entry (see vq_inflight_packed_chain()).
 * Returns 0 and stores it in *@out, or -ENOENT when none is left.
 */
int vq_inflight_next_resubmit(struct vq_inflight_queue *q, uint16_t *out);

/**
 * vq_inflight_packed_take() - packed: ring descriptor @d, the @first
 * and/or @last of its chain, was taken from the ring.  When @last, stores
 * the chain's region entry in *@entry (carried in vq_elem.flags).
 * Returns 0 or -EINVAL (the region's free list is corrupt or empty).
 */
int vq_inflight_packed_take(struct vq_inflight_queue *q,
                            const struct vring_packed_desc *d, bool first,
                            bool last, uint16_t *entry);

/**
 * vq_inflight_packed_put() - packed: chain @entry was pushed (its used
 * descriptor is written but not yet published).  Returns 0 or -EINVAL.
 */
int vq_inflight_packed_put(struct vq_inflight_queue *q, uint16_t entry);

/**
 * vq_inflight_packed_used() - packed: the chains put since the last
 * commit are about to be published and move the used position to
 * @used_idx / @used_wrap.  Call before the first flags store of the batch.
 */
void vq_inflight_packed_used(struct vq_inflight_queue *q, uint16_t used_idx,
                             bool used_wrap);

/**
 * vq_inflight_packed_commit() - packed: the batch was published (its
 * first used descriptor's flags were stored); its chains are done.
 */
void vq_inflight_packed_commit(struct vq_inflight_queue *q);

/**
 * vq_inflight_packed_chain() - the number of ring descriptors of
 * resubmitted chain @entry (1..ring size), or -EINVAL.
 */
int vq_inflight_packed_chain(const struct vq_inflight_queue *q, uint16_t entry);

/**
 * vq_inflight_packed_read() - copy region entry *@pos of a resubmitted
 * chain (start with *@pos = the chain's entry) to @d and move *@pos to
 * the chain's next entry.  Returns 0 or -EINVAL (*@pos out of range).
 */
int vq_inflight_packed_read(const struct vq_inflight_queue *q, uint16_t *pos,
                            struct vring_packed_desc *d);

#endif /* VHOSTFS_VQ_INFLIGHT_H */
