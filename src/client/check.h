/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.h - the check command's shared state and helpers (check.c runs
 * the steps; check-file.c has a regular file's operations, check-ns.c
 * the name, directory, xattr and hiprio-queue ones).
 *
 * Every step sends requests through vfc_fuse_call(), which has already
 * checked the reply's framing; a step then checks the body's size before
 * it reads a field, and what the operation did against the host's view
 * of --dir.
 */
#ifndef VHOSTFS_CLIENT_CHECK_H
#define VHOSTFS_CLIENT_CHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/fuse.h>

#include "vfc.h"

#define CHK_MAX_NODES 32u
#define CHK_REPLY_MAX (256u << 10)

struct chk {
    struct vfc_vmm *v;
    const char *dir;     /* --dir, the host's view of the share */
    char sub[64];        /* the check's own directory in the share */
    char hsub[PATH_MAX]; /* its host path */
    unsigned int n_ok, n_fail, n_unsup;
    /* from FUSE_INIT */
    uint32_t minor, max_write, flags;
    /* nodes and handles made by earlier steps (0: not there) */
    uint64_t sub_node, file_node, fh, copy_node, link_node, fifo_node;
    uint64_t last_unique; /* of a request already answered */
    /* lookups to forget: node id and count */
    uint64_t node[CHK_MAX_NODES], nlookup[CHK_MAX_NODES];
    unsigned int nnodes;
    uint8_t reply[CHK_REPLY_MAX]; /* reply bodies */
};

/* Result lines. */
void chk_ok(struct chk *c, const char *op);
void chk_fail(struct chk *c, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * chk_call() - send @opcode to @nodeid with up to two arguments, reply
 * body into c->reply (at most @out_size bytes), and report what went
 * wrong: a transport failure or broken reply is FAIL; ENOSYS and
 * EOPNOTSUPP are "unsupported" unless @want_err says that error is the
 * expected answer.  Returns the reply body length (>= 0) when the answer
 * was a success; -errno of the reply when it was an error (already
 * reported unless it is @want_err); INT_MIN when a line was printed and
 * the step should stop.
 */
int chk_call(struct chk *c, const char *op, uint32_t opcode, uint64_t nodeid,
             const void *a0, uint32_t l0, const void *a1, uint32_t l1,
             uint32_t out_size, int want_err);

/* Like chk_call() with two NUL-terminated names as the second argument
 * (SYMLINK, RENAME): "a\0b\0". */
int chk_call_names(struct chk *c, const char *op, uint32_t opcode,
                   uint64_t nodeid, const void *a0, uint32_t l0, const char *n1,
                   const char *n2, uint32_t out_size, int want_err);

/* The host path of @name in the check's directory (a static buffer). */
const char *chk_hpath(const struct chk *c, const char *name);

/**
 * chk_entry() - check a fuse_entry_out reply of @len bytes against the
 * host's lstat() of @name; remembers the lookup.  Returns the node id,
 * or 0 after a FAIL line.
 */
uint64_t chk_entry(struct chk *c, const char *op, int len, const char *name);

/* Check a fuse_attr against lstat() of host path @path (FAIL if not). */
bool chk_attr(struct chk *c, const char *op, const struct fuse_attr *a,
              const char *path);

/* FAIL "not run" when the node or handle @what a step needs is 0. */
bool chk_need(struct chk *c, const char *op, uint64_t what, const char *which);

/* One more lookup of @node to forget at the end. */
void chk_remember(struct chk *c, uint64_t node);

/* Steps of check-file.c and check-ns.c. */
void chk_files(struct chk *c);
void chk_names(struct chk *c);
void chk_dirs(struct chk *c);
void chk_xattrs(struct chk *c);
void chk_queue_level(struct chk *c);
void chk_cleanup_names(struct chk *c);

#endif /* VHOSTFS_CLIENT_CHECK_H */
