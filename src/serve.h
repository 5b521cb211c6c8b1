/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve.h - vhostfsd's transports, wired to the passthrough filesystem and
 * the FUSE server: vhost-user (virtio-fs for a VMM) and /dev/fuse (a host
 * mount, --mount).
 */
#ifndef VHOSTFS_SERVE_H
#define VHOSTFS_SERVE_H

#include "options.h"

/**
 * vfsd_serve() - serve @o->shared_dir until the VMM disconnects (vhost-user)
 * or the mount goes away (/dev/fuse).  @lfd: the listening socket of
 * --socket-path (borrowed), or -1 with --fd or --mount.
 *
 * Return: 0 after a clean end, -errno after logging why it failed.
 */
int vfsd_serve(const struct vfsd_options *o, int lfd);

#endif /* VHOSTFS_SERVE_H */
