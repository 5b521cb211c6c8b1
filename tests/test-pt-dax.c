/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-pt-dax.c - the passthrough filesystem's SETUPMAPPING and
 * REMOVEMAPPING with a recording mapper: the file found by node id and
 * opened with the access asked for, ranges checked against the alignment
 * and the window before the mapper sees them, a bad batch removing
 * nothing, FSYNC syncing the window ranges of that file first, and INIT
 * keeping FUSE_MAP_ALIGNMENT only with a mapper.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt-harness.h"
#include "test.h"

#define ROOT   FUSE_ROOT_ID
#define MIB    (1ull << 20)
#define WINDOW (16 * MIB)
#define RD     FUSE_SETUPMAPPING_FLAG_READ
#define WR     FUSE_SETUPMAPPING_FLAG_WRITE

static const struct fs_ctx *ctx = &pth_root_ctx;

/* What the mapper was asked. */
struct rec {
    unsigned int maps, unmaps, syncs;
    int accmode; /* O_ACCMODE of the last map's fd */
    ino_t ino;   /* its inode */
    uint64_t foffset, moffset, len;
    bool writable;
    uint64_t sync_off[8], sync_len[8];
    int result; /* what map returns */
};

static int rec_map(void *c, int fd, uint64_t foffset, uint64_t moffset,
                   uint64_t len, bool writable)
{
    struct rec *r = c;
    struct stat st;

    r->maps++;
    r->accmode = fcntl(fd, F_GETFL) & O_ACCMODE;
    r->ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
    r->foffset = foffset;
    r->moffset = moffset;
    r->len = len;
    r->writable = writable;
    return r->result;
}

static int rec_unmap(void *c, uint64_t moffset, uint64_t len)
{
    struct rec *r = c;

    (void)moffset;
    (void)len;
    r->unmaps++;
    return 0;
}

static int rec_sync(void *c, uint64_t moffset, uint64_t len)
{
    struct rec *r = c;

    if (r->syncs < 8) {
        r->sync_off[r->syncs] = moffset;
        r->sync_len[r->syncs] = len;
    }
    r->syncs++;
    return 0;
}

static struct pt_fs *dax_fs_policy(struct rec *r, bool readonly,
                                   enum pt_dax_inode policy, const char **dir)
{
    struct pt_dax_mapper m = {
        .map = rec_map,
        .unmap = rec_unmap,
        .sync = rec_sync,
        .ctx = r,
        .window_size = WINDOW,
        .align = 4096,
    };
    struct pt_options opt;
    struct pt_fs *fs;

    memset(r, 0, sizeof(*r));
    pt_options_default(&opt);
    opt.readonly = readonly;
    opt.dax_inode = policy;
    fs = pth_fs(&opt, dir);
    ASSERT_EQ(pt_set_dax_mapper(fs, &m), 0);
    ASSERT_EQ(pt_set_dax_mapper(fs, &m), -EINVAL); /* once */
    return fs;
}

static struct pt_fs *dax_fs(struct rec *r, bool readonly, const char **dir)
{
    return dax_fs_policy(r, readonly, PT_DAX_INODE_OFF, dir);
}

