/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-gmem.c - guest memory table: mapping, translation at region
 * boundaries, hostile region descriptions, table changes while a reader
 * holds the old table.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gmem.h"
#include "test.h"

#define MB (1024ull * 1024)

static struct vhu_mem_region region(uint64_t gpa, uint64_t size, uint64_t uaddr,
                                    uint64_t off)
{
    struct vhu_mem_region r = {
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = uaddr,
        .mmap_offset = off,
    };

    return r;
}

/* A memfd of @size bytes whose byte i is (i * 7 + seed) & 0xff. */
static int pattern_memfd(size_t size, unsigned int seed)
{
    int fd = test_memfd("gmem", size);
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    size_t i;

    ASSERT(p != MAP_FAILED);
    for (i = 0; i < size; i++) {
        p[i] = (uint8_t)(i * 7 + seed);
    }
    munmap(p, size);
    return fd;
}

static uint8_t pattern(uint64_t off, unsigned int seed)
{
    return (uint8_t)(off * 7 + seed);
}

/* Two regions adjacent in GPA, apart in VMM space, second one mapped
 * from a mmap_offset that is not page aligned. */
static struct gmem *two_regions(void)
{
    struct vhu_mem_region r[2] = {
        region(0x100000, 1 * MB, 0x7f0000000000, 0),
        region(0x200000, 64 * 1024 + 100, 0x7e0000000000, 0x1234),
    };
    int fds[2] = {pattern_memfd(1 * MB, 1),
                  pattern_memfd(0x1234 + 64 * 1024 + 100, 2)};
    struct gmem *gm;

    ASSERT_OK(gmem_new(&gm));
    ASSERT_OK(gmem_set_table(gm, r, fds, 2));
    ASSERT_EQ(fds[0], -1);
    ASSERT_EQ(fds[1], -1);
    return gm;
}

TEST(translate_within_and_across)
{
    struct gmem *gm = two_regions();
    struct gmem_table *t = gmem_get(gm);
    struct iovec iov[4];
    uint64_t len = 4096;
    uint8_t *p;

    ASSERT_EQ(gmem_table_nregions(t), 2);
    p = gmem_gpa_to_va(t, 0x100010, &len);
    ASSERT(p);
    ASSERT_EQ(len, 4096);
    ASSERT_EQ(p[0], pattern(0x10, 1));

    /* Cut at the region end. */
    len = 1000;
    p = gmem_gpa_to_va(t, 0x200000 - 10, &len);
    ASSERT(p);
    ASSERT_EQ(len, 10);

    /* Non-aligned mmap_offset: first byte is file offset 0x1234. */
    len = 1;
    p = gmem_gpa_to_va(t, 0x200000, &len);
    ASSERT(p);
    ASSERT_EQ(p[0], pattern(0x1234, 2));

    /* One range over the boundary becomes two iovecs. */
    ASSERT_EQ(gmem_gpa_to_iov(t, 0x200000 - 10, 30, iov, 4), 2);
    ASSERT_EQ(iov[0].iov_len, 10);
    ASSERT_EQ(iov[1].iov_len, 20);
    ASSERT_EQ(((uint8_t *)iov[0].iov_base)[9], pattern(1 * MB - 1, 1));
    ASSERT_EQ(((uint8_t *)iov[1].iov_base)[0], pattern(0x1234, 2));
    ASSERT_EQ(gmem_gpa_to_iov(t, 0x200000 - 10, 30, iov, 1), -ENOBUFS);
    ASSERT_EQ(gmem_gpa_to_iov(t, 0x200000 - 10, 0, iov, 1), 0);

    /* VMM addresses. */
    len = 8;
    p = gmem_uva_to_va(t, 0x7e0000000000 + 8, &len);
    ASSERT(p);
    ASSERT_EQ(p[0], pattern(0x1234 + 8, 2));
    len = 100000;
    ASSERT(gmem_uva_to_va(t, 0x7f0000000000 + MB - 1, &len));
    ASSERT_EQ(len, 1);
    {
        uint64_t u;

        ASSERT_OK(gmem_gpa_to_uva(t, 0x200010, &u));
        ASSERT_EQ(u, 0x7e0000000010);
        ASSERT_EQ(gmem_gpa_to_uva(t, 0x50, &u), -EFAULT);
    }
    gmem_table_put(t);
    gmem_free(gm);
}

TEST(translate_outside)
{
    struct gmem *gm = two_regions();
    struct gmem_table *t = gmem_get(gm);
    struct iovec iov[4];
    uint64_t len = 16;

    ASSERT(!gmem_gpa_to_va(t, 0xfffff, &len));
    ASSERT_EQ(len, 0);
    len = 16;
    ASSERT(!gmem_gpa_to_va(t, 0x200000 + 64 * 1024 + 100, &len));
    len = 16;
    ASSERT(!gmem_uva_to_va(t, 0x7f0000000000 - 1, &len));
    /* Partly outside: the end runs off the last region. */
    ASSERT_EQ(gmem_gpa_to_iov(t, 0x200000 + 64 * 1024, 200, iov, 4), -EFAULT);
    /* addr + len overflows. */
    ASSERT_EQ(gmem_gpa_to_iov(t, UINT64_MAX - 4, 16, iov, 4), -EFAULT);
    gmem_table_put(t);
    gmem_free(gm);
}

