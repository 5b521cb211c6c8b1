/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-msg.c - fuzz the pure message checks of vhu-msg.h.
 *
 * Input: byte 0 picks the fd count (byte % 10, so 0..9) and the device's
 * queue count (byte / 10, so 0..25); the rest is a header and payload as
 * they would come off the socket, copied into a struct vhu_msg (anything
 * past what fits is dropped, anything missing is zero).  The header's size
 * field is left as the input says, as a lying peer would send it.
 *
 * No I/O: every check of the header, the frontend request table and both
 * backend dialects runs on the message, and whatever they accept must agree
 * with the table row of its code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhu-error.h"
#include "vhu-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Crash loudly: the fuzzer and the corpus replay both see it. */
#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz-msg: %s:%d: %s\n", __FILE__, __LINE__, #c);  \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A result is success or a well-formed code of a known kind. */
static void check_rc(int rc)
{
    char buf[128];

    if (rc >= 0) {
        CHECK(rc == 0);
        return;
    }
    CHECK(vhu_err_kind(rc) != VHU_E_NONE);
    CHECK(vhu_err_errno(rc) < 0);
    vhu_strerror(rc, buf, sizeof(buf));
}

/* An accepted message fits its table row. */
static void check_accepted(const struct vhu_req_info *ri,
                           const struct vhu_msg *msg, unsigned int nfds)
{
    CHECK(ri != NULL);
    CHECK(ri->name != NULL);
    CHECK(msg->hdr.size >= ri->min_size && msg->hdr.size <= ri->max_size);
    CHECK(msg->hdr.size <= VHU_MAX_PAYLOAD);
    CHECK(nfds >= ri->min_fds && nfds <= ri->max_fds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vhu_msg_limits limits;
    struct vhu_msg *msg;
    unsigned int nfds;
    size_t n;
    int rc;

    if (size < 1) {
        return 0;
    }
    nfds = data[0] % 10;
    limits.max_queues = data[0] / 10;
    data++;
    size--;

    /* On the heap, exactly one message: reads past it are caught. */
    msg = calloc(1, sizeof(*msg));
    if (!msg) {
        return 0;
    }
    /* The payload union is aligned: it does not follow hdr directly. */
    n = size < sizeof(msg->hdr) ? size : sizeof(msg->hdr);
    memcpy(&msg->hdr, data, n);
    data += n;
    size -= n;
    n = size < sizeof(msg->p.raw) ? size : sizeof(msg->p.raw);
    memcpy(msg->p.raw, data, n);

    check_rc(vhu_msg_check_hdr(&msg->hdr, false));
    check_rc(vhu_msg_check_hdr(&msg->hdr, true));
    (void)vhu_req_name(msg->hdr.request);

    rc = vhu_msg_validate(msg, nfds, &limits);
    check_rc(rc);
    if (rc == 0) {
        check_accepted(vhu_req_info(msg->hdr.request), msg, nfds);
    }
    for (int d = VHU_DIALECT_UPSTREAM; d <= VHU_DIALECT_FS_CACHE; d++) {
        rc = vhu_msg_validate_breq(msg, nfds, (enum vhu_backend_dialect)d);
        check_rc(rc);
        (void)vhu_breq_name(msg->hdr.request, (enum vhu_backend_dialect)d);
        if (rc == 0) {
            check_accepted(
                vhu_breq_info(msg->hdr.request, (enum vhu_backend_dialect)d),
                msg, nfds);
        }
    }
    /* The region checks alone, on whatever the payload holds. */
    check_rc(
        vhu_mem_regions_check(msg->p.mem.regions, msg->p.mem.nregions % 9));
    free(msg);
    return 0;
}
