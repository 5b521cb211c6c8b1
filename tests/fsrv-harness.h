/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-harness.h - a small in-memory filesystem behind struct fs_ops (the
 * test double of the passthrough layer) and helpers to build FUSE requests
 * and run them through the server over split iovecs.
 */
#ifndef VHOSTFS_FSRV_HARNESS_H
#define VHOSTFS_FSRV_HARNESS_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs-ops.h"
#include "fsrv.h"

#define FAKE_NODES   16
#define FAKE_DATA    16384
#define FAKE_FH_BASE 1000 /* fh of node N is FAKE_FH_BASE + N */
#define FAKE_ROOT    FUSE_ROOT_ID
#define FAKE_FILE    2 /* "file": regular, holds data */
#define FAKE_DIR     3 /* "dir": empty directory */
#define FAKE_LINK    4 /* "link" -> "file" */

struct fake_node {
    bool used;
    uint64_t parent;
    char name[NAME_MAX + 1];
    uint32_t mode;
    uint64_t nlookup;
    size_t size;
    char data[FAKE_DATA];
    char target[PATH_MAX];
    char xname[64];
    char xval[256];
    size_t xlen;
};

/* What the last op saw, for tests to check the decoding. */
struct fake_call {
    const char *op;
    uint64_t ino, ino2, fh, off, len, lock_owner;
    char name[NAME_MAX + 1];
    char name2[PATH_MAX];
    uint32_t flags, flags2, mode, umask, uid, gid, pid;
    size_t size;
    int iovcnt;
    bool has_fh;
    bool sleep;
};

struct fake_fs {
    struct fake_node node[FAKE_NODES];
    struct fake_call last;
    unsigned int ncalls;
    unsigned int nforget;
    uint64_t forgotten;  /* sum of nlookup given back */
    uint64_t init_clear; /* INIT: bits the fs refuses */
    uint64_t init_want;  /* INIT: what the server proposed */
    unsigned int ninit, ndestroy;
    /* SETLKW: a lock held by "someone else" until released. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool contended;
    bool waiting; /* a sleeping setlk waits */
    int intr_fd;  /* >= 0: a sleeping setlk reads it (signals end that) */
};

extern const struct fs_ops fake_ops;

/** fake_init() - a root, "file" (with @data), "dir" and "link". */
void fake_init(struct fake_fs *f);

/** fake_release_lock() - let a sleeping setlk go on. */
void fake_release_lock(struct fake_fs *f);

/* --- request building ------------------------------------------------- */

struct hreq {
    uint8_t buf[70000 + 4096];
    size_t len;
};

/** hreq_start() - header for @opcode on @nodeid, unique @unique. */
void hreq_start(struct hreq *r, uint32_t opcode, uint64_t nodeid,
                uint64_t unique);
/** hreq_add() - append @len bytes. */
void hreq_add(struct hreq *r, const void *p, size_t len);
/** hreq_str() - append a string with its NUL. */
void hreq_str(struct hreq *r, const char *s);
/** hreq_end() - set hdr.len to the bytes appended; returns the length. */
size_t hreq_end(struct hreq *r);

/*
 * hrun() - serve @len bytes of @req split into @nin readable iovecs (as
 * even as possible; the first iovec is @first bytes when nonzero) and a
 * reply area of @outlen bytes split into @nout writable iovecs; the reply
 * is gathered into @reply (room for @outlen).  Each iovec is a separate
 * allocation, so ASan sees any access past one.
 */
ssize_t hrun(struct fsrv *srv, const void *req, size_t len, int nin,
             size_t first, void *reply, size_t outlen, int nout);

/*
 * hrun_far() - hrun(); with @far, the last readable and the last writable
 * iovec (when there are more than one) are out of the daemon's reach
 * (NULL base, fsrv_req.in_gpa / out_gpa) and READ and WRITE move their
 * bytes through a window_io that touches nothing; those reply bytes read
 * as 0xee.
 */
ssize_t hrun_far(struct fsrv *srv, const void *req, size_t len, int nin,
                 size_t first, void *reply, size_t outlen, int nout, bool far);

/** hinit() - send INIT (7.38, @flags offered) and expect success. */
ssize_t hinit(struct fsrv *srv, uint64_t flags, void *reply, size_t outlen);

#endif /* VHOSTFS_FSRV_HARNESS_H */
