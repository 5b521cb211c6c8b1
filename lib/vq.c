/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq.c - virtqueue device side, common part (vq.h): configuration, ring
 * translation, guest memory references, notification fds, breakage.
 * The ring walks are in vq-split.c and vq-packed.c.
 *
 * Security model: ring addresses, sizes and bases come from the VMM, ring
 * contents from the guest driver; neither is trusted.  Rings must lie
 * whole inside one mapped region; every descriptor address is translated
 * with overflow checks and split at region boundaries; a violation marks
 * only this queue broken.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vq-internal.h"

int vq_ring_layout(enum vq_layout layout, unsigned int num,
                   struct vq_ring_layout *out)
{
    uint64_t n = num;

    if (num == 0 || num > VQ_MAX_SIZE) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->desc_off = 0;
    out->desc_size = 16 * n;
    if (layout == VQ_LAYOUT_SPLIT) {
        /* virtio 1.2 2.7: split Queue Size is a power of 2. */
        if (num & (num - 1)) {
            return -EINVAL;
        }
        /* 2.7.6: flags, idx, ring[num], used_event (2-aligned). */
        out->driver_off = out->desc_size;
        out->driver_size = 6 + 2 * n;
        /* 2.7.8: flags, idx, ring[num] of 8 bytes, avail_event
         * (4-aligned). */
        out->device_off = (out->driver_off + out->driver_size + 3) & ~3ull;
        out->device_size = 6 + 8 * n;
    } else if (layout == VQ_LAYOUT_PACKED) {
        /* 2.8.10: descriptor ring 16-aligned, event structures 4-aligned
         * and 4 bytes each. */
        out->driver_off = out->desc_size;
        out->driver_size = 4;
        out->device_off = out->driver_off + 4;
        out->device_size = 4;
    } else {
        return -EINVAL;
    }
    out->total = out->device_off + out->device_size;
    return 0;
}

int vq_new(struct vq **out, unsigned int index)
{
    struct vq *vq = calloc(1, sizeof(*vq));

    if (!vq) {
        return -ENOMEM;
    }
    vq->index = index;
    vq->layout = VQ_LAYOUT_SPLIT;
    vq->ops = &vq_split_ops;
    vq->kick_fd = -1;
    vq->call_fd = -1;
    vq->err_fd = -1;
    *out = vq;
    return 0;
}

static void set_fd(int *slot, int fd)
{
    if (*slot >= 0 && *slot != fd) {
        close(*slot);
    }
    *slot = fd;
}

void vq_free(struct vq *vq)
{
    if (!vq) {
        return;
    }
    vq_stop(vq);
    set_fd(&vq->kick_fd, -1);
    set_fd(&vq->call_fd, -1);
    set_fd(&vq->err_fd, -1);
    free(vq);
}

int vq_set_features(struct vq *vq, uint64_t features)
{
    if (vq->started) {
        return -EBUSY;
    }
    if (features & (1ull << VQ_F_RING_PACKED)) {
        if (!&vq_packed_ops) {
            return -ENOTSUP;
        }
        vq->layout = VQ_LAYOUT_PACKED;
        vq->ops = &vq_packed_ops;
    } else {
        vq->layout = VQ_LAYOUT_SPLIT;
        vq->ops = &vq_split_ops;
    }
    vq->features = features;
    vq->event_idx = !!(features & (1ull << VQ_F_EVENT_IDX));
    vq->indirect = !!(features & (1ull << VQ_F_INDIRECT_DESC));
    return 0;
}

int vq_set_num(struct vq *vq, unsigned int num)
{
    if (vq->started) {
        return -EBUSY;
    }
    if (num == 0 || num > VQ_MAX_SIZE) {
        return -EINVAL;
    }
    vq->num = num;
    return 0;
}

int vq_set_addr(struct vq *vq, const struct vhost_vring_addr *addr)
{
    if (vq->started) {
        return -EBUSY;
    }
    vq->addr = *addr;
    vq->addr_set = true;
    return 0;
}

