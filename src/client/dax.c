/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax.c - `vhostfs-client dax`: the VMM's side of DAX.  The client
 * reserves a cache window, hands the backend a request channel
 * (SET_BACKEND_REQ_FD) served by a thread of its own (dax-window.c), and
 * plays the Linux guest's sequence (fs/fuse/dax.c): 2 MiB ranges mapped
 * read-only with FUSE_SETUPMAPPING (fh -1, the file named by node id),
 * one upgraded to read-write by mapping its window offset again, FSYNC,
 * READ and WRITE with their data in the window (dax-io.c), then a batched
 * FUSE_REMOVEMAPPING.  What is checked: the window shows
 * the file's bytes, writes through it reach the file, the protections are
 * the ones asked for, removed ranges are PROT_NONE again, requests out of
 * bounds come back as errors and the backend stays up.
 *
 * Security model: as for every command, replies are checked by fuse.c;
 * the backend's channel requests are checked by the handler and
 * dax-window.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fuse.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dax-run.h"
#include "vhu-error.h"

void dax_ok(struct dax_run *d, const char *what)
{
    d->passed++;
    printf("ok %s\n", what);
}

void dax_fail(struct dax_run *d, const char *what, const char *fmt, ...)
{
    va_list ap;

    d->failed++;
    printf("FAIL %s: ", what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

int dax_call(struct dax_run *d, uint32_t opcode, uint64_t nodeid,
                const void *a0, uint32_t l0, const void *a1, uint32_t l1,
                uint32_t out_size, uint32_t *out_len)
{
    struct vfc_req r = {
        .opcode = opcode,
        .nodeid = nodeid,
        .arg = {a0, a1},
        .arg_len = {l0, l1},
        .nargs = a1 ? 2 : (a0 ? 1 : 0),
        .out = d->reply,
        .out_size = out_size,
    };

    if (vfc_fuse_call(d->v, &r) < 0) {
        printf("# request %u: %s\n", opcode, vfc_fuse_why);
        return INT32_MIN;
    }
    if (out_len) {
        *out_len = r.out_len;
    }
    return r.error;
}

/* The protection of the window page at @off, from /proc/self/maps. */
static int window_perms(const struct dax_run *d, uint64_t off, char perms[5])
{
    uintptr_t addr = (uintptr_t)(d->w.base + off), lo, hi;
    char line[512];
    FILE *f = fopen("/proc/self/maps", "re");
    int rc = -ENOENT;

    if (!f) {
        return -errno;
    }
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &lo, &hi, perms) ==
                3 &&
            lo <= addr && addr < hi) {
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

static void expect_perms(struct dax_run *d, const char *what, uint64_t off,
                         const char *want)
{
    char perms[5] = "";

    if (window_perms(d, off, perms) < 0 || strcmp(perms, want) != 0) {
        dax_fail(d, what, "window offset %#" PRIx64 " is '%s', want '%s'", off,
             perms, want);
    } else {
        dax_ok(d, what);
    }
}

static int setupmapping(struct dax_run *d, uint64_t foff, uint64_t moff,
                        uint64_t len, uint64_t flags)
{
    struct fuse_setupmapping_in in = {
        .fh = UINT64_MAX, /* as Linux sends it */
        .foffset = foff,
        .len = len,
        .flags = flags,
        .moffset = moff,
    };

    return dax_call(d, FUSE_SETUPMAPPING, d->nodeid, &in, sizeof(in), NULL, 0, 0,
                NULL);
}

static int do_init(struct dax_run *d)
{
    struct fuse_init_in in = {
        .major = FUSE_KERNEL_VERSION,
        .minor = FUSE_KERNEL_MINOR_VERSION,
        .max_readahead = 128 << 10,
        .flags = FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_MAP_ALIGNMENT |
                 FUSE_INIT_EXT,
        .flags2 = (uint32_t)(FUSE_HAS_INODE_DAX >> 32),
    };
    struct fuse_init_out out;
    uint32_t len = 0;
    int rc;

    rc = dax_call(d, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, sizeof(out), &len);
    if (rc != 0 || len != sizeof(out)) {
        dax_fail(d, "INIT", "error %d, %u bytes", rc, len);
        return -1;
    }
    memcpy(&out, d->reply, sizeof(out));
    /* Linux refuses an alignment above its 2 MiB ranges. */
    if (!(out.flags & FUSE_MAP_ALIGNMENT) || out.map_alignment > 21) {
        dax_fail(d, "INIT", "no usable FUSE_MAP_ALIGNMENT (flags %#x, %u)",
             out.flags, out.map_alignment);
        return -1;
    }
    printf("# backend: map alignment %u KiB\n",
           (1u << out.map_alignment) >> 10);
    dax_ok(d, "INIT offers FUSE_MAP_ALIGNMENT");
    return 0;
}

static int make_file(struct dax_run *d, const char *dir)
{
    struct fuse_entry_out e;
    uint32_t len = 0;
    uint64_t i;
    int rc;

    snprintf(d->path, sizeof(d->path), "%s/%s", dir, DAX_FILE);
    d->data = malloc(DAX_FILE_LEN);
    if (!d->data) {
        return -ENOMEM;
    }
    for (i = 0; i < DAX_FILE_LEN; i++) {
        d->data[i] = (uint8_t)(i * 7 + (i >> 12));
    }
    d->hfd = open(d->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (d->hfd < 0 ||
        pwrite(d->hfd, d->data, DAX_FILE_LEN, 0) != (ssize_t)DAX_FILE_LEN) {
        dax_fail(d, "test file", "%s: %s", d->path, strerror(errno));
        return -1;
    }
    rc = dax_call(d, FUSE_LOOKUP, FUSE_ROOT_ID, DAX_FILE, sizeof(DAX_FILE), NULL, 0,
              sizeof(e), &len);
    if (rc != 0 || len != sizeof(e)) {
        dax_fail(d, "LOOKUP", "error %d, %u bytes", rc, len);
        return -1;
    }
    memcpy(&e, d->reply, sizeof(e));
    d->nodeid = e.nodeid;
    return 0;
}

/* The file's bytes [foff, foff + DAX_RANGE) at window offset @moff. */
static void expect_bytes(struct dax_run *d, const char *what, uint64_t foff,
                         uint64_t moff)
{
    uint64_t n =
        DAX_FILE_LEN - foff < DAX_RANGE ? DAX_FILE_LEN - foff : DAX_RANGE;

    if (memcmp(d->w.base + moff, d->data + foff, n) != 0) {
        dax_fail(d, what,
             "window at %#" PRIx64 " differs from the file at %#" PRIx64, moff,
             foff);
    } else {
        dax_ok(d, what);
    }
}

/* The Linux guest's placement: file range i at window slot map_at[i]. */
static const uint64_t map_at[3] = {0, 3 * DAX_RANGE, DAX_RANGE};

static void map_read_only(struct dax_run *d)
{
    unsigned int i, before = atomic_load(&d->w.maps);
    int rc;

    for (i = 0; i < 3; i++) {
        rc = setupmapping(d, i * DAX_RANGE, map_at[i], DAX_RANGE,
                          FUSE_SETUPMAPPING_FLAG_READ);
        if (rc != 0) {
            dax_fail(d, "SETUPMAPPING read-only", "range %u: error %d", i, rc);
            return;
        }
    }
    if (atomic_load(&d->w.maps) - before != 3) {
        dax_fail(d, "SETUPMAPPING read-only", "%u map requests, want 3",
             atomic_load(&d->w.maps) - before);
        return;
    }
    dax_ok(d, "SETUPMAPPING read-only: three 2 MiB ranges");
    expect_bytes(d, "window shows range 0", 0, map_at[0]);
    expect_bytes(d, "window shows range 1", DAX_RANGE, map_at[1]);
    expect_bytes(d, "window shows range 2 (past EOF)", 2 * DAX_RANGE,
                 map_at[2]);
    expect_perms(d, "read-only mapping is r--s", map_at[0], "r--s");
}

static void map_write(struct dax_run *d)
{
    static const char msg[] = "written through the DAX window";
    struct fuse_open_in oi = {.flags = O_RDWR};
    struct fuse_fsync_in fi = {0};
    struct fuse_release_in ri = {.flags = O_RDWR};
    struct fuse_open_out oo;
    char back[sizeof(msg)];
    uint32_t len = 0;
    unsigned int syncs;
    int rc;

    rc = setupmapping(d, 0, map_at[0], DAX_RANGE,
                      FUSE_SETUPMAPPING_FLAG_READ |
                          FUSE_SETUPMAPPING_FLAG_WRITE);
    if (rc != 0) {
        dax_fail(d, "SETUPMAPPING upgrade", "error %d", rc);
        return;
    }
    dax_ok(d, "SETUPMAPPING upgrade to read-write");
    expect_perms(d, "upgraded mapping is rw-s", map_at[0], "rw-s");
    memcpy(d->w.base + map_at[0] + 5000, msg, sizeof(msg));
    memcpy(d->data + 5000, msg, sizeof(msg));
    if (pread(d->hfd, back, sizeof(back), 5000) != (ssize_t)sizeof(back) ||
        memcmp(back, msg, sizeof(msg)) != 0) {
        dax_fail(d, "write through the window", "the file does not show it");
    } else {
        dax_ok(d, "write through the window reaches the file");
    }
    /* FSYNC of a mapped file: FS_SYNC first with the fs-cache protocol. */
    rc = dax_call(d, FUSE_OPEN, d->nodeid, &oi, sizeof(oi), NULL, 0, sizeof(oo),
              &len);
    if (rc != 0 || len != sizeof(oo)) {
        dax_fail(d, "OPEN", "error %d", rc);
        return;
    }
    memcpy(&oo, d->reply, sizeof(oo));
    fi.fh = ri.fh = oo.fh;
    syncs = atomic_load(&d->w.syncs);
    rc = dax_call(d, FUSE_FSYNC, d->nodeid, &fi, sizeof(fi), NULL, 0, 0, NULL);
    if (rc != 0) {
        dax_fail(d, "FSYNC of a mapped file", "error %d", rc);
    } else if (d->v->opts->dax_protocol == VHU_DIALECT_FS_CACHE &&
               atomic_load(&d->w.syncs) == syncs) {
        dax_fail(d, "FSYNC of a mapped file", "no FS_SYNC came");
    } else {
        dax_ok(d, "FSYNC of a mapped file");
    }
    dax_call(d, FUSE_RELEASE, d->nodeid, &ri, sizeof(ri), NULL, 0, 0, NULL);
}

/* Requests the backend or this VMM must refuse, as error replies. */
static void refused(struct dax_run *d)
{
    unsigned int ref = atomic_load(&d->w.refused);
    int rc;

    rc = setupmapping(d, 0, d->w.size, DAX_RANGE, FUSE_SETUPMAPPING_FLAG_READ);
    if (rc >= 0) {
        dax_fail(d, "SETUPMAPPING outside the window", "answered %d", rc);
    } else {
        dax_ok(d, "SETUPMAPPING outside the window is an error");
    }
    rc = setupmapping(d, 0, d->w.size - DAX_RANGE, 2 * DAX_RANGE,
                      FUSE_SETUPMAPPING_FLAG_READ);
    if (rc >= 0) {
        dax_fail(d, "SETUPMAPPING across the window's end", "answered %d", rc);
    } else {
        dax_ok(d, "SETUPMAPPING across the window's end is an error");
    }
    rc = setupmapping(d, UINT64_MAX - DAX_RANGE + 1, 0, DAX_RANGE,
                      FUSE_SETUPMAPPING_FLAG_READ);
    if (rc >= 0) {
        dax_fail(d, "SETUPMAPPING with an overflowing file offset", "answered %d",
             rc);
    } else {
        dax_ok(d, "SETUPMAPPING with an overflowing file offset is an error");
    }
    /* In bounds for the backend, beyond the file for the VMM. */
    rc = setupmapping(d, 4 * DAX_RANGE, 4 * DAX_RANGE, DAX_RANGE,
                      FUSE_SETUPMAPPING_FLAG_READ);
    if (rc >= 0) {
        dax_fail(d, "SETUPMAPPING beyond the file", "answered %d", rc);
    } else if (atomic_load(&d->w.refused) == ref) {
        dax_fail(d, "SETUPMAPPING beyond the file",
             "error %d without a refused map request", rc);
    } else {
        dax_ok(d, "SETUPMAPPING the VMM refuses is an error reply");
    }
    expect_perms(d, "a refused range stays unmapped", 4 * DAX_RANGE, "---p");
}

/* After the mappings went: the host file holds what was written. */
static void expect_bytes_file(struct dax_run *d)
{
    uint8_t *buf = malloc(DAX_FILE_LEN);

    if (!buf) {
        dax_fail(d, "file after unmap", "out of memory");
        return;
    }
    if (pread(d->hfd, buf, DAX_FILE_LEN, 0) != (ssize_t)DAX_FILE_LEN ||
        memcmp(buf, d->data, DAX_FILE_LEN) != 0) {
        dax_fail(d, "file after unmap", "differs from what was written");
    } else {
        dax_ok(d, "file after unmap holds what was written");
    }
    free(buf);
}

static void remove_all(struct dax_run *d)
{
    struct {
        struct fuse_removemapping_in in;
        struct fuse_removemapping_one one[3];
    } __attribute__((packed)) rm;
    unsigned int i;
    int rc;

    memset(&rm, 0, sizeof(rm));
    rm.in.count = 3;
    for (i = 0; i < 3; i++) {
        rm.one[i].moffset = map_at[i];
        rm.one[i].len = DAX_RANGE;
    }
    rc = dax_call(d, FUSE_REMOVEMAPPING, d->nodeid, &rm.in, sizeof(rm.in), rm.one,
              sizeof(rm.one), 0, NULL);
    if (rc != 0) {
        dax_fail(d, "REMOVEMAPPING", "error %d", rc);
        return;
    }
    dax_ok(d, "REMOVEMAPPING of three ranges in one request");
    expect_perms(d, "range 0 unmapped", map_at[0], "---p");
    expect_perms(d, "range 1 unmapped", map_at[1], "---p");
    expect_perms(d, "range 2 unmapped", map_at[2], "---p");
    expect_bytes_file(d);
}

/* The backend still answers after all of it. */
static void still_up(struct dax_run *d)
{
    struct fuse_getattr_in in = {0};
    int rc;

    rc = dax_call(d, FUSE_GETATTR, FUSE_ROOT_ID, &in, sizeof(in), NULL, 0,
              sizeof(struct fuse_attr_out), NULL);
    if (rc != 0 || d->ch.err) {
        dax_fail(d, "backend still up", "GETATTR error %d, channel %d", rc,
             (int)d->ch.err);
    } else {
        dax_ok(d, "backend and channel still up");
    }
}

/* --window=SIZE (bytes, or with a K, M or G suffix). */
static int parse_args(int argc, char **argv, uint64_t *window)
{
    int i;

    for (i = 1; i < argc; i++) {
        char *end;
        unsigned long long v;

        if (strncmp(argv[i], "--window=", 9) != 0) {
            fprintf(stderr, "vhostfs-client dax: unknown argument '%s'\n",
                    argv[i]);
            return -1;
        }
        errno = 0;
        v = strtoull(argv[i] + 9, &end, 10);
        switch (*end) {
        case 'G':
            v <<= 10;
            /* fall through */
        case 'M':
            v <<= 10;
            /* fall through */
        case 'K':
            v <<= 10;
            end++;
            break;
        default:
            break;
        }
        if (errno || *end || !v || v % DAX_RANGE || v > (1ull << 40)) {
            fprintf(stderr,
                    "vhostfs-client dax: --window: '%s' is not a "
                    "multiple of 2M up to 1T\n",
                    argv[i] + 9);
            return -1;
        }
        *window = v;
    }
    return 0;
}

/* The window's size: GET_SHMEM_CONFIG upstream, --window otherwise. */
static int window_size(struct dax_run *d, uint64_t *size)
{
    const uint64_t need =
        VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_BACKEND_SEND_FD);
    struct vhu_shmem_config cfg;
    char buf[128];
    int rc;

    if ((d->v->protocol_features & need) != need) {
        dax_fail(d, "setup",
             "the backend offers no backend request channel "
             "with fds (protocol features %#" PRIx64 ")",
             d->v->protocol_features);
        return -1;
    }
    if (d->v->opts->dax_protocol != VHU_DIALECT_UPSTREAM) {
        return 0;
    }
    if (!(d->v->protocol_features & VHU_PF_BIT(VHU_PF_SHMEM))) {
        dax_fail(d, "setup", "the backend does not offer SHMEM");
        return -1;
    }
    rc = vhu_fe_get_shmem_config(d->v->fe, &cfg);
    if (rc < 0) {
        dax_fail(d, "GET_SHMEM_CONFIG", "%s", vhu_strerror(rc, buf, sizeof(buf)));
        return -1;
    }
    if (cfg.nregions < 1 || !cfg.memory_sizes[0] ||
        cfg.memory_sizes[0] % DAX_RANGE || cfg.memory_sizes[0] > (1ull << 40)) {
        dax_fail(d, "GET_SHMEM_CONFIG", "%u regions, cache window %#" PRIx64,
             cfg.nregions, cfg.memory_sizes[0]);
        return -1;
    }
    *size = cfg.memory_sizes[0];
    dax_ok(d, "GET_SHMEM_CONFIG gives the cache window");
    return 0;
}

static int setup(struct dax_run *d, uint64_t size)
{
    const char *step;
    char buf[128];
    int rc;

    rc = vfc_dax_window_init(&d->w, size);
    if (rc < 0) {
        dax_fail(d, "setup", "cannot reserve the window: %s", strerror(-rc));
        return -1;
    }
    /* FS_IO may reach guest RAM too. */
    d->w.ram = d->v->host;
    d->w.ram_size = VFC_MEM_SIZE;
    printf("# window: %" PRIu64 " MiB, %s protocol\n", size >> 20,
           d->v->opts->dax_protocol == VHU_DIALECT_UPSTREAM ? "shmem"
                                                            : "fs-cache");
    rc = vfc_dax_channel_start(&d->ch, d->v->fe, d->v->opts->dax_protocol,
                               &d->w, &step);
    if (rc < 0) {
        if (!strcmp(step, "SET_BACKEND_REQ_FD")) {
            dax_fail(d, step, "%s", vhu_strerror(rc, buf, sizeof(buf)));
        } else if (!strcmp(step, "handler")) {
            dax_fail(d, "setup", "handler: %s", vhu_strerror(rc, buf, sizeof(buf)));
        } else {
            dax_fail(d, "setup", "cannot start the channel thread");
        }
        return -1;
    }
    return 0;
}

static void teardown(struct dax_run *d)
{
    vfc_dax_channel_stop(&d->ch);
    vfc_dax_window_fini(&d->w);
    if (d->hfd >= 0) {
        close(d->hfd);
        unlink(d->path);
    }
    free(d->data);
}

int vfc_cmd_dax(struct vfc_vmm *v, int argc, char **argv)
{
    struct dax_run *d = calloc(1, sizeof(*d));
    uint64_t size = DAX_WINDOW_DFL;
    int status;

    if (!d) {
        return 1;
    }
    d->v = v;
    d->hfd = d->ch.stop_fd = -1;
    if (parse_args(argc, argv, &size) == 0 && window_size(d, &size) == 0 &&
        setup(d, size) == 0 && do_init(d) == 0 &&
        make_file(d, v->opts->dir) == 0) {
        map_read_only(d);
        map_write(d);
        dax_window_io(d);
        refused(d);
        remove_all(d);
        still_up(d);
    } else if (!d->failed) {
        d->failed++;
    }
    teardown(d);
    printf("# dax: %u passed, %u failed\n", d->passed, d->failed);
    status = d->failed ? 1 : 0;
    free(d);
    return status;
}
