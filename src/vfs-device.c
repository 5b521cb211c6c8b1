/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-device.c - the virtio-fs device's control plane: the vhost-user
 * requests, after the protocol library has validated them, applied to
 * guest memory and the queues.
 *
 * Security model: the frontend (VMM) is not trusted, but what reaches
 * these ops has passed vhu_msg_validate(): sizes, fd counts, queue index
 * below vfs_device_num_queues(), ring sizes, non-overlapping regions.
 * What is left to check here is state: a ring is changed only while its
 * thread is stopped, and addresses are checked against guest memory when
 * the ring starts (vq_start()).  Fds are stolen (set to -1) only when kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "vfs-int.h"
#include "vhu-error.h"
#include "vhu-msg.h"

#define VFS_FEATURES                                                           \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |    \
     (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_F_RING_PACKED) |      \
     (1ull << VHU_F_PROTOCOL_FEATURES))

#define VFS_PROTOCOL_FEATURES                                                  \
    (VHU_PF_BIT(VHU_PF_MQ) | VHU_PF_BIT(VHU_PF_REPLY_ACK) |                    \
     VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_BACKEND_SEND_FD) |     \
     VHU_PF_BIT(VHU_PF_CONFIG) | VHU_PF_BIT(VHU_PF_CONFIGURE_MEM_SLOTS) |      \
     VHU_PF_BIT(VHU_PF_RESET_DEVICE) | VHU_PF_BIT(VHU_PF_STATUS))

static struct vfs_queue *queue(struct vfs_device *dev, unsigned int index)
{
    /* vhu_msg_validate() bounds index by the queue count; check anyway. */
    return index < dev->nqueues ? &dev->queues[index] : NULL;
}

static void stop_all(struct vfs_device *dev)
{
    unsigned int i;

    for (i = 0; i < dev->nqueues; i++) {
        vfs_queue_stop(&dev->queues[i]);
    }
}

static int set_owner(void *opaque)
{
    struct vfs_device *dev = opaque;

    if (dev->owned) {
        return -EBUSY;
    }
    dev->owned = true;
    return 0;
}

/* RESET_OWNER (deprecated) and RESET_DEVICE: back to the initial state. */
static int reset(void *opaque)
{
    struct vfs_device *dev = opaque;
    unsigned int i;

    stop_all(dev);
    for (i = 0; i < dev->nqueues; i++) {
        dev->queues[i].kick_set = false;
        dev->queues[i].enabled = false;
    }
    dev->features = 0;
    dev->status = 0;
    return 0;
}

static int get_features(void *opaque, uint64_t *features)
{
    (void)opaque;
    *features = VFS_FEATURES;
    return 0;
}

static int set_features(void *opaque, uint64_t features)
{
    struct vfs_device *dev = opaque;
    unsigned int i;
    int rc;

    for (i = 0; i < dev->nqueues; i++) {
        if (dev->queues[i].running) {
            return -EBUSY; /* features change only while rings are stopped */
        }
        rc = vq_set_features(dev->queues[i].vq, features);
        if (rc < 0) {
            return rc;
        }
    }
    dev->features = features;
    return 0;
}

static int get_protocol_features(void *opaque, uint64_t *features)
{
    struct vfs_device *dev = opaque;

    *features = VFS_PROTOCOL_FEATURES;
    if (dev->opts.dax && dev->opts.dax_dialect == VHU_DIALECT_UPSTREAM) {
        *features |= VHU_PF_BIT(VHU_PF_SHMEM);
    }
    return 0;
}

static int set_protocol_features(void *opaque, uint64_t features)
{
    struct vfs_device *dev = opaque;

    dev->protocol_features = features;
    return 0;
}

static int set_mem_table(void *opaque, const struct vhu_mem_region *regions,
                         int *fds, unsigned int n)
{
    struct vfs_device *dev = opaque;

    /* The table is swapped whole; running requests keep the old one. */
    return gmem_set_table(dev->gm, regions, fds, n);
}

static int add_mem_reg(void *opaque, const struct vhu_mem_region *region,
                       int *fd)
{
    struct vfs_device *dev = opaque;

    return gmem_add_region(dev->gm, region, fd);
}

static int rem_mem_reg(void *opaque, const struct vhu_mem_region *region)
{
    struct vfs_device *dev = opaque;

    return gmem_remove_region(dev->gm, region);
}

static int get_max_mem_slots(void *opaque, uint64_t *slots)
{
    (void)opaque;
    *slots = GMEM_MAX_REGIONS;
    return 0;
}

static int set_vring_num(void *opaque, unsigned int index, unsigned int num)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_stop(q);
    return vq_set_num(q->vq, num);
}