int vq_set_base(struct vq *vq, unsigned int base)
{
    if (vq->started) {
        return -EBUSY;
    }
    vq->base = base;
    /* What vq_get_base() reports until the queue runs. */
    vq->last_avail_idx = (uint16_t)base;
    return 0;
}

unsigned int vq_get_base(const struct vq *vq)
{
    if (!vq->started) {
        return vq->base;
    }
    return vq->ops->get_base(vq);
}

void vq_set_kick_fd(struct vq *vq, int fd)
{
    set_fd(&vq->kick_fd, fd);
}

void vq_set_call_fd(struct vq *vq, int fd)
{
    set_fd(&vq->call_fd, fd);
}

void vq_set_err_fd(struct vq *vq, int fd)
{
    set_fd(&vq->err_fd, fd);
}

int vq_kick_fd(const struct vq *vq)
{
    return vq->kick_fd;
}

int vq_drain_kick(struct vq *vq)
{
    uint64_t v;
    ssize_t r;

    if (vq->kick_fd < 0) {
        return 0;
    }
    do {
        r = read(vq->kick_fd, &v, sizeof(v));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return errno == EAGAIN ? 0 : -errno;
    }
    return r == sizeof(v) ? (int)(v > 0x7fffffff ? 0x7fffffff : v) : 0;
}

/* Translate one ring part of @size bytes at VMM address @uaddr. */
static void *map_ring(struct vq *vq, const struct gmem_table *t,
                      const char *what, uint64_t uaddr, uint64_t size,
                      uint64_t align, bool log)
{
    uint64_t len = size;
    const char *why = NULL;
    void *p = NULL;

    if (uaddr & (align - 1)) {
        why = "address misaligned";
    } else {
        p = gmem_uva_to_va(t, uaddr, &len);
        if (!p || len < size) {
            why = "not in guest memory";
        } else if ((uintptr_t)p & (align - 1)) {
            /* A region mapped from an odd mmap_offset: ring fields would
             * be accessed misaligned (and not atomically). */
            why = "misaligned in memory";
        }
    }
    if (why) {
        if (log) {
            vhostfs_log(VHOSTFS_LOG_ERR, "vq %u: %s ring at 0x%llx: %s",
                        vq->index, what, (unsigned long long)uaddr, why);
        }
        return NULL;
    }
    return p;
}

/* Translate the three ring parts through @t into @area.  0 or -EFAULT. */
static int map_rings(struct vq *vq, const struct gmem_table *t, bool log,
                     void *area[3])
{
    struct vq_ring_layout lay;

    if (vq_ring_layout(vq->layout, vq->num, &lay) < 0) {
        return -EINVAL;
    }
    area[0] = map_ring(vq, t, "descriptor", vq->addr.desc_user_addr,
                       lay.desc_size, 16, log);
    area[1] =
        map_ring(vq, t, "driver", vq->addr.avail_user_addr, lay.driver_size,
                 vq->layout == VQ_LAYOUT_SPLIT ? 2 : 4, log);
    area[2] = map_ring(vq, t, "device", vq->addr.used_user_addr,
                       lay.device_size, 4, log);
    return area[0] && area[1] && area[2] ? 0 : -EFAULT;
}

