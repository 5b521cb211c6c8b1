/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax.h - vhostfs-client's DAX cache window: the VMM's side of the backend
 * request channel (map, unmap and sync requests, in either dialect) over
 * an address range reserved PROT_NONE, and the `dax` command that drives
 * a backend through the Linux guest's mapping sequence.
 */
#ifndef VHOSTFS_CLIENT_DAX_H
#define VHOSTFS_CLIENT_DAX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhu-frontend-handler.h"
#include "vhu-frontend.h"

/* Where the window sits in guest-physical space: far above guest RAM. */
#define VFC_DAX_WINDOW_GPA (1ull << 40)

/*
 * The window: @size bytes at @base, PROT_NONE where nothing is mapped,
 * guest-physical VFC_DAX_WINDOW_GPA.  @ram (@ram_size bytes at
 * guest-physical 0) is the guest's RAM, which FS_IO may also reach; NULL
 * if none.  The counters are updated by the thread that serves the
 * channel.
 */
struct vfc_dax_window {
    uint8_t *base;
    uint64_t size;
    uint64_t page;
    uint8_t *ram;
    uint64_t ram_size;
    atomic_uint maps, unmaps, syncs, ios, refused;
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
 * reads the file into (flag READ) or writes it from (flag WRITE) the
 * guest-physical range of each entry, which must lie whole in RAM or in
 * the window, and answers the bytes moved.  Fds are not kept (the
 * mapping holds the file).
 */
extern const struct vhu_frontend_req_ops vfc_dax_ops;

/*
 * The backend request channel over a window: a frontend handler with
 * vfc_dax_ops, handed to the backend with SET_BACKEND_REQ_FD and served
 * by a thread of its own, so requests that wait for a reply can make the
 * backend send map requests meanwhile.
 */
struct vfc_dax_channel {
    struct vhu_frontend_handler *h;
    pthread_t thread;
    bool thread_up;
    int stop_fd;
    atomic_int err; /* why the thread stopped serving, 0 while it serves */
};

/**
 * vfc_dax_channel_start() - make the channel for @w in @dialect, give it
 * to the backend behind @fe and start serving it.  Returns 0, or an error
 * code with *@step naming what failed ("handler", "SET_BACKEND_REQ_FD" or
 * "thread"); vfc_dax_channel_stop() cleans up either way.
 */
int vfc_dax_channel_start(struct vfc_dax_channel *c, struct vhu_frontend *fe,
                          enum vhu_backend_dialect dialect,
                          struct vfc_dax_window *w, const char **step);

/** vfc_dax_channel_stop() - stop the thread, free the handler. */
void vfc_dax_channel_stop(struct vfc_dax_channel *c);

#endif /* VHOSTFS_CLIENT_DAX_H */
