/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h - the library's log lines (a queue marked broken, a region that
 * could not be mapped).  By default they go to stderr; a program (the
 * daemon: syslog; tests: a buffer) installs its own sink.
 */
#ifndef VHOSTFS_LOG_H
#define VHOSTFS_LOG_H

#include <stdarg.h>

enum vhostfs_log_level {
    VHOSTFS_LOG_ERR = 3, /* syslog levels */
    VHOSTFS_LOG_WARNING = 4,
    VHOSTFS_LOG_INFO = 6,
    VHOSTFS_LOG_DEBUG = 7,
};

/* A sink gets one formatted line, without the trailing newline. */
typedef void (*vhostfs_log_fn)(void *opaque, enum vhostfs_log_level level,
                               const char *line);

/**
 * vhostfs_log_set_sink() - send log lines to @fn (NULL: back to stderr).
 * Set it before starting threads that may log; the sink may be called
 * from any thread at once.
 */
void vhostfs_log_set_sink(vhostfs_log_fn fn, void *opaque);

/** vhostfs_log() - format one line (at most 512 bytes) and emit it. */
void vhostfs_log(enum vhostfs_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VHOSTFS_LOG_H */
