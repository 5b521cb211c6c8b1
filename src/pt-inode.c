/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-inode.c - the inode table of the passthrough filesystem.
 *
 * Security model: node ids come from the guest.  An id is a slot index (low
 * 32 bits) and that slot's generation (high 32 bits); a lookup checks the
 * index against the slots handed out and the generation against the slot's,
 * so a stale id (FORGET then reuse) or a forged one finds nothing and no
 * pointer is ever derived from guest data.  The guest's lookup counts are
 * honoured: an inode goes when FORGET drops its count to zero and no request
 * has it pinned.  The root (slot 1, FUSE_ROOT_ID) never goes.
 *
 * Inodes are keyed by (device, inode number, mount id).  Each keeps an
 * O_PATH fd, or, with file handles, a name_to_handle_at() handle that
 * open_by_handle_at() turns into an fd only while a request needs one: a
 * tree of millions of inodes then costs memory, not fds.
 *
 * Memory: the slots live in chunks of PT_CHUNK_SLOTS, each mapped on its
 * own; a slot is set up when it is first handed out, so only the pages of
 * slots in use (or used before and now on the free list) are resident.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pt-int.h"

#define SLOT_MASK (PT_CHUNK_SLOTS - 1)

static struct pt_inode *slot(struct pt_itable *t, uint32_t idx)
{
    return &t->chunks[idx >> PT_CHUNK_SHIFT][idx & SLOT_MASK];
}

static uint32_t key_hash(uint64_t dev, uint64_t ino, uint64_t mnt_id)
{
    uint64_t h = ino * 0x9e3779b97f4a7c15ull;

    h ^= (dev + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    h ^= mnt_id * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return (uint32_t)(h ^ (h >> 32));
}

#define CHUNK_BYTES ((size_t)PT_CHUNK_SLOTS * sizeof(struct pt_inode))

void *pt_chunk_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void pt_chunk_unmap(void *chunk, size_t size)
{
    if (chunk) {
        munmap(chunk, size);
    }
}

int pt_itable_init(struct pt_itable *t)
{
    unsigned int i;

    memset(t, 0, sizeof(*t));
    t->nbuckets = 1024;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        return -ENOMEM;
    }
    t->nslots = 1; /* index 0 is never a node id */
    pthread_mutex_init(&t->lock, NULL);
    for (i = 0; i < PT_PLOCK_STRIPES; i++) {
        pthread_mutex_init(&t->plock_locks[i], NULL);
    }
    return 0;
}

static void free_plocks(struct pt_plock *p)
{
    while (p) {
        struct pt_plock *next = p->next;

        close(p->fd);
        free(p);
        p = next;
    }
}