TEST(setupmapping_by_node_id_with_the_access_asked)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    struct stat st;
    int64_t id;
    int nfd;

    pth_write_file(pth_path(dir, "f"), "some data");
    ASSERT_EQ(stat(pth_path(dir, "f"), &st), 0);
    id = pth_lookup(fs, ROOT, "f");
    ASSERT_GT(id, 0);
    nfd = test_count_fds();
    /* fh -1, as Linux sends it */
    ASSERT_EQ(PT.setupmapping(fs, ctx, (uint64_t)id, UINT64_MAX, 0, 2 * MIB, RD,
                              4 * MIB),
              0);
    ASSERT_EQ(r.maps, 1);
    ASSERT_EQ(r.accmode, O_RDONLY);
    ASSERT_EQ(r.ino, st.st_ino);
    ASSERT_EQ(r.moffset, 4 * MIB);
    ASSERT_EQ(r.len, 2 * MIB);
    ASSERT(!r.writable);
    /* the same window offset again, read-write: the upgrade */
    ASSERT_EQ(PT.setupmapping(fs, ctx, (uint64_t)id, UINT64_MAX, 2 * MIB,
                              2 * MIB, RD | WR, 4 * MIB),
              0);
    ASSERT_EQ(r.maps, 2);
    ASSERT_EQ(r.accmode, O_RDWR);
    ASSERT_EQ(r.foffset, 2 * MIB);
    ASSERT(r.writable);
    ASSERT_EQ(test_count_fds(), nfd); /* the fd lived for the call only */
    /* the mapper's refusal is the reply */
    r.result = -EPERM;
    ASSERT_EQ(
        PT.setupmapping(fs, ctx, (uint64_t)id, UINT64_MAX, 0, 2 * MIB, RD, 0),
        -EPERM);
    ASSERT_EQ(test_count_fds(), nfd);
    pt_destroy(fs);
}

TEST(setupmapping_checks_before_the_mapper)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    int64_t f, d;
    uint64_t id;

    pth_write_file(pth_path(dir, "f"), "x");
    ASSERT_EQ(mkdir(pth_path(dir, "d"), 0700), 0);
    f = pth_lookup(fs, ROOT, "f");
    d = pth_lookup(fs, ROOT, "d");
    ASSERT_GT(f, 0);
    ASSERT_GT(d, 0);
    id = (uint64_t)f;
    /* window bounds and overflow */
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 2 * MIB, RD, WINDOW), -EINVAL);
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 4 * MIB, RD, WINDOW - MIB),
              -EINVAL);
    ASSERT_EQ(
        PT.setupmapping(fs, ctx, id, 0, 0, 2 * MIB, RD, UINT64_MAX - MIB + 1),
        -EINVAL);
    ASSERT_EQ(
        PT.setupmapping(fs, ctx, id, 0, UINT64_MAX - MIB + 1, 2 * MIB, RD, 0),
        -EINVAL);
    /* alignment, empty ranges, unknown flags */
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 2 * MIB, RD, 100), -EINVAL);
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 100, 2 * MIB, RD, 0), -EINVAL);
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 100, RD, 0), -EINVAL);
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 0, RD, 0), -EINVAL);
    ASSERT_EQ(PT.setupmapping(fs, ctx, id, 0, 0, 2 * MIB, RD | 0x10, 0),
              -EINVAL);
    /* what it is mapped from */
    ASSERT_EQ(PT.setupmapping(fs, ctx, (uint64_t)d, 0, 0, 2 * MIB, RD, 0),
              -EISDIR);
    ASSERT_EQ(PT.setupmapping(fs, ctx, 0x12345678ull << 32 | 77, 0, 0, 2 * MIB,
                              RD, 0),
              -ENOENT);
    ASSERT_EQ(r.maps, 0);
    pt_destroy(fs);
}

TEST(readonly_share_maps_read_only)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, true, &dir);
    int64_t id;

    pth_write_file(pth_path(dir, "f"), "x");
    id = pth_lookup(fs, ROOT, "f");
    ASSERT_EQ(PT.setupmapping(fs, ctx, (uint64_t)id, 0, 0, 2 * MIB, RD | WR, 0),
              -EROFS);
    ASSERT_EQ(PT.setupmapping(fs, ctx, (uint64_t)id, 0, 0, 2 * MIB, RD, 0), 0);
    ASSERT_EQ(r.accmode, O_RDONLY);
    pt_destroy(fs);
}

