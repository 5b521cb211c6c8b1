/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax-run.h - what the parts of `vhostfs-client dax` share: dax.c (the
 * window, the mapping sequence) and dax-io.c (READ and WRITE with their
 * data in the window: FS_IO).  Not used elsewhere.
 */
#ifndef VHOSTFS_CLIENT_DAX_RUN_H
#define VHOSTFS_CLIENT_DAX_RUN_H

#include <stdint.h>

#include "dax.h"
#include "vfc.h"

#define MIB            (1ull << 20)
#define DAX_RANGE      (2 * MIB) /* what the Linux guest maps at a time */
#define DAX_FILE       "vhostfs-dax-file"
#define DAX_FILE_LEN   (5 * MIB + 4321) /* the last range passes EOF */
#define DAX_WINDOW_DFL (64 * MIB)

struct dax_run {
    struct vfc_vmm *v;
    struct vfc_dax_window w;
    struct vfc_dax_channel ch;
    char path[4096];
    int hfd; /* the test file, host side */
    uint8_t *data;
    uint64_t nodeid;
    unsigned int passed, failed;
    uint8_t reply[4096];
};

/* Print "ok WHAT" and count it. */
void dax_ok(struct dax_run *d, const char *what);

/* Print "FAIL WHAT: why" and count it. */
__attribute__((format(printf, 3, 4))) void
dax_fail(struct dax_run *d, const char *what, const char *fmt, ...);

/*
 * One FUSE request with up to two arguments and a reply body of up to
 * @out_size bytes in d->reply.  Returns the reply's error (0 or -errno),
 * or INT32_MIN when no valid reply came (the reason is printed).
 */
int dax_call(struct dax_run *d, uint32_t opcode, uint64_t nodeid,
             const void *a0, uint32_t l0, const void *a1, uint32_t l1,
             uint32_t out_size, uint32_t *out_len);

/*
 * dax-io.c: READ and WRITE whose data lies in the window, where range 0
 * of the test file is mapped read-write at window offset 0 (FS_IO with
 * the fs-cache protocol, an error reply with shmem); keeps d->data equal
 * to the file.
 */
void dax_window_io(struct dax_run *d);

#endif /* VHOSTFS_CLIENT_DAX_RUN_H */