static int set_vring_addr(void *opaque, const struct vhost_vring_addr *addr)
{
    struct vfs_queue *q = queue(opaque, addr->index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_stop(q);
    return vq_set_addr(q->vq, addr);
}

static int set_vring_base(void *opaque, unsigned int index, unsigned int num)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_stop(q);
    vhostfs_log(VHOSTFS_LOG_DEBUG, "queue %u: base 0x%x", index, num);
    return vq_set_base(q->vq, num);
}

/* GET_VRING_BASE stops the ring (spec: "Ring states"). */
static int get_vring_base(void *opaque, unsigned int index, unsigned int *num)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_stop(q);
    q->kick_set = false;
    *num = vq_get_base(q->vq);
    vhostfs_log(VHOSTFS_LOG_DEBUG, "queue %u: stopped at 0x%x", index, *num);
    return 0;
}

static int set_vring_kick(void *opaque, unsigned int index, int *fd)
{
    struct vfs_device *dev = opaque;
    struct vfs_queue *q = queue(dev, index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_pause(q);
    pthread_mutex_lock(&q->lock); /* pool workers push meanwhile */
    vq_set_kick_fd(q->vq, *fd);
    pthread_mutex_unlock(&q->lock);
    *fd = -1;
    q->kick_set = true;
    /* Without protocol features a ring is enabled once started. */
    if (!(dev->features & (1ull << VHU_F_PROTOCOL_FEATURES))) {
        q->enabled = true;
    }
    return vfs_queue_kick_off(q);
}

static int set_vring_call(void *opaque, unsigned int index, int *fd)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    /* The VMM switches call fds on a running ring (irqfd): pause it. */
    vfs_queue_pause(q);
    pthread_mutex_lock(&q->lock); /* pool workers push meanwhile */
    vq_set_call_fd(q->vq, *fd);
    pthread_mutex_unlock(&q->lock);
    *fd = -1;
    return vfs_queue_kick_off(q);
}

static int set_vring_err(void *opaque, unsigned int index, int *fd)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    vfs_queue_pause(q);
    pthread_mutex_lock(&q->lock); /* pool workers push meanwhile */
    vq_set_err_fd(q->vq, *fd);
    pthread_mutex_unlock(&q->lock);
    *fd = -1;
    return vfs_queue_kick_off(q);
}

static int set_vring_enable(void *opaque, unsigned int index, bool enable)
{
    struct vfs_queue *q = queue(opaque, index);

    if (!q) {
        return -EINVAL;
    }
    q->enabled = enable;
    if (!enable) {
        vfs_queue_pause(q);
        return 0;
    }
    return vfs_queue_kick_off(q);
}

static int get_queue_num(void *opaque, uint64_t *num)
{
    struct vfs_device *dev = opaque;

    *num = dev->nqueues;
    return 0;
}

static int set_backend_req_fd(void *opaque, int *fd)
{
    struct vfs_device *dev = opaque;
    bool ack = dev->protocol_features & VHU_PF_BIT(VHU_PF_REPLY_ACK);
    struct vhu_breq *b = NULL;
    int rc;

    rc = vhu_breq_new(&b, *fd, ack,
                      dev->opts.dax ? dev->opts.dax_dialect
                                    : VHU_DIALECT_UPSTREAM);
    *fd = -1; /* vhu_breq_new() owns it, also on failure */
    /* Waits for a map request in flight (vfs-dax.c) to finish. */
    pthread_rwlock_wrlock(&dev->breq_lock);
    vhu_breq_free(dev->breq);
    dev->breq = rc < 0 ? NULL : b;
    pthread_rwlock_unlock(&dev->breq_lock);
    return rc < 0 ? vhu_err_errno(rc) : 0;
}

