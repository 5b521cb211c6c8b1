/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-packed.c - the packed ring, device side (virtio 1.2 2.8).
 *
 * Security model: the descriptor ring, the driver event suppression
 * structure and every indirect table are written by the guest, which may
 * change them at any moment.  Each descriptor is read once (relaxed
 * atomic loads, or one copy for indirect entries) and only the copy is
 * used.  Chains are bounded by the ring size and by what the ring can
 * hold (descriptors in flight + chain <= num), indirect tables by their
 * length (a multiple of 16, at most VQ_MAX_SIZE entries) and may not nest
 * or sit in a chain, buffer ids must be below the ring size, and every
 * buffer goes through vq_map_desc() (guest memory bounds, overflow,
 * iovec count).  A violation marks the queue broken; nothing is
 * asserted.  The inflight region, when there is one, is shared with the
 * VMM: see vq-inflight.c.
 *
 * Positions: a ring position is an index below num plus a wrap counter.
 * For comparisons they are folded into a sequence number below 2 * num
 * (pk_seq()), which moves by one per descriptor and wraps at 2 * num, so
 * that "is the event descriptor among the ones just written" is a modular
 * interval test, as vring_need_event() is for split rings.
 */
#include <errno.h>

#include "vq-inflight.h"
#include "vq-internal.h"

#define PK_F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_F_USED  (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP    (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

/* Sequence number of position @idx with wrap counter @wrap. */
static unsigned int pk_seq(const struct vq *vq, uint16_t idx, bool wrap)
{
    return idx + (wrap ? 0u : vq->num);
}

/* (a - b) modulo 2 * num, for sequence numbers. */
static unsigned int pk_dist(const struct vq *vq, unsigned int a, unsigned int b)
{
    return a >= b ? a - b : a + 2 * vq->num - b;
}

/* Advance a position by @n <= num descriptors (2.8.1: toggle on wrap). */
static void pk_advance(const struct vq *vq, uint16_t *idx, bool *wrap,
                       unsigned int n)
{
    unsigned int i = *idx + n;

    if (i >= vq->num) {
        i -= vq->num;
        *wrap = !*wrap;
    }
    *idx = (uint16_t)i;
}

/* 2.8.1: available when AVAIL matches the wrap counter and USED does not. */
static bool pk_is_avail(uint16_t flags, bool wrap)
{
    return !!(flags & PK_F_AVAIL) == wrap && !!(flags & PK_F_USED) != wrap;
}

/* Ring descriptors taken and not yet pushed. */
static unsigned int pk_outstanding(const struct vq *vq)
{
    return pk_dist(vq, pk_seq(vq, vq->last_avail_idx, vq->avail_wrap),
                   pk_seq(vq, vq->used_idx, vq->used_wrap));
}

static struct vq_inflight_queue *pk_inflight(const struct vq *vq)
{
    return vq->inflight_ops ? vq->inflight : NULL;
}