TEST(overlaps)
{
    struct gmem *gm = two_regions();
    struct gmem_table *t = gmem_get(gm);

    /* Regions: [0x100000, 0x200000) and [0x200000, 0x210064). */
    ASSERT(!gmem_overlaps(t, 0, 0x100000));
    ASSERT(gmem_overlaps(t, 0xfffff, 2));
    ASSERT(gmem_overlaps(t, 0, 0x200000));
    ASSERT(gmem_overlaps(t, 0x150000, 16));
    ASSERT(gmem_overlaps(t, 0x210063, 1));
    ASSERT(!gmem_overlaps(t, 0x210064, 100));
    ASSERT(!gmem_overlaps(t, 0x300000, 1ull << 40));
    ASSERT(gmem_overlaps(t, 0, UINT64_MAX));
    /* Wrapping counts as overlapping; empty never does. */
    ASSERT(gmem_overlaps(t, UINT64_MAX - 4, 16));
    ASSERT(!gmem_overlaps(t, 0x150000, 0));
    gmem_table_put(t);
    gmem_free(gm);
}

TEST(bad_regions_rejected)
{
    struct gmem *gm;
    int fd = test_memfd("gmem", 1 * MB), fds[2];
    int before;
    struct vhu_mem_region bad[] = {
        region(0, 0, 0x1000, 0),                   /* empty */
        region(UINT64_MAX - 100, 4096, 0x1000, 0), /* gpa wraps */
        region(0, 4096, UINT64_MAX - 100, 0),      /* uaddr wraps */
        region(0, 4096, 0x1000, UINT64_MAX - 100), /* offset wraps */
        region(0, 2 * MB, 0x1000, 0),              /* file too short */
        region(0, 4096, 0x1000, 1 * MB),           /* past the end */
    };
    struct vhu_mem_region overlap_gpa[2] = {
        region(0, 8192, 0x10000, 0),
        region(4096, 8192, 0x90000, 0),
    };
    struct vhu_mem_region overlap_uva[2] = {
        region(0, 8192, 0x10000, 0),
        region(0x100000, 8192, 0x11000, 0),
    };
    unsigned int i;

    ASSERT_OK(gmem_new(&gm));
    before = test_count_fds();
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fds[0] = fd;
        ASSERT_LT(gmem_set_table(gm, &bad[i], fds, 1), 0);
        ASSERT_EQ(fds[0], fd); /* left to the caller */
        ASSERT_LT(gmem_add_region(gm, &bad[i], &fds[0]), 0);
        ASSERT_EQ(fds[0], fd);
    }
    fds[0] = fd;
    fds[1] = fd;
    ASSERT_EQ(gmem_set_table(gm, overlap_gpa, fds, 2), -EINVAL);
    ASSERT_EQ(gmem_set_table(gm, overlap_uva, fds, 2), -EINVAL);
    ASSERT_EQ(fds[0], fd);
    ASSERT_EQ(gmem_set_table(gm, NULL, fds, GMEM_MAX_REGIONS + 1), -E2BIG);
    ASSERT_EQ(test_count_fds(), before);
    {
        struct gmem_table *t = gmem_get(gm);

        ASSERT_EQ(gmem_table_nregions(t), 0);
        gmem_table_put(t);
    }
    close(fd);
    gmem_free(gm);
}

