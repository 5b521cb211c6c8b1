/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-driver-packed.c - packed virtqueue, driver side (virtio 1.2 2.8).
 *
 * Buffer ids come from a private free list (d->next); the number of ring
 * descriptors each buffer took is kept privately (d->ndescs), so a device
 * writing nonsense into the ring cannot corrupt the bookkeeping: a used
 * id that is not out is an error, nothing is freed twice.
 *
 * Publication: a chain is made available by storing its first
 * descriptor's flags (2.8.6).  The first chain added since the last kick
 * keeps its flags back until vq_driver_kick(); the chains after it may be
 * completed at once, since the device reads the ring in order and stops
 * at the first descriptor that is not available.
 *
 * Barriers (pairing with vq-packed.c):
 *   add/kick: descriptor fields, wmb, first descriptor's flags (2.8.21.1);
 *             flags, mb, read the device event suppression (2.8.21.3.1).
 *   get_used: read flags, rmb, read id and len (2.8.22).
 *   enable:   write the driver event suppression, mb, re-read the next
 *             used descriptor's flags.
 */
#include <errno.h>
#include <stdlib.h>

#include "vq-internal.h"

#define PK_F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_F_USED  (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP    (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

/* The first chain added since the last kick: its flags, not yet stored. */
struct dpk_priv {
    bool pending;
    uint16_t pos;
    uint16_t flags;
};

static struct vring_packed_desc *pdesc(struct vq_driver *d)
{
    return d->desc_area;
}

static struct vring_packed_desc_event *pdriver(struct vq_driver *d)
{
    return d->driver_area;
}

static struct vring_packed_desc_event *pdevice(struct vq_driver *d)
{
    return d->device_area;
}

/* Sequence number of a position, below 2 * num (see vq-packed.c). */
static unsigned int dpk_seq(const struct vq_driver *d, uint16_t idx, bool wrap)
{
    return idx + (wrap ? 0u : d->num);
}

static unsigned int dpk_dist(const struct vq_driver *d, unsigned int a,
                             unsigned int b)
{
    return a >= b ? a - b : a + 2 * d->num - b;
}

/* Move a position @n <= num descriptors on (2.8.1: toggle on wrap). */
static void dpk_advance(const struct vq_driver *d, uint16_t *idx, bool *wrap,
                        unsigned int n)
{
    unsigned int i = *idx + n;

    if (i >= d->num) {
        i -= d->num;
        *wrap = !*wrap;
    }
    *idx = (uint16_t)i;
}

static int dpk_init(struct vq_driver *d)
{
    struct dpk_priv *p = calloc(1, sizeof(*p));
    unsigned int i;

    if (!p) {
        return -ENOMEM;
    }
    d->packed_priv = p;
    for (i = 0; i < d->num; i++) {
        d->next[i] = (uint16_t)(i + 1);
    }
    d->free_head = 0;
    d->num_free = d->num;
    d->inflight = 0;
    /* 2.8.1: both wrap counters start at 1. */
    d->next_avail = 0;
    d->avail_wrap = true;
    d->last_used_idx = 0;
    d->used_wrap = true;
    d->kicked_idx = (uint16_t)dpk_seq(d, 0, true);
    return 0;
}

/* 2.8.1: AVAIL = wrap counter, USED = its inverse. */
static uint16_t avail_bits(bool wrap)
{
    return wrap ? PK_F_AVAIL : PK_F_USED;
}

static void put_desc(struct vring_packed_desc *desc, uint64_t addr,
                     uint32_t len, uint16_t id)
{
    vq_store64(&desc->addr, addr);
    vq_store32(&desc->len, len);
    vq_store16(&desc->id, id);
}

static int dpk_add(struct vq_driver *d, const struct vq_buf *out,
                   unsigned int nout, const struct vq_buf *in, unsigned int nin,
                   bool indirect, void *token)
{
    struct dpk_priv *p = d->packed_priv;
    unsigned int total = nout + nin, need = indirect ? 1 : total, k;
    uint16_t id = d->free_head, first = d->next_avail, pos = first;
    uint16_t first_flags = 0, f;
    bool wrap = d->avail_wrap;

    if (need > d->num_free) {
        return -ENOSPC;
    }
    if (indirect) {
        struct vring_packed_desc *table =
            (struct vring_packed_desc *)d->indirect +
            (size_t)id * VQ_DRIVER_INDIRECT_MAX;

        /* 2.8.19: WRITE is the only flag in a table; ids are ignored. */
        for (k = 0; k < total; k++) {
            const struct vq_buf *b = k < nout ? &out[k] : &in[k - nout];

            put_desc(&table[k], b->gpa, b->len, 0);
            vq_store16(&table[k].flags, k < nout ? 0 : VRING_DESC_F_WRITE);
        }
        put_desc(&pdesc(d)[pos],
                 d->cfg.indirect_gpa +
                     (uint64_t)id * VQ_DRIVER_INDIRECT_MAX * 16,
                 total * 16, id);
        first_flags = VRING_DESC_F_INDIRECT | avail_bits(wrap);
        dpk_advance(d, &pos, &wrap, 1);
    } else {
        for (k = 0; k < total; k++) {
            const struct vq_buf *b = k < nout ? &out[k] : &in[k - nout];

            /* 2.8.6: the id goes in every descriptor (the device reads
             * the last one's). */
            put_desc(&pdesc(d)[pos], b->gpa, b->len, id);
            f = (k < nout ? 0 : VRING_DESC_F_WRITE) |
                (k + 1 < total ? VRING_DESC_F_NEXT : 0) | avail_bits(wrap);
            if (k == 0) {
                first_flags = f;
            } else {
                /* Behind the first descriptor: invisible until it is. */
                vq_store16(&pdesc(d)[pos].flags, f);
            }
            dpk_advance(d, &pos, &wrap, 1);
        }
    }
    d->free_head = d->next[id];
    d->num_free -= need;
    d->ndescs[id] = (uint16_t)need;
    d->tokens[id] = token;
    d->inflight++;
    d->next_avail = pos;
    d->avail_wrap = wrap;
    if (!p->pending) {
        /* Published by the kick. */
        p->pending = true;
        p->pos = first;
        p->flags = first_flags;
    } else {
        /* 2.8.21.1: the chain's descriptors before its first flags. */
        vq_smp_wmb();
        vq_store16(&pdesc(d)[first].flags, first_flags);
    }
    return 0;
}