static int pk_start(struct vq *vq)
{
    unsigned int avail = vq->base & 0xffff, used = vq->base >> 16;

    if (!vq->num || vq->num > VQ_MAX_SIZE) {
        return -EINVAL;
    }
    /* 2.8.10.1: descriptor ring 16-aligned, event structures 4-aligned. */
    if ((uintptr_t)vq->desc_area % 16 || (uintptr_t)vq->driver_area % 4 ||
        (uintptr_t)vq->device_area % 4) {
        return -EINVAL;
    }
    /*
     * vhost-user "Vring descriptor indices for packed virtqueues": bits
     * 0-14 the next avail position, bit 15 its wrap counter, bits 16-30
     * and 31 the same for the used position.  Frontends that send only
     * the low half mean a ring with nothing in flight: used = avail.
     */
    if (!used) {
        used = avail;
    }
    if ((avail & ~PK_WRAP) >= vq->num || (used & ~PK_WRAP) >= vq->num) {
        return -EINVAL;
    }
    vq->pdesc = vq->desc_area;
    vq->pdriver = vq->driver_area;
    vq->pdevice = vq->device_area;
    vq->last_avail_idx = avail & ~PK_WRAP;
    vq->avail_wrap = !!(avail & PK_WRAP);
    vq->used_idx = used & ~PK_WRAP;
    vq->used_wrap = !!(used & PK_WRAP);
    if (pk_outstanding(vq) > vq->num) {
        return -EINVAL;
    }
    vq->pending_used = 0;
    vq->signalled_used_valid = false;
    vq->notify_pending = false;
    /*
     * A previous device may have left kicks disabled while it polled:
     * ask for them, or the driver might never kick this one.
     */
    vq_store16(&vq->pdevice->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
    return 0;
}

/*
 * Map one descriptor (already copied out of guest memory) of a chain:
 * an indirect table, which must be the whole chain (2.8.19), or a buffer.
 * @k is its place in the chain.
 */
static int pk_map_one(struct vq *vq, struct vq_elem *elem,
                      const struct vring_packed_desc *d, unsigned int k)
{
    const unsigned char *tbl;
    struct vring_packed_desc e;
    unsigned int i, n;
    bool writable;

    if (!(d->flags & VRING_DESC_F_INDIRECT)) {
        writable = d->flags & VRING_DESC_F_WRITE;
        if (!writable && elem->in_num) {
            return vq_mark_broken(vq, "readable descriptor after a writable"
                                      " one");
        }
        return vq_map_desc(vq, elem, d->addr, d->len, writable);
    }
    if (!vq->indirect) {
        return vq_mark_broken(vq, "indirect descriptor without "
                                  "VIRTIO_F_INDIRECT_DESC");
    }
    if (k || (d->flags & VRING_DESC_F_NEXT)) {
        return vq_mark_broken(vq, "indirect descriptor in a chain");
    }
    if (!d->len || d->len % sizeof(e)) {
        return vq_mark_broken(vq,
                              "indirect table length %u not a multiple "
                              "of 16",
                              d->len);
    }
    n = d->len / sizeof(e);
    if (n > VQ_MAX_SIZE) {
        return vq_mark_broken(vq, "indirect table of %u descriptors", n);
    }
    tbl = vq_map_table(vq, d->addr, d->len);
    if (!tbl) {
        return -EIO;
    }
    for (i = 0; i < n; i++) {
        /* One read of each entry (the table may be misaligned). */
        vq_copy_once(&e, tbl + (size_t)i * sizeof(e), sizeof(e));
        /* 2.8.19: WRITE is the only flag a table entry may carry. */
        if (e.flags & VRING_DESC_F_INDIRECT) {
            return vq_mark_broken(vq, "indirect table inside an indirect "
                                      "table");
        }
        writable = e.flags & VRING_DESC_F_WRITE;
        if (!writable && elem->in_num) {
            return vq_mark_broken(vq, "readable descriptor after a writable"
                                      " one");
        }
        if (vq_map_desc(vq, elem, e.addr, e.len, writable) < 0) {
            return -EIO;
        }
    }
    return 0;
}

static void pk_elem_init(struct vq_elem *elem)
{
    elem->out_num = 0;
    elem->in_num = 0;
    elem->out_bytes = 0;
    elem->in_bytes = 0;
    elem->unmapped = 0;
    elem->flags = 0;
}

static int pk_finish(struct vq *vq, struct vq_elem *elem, uint16_t id,
                     unsigned int n)
{
    if (id >= vq->num) {
        return vq_mark_broken(vq, "buffer id %u >= ring size %u", id, vq->num);
    }
    elem->id = id;
    elem->ndescs = (uint16_t)n;
    return 1;
}

/* Pop the next chain the inflight region says was in flight. */
static int pk_pop_resubmit(struct vq *vq, struct vq_elem *elem,
                           struct vq_inflight_queue *q, uint16_t entry)
{
    struct vring_packed_desc d = {0};
    uint16_t pos = entry;
    int n, k;

    n = vq_inflight_packed_chain(q, entry);
    if (n < 0) {
        return vq_mark_broken(vq, "inflight chain %u corrupt", entry);
    }
    elem->slot = 0;
    for (k = 0; k < n; k++) {
        if (vq_inflight_packed_read(q, &pos, &d) < 0) {
            return vq_mark_broken(vq, "inflight chain %u corrupt", entry);
        }
        if (pk_map_one(vq, elem, &d, (unsigned int)k) < 0) {
            return -EIO;
        }
        if ((d.flags & VRING_DESC_F_INDIRECT) && n != 1) {
            return vq_mark_broken(vq, "inflight chain %u corrupt", entry);
        }
    }
    elem->flags = entry;
    return pk_finish(vq, elem, d.id, (unsigned int)n);
}

static int pk_pop(struct vq *vq, struct vq_elem *elem)
{
    struct vq_inflight_queue *q = pk_inflight(vq);
    struct vring_packed_desc d, *rd;
    unsigned int k, room;
    uint16_t idx = vq->last_avail_idx, entry = 0;
    bool wrap = vq->avail_wrap, last;
    uint16_t flags;

    pk_elem_init(elem);
    if (q && vq_inflight_next_resubmit(q, &entry) == 0) {
        return pk_pop_resubmit(vq, elem, q, entry);
    }
    flags = vq_load16(&vq->pdesc[idx].flags);
    if (!pk_is_avail(flags, wrap)) {
        return 0;
    }
    /*
     * 2.8.21.1: the driver writes a chain's descriptors, then (after a
     * write barrier) the first one's flags.  Read the flags, then the
     * rest: the read barrier pairs with the driver's write barrier.
     */
    vq_smp_rmb();
    room = vq->num - pk_outstanding(vq);
    elem->slot = idx;
    for (k = 0;; k++) {
        /* 2.8.17: a list is at most num long, and must fit in the ring. */
        if (k >= room) {
            return vq_mark_broken(vq,
                                  "chain longer than the ring (%u "
                                  "descriptors free)",
                                  room);
        }
        rd = &vq->pdesc[idx];
        d.addr = vq_load64(&rd->addr);
        d.len = vq_load32(&rd->len);
        d.id = vq_load16(&rd->id);
        d.flags = k ? vq_load16(&rd->flags) : flags;
        last =
            !(d.flags & VRING_DESC_F_NEXT) || (d.flags & VRING_DESC_F_INDIRECT);
        if (pk_map_one(vq, elem, &d, k) < 0) {
            return -EIO;
        }
        /* 2.8.6: the buffer id is in the last descriptor of the list. */
        if (last && pk_finish(vq, elem, d.id, k + 1) < 0) {
            return -EIO;
        }
        /*
         * Recorded once checked: the last descriptor commits the chain
         * in the region, so a chain that breaks the queue is never left
         * there as in flight.
         */
        if (q && vq_inflight_packed_take(q, &d, k == 0, last, &entry) < 0) {
            return vq_mark_broken(vq, "inflight region corrupt");
        }
        pk_advance(vq, &idx, &wrap, 1);
        if (last) {
            break;
        }
    }
    vq->last_avail_idx = idx;
    vq->avail_wrap = wrap;
    elem->flags = entry;
    /*
     * EVENT_IDX: keep the kick event on the next descriptor to take, so
     * a driver told "kick at descriptor N" while we were behind is not
     * left waiting on a position we already passed.
     */
    if (vq->event_idx && !vq->notify_disabled) {
        vq_store16(&vq->pdevice->off_wrap, idx | (wrap ? PK_WRAP : 0));
    }
    return 1;
}

static void pk_push(struct vq *vq, const struct vq_elem *elem, uint32_t len)
{
    struct vq_inflight_queue *q = pk_inflight(vq);
    struct vring_packed_desc *ud = &vq->pdesc[vq->used_idx];
    uint16_t flags = vq->used_wrap ? (PK_F_AVAIL | PK_F_USED) : 0;
    unsigned int n = elem->ndescs;

    /* A stale element (pushed twice, or from before a restart). */
    if (!n || n > pk_outstanding(vq)) {
        vq_mark_broken(vq, "push of an element not in flight");
        return;
    }
    if (q && vq_inflight_packed_put(q, elem->flags) < 0) {
        vq_mark_broken(vq, "inflight region corrupt");
        return;
    }
    /* 2.8.3: WRITE in a used descriptor says whether len means anything. */
    if (len) {
        flags |= VRING_DESC_F_WRITE;
    }
    /* 2.8.4, 2.8.6: one used descriptor per list: its id, bytes written. */
    vq_store16(&ud->id, elem->id);
    vq_store32(&ud->len, len);
    if (vq->pending_used == 0) {
        /* The batch's first flags are stored last, by pk_flush(). */
        vq->pending_first = vq->used_idx;
        vq->pending_first_flags = flags;
    } else {
        /*
         * 2.8.22: the driver reads flags, then (read barrier) id and
         * len, so they go first.  It looks at this slot only after the
         * batch's first one, which pk_flush() stores last.
         */
        vq_smp_wmb();
        vq_store16(&ud->flags, flags);
    }
    vq->pending_used++;
    pk_advance(vq, &vq->used_idx, &vq->used_wrap, n);
}

static void pk_flush(struct vq *vq)
{
    struct vq_inflight_queue *q = pk_inflight(vq);

    if (!vq->pending_used) {
        return;
    }
    if (q) {
        vq_inflight_packed_used(q, vq->used_idx, vq->used_wrap);
    }
    /*
     * 2.8.9, 2.8.22: every used descriptor of the batch (id, len, and
     * the later ones' flags) is visible before the first one's flags,
     * which hand the whole batch to the driver at once.
     */
    vq_smp_wmb();
    vq_store16(&vq->pdesc[vq->pending_first].flags, vq->pending_first_flags);
    if (q) {
        vq_inflight_packed_commit(q);
    }
    vq->pending_used = 0;
    vq->notify_pending = true;
}

static bool pk_need_notify(struct vq *vq)
{
    unsigned int old = vq->signalled_used;
    unsigned int now = pk_seq(vq, vq->used_idx, vq->used_wrap);
    unsigned int ev;
    bool valid = vq->signalled_used_valid;
    uint16_t flags, off_wrap;

    /*
     * 2.8.10, 2.8.22: the used flags must be visible before the driver
     * event suppression structure is read, or a driver that has just
     * enabled notifications and re-checked the ring (with a full barrier
     * between) could be missed by both: store -> load, a full barrier.
     */
    vq_smp_mb();
    flags = vq_load16(&vq->pdriver->flags) & 3;
    vq->signalled_used = (uint16_t)now;
    vq->signalled_used_valid = true;
    if (flags == VRING_PACKED_EVENT_FLAG_DISABLE) {
        return false;
    }
    /* DESC is only meaningful with EVENT_IDX (2.8.10); 3 is reserved. */
    if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx || !valid) {
        return true;
    }
    /* The driver writes off_wrap, then flags: read flags, then off_wrap. */
    vq_smp_rmb();
    off_wrap = vq_load16(&vq->pdriver->off_wrap);
    if ((off_wrap & ~PK_WRAP) >= vq->num) {
        return true;
    }
    ev = pk_seq(vq, off_wrap & ~PK_WRAP, off_wrap & PK_WRAP);
    /* Notify when the event descriptor is among those written since. */
    return pk_dist(vq, ev, old) < pk_dist(vq, now, old);
}

