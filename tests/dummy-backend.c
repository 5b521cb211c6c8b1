/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dummy-backend.c - the tests' device (the seed's DummySlaveReqHandler)
 * and a frontend/backend pair around it.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dummy-backend.h"
#include "vhu-conn.h"
#include "vhu-error.h"

static void close_slot(int *slot)
{
    if (*slot >= 0) {
        close(*slot);
        *slot = -1;
    }
}

/* Keep the fd in *@from (if any) in *@slot, closing what was there. */
static void steal(int *slot, int *from)
{
    close_slot(slot);
    *slot = *from;
    *from = -1;
}

static int d_set_owner(void *dev)
{
    struct dummy_dev *d = dev;

    if (d->owned) {
        return -EBUSY;
    }
    d->owned = true;
    return 0;
}

static int d_reset_owner(void *dev)
{
    struct dummy_dev *d = dev;

    d->owned = false;
    d->acked_features = 0;
    d->acked_protocol_features = 0;
    return 0;
}

static int d_get_features(void *dev, uint64_t *features)
{
    (void)dev;
    *features = DUMMY_FEATURES;
    return 0;
}

static int d_set_features(void *dev, uint64_t features)
{
    struct dummy_dev *d = dev;

    if (!d->owned) {
        return -EPERM;
    }
    d->acked_features = features;
    return 0;
}

static int d_get_protocol_features(void *dev, uint64_t *pf)
{
    (void)dev;
    *pf = DUMMY_PROTOCOL_FEATURES;
    return 0;
}

static int d_set_protocol_features(void *dev, uint64_t pf)
{
    struct dummy_dev *d = dev;

    d->acked_protocol_features = pf;
    return 0;
}

static void drop_regions(struct dummy_dev *d)
{
    unsigned int i;

    for (i = 0; i < d->nregions; i++) {
        close_slot(&d->region_fds[i]);
    }
    d->nregions = 0;
}

static int d_set_mem_table(void *dev, const struct vhu_mem_region *regions,
                           int *fds, unsigned int n)
{
    struct dummy_dev *d = dev;
    unsigned int i;

    if (n > DUMMY_MEM_SLOTS) {
        return -E2BIG;
    }
    drop_regions(d);
    for (i = 0; i < n; i++) {
        d->regions[i] = regions[i];
        d->region_fds[i] = -1;
        steal(&d->region_fds[i], &fds[i]);
    }
    d->nregions = n;
    return 0;
}

static int d_set_vring_num(void *dev, unsigned int index, unsigned int num)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES || num == 0 || num > DUMMY_MAX_RING) {
        return -EINVAL;
    }
    d->vring[index].num = num;
    return 0;
}

static int d_set_vring_addr(void *dev, const struct vhost_vring_addr *addr)
{
    struct dummy_dev *d = dev;

    if (addr->index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    d->vring[addr->index].addr = *addr;
    d->vring[addr->index].addr_set = true;
    return 0;
}

static int d_set_vring_base(void *dev, unsigned int index, unsigned int num)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES || num >= 0x10000) {
        return -EINVAL;
    }
    d->vring[index].base = num;
    return 0;
}

static int d_get_vring_base(void *dev, unsigned int index, unsigned int *num)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    *num = d->vring[index].base;
    return 0;
}

static int d_set_vring_kick(void *dev, unsigned int index, int *fd)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    steal(&d->vring[index].kick_fd, fd);
    return 0;
}

static int d_set_vring_call(void *dev, unsigned int index, int *fd)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    steal(&d->vring[index].call_fd, fd);
    return 0;
}

static int d_set_vring_err(void *dev, unsigned int index, int *fd)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    steal(&d->vring[index].err_fd, fd);
    return 0;
}

static int d_get_queue_num(void *dev, uint64_t *num)
{
    (void)dev;
    *num = DUMMY_QUEUES;
    return 0;
}

static int d_set_vring_enable(void *dev, unsigned int index, bool enable)
{
    struct dummy_dev *d = dev;

    if (index >= DUMMY_QUEUES) {
        return -EINVAL;
    }
    d->vring[index].enabled = enable;
    return 0;
}

static int d_set_backend_req_fd(void *dev, int *fd)
{
    struct dummy_dev *d = dev;

    steal(&d->backend_req_fd, fd);
    return 0;
}

/* [offset, offset + size) inside the device's config space. */
static bool config_range_ok(uint32_t offset, uint32_t size)
{
    return offset <= DUMMY_CONFIG_SIZE && size <= DUMMY_CONFIG_SIZE - offset;
}

static int d_get_config(void *dev, struct vhu_config *cfg)
{
    struct dummy_dev *d = dev;

    if (!config_range_ok(cfg->offset, cfg->size)) {
        return -EINVAL;
    }
    memcpy(cfg->payload, d->config + cfg->offset, cfg->size);
    return 0;
}

static int d_set_config(void *dev, const struct vhu_config *cfg)
{
    struct dummy_dev *d = dev;

    if (!config_range_ok(cfg->offset, cfg->size)) {
        return -EINVAL;
    }
    memcpy(d->config + cfg->offset, cfg->payload, cfg->size);
    return 0;
}

