/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-inflight.c - inflight I/O tracking (vhost-user spec "Inflight I/O
 * tracking"), for split and packed queues.
 *
 * Security model: the buffer is shared with the frontend (the VMM), which
 * may write anything into it at any time, and it outlives the device that
 * wrote it.  Nothing read back from it is trusted: every index read from
 * the region is bounded by the ring size before it is used, every list
 * walk is bounded by the ring size, and the hot path keeps its own copy
 * of what it needs (counter, the pending batch) instead of reading the
 * region back.  A region that does not add up makes vq_inflight_attach()
 * fail, or marks the queue broken on the hot path; it never makes us
 * touch memory outside the region.
 *
 * Ordering: the region is read by the next incarnation of the device,
 * after this one has died.  The death of a process makes every store it
 * executed visible, so what matters is that the stores are executed in
 * the order the spec gives; a compiler barrier (vi_order()) keeps that
 * order, no CPU fence is needed.  The single fields are written with
 * relaxed atomic stores so none is torn or merged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vq-inflight.h"
#include "vq-internal.h"

#define vi_order() atomic_signal_fence(memory_order_seq_cst)
#define vi_store8(p, v)                                                        \
    __atomic_store_n((uint8_t *)(p), (uint8_t)(v), __ATOMIC_RELAXED)
#define vi_load8(p) __atomic_load_n((uint8_t *)(p), __ATOMIC_RELAXED)

#define PK_F_AVAIL  (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_F_USED   (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP     (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

_Static_assert(sizeof(struct vq_inflight_desc_split) == 16, "DescStateSplit");
_Static_assert(sizeof(struct vq_inflight_split) == 16, "QueueRegionSplit");
_Static_assert(sizeof(struct vq_inflight_desc_packed) == 32, "DescStatePacked");
_Static_assert(sizeof(struct vq_inflight_packed) == 32, "QueueRegionPacked");

/* --- the buffer ------------------------------------------------------- */

size_t vq_inflight_queue_size(unsigned int queue_size, bool packed)
{
    size_t n;

    if (!queue_size || queue_size > VQ_MAX_SIZE) {
        return 0;
    }
    if (packed) {
        n = sizeof(struct vq_inflight_packed) +
            (size_t)queue_size * sizeof(struct vq_inflight_desc_packed);
    } else {
        n = sizeof(struct vq_inflight_split) +
            (size_t)queue_size * sizeof(struct vq_inflight_desc_split);
    }
    return (n + VQ_INFLIGHT_ALIGN - 1) & ~(size_t)(VQ_INFLIGHT_ALIGN - 1);
}

size_t vq_inflight_size(unsigned int num_queues, unsigned int queue_size,
                        bool packed)
{
    /* The message's num_queues is a u16: the product cannot overflow. */
    if (!num_queues || num_queues > UINT16_MAX) {
        return 0;
    }
    return num_queues * vq_inflight_queue_size(queue_size, packed);
}

static void map_init(struct vq_inflight_map *map, void *base, size_t size,
                     unsigned int num_queues, unsigned int queue_size,
                     bool packed)
{
    map->base = base;
    map->size = size;
    map->qsize = vq_inflight_queue_size(queue_size, packed);
    map->num_queues = num_queues;
    map->queue_size = queue_size;
    map->packed = packed;
}

int vq_inflight_create(struct vq_inflight_map *map, unsigned int num_queues,
                       unsigned int queue_size, bool packed)
{
    size_t size = vq_inflight_size(num_queues, queue_size, packed);
    void *base;
    int fd, rc;

    memset(map, 0, sizeof(*map));
    if (!size) {
        return -EINVAL;
    }
    fd = memfd_create("vhostfs-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        return -errno;
    }
    /* A new file reads as zeroes: every region starts at version 0. */
    if (ftruncate(fd, (off_t)size) < 0) {
        rc = -errno;
        goto fail;
    }
    /* Nobody may shrink it under a mapping (SIGBUS), nor change that. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        rc = -errno;
        goto fail;
    }
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        rc = -errno;
        goto fail;
    }
    map_init(map, base, size, num_queues, queue_size, packed);
    return fd;

fail:
    close(fd);
    return rc;
}

int vq_inflight_map_fd(struct vq_inflight_map *map, int fd, uint64_t mmap_size,
                       uint64_t mmap_offset, unsigned int num_queues,
                       unsigned int queue_size, bool packed)
{
    size_t need = vq_inflight_size(num_queues, queue_size, packed);
    long page = sysconf(_SC_PAGESIZE);
    struct stat st;
    void *base;
    int seals;

    memset(map, 0, sizeof(*map));
    if (!need || mmap_size < need || mmap_size > SIZE_MAX || page <= 0 ||
        mmap_offset % (uint64_t)page || mmap_offset > INT64_MAX - mmap_size) {
        return -EINVAL;
    }
    /*
     * The file must hold the whole mapping and be sealed against
     * shrinking (as the memfd of vq_inflight_create() and of other
     * backends is): a frontend that could truncate it would make the
     * device fault on its next store.
     */
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    seals = fcntl(fd, F_GET_SEALS);
    if ((uint64_t)st.st_size < mmap_offset + mmap_size || seals < 0 ||
        !(seals & F_SEAL_SHRINK)) {
        return -EINVAL;
    }
    base = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                (off_t)mmap_offset);
    if (base == MAP_FAILED) {
        return -errno;
    }
    map_init(map, base, (size_t)mmap_size, num_queues, queue_size, packed);
    return 0;
}

