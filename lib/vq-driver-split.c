/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-driver-split.c - split virtqueue, driver side (virtio 1.2 2.7).
 *
 * The free list and chain links live in private memory (d->next), not in
 * the descriptors' next fields, so a device scribbling on the descriptor
 * table cannot corrupt the driver's bookkeeping.
 *
 * Barriers (pairing with vq-split.c):
 *   kick:     descriptors and avail ring[], wmb, avail->idx (2.7.13.3.1);
 *             avail->idx, mb, read avail_event / used->flags (2.7.10).
 *   get_used: read used->idx, rmb, read the used entry (2.7.8.2).
 *   enable:   write used_event / avail->flags, mb, re-read used->idx.
 */
#include <errno.h>

#include "vq-internal.h"

static struct vring_desc *sdesc(struct vq_driver *d)
{
    return d->desc_area;
}

static struct vring_avail *savail(struct vq_driver *d)
{
    return d->driver_area;
}

static struct vring_used *sused(struct vq_driver *d)
{
    return d->device_area;
}

static int dsplit_init(struct vq_driver *d)
{
    unsigned int i;

    for (i = 0; i < d->num; i++) {
        d->next[i] = (uint16_t)(i + 1);
    }
    d->free_head = 0;
    d->num_free = d->num;
    d->avail_idx = 0;
    d->kicked_idx = 0;
    d->last_used_idx = 0;
    return 0;
}

static void put_desc(struct vring_desc *desc, const struct vq_buf *b,
                     uint16_t flags, uint16_t next)
{
    desc->addr = b->gpa;
    desc->len = b->len;
    desc->flags = flags;
    desc->next = next;
}

static int dsplit_add(struct vq_driver *d, const struct vq_buf *out,
                      unsigned int nout, const struct vq_buf *in,
                      unsigned int nin, bool indirect, void *token)
{
    unsigned int total = nout + nin, k, need = indirect ? 1 : total;
    uint16_t head = d->free_head, i, last = head;
    struct vring_desc *table;

    if (d->num_free < need) {
        return -ENOSPC;
    }
    if (indirect) {
        table = (struct vring_desc *)d->indirect +
                (size_t)head * VQ_DRIVER_INDIRECT_MAX;
        for (k = 0; k < total; k++) {
            const struct vq_buf *b = k < nout ? &out[k] : &in[k - nout];
            uint16_t f = (k < nout ? 0 : VRING_DESC_F_WRITE) |
                         (k + 1 < total ? VRING_DESC_F_NEXT : 0);

            put_desc(&table[k], b, f, (uint16_t)(k + 1));
        }
        sdesc(d)[head].addr =
            d->cfg.indirect_gpa + (uint64_t)head * VQ_DRIVER_INDIRECT_MAX * 16;
        sdesc(d)[head].len = total * 16;
        sdesc(d)[head].flags = VRING_DESC_F_INDIRECT;
        sdesc(d)[head].next = 0;
    } else {
        i = head;
        for (k = 0; k < total; k++) {
            const struct vq_buf *b = k < nout ? &out[k] : &in[k - nout];
            uint16_t f = (k < nout ? 0 : VRING_DESC_F_WRITE) |
                         (k + 1 < total ? VRING_DESC_F_NEXT : 0);

            put_desc(&sdesc(d)[i], b, f, d->next[i]);
            last = i;
            i = d->next[i];
        }
    }
    d->free_head = indirect ? d->next[head] : d->next[last];
    d->num_free -= need;
    d->ndescs[head] = (uint16_t)need;
    d->tokens[head] = token;
    d->inflight++;
    savail(d)->ring[d->avail_idx & (d->num - 1)] = head;
    d->avail_idx++;
    return 0;
}

static bool dsplit_kick_prepare(struct vq_driver *d)
{
    uint16_t old = d->kicked_idx, new_idx = d->avail_idx;

    /* 2.7.13.3.1: descriptors and ring entries before avail->idx. */
    vq_smp_wmb();
    vq_store16(&savail(d)->idx, new_idx);
    /* 2.7.10: avail->idx store before reading the device's request for
     * notifications (store -> load: full barrier). */
    vq_smp_mb();
    d->kicked_idx = new_idx;
    if (old == new_idx) {
        return false;
    }
    if (d->cfg.event_idx) {
        uint16_t ev = vq_load16(&sused(d)->ring[d->num]);

        return vring_need_event(ev, new_idx, old);
    }
    return !(vq_load16(&sused(d)->flags) & VRING_USED_F_NO_NOTIFY);
}

static int dsplit_get_used(struct vq_driver *d, uint32_t *len, void **token)
{
    struct vring_used_elem *e;
    uint32_t id, n, k;
    uint16_t last;

    if (vq_load16(&sused(d)->idx) == d->last_used_idx) {
        return 0;
    }
    /* 2.7.8.2: used->idx before the entry it covers. */
    vq_smp_rmb();
    e = &sused(d)->ring[d->last_used_idx & (d->num - 1)];
    id = vq_load32(&e->id);
    *len = vq_load32(&e->len);
    if (id >= d->num || !d->tokens[id]) {
        return -EIO;
    }
    *token = d->tokens[id];
    d->tokens[id] = NULL;
    n = d->ndescs[id];
    last = (uint16_t)id;
    for (k = 1; k < n; k++) {
        last = d->next[last];
    }
    d->next[last] = d->free_head;
    d->free_head = (uint16_t)id;
    d->num_free += n;
    d->inflight--;
    d->last_used_idx++;
    if (d->cfg.event_idx && !d->cb_disabled) {
        /* Ask for a call when the next entry is used; the barrier
         * orders this store before the next used->idx load. */
        vq_store16(&savail(d)->ring[d->num], d->last_used_idx);
        vq_smp_mb();
    }
    return 1;
}

static bool dsplit_enable_cb(struct vq_driver *d)
{
    d->cb_disabled = false;
    if (d->cfg.event_idx) {
        vq_store16(&savail(d)->ring[d->num], d->last_used_idx);
    } else {
        vq_store16(&savail(d)->flags, 0);
    }
    /* 2.7.10: request before the last look at used->idx. */
    vq_smp_mb();
    return vq_load16(&sused(d)->idx) != d->last_used_idx;
}

static void dsplit_disable_cb(struct vq_driver *d)
{
    d->cb_disabled = true;
    if (!d->cfg.event_idx) {
        vq_store16(&savail(d)->flags, VRING_AVAIL_F_NO_INTERRUPT);
    }
}

const struct vq_driver_ops vq_driver_split_ops = {
    .init = dsplit_init,
    .add = dsplit_add,
    .kick_prepare = dsplit_kick_prepare,
    .get_used = dsplit_get_used,
    .enable_cb = dsplit_enable_cb,
    .disable_cb = dsplit_disable_cb,
};
