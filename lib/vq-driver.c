/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-driver.c - virtqueue driver side, common part (vq-driver.h): ring
 * placement in guest memory, eventfds; the layouts are in
 * vq-driver-split.c and vq-driver-packed.c.
 *
 * Security model: this side plays the guest, so the rings' device areas
 * are written by a device we do not trust: used ids are checked against
 * the chains actually out before anything is freed.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vq-internal.h"

void *vq_driver_gpa(struct vq_driver *d, uint64_t gpa, uint64_t len)
{
    uint64_t got = len;
    void *p = gmem_gpa_to_va(d->mem, gpa, &got);

    return p && got == len ? p : NULL;
}

int vq_driver_new(struct vq_driver **out, const struct vq_driver_config *cfg,
                  struct gmem_table *mem)
{
    const struct vq_driver_ops *ops;
    struct vq_driver *d;
    int rc;

    if (cfg->layout == VQ_LAYOUT_PACKED) {
        if (!&vq_driver_packed_ops) {
            return -ENOTSUP;
        }
        ops = &vq_driver_packed_ops;
    } else if (cfg->layout == VQ_LAYOUT_SPLIT) {
        ops = &vq_driver_split_ops;
    } else {
        return -EINVAL;
    }
    if ((cfg->ring_gpa & 15) || (cfg->indirect_gpa & 15)) {
        return -EINVAL;
    }
    d = calloc(1, sizeof(*d));
    if (!d) {
        return -ENOMEM;
    }
    d->cfg = *cfg;
    d->ops = ops;
    d->mem = gmem_table_ref(mem);
    d->num = cfg->num;
    rc = vq_ring_layout(cfg->layout, cfg->num, &d->lay);
    if (rc < 0) {
        goto fail;
    }
    rc = -EFAULT;
    d->desc_area =
        vq_driver_gpa(d, cfg->ring_gpa + d->lay.desc_off, d->lay.desc_size);
    d->driver_area =
        vq_driver_gpa(d, cfg->ring_gpa + d->lay.driver_off, d->lay.driver_size);
    d->device_area =
        vq_driver_gpa(d, cfg->ring_gpa + d->lay.device_off, d->lay.device_size);
    if (!d->desc_area || !d->driver_area || !d->device_area) {
        goto fail;
    }
    rc = -EINVAL;
    if (((uintptr_t)d->desc_area & 15) ||
        (((uintptr_t)d->driver_area | (uintptr_t)d->device_area) & 3)) {
        goto fail; /* a region mapped from an odd offset */
    }
    if (cfg->indirect_gpa) {
        rc = -EFAULT;
        d->indirect =
            vq_driver_gpa(d, cfg->indirect_gpa,
                          (uint64_t)cfg->num * VQ_DRIVER_INDIRECT_MAX * 16);
        if (!d->indirect || ((uintptr_t)d->indirect & 15)) {
            goto fail;
        }
    }
    rc = -ENOMEM;
    d->tokens = calloc(cfg->num, sizeof(*d->tokens));
    d->next = calloc(cfg->num, sizeof(*d->next));
    d->ndescs = calloc(cfg->num, sizeof(*d->ndescs));
    if (!d->tokens || !d->next || !d->ndescs) {
        goto fail;
    }
    memset(d->desc_area, 0, d->lay.desc_size);
    memset(d->driver_area, 0, d->lay.driver_size);
    memset(d->device_area, 0, d->lay.device_size);
    rc = ops->init(d);
    if (rc < 0) {
        goto fail;
    }
    *out = d;
    return 0;

fail:
    vq_driver_free(d);
    return rc;
}

void vq_driver_free(struct vq_driver *d)
{
    if (!d) {
        return;
    }
    gmem_table_put(d->mem);
    free(d->tokens);
    free(d->next);
    free(d->ndescs);
    free(d->packed_priv);
    free(d);
}

void vq_driver_vring_addr(const struct vq_driver *d, unsigned int index,
                          struct vhost_vring_addr *addr)
{
    uint64_t u;

    memset(addr, 0, sizeof(*addr));
    addr->index = index;
    if (gmem_gpa_to_uva(d->mem, d->cfg.ring_gpa + d->lay.desc_off, &u) == 0) {
        addr->desc_user_addr = u;
    }
    if (gmem_gpa_to_uva(d->mem, d->cfg.ring_gpa + d->lay.driver_off, &u) == 0) {
        addr->avail_user_addr = u;
    }
    if (gmem_gpa_to_uva(d->mem, d->cfg.ring_gpa + d->lay.device_off, &u) == 0) {
        addr->used_user_addr = u;
    }
}

int vq_driver_add(struct vq_driver *d, const struct vq_buf *out,
                  unsigned int nout, const struct vq_buf *in, unsigned int nin,
                  bool indirect, void *token)
{
    if (!token || nout + nin == 0 || nout + nin < nout) {
        return -EINVAL;
    }
    if (indirect && (!d->indirect || nout + nin > VQ_DRIVER_INDIRECT_MAX)) {
        return -EINVAL;
    }
    return d->ops->add(d, out, nout, in, nin, indirect, token);
}

bool vq_driver_kick(struct vq_driver *d)
{
    uint64_t one = 1;

    if (!d->ops->kick_prepare(d)) {
        return false;
    }
    if (d->cfg.kick_fd >= 0) {
        while (write(d->cfg.kick_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
        }
    }
    return true;
}

int vq_driver_get_used(struct vq_driver *d, uint32_t *len, void **token)
{
    return d->ops->get_used(d, len, token);
}

bool vq_driver_enable_cb(struct vq_driver *d)
{
    return d->ops->enable_cb(d);
}

void vq_driver_disable_cb(struct vq_driver *d)
{
    d->ops->disable_cb(d);
}

int vq_driver_wait(struct vq_driver *d, int timeout_ms)
{
    struct pollfd pfd = {.fd = d->cfg.call_fd, .events = POLLIN};
    uint64_t v;
    int r;

    if (d->cfg.call_fd < 0) {
        return -EBADF;
    }
    do {
        r = poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        return r < 0 ? -errno : 0;
    }
    if (read(d->cfg.call_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        return -errno;
    }
    return 1;
}

unsigned int vq_driver_num_free(const struct vq_driver *d)
{
    return d->num_free;
}

unsigned int vq_driver_num_inflight(const struct vq_driver *d)
{
    return d->inflight;
}

void vq_driver_raw(const struct vq_driver *d, struct vq_driver_raw *raw)
{
    raw->desc = d->desc_area;
    raw->driver_area = d->driver_area;
    raw->device_area = d->device_area;
    raw->indirect = d->indirect;
    raw->num = d->num;
}
