/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfc.h - vhostfs-client internals: the VMM part (vmm.c), the guest FUSE
 * driver part (fuse.c) and the commands (one file each: check.c, ...).
 *
 * The client plays both the VMM and the guest against one vhost-user-fs
 * backend: it owns the guest memory (one memfd at guest-physical 0), the
 * rings (the project's driver side, vq-driver.h) and the frontend end of
 * the socket (vhu-frontend.h).  Everything the backend writes into guest
 * memory or sends on the socket is untrusted: replies are checked before
 * a command looks at them.
 *
 * Single-threaded: one request at a time per queue, waited for with a
 * timeout so a backend that hangs or dies is reported, not waited on.
 */
#ifndef VHOSTFS_CLIENT_VFC_H
#define VHOSTFS_CLIENT_VFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gmem.h"
#include "vhu-frontend.h"
#include "vhu-proto.h"
#include "vq-driver.h"

/* virtio-fs queues (virtio 1.2 5.11.2): hiprio, then request queues. */
#define VFC_QUEUE_HIPRIO  0u
#define VFC_QUEUE_REQUEST 1u
#define VFC_NUM_QUEUES    2u

/* Guest memory: one memfd at guest-physical 0 (see vmm.c for the map). */
#define VFC_MEM_SIZE   (64ull << 20)
#define VFC_RING_SIZE  128u
#define VFC_HEAP_START (1ull << 20)

/*
 * How long a reply is waited for by polling the used ring before sleeping
 * on the call eventfd: KVM's default halt_poll_ns (200 us), what a guest's
 * vCPU that halts to wait for an interrupt gets from its host.
 */
#define VFC_POLL_US_DEFAULT 200

/* Command line, as main.c parsed it. */
struct vfc_opts {
    const char *socket_path;               /* --socket: a running backend */
    const char *backend_cmd;               /* --backend: start one */
    const char *dir;                       /* --dir: the shared directory */
    enum vq_layout layout;                 /* --ring */
    enum vhu_backend_dialect dax_protocol; /* --dax-protocol */
    int timeout_ms; /* --timeout: per request and for startup */
    int poll_us;    /* --poll-us: spin on the used ring before sleeping */
    bool verbose;   /* --verbose */
    bool dax;       /* the command needs the backend request channel */
};

struct vfc_queue {
    struct vq_driver *drv;
    int kick_fd; /* eventfds, owned (closed by vfc_vmm_stop()) */
    int call_fd;
    uint64_t ring_gpa;
    uint64_t indirect_gpa; /* 0: no indirect tables */
};

/* The VMM: a backend process (optional), the connection and the device. */
struct vfc_vmm {
    const struct vfc_opts *opts;
    pid_t backend_pid; /* started with --backend; 0: none */
    char tmpdir[64];   /* holds the socket and the backend's log */
    char sock_path[128];
    char log_path[128]; /* the backend's stdout and stderr */
    struct vhu_frontend *fe;
    uint64_t features; /* virtio features negotiated */
    uint64_t protocol_features;
    struct gmem *gm;        /* this process's view of guest memory */
    struct gmem_table *mem; /* reference on gm's table */
    uint8_t *host;          /* guest memory in this process (gpa 0) */
    struct vfc_queue q[VFC_NUM_QUEUES];
    bool indirect;       /* use indirect descriptors */
    uint64_t heap_next;  /* guest-memory bump allocator (fuse.c) */
    uint64_t heap_floor; /* below it: buffers kept (chains given up) */
    bool failed;         /* set by main: show the backend's log (-v) */
    bool gone;           /* the backend hung up (fuse.c) */
};

/* --- vmm.c --------------------------------------------------------------- */

/**
 * vfc_vmm_start() - start the backend (--backend) or connect to its socket
 * (--socket), negotiate features, share guest memory and set up both
 * queues.  Prints one line to stderr and returns a negative code on
 * failure; vfc_vmm_stop() must be called in every case.
 */
int vfc_vmm_start(struct vfc_vmm *v, const struct vfc_opts *opts);

/**
 * vfc_vmm_stop() - stop the rings (GET_VRING_BASE), hang up, wait for a
 * backend this client started (then TERM, then KILL), free everything.
 * Returns 0, or -1 when a backend it started ended badly.
 */
int vfc_vmm_stop(struct vfc_vmm *v);

/**
 * vfc_vmm_reinit() - what a VMM does when the guest reboots, on the same
 * connection: disable and stop both rings (GET_VRING_BASE), RESET_DEVICE
 * when @reset_device and negotiated (without it, as a VMM that does not
 * know the message), SET_FEATURES again, fresh guest memory
 * (SET_MEM_TABLE) and both rings set up again from index 0.  No request
 * may be out.  The FUSE session is the caller's to start again (INIT).
 * Returns 0 or a negative code after a line on stderr.
 */
int vfc_vmm_reinit(struct vfc_vmm *v, bool reset_device);

/** vfc_vmm_backend_alive() - false when a started backend has exited. */
bool vfc_vmm_backend_alive(struct vfc_vmm *v);

/** vfc_vmm_print_backend_log() - copy the backend's log to stderr. */
void vfc_vmm_print_backend_log(const struct vfc_vmm *v);

/**
 * vfc_gpa() - this process's address of guest-physical [gpa, gpa + len),
 * or NULL when the range is not in guest memory.
 */
void *vfc_gpa(const struct vfc_vmm *v, uint64_t gpa, uint64_t len);

/* --- fuse.c -------------------------------------------------------------- */

/* Most pieces of a request after the header, and of a reply. */
#define VFC_MAX_ARGS 4u

/*
 * One FUSE request and its reply.  The caller fills the request part;
 * vfc_fuse_call() fills the reply part.  @out is the caller's buffer: the
 * reply body is copied there out of guest memory after it was checked.
 */
struct vfc_req {
    /* request */
    uint32_t opcode;
    uint64_t nodeid;
    bool hiprio;         /* send on the hiprio queue */
    bool no_reply;       /* no writable buffer (FORGET, BATCH_FORGET) */
    bool reply_optional; /* a chain handed back empty is fine
                            (INTERRUPT) */
    uint64_t unique;     /* 0: the next one */
    const void *arg[VFC_MAX_ARGS]; /* pieces after fuse_in_header */
    uint32_t arg_len[VFC_MAX_ARGS];
    unsigned int nargs;
    void *out;         /* reply body buffer (may be NULL) */
    uint32_t out_size; /* its size */
    /*
     * Buffers given as they are, by guest-physical address (e.g. in the
     * DAX window, which the backend cannot map): @raw_out after the
     * arguments as more request bytes (counted in the header's length),
     * @raw_in as the reply body instead of out_size bytes of the heap
     * (then nothing is copied back: out_size must be 0).
     */
    struct vq_buf raw_out[2];
    unsigned int nraw_out;
    struct vq_buf raw_in[2];
    unsigned int nraw_in;
    /* reply */
    uint32_t used_len; /* bytes the device said it wrote */
    int error;         /* fuse_out_header.error: 0 or -errno */
    uint32_t out_len;  /* reply body bytes copied to @out */
    bool replied;      /* a reply header came back */
    /* fuse.c's own, while the request is out */
    uint64_t priv_unique;
    struct vq_buf priv_in[3];
    unsigned int priv_nin;
    unsigned int priv_queue;
    bool priv_done;
};

/* Why the transport failed, for the command's FAIL line. */
extern char vfc_fuse_why[256];

/**
 * vfc_fuse_call() - build @r in guest memory (readable: header and
 * arguments; writable: the out header and a body of out_size bytes), add
 * it to its queue, kick, wait and check the reply: used length within
 * what was offered, unique echoed, header length consistent, error 0 or
 * a -errno with no body, body no larger than asked.
 *
 * @no_reply requests offer no writable buffer: the chain must come back
 * with nothing written.  With @reply_optional, a chain handed back with
 * nothing written is not an error (@replied says which).
 * Returns 0 when a well-formed reply (or none, for no_reply) came back;
 * -EPROTO when the reply broke a rule, -ETIMEDOUT, or another -errno;
 * vfc_fuse_why then says what happened.
 */
int vfc_fuse_call(struct vfc_vmm *v, struct vfc_req *r);

/**
 * vfc_fuse_submit() - the first half of vfc_fuse_call(): build, add and
 * kick, without waiting.  @r must stay valid until vfc_fuse_wait(@r).
 * Up to 16 requests may be out at once, on either queue.
 */
int vfc_fuse_submit(struct vfc_vmm *v, struct vfc_req *r);

/**
 * vfc_fuse_wait() - the second half: wait for @r's chain (reaping others
 * that come back first) and check its reply.  On -ETIMEDOUT the chain is
 * given up: @r may be reused, its guest buffers are not.
 */
int vfc_fuse_wait(struct vfc_vmm *v, struct vfc_req *r);

/** vfc_fuse_next_unique() - the unique the next request will carry. */
uint64_t vfc_fuse_next_unique(void);

/** vfc_fuse_take_unique() - reserve a unique, for a request that sets it
 *  itself (an INTERRUPT sent before its target). */
uint64_t vfc_fuse_take_unique(void);

/**
 * vfc_galloc() - @len bytes of guest memory (16-byte aligned) from the
 * heap, or 0 when it is exhausted.  vfc_gfree_all() empties the heap
 * down to heap_floor (fuse.c calls it whenever no request is out).
 */
uint64_t vfc_galloc(struct vfc_vmm *v, uint64_t len);
void vfc_gfree_all(struct vfc_vmm *v);

/* --- commands ------------------------------------------------------------ */

/**
 * vfc_cmd_check() - every FUSE operation, checked against the host
 * directory.  Returns the exit status (0: nothing failed).
 */
int vfc_cmd_check(struct vfc_vmm *v, int argc, char **argv);

/**
 * vfc_cmd_hostile() - malformed requests (framing, names, sizes, ids,
 * handles, escapes, chain shapes), each of which must be refused without
 * harm to the backend or to anything outside --dir.  Returns the exit
 * status (0: every case passed).
 */
int vfc_cmd_hostile(struct vfc_vmm *v, int argc, char **argv);

/**
 * vfc_cmd_reinit() - N guest sessions (argument, default 3) on one
 * connection with a device reset between (vfc_vmm_reinit()): INIT and a
 * few operations checked against --dir in each.  Returns the exit status.
 */
int vfc_cmd_reinit(struct vfc_vmm *v, int argc, char **argv);

/**
 * vfc_cmd_dax() - DAX through the backend request channel (dax.c): map,
 * upgrade, write, sync and remove ranges of a file in the cache window,
 * each checked.  Returns the exit status (0: every check passed).
 */
int vfc_cmd_dax(struct vfc_vmm *v, int argc, char **argv);

#endif /* VHOSTFS_CLIENT_VFC_H */