int vq_start(struct vq *vq, struct gmem *gm)
{
    struct vq_ring_layout lay;
    void *area[3];
    int rc;

    if (vq->started) {
        return -EBUSY;
    }
    if (!vq->addr_set || vq_ring_layout(vq->layout, vq->num, &lay) < 0) {
        return -EINVAL;
    }
    vq->gm = gm;
    vq->ring_mem = gmem_get(gm);
    rc = map_rings(vq, vq->ring_mem, true, area);
    if (rc < 0) {
        goto fail;
    }
    vq->desc_area = area[0];
    vq->driver_area = area[1];
    vq->device_area = area[2];
    vq->mem = gmem_table_ref(vq->ring_mem);
    vq->mem_gen = gmem_generation(gm);
    vq->broken = false;
    vq->pending_used = 0;
    vq->notify_pending = false;
    vq->notify_disabled = false;
    vq->signalled_used_valid = false;
    rc = vq->ops->start(vq);
    if (rc < 0) {
        gmem_table_put(vq->mem);
        vq->mem = NULL;
        goto fail;
    }
    vq->started = true;
    return 0;

fail:
    gmem_table_put(vq->ring_mem);
    vq->ring_mem = NULL;
    vq->gm = NULL;
    return rc;
}

void vq_stop(struct vq *vq)
{
    if (!vq->started) {
        return;
    }
    vq->base = vq->ops->get_base(vq);
    vq->started = false;
    gmem_table_put(vq->mem);
    gmem_table_put(vq->ring_mem);
    vq->mem = NULL;
    vq->ring_mem = NULL;
    vq->gm = NULL;
    vq->desc_area = vq->driver_area = vq->device_area = NULL;
}

bool vq_is_started(const struct vq *vq)
{
    return vq->started;
}

bool vq_is_broken(const struct vq *vq)
{
    return vq->broken;
}

enum vq_layout vq_get_layout(const struct vq *vq)
{
    return vq->layout;
}

unsigned int vq_get_num(const struct vq *vq)
{
    return vq->num;
}

unsigned int vq_get_index(const struct vq *vq)
{
    return vq->index;
}

int vq_mark_broken(struct vq *vq, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    if (vq->broken) {
        return -EIO;
    }
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    vq->broken = true;
    vhostfs_log(VHOSTFS_LOG_ERR, "vq %u broken: %s", vq->index, why);
    if (vq->err_fd >= 0) {
        uint64_t one = 1;
        ssize_t r = write(vq->err_fd, &one, sizeof(one));

        (void)r; /* best effort: the log line says it all */
    }
    return -EIO;
}

/*
 * The memory table changed: translate new chains with the new table.  If
 * the rings now translate to another mapping (the VMM gave their region
 * a new file), follow them, as libvhost-user does after SET_MEM_TABLE;
 * the indexes stay.  If they do not translate at all (their region is
 * gone for now, e.g. between REM_MEM_REG and ADD_MEM_REG), keep the old
 * mapping, which ring_mem keeps alive, and look again at the next change.
 */
static void refresh_mem(struct vq *vq)
{
    void *area[3];

    vq->mem_gen = gmem_generation(vq->gm);
    gmem_table_put(vq->mem);
    vq->mem = gmem_get(vq->gm);
    if (!vq->ops->rings_moved || map_rings(vq, vq->mem, false, area) < 0 ||
        (area[0] == vq->desc_area && area[1] == vq->driver_area &&
         area[2] == vq->device_area)) {
        return;
    }
    gmem_table_put(vq->ring_mem);
    vq->ring_mem = gmem_table_ref(vq->mem);
    vq->desc_area = area[0];
    vq->driver_area = area[1];
    vq->device_area = area[2];
    vq->ops->rings_moved(vq);
}

int vq_pop(struct vq *vq, struct vq_elem *elem)
{
    int rc;

    if (!vq->started || vq->broken) {
        return -EIO;
    }
    /* Pick up a changed memory table before translating new chains;
     * elements already out keep the table they were translated with. */
    if (gmem_generation(vq->gm) != vq->mem_gen) {
        refresh_mem(vq);
    }
    elem->out_num = elem->in_num = 0;
    elem->out_bytes = elem->in_bytes = 0;
    elem->unmapped = 0;
    elem->mem = NULL;
    rc = vq->ops->pop(vq, elem);
    if (rc == 1) {
        elem->mem = gmem_table_ref(vq->mem);
        if (vq->inflight_ops) {
            vq->inflight_ops->popped(vq, elem);
        }
    }
    return rc;
}