TEST(add_remove_regions)
{
    struct gmem *gm;
    struct vhu_mem_region a = region(0, 64 * 1024, 0x10000000, 0);
    struct vhu_mem_region b = region(0x100000, 64 * 1024, 0x20000000, 4096);
    struct vhu_mem_region c = region(0x8000, 64 * 1024, 0x30000000, 0);
    int fa = pattern_memfd(64 * 1024, 3), fb = pattern_memfd(68 * 1024, 4);
    int fc = test_memfd("c", 64 * 1024);
    struct gmem_table *t;
    uint64_t gen, len = 1;
    uint8_t *p;

    ASSERT_OK(gmem_new(&gm));
    gen = gmem_generation(gm);
    ASSERT_OK(gmem_add_region(gm, &b, &fb));
    ASSERT_EQ(fb, -1);
    ASSERT_OK(gmem_add_region(gm, &a, &fa));
    ASSERT_GT(gmem_generation(gm), gen);
    ASSERT_EQ(gmem_add_region(gm, &c, &fc), -EINVAL); /* overlaps a */
    ASSERT_GE(fc, 0);
    close(fc);

    t = gmem_get(gm);
    ASSERT_EQ(gmem_table_nregions(t), 2);
    {
        struct gmem_region_info info;

        ASSERT_OK(gmem_table_region(t, 0, &info));
        ASSERT_EQ(info.gpa, 0); /* sorted by gpa */
        ASSERT_OK(gmem_table_region(t, 1, &info));
        ASSERT_EQ(info.gpa, 0x100000);
        ASSERT_EQ(gmem_table_region(t, 2, &info), -ENOENT);
    }
    p = gmem_gpa_to_va(t, 0x100000 + 5, &len);
    ASSERT(p);
    ASSERT_EQ(p[0], pattern(4096 + 5, 4));

    /* Remove b while t is held: t still translates and stays mapped. */
    ASSERT_OK(gmem_remove_region(gm, &b));
    ASSERT_EQ(gmem_remove_region(gm, &b), -ENOENT);
    ASSERT_EQ(p[0], pattern(4096 + 5, 4));
    len = 1;
    ASSERT(gmem_gpa_to_va(t, 0x100000 + 5, &len));
    gmem_table_put(t);

    t = gmem_get(gm);
    ASSERT_EQ(gmem_table_nregions(t), 1);
    len = 1;
    ASSERT(!gmem_gpa_to_va(t, 0x100000 + 5, &len));
    p = gmem_gpa_to_va(t, 7, &len);
    ASSERT(p);
    ASSERT_EQ(p[0], pattern(7, 3));
    gmem_table_put(t);
    gmem_free(gm);
}

TEST(set_table_replaces_and_reuses)
{
    struct gmem *gm;
    struct vhu_mem_region r = region(0, 64 * 1024, 0x10000000, 0);
    int fd = pattern_memfd(64 * 1024, 5), fd2 = dup(fd);
    struct gmem_table *t1, *t2;
    uint64_t len = 1;
    uint8_t *p1, *p2;
    int before;

    ASSERT_OK(gmem_new(&gm));
    ASSERT_OK(gmem_set_table(gm, &r, &fd, 1));
    t1 = gmem_get(gm);
    before = test_count_fds();
    /* The same region of the same file again: the mapping is kept. */
    ASSERT_OK(gmem_set_table(gm, &r, &fd2, 1));
    ASSERT_EQ(test_count_fds(), before - 1); /* fd2 closed */
    t2 = gmem_get(gm);
    ASSERT(t1 != t2);
    p1 = gmem_gpa_to_va(t1, 0, &len);
    len = 1;
    p2 = gmem_gpa_to_va(t2, 0, &len);
    ASSERT(p1 == p2);
    gmem_table_put(t1);
    gmem_table_put(t2);
    /* An empty table. */
    ASSERT_OK(gmem_set_table(gm, NULL, NULL, 0));
    t1 = gmem_get(gm);
    ASSERT_EQ(gmem_table_nregions(t1), 0);
    gmem_table_put(t1);
    gmem_free(gm);
}

TEST(many_regions_binary_search)
{
    static struct vhu_mem_region r[GMEM_MAX_REGIONS];
    static int fds[GMEM_MAX_REGIONS];
    int fd = pattern_memfd(GMEM_MAX_REGIONS * 4096ull, 6);
    struct gmem_table *t;
    struct gmem *gm;
    unsigned int i;

    ASSERT_OK(gmem_new(&gm));
    /* Given in reverse order, each a page with a one-page hole. */
    for (i = 0; i < GMEM_MAX_REGIONS; i++) {
        unsigned int j = GMEM_MAX_REGIONS - 1 - i;

        r[i] = region(j * 8192ull, 4096, 0x40000000 + j * 4096ull, j * 4096ull);
        fds[i] = dup(fd);
        ASSERT_GE(fds[i], 0);
    }
    close(fd);
    ASSERT_OK(gmem_set_table(gm, r, fds, GMEM_MAX_REGIONS));
    t = gmem_get(gm);
    for (i = 0; i < GMEM_MAX_REGIONS; i++) {
        uint64_t len = 8192;
        uint8_t *p = gmem_gpa_to_va(t, i * 8192ull + 1, &len);

        ASSERT(p);
        ASSERT_EQ(len, 4095);
        ASSERT_EQ(p[0], pattern(i * 4096ull + 1, 6));
        len = 1;
        ASSERT(!gmem_gpa_to_va(t, i * 8192ull + 4096, &len));
    }
    gmem_table_put(t);
    gmem_free(gm);
}

TEST(no_fd_leak)
{
    int before = test_count_fds();
    struct gmem *gm = two_regions();

    gmem_free(gm);
    ASSERT_EQ(test_count_fds(), before);
}

TEST_MAIN(T(translate_within_and_across), T(translate_outside), T(overlaps),
          T(bad_regions_rejected), T(add_remove_regions),
          T(set_table_replaces_and_reuses), T(many_regions_binary_search),
          T(no_fd_leak))
