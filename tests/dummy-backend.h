/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dummy-backend.h - a device for the tests: it remembers what the frontend
 * set and refuses what a real device would (a second SET_OWNER, a queue
 * index or ring size out of range, overlapping memory regions).
 *
 * Fds: every fd an op keeps (kick/call/err, memory regions, the backend
 * request socket, the inflight memfds) is the device's until
 * dummy_dev_fini(), which closes them all.  The inflight memfd returned by
 * get_inflight_fd stays the device's (the library only sends it).
 *
 * set_log_base, set_log_fd, get_shmem_config and vring_kick are left NULL:
 * the tests use them to see requests the device does not implement.
 */
#ifndef VHOSTFS_DUMMY_BACKEND_H
#define VHOSTFS_DUMMY_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhu-backend.h"
#include "vhu-frontend.h"

#define DUMMY_QUEUES      2u
#define DUMMY_MAX_RING    256u
#define DUMMY_MEM_SLOTS   32u
#define DUMMY_CONFIG_SIZE 512u
/* Bits 0, 1, 32 and F_PROTOCOL_FEATURES (30). */
#define DUMMY_FEATURES 0x140000003ull
/* All the library knows except LOG_SHMFD. */
#define DUMMY_PROTOCOL_FEATURES                                                \
    (VHU_PF_ALL_KNOWN & ~VHU_PF_BIT(VHU_PF_LOG_SHMFD))

struct dummy_vring {
    unsigned int num;
    unsigned int base;
    bool enabled;
    bool addr_set;
    struct vhost_vring_addr addr;
    int kick_fd, call_fd, err_fd;
};

struct dummy_dev {
    bool owned;
    uint64_t acked_features;
    uint64_t acked_protocol_features;
    struct dummy_vring vring[DUMMY_QUEUES];
    uint8_t config[DUMMY_CONFIG_SIZE];
    int inflight_fd;     /* made by get_inflight_fd */
    int inflight_set_fd; /* received with set_inflight_fd */
    struct vhu_inflight inflight;
    struct vhu_mem_region regions[DUMMY_MEM_SLOTS];
    int region_fds[DUMMY_MEM_SLOTS];
    unsigned int nregions;
    int backend_req_fd;
    uint8_t status;
};

extern const struct vhu_backend_ops dummy_backend_ops;

void dummy_dev_init(struct dummy_dev *d);
/* Close every fd the device kept. */
void dummy_dev_fini(struct dummy_dev *d);

/* Messages of one serving run recorded at most. */
#define DUMMY_MAX_RCS 64

/*
 * A frontend and a backend serving a dummy device, connected over a Unix
 * socket.  The backend is driven either in the caller's thread
 * (vhu_backend_handle_one(p->be)) or by a thread of its own
 * (dummy_pair_serve() / dummy_pair_wait()).
 */
struct dummy_pair {
    struct dummy_dev dev;
    struct vhu_frontend *fe;
    struct vhu_backend *be;
    pthread_t thread;
    bool serving;
    unsigned int nmsgs;     /* to handle; 0: until the connection breaks */
    int rcs[DUMMY_MAX_RCS]; /* vhu_backend_handle_one()'s returns */
    unsigned int nrcs;
};

/* Listen on @path, connect, accept; the backend has DUMMY_QUEUES queues. */
int dummy_pair_open(struct dummy_pair *p, const char *path);
/* Stop serving (closing the frontend first), free both ends and the dev. */
void dummy_pair_close(struct dummy_pair *p);
/* Handle @n messages (0: until broken) in a thread; results in p->rcs. */
int dummy_pair_serve(struct dummy_pair *p, unsigned int n);
void dummy_pair_wait(struct dummy_pair *p);

/*
 * SET_OWNER, GET/SET_FEATURES (DUMMY_FEATURES minus bit 0), GET/
 * SET_PROTOCOL_FEATURES (what the device offers, masked by @pf_mask, less
 * INBAND_NOTIFICATIONS when BACKEND_REQ or REPLY_ACK is masked out), the
 * backend served by a thread for those five messages.  0 or the first
 * error (of either side).
 */
int dummy_pair_negotiate(struct dummy_pair *p, uint64_t pf_mask);

#endif /* VHOSTFS_DUMMY_BACKEND_H */
