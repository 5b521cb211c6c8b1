/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-harness.h - a "guest" for virtqueue tests and the benchmark: guest
 * memory made of memfds, mapped once by the device's struct gmem and once
 * by the driver's (as a VMM and a backend would), and a queue pair: the
 * device side (struct vq) and the driver side (struct vq_driver) of one
 * ring, with real eventfds.
 *
 * Guest-physical layout: region 0 holds the rings from GPA 0 and, when
 * indirect tables are wanted, the indirect area after them; the data
 * area follows, split over data_regions regions of odd sizes (so buffers
 * straddle region boundaries), each its own memfd, the second one mapped
 * from a mmap_offset that is not page aligned (but 16-aligned, so a ring
 * may be placed there).  VMM virtual addresses
 * are made up and not adjacent.
 */
#ifndef VHOSTFS_VQ_HARNESS_H
#define VHOSTFS_VQ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem.h"
#include "vq-driver.h"
#include "vq.h"

#define VQH_MAX_REGIONS 8u

struct vqh_config {
    enum vq_layout layout;
    unsigned int num;
    bool event_idx;
    bool indirect;             /* negotiate INDIRECT_DESC, indirect area */
    uint64_t data_size;        /* bytes of data area */
    unsigned int data_regions; /* 1 .. VQH_MAX_REGIONS - 1 */
    bool eventfds;             /* kick/call eventfds (else none) */
};

struct vqh {
    struct vqh_config cfg;
    struct gmem *dev_gm; /* the device's mapping */
    struct gmem *drv_gm; /* the driver's (VMM's) mapping */
    struct gmem_table *drv_mem;
    unsigned int nregions;
    struct vhu_mem_region regions[VQH_MAX_REGIONS];
    uint64_t data_gpa; /* start of the data area */
    struct vq *vq;
    struct vq_driver *drv;
    int kick_fd; /* driver's ends (the vq owns dups) */
    int call_fd;
    int err_fd; /* read end of the vq's err eventfd (dup) */
};

/**
 * vqh_create() - build memory, start the device queue, create the
 * driver.  Returns 0 or a negative errno; on failure everything made so
 * far is freed.
 */
int vqh_create(struct vqh *h, const struct vqh_config *cfg);

/** vqh_destroy() - free everything (NULL-safe fields). */
void vqh_destroy(struct vqh *h);

/** vqh_data() - host pointer (driver's mapping) of data GPA @gpa, or NULL
 * if [gpa, gpa + len) is not in one region. */
void *vqh_host(struct vqh *h, uint64_t gpa, uint64_t len);

/**
 * vqh_copy_to_guest() / vqh_copy_from_guest() - copy across region
 * boundaries through the driver's mapping.  Return 0 or -EFAULT.
 */
int vqh_copy_to_guest(struct vqh *h, uint64_t gpa, const void *buf,
                      uint64_t len);
int vqh_copy_from_guest(struct vqh *h, uint64_t gpa, void *buf, uint64_t len);

/* Data bytes per in-flight request slot of vqh_traffic(). */
#define VQH_SLOT_SIZE 160u

/*
 * vqh_traffic() - run @nreq requests between a device thread (started
 * here) and the driver (the calling thread), at most @depth in flight
 * (0: num), each carrying a sequence number and a byte pattern both ways
 * (48 bytes out, 40 bytes in, split over up to four descriptors as the
 * ring size allows, every third chain direct when @indirect).  Both sides
 * check everything they receive.  The data area needs depth *
 * VQH_SLOT_SIZE bytes.  With cfg.eventfds both sides sleep on eventfds
 * when idle; without, both poll with notifications suppressed.
 */
struct vqh_traffic {
    uint64_t nreq;
    unsigned int depth;
    bool indirect;
    /* results */
    uint64_t kicks;       /* kicks the driver sent */
    uint64_t calls;       /* calls the device sent */
    uint64_t dev_wakeups; /* times the device slept and woke */
    char err[256];        /* why it failed, "" on success */
};
int vqh_traffic(struct vqh *h, struct vqh_traffic *t);

#endif /* VHOSTFS_VQ_HARNESS_H */
