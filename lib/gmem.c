/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gmem.c - guest memory table and address translation (gmem.h).
 *
 * Security model: region descriptions come from the VMM and are not
 * trusted.  Every region is checked before anything is mapped: non-zero
 * size, no overflow of gpa + size, uaddr + size or mmap_offset + size,
 * no overlap with another region in either address space, and (for a
 * regular file) the file long enough for the mapping, so an access
 * within a region never faults with SIGBUS at the time of the mapping.
 * A VMM that truncates the file afterwards can still make accesses
 * fault; that is the VMM killing its own device.  Addresses to translate
 * come from the guest: lookups are bounds-checked against the table and
 * never return a length past a region's end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gmem.h"
#include "log.h"

/* One mmap() of one region's fd, shared by the tables that list it. */
struct gmem_map {
    atomic_uint refs;
    void *base;    /* mmap() result */
    size_t len;    /* mmap() length */
    uint8_t *host; /* address of the region's gpa */
    struct vhu_mem_region r;
    dev_t dev;
    ino_t ino;
};

struct gmem_treg {
    uint64_t gpa;
    uint64_t size;
    uint64_t uaddr;
    uint8_t *host;
    struct gmem_map *map;
};

struct gmem_table {
    atomic_uint refs;
    unsigned int n;
    struct gmem_treg regs[]; /* sorted by gpa, no overlap */
};

struct gmem {
    pthread_mutex_t lock; /* protects cur (the pointer, not the table) */
    struct gmem_table *cur;
    _Atomic uint64_t gen;
};

static void map_put(struct gmem_map *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
        munmap(m->base, m->len);
        free(m);
    }
}

static struct gmem_table *table_alloc(unsigned int n)
{
    struct gmem_table *t =
        calloc(1, sizeof(*t) + (size_t)n * sizeof(struct gmem_treg));

    if (t) {
        atomic_init(&t->refs, 1);
        t->n = n;
    }
    return t;
}

struct gmem_table *gmem_table_ref(struct gmem_table *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void gmem_table_put(struct gmem_table *t)
{
    unsigned int i;

    if (!t || atomic_fetch_sub(&t->refs, 1) != 1) {
        return;
    }
    for (i = 0; i < t->n; i++) {
        map_put(t->regs[i].map);
    }
    free(t);
}

int gmem_new(struct gmem **out)
{
    struct gmem *gm = calloc(1, sizeof(*gm));

    if (!gm) {
        return -ENOMEM;
    }
    gm->cur = table_alloc(0);
    if (!gm->cur) {
        free(gm);
        return -ENOMEM;
    }
    pthread_mutex_init(&gm->lock, NULL);
    *out = gm;
    return 0;
}

void gmem_free(struct gmem *gm)
{
    if (!gm) {
        return;
    }
    gmem_table_put(gm->cur);
    pthread_mutex_destroy(&gm->lock);
    free(gm);
}

uint64_t gmem_generation(const struct gmem *gm)
{
    return atomic_load_explicit(&gm->gen, memory_order_acquire);
}

struct gmem_table *gmem_get(struct gmem *gm)
{
    struct gmem_table *t;

    /* The lock makes "read cur, take a reference" atomic against a swap
     * that drops the gmem's own reference on the old table. */
    pthread_mutex_lock(&gm->lock);
    t = gmem_table_ref(gm->cur);
    pthread_mutex_unlock(&gm->lock);
    return t;
}

/* Swap @t in (consuming the caller's reference) and drop the old one. */
static void swap_table(struct gmem *gm, struct gmem_table *t)
{
    struct gmem_table *old;

    pthread_mutex_lock(&gm->lock);
    old = gm->cur;
    gm->cur = t;
    /* Release: a reader that sees the new generation and calls
     * gmem_get() finds the new table. */
    atomic_fetch_add_explicit(&gm->gen, 1, memory_order_release);
    pthread_mutex_unlock(&gm->lock);
    gmem_table_put(old);
}

static bool region_ok(const struct vhu_mem_region *r)
{
    uint64_t end;

    return r->memory_size != 0 &&
           !__builtin_add_overflow(r->guest_phys_addr, r->memory_size - 1,
                                   &end) &&
           !__builtin_add_overflow(r->userspace_addr, r->memory_size - 1,
                                   &end) &&
           !__builtin_add_overflow(r->mmap_offset, r->memory_size, &end) &&
           r->memory_size <= SIZE_MAX / 2;
}

/* Inclusive-end overlap of [a, a + alen) and [b, b + blen), lens > 0. */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a <= b + (blen - 1) && b <= a + (alen - 1);
}