void vq_elem_release(struct vq_elem *elem)
{
    gmem_table_put(elem->mem);
    elem->mem = NULL;
}

void vq_push(struct vq *vq, struct vq_elem *elem, uint32_t len)
{
    if (vq->started && !vq->broken) {
        if (vq->inflight_ops) {
            vq->inflight_ops->push_begin(vq, elem);
        }
        vq->ops->push(vq, elem, len);
    }
    vq_elem_release(elem);
}

void vq_flush(struct vq *vq)
{
    if (!vq->started || vq->broken || vq->pending_used == 0) {
        return;
    }
    vq->ops->flush(vq);
    vq->notify_pending = true;
    if (vq->inflight_ops) {
        vq->inflight_ops->flushed(vq);
    }
}

bool vq_notify(struct vq *vq)
{
    uint64_t one = 1;

    if (!vq->started || vq->broken || !vq->notify_pending) {
        return false;
    }
    vq->notify_pending = false;
    if (!vq->ops->need_notify(vq) || vq->call_fd < 0) {
        return false;
    }
    while (write(vq->call_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
    return true;
}

void vq_complete(struct vq *vq, struct vq_elem *elem, uint32_t len)
{
    vq_push(vq, elem, len);
    vq_flush(vq);
    vq_notify(vq);
}

void vq_disable_notify(struct vq *vq)
{
    if (vq->started && !vq->broken) {
        vq->ops->disable_notify(vq);
    }
}

bool vq_enable_notify(struct vq *vq)
{
    if (!vq->started || vq->broken) {
        return false;
    }
    return vq->ops->enable_notify(vq);
}

bool vq_avail_pending(struct vq *vq)
{
    if (!vq->started || vq->broken) {
        return false;
    }
    return vq->ops->avail_pending(vq);
}

int vq_map_desc(struct vq *vq, struct vq_elem *elem, uint64_t addr,
                uint32_t len, bool writable)
{
    unsigned int used = elem->out_num + elem->in_num;
    uint64_t end;
    int n;

    if (len > 0 && __builtin_add_overflow(addr, (uint64_t)len - 1, &end)) {
        return vq_mark_broken(vq, "descriptor 0x%llx+%u overflows",
                              (unsigned long long)addr, len);
    }
    if (used > elem->iov_max) {
        return vq_mark_broken(vq, "iovec count");
    }
    n = gmem_gpa_to_iov(vq->mem, addr, len, elem->iov + used,
                        elem->iov_max - used);
    if (n == -EFAULT && elem->gpa && !gmem_overlaps(vq->mem, addr, len)) {
        if (used == elem->iov_max) {
            n = -ENOBUFS;
        } else {
            /* Outside guest memory (vq.h): the VMM's to reach. */
            elem->iov[used].iov_base = NULL;
            elem->iov[used].iov_len = len;
            elem->gpa[used] = addr;
            elem->unmapped++;
            n = 1;
        }
    }
    if (n == -ENOBUFS) {
        return vq_mark_broken(vq, "chain needs more than %u iovecs",
                              elem->iov_max);
    }
    if (n < 0) {
        return vq_mark_broken(vq, "descriptor 0x%llx+%u outside guest memory",
                              (unsigned long long)addr, len);
    }
    if (writable) {
        elem->in_num += (unsigned int)n;
        elem->in_bytes += len;
    } else {
        elem->out_num += (unsigned int)n;
        elem->out_bytes += len;
    }
    return 0;
}

const void *vq_map_table(struct vq *vq, uint64_t addr, uint32_t len)
{
    uint64_t got = len;
    const void *p;

    p = gmem_gpa_to_va(vq->mem, addr, &got);
    if (!p || got < len) {
        vq_mark_broken(vq, "indirect table 0x%llx+%u not in one region",
                       (unsigned long long)addr, len);
        return NULL;
    }
    return p;
}
