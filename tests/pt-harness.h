/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-harness.h - calling the passthrough filesystem's ops directly, as the
 * FUSE server would, on a directory of test_tmpdir().
 *
 * The harness implements the server's half of directory listings
 * (fs_dirbuf_add(), fs_dirbuf_fits()) over a fixed array, so the tests
 * link with libpt alone.
 */
#ifndef VHOSTFS_PT_HARNESS_H
#define VHOSTFS_PT_HARNESS_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../src/pt.h"

#define PTH_MAX_DIRENTS 256

struct pth_dirent {
    char name[256];
    uint64_t ino, off;
    uint32_t type;
    bool plus;
    struct fuse_entry_out entry;
};

struct fs_dirbuf {
    unsigned int room; /* entries that still fit */
    unsigned int n;
    bool plus;
    struct pth_dirent ents[PTH_MAX_DIRENTS];
};

/* An empty listing that holds at most @room entries (<= PTH_MAX_DIRENTS). */
void pth_dirbuf_init(struct fs_dirbuf *db, unsigned int room, bool plus);

/* The root ctx (uid 0, gid 0, umask 0) every op gets unless said. */
extern const struct fs_ctx pth_root_ctx;

/* A fresh share under test_tmpdir() and a filesystem on it (fails the case
 * on error).  *@dir gets the share's path (static storage).  With
 * PT_TEST_FILE_HANDLES set in the environment, inodes are kept as file
 * handles where @o said never. */
struct pt_fs *pth_fs(const struct pt_options *o, const char **dir);

/* A filesystem on the existing directory @dir (fails the case on error). */
struct pt_fs *pt_fs_from_share(const struct pt_options *o, const char *dir);

/* The op table, for short calls: PT.lookup(fs, ...). */
#define PT pt_fs_ops

/* LOOKUP @name in @parent: the node id, or the -errno. */
int64_t pth_lookup(struct pt_fs *fs, uint64_t parent, const char *name);

/* A path under the share (static storage, one at a time). */
const char *pth_path(const char *dir, const char *rel);

/* Write @s to the host file @path (creates it), fail the case on error. */
void pth_write_file(const char *path, const char *s);

/* Shorthands that fail the case when the op fails (root ctx). */
struct fuse_entry_out pth_entry(struct pt_fs *fs, uint64_t parent,
                                const char *name);
/* CREATE @name in @parent, O_RDWR: the fh; *@nodeid gets the node. */
uint64_t pth_create(struct pt_fs *fs, uint64_t parent, const char *name,
                    mode_t mode, uint64_t *nodeid);
uint64_t pth_open(struct pt_fs *fs, uint64_t nodeid, uint32_t flags);
void pth_write(struct pt_fs *fs, uint64_t nodeid, uint64_t fh, uint64_t off,
               const char *s);
struct fuse_attr pth_attr(struct pt_fs *fs, uint64_t nodeid);
/* The host file @path as a string (at most @size - 1 bytes). */
void pth_slurp(const char *path, char *buf, size_t size);
struct fuse_file_lock pth_lock(uint32_t type, uint64_t start, uint64_t end);

#endif /* VHOSTFS_PT_HARNESS_H */
