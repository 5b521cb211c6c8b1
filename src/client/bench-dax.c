/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-dax.c - vhostfs-client bench: dax-read, reads of data resident in
 * the DAX cache window.  The read file's first BENCH_DAX_SPAN bytes (or the
 * whole file) are mapped once, read-only, with FUSE_SETUPMAPPING in the
 * 2 MiB ranges a Linux guest uses; the workload then copies from the
 * window as a guest does, with no request per read: 4 KiB at random
 * aligned offsets and 1 MiB sequentially.  The window and the backend
 * request channel are dax.h's, served by a thread of this file.
 *
 * Security model: the backend's map requests are checked by dax-window.c
 * (inside the window, page-aligned, starting inside the file); reads stay
 * inside the part of the file that was mapped and that the file covers.
 * GET_SHMEM_CONFIG's window size is checked before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "dax.h"
#include "vhu-error.h"

#define DAX_RANGE      (2ull << 20) /* what the Linux guest maps at a time */
#define BENCH_DAX_SPAN (64ull << 20)
#define DAX_WINDOW_DFL (64ull << 20) /* fs-cache: no size on the wire */

struct bench_dax {
    struct vfc_dax_window w;
    struct vfc_dax_channel ch;
    uint64_t span;     /* bytes mapped at window offset 0 */
    uint64_t readable; /* of them, inside the file */
};

/* The window's size, or 0 with be->dax_why set when there is no DAX. */
static uint64_t window_size(struct bench_be *be)
{
    const uint64_t need =
        VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_BACKEND_SEND_FD);
    struct vhu_shmem_config cfg;

    be->dax_why = "the backend does not offer DAX";
    if (!be->map_alignment_ok || (be->v->protocol_features & need) != need) {
        return 0;
    }
    if (be->v->opts->dax_protocol != VHU_DIALECT_UPSTREAM) {
        be->dax_why = NULL;
        return DAX_WINDOW_DFL;
    }
    if (!(be->v->protocol_features & VHU_PF_BIT(VHU_PF_SHMEM)) ||
        vhu_fe_get_shmem_config(be->v->fe, &cfg) < 0 || cfg.nregions < 1 ||
        !cfg.memory_sizes[0] || cfg.memory_sizes[0] % DAX_RANGE ||
        cfg.memory_sizes[0] > (1ull << 40)) {
        return 0;
    }
    be->dax_why = NULL;
    return cfg.memory_sizes[0];
}

static void dax_free(struct bench_dax *d)
{
    vfc_dax_channel_stop(&d->ch);
    vfc_dax_window_fini(&d->w);
    free(d);
}

/* Window, channel and the read-only mappings; -1 after printing why. */
static int dax_setup(struct bench *b, struct bench_be *be, uint64_t size)
{
    struct bench_dax *d = calloc(1, sizeof(*d));
    const char *step;
    char buf[128];
    uint64_t off;
    int rc;

    if (!d) {
        return -1;
    }
    d->ch.stop_fd = -1;
    d->readable =
        b->o.file_size < BENCH_DAX_SPAN ? b->o.file_size : BENCH_DAX_SPAN;
    d->span = (d->readable + DAX_RANGE - 1) / DAX_RANGE * DAX_RANGE;
    if (d->span > size) {
        d->span = d->readable = size;
    }
    rc = vfc_dax_window_init(&d->w, size);
    if (rc < 0) {
        fprintf(stderr, "vhostfs-client: bench: %s: DAX window: %s\n", be->name,
                strerror(-rc));
        free(d);
        return -1;
    }
    rc = vfc_dax_channel_start(&d->ch, be->v->fe, be->v->opts->dax_protocol,
                               &d->w, &step);
    if (rc < 0 && strcmp(step, "thread") != 0) {
        fprintf(stderr, "vhostfs-client: bench: %s: DAX channel: %s\n",
                be->name, vhu_strerror(rc, buf, sizeof(buf)));
        dax_free(d);
        return -1;
    }
    if (rc < 0) {
        fprintf(stderr, "vhostfs-client: bench: cannot start a thread\n");
        dax_free(d);
        return -1;
    }
    be->dax = d;
    for (off = 0; off < d->span; off += DAX_RANGE) {
        struct fuse_setupmapping_in in = {
            .fh = UINT64_MAX, /* as Linux sends it */
            .foffset = off,
            .len = DAX_RANGE,
            .flags = FUSE_SETUPMAPPING_FLAG_READ,
            .moffset = off,
        };

        if (bench_call(be, "SETUPMAPPING", FUSE_SETUPMAPPING, be->data_node,
                       &in, sizeof(in), NULL, 0, NULL, 0) < 0) {
            return -1;
        }
    }
    /* Fault the pages in now: what is measured is window-resident data. */
    for (off = 0; off < d->readable; off += d->w.page) {
        (void)*(volatile const uint8_t *)(d->w.base + off);
    }
    return 0;
}

void bench_dax_end(struct bench_be *be)
{
    struct fuse_removemapping_in in = {.count = 1};
    struct fuse_removemapping_one one = {.moffset = 0};
    struct bench_dax *d = be->dax;

    if (!d) {
        return;
    }
    if (!be->v->gone && d->span) {
        one.len = d->span;
        bench_call(be, "REMOVEMAPPING", FUSE_REMOVEMAPPING, be->data_node, &in,
                   sizeof(in), &one, sizeof(one), NULL, 0);
    }
    dax_free(d);
    be->dax = NULL;
}

static int op_dax_4k(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items)
{
    const struct bench_dax *d = be->dax;
    uint64_t slots = d->readable / BENCH_RAND_SIZE;

    (void)i;
    (void)items;
    memcpy(b->buf, d->w.base + bench_rnd(b) % slots * BENCH_RAND_SIZE,
           BENCH_RAND_SIZE);
    *bytes += BENCH_RAND_SIZE;
    return 1;
}

static int op_dax_1m(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items)
{
    const struct bench_dax *d = be->dax;
    uint64_t len = d->readable < BENCH_SEQ_SIZE ? d->readable : BENCH_SEQ_SIZE;
    uint64_t n = d->readable / len;

    (void)items;
    memcpy(b->buf, d->w.base + i % n * len, len);
    *bytes += len;
    return 1;
}

int bench_run_dax(struct bench *b, struct bench_be *be,
                  struct bench_result *res)
{
    uint64_t size;

    if (!be->dax) {
        if (be->dax_why) {
            return 0; /* asked before: still no DAX */
        }
        size = window_size(be);
        if (!size) {
            return 0;
        }
        if (dax_setup(b, be, size) < 0) {
            return -1;
        }
    }
    if (be->dax->readable < BENCH_RAND_SIZE) {
        be->dax_why = "the file is smaller than 4 KiB";
        return 0;
    }
    if (bench_loop_qd1(b, be, "dax-read-4k", op_dax_4k, true, false, &res[0]) <
        0) {
        return -1;
    }
    return bench_loop_qd1(b, be, "dax-read-1m", op_dax_1m, true, false,
                          &res[1]);
}