static int d_get_inflight_fd(void *dev, const struct vhu_inflight *in,
                             struct vhu_inflight *out, int *fd)
{
    struct dummy_dev *d = dev;
    int m;
    /* 16 bytes per descriptor and a header page: enough for a test. */
    uint64_t size = 4096 + (uint64_t)in->num_queues * in->queue_size * 16;

    if (in->num_queues == 0 || in->num_queues > DUMMY_QUEUES ||
        in->queue_size == 0 || in->queue_size > DUMMY_MAX_RING) {
        return -EINVAL;
    }
    m = memfd_create("dummy-inflight", MFD_CLOEXEC);
    if (m < 0) {
        return -errno;
    }
    if (ftruncate(m, (off_t)size) < 0) {
        int err = errno;

        close(m);
        return -err;
    }
    steal(&d->inflight_fd, &m);
    out->mmap_size = size;
    out->mmap_offset = 0;
    out->num_queues = in->num_queues;
    out->queue_size = in->queue_size;
    *fd = d->inflight_fd;
    return 0;
}

static int d_set_inflight_fd(void *dev, const struct vhu_inflight *in, int *fd)
{
    struct dummy_dev *d = dev;

    if (in->mmap_size == 0) {
        return -EINVAL;
    }
    d->inflight = *in;
    steal(&d->inflight_set_fd, fd);
    return 0;
}

static int d_get_max_mem_slots(void *dev, uint64_t *slots)
{
    (void)dev;
    *slots = DUMMY_MEM_SLOTS;
    return 0;
}

static bool overlaps(const struct vhu_mem_region *a,
                     const struct vhu_mem_region *b)
{
    /* Sizes were checked not to overflow by the library. */
    return a->guest_phys_addr < b->guest_phys_addr + b->memory_size &&
           b->guest_phys_addr < a->guest_phys_addr + a->memory_size;
}

static int d_add_mem_reg(void *dev, const struct vhu_mem_region *region,
                         int *fd)
{
    struct dummy_dev *d = dev;
    unsigned int i;

    if (d->nregions >= DUMMY_MEM_SLOTS) {
        return -ENOSPC;
    }
    for (i = 0; i < d->nregions; i++) {
        if (overlaps(&d->regions[i], region)) {
            return -EEXIST;
        }
    }
    d->regions[d->nregions] = *region;
    d->region_fds[d->nregions] = -1;
    steal(&d->region_fds[d->nregions], fd);
    d->nregions++;
    return 0;
}

static int d_rem_mem_reg(void *dev, const struct vhu_mem_region *region)
{
    struct dummy_dev *d = dev;
    unsigned int i;

    for (i = 0; i < d->nregions; i++) {
        if (d->regions[i].guest_phys_addr == region->guest_phys_addr &&
            d->regions[i].memory_size == region->memory_size) {
            close_slot(&d->region_fds[i]);
            d->nregions--;
            d->regions[i] = d->regions[d->nregions];
            d->region_fds[i] = d->region_fds[d->nregions];
            d->region_fds[d->nregions] = -1;
            return 0;
        }
    }
    return -ENOENT;
}

static int d_reset_device(void *dev)
{
    struct dummy_dev *d = dev;
    unsigned int i;

    for (i = 0; i < DUMMY_QUEUES; i++) {
        d->vring[i].enabled = false;
        d->vring[i].base = 0;
    }
    d->status = 0;
    return 0;
}

static int d_set_status(void *dev, uint8_t status)
{
    struct dummy_dev *d = dev;

    d->status = status;
    return 0;
}

static int d_get_status(void *dev, uint8_t *status)
{
    struct dummy_dev *d = dev;

    *status = d->status;
    return 0;
}

const struct vhu_backend_ops dummy_backend_ops = {
    .set_owner = d_set_owner,
    .reset_owner = d_reset_owner,
    .get_features = d_get_features,
    .set_features = d_set_features,
    .get_protocol_features = d_get_protocol_features,
    .set_protocol_features = d_set_protocol_features,
    .set_mem_table = d_set_mem_table,
    .set_vring_num = d_set_vring_num,
    .set_vring_addr = d_set_vring_addr,
    .set_vring_base = d_set_vring_base,
    .get_vring_base = d_get_vring_base,
    .set_vring_kick = d_set_vring_kick,
    .set_vring_call = d_set_vring_call,
    .set_vring_err = d_set_vring_err,
    .get_queue_num = d_get_queue_num,
    .set_vring_enable = d_set_vring_enable,
    .set_backend_req_fd = d_set_backend_req_fd,
    .get_config = d_get_config,
    .set_config = d_set_config,
    .get_inflight_fd = d_get_inflight_fd,
    .set_inflight_fd = d_set_inflight_fd,
    .get_max_mem_slots = d_get_max_mem_slots,
    .add_mem_reg = d_add_mem_reg,
    .rem_mem_reg = d_rem_mem_reg,
    .reset_device = d_reset_device,
    .set_status = d_set_status,
    .get_status = d_get_status,
};

