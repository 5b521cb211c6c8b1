/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-dax.c - FUSE_SETUPMAPPING and FUSE_REMOVEMAPPING: file ranges mapped
 * into the VMM's cache window through the daemon's mapper.
 *
 * Security model: node ids, offsets, lengths and flags come from the
 * guest.  Every range is checked against the mapper's alignment and the
 * window (with overflow checks) before the mapper sees it; the file is
 * found by node id and opened through pt_inode_open() (regular files only,
 * the same reopen path as OPEN), read-only unless the guest asks for
 * write, and never writable on a read-only share.  The fd lives only for
 * the map call.  The VMM's answer is the mapper's business: a refusal is
 * the guest's error reply.
 *
 * For FS_SYNC on FSYNC, each 2 MiB chunk of the window remembers the node
 * id mapped into it (PT_DAX_MIXED when several were): syncing a chunk too
 * many is harmless, missing one is not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt-int.h"

#define PT_DAX_CHUNK (2ull << 20)
#define PT_DAX_MIXED UINT64_MAX

struct pt_dax {
    struct pt_dax_mapper m;
    pthread_mutex_t lock;
    uint64_t nchunks;
    uint64_t *chunk; /* node id per chunk, 0: none; protected by @lock */
};

int pt_set_dax_mapper(struct pt_fs *fs, const struct pt_dax_mapper *m)
{
    struct pt_dax *d;

    if (fs->dax || !m->map || !m->unmap || !m->window_size || !m->align ||
        (m->align & (m->align - 1)) || m->window_size % PT_DAX_CHUNK ||
        m->align > PT_DAX_CHUNK) {
        return -EINVAL;
    }
    d = calloc(1, sizeof(*d));
    if (!d) {
        return -ENOMEM;
    }
    d->m = *m;
    d->nchunks = m->window_size / PT_DAX_CHUNK;
    d->chunk = calloc(d->nchunks, sizeof(d->chunk[0]));
    if (!d->chunk) {
        free(d);
        return -ENOMEM;
    }
    pthread_mutex_init(&d->lock, NULL);
    fs->dax = d;
    return 0;
}

void pt_dax_free(struct pt_dax *d)
{
    if (!d) {
        return;
    }
    pthread_mutex_destroy(&d->lock);
    free(d->chunk);
    free(d);
}

void pt_dax_reset(struct pt_fs *fs)
{
    struct pt_dax *d = fs->dax;

    if (d) {
        pthread_mutex_lock(&d->lock);
        memset(d->chunk, 0, d->nchunks * sizeof(d->chunk[0]));
        pthread_mutex_unlock(&d->lock);
    }
}

/* 0 when [moffset, moffset + len) is aligned and inside the window. */
static int check_range(const struct pt_dax *d, uint64_t moffset, uint64_t len)
{
    uint64_t end;

    if (!len || (moffset | len) & (d->m.align - 1)) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(moffset, len, &end) || end > d->m.window_size) {
        return -EINVAL;
    }
    return 0;
}

static void note_map(struct pt_dax *d, uint64_t moffset, uint64_t len,
                     uint64_t nodeid)
{
    uint64_t c, first = moffset / PT_DAX_CHUNK;
    uint64_t last = (moffset + len - 1) / PT_DAX_CHUNK;
    uint64_t end = moffset + len;

    pthread_mutex_lock(&d->lock);
    for (c = first; c <= last; c++) {
        bool whole = c * PT_DAX_CHUNK >= moffset &&
                     (c + 1) * PT_DAX_CHUNK <= end; /* replaced all of it */

        if (whole || d->chunk[c] == 0 || d->chunk[c] == nodeid) {
            d->chunk[c] = nodeid;
        } else {
            d->chunk[c] = PT_DAX_MIXED;
        }
    }
    pthread_mutex_unlock(&d->lock);
}

