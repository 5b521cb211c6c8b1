/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse-dev.h - the /dev/fuse transport: serve a filesystem on the host
 * through the kernel's FUSE client (vhostfsd --mount=DIR).
 *
 * libfuse3 only mounts and unmounts; requests are read raw from the
 * session's fd into one buffer and given to the FUSE server (fsrv.h) as
 * one readable iovec, the reply written back with one writev().
 */
#ifndef VHOSTFS_FUSE_DEV_H
#define VHOSTFS_FUSE_DEV_H

#include <signal.h>
#include <stdbool.h>

#include "fs-ops.h"
#include "fsrv.h"

/**
 * struct fuse_dev_opts - how to mount.
 * @srv:           FUSE server options (NULL: defaults).
 * @mount_options: extra comma-separated mount options (-o), or NULL;
 *                 "fsname=vhostfs,subtype=vhostfs,default_permissions" are
 *                 not implied: pass what the daemon wants.
 * @allow_other:   let users other than the mounter use the mount.
 * @stop_fd:       if >= 0, the loop also ends when this fd becomes
 *                 readable (e.g. an eventfd written by a test); borrowed.
 * @ready:         called once the mount is in place (NULL: none), with
 *                 @ready_arg.
 */
struct fuse_dev_opts {
    const struct fsrv_opts *srv;
    const char *mount_options;
    bool allow_other;
    int stop_fd;
    void (*ready)(void *ready_arg);
    void *ready_arg;
};

/*
 * The signal that ends a SETLKW the kernel interrupts, unless
 * fuse_dev_opts.srv names another (struct fsrv_opts.interrupt_signal).
 */
#define FUSE_DEV_INTERRUPT_SIGNAL SIGUSR2

/**
 * fuse_dev_serve() - mount @dir, serve @fs through @ops until the mount
 * goes away (umount, fusermount3 -u), SIGINT or SIGTERM arrives, or
 * @opts->stop_fd is readable; then unmount cleanly.
 *
 * SIGINT and SIGTERM are blocked in the calling thread while it serves
 * (and restored afterwards); they end the loop.  A handler for the
 * interrupt signal (FUSE_DEV_INTERRUPT_SIGNAL by default) is installed
 * while serving: the daemon must not use that signal for anything else.  Call
 * it from the thread that should receive them, before other threads are
 * started, or block them there too.  @opts may be NULL (defaults, no stop fd).
 *
 * Return: 0 after a clean end; -errno if mounting failed (-ENODEV when
 * /dev/fuse cannot be used) or reading the device failed.
 */
int fuse_dev_serve(const char *dir, const struct fs_ops *ops, void *fs,
                   const struct fuse_dev_opts *opts);

#endif /* VHOSTFS_FUSE_DEV_H */
