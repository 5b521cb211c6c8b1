/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-vq.c - virtqueue micro-benchmark (not a test): requests per
 * second for empty requests (one 16-byte readable descriptor, nothing
 * written back) between a driver thread and a device thread sharing a
 * memfd guest memory, for each layout built in, with notifications
 * (both sides sleep on eventfds when idle) and with polling (both spin,
 * notifications suppressed, yielding the CPU every 64 empty polls), at
 * queue depth 1 and 128.
 *
 *     tests/bench-vq [seconds per run, default 2]
 *
 * Prints one line per run; doc/PERFORMANCE.md has figures.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vq-harness.h"

struct bench {
    struct vqh h;
    _Atomic bool stop;
    bool poll_mode;
    uint64_t calls; /* written by the device thread, read after join */
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *device(void *arg)
{
    struct bench *b = arg;
    struct vq *vq = b->h.vq;
    struct iovec iov[4];
    struct vq_elem e = {.iov = iov, .iov_max = 4};
    unsigned int batch = 0, spins = 0;
    int r;

    if (b->poll_mode) {
        vq_disable_notify(vq);
    }
    while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
        r = vq_pop(vq, &e);
        if (r == 1) {
            vq_push(vq, &e, 0);
            if (++batch < 32) {
                continue;
            }
        } else if (r < 0) {
            fprintf(stderr, "bench-vq: device: queue broken\n");
            exit(1);
        }
        if (batch) {
            vq_flush(vq);
            b->calls += vq_notify(vq);
            batch = 0;
            continue;
        }
        if (b->poll_mode) {
            /* Spin, but let a peer sharing this CPU run now and then. */
            if ((++spins & 63) == 0) {
                sched_yield();
            }
            continue;
        }
        if (!vq_enable_notify(vq)) {
            struct pollfd pfd = {.fd = vq_kick_fd(vq), .events = POLLIN};

            poll(&pfd, 1, 50);
            vq_drain_kick(vq);
        }
    }
    return NULL;
}

static int run(enum vq_layout layout, bool poll_mode, bool event_idx,
               unsigned int depth, double secs)
{
    struct vqh_config cfg = {
        .layout = layout,
        .num = 256,
        .event_idx = event_idx,
        .data_size = 4096,
        .data_regions = 1,
        .eventfds = !poll_mode,
    };
    struct bench *b = calloc(1, sizeof(*b));
    uint64_t done = 0, inflight = 0, kicks = 0, spins = 0;
    double t0, t1;
    pthread_t th;
    int rc, tok;

    if (!b) {
        return -ENOMEM;
    }
    rc = vqh_create(&b->h, &cfg);
    if (rc < 0) {
        free(b);
        return rc;
    }
    b->poll_mode = poll_mode;
    if (poll_mode) {
        vq_driver_disable_cb(b->h.drv);
    }
    pthread_create(&th, NULL, device, b);
    t0 = now();
    t1 = t0;
    while (t1 - t0 < secs) {
        struct vq_buf out = {b->h.data_gpa, 16};
        unsigned int added = 0;
        uint32_t len;
        void *p;

        while (inflight < depth &&
               vq_driver_add(b->h.drv, &out, 1, NULL, 0, false, &tok) == 0) {
            inflight++;
            added++;
        }
        if (added) {
            kicks += vq_driver_kick(b->h.drv);
        }
        while (vq_driver_get_used(b->h.drv, &len, &p) == 1) {
            inflight--;
            done++;
            added++;
        }
        if (!added) {
            if (poll_mode) {
                if ((++spins & 63) == 0) {
                    sched_yield();
                }
            } else if (!vq_driver_enable_cb(b->h.drv)) {
                vq_driver_wait(b->h.drv, 50);
            }
        }
        if ((done & 1023) == 0 || !added) {
            t1 = now();
        }
    }
    t1 = now();
    atomic_store(&b->stop, true);
    pthread_join(th, NULL);
    printf("%-6s %-7s event_idx=%d depth=%-3u %10.0f req/s  "
           "(%llu requests, %.3f kicks/req, %.3f calls/req)\n",
           layout == VQ_LAYOUT_SPLIT ? "split" : "packed",
           poll_mode ? "polling" : "notify", event_idx, depth,
           (double)done / (t1 - t0), (unsigned long long)done,
           done ? (double)kicks / (double)done : 0.0,
           done ? (double)b->calls / (double)done : 0.0);
    fflush(stdout);
    vqh_destroy(&b->h);
    free(b);
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    static const enum vq_layout layouts[] = {VQ_LAYOUT_SPLIT, VQ_LAYOUT_PACKED};
    static const unsigned int depths[] = {1, 128};
    unsigned int l, p, e, d;

    if (secs <= 0) {
        secs = 2.0;
    }
    for (l = 0; l < 2; l++) {
        for (p = 0; p < 2; p++) {
            for (e = 0; e < 2; e++) {
                for (d = 0; d < 2; d++) {
                    int rc = run(layouts[l], p == 1, e == 1, depths[d], secs);

                    if (rc == -ENOTSUP) {
                        printf("%s: layout not built in\n",
                               l ? "packed" : "split");
                        goto next_layout;
                    }
                    if (rc < 0) {
                        fprintf(stderr, "bench-vq: setup failed: %d\n", rc);
                        return 1;
                    }
                }
            }
        }
    next_layout:;
    }
    return 0;
}
