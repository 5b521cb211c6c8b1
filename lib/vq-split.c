/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-split.c - split virtqueue, device side (virtio 1.2 2.7).
 *
 * Security model: everything in the rings is written by the guest driver
 * and may change while we read it.  Each descriptor is copied out of
 * guest memory once (vq_copy_once()) and only the copy is used.  The
 * walk is bounded: head < num, next < table size, at most table-size
 * descriptors per chain (so a loop ends), one level of indirection, an
 * indirect table of a whole number of descriptors that lies in one
 * region, readable descriptors before writable ones, and the avail index
 * never more than num ahead of the last one popped.  Any violation marks
 * the queue broken (vq_mark_broken()); nothing is asserted.
 *
 * Barriers (each pairs with the driver's, virtio 1.2 2.7.13 and 2.7.10):
 *   pop:    read avail->idx, rmb, read ring[] and descriptors
 *           (the driver writes them, wmb, then idx: 2.7.13.3.1).
 *   flush:  write used ring[] entries, wmb, write used->idx
 *           (2.7.8.2: the driver reads idx, rmb, then the entries).
 *   notify: write used->idx, mb, read used_event / avail->flags
 *           (2.7.10: the driver writes used_event, mb, re-reads idx;
 *           without the full barrier each side could miss the other).
 *   enable notifications: write avail_event / used->flags, mb, re-read
 *           avail->idx (same rule, the other direction).
 */
#include <errno.h>

#include "vq-inflight.h"
#include "vq-internal.h"

/* avail->ring[num] is used_event, used->ring[num] is avail_event
 * (2.7.6, 2.7.8); both areas were mapped with room for them. */
static uint16_t *used_event_ptr(struct vq *vq)
{
    return &vq->savail->ring[vq->num];
}

static uint16_t *avail_event_ptr(struct vq *vq)
{
    return (uint16_t *)&vq->sused->ring[vq->num];
}

static void split_rings_moved(struct vq *vq)
{
    vq->sdesc = vq->desc_area;
    vq->savail = vq->driver_area;
    vq->sused = vq->device_area;
}

static int split_start(struct vq *vq)
{
    uint16_t used;

    split_rings_moved(vq);
    vq->last_avail_idx = (uint16_t)vq->base;
    vq->shadow_avail_idx = vq->last_avail_idx;
    /*
     * The used index continues from the ring (after a reconnect it may
     * trail the avail position by the requests that were in flight); a
     * ring whose used index is not within num behind is taken as fresh.
     */
    used = vq_load16(&vq->sused->idx);
    if ((uint16_t)(vq->last_avail_idx - used) > vq->num) {
        used = vq->last_avail_idx;
    }
    vq->used_idx = used;
    return 0;
}

static unsigned int split_get_base(const struct vq *vq)
{
    return vq->last_avail_idx;
}

/*
 * Read avail->idx (when everything up to the last read was popped) and
 * check it.  Returns the number of entries available, or -EIO.
 */
static int split_avail(struct vq *vq)
{
    uint16_t idx, n;

    if (vq->shadow_avail_idx != vq->last_avail_idx) {
        return (uint16_t)(vq->shadow_avail_idx - vq->last_avail_idx);
    }
    idx = vq_load16(&vq->savail->idx);
    n = (uint16_t)(idx - vq->last_avail_idx);
    if (n > vq->num) {
        return vq_mark_broken(vq, "avail idx %u is %u ahead of %u (num %u)",
                              idx, n, vq->last_avail_idx, vq->num);
    }
    vq->shadow_avail_idx = idx;
    if (n > 0) {
        /* 2.7.13.3.1: ring entries and descriptors were written before
         * idx; read them only after idx. */
        vq_smp_rmb();
    }
    return n;
}

/* Walk the chain of @head into @elem.  Returns 0 or -EIO (broken). */
static int split_walk(struct vq *vq, struct vq_elem *elem, uint16_t head)
{
    const struct vring_desc *table = vq->sdesc;
    unsigned int max = vq->num, count = 0, i = head;
    bool indirect = false, seen_write = false;
    struct vring_desc d;
    int rc;

    vq_copy_once(&d, &table[i], sizeof(d));
    if (d.flags & VRING_DESC_F_INDIRECT) {
        if (!vq->indirect) {
            return vq_mark_broken(vq,
                                  "indirect descriptor %u without "
                                  "VIRTIO_RING_F_INDIRECT_DESC",
                                  head);
        }
        /* 2.7.5.3.1: not both INDIRECT and NEXT. */
        if (d.flags & VRING_DESC_F_NEXT) {
            return vq_mark_broken(vq, "descriptor %u: INDIRECT with NEXT",
                                  head);
        }
        if (d.len == 0 || d.len % sizeof(struct vring_desc) != 0 ||
            d.len / sizeof(struct vring_desc) > VQ_MAX_SIZE) {
            return vq_mark_broken(vq, "indirect table length %u", d.len);
        }
        table = vq_map_table(vq, d.addr, d.len);
        if (!table) {
            return -EIO;
        }
        max = d.len / sizeof(struct vring_desc);
        indirect = true;
        i = 0;
        vq_copy_once(&d, &table[0], sizeof(d));
    }
    for (;;) {
        bool writable = d.flags & VRING_DESC_F_WRITE;

        /* 2.7.5.3.1: no indirect table inside an indirect table, and
         * an indirect descriptor only as a chain's only descriptor. */
        if (d.flags & VRING_DESC_F_INDIRECT) {
            return vq_mark_broken(vq, "%s indirect descriptor at %u",
                                  indirect ? "nested" : "chained", i);
        }
        /* 2.7.4.2: device-writable descriptors after readable ones. */
        if (!writable && seen_write) {
            return vq_mark_broken(vq,
                                  "readable descriptor %u after a "
                                  "writable one",
                                  i);
        }
        seen_write |= writable;
        rc = vq_map_desc(vq, elem, d.addr, d.len, writable);
        if (rc < 0) {
            return rc;
        }
        count++;
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        /* A chain never has more descriptors than its table: more
         * means a loop (2.7.5.3.1: chain length <= Queue Size). */
        if (count >= max) {
            return vq_mark_broken(vq, "descriptor loop from head %u", head);
        }
        i = d.next;
        if (i >= max) {
            return vq_mark_broken(vq, "next %u out of range (%u)", i, max);
        }
        vq_copy_once(&d, &table[i], sizeof(d));
    }
    elem->ndescs = indirect ? 1 : (uint16_t)count;
    return 0;
}

/*
 * After a reconnect, the requests the previous device left in flight
 * (vq-inflight.c) come first: their heads are walked again from the
 * descriptor table without taking an avail entry.  Returns 1 with a
 * resubmitted element, 0 when none is left, or -EIO.
 */
static int split_resubmit(struct vq *vq, struct vq_elem *elem)
{
    uint16_t head;
    int rc;

    if (vq_inflight_next_resubmit(vq->inflight, &head) < 0) {
        return 0;
    }
    if (head >= vq->num) {
        return vq_mark_broken(vq, "inflight head %u out of range (%u)", head,
                              vq->num);
    }
    rc = split_walk(vq, elem, head);
    if (rc < 0) {
        return rc;
    }
    elem->id = head;
    elem->slot = 0;
    elem->flags = 0;
    return 1;
}

static int split_pop(struct vq *vq, struct vq_elem *elem)
{
    uint16_t slot, head;
    int n, rc;

    if (vq->inflight_ops) {
        rc = split_resubmit(vq, elem);
        if (rc != 0) {
            return rc;
        }
    }

    if (vq->shadow_avail_idx == vq->last_avail_idx && vq->event_idx &&
        !vq->notify_disabled) {
        /* 2.7.10: avail_event (written by the previous pop) before
         * re-reading avail->idx, or a kick could be lost. */
        vq_smp_mb();
    }
    n = split_avail(vq);
    if (n <= 0) {
        return n;
    }
    slot = vq->last_avail_idx & (vq->num - 1);
    head = vq_load16(&vq->savail->ring[slot]);
    if (head >= vq->num) {
        return vq_mark_broken(vq, "head %u out of range (%u)", head, vq->num);
    }
    rc = split_walk(vq, elem, head);
    if (rc < 0) {
        return rc;
    }
    elem->id = head;
    elem->slot = slot;
    elem->flags = 0;
    vq->last_avail_idx++;
    if (vq->event_idx && !vq->notify_disabled) {
        /* Kick me when you make the next entry available (2.7.10). */
        vq_store16(avail_event_ptr(vq), vq->last_avail_idx);
    }
    return 1;
}

static void split_push(struct vq *vq, const struct vq_elem *elem, uint32_t len)
{
    struct vring_used_elem *e = &vq->sused->ring[vq->used_idx & (vq->num - 1)];

    vq_store32(&e->id, elem->id);
    vq_store32(&e->len, len);
    vq->used_idx++;
    vq->pending_used++;
}

static void split_flush(struct vq *vq)
{
    /* 2.7.8.2: used ring entries before used->idx. */
    vq_smp_wmb();
    vq_store16(&vq->sused->idx, vq->used_idx);
    vq->pending_used = 0;
}

static bool split_need_notify(struct vq *vq)
{
    uint16_t old, new_idx;
    bool valid;

    /* 2.7.10: our used->idx store before reading the driver's
     * used_event / flags (store -> load needs a full barrier). */
    vq_smp_mb();
    if (!vq->event_idx) {
        return !(vq_load16(&vq->savail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
    }
    old = vq->signalled_used;
    new_idx = vq->used_idx;
    valid = vq->signalled_used_valid;
    vq->signalled_used = new_idx;
    vq->signalled_used_valid = true;
    if (!valid) {
        return true;
    }
    return vring_need_event(vq_load16(used_event_ptr(vq)), new_idx, old);
}

static void split_disable_notify(struct vq *vq)
{
    /* 2.7.10: without EVENT_IDX the flag; with it, avail_event simply
     * stops following the avail index. */
    vq->notify_disabled = true;
    if (!vq->event_idx) {
        vq_store16(&vq->sused->flags, VRING_USED_F_NO_NOTIFY);
    }
}

/* In-flight requests of a previous device still to hand out first. */
static bool split_resubmit_pending(const struct vq *vq)
{
    const struct vq_inflight_queue *q = vq->inflight_ops ? vq->inflight : NULL;

    return q && q->resubmit_pos < q->nresubmit;
}

static bool split_enable_notify(struct vq *vq)
{
    vq->notify_disabled = false;
    if (vq->event_idx) {
        vq_store16(avail_event_ptr(vq), vq->shadow_avail_idx);
    } else {
        vq_store16(&vq->sused->flags, 0);
    }
    /* 2.7.10: publish the request for kicks before the last look at
     * avail->idx, pairing with the driver's idx store, mb, flag load. */
    vq_smp_mb();
    return split_resubmit_pending(vq) ||
           vq_load16(&vq->savail->idx) != vq->last_avail_idx;
}

static bool split_avail_pending(struct vq *vq)
{
    return split_resubmit_pending(vq) ||
           vq->shadow_avail_idx != vq->last_avail_idx ||
           vq_load16(&vq->savail->idx) != vq->last_avail_idx;
}

const struct vq_ops vq_split_ops = {
    .start = split_start,
    .pop = split_pop,
    .push = split_push,
    .flush = split_flush,
    .need_notify = split_need_notify,
    .disable_notify = split_disable_notify,
    .enable_notify = split_enable_notify,
    .avail_pending = split_avail_pending,
    .get_base = split_get_base,
    .rings_moved = split_rings_moved,
};
