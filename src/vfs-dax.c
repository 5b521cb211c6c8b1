/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-dax.c - DAX mappings sent to the VMM on the backend request channel,
 * in the dialect --dax chose (doc/PROTOCOL.md, "the DAX numbering
 * clash"): SHMEM_MAP / SHMEM_UNMAP on shared memory region 0
 * (VIRTIO_FS_SHMCAP_ID_CACHE), or FS_MAP / FS_UNMAP / FS_SYNC; and FS_IO
 * for READ and WRITE buffers in guest memory the daemon cannot map.
 *
 * Security model: offsets and lengths were checked by the fs against the
 * window before they get here (FS_IO: the guest-physical address is the
 * guest's, and only the VMM can tell whether it may be reached: it must
 * check); the VMM's ack is checked by vhu_breq, and an FS_IO count can
 * never exceed what was asked.  A
 * VMM that refuses, or a channel that is missing or broken, is an error
 * for the one guest request, never more.
 *
 * Queue threads call these at once; breq_lock (read side) keeps the
 * channel alive while a request is out, set_backend_req_fd() takes the
 * write side to replace it.
 */
#include <errno.h>
#include <string.h>
#include <linux/virtio_fs.h>

#include "vfs-int.h"
#include "vhu-error.h"

/* fs-cache dialect flags (doc/PROTOCOL.md). */
#define FS_FLAG_READ  0x1ull
#define FS_FLAG_WRITE 0x2ull

static int fs_msg(uint64_t foffset, uint64_t moffset, uint64_t len,
                  uint64_t flags, struct vhu_fs_backend_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->fd_offset[0] = foffset;
    m->cache_offset[0] = moffset;
    m->len[0] = len;
    m->flags[0] = flags;
    return 0;
}

static int result(int rc)
{
    return rc < 0 ? vhu_err_errno(rc) : 0;
}

int vfs_dax_map(void *ctx, int fd, uint64_t foffset, uint64_t moffset,
                uint64_t len, bool writable)
{
    struct vfs_device *dev = ctx;
    struct vhu_fs_backend_msg fm;
    struct vhu_shmem_map sm;
    int rc;

    pthread_rwlock_rdlock(&dev->breq_lock);
    if (!dev->breq) {
        rc = -ENOTCONN;
    } else if (dev->opts.dax_dialect == VHU_DIALECT_UPSTREAM) {
        memset(&sm, 0, sizeof(sm));
        sm.shmid = VIRTIO_FS_SHMCAP_ID_CACHE;
        sm.fd_offset = foffset;
        sm.shm_offset = moffset;
        sm.len = len;
        sm.flags = writable ? VHU_SHMEM_MAP_F_WRITABLE : 0;
        rc = result(vhu_breq_shmem_map(dev->breq, &sm, fd));
    } else {
        fs_msg(foffset, moffset, len,
               FS_FLAG_READ | (writable ? FS_FLAG_WRITE : 0), &fm);
        rc = result(vhu_breq_fs_map(dev->breq, &fm, fd));
    }
    pthread_rwlock_unlock(&dev->breq_lock);
    return rc;
}

int vfs_dax_unmap(void *ctx, uint64_t moffset, uint64_t len)
{
    struct vfs_device *dev = ctx;
    struct vhu_fs_backend_msg fm;
    struct vhu_shmem_map sm;
    int rc;

    pthread_rwlock_rdlock(&dev->breq_lock);
    if (!dev->breq) {
        rc = -ENOTCONN;
    } else if (dev->opts.dax_dialect == VHU_DIALECT_UPSTREAM) {
        memset(&sm, 0, sizeof(sm));
        sm.shmid = VIRTIO_FS_SHMCAP_ID_CACHE;
        sm.shm_offset = moffset;
        sm.len = len;
        rc = result(vhu_breq_shmem_unmap(dev->breq, &sm));
    } else {
        fs_msg(0, moffset, len, 0, &fm);
        rc = result(vhu_breq_fs_unmap(dev->breq, &fm));
    }
    pthread_rwlock_unlock(&dev->breq_lock);
    return rc;
}

int vfs_dax_sync(void *ctx, uint64_t moffset, uint64_t len)
{
    struct vfs_device *dev = ctx;
    struct vhu_fs_backend_msg fm;
    int rc;

    if (dev->opts.dax_dialect != VHU_DIALECT_FS_CACHE) {
        return 0; /* no such request upstream; MAP_SHARED covers it */
    }
    pthread_rwlock_rdlock(&dev->breq_lock);
    if (!dev->breq) {
        rc = -ENOTCONN;
    } else {
        fs_msg(0, moffset, len, 0, &fm);
        rc = result(vhu_breq_fs_sync(dev->breq, &fm));
    }
    pthread_rwlock_unlock(&dev->breq_lock);
    return rc;
}

ssize_t vfs_dax_window_io(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                          uint64_t len, bool to_file)
{
    struct vfs_slot *s = opaque;
    struct vfs_device *dev = s->q->dev;
    struct vhu_fs_backend_msg fm;
    int64_t r;

    fs_msg(fd_off, gpa, len, to_file ? FS_FLAG_WRITE : FS_FLAG_READ, &fm);
    pthread_rwlock_rdlock(&dev->breq_lock);
    if (!dev->breq) {
        r = -ENOTCONN;
    } else {
        r = vhu_breq_fs_io(dev->breq, &fm, fd);
        r = r < 0 ? vhu_err_errno((int)r) : r;
    }
    pthread_rwlock_unlock(&dev->breq_lock);
    return (ssize_t)r;
}
