/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax.h - vhostfs-client's DAX cache window: the VMM's side of the backend
 * request channel (map, unmap and sync requests, in either dialect) over
 * an address range reserved PROT_NONE, and the `dax` command that drives
 * a backend through the Linux guest's mapping sequence.
 */
#ifndef VHOSTFS_CLIENT_DAX_H
#define VHOSTFS_CLIENT_DAX_H

#include <stdatomic.h>
#include <stdint.h>

#include "vhu-frontend-handler.h"

/*
 * The window: @size bytes at @base, PROT_NONE where nothing is mapped.
 * The counters are updated by the thread that serves the channel.
 */
struct vfc_dax_window {
    uint8_t *base;
    uint64_t size;
    uint64_t page;
    atomic_uint maps, unmaps, syncs, refused;
};

/**
 * vfc_dax_window_init() - reserve @size bytes (a multiple of the page
 * size) PROT_NONE.  Returns 0 or -errno.
 */
int vfc_dax_window_init(struct vfc_dax_window *w, uint64_t size);

/** vfc_dax_window_fini() - unmap the whole window. */
void vfc_dax_window_fini(struct vfc_dax_window *w);

/*
 * The frontend handler's ops on a window (ctx: struct vfc_dax_window *).
 * A map is refused (-EINVAL, -EOVERFLOW, -EBADF) unless the range is
 * page-aligned, inside the window, and starts inside the file; the fd is
 * mapped MAP_SHARED | MAP_FIXED, read-only unless the request says
 * writable.  Unmap restores PROT_NONE; FS_SYNC is msync(MS_SYNC).  FS_IO
 * is not served.  Fds are not kept (the mapping holds the file).
 */
extern const struct vhu_frontend_req_ops vfc_dax_ops;

#endif /* VHOSTFS_CLIENT_DAX_H */
