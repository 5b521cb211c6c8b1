/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve.c - vhostfsd's transports: the passthrough filesystem (pt) under
 * the FUSE server (fsrv), reached either through a virtio-fs device on a
 * vhost-user connection (vfs-device) or through /dev/fuse (fuse-dev).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsrv.h"
#include "fuse-dev.h"
#include "log.h"
#include "pt.h"
#include "serve.h"
#include "vfs-device.h"
#include "vhu-backend.h"
#include "vhu-conn.h"
#include "vhu-error.h"

/* Default virtio-fs tag when --tag is not given (QEMU sets its own). */
#define DEFAULT_TAG "vhostfs"
/* SETLKW requests that may wait at once, per queue. */
#define MAX_BLOCKED_LOCKS 64

static void pt_options_from(const struct vfsd_options *o,
                            struct pt_options *pto)
{
    static const enum pt_cache cache[] = {
        [VFSD_CACHE_AUTO] = PT_CACHE_AUTO,
        [VFSD_CACHE_ALWAYS] = PT_CACHE_ALWAYS,
        [VFSD_CACHE_METADATA] = PT_CACHE_METADATA,
        [VFSD_CACHE_NEVER] = PT_CACHE_NEVER,
    };
    static const enum pt_dax_inode dax_inode[] = {
        [VFSD_DAX_INODE_OFF] = PT_DAX_INODE_OFF,
        [VFSD_DAX_INODE_ALWAYS] = PT_DAX_INODE_ALWAYS,
        [VFSD_DAX_INODE_FLAG] = PT_DAX_INODE_FLAG,
    };
    static const enum pt_fh_mode fh[] = {
        [VFSD_INODE_FH_NEVER] = PT_FH_NEVER,
        [VFSD_INODE_FH_PREFER] = PT_FH_PREFER,
        [VFSD_INODE_FH_MANDATORY] = PT_FH_MANDATORY,
    };

    pt_options_default(pto);
    pto->cache = cache[o->cache];
    pto->inode_file_handles = fh[o->inode_file_handles];
    pto->writeback = o->writeback;
    pto->xattr = o->xattr;
    pto->announce_submounts = o->announce_submounts;
    pto->readonly = o->readonly;
    pto->posix_locks = o->posix_lock;
    pto->flock = o->flock;
    pto->readdirplus = o->readdirplus;
    pto->killpriv_v2 = o->killpriv_v2;
    pto->dax_inode = dax_inode[o->dax_inode];
}

/*
 * SIGINT/SIGTERM while the control thread waits for the VMM: remove the
 * socket file and leave.  Only async-signal-safe calls here.
 */
static const char *socket_to_unlink;

static void on_signal(int sig)
{
    static const char msg[] = "vhostfsd: terminated by signal\n";

    (void)sig;
    if (socket_to_unlink) {
        unlink(socket_to_unlink);
    }
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to do */
    }
    _exit(0);
}

/* Wait for the VMM on @lfd, or take --fd as the connection. */
static int get_connection(const struct vfsd_options *o, int lfd)
{
    int rc, fd = -1;
    char buf[128];

    if (lfd < 0 && !o->fd_listening) {
        return o->fd; /* an accepted connection, handed over */
    }
    if (lfd < 0) {
        lfd = o->fd;
    }
    vhostfs_log(VHOSTFS_LOG_INFO, "waiting for the VMM on %s",
                o->socket_path ? o->socket_path : "the inherited socket");
    rc = vhu_accept(lfd, &fd);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "accept: %s",
                    vhu_strerror(rc, buf, sizeof(buf)));
        return rc;
    }
    return fd;
}

/* Page size alignment: what mmap() in the VMM needs, below 2 MiB. */
static uint8_t dax_align_log2(void)
{
    long page = sysconf(_SC_PAGESIZE);

    return page > 0 ? (uint8_t)__builtin_ctzl((unsigned long)page) : 12;
}

/* SETUPMAPPING/REMOVEMAPPING of @fs go to @dev's backend requests. */
static int set_dax_mapper(const struct vfsd_options *o, struct pt_fs *fs,
                          struct vfs_device *dev)
{
    struct pt_dax_mapper m = {
        .map = vfs_dax_map,
        .unmap = vfs_dax_unmap,
        .sync = vfs_dax_sync,
        .ctx = dev,
        .window_size = o->dax_window,
        .align = 1ull << dax_align_log2(),
    };

    if (o->dax == VFSD_DAX_OFF) {
        return 0;
    }
    return pt_set_dax_mapper(fs, &m);
}

