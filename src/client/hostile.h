/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile.h - the hostile command's state and helpers (hostile.c lays
 * out raw chains and judges the answers; hostile-cases.c has the cases).
 */
#ifndef VHOSTFS_CLIENT_HOSTILE_H
#define VHOSTFS_CLIENT_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/fuse.h>

#include "vfc.h"

#define H_REQ_MAX   (16u << 10)
#define H_REPLY_MAX (64u << 10)
#define H_ANY_ERROR 0         /* ends an errno list; alone: any error will do */
#define H_BROKEN    (-100000) /* hst_plain(): a FAIL line was printed */

struct hst {
    struct vfc_vmm *v;
    char share[4096];    /* --dir without a trailing '/' */
    char sentinel[4200]; /* share + ".hostile-sentinel.PID": a sibling */
    char sent_rel[4200]; /* the sentinel as seen from the share's root */
    char canary_text[64];
    struct stat canary_st; /* at set-up */
    unsigned int n_ok, n_fail;
    uint64_t file_node, dir_node, fh, dh; /* "hf" and "hd", open */
    uint64_t token;                       /* of the last raw chain */
    uint8_t req[H_REQ_MAX];               /* the request hst_msg() made */
    uint8_t reply[H_REPLY_MAX];           /* the last reply body */
};

/* What came back for one raw chain. */
struct hres {
    uint32_t used; /* bytes written */
    bool replied;  /* a well-formed reply header came back */
    int error;     /* its error */
    uint32_t body; /* body bytes, copied to h->reply */
    char why[160]; /* set when the transport or the framing failed */
};

/* Result lines. */
void hst_ok(struct hst *h, const char *name);
void hst_fail(struct hst *h, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * hst_msg() - lay a request out in h->req: header (len = @len, or the
 * true length when @len is 0, with a fresh unique), then up to three
 * pieces.  Returns the byte count.
 */
uint32_t hst_msg(struct hst *h, uint32_t opcode, uint64_t nodeid, uint32_t len,
                 const void *a0, uint32_t l0, const void *a1, uint32_t l1,
                 const void *a2, uint32_t l2);

/**
 * hst_raw() - send the first @rd_len bytes of h->req as one readable
 * buffer (none if 0) with @wr_len writable bytes (none if 0), wait, and
 * check the reply's framing.  Returns 0 with *res filled, or -1 with
 * res->why set (transport failure or broken framing).
 */
int hst_raw(struct hst *h, uint32_t rd_len, uint32_t wr_len, bool hiprio,
            struct hres *res);

/**
 * hst_verdict() - print the case's line: FAIL with @bad when not NULL,
 * else after checking that the root still answers GETATTR and that the
 * sentinel is unchanged.
 */
void hst_verdict(struct hst *h, const char *name, const char *bad);

/**
 * hst_want_err() - send h->req (@rd bytes, @wr writable) and want an
 * error reply: one of the H_ANY_ERROR-terminated errno list after
 * @empty_ok, or any error when the list is empty.  @empty_ok: a chain
 * handed back with 0 bytes passes too.  Success never passes.
 */
void hst_want_err(struct hst *h, const char *name, uint32_t rd, uint32_t wr,
                  bool empty_ok, ...);

/** hst_want_empty() - want the chain back with 0 bytes written (or an
 *  error reply, with @err_ok). */
void hst_want_empty(struct hst *h, const char *name, uint32_t rd, uint32_t wr,
                    bool hiprio, bool err_ok);

/* A well-formed request: its error (body in h->reply, length in *body),
 * or H_BROKEN after a FAIL line. */
int hst_plain(struct hst *h, const char *name, uint32_t opcode, uint64_t nodeid,
              const void *a0, uint32_t l0, const void *a1, uint32_t l1,
              uint32_t *body);

/* LOOKUP @name in @parent: its node id (entry in *e), or 0 after FAIL. */
uint64_t hst_lookup(struct hst *h, uint64_t parent, const char *name,
                    struct fuse_entry_out *e);

/* OPEN or OPENDIR @node: a handle, or UINT64_MAX after FAIL. */
uint64_t hst_open(struct hst *h, uint32_t opcode, uint64_t node,
                  uint32_t flags);

/* The cases (hostile-cases.c). */
void hst_cases(struct hst *h);

#endif /* VHOSTFS_CLIENT_HOSTILE_H */