TEST(removemapping_checks_the_whole_batch_first)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    struct fuse_removemapping_one ranges[3] = {
        {.moffset = 0, .len = 2 * MIB},
        {.moffset = 2 * MIB, .len = 2 * MIB},
        {.moffset = WINDOW, .len = 2 * MIB}, /* outside */
    };

    ASSERT_EQ(PT.removemapping(fs, ctx, ranges, 3), -EINVAL);
    ASSERT_EQ(r.unmaps, 0);
    ranges[2].moffset = UINT64_MAX - MIB + 1; /* wraps */
    ASSERT_EQ(PT.removemapping(fs, ctx, ranges, 3), -EINVAL);
    ranges[2].moffset = 4 * MIB + 1; /* misaligned */
    ASSERT_EQ(PT.removemapping(fs, ctx, ranges, 3), -EINVAL);
    ASSERT_EQ(r.unmaps, 0);
    ASSERT_EQ(PT.removemapping(fs, ctx, ranges, 2), 0);
    ASSERT_EQ(r.unmaps, 2);
    pt_destroy(fs);
}

TEST(fsync_syncs_the_file_window_ranges)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    struct fuse_removemapping_one one = {.moffset = 0, .len = 2 * MIB};
    uint64_t nf, ng, fh;

    fh = pth_create(fs, ROOT, "f", 0600, &nf);
    pth_create(fs, ROOT, "g", 0600, &ng);
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, false), 0);
    ASSERT_EQ(r.syncs, 0); /* nothing mapped */
    /* f at 0 and 2M, g at 8M: f's FSYNC syncs [0, 4M) only */
    ASSERT_EQ(PT.setupmapping(fs, ctx, nf, 0, 0, 2 * MIB, RD | WR, 0), 0);
    ASSERT_EQ(PT.setupmapping(fs, ctx, nf, 0, 0, 2 * MIB, RD, 2 * MIB), 0);
    ASSERT_EQ(PT.setupmapping(fs, ctx, ng, 0, 0, 2 * MIB, RD, 8 * MIB), 0);
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, true), 0);
    ASSERT_EQ(r.syncs, 1);
    ASSERT_EQ(r.sync_off[0], 0);
    ASSERT_EQ(r.sync_len[0], 4 * MIB);
    /* removed: no longer synced */
    ASSERT_EQ(PT.removemapping(fs, ctx, &one, 1), 0);
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, false), 0);
    ASSERT_EQ(r.syncs, 2);
    ASSERT_EQ(r.sync_off[1], 2 * MIB);
    ASSERT_EQ(r.sync_len[1], 2 * MIB);
    /* a new session (INIT) starts with an empty window */
    {
        struct fs_init in = {.dax = true};

        ASSERT_EQ(PT.init(fs, &in), 0);
    }
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, false), 0);
    ASSERT_EQ(r.syncs, 2);
    pt_destroy(fs);
}

TEST(init_keeps_map_alignment_only_with_a_mapper)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    struct pt_options opt;
    struct fs_init in = {.want = FUSE_MAP_ALIGNMENT, .dax = true};

    ASSERT_EQ(PT.init(fs, &in), 0);
    ASSERT(in.want & FUSE_MAP_ALIGNMENT);
    pt_destroy(fs);

    pt_options_default(&opt);
    fs = pt_fs_from_share(&opt, dir);
    in.want = FUSE_MAP_ALIGNMENT;
    ASSERT_EQ(PT.init(fs, &in), 0);
    ASSERT(!(in.want & FUSE_MAP_ALIGNMENT));
    ASSERT_EQ(PT.setupmapping(fs, ctx, ROOT, 0, 0, 2 * MIB, RD, 0), -ENOSYS);
    pt_destroy(fs);
}

