/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c - the library's log sink (log.h).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

struct log_sink {
    vhostfs_log_fn fn;
    void *opaque;
};

/* Set before threads start (log.h); read with acquire so fn and opaque
 * are seen together. */
static struct log_sink sinks[2];
static _Atomic(struct log_sink *) cur_sink;

void vhostfs_log_set_sink(vhostfs_log_fn fn, void *opaque)
{
    struct log_sink *s =
        atomic_load(&cur_sink) == &sinks[0] ? &sinks[1] : &sinks[0];

    if (!fn) {
        atomic_store_explicit(&cur_sink, NULL, memory_order_release);
        return;
    }
    s->fn = fn;
    s->opaque = opaque;
    atomic_store_explicit(&cur_sink, s, memory_order_release);
}

void vhostfs_log(enum vhostfs_log_level level, const char *fmt, ...)
{
    struct log_sink *s = atomic_load_explicit(&cur_sink, memory_order_acquire);
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (s) {
        s->fn(s->opaque, level, line);
    } else {
        fprintf(stderr, "vhostfs: %s\n", line);
    }
}