static int serve_vhost_user(const struct vfsd_options *o, int lfd,
                            struct fsrv *srv, struct pt_fs *fs)
{
    struct vfs_device_opts dopts = {
        .tag = o->tag ? o->tag : DEFAULT_TAG,
        .num_request_queues = o->num_request_queues,
        .max_blocked_locks = MAX_BLOCKED_LOCKS,
        .thread_pool_size = o->thread_pool_size,
        .poll_us = o->poll_us,
        .dax = o->dax != VFSD_DAX_OFF,
        .dax_dialect = o->dax == VFSD_DAX_FS_CACHE ? VHU_DIALECT_FS_CACHE
                                                   : VHU_DIALECT_UPSTREAM,
        .dax_window = o->dax_window,
    };
    struct vfs_device *dev = NULL;
    struct vhu_backend *be = NULL;
    char buf[128];
    int fd, rc;

    rc = vfs_device_new(&dev, &dopts, srv);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "cannot create the device: %s",
                    strerror(-rc));
        return rc;
    }
    rc = set_dax_mapper(o, fs, dev);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "cannot set up DAX: %s", strerror(-rc));
        vfs_device_free(dev);
        return rc;
    }
    fd = get_connection(o, lfd);
    if (fd < 0) {
        vfs_device_free(dev);
        return fd;
    }
    rc = vhu_backend_new(&be, fd, vfs_device_num_queues(dev), &vfs_device_ops,
                         dev);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "%s", vhu_strerror(rc, buf, sizeof(buf)));
        vfs_device_free(dev);
        return vhu_err_errno(rc);
    }
    vhostfs_log(VHOSTFS_LOG_INFO, "VMM connected");
    rc = vhu_backend_run(be);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "vhost-user connection failed: %s",
                    vhu_strerror(rc, buf, sizeof(buf)));
        rc = vhu_err_errno(rc);
    } else {
        vhostfs_log(VHOSTFS_LOG_INFO, "VMM disconnected; exiting");
    }
    /* Queue threads stop before the connection's state goes. */
    vfs_device_free(dev);
    vhu_backend_free(be);
    return rc;
}

static void mounted(void *arg)
{
    vhostfs_log(VHOSTFS_LOG_INFO, "mounted on %s", (const char *)arg);
}

static int serve_fuse(const struct vfsd_options *o, struct pt_fs *fs,
                      const struct fsrv_opts *fo)
{
    struct fuse_dev_opts dopts = {
        .srv = fo,
        .mount_options = "default_permissions",
        .allow_other = true,
        .stop_fd = -1,
        .ready = mounted,
        .ready_arg = o->mount_point,
    };
    int rc;

    rc = fuse_dev_serve(o->mount_point, &pt_fs_ops, fs, &dopts);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "serving %s through /dev/fuse: %s",
                    o->mount_point, strerror(-rc));
    } else {
        vhostfs_log(VHOSTFS_LOG_INFO, "unmounted %s; exiting", o->mount_point);
    }
    return rc;
}

int vfsd_serve(const struct vfsd_options *o, int lfd)
{
    /* DAX only through a virtio-fs device (a cache window). */
    struct fsrv_opts fo = {
        .writeback = o->writeback,
        .dax = o->dax != VFSD_DAX_OFF && !o->mount_point,
        .map_alignment = dax_align_log2(),
    };
    struct pt_options pto;
    struct pt_fs *fs = NULL;
    struct fsrv *srv;
    int rc;

    pt_options_from(o, &pto);
    rc = pt_create(o->shared_dir, &pto, &fs);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "cannot serve '%s': %s", o->shared_dir,
                    strerror(-rc));
        return rc;
    }
    if (o->mount_point) {
        if (o->dax != VFSD_DAX_OFF) {
            vhostfs_log(VHOSTFS_LOG_WARNING,
                        "--dax: no cache window through /dev/fuse; ignored");
        }
        rc = serve_fuse(o, fs, &fo);
        pt_destroy(fs);
        return rc;
    }
    srv = fsrv_new(&pt_fs_ops, fs, &fo);
    if (!srv) {
        rc = -errno;
        pt_destroy(fs);
        return rc;
    }
    socket_to_unlink = o->socket_path;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* A VMM that goes away mid-reply is an error, not a SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    rc = serve_vhost_user(o, lfd, srv, fs);
    if (!fsrv_pending(srv)) {
        fsrv_free(srv);
        pt_destroy(fs);
    }
    return rc;
}