static bool regions_overlap(const struct vhu_mem_region *a,
                            const struct vhu_mem_region *b)
{
    return overlap(a->guest_phys_addr, a->memory_size, b->guest_phys_addr,
                   b->memory_size) ||
           overlap(a->userspace_addr, a->memory_size, b->userspace_addr,
                   b->memory_size);
}

static bool same_region(const struct vhu_mem_region *a,
                        const struct vhu_mem_region *b)
{
    return a->guest_phys_addr == b->guest_phys_addr &&
           a->memory_size == b->memory_size &&
           a->userspace_addr == b->userspace_addr &&
           a->mmap_offset == b->mmap_offset;
}

/* Map one checked region.  Does not close @fd. */
static int map_region(const struct vhu_mem_region *r, int fd,
                      struct gmem_map **out)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t aligned = r->mmap_offset & ~(uint64_t)(pg - 1);
    uint64_t skew = r->mmap_offset - aligned;
    struct gmem_map *m;
    struct stat st;
    void *p;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    /* A mapping past the end of a file faults on access (SIGBUS). */
    if (S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < r->mmap_offset + r->memory_size) {
        vhostfs_log(VHOSTFS_LOG_ERR,
                    "memory region gpa 0x%llx: file too short (%lld bytes)",
                    (unsigned long long)r->guest_phys_addr,
                    (long long)st.st_size);
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        return -ENOMEM;
    }
    m->len = (size_t)(r->memory_size + skew);
    p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
             fd, (off_t)aligned);
    if (p == MAP_FAILED) {
        int err = -errno;

        vhostfs_log(VHOSTFS_LOG_ERR, "memory region gpa 0x%llx: mmap: %s",
                    (unsigned long long)r->guest_phys_addr, strerror(-err));
        free(m);
        return err;
    }
    atomic_init(&m->refs, 1);
    m->base = p;
    m->host = (uint8_t *)p + skew;
    m->r = *r;
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    *out = m;
    return 0;
}

