/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-fuse.c - libFuzzer target for FUSE request decoding.
 *
 * Input: byte 0 picks the shape (bits 0-1: readable iovecs - 1, bits 2-3:
 * writable iovecs - 1, bit 4: skip INIT, bit 5: DAX on, bit 6: writeback,
 * bit 7: the last readable and writable iovecs out of reach, as DAX window
 * buffers are),
 * byte 1 the reply room (x 64 bytes; 255: a full max_write reply), the
 * rest is one request, split evenly over the readable iovecs.  Each run
 * has a fresh server over the in-memory filesystem of the tests; every
 * iovec is its own allocation, so ASan sees any access past one.  The
 * target aborts when a reply breaks the one-reply rules.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsrv-harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake_fs *fk;
    static uint8_t *reply;
    const size_t max_reply = 1024 * 1024 + 4096;
    struct fsrv_opts opts = {0};
    const struct fuse_out_header *oh;
    struct fsrv *srv;
    uint8_t ctl, room;
    size_t outlen;
    ssize_t rc;

    if (size < 2) {
        return 0;
    }
    if (!fk) {
        fk = malloc(sizeof(*fk));
        reply = malloc(max_reply);
        if (!fk || !reply) {
            abort();
        }
    }
    ctl = data[0];
    room = data[1];
    data += 2;
    size -= 2;
    outlen = room == 255 ? max_reply : (size_t)room * 64;

    fake_init(fk);
    opts.dax = ctl & 0x20;
    opts.writeback = ctl & 0x40;
    srv = fsrv_new(&fake_ops, fk, &opts);
    if (!srv) {
        abort();
    }
    if (!(ctl & 0x10) && hinit(srv, ~0ull, reply, 4096) != 80) {
        abort();
    }
    rc = hrun_far(srv, data, size, 1 + (ctl & 3), 0, reply, outlen,
                  1 + ((ctl >> 2) & 3), ctl & 0x80);
    oh = (const void *)reply;
    if (rc > 0) {
        /* One reply, inside the room, saying its own length. */
        if ((size_t)rc > outlen || rc < (ssize_t)sizeof(*oh) ||
            oh->len != (uint32_t)rc || oh->error > 0 || oh->error < -4095 ||
            (oh->error && rc != (ssize_t)sizeof(*oh))) {
            abort();
        }
    } else if (rc < 0 && rc != -EINVAL && rc != -ENOSPC) {
        abort(); /* -EINPROGRESS needs a completion, which hrun has not */
    }
    fsrv_free(srv);
    return 0;
}
