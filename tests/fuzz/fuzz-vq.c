/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-vq.c - the device side's descriptor walk on rings the input
 * writes.  Guest memory is two 4 KiB memfd regions, adjacent in
 * guest-physical space (chains may straddle them); the ring sits at
 * GPA 0.  Input layout:
 *   byte 0: bit 0 layout (1 = packed), bit 1 EVENT_IDX, bit 2 INDIRECT,
 *           bits 3-5 log2 of the ring size (1 .. 32)
 *   bytes 1-2: the base (SET_VRING_BASE num, little-endian)
 *   (an odd length: descriptors outside guest memory are kept, vq.h)
 *   the rest: the first bytes of guest memory (rings, tables, data).
 * Every chain popped is read and written in full, then pushed; ASan and
 * UBSan catch any access outside guest memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gmem.h"
#include "log.h"
#include "vq.h"

#define REGION 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gmem *gm;
static uint8_t *host[2];
static const uint64_t uaddr[2] = {0x7f0000100000ull, 0x7f0000000000ull};

static void quiet(void *opaque, enum vhostfs_log_level level, const char *line)
{
    (void)opaque;
    (void)level;
    (void)line;
}

static int setup(void)
{
    struct vhu_mem_region r[2];
    int fds[2], i;
    struct gmem_table *t;

    vhostfs_log_set_sink(quiet, NULL);
    if (gmem_new(&gm) < 0) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        fds[i] = memfd_create("fuzz-vq", MFD_CLOEXEC);
        if (fds[i] < 0 || ftruncate(fds[i], REGION) < 0) {
            return -1;
        }
        r[i].guest_phys_addr = (uint64_t)i * REGION;
        r[i].memory_size = REGION;
        r[i].userspace_addr = uaddr[i];
        r[i].mmap_offset = 0;
    }
    if (gmem_set_table(gm, r, fds, 2) < 0) {
        return -1;
    }
    t = gmem_get(gm);
    for (i = 0; i < 2; i++) {
        uint64_t len = REGION;

        host[i] = gmem_gpa_to_va(t, (uint64_t)i * REGION, &len);
    }
    gmem_table_put(t);
    return 0;
}

static uint64_t sink;

static void consume(struct vq_elem *e)
{
    unsigned int i;
    size_t k;

    for (i = 0; i < e->out_num; i++) {
        const uint8_t *p = e->iov[i].iov_base;

        /* Outside guest memory (kept with e->gpa): never touched. */
        if (!p) {
            sink += e->gpa[i];
            continue;
        }
        for (k = 0; k < e->iov[i].iov_len; k++) {
            sink += p[k];
        }
    }
    for (i = e->out_num; i < e->out_num + e->in_num; i++) {
        if (e->iov[i].iov_base) {
            memset(e->iov[i].iov_base, 0xa5, e->iov[i].iov_len);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vq_ring_layout lay;
    struct vhost_vring_addr addr = {0};
    struct iovec iov[80];
    uint64_t gpa[80];
    struct vq_elem e = {.iov = iov, .iov_max = 80};
    enum vq_layout layout;
    unsigned int num, i, base;
    uint64_t features = 1ull << VQ_F_VERSION_1;
    size_t n;
    struct vq *vq;

    if (!gm && setup() < 0) {
        abort();
    }
    if (size < 3) {
        return 0;
    }
    layout = (data[0] & 1) ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT;
    features |= (data[0] & 1) ? 1ull << VQ_F_RING_PACKED : 0;
    features |= (data[0] & 2) ? 1ull << VQ_F_EVENT_IDX : 0;
    features |= (data[0] & 4) ? 1ull << VQ_F_INDIRECT_DESC : 0;
    num = 1u << ((data[0] >> 3) % 6);
    base = data[1] | (unsigned int)data[2] << 8;
    /* Odd-sized inputs: descriptors outside guest memory kept (DAX). */
    e.gpa = (size & 1) ? gpa : NULL;
    if (vq_ring_layout(layout, num, &lay) < 0 || lay.total > REGION) {
        return 0;
    }
    memset(host[0], 0, REGION);
    memset(host[1], 0, REGION);
    n = size - 3 < 2 * REGION ? size - 3 : 2 * REGION;
    memcpy(host[0], data + 3, n < REGION ? n : REGION);
    if (n > REGION) {
        memcpy(host[1], data + 3 + REGION, n - REGION);
    }
    if (vq_new(&vq, 0) < 0) {
        abort();
    }
    if (vq_set_features(vq, features) < 0) {
        vq_free(vq); /* layout not built in */
        return 0;
    }
    addr.desc_user_addr = uaddr[0] + lay.desc_off;
    addr.avail_user_addr = uaddr[0] + lay.driver_off;
    addr.used_user_addr = uaddr[0] + lay.device_off;
    if (vq_set_num(vq, num) < 0 || vq_set_addr(vq, &addr) < 0 ||
        vq_set_base(vq, base) < 0 || vq_start(vq, gm) < 0) {
        vq_free(vq);
        return 0;
    }
    for (i = 0; i < 4 * num + 8; i++) {
        int r = vq_pop(vq, &e);

        if (r != 1) {
            break;
        }
        if (e.out_num + e.in_num > e.iov_max) {
            abort();
        }
        consume(&e);
        vq_push(vq, &e, (uint32_t)e.in_bytes);
        if (i % 3 == 2) {
            vq_flush(vq);
            vq_notify(vq);
        }
    }
    vq_flush(vq);
    vq_notify(vq);
    vq_enable_notify(vq);
    vq_disable_notify(vq);
    (void)vq_get_base(vq);
    vq_free(vq);
    return 0;
}
