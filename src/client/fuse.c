/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse.c - vhostfs-client, the guest FUSE driver part: requests built in
 * guest memory the way Linux fs/fuse/virtio_fs.c lays them out (the
 * request header and arguments device-readable, then the reply header and
 * body device-writable), one chain per request, and the reply checked.
 *
 * Security model: the backend is not trusted.  The used length, the reply
 * header (length, unique, error) and the body size are checked against
 * what was offered before anything is copied out of guest memory, and the
 * reply is copied out once; a command only sees the copy.  A used entry
 * is matched to its request by its token (the request's unique); one for
 * a chain given up after a timeout is dropped, and that chain's buffers
 * are never reused.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "vfc.h"

char vfc_fuse_why[256];

/* Bit 0 of unique is FUSE_INT_REQ_BIT: requests use even values. */
static uint64_t next_unique = 2;

static int why(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int why(int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(vfc_fuse_why, sizeof(vfc_fuse_why), fmt, ap);
    va_end(ap);
    return rc;
}

uint64_t vfc_fuse_next_unique(void)
{
    return next_unique;
}

uint64_t vfc_fuse_take_unique(void)
{
    uint64_t u = next_unique;

    next_unique += 2;
    return u;
}

uint64_t vfc_galloc(struct vfc_vmm *v, uint64_t len)
{
    uint64_t gpa = v->heap_next, size = (len + 15) & ~15ull;

    if (len == 0 || size < len || gpa > VFC_MEM_SIZE ||
        size > VFC_MEM_SIZE - gpa) {
        return 0;
    }
    v->heap_next = gpa + size;
    return gpa;
}

void vfc_gfree_all(struct vfc_vmm *v)
{
    v->heap_next = v->heap_floor;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lay the request out in guest memory; fills the buffer lists. */
static int build(struct vfc_vmm *v, const struct vfc_req *r, uint64_t unique,
                 struct vq_buf *out, unsigned int *nout, struct vq_buf *in,
                 unsigned int *nin)
{
    struct fuse_in_header ih;
    uint32_t total = sizeof(ih), first;
    uint64_t gpa;
    unsigned int i;

    if (r->nargs > VFC_MAX_ARGS || r->nraw_out > 2 || r->nraw_in > 2 ||
        (r->nraw_in && r->out_size)) {
        return why(-EINVAL, "too many arguments");
    }
    for (i = 0; i < r->nargs; i++) {
        if (__builtin_add_overflow(total, r->arg_len[i], &total)) {
            return why(-EINVAL, "request too long");
        }
    }
    for (i = 0; i < r->nraw_out; i++) {
        if (__builtin_add_overflow(total, r->raw_out[i].len, &total)) {
            return why(-EINVAL, "request too long");
        }
    }
    /* Header and first argument in one buffer, the others one each. */
    first = (uint32_t)sizeof(ih) + (r->nargs ? r->arg_len[0] : 0);
    gpa = vfc_galloc(v, first);
    if (!gpa) {
        return why(-ENOMEM, "guest memory exhausted");
    }
    memset(&ih, 0, sizeof(ih));
    ih.len = total;
    ih.opcode = r->opcode;
    ih.unique = unique;
    ih.nodeid = r->nodeid;
    ih.uid = (uint32_t)getuid();
    ih.gid = (uint32_t)getgid();
    ih.pid = (uint32_t)getpid();
    memcpy(vfc_gpa(v, gpa, first), &ih, sizeof(ih));
    if (r->nargs && r->arg_len[0]) {
        memcpy((uint8_t *)vfc_gpa(v, gpa, first) + sizeof(ih), r->arg[0],
               r->arg_len[0]);
    }
    *nout = 0;
    out[(*nout)++] = (struct vq_buf){.gpa = gpa, .len = first};
    for (i = 1; i < r->nargs; i++) {
        if (!r->arg_len[i]) {
            continue;
        }
        gpa = vfc_galloc(v, r->arg_len[i]);
        if (!gpa) {
            return why(-ENOMEM, "guest memory exhausted");
        }
        memcpy(vfc_gpa(v, gpa, r->arg_len[i]), r->arg[i], r->arg_len[i]);
        out[(*nout)++] = (struct vq_buf){.gpa = gpa, .len = r->arg_len[i]};
    }
    for (i = 0; i < r->nraw_out; i++) {
        out[(*nout)++] = r->raw_out[i];
    }
    *nin = 0;
    if (r->no_reply) {
        return 0;
    }
    gpa = vfc_galloc(v, sizeof(struct fuse_out_header));
    if (!gpa) {
        return why(-ENOMEM, "guest memory exhausted");
    }
    /* Poison the reply areas: a short reply must not read as zeros. */
    memset(vfc_gpa(v, gpa, sizeof(struct fuse_out_header)), 0xa5,
           sizeof(struct fuse_out_header));
    in[(*nin)++] =
        (struct vq_buf){.gpa = gpa, .len = sizeof(struct fuse_out_header)};
    if (r->out_size) {
        gpa = vfc_galloc(v, r->out_size);
        if (!gpa) {
            return why(-ENOMEM, "guest memory exhausted");
        }
        memset(vfc_gpa(v, gpa, r->out_size), 0xa5, r->out_size);
        in[(*nin)++] = (struct vq_buf){.gpa = gpa, .len = r->out_size};
    }
    for (i = 0; i < r->nraw_in; i++) {
        in[(*nin)++] = r->raw_in[i];
    }
    return 0;
}

/* Requests submitted and not yet reaped, by unique. */
#define MAX_INFLIGHT 16u
static struct vfc_req *inflight[MAX_INFLIGHT];

static bool track(struct vfc_req *r)
{
    unsigned int i;

    for (i = 0; i < MAX_INFLIGHT; i++) {
        if (!inflight[i]) {
            inflight[i] = r;
            return true;
        }
    }
    return false;
}

static unsigned int num_inflight(void)
{
    unsigned int i, n = 0;

    for (i = 0; i < MAX_INFLIGHT; i++) {
        n += inflight[i] != NULL;
    }
    return n;
}

/* A used entry came back: hand it to its request, if it still waits. */
static void complete(uint64_t unique, uint32_t len)
{
    unsigned int i;

    for (i = 0; i < MAX_INFLIGHT; i++) {
        if (inflight[i] && inflight[i]->priv_unique == unique) {
            inflight[i]->used_len = len;
            inflight[i]->priv_done = true;
            inflight[i] = NULL;
            return;
        }
    }
    /* A chain given up after a timeout: nothing waits for it. */
}

/*
 * Wait for queue @qi's call eventfd, or for the backend to hang up (a
 * backend that died signals nothing).  Returns 1, 0 (timeout) or -errno
 * with vfc_fuse_why set.
 */
static int wait_call(struct vfc_vmm *v, unsigned int qi, int timeout_ms)
{
    struct pollfd pfd[2] = {
        {.fd = v->q[qi].call_fd, .events = POLLIN},
        {.fd = vhu_frontend_fd(v->fe), .events = POLLRDHUP},
    };
    uint64_t cnt;
    int n;

    do {
        n = poll(pfd, 2, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return why(-errno, "poll: %s", strerror(errno));
    }
    if (pfd[0].revents & POLLIN) {
        /* Non-blocking: a racing reader leaves EAGAIN, which is fine. */
        if (read(pfd[0].fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
            return why(-errno, "call eventfd: %s", strerror(errno));
        }
        return 1;
    }
    if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        v->gone = true;
        return why(-ECONNRESET, "no reply: the backend hung up");
    }
    return n;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A yield that gave the CPU away this long: another thread wants it (a
 * time slice is 0.75 ms or more; shorter gaps happen on an idle virtual
 * machine too).
 */
#define YIELD_GAVE_AWAY_NS 100000u

/*
 * Reap used entries of @r's queue until @r is done.  As a KVM vCPU halts:
 * the used ring is polled for --poll-us first (callbacks stay enabled,
 * as a guest driver leaves them), then the call eventfd is slept on.
 * Like KVM's halt polling, which stops when another task wants the CPU,
 * polling yields every 64 looks and stops once a yield gave the CPU away
 * for long: on a contended CPU it would only delay the backend.
 */
static int wait_used(struct vfc_vmm *v, struct vfc_req *r)
{
    struct vq_driver *drv = v->q[r->priv_queue].drv;
    int64_t deadline = now_ms() + v->opts->timeout_ms;
    uint64_t spin_end = 0;
    unsigned int looks = 0;

    while (!r->priv_done) {
        void *tok = NULL;
        uint32_t len = 0;
        int64_t left;
        int n = vq_driver_get_used(drv, &len, &tok);

        if (n < 0) {
            return why(-EPROTO, "the device returned a buffer id that "
                                "is not out");
        }
        if (n == 1) {
            complete((uint64_t)(uintptr_t)tok, len);
            continue;
        }
        if (v->opts->poll_us > 0 && spin_end != UINT64_MAX) {
            uint64_t t;

            if (!spin_end) {
                spin_end = now_ns() + (uint64_t)v->opts->poll_us * 1000u;
            }
            if (++looks % 64 != 0) {
                continue;
            }
            t = now_ns();
            if (t < spin_end) {
                sched_yield();
                if (now_ns() - t < YIELD_GAVE_AWAY_NS) {
                    continue;
                }
            }
            spin_end = UINT64_MAX; /* sleep from now on */
        }
        if (vq_driver_enable_cb(drv)) {
            continue;
        }
        left = deadline - now_ms();
        if (left <= 0) {
            break;
        }
        n = wait_call(v, r->priv_queue, (int)left);
        if (n < 0) {
            return n;
        }
    }
    if (r->priv_done) {
        return 0;
    }
    if (!vfc_vmm_backend_alive(v)) {
        return why(-ETIMEDOUT, "no reply: the backend has exited");
    }
    return why(-ETIMEDOUT, "no reply within %d ms", v->opts->timeout_ms);
}

static int check_reply(struct vfc_vmm *v, struct vfc_req *r)
{
    const struct vq_buf *in = r->priv_in;
    uint64_t unique = r->priv_unique;
    struct fuse_out_header oh;
    uint64_t offered = 0;
    uint32_t body;
    unsigned int i;

    for (i = 0; i < r->priv_nin; i++) {
        offered += in[i].len;
    }
    if (r->used_len > offered) {
        return why(-EPROTO, "used length %u over the %llu bytes offered",
                   r->used_len, (unsigned long long)offered);
    }
    if (r->no_reply) {
        return 0; /* nothing offered, so nothing written (checked above) */
    }
    if (r->used_len == 0) {
        if (r->reply_optional) {
            return 0;
        }
        return why(-EPROTO, "the chain came back with no reply");
    }
    if (r->used_len < sizeof(oh)) {
        return why(-EPROTO, "used length %u shorter than a reply header",
                   r->used_len);
    }
    memcpy(&oh, vfc_gpa(v, in[0].gpa, sizeof(oh)), sizeof(oh));
    r->replied = true;
    if (oh.unique != unique) {
        return why(-EPROTO, "reply unique %llu for request %llu",
                   (unsigned long long)oh.unique, (unsigned long long)unique);
    }
    if (oh.len != r->used_len) {
        return why(-EPROTO, "reply header length %u, used length %u", oh.len,
                   r->used_len);
    }
    if (oh.error > 0 || oh.error < -4095) {
        return why(-EPROTO, "reply error %d is not a -errno", oh.error);
    }
    body = oh.len - (uint32_t)sizeof(oh);
    if (oh.error != 0 && body != 0) {
        return why(-EPROTO, "error reply %d with a %u-byte body", oh.error,
                   body);
    }
    r->error = oh.error;
    r->out_len = body;
    if (body && !r->nraw_in) {
        /* used_len <= offered, so body <= out_size and in[1] exists. */
        memcpy(r->out, vfc_gpa(v, in[1].gpa, body), body);
    }
    return 0;
}

int vfc_fuse_submit(struct vfc_vmm *v, struct vfc_req *r)
{
    struct vq_buf out[VFC_MAX_ARGS + 2];
    unsigned int nout = 0;
    struct vfc_queue *q;
    int rc;

    vfc_fuse_why[0] = '\0';
    r->used_len = 0;
    r->error = 0;
    r->out_len = 0;
    r->replied = false;
    r->priv_done = false;
    r->priv_nin = 0;
    r->priv_queue = r->hiprio ? VFC_QUEUE_HIPRIO : VFC_QUEUE_REQUEST;
    q = &v->q[r->priv_queue];
    if (r->out_size && !r->out) {
        return why(-EINVAL, "no reply buffer");
    }
    if (v->gone) {
        return why(-ECONNRESET, "the backend hung up");
    }
    if (num_inflight() == MAX_INFLIGHT) {
        return why(-EBUSY, "too many requests in flight");
    }
    if (r->unique) {
        r->priv_unique = r->unique;
    } else {
        r->priv_unique = next_unique;
        next_unique += 2;
    }
    rc = build(v, r, r->priv_unique, out, &nout, r->priv_in, &r->priv_nin);
    if (rc == 0) {
        /* As Linux does: indirect whenever the chain has more than one
         * buffer and the feature was negotiated. */
        rc = vq_driver_add(q->drv, out, nout, r->priv_in, r->priv_nin,
                           v->indirect && nout + r->priv_nin > 1,
                           (void *)(uintptr_t)r->priv_unique);
        if (rc < 0) {
            why(rc, "cannot add the chain: %s", strerror(-rc));
        }
    }
    if (rc < 0) {
        if (num_inflight() == 0) {
            vfc_gfree_all(v);
        }
        return rc;
    }
    track(r);
    vq_driver_kick(q->drv);
    return 0;
}

int vfc_fuse_wait(struct vfc_vmm *v, struct vfc_req *r)
{
    int rc = wait_used(v, r);

    if (rc < 0) {
        unsigned int i;

        /* The chain is still out: forget the request (its buffer is the
         * caller's) and keep its guest buffers off the heap for good. */
        for (i = 0; i < MAX_INFLIGHT; i++) {
            if (inflight[i] == r) {
                inflight[i] = NULL;
            }
        }
        v->heap_floor = v->heap_next;
        return rc;
    }
    rc = check_reply(v, r);
    if (num_inflight() == 0) {
        vfc_gfree_all(v);
    }
    return rc;
}

int vfc_fuse_call(struct vfc_vmm *v, struct vfc_req *r)
{
    int rc = vfc_fuse_submit(v, r);

    return rc < 0 ? rc : vfc_fuse_wait(v, r);
}
