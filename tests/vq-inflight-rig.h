/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-inflight-rig.h - for the inflight tests: a queue pair (vq-harness.h)
 * on a ring of NUM entries, with an inflight buffer in a memfd the
 * "frontend" keeps (fd), and a device that can crash and restart on the
 * same rings and buffer.  Request number tok travels in the first
 * readable buffer of its chain, so the device side can tell which
 * request an element is.  Every helper fails the test case on error.
 */
#ifndef VHOSTFS_VQ_INFLIGHT_RIG_H
#define VHOSTFS_VQ_INFLIGHT_RIG_H

#include <stdbool.h>
#include <sys/uio.h>

#include "vq-harness.h"
#include "vq-inflight.h"

#define NUM   8u /* ring size */
#define IOV_N 8u

struct rig {
    struct vqh h;
    bool packed;
    int fd; /* the buffer, as the frontend keeps it */
    struct vq_inflight_map map;
};

struct popped {
    struct iovec iov[IOV_N];
    struct vq_elem e;
};

/* A started queue (polling), its buffer, tracking attached. */
void rig_setup(struct rig *r, bool packed, bool indirect);
void rig_destroy(struct rig *r);

/* The device dies and a new one attaches: vq_inflight_attach()'s result. */
int rig_crash(struct rig *r);

/* vq_pop() into @p. */
int rig_pop(struct rig *r, struct popped *p);

/* Make request @tok available: @nd descriptors, @ind: indirect. */
void rig_add(struct rig *r, unsigned int tok, unsigned int nd, bool ind);

/* The request number an element carries. */
unsigned int rig_tok(const struct popped *p);

/* The driver reaps exactly requests @want[0..n), in that order. */
void rig_reap(struct rig *r, const unsigned int *want, unsigned int n);

/* Requests first .. first + n - 1 through the ring, one at a time. */
void rig_rounds(struct rig *r, unsigned int first, unsigned int n);

/* The queue's region of the buffer. */
void *rig_region(struct rig *r);

#endif /* VHOSTFS_VQ_INFLIGHT_RIG_H */