static void note_unmap(struct pt_dax *d, uint64_t moffset, uint64_t len)
{
    uint64_t c, end = moffset + len;

    pthread_mutex_lock(&d->lock);
    /* Only chunks the range covers whole are known to be empty now. */
    for (c = (moffset + PT_DAX_CHUNK - 1) / PT_DAX_CHUNK;
         (c + 1) * PT_DAX_CHUNK <= end; c++) {
        d->chunk[c] = 0;
    }
    pthread_mutex_unlock(&d->lock);
}

int pt_op_setupmapping(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                       uint64_t fh, uint64_t foffset, uint64_t len,
                       uint64_t flags, uint64_t moffset)
{
    const uint64_t known =
        FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE;
    struct pt_fs *fs = fsp;
    struct pt_dax *d = fs->dax;
    struct pt_inode *node;
    mode_t type;
    bool writable = flags & FUSE_SETUPMAPPING_FLAG_WRITE;
    uint64_t fend;
    int fd, rc;

    (void)ctx;
    (void)fh; /* Linux sends -1: the node id names the file */
    if (!d) {
        return -ENOSYS;
    }
    if (flags & ~known) {
        return -EINVAL;
    }
    rc = check_range(d, moffset, len);
    if (rc < 0) {
        return rc;
    }
    if (foffset & (d->m.align - 1) ||
        __builtin_add_overflow(foffset, len, &fend) || fend > INT64_MAX) {
        return -EINVAL;
    }
    if (writable && fs->opts.readonly) {
        return -EROFS;
    }
    node = pt_inode_get(fs, ino);
    if (!node) {
        return -ENOENT;
    }
    type = node->type;
    if (type != S_IFREG) {
        pt_inode_put(fs, node);
        return type == S_IFDIR ? -EISDIR : -ENXIO;
    }
    fd = pt_inode_open(fs, node, writable ? O_RDWR : O_RDONLY);
    pt_inode_put(fs, node);
    if (fd < 0) {
        return fd;
    }
    /* The same moffset again (read -> write) replaces the mapping. */
    rc = d->m.map(d->m.ctx, fd, foffset, moffset, len, writable);
    close(fd);
    if (rc == 0) {
        note_map(d, moffset, len, ino);
    }
    return rc;
}

int pt_op_removemapping(void *fsp, const struct fs_ctx *ctx,
                        const struct fuse_removemapping_one *ranges,
                        uint32_t count)
{
    struct pt_fs *fs = fsp;
    struct pt_dax *d = fs->dax;
    uint32_t i;
    int rc;

    (void)ctx;
    if (!d) {
        return -ENOSYS;
    }
    /* All checked before any is removed: a bad batch changes nothing. */
    for (i = 0; i < count; i++) {
        rc = check_range(d, ranges[i].moffset, ranges[i].len);
        if (rc < 0) {
            return rc;
        }
    }
    for (i = 0; i < count; i++) {
        rc = d->m.unmap(d->m.ctx, ranges[i].moffset, ranges[i].len);
        if (rc < 0) {
            return rc;
        }
        note_unmap(d, ranges[i].moffset, ranges[i].len);
    }
    return 0;
}

int pt_dax_sync_inode(struct pt_fs *fs, uint64_t nodeid)
{
    struct pt_dax *d = fs->dax;
    uint64_t c, start, n;
    int rc = 0;

    if (!d || !d->m.sync) {
        return 0;
    }
    /*
     * Runs of chunks that may hold the file, one request each.  The table
     * is read under the lock, the requests sent outside it.
     */
    for (c = 0; c < d->nchunks && rc == 0;) {
        pthread_mutex_lock(&d->lock);
        while (c < d->nchunks && d->chunk[c] != nodeid &&
               d->chunk[c] != PT_DAX_MIXED) {
            c++;
        }
        start = c;
        while (c < d->nchunks &&
               (d->chunk[c] == nodeid || d->chunk[c] == PT_DAX_MIXED)) {
            c++;
        }
        pthread_mutex_unlock(&d->lock);
        n = c - start;
        if (n) {
            rc = d->m.sync(d->m.ctx, start * PT_DAX_CHUNK, n * PT_DAX_CHUNK);
        }
    }
    return rc;
}