void pt_itable_fini(struct pt_itable *t)
{
    uint32_t i;

    for (i = 1; i < t->nslots; i++) {
        struct pt_inode *ino = slot(t, i);

        if (ino->used) {
            if (ino->fd >= 0) {
                close(ino->fd);
            }
            free(ino->fh);
            free_plocks(ino->plocks);
        }
    }
    for (i = 0; i < t->nchunks; i++) {
        pt_chunk_unmap(t->chunks[i], CHUNK_BYTES);
    }
    for (i = 0; i < PT_PLOCK_STRIPES; i++) {
        pthread_mutex_destroy(&t->plock_locks[i]);
    }
    free(t->chunks);
    free(t->buckets);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

/* Called with t->lock held. */
static struct pt_inode *find(struct pt_itable *t, uint64_t dev, uint64_t ino,
                             uint64_t mnt_id)
{
    uint32_t i = t->buckets[key_hash(dev, ino, mnt_id) & (t->nbuckets - 1)];

    while (i) {
        struct pt_inode *n = slot(t, i);

        if (n->ino == ino && n->dev == dev && n->mnt_id == mnt_id) {
            return n;
        }
        i = n->hnext;
    }
    return NULL;
}

/* Called with t->lock held.  Keeps the old buckets if memory is short. */
static void grow_buckets(struct pt_itable *t)
{
    uint32_t n = t->nbuckets * 2, i;
    uint32_t *b;

    if (n == 0 || n > PT_MAX_SLOTS) {
        return;
    }
    b = calloc(n, sizeof(*b));
    if (!b) {
        return;
    }
    for (i = 1; i < t->nslots; i++) {
        struct pt_inode *ino = slot(t, i);

        if (ino->used && ino->hashed) {
            uint32_t h = key_hash(ino->dev, ino->ino, ino->mnt_id) & (n - 1);

            ino->hnext = b[h];
            b[h] = i;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* Called with t->lock held.  A free slot, or NULL (-ENOMEM / -ENFILE). */
static struct pt_inode *alloc_slot(struct pt_itable *t, int *err)
{
    struct pt_inode *ino;
    uint32_t idx;

    if (t->free_head) {
        idx = t->free_head;
        ino = slot(t, idx);
        t->free_head = ino->hnext;
        return ino;
    }
    if (t->nslots >= PT_MAX_SLOTS) {
        *err = -ENFILE;
        return NULL;
    }
    idx = t->nslots;
    if ((idx >> PT_CHUNK_SHIFT) >= t->nchunks) {
        struct pt_inode **c, *chunk;

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
    ino = slot(t, idx);
    ino->idx = idx;
    ino->fd = -1;
    ino->mount_fd = -1;
    t->nslots++;
    return ino;
}

/* Called with t->lock held: link a filled slot into the hash. */
static void publish(struct pt_itable *t, struct pt_inode *ino)
{
    uint32_t h;

    if (t->count + 1 > t->nbuckets) {
        grow_buckets(t);
    }
    h = key_hash(ino->dev, ino->ino, ino->mnt_id) & (t->nbuckets - 1);
    ino->hnext = t->buckets[h];
    t->buckets[h] = ino->idx;
    ino->used = true;
    ino->hashed = true;
    t->count++;
    if (ino->fd >= 0) {
        t->nfds++;
    }
}

/* What a freed slot leaves to close once the lock is dropped. */
struct leftovers {
    int fd;
    struct file_handle *fh;
    struct pt_plock *plocks;
};

/* Called with t->lock held: unlink @ino and put its slot on the free list. */
static void unpublish(struct pt_itable *t, struct pt_inode *ino,
                      struct leftovers *l)
{
    uint32_t h = key_hash(ino->dev, ino->ino, ino->mnt_id) & (t->nbuckets - 1);
    uint32_t *p = &t->buckets[h];

    while (ino->hashed && *p && *p != ino->idx) {
        p = &slot(t, *p)->hnext;
    }
    if (ino->hashed && *p) {
        *p = ino->hnext;
    }
    ino->hashed = false;
    if (ino->fd >= 0) {
        t->nfds--;
    }
    l->fd = ino->fd;
    l->fh = ino->fh;
    /* nobody pins the inode: nobody holds its plock lock */
    l->plocks = ino->plocks;
    ino->plocks = NULL;
    ino->fd = -1;
    ino->fh = NULL;
    ino->mount_fd = -1;
    ino->used = false;
    ino->gen++;
    ino->hnext = t->free_head;
    t->free_head = ino->idx;
    t->count--;
}

static void drop_leftovers(struct leftovers *l)
{
    if (l->fd >= 0) {
        close(l->fd);
    }
    free(l->fh);
    free_plocks(l->plocks);
}

uint64_t pt_inode_nodeid(const struct pt_inode *ino)
{
    return ((uint64_t)ino->gen << 32) | ino->idx;
}

static uint64_t key_dev(const struct statx *stx)
{
    return ((uint64_t)stx->stx_dev_major << 32) | stx->stx_dev_minor;
}

static uint64_t key_mnt(const struct statx *stx)
{
    return (stx->stx_mask & STATX_MNT_ID) ? stx->stx_mnt_id : 0;
}

int pt_inode_add_root(struct pt_fs *fs, int fd, const struct statx *stx)
{
    struct pt_itable *t = &fs->itab;
    struct pt_inode *ino;
    int err = -ENOMEM;

    pthread_mutex_lock(&t->lock);
    if (t->nslots != 1) {
        pthread_mutex_unlock(&t->lock);
        close(fd);
        return -EEXIST;
    }
    ino = alloc_slot(t, &err);
    if (!ino) {
        pthread_mutex_unlock(&t->lock);
        close(fd);
        return err;
    }
    ino->dev = key_dev(stx);
    ino->ino = stx->stx_ino;
    ino->mnt_id = key_mnt(stx);
    ino->type = stx->stx_mode & S_IFMT;
    ino->fd = fd;
    ino->fh = NULL;
    ino->nlookup = 1; /* never dropped: FORGET of the root is ignored */
    ino->pins = 0;
    publish(t, ino);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

/* Called with t->lock held: one more lookup and a pin on a live inode. */
static int take(struct pt_inode *ino)
{
    if (ino->nlookup == UINT64_MAX || ino->pins == UINT32_MAX) {
        return -EOVERFLOW;
    }
    ino->nlookup++;
    ino->pins++;
    return 0;
}

/* Room for any file handle, on the stack. */
union handle_buf {
    struct file_handle fh;
    char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
};

/* The file handle of the O_PATH fd @fd into @u: 0 or -errno. */
static int make_handle(int fd, union handle_buf *u)
{
    int mnt;

    u->fh.handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(fd, "", &u->fh, &mnt, AT_EMPTY_PATH) < 0) {
        return -errno;
    }
    return 0;
}

/* A malloc'd copy of @h, kept by a new inode. */
static struct file_handle *dup_handle(const struct file_handle *h)
{
    struct file_handle *fh = malloc(sizeof(*fh) + h->handle_bytes);

    if (fh) {
        memcpy(fh, h, sizeof(*fh) + h->handle_bytes);
    }
    return fh;
}

static bool same_handle(const struct file_handle *a,
                        const struct file_handle *b)
{
    return a->handle_type == b->handle_type &&
           a->handle_bytes == b->handle_bytes &&
           memcmp(a->f_handle, b->f_handle, a->handle_bytes) == 0;
}

/* Called with t->lock held: take @ino off the hash, keep the slot. */
static void unhash(struct pt_itable *t, struct pt_inode *ino)
{
    uint32_t h = key_hash(ino->dev, ino->ino, ino->mnt_id) & (t->nbuckets - 1);
    uint32_t *p = &t->buckets[h];

    while (*p && *p != ino->idx) {
        p = &slot(t, *p)->hnext;
    }
    if (*p) {
        *p = ino->hnext;
        ino->hnext = 0;
    }
    ino->hashed = false;
}

/*
 * Called with t->lock held: the live inode with this key, if it is the
 * file @fh names.  An inode kept as a handle does not pin the host inode:
 * once the file is deleted, the filesystem may give its number to a new
 * file, whose handle differs (generation).  The old node stays for the
 * guest (-ESTALE) but is no longer found by its key.
 */
static struct pt_inode *find_same(struct pt_itable *t, uint64_t dev,
                                  uint64_t ino_nr, uint64_t mnt_id,
                                  const struct file_handle *fh)
{
    struct pt_inode *ino = find(t, dev, ino_nr, mnt_id);

    if (ino && ino->fh && fh && !same_handle(ino->fh, fh)) {
        unhash(t, ino);
        return NULL;
    }
    return ino;
}

int pt_inode_intern(struct pt_fs *fs, int fd, const struct statx *stx,
                    struct pt_inode **out)
{
    struct pt_itable *t = &fs->itab;
    uint64_t dev = key_dev(stx), mnt_id = key_mnt(stx);
    const struct file_handle *cand = NULL;
    struct file_handle *fh = NULL;
    struct pt_inode *ino;
    union handle_buf hb;
    int mount_fd = -1, rc = 0;

    /* the handle is made on the stack: no allocation for a known inode */
    if (fs->use_handles) {
        rc = make_handle(fd, &hb);
        if (rc == 0) {
            cand = &hb.fh;
        } else if (fs->opts.inode_file_handles == PT_FH_MANDATORY) {
            close(fd);
            return rc;
        }
    }
    pthread_mutex_lock(&t->lock);
    ino = find_same(t, dev, stx->stx_ino, mnt_id, cand);
    if (ino) {
        goto found;
    }
    pthread_mutex_unlock(&t->lock);

    if (cand) {
        mount_fd = pt_mount_fd(fs, mnt_id, fd, stx->stx_mode & S_IFMT);
        if (mount_fd >= 0) {
            fh = dup_handle(cand);
            rc = fh ? 0 : -ENOMEM;
        } else {
            rc = -EOPNOTSUPP;
        }
        if (!fh && fs->opts.inode_file_handles == PT_FH_MANDATORY) {
            close(fd);
            return rc;
        }
        if (!fh) {
            mount_fd = -1; /* kept as an fd after all */
        }
    }

    pthread_mutex_lock(&t->lock);
    ino = find_same(t, dev, stx->stx_ino, mnt_id, cand); /* a race */
    if (ino) {
        goto found;
    }
    rc = -ENOMEM;
    ino = alloc_slot(t, &rc);
    if (!ino) {
        pthread_mutex_unlock(&t->lock);
        close(fd);
        free(fh);
        return rc;
    }
    ino->dev = dev;
    ino->ino = stx->stx_ino;
    ino->mnt_id = mnt_id;
    ino->type = stx->stx_mode & S_IFMT;
    ino->fh = fh;
    ino->mount_fd = mount_fd;
    ino->fd = fh ? -1 : fd;
    ino->nlookup = 1;
    ino->pins = 1;
    ino->plocks = NULL;
    publish(t, ino);
    pthread_mutex_unlock(&t->lock);
    if (fh) {
        close(fd);
    }
    *out = ino;
    return 0;

found:
    rc = take(ino);
    pthread_mutex_unlock(&t->lock);
    close(fd);
    free(fh);
    *out = rc < 0 ? NULL : ino;
    return rc;
}

int pt_inode_intern_held(struct pt_fs *fs, int fd, const struct statx *stx,
                         struct pt_inode **out)
{
    struct pt_itable *t = &fs->itab;
    struct pt_inode *ino;
    int rc = -ENOENT;

    pthread_mutex_lock(&t->lock);
    ino = find(t, key_dev(stx), stx->stx_ino, key_mnt(stx));
    if (ino && ino->nlookup > 0) {
        rc = take(ino);
    }
    pthread_mutex_unlock(&t->lock);
    close(fd);
    *out = rc < 0 ? NULL : ino;
    return rc;
}

/* Called with t->lock held: the live slot @nodeid names, or NULL. */
static struct pt_inode *by_id(struct pt_itable *t, uint64_t nodeid)
{
    uint32_t idx = (uint32_t)nodeid, gen = (uint32_t)(nodeid >> 32);
    struct pt_inode *ino;

    if (idx == 0 || idx >= t->nslots) {
        return NULL;
    }
    ino = slot(t, idx);
    if (!ino->used || ino->gen != gen || ino->nlookup == 0) {
        return NULL;
    }
    return ino;
}

struct pt_inode *pt_inode_get(struct pt_fs *fs, uint64_t nodeid)
{
    struct pt_itable *t = &fs->itab;
    struct pt_inode *ino;

    pthread_mutex_lock(&t->lock);
    ino = by_id(t, nodeid);
    if (ino) {
        if (ino->pins == UINT32_MAX) {
            ino = NULL;
        } else {
            ino->pins++;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return ino;
}

void pt_inode_put(struct pt_fs *fs, struct pt_inode *ino)
{
    struct pt_itable *t = &fs->itab;
    struct leftovers l = {.fd = -1};
    bool gone = false;

    if (!ino) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (ino->pins > 0) {
        ino->pins--;
    }
    if (ino->pins == 0 && ino->nlookup == 0 && ino->used) {
        unpublish(t, ino, &l);
        gone = true;
    }
    pthread_mutex_unlock(&t->lock);
    if (gone) {
        drop_leftovers(&l);
    }
}

void pt_inode_forget(struct pt_fs *fs, uint64_t nodeid, uint64_t n)
{
    struct pt_itable *t = &fs->itab;
    struct leftovers l = {.fd = -1};
    struct pt_inode *ino;
    bool gone = false;

    if (nodeid == FUSE_ROOT_ID) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    ino = by_id(t, nodeid);
    if (ino) {
        ino->nlookup = n >= ino->nlookup ? 0 : ino->nlookup - n;
        if (ino->nlookup == 0 && ino->pins == 0) {
            unpublish(t, ino, &l);
            gone = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (gone) {
        drop_leftovers(&l);
    }
}

int64_t pt_inode_nlookup(struct pt_fs *fs, uint64_t nodeid)
{
    struct pt_itable *t = &fs->itab;
    struct pt_inode *ino;
    int64_t n = -ESTALE;

    pthread_mutex_lock(&t->lock);
    ino = by_id(t, nodeid);
    if (ino) {
        n = (int64_t)ino->nlookup;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

void pt_inode_plock_lock(struct pt_fs *fs, struct pt_inode *ino)
{
    pthread_mutex_lock(&fs->itab.plock_locks[ino->idx % PT_PLOCK_STRIPES]);
}

void pt_inode_plock_unlock(struct pt_fs *fs, struct pt_inode *ino)
{
    pthread_mutex_unlock(&fs->itab.plock_locks[ino->idx % PT_PLOCK_STRIPES]);
}

int pt_inode_fd(struct pt_fs *fs, struct pt_inode *ino)
{
    int fd;

    (void)fs;
    if (ino->fd >= 0) {
        return ino->fd;
    }
    if (!ino->fh) {
        return -EBADF;
    }
    fd = open_by_handle_at(ino->mount_fd, ino->fh, O_PATH | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void pt_inode_fd_put(struct pt_inode *ino, int fd)
{
    if (fd >= 0 && fd != ino->fd) {
        close(fd);
    }
}

int pt_mount_fd(struct pt_fs *fs, uint64_t mnt_id, int dirfd, mode_t type)
{
    struct pt_mount *m;
    char name[16];
    unsigned int i;
    int fd = -1;

    pthread_mutex_lock(&fs->mnt_lock);
    for (i = 0; i < fs->nmounts; i++) {
        if (fs->mounts[i].mnt_id == mnt_id) {
            fd = fs->mounts[i].fd;
            goto out;
        }
    }
    /*
     * open_by_handle_at() wants a real (not O_PATH) fd on the mount.  Only
     * a directory is opened for it: opening a regular file could have side
     * effects (leases, fanotify), anything else is never opened.
     */
    if (type != S_IFDIR) {
        goto out;
    }
    snprintf(name, sizeof(name), "%d", dirfd);
    m = realloc(fs->mounts, (fs->nmounts + 1) * sizeof(*m));
    if (!m) {
        goto out;
    }
    fs->mounts = m;
    fd = openat(fs->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fd = -1;
        goto out;
    }
    m[fs->nmounts].mnt_id = mnt_id;
    m[fs->nmounts].fd = fd;
    fs->nmounts++;
out:
    pthread_mutex_unlock(&fs->mnt_lock);
    return fd;
}

unsigned long pt_inode_fd_count(struct pt_fs *fs)
{
    unsigned long n;

    pthread_mutex_lock(&fs->itab.lock);
    n = fs->itab.nfds;
    pthread_mutex_unlock(&fs->itab.lock);
    return n;
}

unsigned long pt_inode_count(struct pt_fs *fs)
{
    unsigned long n;

    pthread_mutex_lock(&fs->itab.lock);
    n = fs->itab.count;
    pthread_mutex_unlock(&fs->itab.lock);
    return n;
}