/* The cache window is shared memory region 0 (virtio 1.2 5.11.5). */
static int get_shmem_config(void *opaque, struct vhu_shmem_config *cfg)
{
    struct vfs_device *dev = opaque;

    if (!dev->opts.dax || dev->opts.dax_dialect != VHU_DIALECT_UPSTREAM) {
        return -ENOTSUP;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->nregions = 1;
    cfg->memory_sizes[VIRTIO_FS_SHMCAP_ID_CACHE] = dev->opts.dax_window;
    return 0;
}

/* virtio 1.2 5.11.4: struct virtio_fs_config, read-only. */
static int get_config(void *opaque, struct vhu_config *cfg)
{
    struct vfs_device *dev = opaque;
    struct virtio_fs_config c;

    memset(&c, 0, sizeof(c));
    memcpy(c.tag, dev->tag, sizeof(c.tag));
    c.num_request_queues = dev->opts.num_request_queues;
    if (cfg->offset > sizeof(c) || cfg->size > sizeof(c) - cfg->offset) {
        return -EINVAL;
    }
    memcpy(cfg->payload, (const uint8_t *)&c + cfg->offset, cfg->size);
    return 0;
}

static int set_config(void *opaque, const struct vhu_config *cfg)
{
    (void)opaque;
    (void)cfg;
    return -EPERM; /* the tag and queue count are the daemon's */
}

static int set_status(void *opaque, uint8_t status)
{
    struct vfs_device *dev = opaque;

    dev->status = status;
    return 0;
}

static int get_status(void *opaque, uint8_t *status)
{
    struct vfs_device *dev = opaque;

    *status = dev->status;
    return 0;
}

const struct vhu_backend_ops vfs_device_ops = {
    .set_owner = set_owner,
    .reset_owner = reset,
    .get_features = get_features,
    .set_features = set_features,
    .get_protocol_features = get_protocol_features,
    .set_protocol_features = set_protocol_features,
    .set_mem_table = set_mem_table,
    .set_vring_num = set_vring_num,
    .set_vring_addr = set_vring_addr,
    .set_vring_base = set_vring_base,
    .get_vring_base = get_vring_base,
    .set_vring_kick = set_vring_kick,
    .set_vring_call = set_vring_call,
    .set_vring_err = set_vring_err,
    .get_queue_num = get_queue_num,
    .set_vring_enable = set_vring_enable,
    .set_backend_req_fd = set_backend_req_fd,
    .get_config = get_config,
    .set_config = set_config,
    .get_max_mem_slots = get_max_mem_slots,
    .add_mem_reg = add_mem_reg,
    .rem_mem_reg = rem_mem_reg,
    .reset_device = reset,
    .set_status = set_status,
    .get_status = get_status,
    .get_shmem_config = get_shmem_config,
};

int vfs_device_new(struct vfs_device **out, const struct vfs_device_opts *o,
                   struct fsrv *srv)
{
    struct vfs_device *dev;
    size_t taglen = o->tag ? strlen(o->tag) : 0;
    unsigned int i;
    int rc;

    if (!taglen || taglen > VFS_TAG_MAX || !o->num_request_queues ||
        o->num_request_queues > VFS_MAX_REQUEST_QUEUES) {
        return -EINVAL;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev) {
        return -ENOMEM;
    }
    dev->opts = *o;
    dev->opts.tag = NULL; /* copied into dev->tag, padded with NULs */
    memcpy(dev->tag, o->tag, taglen);
    dev->srv = srv;
    pthread_rwlock_init(&dev->breq_lock, NULL);
    dev->nqueues = 1 + o->num_request_queues;
    rc = gmem_new(&dev->gm);
    if (rc < 0) {
        free(dev);
        return rc;
    }
    dev->queues = calloc(dev->nqueues, sizeof(*dev->queues));
    if (!dev->queues) {
        vfs_device_free(dev);
        return -ENOMEM;
    }
    for (i = 0; i < dev->nqueues; i++) {
        rc = vfs_queue_init(&dev->queues[i], dev, i);
        if (rc < 0) {
            vfs_device_free(dev);
            return rc;
        }
    }
    if (o->thread_pool_size) {
        rc = vfs_pool_new(&dev->pool, o->thread_pool_size, vfs_queue_serve);
        if (rc < 0) {
            vfs_device_free(dev);
            return rc;
        }
    }
    *out = dev;
    return 0;
}

unsigned int vfs_device_num_queues(const struct vfs_device *dev)
{
    return dev->nqueues;
}

void vfs_device_free(struct vfs_device *dev)
{
    unsigned int i;

    if (!dev) {
        return;
    }
    if (dev->srv && fsrv_pending(dev->srv)) {
        /* A SETLKW still waits and will complete into a slot: keep all. */
        vhostfs_log(VHOSTFS_LOG_WARNING,
                    "%u lock requests still wait; device not freed",
                    fsrv_pending(dev->srv));
        stop_all(dev);
        return;
    }
    /* Queue threads first (no new work), then the workers (drained). */
    stop_all(dev);
    vfs_pool_free(dev->pool);
    for (i = 0; dev->queues && i < dev->nqueues; i++) {
        vfs_queue_destroy(&dev->queues[i]);
    }
    free(dev->queues);
    vhu_breq_free(dev->breq);
    pthread_rwlock_destroy(&dev->breq_lock);
    gmem_free(dev->gm);
    free(dev);
}
