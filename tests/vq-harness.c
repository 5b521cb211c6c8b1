/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-harness.c - guest memory and a queue pair for tests (vq-harness.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vq-harness.h"

#define PAGE 4096ull

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static int make_memfd(uint64_t size)
{
    int fd = memfd_create("vqh-guest", MFD_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    return fd;
}

static int make_memory(struct vqh *h, uint64_t region0)
{
    int dev_fds[VQH_MAX_REGIONS], drv_fds[VQH_MAX_REGIONS];
    unsigned int i, k = h->cfg.data_regions;
    uint64_t prev;
    int rc = 0;

    if (k == 0 || k >= VQH_MAX_REGIONS || h->cfg.data_size < 64 * k) {
        return -EINVAL;
    }
    h->nregions = k + 1;
    h->data_gpa = region0;
    h->regions[0].guest_phys_addr = 0;
    h->regions[0].memory_size = region0;
    prev = region0;
    for (i = 1; i <= k; i++) {
        /* Boundaries 37 bytes past an even split: buffers straddle. */
        uint64_t end = i == k ? region0 + h->cfg.data_size
                              : region0 + (i * h->cfg.data_size) / k + 37;

        h->regions[i].guest_phys_addr = prev;
        h->regions[i].memory_size = end - prev;
        prev = end;
    }
    for (i = 0; i < h->nregions; i++) {
        /* Made-up VMM addresses, not adjacent, not in GPA order. */
        h->regions[i].userspace_addr =
            0x7f0000000000ull - 0x10000000000ull * i + 0x3000ull * i;
        /* One region mapped from an offset that is not page aligned. */
        h->regions[i].mmap_offset = i == 1 ? 0x1230 : 0;
        dev_fds[i] = drv_fds[i] = -1;
    }
    for (i = 0; i < h->nregions && rc == 0; i++) {
        dev_fds[i] =
            make_memfd(h->regions[i].mmap_offset + h->regions[i].memory_size);
        if (dev_fds[i] < 0) {
            rc = dev_fds[i];
            break;
        }
        drv_fds[i] = dup(dev_fds[i]);
        if (drv_fds[i] < 0) {
            rc = -errno;
        }
    }
    if (rc == 0) {
        rc = gmem_set_table(h->dev_gm, h->regions, dev_fds, h->nregions);
    }
    if (rc == 0) {
        rc = gmem_set_table(h->drv_gm, h->regions, drv_fds, h->nregions);
    }
    for (i = 0; i < h->nregions; i++) {
        if (dev_fds[i] >= 0) {
            close(dev_fds[i]);
        }
        if (drv_fds[i] >= 0) {
            close(drv_fds[i]);
        }
    }
    return rc;
}

static int dup_fd(int fd)
{
    return fd < 0 ? -1 : dup(fd);
}

int vqh_create(struct vqh *h, const struct vqh_config *cfg)
{
    struct vq_driver_config dc = {0};
    struct vhost_vring_addr addr;
    struct vq_ring_layout lay;
    uint64_t features, rings, region0;
    int rc;

    memset(h, 0, sizeof(*h));
    h->cfg = *cfg;
    h->kick_fd = h->call_fd = h->err_fd = -1;
    rc = vq_ring_layout(cfg->layout, cfg->num, &lay);
    if (rc < 0) {
        return rc;
    }
    rings = align_up(lay.total, PAGE);
    region0 = rings;
    if (cfg->indirect) {
        region0 +=
            align_up((uint64_t)cfg->num * VQ_DRIVER_INDIRECT_MAX * 16, PAGE);
    }
    rc = gmem_new(&h->dev_gm);
    if (rc == 0) {
        rc = gmem_new(&h->drv_gm);
    }
    if (rc == 0) {
        rc = make_memory(h, region0);
    }
    if (rc < 0) {
        goto fail;
    }
    h->drv_mem = gmem_get(h->drv_gm);
    if (cfg->eventfds) {
        h->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        h->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    h->err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    dc.layout = cfg->layout;
    dc.num = cfg->num;
    dc.ring_gpa = 0;
    dc.event_idx = cfg->event_idx;
    dc.indirect_gpa = cfg->indirect ? rings : 0;
    dc.kick_fd = h->kick_fd;
    dc.call_fd = h->call_fd;
    rc = vq_driver_new(&h->drv, &dc, h->drv_mem);
    if (rc < 0) {
        goto fail;
    }
    rc = vq_new(&h->vq, 0);
    if (rc < 0) {
        goto fail;
    }
    features = (1ull << VQ_F_VERSION_1) |
               (cfg->event_idx ? 1ull << VQ_F_EVENT_IDX : 0) |
               (cfg->indirect ? 1ull << VQ_F_INDIRECT_DESC : 0) |
               (cfg->layout == VQ_LAYOUT_PACKED ? 1ull << VQ_F_RING_PACKED : 0);
    vq_driver_vring_addr(h->drv, 0, &addr);
    if ((rc = vq_set_features(h->vq, features)) < 0 ||
        (rc = vq_set_num(h->vq, cfg->num)) < 0 ||
        (rc = vq_set_addr(h->vq, &addr)) < 0 ||
        (rc = vq_set_base(h->vq, cfg->layout == VQ_LAYOUT_PACKED
                                     ? VHU_VRING_BASE_WRAP
                                     : 0)) < 0) {
        goto fail;
    }
    vq_set_kick_fd(h->vq, dup_fd(h->kick_fd));
    vq_set_call_fd(h->vq, dup_fd(h->call_fd));
    vq_set_err_fd(h->vq, dup_fd(h->err_fd));
    rc = vq_start(h->vq, h->dev_gm);
    if (rc < 0) {
        goto fail;
    }
    return 0;

fail:
    vqh_destroy(h);
    return rc;
}

void vqh_destroy(struct vqh *h)
{
    vq_free(h->vq);
    vq_driver_free(h->drv);
    gmem_table_put(h->drv_mem);
    gmem_free(h->dev_gm);
    gmem_free(h->drv_gm);
    if (h->kick_fd >= 0) {
        close(h->kick_fd);
    }
    if (h->call_fd >= 0) {
        close(h->call_fd);
    }
    if (h->err_fd >= 0) {
        close(h->err_fd);
    }
    memset(h, 0, sizeof(*h));
    h->kick_fd = h->call_fd = h->err_fd = -1;
}

void *vqh_host(struct vqh *h, uint64_t gpa, uint64_t len)
{
    uint64_t got = len;
    void *p = gmem_gpa_to_va(h->drv_mem, gpa, &got);

    return p && got == len ? p : NULL;
}

int vqh_copy_to_guest(struct vqh *h, uint64_t gpa, const void *buf,
                      uint64_t len)
{
    const uint8_t *b = buf;

    while (len > 0) {
        uint64_t got = len;
        void *p = gmem_gpa_to_va(h->drv_mem, gpa, &got);

        if (!p) {
            return -EFAULT;
        }
        memcpy(p, b, got);
        b += got;
        gpa += got;
        len -= got;
    }
    return 0;
}

int vqh_copy_from_guest(struct vqh *h, uint64_t gpa, void *buf, uint64_t len)
{
    uint8_t *b = buf;

    while (len > 0) {
        uint64_t got = len;
        const void *p = gmem_gpa_to_va(h->drv_mem, gpa, &got);

        if (!p) {
            return -EFAULT;
        }
        memcpy(b, p, got);
        b += got;
        gpa += got;
        len -= got;
    }
    return 0;
}

/* --- two-thread traffic ------------------------------------------------ */

#define REQ_OUT  48u /* header (16) + payload (32) */
#define REQ_IN   40u
#define IN_OFF   64u /* in buffer offset inside a slot */
#define ITER_MAX 64u

struct req_hdr {
    uint64_t seq;
    uint32_t out_len;
    uint32_t in_len;
};

struct slot {
    uint64_t seq;
    unsigned int index;
};

struct traffic {
    struct vqh *h;
    struct vqh_traffic *t;
    unsigned int maxd; /* descriptors a direct chain may take */
    _Atomic bool failed;
    char dev_err[128];
};

static uint8_t out_byte(uint64_t seq, unsigned int i)
{
    return (uint8_t)(seq * 31 + i);
}

static uint8_t in_byte(uint64_t seq, unsigned int i)
{
    return (uint8_t) ~(seq * 17 + i * 3);
}

static bool use_indirect(const struct traffic *tr, uint64_t seq)
{
    return tr->t->indirect && seq % 3 != 0;
}

/* Which halves request @seq has, given the chain length allowed. */
static void req_shape(const struct traffic *tr, uint64_t seq, bool *has_out,
                      bool *has_in)
{
    unsigned int maxd = use_indirect(tr, seq) ? 4 : tr->maxd;

    *has_out = maxd >= 2 || seq % 2 == 0;
    *has_in = maxd >= 2 || seq % 2 == 1;
}

static void dev_fail(struct traffic *tr, const char *what, uint64_t seq)
{
    snprintf(tr->dev_err, sizeof(tr->dev_err), "device: %s (request %llu)",
             what, (unsigned long long)seq);
    atomic_store(&tr->failed, true);
}

/* Check and answer one element; returns the bytes written or -1. */
static int dev_handle(struct traffic *tr, struct vq_elem *e, uint64_t seq)
{
    uint8_t buf[REQ_OUT];
    struct req_hdr hdr;
    bool has_out, has_in;
    unsigned int i, k, pos = 0;

    req_shape(tr, seq, &has_out, &has_in);
    if (e->out_bytes != (has_out ? REQ_OUT : 0) ||
        e->in_bytes != (has_in ? REQ_IN : 0)) {
        dev_fail(tr, "wrong chain size", seq);
        return -1;
    }
    for (i = 0; i < e->out_num; i++) {
        memcpy(buf + pos, e->iov[i].iov_base, e->iov[i].iov_len);
        pos += (unsigned int)e->iov[i].iov_len;
    }
    if (has_out) {
        memcpy(&hdr, buf, sizeof(hdr));
        if (hdr.seq != seq || hdr.out_len != REQ_OUT) {
            dev_fail(tr, "wrong header", seq);
            return -1;
        }
        for (i = sizeof(hdr); i < REQ_OUT; i++) {
            if (buf[i] != out_byte(seq, i)) {
                dev_fail(tr, "wrong payload", seq);
                return -1;
            }
        }
    }
    pos = 0;
    for (i = e->out_num; i < e->out_num + e->in_num; i++) {
        uint8_t *p = e->iov[i].iov_base;

        for (k = 0; k < e->iov[i].iov_len; k++) {
            p[k] = in_byte(seq, pos++);
        }
    }
    return (int)e->in_bytes;
}

static void *device_thread(void *arg)
{
    struct traffic *tr = arg;
    struct vq *vq = tr->h->vq;
    struct iovec iov[ITER_MAX];
    struct vq_elem e = {.iov = iov, .iov_max = ITER_MAX};
    bool sleep_ok = tr->h->cfg.eventfds;
    uint64_t seq = 0;
    unsigned int batch = 0;
    int r, len;

    while (seq < tr->t->nreq && !atomic_load(&tr->failed)) {
        r = vq_pop(vq, &e);
        if (r == 1) {
            len = dev_handle(tr, &e, seq);
            if (len < 0) {
                vq_elem_release(&e);
                break;
            }
            vq_push(vq, &e, (uint32_t)len);
            seq++;
            if (++batch == 32) {
                vq_flush(vq);
                tr->t->calls += vq_notify(vq);
                batch = 0;
            }
            continue;
        }
        if (r < 0) {
            dev_fail(tr, "vq_pop failed", seq);
            break;
        }
        if (batch) {
            vq_flush(vq);
            tr->t->calls += vq_notify(vq);
            batch = 0;
        }
        if (!sleep_ok) {
            sched_yield();
        } else if (!vq_enable_notify(vq)) {
            struct pollfd pfd = {.fd = vq_kick_fd(vq), .events = POLLIN};

            poll(&pfd, 1, 100);
            vq_drain_kick(vq);
            tr->t->dev_wakeups++;
        }
    }
    vq_flush(vq);
    tr->t->calls += vq_notify(vq);
    return NULL;
}

static int drv_add(struct traffic *tr, struct slot *s)
{
    struct vqh *h = tr->h;
    uint64_t base = h->data_gpa + (uint64_t)s->index * VQH_SLOT_SIZE;
    struct req_hdr hdr = {.seq = s->seq, .out_len = REQ_OUT, .in_len = REQ_IN};
    uint8_t buf[REQ_OUT];
    struct vq_buf out[2], in[2];
    unsigned int nout = 0, nin = 0, i;
    bool has_out, has_in, ind = use_indirect(tr, s->seq);
    bool split = ind || tr->maxd >= 4;

    req_shape(tr, s->seq, &has_out, &has_in);
    memcpy(buf, &hdr, sizeof(hdr));
    for (i = sizeof(hdr); i < REQ_OUT; i++) {
        buf[i] = out_byte(s->seq, i);
    }
    if (has_out) {
        if (vqh_copy_to_guest(h, base, buf, REQ_OUT) < 0) {
            return -EFAULT;
        }
        out[nout++] = (struct vq_buf){base, split ? 20 : REQ_OUT};
        if (split) {
            out[nout++] = (struct vq_buf){base + 20, REQ_OUT - 20};
        }
    }
    if (has_in) {
        in[nin++] = (struct vq_buf){base + IN_OFF, split ? 16 : REQ_IN};
        if (split) {
            in[nin++] = (struct vq_buf){base + IN_OFF + 16, REQ_IN - 16};
        }
    }
    return vq_driver_add(h->drv, out, nout, in, nin, ind, s);
}

static int drv_check(struct traffic *tr, struct slot *s, uint32_t len)
{
    uint64_t base = tr->h->data_gpa + (uint64_t)s->index * VQH_SLOT_SIZE;
    bool has_out, has_in;
    uint8_t buf[REQ_IN];
    unsigned int i;

    req_shape(tr, s->seq, &has_out, &has_in);
    if (len != (has_in ? REQ_IN : 0)) {
        return -1;
    }
    if (has_in) {
        if (vqh_copy_from_guest(tr->h, base + IN_OFF, buf, REQ_IN) < 0) {
            return -1;
        }
        for (i = 0; i < REQ_IN; i++) {
            if (buf[i] != in_byte(s->seq, i)) {
                return -1;
            }
        }
    }
    return 0;
}

int vqh_traffic(struct vqh *h, struct vqh_traffic *t)
{
    struct traffic tr = {.h = h, .t = t};
    unsigned int depth = t->depth ? t->depth : h->cfg.num, nfree, i;
    uint64_t submitted = 0, completed = 0;
    struct slot *slots, **free_slots;
    unsigned int idle = 0;
    pthread_t dev;
    int r;

    t->err[0] = '\0';
    t->kicks = t->calls = t->dev_wakeups = 0;
    tr.maxd = h->cfg.num < 4 ? h->cfg.num : 4;
    if ((uint64_t)depth * VQH_SLOT_SIZE > h->cfg.data_size) {
        snprintf(t->err, sizeof(t->err), "data area too small");
        return -EINVAL;
    }
    slots = calloc(depth, sizeof(*slots));
    free_slots = calloc(depth, sizeof(*free_slots));
    if (!slots || !free_slots) {
        free(slots);
        free(free_slots);
        return -ENOMEM;
    }
    for (i = 0; i < depth; i++) {
        slots[i].index = i;
        free_slots[i] = &slots[depth - 1 - i];
    }
    nfree = depth;
    if (!h->cfg.eventfds) {
        /* Before the threads run: no notification is ever asked for. */
        vq_disable_notify(h->vq);
        vq_driver_disable_cb(h->drv);
    }
    if (pthread_create(&dev, NULL, device_thread, &tr) != 0) {
        free(slots);
        free(free_slots);
        return -EAGAIN;
    }
    while (completed < t->nreq && !t->err[0]) {
        unsigned int added = 0, reaped = 0;
        uint32_t len;
        void *tok;

        while (submitted < t->nreq && nfree > 0) {
            struct slot *s = free_slots[nfree - 1];

            s->seq = submitted;
            r = drv_add(&tr, s);
            if (r == -ENOSPC) {
                break;
            }
            if (r < 0) {
                snprintf(t->err, sizeof(t->err), "driver: add: %d", r);
                break;
            }
            nfree--;
            submitted++;
            added++;
        }
        if (added) {
            t->kicks += vq_driver_kick(h->drv);
        }
        while ((r = vq_driver_get_used(h->drv, &len, &tok)) == 1) {
            struct slot *s = tok;

            if (s->seq != completed || drv_check(&tr, s, len) < 0) {
                snprintf(t->err, sizeof(t->err),
                         "driver: bad reply to request %llu (len %u)",
                         (unsigned long long)s->seq, len);
                break;
            }
            free_slots[nfree++] = s;
            completed++;
            reaped++;
        }
        if (r < 0) {
            snprintf(t->err, sizeof(t->err), "driver: used id not out");
        }
        if (reaped || added) {
            idle = 0;
            continue;
        }
        if (atomic_load(&tr.failed)) {
            break;
        }
        if (!h->cfg.eventfds) {
            sched_yield();
            idle = 0;
        } else if (!vq_driver_enable_cb(h->drv)) {
            if (vq_driver_wait(h->drv, 100) == 0 && ++idle > 300) {
                snprintf(t->err, sizeof(t->err),
                         "driver: no progress for 30 s at %llu/%llu",
                         (unsigned long long)completed,
                         (unsigned long long)t->nreq);
            }
        }
    }
    atomic_store(&tr.failed, tr.failed || t->err[0] != '\0');
    pthread_join(dev, NULL);
    if (!t->err[0] && tr.dev_err[0]) {
        snprintf(t->err, sizeof(t->err), "%s", tr.dev_err);
    }
    if (!t->err[0] && vq_is_broken(h->vq)) {
        snprintf(t->err, sizeof(t->err), "queue broken");
    }
    free(slots);
    free(free_slots);
    return t->err[0] ? -EIO : 0;
}
