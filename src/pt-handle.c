/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-handle.c - open files and directories of the guest (FUSE fh values).
 *
 * Security model: an fh comes from the guest.  It is a slot index (low 32
 * bits) and the slot's generation (high 32 bits), checked like a node id:
 * a released, reused or forged fh finds nothing (-EBADF).  A request pins
 * the file while it uses the fd, and RELEASE closes the fd only when the
 * last pin goes, so a racing RELEASE can never make a READ land on a
 * recycled fd number that now belongs to another file.
 *
 * Memory: as in the inode table, chunks are mapped (pt_chunk_map()) and a
 * slot is set up when first handed out, so unused slots are not resident.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt-int.h"

#define SLOT_MASK (PT_CHUNK_SLOTS - 1)
#define CHUNK_BYTES ((size_t)PT_CHUNK_SLOTS * sizeof(struct pt_file))

static struct pt_file *slot(struct pt_ftable *t, uint32_t idx)
{
    return &t->chunks[idx >> PT_CHUNK_SHIFT][idx & SLOT_MASK];
}

int pt_ftable_init(struct pt_ftable *t)
{
    memset(t, 0, sizeof(*t));
    t->nslots = 1; /* fh 0 is never handed out */
    pthread_mutex_init(&t->lock, NULL);
    return 0;
}

static void clear_file(struct pt_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
    }
    f->fd = -1;
    free(f->dirbuf);
    f->dirbuf = NULL;
    f->dirbuf_len = f->dirbuf_pos = 0;
}

void pt_ftable_fini(struct pt_ftable *t)
{
    uint32_t i;

    /* Slots 1 .. nslots - 1 were set up (alloc_slot()), the rest never. */
    for (i = 1; i < t->nslots; i++) {
        struct pt_file *f = slot(t, i);

        if (f->used) {
            clear_file(f);
        }
        pthread_mutex_destroy(&f->dir_lock);
    }
    for (i = 0; i < t->nchunks; i++) {
        pt_chunk_unmap(t->chunks[i], CHUNK_BYTES);
    }
    free(t->chunks);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

/* Called with t->lock held. */
static struct pt_file *alloc_slot(struct pt_ftable *t, uint32_t *idx, int *err)
{
    struct pt_file *f;

    if (t->free_head) {
        *idx = t->free_head;
        f = slot(t, *idx);
        t->free_head = f->hnext;
        return f;
    }
    if (t->nslots >= PT_MAX_SLOTS) {
        *err = -ENFILE;
        return NULL;
    }
    *idx = t->nslots;
    if ((*idx >> PT_CHUNK_SHIFT) >= t->nchunks) {
        struct pt_file **c, *chunk;

        c = realloc(t->chunks, (t->nchunks + 1) * sizeof(*c));
        if (!c) {
            *err = -ENOMEM;
            return NULL;
        }
        t->chunks = c;
        chunk = pt_chunk_map(CHUNK_BYTES);
        if (!chunk) {
            *err = -ENOMEM;
            return NULL;
        }
        t->chunks[t->nchunks++] = chunk;
    }
    /* First use of this slot: set it up now, not with its whole chunk. */
    f = slot(t, *idx);
    pthread_mutex_init(&f->dir_lock, NULL);
    f->fd = -1;
    f->idx = *idx;
    t->nslots++;
    return f;
}

int pt_file_add(struct pt_fs *fs, int fd, uint64_t nodeid, bool is_dir,
                uint64_t *fh)
{
    struct pt_ftable *t = &fs->ftab;
    char *dirbuf = NULL;
    struct pt_file *f;
    uint32_t idx = 0;
    int err = -ENOMEM;

    if (is_dir) {
        /* allocated here, at OPENDIR, so READDIR does not allocate */
        dirbuf = malloc(PT_DIRBUF_SIZE);
        if (!dirbuf) {
            close(fd);
            return -ENOMEM;
        }
    }
    pthread_mutex_lock(&t->lock);
    f = alloc_slot(t, &idx, &err);
    if (!f) {
        pthread_mutex_unlock(&t->lock);
        close(fd);
        free(dirbuf);
        return err;
    }
    f->fd = fd;
    f->nodeid = nodeid;
    f->pins = 0;
    f->used = true;
    f->released = false;
    f->is_dir = is_dir;
    f->dirbuf = dirbuf;
    f->dirbuf_len = f->dirbuf_pos = 0;
    f->dir_off = 0;
    t->count++;
    *fh = ((uint64_t)f->gen << 32) | idx;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

/* Called with t->lock held: the live file @fh names, or NULL. */
static struct pt_file *by_fh(struct pt_ftable *t, uint64_t fh, uint32_t *idx)
{
    uint32_t gen = (uint32_t)(fh >> 32);
    struct pt_file *f;

    *idx = (uint32_t)fh;
    if (*idx == 0 || *idx >= t->nslots) {
        return NULL;
    }
    f = slot(t, *idx);
    if (!f->used || f->released || f->gen != gen) {
        return NULL;
    }
    return f;
}

struct pt_file *pt_file_get(struct pt_fs *fs, uint64_t fh)
{
    struct pt_ftable *t = &fs->ftab;
    struct pt_file *f;
    uint32_t idx;

    pthread_mutex_lock(&t->lock);
    f = by_fh(t, fh, &idx);
    if (f && f->pins == UINT32_MAX) {
        f = NULL;
    }
    if (f) {
        f->pins++;
    }
    pthread_mutex_unlock(&t->lock);
    return f;
}

/*
 * Called with t->lock held, for a released file nobody pins: take its fd
 * and buffer (to close and free unlocked) and put the slot on the free list.
 */
static void retire(struct pt_ftable *t, struct pt_file *f, uint32_t idx,
                   int *fd, char **buf)
{
    *fd = f->fd;
    *buf = f->dirbuf;
    f->fd = -1;
    f->dirbuf = NULL;
    f->used = false;
    f->gen++;
    f->hnext = t->free_head;
    t->free_head = idx;
    t->count--;
}

void pt_file_put(struct pt_fs *fs, struct pt_file *f)
{
    struct pt_ftable *t = &fs->ftab;
    char *buf = NULL;
    int fd = -1;

    if (!f) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (f->pins > 0) {
        f->pins--;
    }
    if (f->pins == 0 && f->released && f->used) {
        retire(t, f, f->idx, &fd, &buf);
    }
    pthread_mutex_unlock(&t->lock);
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
}

int pt_file_release(struct pt_fs *fs, uint64_t fh)
{
    struct pt_ftable *t = &fs->ftab;
    struct pt_file *f;
    char *buf = NULL;
    uint32_t idx;
    int fd = -1;

    pthread_mutex_lock(&t->lock);
    f = by_fh(t, fh, &idx);
    if (!f) {
        pthread_mutex_unlock(&t->lock);
        return -EBADF;
    }
    f->released = true;
    if (f->pins == 0) {
        retire(t, f, idx, &fd, &buf);
    }
    pthread_mutex_unlock(&t->lock);
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    return 0;
}
