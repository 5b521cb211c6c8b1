/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gmem.h - guest memory: the table of regions the VMM shares with the
 * device (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG) and address translation.
 *
 * Each region's fd is mmap()ed once, MAP_SHARED | MAP_NORESERVE, when the
 * region arrives; the fd is closed right after (the mapping keeps the file
 * alive).  A mapping is shared by every table that lists the region.
 *
 * Concurrency rule: a struct gmem_table is immutable and reference
 * counted.  A change of regions builds a new table and swaps it in under
 * the gmem's lock; the old table (and every mapping only it uses) is
 * unmapped when its last reference goes.  A reader (a queue thread, a
 * request in flight) takes a reference with gmem_get() and translates
 * against that snapshot, so no reader ever sees half of a change, and
 * an address it translated stays mapped until it drops the reference.
 * The swap never waits for readers.
 *
 * Translation never crosses a region boundary: it returns how many bytes
 * are contiguous from the address, and gmem_gpa_to_iov() splits a range
 * into one iovec per region it touches.
 */
#ifndef VHOSTFS_GMEM_H
#define VHOSTFS_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vhu-proto.h"

/* Most regions a table holds (QEMU and rust-vmm: 509 memory slots). */
#define GMEM_MAX_REGIONS 509u

struct gmem;       /* the current table and its lock */
struct gmem_table; /* one immutable, reference-counted snapshot */

/* One region of a table, as gmem_table_region() reports it. */
struct gmem_region_info {
    uint64_t gpa;   /* guest-physical start */
    uint64_t size;  /* bytes */
    uint64_t uaddr; /* the VMM's virtual address of gpa */
    void *host;     /* this process's address of gpa */
};

/**
 * gmem_new() - an empty guest memory (a table with no region).
 * Free with gmem_free().  Returns 0 or -ENOMEM.
 */
int gmem_new(struct gmem **out);

/**
 * gmem_free() - drop the gmem's reference on its current table.  Tables
 * still referenced by readers stay mapped until gmem_table_put().
 */
void gmem_free(struct gmem *gm);

/**
 * gmem_set_table() - replace every region (SET_MEM_TABLE).
 * @regions: @n regions (n <= GMEM_MAX_REGIONS), in any order.
 * @fds: @n fds, fds[i] backs regions[i].
 *
 * Checks every region (size > 0, no overflow of gpa + size, uaddr + size,
 * mmap_offset + size; no two regions overlapping in guest-physical or in
 * VMM-virtual space), maps them, then swaps the table in.  On success
 * every fds[i] is consumed and set to -1; on failure the table is
 * unchanged and the fds are left to the caller.
 * Returns 0, -EINVAL (bad or overlapping region), -E2BIG, -ENOMEM or the
 * mmap() error.
 */
int gmem_set_table(struct gmem *gm, const struct vhu_mem_region *regions,
                   int *fds, unsigned int n);

/**
 * gmem_add_region() - add one region (ADD_MEM_REG).  *fd is consumed and
 * set to -1 on success, left to the caller on failure.  Returns 0, -EINVAL
 * (bad region or overlap with an existing one), -E2BIG (table full),
 * -ENOMEM or the mmap() error.
 */
int gmem_add_region(struct gmem *gm, const struct vhu_mem_region *region,
                    int *fd);

/**
 * gmem_remove_region() - remove the region with the same guest_phys_addr,
 * memory_size and userspace_addr (REM_MEM_REG; mmap_offset is ignored, as
 * QEMU does).  Returns 0, -ENOENT when no region matches, or -ENOMEM.
 */
int gmem_remove_region(struct gmem *gm, const struct vhu_mem_region *region);

/**
 * gmem_generation() - a counter bumped by every table change: a reader
 * holding a table compares it with the value it saw to know when to
 * gmem_get() again (a relaxed-cost atomic load, no lock).
 */
uint64_t gmem_generation(const struct gmem *gm);

/**
 * gmem_get() - a new reference on the current table (never NULL).
 * Release with gmem_table_put().
 */
struct gmem_table *gmem_get(struct gmem *gm);

/** gmem_table_ref() - one more reference on @t; returns @t. */
struct gmem_table *gmem_table_ref(struct gmem_table *t);

/** gmem_table_put() - drop a reference (NULL is ignored). */
void gmem_table_put(struct gmem_table *t);

/** gmem_table_nregions() - number of regions in @t. */
unsigned int gmem_table_nregions(const struct gmem_table *t);

/**
 * gmem_table_region() - region @i (sorted by gpa) of @t.
 * Returns 0 or -ENOENT when i >= nregions.
 */
int gmem_table_region(const struct gmem_table *t, unsigned int i,
                      struct gmem_region_info *info);

/**
 * gmem_gpa_to_va() - translate a guest-physical address.
 * @len: in: bytes wanted (0 allowed); out: bytes usable from the returned
 *       address, at most the bytes wanted, cut at the region's end.
 *
 * Returns the host address, or NULL (and *len = 0) when @gpa is in no
 * region.
 */
void *gmem_gpa_to_va(const struct gmem_table *t, uint64_t gpa, uint64_t *len);

/**
 * gmem_uva_to_va() - translate a VMM virtual address (vring addresses of
 * SET_VRING_ADDR are given that way); same contract as gmem_gpa_to_va().
 */
void *gmem_uva_to_va(const struct gmem_table *t, uint64_t uaddr, uint64_t *len);

/**
 * gmem_gpa_to_uva() - the VMM virtual address of guest-physical @gpa
 * (what a VMM puts in SET_VRING_ADDR).  Returns 0 or -EFAULT.
 */
int gmem_gpa_to_uva(const struct gmem_table *t, uint64_t gpa, uint64_t *uaddr);

/**
 * gmem_gpa_to_iov() - map [gpa, gpa + len) to iovecs, one per region
 * crossed, appended at @iov (at most @max entries).
 *
 * Returns the number of iovecs written (0 for len == 0), -EFAULT when
 * gpa + len overflows or any byte of the range is in no region, or
 * -ENOBUFS when more than @max iovecs would be needed.
 */
int gmem_gpa_to_iov(const struct gmem_table *t, uint64_t gpa, uint64_t len,
                    struct iovec *iov, unsigned int max);

/**
 * gmem_overlaps() - whether any byte of [gpa, gpa + len) is in a region
 * of @t.  A range that wraps past 2^64 counts as overlapping (it is never
 * a valid outside range either).  False for len == 0.
 */
bool gmem_overlaps(const struct gmem_table *t, uint64_t gpa, uint64_t len);

#endif /* VHOSTFS_GMEM_H */
