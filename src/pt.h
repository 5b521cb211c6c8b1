/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt.h - the passthrough filesystem (layer 6): serves one host directory
 * through the fs ops table that the FUSE server calls.
 *
 * Node ids handed to the guest are indices into an inode table with a
 * generation in the high 32 bits, never pointers; the root is node id 1
 * (FUSE_ROOT_ID).  Open file handles (fh) are encoded the same way.  Every
 * path operation is relative to a parent directory fd and never leaves the
 * shared directory; see pt-int.h for the rules and their limits.
 */
#ifndef VHOSTFS_PT_H
#define VHOSTFS_PT_H

#include <stdbool.h>
#include <stdint.h>

#include "fs-ops.h"

/* --cache: how long the guest may trust what it was told. */
enum pt_cache {
    PT_CACHE_AUTO = 0, /* 1 s timeouts, page cache kept while unchanged */
    PT_CACHE_NEVER,    /* no timeouts, direct I/O */
    PT_CACHE_METADATA, /* 24 h timeouts for entries/attrs, direct I/O */
    PT_CACHE_ALWAYS,   /* 24 h timeouts, page cache always kept */
};

/* --inode-file-handles: how an inode that the guest holds is kept. */
enum pt_fh_mode {
    PT_FH_NEVER = 0, /* one O_PATH fd per inode */
    PT_FH_PREFER,    /* a file handle where the filesystem has them */
    PT_FH_MANDATORY, /* a file handle, or the lookup fails */
};

/*
 * --dax-inode: which files the guest is told to map (FUSE_ATTR_DAX) when
 * it mounts with dax=inode.  OFF does not offer FUSE_HAS_INODE_DAX: the
 * guest's mount option alone decides, for every file.
 */
enum pt_dax_inode {
    PT_DAX_INODE_OFF = 0,
    PT_DAX_INODE_ALWAYS, /* every regular file */
    PT_DAX_INODE_FLAG,   /* regular files in the host's DAX state (statx) */
};

struct pt_options {
    enum pt_cache cache;
    enum pt_fh_mode inode_file_handles;
    bool writeback; /* the guest caches writes (FUSE_WRITEBACK_CACHE) */
    bool xattr;     /* serve extended attributes */
    bool announce_submounts; /* set FUSE_ATTR_SUBMOUNT on mount roots */
    bool readonly;           /* refuse every change with EROFS */
    bool posix_locks;        /* serve GETLK/SETLK/SETLKW (else ENOSYS) */
    bool flock;              /* serve flock() locks (else ENOSYS) */
    bool readdirplus;        /* serve READDIRPLUS (else ENOSYS) */
    bool killpriv_v2;        /* clear suid/sgid on write/chown/truncate */
    /* only with a DAX mapper (pt_set_dax_mapper()) */
    enum pt_dax_inode dax_inode;
};

struct pt_fs;

/*
 * The ops table: give it to the FUSE server with the struct pt_fs * from
 * pt_create() as its @fs argument.  DESTROY forgets every node and closes
 * every open file but keeps the filesystem usable for a new session; no
 * other request may run while it does.  SETLKW (setlk with @sleep) blocks
 * its thread until the lock is granted.
 */
extern const struct fs_ops pt_fs_ops;

/**
 * pt_options_default() - the defaults: cache auto, file handles never,
 * xattr off, posix locks and flock on, readdirplus on, everything else off.
 * @o: filled in
 */
void pt_options_default(struct pt_options *o);

/**
 * pt_create() - serve the directory @root.
 * @root: path of the shared directory (opened once, O_PATH | O_DIRECTORY)
 * @opts: options (copied)
 * @out: the new filesystem; pt_destroy() frees it
 *
 * Opens @root and /proc/self/fd (both kept until pt_destroy()); extended
 * attributes of symlinks and special files go through the path
 * /proc/self/fd/N, so a sandbox must keep procfs at /proc.  With
 * PT_FH_MANDATORY, fails with -EOPNOTSUPP or -EPERM when file handles cannot
 * be made or opened here (open_by_handle_at needs CAP_DAC_READ_SEARCH).
 *
 * Return: 0 or -errno.
 */
int pt_create(const char *root, const struct pt_options *opts,
              struct pt_fs **out);

/**
 * pt_destroy() - close every fd the filesystem holds and free it.
 * @fs: NULL is fine
 *
 * No request may be running.
 */
void pt_destroy(struct pt_fs *fs);

/**
 * pt_inode_fd_count() - how many O_PATH fds the inode table holds now.
 * @fs: the filesystem
 *
 * For tests and statistics: with file handles it stays small however many
 * inodes the guest holds.
 */
unsigned long pt_inode_fd_count(struct pt_fs *fs);

/**
 * pt_inode_count() - how many inodes the table holds (the root included).
 * @fs: the filesystem
 */
unsigned long pt_inode_count(struct pt_fs *fs);

/**
 * struct pt_dax_mapper - how SETUPMAPPING and REMOVEMAPPING reach the VMM's
 * cache window (the daemon's transport implements it).  Offsets and
 * lengths are checked by pt against @window_size and @align before a call.
 * @map:    map @len bytes of @fd (borrowed: pt closes it after the call) at
 *          @foffset to window offset @moffset, writable or read-only.
 * @unmap:  make [@moffset, @moffset + @len) of the window unmapped again.
 * @sync:   write back what the guest wrote through the window into
 *          [@moffset, @moffset + @len), before FSYNC; NULL if the channel
 *          has no such request (the host's fsync then covers it, the
 *          mapping being MAP_SHARED on the same file).
 * All return 0 or -errno; a failure is the guest's error reply.  They may
 * be called from several threads at once.
 */
struct pt_dax_mapper {
    int (*map)(void *ctx, int fd, uint64_t foffset, uint64_t moffset,
               uint64_t len, bool writable);
    int (*unmap)(void *ctx, uint64_t moffset, uint64_t len);
    int (*sync)(void *ctx, uint64_t moffset, uint64_t len);
    void *ctx;
    uint64_t window_size; /* bytes, a multiple of 2 MiB */
    uint64_t align;       /* offsets and lengths: a power of two */
};

/**
 * pt_set_dax_mapper() - serve SETUPMAPPING/REMOVEMAPPING through @m
 * (copied; m->ctx must outlive @fs).  Before any request is served.
 * Without it both are answered ENOSYS.  Returns 0 or -errno.
 */
int pt_set_dax_mapper(struct pt_fs *fs, const struct pt_dax_mapper *m);

#endif /* VHOSTFS_PT_H */