/* A chunk two files share is synced for both; one replaced whole is not. */
TEST(fsync_of_shared_and_replaced_chunks)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs(&r, false, &dir);
    uint64_t nf, ng, fh;

    fh = pth_create(fs, ROOT, "f", 0600, &nf);
    pth_create(fs, ROOT, "g", 0600, &ng);
    ASSERT_EQ(PT.setupmapping(fs, ctx, nf, 0, 0, MIB, RD, 0), 0);
    ASSERT_EQ(PT.setupmapping(fs, ctx, ng, 0, 0, MIB, RD, MIB), 0);
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, false), 0);
    ASSERT_EQ(r.syncs, 1);
    ASSERT_EQ(r.sync_off[0], 0);
    ASSERT_EQ(r.sync_len[0], 2 * MIB);
    /* g takes the whole chunk: f has nothing left to sync */
    ASSERT_EQ(PT.setupmapping(fs, ctx, ng, 0, 0, 2 * MIB, RD, 0), 0);
    ASSERT_EQ(PT.fsync(fs, ctx, nf, fh, false), 0);
    ASSERT_EQ(r.syncs, 1);
    pt_destroy(fs);
}

/* FUSE_HAS_INODE_DAX offered, and FUSE_ATTR_DAX set, as the policy says. */
TEST(per_inode_dax_policy)
{
    struct rec r;
    const char *dir;
    struct pt_fs *fs = dax_fs_policy(&r, false, PT_DAX_INODE_ALWAYS, &dir);
    struct fs_init in = {.want = FUSE_HAS_INODE_DAX, .dax = true};
    struct pt_dax_mapper m = {
        .map = rec_map,
        .unmap = rec_unmap,
        .ctx = &r,
        .window_size = WINDOW,
        .align = 4096,
    };
    struct pt_options opt;
    struct statx stx;
    int64_t f, d;

    pth_write_file(pth_path(dir, "f"), "x");
    ASSERT_EQ(mkdir(pth_path(dir, "d"), 0700), 0);
    ASSERT_EQ(PT.init(fs, &in), 0);
    ASSERT(in.want & FUSE_HAS_INODE_DAX);
    f = pth_lookup(fs, ROOT, "f");
    d = pth_lookup(fs, ROOT, "d");
    ASSERT(pth_attr(fs, (uint64_t)f).flags & FUSE_ATTR_DAX);
    ASSERT(!(pth_attr(fs, (uint64_t)d).flags & FUSE_ATTR_DAX));
    ASSERT(!(pth_attr(fs, ROOT).flags & FUSE_ATTR_DAX));
    pt_destroy(fs);

    /* flag: what the host says of the file */
    pt_options_default(&opt);
    opt.dax_inode = PT_DAX_INODE_FLAG;
    fs = pt_fs_from_share(&opt, dir);
    ASSERT_EQ(pt_set_dax_mapper(fs, &m), 0);
    f = pth_lookup(fs, ROOT, "f");
    ASSERT_EQ(statx(AT_FDCWD, pth_path(dir, "f"), AT_SYMLINK_NOFOLLOW,
                    STATX_BASIC_STATS, &stx),
              0);
    ASSERT_EQ(!!(pth_attr(fs, (uint64_t)f).flags & FUSE_ATTR_DAX),
              !!(stx.stx_attributes & STATX_ATTR_DAX));
    pt_destroy(fs);

    /* off: not offered, never set */
    opt.dax_inode = PT_DAX_INODE_OFF;
    fs = pt_fs_from_share(&opt, dir);
    ASSERT_EQ(pt_set_dax_mapper(fs, &m), 0);
    in.want = FUSE_HAS_INODE_DAX;
    ASSERT_EQ(PT.init(fs, &in), 0);
    ASSERT(!(in.want & FUSE_HAS_INODE_DAX));
    f = pth_lookup(fs, ROOT, "f");
    ASSERT(!(pth_attr(fs, (uint64_t)f).flags & FUSE_ATTR_DAX));
    pt_destroy(fs);

    /* always, but no mapper: nothing */
    opt.dax_inode = PT_DAX_INODE_ALWAYS;
    fs = pt_fs_from_share(&opt, dir);
    f = pth_lookup(fs, ROOT, "f");
    ASSERT(!(pth_attr(fs, (uint64_t)f).flags & FUSE_ATTR_DAX));
    pt_destroy(fs);
}