void vq_inflight_unmap(struct vq_inflight_map *map)
{
    if (map->base) {
        munmap(map->base, map->size);
    }
    memset(map, 0, sizeof(*map));
}

void *vq_inflight_region(const struct vq_inflight_map *map, unsigned int index)
{
    if (!map->base || index >= map->num_queues) {
        return NULL;
    }
    return (char *)map->base + (size_t)index * map->qsize;
}

/* --- resubmission list ------------------------------------------------- */

struct vi_head {
    uint64_t counter;
    uint16_t idx;
};

static int vi_head_cmp(const void *a, const void *b)
{
    const struct vi_head *x = a, *y = b;

    if (x->counter != y->counter) {
        return x->counter < y->counter ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort @heads[n] by submission order into q->resubmit; set the counter. */
static void vi_set_resubmit(struct vq_inflight_queue *q, struct vi_head *heads,
                            unsigned int n)
{
    unsigned int i;

    qsort(heads, n, sizeof(*heads), vi_head_cmp);
    for (i = 0; i < n; i++) {
        q->resubmit[i] = heads[i].idx;
    }
    q->nresubmit = n;
    q->resubmit_pos = 0;
    q->counter = n ? heads[n - 1].counter + 1 : 0;
}

int vq_inflight_next_resubmit(struct vq_inflight_queue *q, uint16_t *out)
{
    if (q->resubmit_pos >= q->nresubmit) {
        return -ENOENT;
    }
    *out = q->resubmit[q->resubmit_pos++];
    q->resubmitting = true;
    return 0;
}

/* --- split ------------------------------------------------------------- */

/* vhost-user "Inflight I/O tracking", split, "When reconnecting". */
static int vi_attach_split(struct vq *vq, struct vq_inflight_queue *q,
                           struct vi_head *heads)
{
    struct vq_inflight_split *r = q->region;
    uint16_t used = vq_load16(&vq->sused->idx), batch, i, k;
    unsigned int n = 0, num = q->num;

    if (vq_load16(&r->version) == 0) {
        for (i = 0; i < num; i++) {
            vi_store8(&r->desc[i].inflight, 0);
        }
        vq_store64(&r->features, 0);
        vq_store16(&r->desc_num, num);
        vq_store16(&r->last_batch_head, 0);
        vq_store16(&r->used_idx, used);
        vi_order();
        vq_store16(&r->version, VQ_INFLIGHT_VERSION);
        vi_set_resubmit(q, heads, 0);
        return 0;
    }
    if (vq_load16(&r->version) != VQ_INFLIGHT_VERSION ||
        vq_load16(&r->desc_num) != num) {
        return -EINVAL;
    }
    /* used->idx moved but the region did not follow: the last batch
     * reached the driver, so its heads are no longer in flight. */
    batch = (uint16_t)(used - vq_load16(&r->used_idx));
    if (batch > num) {
        return -EINVAL;
    }
    i = vq_load16(&r->last_batch_head);
    for (k = 0; k < batch; k++) {
        if (i >= num) {
            return -EINVAL;
        }
        vi_store8(&r->desc[i].inflight, 0);
        i = vq_load16(&r->desc[i].next);
    }
    vi_order();
    vq_store16(&r->used_idx, used);
    for (i = 0; i < num; i++) {
        if (vi_load8(&r->desc[i].inflight)) {
            heads[n].counter = vq_load64(&r->desc[i].counter);
            heads[n].idx = i;
            n++;
        }
    }
    vi_set_resubmit(q, heads, n);
    /* Every head popped is either used or in flight. */
    vq->used_idx = used;
    vq->last_avail_idx = (uint16_t)(used + n);
    vq->shadow_avail_idx = vq->last_avail_idx;
    return (int)n;
}

/* vq_pop() returned @elem: "When receiving available buffers". */
static void vi_popped(struct vq *vq, const struct vq_elem *elem)
{
    struct vq_inflight_queue *q = vq->inflight;
    struct vq_inflight_split *r = q->region;

    if (q->resubmitting) {
        q->resubmitting = false; /* still recorded from its first pop */
        return;
    }
    if (q->packed || elem->id >= q->num) {
        return; /* packed: recorded during the walk */
    }
    vq_store64(&r->desc[elem->id].counter, q->counter++);
    vi_order();
    vi_store8(&r->desc[elem->id].inflight, 1);
}

/* "When supplying used buffers", steps 1-3, for each head of a batch. */
static void vi_push_begin(struct vq *vq, const struct vq_elem *elem)
{
    struct vq_inflight_queue *q = vq->inflight;
    struct vq_inflight_split *r = q->region;

    if (q->packed || elem->id >= q->num || q->npending >= q->num) {
        return;
    }
    vq_store16(&r->desc[elem->id].next, vq_load16(&r->last_batch_head));
    vi_order();
    vq_store16(&r->last_batch_head, elem->id);
    q->pending[q->npending++] = elem->id;
}

/* used->idx was stored: the rest of "When supplying used buffers". */
static void vi_flushed(struct vq *vq)
{
    struct vq_inflight_queue *q = vq->inflight;
    struct vq_inflight_split *r = q->region;
    unsigned int i;

    if (q->packed) {
        return;
    }
    vi_order();
    for (i = 0; i < q->npending; i++) {
        vi_store8(&r->desc[q->pending[i]].inflight, 0);
    }
    vi_order();
    vq_store16(&r->used_idx, vq->used_idx);
    q->npending = 0;
}

static const struct vq_inflight_ops vi_ops = {
    .popped = vi_popped,
    .push_begin = vi_push_begin,
    .flushed = vi_flushed,
};

/* --- packed ------------------------------------------------------------ */

static void vi_advance(unsigned int num, uint16_t *idx, bool *wrap,
                       unsigned int n)
{
    unsigned int i = *idx + n;

    if (i >= num) {
        i -= num;
        *wrap = !*wrap;
    }
    *idx = (uint16_t)i;
}

/* Ring descriptors of the chain at head entry @e, or -EINVAL. */
int vq_inflight_packed_chain(const struct vq_inflight_queue *q, uint16_t e)
{
    const struct vq_inflight_packed *r = q->region;
    uint16_t n;

    if (e >= q->num) {
        return -EINVAL;
    }
    n = vq_load16(&r->desc[e].num);
    return n && n <= q->num ? n : -EINVAL;
}

int vq_inflight_packed_read(const struct vq_inflight_queue *q, uint16_t *pos,
                            struct vring_packed_desc *d)
{
    const struct vq_inflight_desc_packed *s;

    if (*pos >= q->num) {
        return -EINVAL;
    }
    s = &((const struct vq_inflight_packed *)q->region)->desc[*pos];
    d->addr = vq_load64(&s->addr);
    d->len = vq_load32(&s->len);
    d->id = vq_load16(&s->id);
    d->flags = vq_load16(&s->flags);
    *pos = vq_load16(&s->next);
    return 0;
}

/* vhost-user "Inflight I/O tracking", packed, "When reconnecting". */
static int vi_attach_packed(struct vq *vq, struct vq_inflight_queue *q,
                            struct vi_head *heads)
{
    struct vq_inflight_packed *r = q->region;
    unsigned int n = 0, num = q->num, k, sum = 0;
    uint16_t used, old_used, fh, flags, i, avail;
    bool wrap, old_wrap, avail_wrap;
    int c;

    if (vq_load16(&r->version) == 0) {
        for (i = 0; i < num; i++) {
            vi_store8(&r->desc[i].inflight, 0);
            vq_store16(&r->desc[i].next, i + 1);
        }
        vq_store64(&r->features, 0);
        vq_store16(&r->desc_num, num);
        vq_store16(&r->free_head, 0);
        vq_store16(&r->old_free_head, 0);
        vq_store16(&r->used_idx, vq->used_idx);
        vq_store16(&r->old_used_idx, vq->used_idx);
        vi_store8(&r->used_wrap_counter, vq->used_wrap);
        vi_store8(&r->old_used_wrap_counter, vq->used_wrap);
        vi_order();
        vq_store16(&r->version, VQ_INFLIGHT_VERSION);
        vi_set_resubmit(q, heads, 0);
        return 0;
    }
    if (vq_load16(&r->version) != VQ_INFLIGHT_VERSION ||
        vq_load16(&r->desc_num) != num) {
        return -EINVAL;
    }
    used = vq_load16(&r->used_idx);
    wrap = vi_load8(&r->used_wrap_counter);
    old_used = vq_load16(&r->old_used_idx);
    old_wrap = vi_load8(&r->old_used_wrap_counter);
    if (used >= num || old_used >= num) {
        return -EINVAL;
    }
    fh = vq_load16(&r->old_free_head);
    if (used != old_used || wrap != old_wrap) {
        /*
         * A batch was being published.  If the first used descriptor of
         * the batch no longer looks available (for the old wrap counter),
         * its flags were stored: the driver has the batch, commit it.
         */
        flags =
            vq_load16(&vq->pdesc[old_used].flags) & (PK_F_AVAIL | PK_F_USED);
        if (flags != (old_wrap ? PK_F_AVAIL : PK_F_USED)) {
            fh = vq_load16(&r->free_head);
            old_used = used;
            old_wrap = wrap;
        }
    }
    /* Roll back anything in progress to the committed state. */
    vq_store16(&r->free_head, fh);
    vq_store16(&r->old_free_head, fh);
    vq_store16(&r->used_idx, old_used);
    vi_store8(&r->used_wrap_counter, old_wrap);
    vq_store16(&r->old_used_idx, old_used);
    vi_store8(&r->old_used_wrap_counter, old_wrap);
    /* Entries on the free list are not in flight (a chain half taken). */
    for (i = fh, k = 0; i < num && k < num; k++) {
        vi_store8(&r->desc[i].inflight, 0);
        i = vq_load16(&r->desc[i].next);
    }
    for (i = 0; i < num; i++) {
        if (!vi_load8(&r->desc[i].inflight)) {
            continue;
        }
        c = vq_inflight_packed_chain(q, i);
        if (c < 0) {
            return -EINVAL;
        }
        sum += (unsigned int)c;
        heads[n].counter = vq_load64(&r->desc[i].counter);
        heads[n].idx = i;
        n++;
    }
    /* The chains in flight sit between the used and the avail position. */
    if (sum > num) {
        return -EINVAL;
    }
    avail = old_used;
    avail_wrap = old_wrap;
    vi_advance(num, &avail, &avail_wrap, sum);
    vi_set_resubmit(q, heads, n);
    vq->used_idx = old_used;
    vq->used_wrap = old_wrap;
    vq->last_avail_idx = avail;
    vq->avail_wrap = avail_wrap;
    return (int)n;
}

/* "When receiving available buffers", for one ring descriptor. */
int vq_inflight_packed_take(struct vq_inflight_queue *q,
                            const struct vring_packed_desc *d, bool first,
                            bool last, uint16_t *entry)
{
    struct vq_inflight_packed *r = q->region;
    uint16_t head = vq_load16(&r->old_free_head), next;
    /* A chain starts at the committed head: what a walk that broke half
     * way took is given back. */
    uint16_t fh = first ? head : vq_load16(&r->free_head);

    if (fh >= q->num || head >= q->num) {
        return -EINVAL;
    }
    if (first) {
        q->chain_n = 0;
        vq_store16(&r->desc[head].num, 0);
        vq_store64(&r->desc[head].counter, q->counter++);
        vi_order();
        vi_store8(&r->desc[head].inflight, 1);
    }
    if (last) {
        vq_store16(&r->desc[head].last, fh);
    }
    vq_store16(&r->desc[head].num, ++q->chain_n);
    vq_store64(&r->desc[fh].addr, d->addr);
    vq_store32(&r->desc[fh].len, d->len);
    vq_store16(&r->desc[fh].flags, d->flags);
    vq_store16(&r->desc[fh].id, d->id);
    next = vq_load16(&r->desc[fh].next);
    vi_order();
    vq_store16(&r->free_head, next);
    if (last) {
        vi_order();
        vq_store16(&r->old_free_head, next);
        *entry = head;
    }
    return 0;
}

int vq_inflight_packed_put(struct vq_inflight_queue *q, uint16_t entry)
{
    if (entry >= q->num || q->npending >= q->num) {
        return -EINVAL;
    }
    /* Given back to the free list at publication (packed_used()), so a
     * pop between push and flush still takes from an unchanged list. */
    q->pending[q->npending++] = entry;
    return 0;
}

/* "When supplying used buffers", steps 1-4 and the used index. */
void vq_inflight_packed_used(struct vq_inflight_queue *q, uint16_t used_idx,
                             bool used_wrap)
{
    struct vq_inflight_packed *r = q->region;
    unsigned int i;
    uint16_t e, last;

    for (i = 0; i < q->npending; i++) {
        e = q->pending[i];
        last = vq_load16(&r->desc[e].last);
        if (last >= q->num) {
            continue; /* the frontend scribbled: leave it in flight */
        }
        vq_store16(&r->desc[last].next, vq_load16(&r->free_head));
        vi_order();
        vq_store16(&r->free_head, e);
    }
    vq_store16(&r->used_idx, used_idx);
    vi_store8(&r->used_wrap_counter, used_wrap);
    vi_order();
}

/* The batch's flags are stored: "Set the inflight field ... to 0". */
void vq_inflight_packed_commit(struct vq_inflight_queue *q)
{
    struct vq_inflight_packed *r = q->region;
    unsigned int i;

    vi_order();
    for (i = 0; i < q->npending; i++) {
        vi_store8(&r->desc[q->pending[i]].inflight, 0);
    }
    vi_order();
    vq_store16(&r->old_free_head, vq_load16(&r->free_head));
    vq_store16(&r->old_used_idx, vq_load16(&r->used_idx));
    vi_store8(&r->old_used_wrap_counter, vi_load8(&r->used_wrap_counter));
    q->npending = 0;
}

/* --- attach ------------------------------------------------------------ */

int vq_inflight_attach(struct vq *vq, const struct vq_inflight_map *map,
                       unsigned int index)
{
    void *region = vq_inflight_region(map, index);
    bool packed = vq->layout == VQ_LAYOUT_PACKED;
    struct vq_inflight_queue *q;
    struct vi_head *heads;
    int rc;

    if (!vq->started) {
        return -EBUSY;
    }
    /* Everything the queue will touch lies inside its own region. */
    if (!region || vq_inflight_queue_size(vq->num, packed) > map->qsize) {
        return -EINVAL;
    }
    vq_inflight_detach(vq);
    q = calloc(1, sizeof(*q));
    heads = calloc(vq->num, sizeof(*heads));
    if (q) {
        q->pending = calloc(vq->num, sizeof(*q->pending));
        q->resubmit = calloc(vq->num, sizeof(*q->resubmit));
    }
    if (!q || !heads || !q->pending || !q->resubmit) {
        rc = -ENOMEM;
        goto fail;
    }
    q->region = region;
    q->num = vq->num;
    q->packed = packed;
    if (q->packed) {
        rc = vi_attach_packed(vq, q, heads);
    } else {
        rc = vi_attach_split(vq, q, heads);
    }
    if (rc < 0) {
        goto fail;
    }
    free(heads);
    vq->inflight = q;
    vq->inflight_ops = &vi_ops;
    return rc;

fail:
    if (q) {
        free(q->pending);
        free(q->resubmit);
    }
    free(q);
    free(heads);
    return rc;
}

void vq_inflight_detach(struct vq *vq)
{
    struct vq_inflight_queue *q = vq->inflight;

    vq->inflight_ops = NULL;
    vq->inflight = NULL;
    if (q) {
        free(q->pending);
        free(q->resubmit);
        free(q);
    }
}