static int cmp_gpa(const void *a, const void *b)
{
    const struct gmem_treg *x = a, *y = b;

    return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static int cmp_uaddr(const void *a, const void *b)
{
    const struct vhu_mem_region *x = *(const struct vhu_mem_region *const *)a;
    const struct vhu_mem_region *y = *(const struct vhu_mem_region *const *)b;

    return x->userspace_addr < y->userspace_addr
               ? -1
               : x->userspace_addr > y->userspace_addr;
}

/* Fill t->regs[i] from map @m (takes the caller's map reference). */
static void set_treg(struct gmem_table *t, unsigned int i, struct gmem_map *m)
{
    t->regs[i].gpa = m->r.guest_phys_addr;
    t->regs[i].size = m->r.memory_size;
    t->regs[i].uaddr = m->r.userspace_addr;
    t->regs[i].host = m->host;
    t->regs[i].map = m;
}

/*
 * Sort @t by gpa and check that no two regions overlap in either space
 * (O(n log n): sorted neighbours suffice).
 */
static int table_finish(struct gmem_table *t)
{
    const struct vhu_mem_region **byu;
    unsigned int i;
    int rc = 0;

    qsort(t->regs, t->n, sizeof(t->regs[0]), cmp_gpa);
    if (t->n < 2) {
        return 0;
    }
    byu = calloc(t->n, sizeof(*byu));
    if (!byu) {
        return -ENOMEM;
    }
    for (i = 0; i < t->n; i++) {
        byu[i] = &t->regs[i].map->r;
    }
    qsort(byu, t->n, sizeof(*byu), cmp_uaddr);
    for (i = 1; i < t->n && rc == 0; i++) {
        if (regions_overlap(&t->regs[i - 1].map->r, &t->regs[i].map->r) ||
            regions_overlap(byu[i - 1], byu[i])) {
            rc = -EINVAL;
        }
    }
    free(byu);
    return rc;
}

/* A map of the current table that @r (backed by @fd) can reuse. */
static struct gmem_map *find_reusable(const struct gmem_table *cur,
                                      const struct vhu_mem_region *r, int fd)
{
    struct stat st;
    unsigned int i;

    if (fstat(fd, &st) < 0) {
        return NULL;
    }
    for (i = 0; i < cur->n; i++) {
        struct gmem_map *m = cur->regs[i].map;

        if (same_region(&m->r, r) && m->dev == st.st_dev &&
            m->ino == st.st_ino) {
            return m;
        }
    }
    return NULL;
}

int gmem_set_table(struct gmem *gm, const struct vhu_mem_region *regions,
                   int *fds, unsigned int n)
{
    struct gmem_table *t, *cur;
    unsigned int i;
    int rc = 0;

    if (n > GMEM_MAX_REGIONS) {
        return -E2BIG;
    }
    for (i = 0; i < n; i++) {
        if (!region_ok(&regions[i]) || fds[i] < 0) {
            return -EINVAL;
        }
    }
    t = table_alloc(n);
    if (!t) {
        return -ENOMEM;
    }
    /* Only the control thread changes the table: cur is stable here. */
    cur = gmem_get(gm);
    for (i = 0; i < n; i++) {
        struct gmem_map *m = find_reusable(cur, &regions[i], fds[i]);

        if (m) {
            atomic_fetch_add(&m->refs, 1);
        } else {
            rc = map_region(&regions[i], fds[i], &m);
            if (rc < 0) {
                t->n = i;
                goto fail;
            }
        }
        set_treg(t, i, m);
    }
    rc = table_finish(t);
    if (rc < 0) {
        goto fail;
    }
    gmem_table_put(cur);
    for (i = 0; i < n; i++) {
        close(fds[i]);
        fds[i] = -1;
    }
    swap_table(gm, t);
    return 0;

fail:
    gmem_table_put(cur);
    gmem_table_put(t);
    return rc;
}

int gmem_add_region(struct gmem *gm, const struct vhu_mem_region *region,
                    int *fd)
{
    struct gmem_table *t, *cur;
    struct gmem_map *m;
    unsigned int i;
    int rc;

    if (!region_ok(region) || *fd < 0) {
        return -EINVAL;
    }
    cur = gmem_get(gm);
    if (cur->n >= GMEM_MAX_REGIONS) {
        gmem_table_put(cur);
        return -E2BIG;
    }
    for (i = 0; i < cur->n; i++) {
        if (regions_overlap(&cur->regs[i].map->r, region)) {
            gmem_table_put(cur);
            return -EINVAL;
        }
    }
    t = table_alloc(cur->n + 1);
    if (!t) {
        gmem_table_put(cur);
        return -ENOMEM;
    }
    rc = map_region(region, *fd, &m);
    if (rc < 0) {
        t->n = 0;
        gmem_table_put(t);
        gmem_table_put(cur);
        return rc;
    }
    for (i = 0; i < cur->n; i++) {
        t->regs[i] = cur->regs[i];
        atomic_fetch_add(&t->regs[i].map->refs, 1);
    }
    set_treg(t, cur->n, m);
    gmem_table_put(cur);
    qsort(t->regs, t->n, sizeof(t->regs[0]), cmp_gpa);
    close(*fd);
    *fd = -1;
    swap_table(gm, t);
    return 0;
}

int gmem_remove_region(struct gmem *gm, const struct vhu_mem_region *region)
{
    struct gmem_table *t, *cur = gmem_get(gm);
    unsigned int i, j = 0;
    bool found = false;

    t = table_alloc(cur->n);
    if (!t) {
        gmem_table_put(cur);
        return -ENOMEM;
    }
    for (i = 0; i < cur->n; i++) {
        const struct vhu_mem_region *r = &cur->regs[i].map->r;

        if (!found && r->guest_phys_addr == region->guest_phys_addr &&
            r->memory_size == region->memory_size &&
            r->userspace_addr == region->userspace_addr) {
            found = true;
            continue;
        }
        t->regs[j] = cur->regs[i];
        atomic_fetch_add(&t->regs[j].map->refs, 1);
        j++;
    }
    t->n = j;
    gmem_table_put(cur);
    if (!found) {
        gmem_table_put(t);
        return -ENOENT;
    }
    swap_table(gm, t);
    return 0;
}

unsigned int gmem_table_nregions(const struct gmem_table *t)
{
    return t->n;
}

int gmem_table_region(const struct gmem_table *t, unsigned int i,
                      struct gmem_region_info *info)
{
    if (i >= t->n) {
        return -ENOENT;
    }
    info->gpa = t->regs[i].gpa;
    info->size = t->regs[i].size;
    info->uaddr = t->regs[i].uaddr;
    info->host = t->regs[i].host;
    return 0;
}

/* The region holding @gpa, or NULL (binary search: sorted, disjoint). */
static const struct gmem_treg *find_gpa(const struct gmem_table *t,
                                        uint64_t gpa)
{
    unsigned int lo = 0, hi = t->n;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        const struct gmem_treg *r = &t->regs[mid];

        if (gpa < r->gpa) {
            hi = mid;
        } else if (gpa - r->gpa >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

void *gmem_gpa_to_va(const struct gmem_table *t, uint64_t gpa, uint64_t *len)
{
    const struct gmem_treg *r = find_gpa(t, gpa);
    uint64_t left;

    if (!r) {
        *len = 0;
        return NULL;
    }
    left = r->size - (gpa - r->gpa);
    if (*len > left) {
        *len = left;
    }
    return r->host + (gpa - r->gpa);
}

void *gmem_uva_to_va(const struct gmem_table *t, uint64_t uaddr, uint64_t *len)
{
    unsigned int i;

    /* Ring setup only: a linear scan is enough. */
    for (i = 0; i < t->n; i++) {
        const struct gmem_treg *r = &t->regs[i];

        if (uaddr >= r->uaddr && uaddr - r->uaddr < r->size) {
            uint64_t left = r->size - (uaddr - r->uaddr);

            if (*len > left) {
                *len = left;
            }
            return r->host + (uaddr - r->uaddr);
        }
    }
    *len = 0;
    return NULL;
}

int gmem_gpa_to_uva(const struct gmem_table *t, uint64_t gpa, uint64_t *uaddr)
{
    const struct gmem_treg *r = find_gpa(t, gpa);

    if (!r) {
        return -EFAULT;
    }
    *uaddr = r->uaddr + (gpa - r->gpa);
    return 0;
}

int gmem_gpa_to_iov(const struct gmem_table *t, uint64_t gpa, uint64_t len,
                    struct iovec *iov, unsigned int max)
{
    unsigned int n = 0;
    uint64_t end;

    if (len == 0) {
        return 0;
    }
    if (__builtin_add_overflow(gpa, len - 1, &end)) {
        return -EFAULT;
    }
    while (len > 0) {
        uint64_t got = len;
        void *p = gmem_gpa_to_va(t, gpa, &got);

        if (!p) {
            return -EFAULT;
        }
        if (n == max) {
            return -ENOBUFS;
        }
        iov[n].iov_base = p;
        iov[n].iov_len = (size_t)got;
        n++;
        gpa += got;
        len -= got;
    }
    return (int)n;
}

bool gmem_overlaps(const struct gmem_table *t, uint64_t gpa, uint64_t len)
{
    uint64_t last;

    if (len == 0) {
        return false;
    }
    if (__builtin_add_overflow(gpa, len - 1, &last)) {
        return true;
    }
    for (unsigned int i = 0; i < t->n; i++) {
        const struct gmem_treg *r = &t->regs[i];

        /* Sorted by gpa: no later region starts at or before last. */
        if (r->gpa > last) {
            break;
        }
        /* r starts inside the range, or the range starts inside r. */
        if (r->gpa >= gpa || gpa - r->gpa < r->size) {
            return true;
        }
    }
    return false;
}