/* A "window" the io callback reaches by guest-physical address. */
static char far_mem[256];
#define FAR_GPA 0x10000000000ull

static ssize_t far_io(void *opaque, int fd, uint64_t fd_off, uint64_t gpa,
                      uint64_t len, bool to_file)
{
    unsigned int *calls = opaque;
    ssize_t n;

    (*calls)++;
    if (gpa < FAR_GPA || gpa - FAR_GPA > sizeof(far_mem) ||
        len > sizeof(far_mem) - (gpa - FAR_GPA)) {
        return -EFAULT;
    }
    n = to_file ? pwrite(fd, far_mem + (gpa - FAR_GPA), len, (off_t)fd_off)
                : pread(fd, far_mem + (gpa - FAR_GPA), len, (off_t)fd_off);
    return n < 0 ? -errno : n;
}

/*
 * READ and WRITE with a piece of the buffer beyond reach: the reachable
 * runs by preadv/pwritev, the far piece through the io callback, in order,
 * short at end of file.
 */
TEST(read_and_write_with_a_far_piece)
{
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char a[4], b[40], back[64];
    unsigned int calls = 0;
    uint64_t gpa[3] = {0, FAR_GPA + 16, 0};
    struct fs_window_io win = {.gpa = gpa, .io = far_io, .opaque = &calls};
    struct fs_ctx c = pth_root_ctx;
    struct iovec v[3] = {{a, 4}, {NULL, 10}, {b, sizeof(b)}};
    const char *dir;
    struct pt_fs *fs = pth_fs(NULL, &dir);
    uint64_t nodeid, fh;
    int hfd;

    fh = pth_create(fs, ROOT, "f", 0644, &nodeid);
    pth_write(fs, nodeid, fh, 0, text);
    c.win = &win;
    memset(b, 0, sizeof(b));
    ASSERT_EQ(PT.read(fs, &c, nodeid, fh, 0, v, 3), (ssize_t)strlen(text));
    ASSERT_EQ(calls, 1);
    ASSERT(!memcmp(a, "0123", 4));
    ASSERT(!memcmp(far_mem + 16, "456789abcd", 10));
    ASSERT(!memcmp(b, "efghijklmnopqrstuvwxyz", 22));

    /* Write it back shifted: 4 + 10 + 40 bytes at offset 100. */
    memcpy(far_mem + 16, "FARFARFARF", 10);
    ASSERT_EQ(PT.write(fs, &c, nodeid, fh, 100, v, 3, 0), 54);
    ASSERT_EQ(calls, 2);
    hfd = open(pth_path(dir, "f"), O_RDONLY | O_CLOEXEC);
    ASSERT(hfd >= 0);
    ASSERT_EQ(pread(hfd, back, 14, 100), 14);
    ASSERT(!memcmp(back, "0123FARFARFARF", 14));
    close(hfd);

    /* The callback failing first: its error; after bytes: the count. */
    gpa[1] = 1;
    ASSERT_EQ(PT.read(fs, &c, nodeid, fh, 0, v + 1, 2), -EFAULT);
    ASSERT_EQ(PT.read(fs, &c, nodeid, fh, 0, v, 3), 4);
    pt_destroy(fs);
}

TEST_MAIN(T(setupmapping_by_node_id_with_the_access_asked),
          T(setupmapping_checks_before_the_mapper),
          T(readonly_share_maps_read_only),
          T(removemapping_checks_the_whole_batch_first),
          T(fsync_syncs_the_file_window_ranges),
          T(init_keeps_map_alignment_only_with_a_mapper),
          T(per_inode_dax_policy), T(fsync_of_shared_and_replaced_chunks),
          T(read_and_write_with_a_far_piece))