static void pk_disable_notify(struct vq *vq)
{
    /* Polling: the event offset need not follow the pops any more. */
    vq->notify_disabled = true;
    vq_store16(&vq->pdevice->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

static bool pk_avail_pending(struct vq *vq)
{
    struct vq_inflight_queue *q = pk_inflight(vq);

    if (q && q->resubmit_pos < q->nresubmit) {
        return true;
    }
    return pk_is_avail(vq_load16(&vq->pdesc[vq->last_avail_idx].flags),
                       vq->avail_wrap);
}

static bool pk_enable_notify(struct vq *vq)
{
    vq->notify_disabled = false;
    if (vq->event_idx) {
        /* Kick when the next descriptor to take is made available. */
        vq_store16(&vq->pdevice->off_wrap,
                   vq->last_avail_idx | (vq->avail_wrap ? PK_WRAP : 0));
        /* The driver reads flags, then off_wrap: write in reverse. */
        vq_smp_wmb();
        vq_store16(&vq->pdevice->flags, VRING_PACKED_EVENT_FLAG_DESC);
    } else {
        vq_store16(&vq->pdevice->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
    }
    /*
     * The driver makes a descriptor available, then (full barrier) reads
     * our flags; we store the flags, then (full barrier) look at the
     * descriptor.  One of the two sees the other's store: no lost kick.
     */
    vq_smp_mb();
    return pk_avail_pending(vq);
}

static unsigned int pk_get_base(const struct vq *vq)
{
    unsigned int avail = vq->last_avail_idx | (vq->avail_wrap ? PK_WRAP : 0);
    unsigned int used = vq->used_idx | (vq->used_wrap ? PK_WRAP : 0);

    /* Entries pushed and not flushed never reached the driver: the used
     * position is where the first of them was to be published. */
    if (vq->pending_used) {
        used = vq->pending_first |
               (vq->pending_first_flags & PK_F_USED ? PK_WRAP : 0);
    }

    /* vhost-user "Vring descriptor indices for packed virtqueues". */
    return avail | used << 16;
}

const struct vq_ops vq_packed_ops = {
    .start = pk_start,
    .pop = pk_pop,
    .push = pk_push,
    .flush = pk_flush,
    .need_notify = pk_need_notify,
    .disable_notify = pk_disable_notify,
    .enable_notify = pk_enable_notify,
    .avail_pending = pk_avail_pending,
    .get_base = pk_get_base,
};