void dummy_dev_init(struct dummy_dev *d)
{
    unsigned int i;

    memset(d, 0, sizeof(*d));
    for (i = 0; i < DUMMY_QUEUES; i++) {
        d->vring[i].kick_fd = -1;
        d->vring[i].call_fd = -1;
        d->vring[i].err_fd = -1;
    }
    for (i = 0; i < DUMMY_MEM_SLOTS; i++) {
        d->region_fds[i] = -1;
    }
    d->inflight_fd = -1;
    d->inflight_set_fd = -1;
    d->backend_req_fd = -1;
}

void dummy_dev_fini(struct dummy_dev *d)
{
    unsigned int i;

    for (i = 0; i < DUMMY_QUEUES; i++) {
        close_slot(&d->vring[i].kick_fd);
        close_slot(&d->vring[i].call_fd);
        close_slot(&d->vring[i].err_fd);
    }
    drop_regions(d);
    close_slot(&d->inflight_fd);
    close_slot(&d->inflight_set_fd);
    close_slot(&d->backend_req_fd);
}

int dummy_pair_open(struct dummy_pair *p, const char *path)
{
    int lfd, bfd, ffd, rc;

    memset(p, 0, sizeof(*p));
    dummy_dev_init(&p->dev);
    rc = vhu_listen(path, &lfd);
    if (rc < 0) {
        return rc;
    }
    /* The listen backlog takes the connection before accept(). */
    rc = vhu_connect(path, &ffd);
    if (rc == 0) {
        rc = vhu_accept(lfd, &bfd);
        if (rc < 0) {
            close(ffd);
        }
    }
    close(lfd);
    unlink(path);
    if (rc < 0) {
        return rc;
    }
    rc = vhu_frontend_new(&p->fe, ffd, DUMMY_QUEUES);
    if (rc < 0) {
        close(bfd);
        return rc;
    }
    rc =
        vhu_backend_new(&p->be, bfd, DUMMY_QUEUES, &dummy_backend_ops, &p->dev);
    if (rc < 0) {
        vhu_frontend_free(p->fe);
        p->fe = NULL;
    }
    return rc;
}

static void *serve(void *arg)
{
    struct dummy_pair *p = arg;

    while (!p->nmsgs || p->nrcs < p->nmsgs) {
        int rc = vhu_backend_handle_one(p->be);

        if (p->nrcs < DUMMY_MAX_RCS) {
            p->rcs[p->nrcs] = rc;
        }
        p->nrcs++;
        if (vhu_backend_is_broken(p->be)) {
            break;
        }
    }
    return NULL;
}

int dummy_pair_serve(struct dummy_pair *p, unsigned int n)
{
    int err;

    if (p->serving || n > DUMMY_MAX_RCS) {
        return -EBUSY;
    }
    p->nmsgs = n;
    p->nrcs = 0;
    err = pthread_create(&p->thread, NULL, serve, p);
    if (err) {
        return -err;
    }
    p->serving = true;
    return 0;
}

void dummy_pair_wait(struct dummy_pair *p)
{
    if (p->serving) {
        pthread_join(p->thread, NULL);
        p->serving = false;
    }
}

void dummy_pair_close(struct dummy_pair *p)
{
    /* The serving thread sees the hang-up and ends. */
    vhu_frontend_free(p->fe);
    p->fe = NULL;
    dummy_pair_wait(p);
    vhu_backend_free(p->be);
    p->be = NULL;
    dummy_dev_fini(&p->dev);
}

int dummy_pair_negotiate(struct dummy_pair *p, uint64_t pf_mask)
{
    uint64_t f = 0, pf = 0;
    unsigned int i;
    int rc;

    rc = dummy_pair_serve(p, 5);
    if (rc < 0) {
        return rc;
    }
    rc = vhu_fe_set_owner(p->fe);
    if (rc == 0) {
        rc = vhu_fe_get_features(p->fe, &f);
    }
    if (rc == 0) {
        rc = vhu_fe_set_features(p->fe, f & ~1ull);
    }
    if (rc == 0) {
        rc = vhu_fe_get_protocol_features(p->fe, &pf);
    }
    if (rc == 0) {
        const uint64_t inband_needs =
            VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_REPLY_ACK);

        pf &= pf_mask;
        /* In-band notifications only come with what they need. */
        if ((pf & inband_needs) != inband_needs) {
            pf &= ~VHU_PF_BIT(VHU_PF_INBAND_NOTIFICATIONS);
        }
        rc = vhu_fe_set_protocol_features(p->fe, pf);
    }
    if (rc < 0) {
        /* Unblock the thread: it is waiting for messages that won't come. */
        shutdown(vhu_frontend_fd(p->fe), SHUT_RDWR);
    }
    dummy_pair_wait(p);
    for (i = 0; rc == 0 && i < p->nrcs && i < DUMMY_MAX_RCS; i++) {
        rc = p->rcs[i] < 0 ? p->rcs[i] : 0;
    }
    return rc;
}