static bool dpk_kick_prepare(struct vq_driver *d)
{
    struct dpk_priv *p = d->packed_priv;
    unsigned int old = d->kicked_idx;
    unsigned int now = dpk_seq(d, d->next_avail, d->avail_wrap);
    uint16_t flags, off_wrap;
    unsigned int ev;

    if (p->pending) {
        /* 2.8.21.1: every descriptor added before the flags that
         * expose them all. */
        vq_smp_wmb();
        vq_store16(&pdesc(d)[p->pos].flags, p->flags);
        p->pending = false;
    }
    /* 2.8.21.3.1: flags visible before reading the device's wish
     * (store -> load: full barrier). */
    vq_smp_mb();
    d->kicked_idx = (uint16_t)now;
    if (old == now) {
        return false;
    }
    flags = vq_load16(&pdevice(d)->flags) & 3;
    if (flags == VRING_PACKED_EVENT_FLAG_DISABLE) {
        return false;
    }
    if (flags != VRING_PACKED_EVENT_FLAG_DESC || !d->cfg.event_idx) {
        return true;
    }
    /* The device writes off_wrap, then flags. */
    vq_smp_rmb();
    off_wrap = vq_load16(&pdevice(d)->off_wrap);
    if ((off_wrap & ~PK_WRAP) >= d->num) {
        return true;
    }
    ev = dpk_seq(d, off_wrap & ~PK_WRAP, off_wrap & PK_WRAP);
    /* Kick if the descriptor the device waits for was just exposed. */
    return dpk_dist(d, ev, old) < dpk_dist(d, now, old);
}

static bool dpk_is_used(uint16_t flags, bool wrap)
{
    /* 2.8.1: AVAIL and USED both equal to the used wrap counter. */
    return !!(flags & PK_F_AVAIL) == wrap && !!(flags & PK_F_USED) == wrap;
}

static void dpk_set_used_event(struct vq_driver *d)
{
    vq_store16(&pdriver(d)->off_wrap,
               d->last_used_idx | (d->used_wrap ? PK_WRAP : 0));
}

static int dpk_get_used(struct vq_driver *d, uint32_t *len, void **token)
{
    struct vring_packed_desc *ud = &pdesc(d)[d->last_used_idx];
    uint16_t id, n;

    if (!dpk_is_used(vq_load16(&ud->flags), d->used_wrap)) {
        return 0;
    }
    /* 2.8.22: the device stores id and len before flags. */
    vq_smp_rmb();
    id = vq_load16(&ud->id);
    *len = vq_load32(&ud->len);
    if (id >= d->num || !d->tokens[id]) {
        return -EIO;
    }
    *token = d->tokens[id];
    d->tokens[id] = NULL;
    n = d->ndescs[id];
    d->next[id] = d->free_head;
    d->free_head = id;
    d->num_free += n;
    d->inflight--;
    /* 2.8.6: skip the rest of the buffer's descriptors. */
    dpk_advance(d, &d->last_used_idx, &d->used_wrap, n);
    if (d->cfg.event_idx && !d->cb_disabled) {
        /* Ask for a call at the next used descriptor; the barrier orders
         * this store before the next flags load. */
        dpk_set_used_event(d);
        vq_smp_mb();
    }
    return 1;
}

static bool dpk_enable_cb(struct vq_driver *d)
{
    d->cb_disabled = false;
    if (d->cfg.event_idx) {
        dpk_set_used_event(d);
        /* The device reads flags, then off_wrap. */
        vq_smp_wmb();
        vq_store16(&pdriver(d)->flags, VRING_PACKED_EVENT_FLAG_DESC);
    } else {
        vq_store16(&pdriver(d)->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
    }
    /* The request before the last look at the ring (store -> load). */
    vq_smp_mb();
    return dpk_is_used(vq_load16(&pdesc(d)[d->last_used_idx].flags),
                       d->used_wrap);
}

static void dpk_disable_cb(struct vq_driver *d)
{
    d->cb_disabled = true;
    vq_store16(&pdriver(d)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

const struct vq_driver_ops vq_driver_packed_ops = {
    .init = dpk_init,
    .add = dpk_add,
    .kick_prepare = dpk_kick_prepare,
    .get_used = dpk_get_used,
    .enable_cb = dpk_enable_cb,
    .disable_cb = dpk_disable_cb,
};
