/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options-value.h - value parsers of vhostfsd's command line (private to
 * options.c and its tests).
 *
 * Each parser takes the option's name as the user wrote it ("--cache",
 * "-o cache") and its value, and returns 0 or -EINVAL with a one-line
 * message in the error buffer that names both.  Outputs are written only
 * on success.
 */
#ifndef VHOSTFS_OPTIONS_VALUE_H
#define VHOSTFS_OPTIONS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"

/* Where a message goes: @len bytes at @buf (nothing when @len is 0). */
struct vfsd_err {
    char *buf;
    size_t len;
};

/** vfsd_fail() - write the message to @e; returns -EINVAL. */
int vfsd_fail(struct vfsd_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A value of an enumerated option; a table ends with a NULL name.  The
 * first spelling of a value is its canonical one. */
struct vfsd_choice {
    const char *name;
    int value;
};

extern const struct vfsd_choice vfsd_cache_choices[];
extern const struct vfsd_choice vfsd_sandbox_choices[];
extern const struct vfsd_choice vfsd_seccomp_choices[];
extern const struct vfsd_choice vfsd_inode_fh_choices[];
extern const struct vfsd_choice vfsd_dax_choices[];
extern const struct vfsd_choice vfsd_dax_inode_choices[];
extern const struct vfsd_choice vfsd_log_choices[];
extern const struct vfsd_choice vfsd_migration_mode_choices[];
extern const struct vfsd_choice vfsd_migration_error_choices[];

/**
 * vfsd_parse_choice() - look @value up in @t; on failure the message
 * lists @expected ("auto, always, metadata or never").
 */
int vfsd_parse_choice(struct vfsd_err *e, const struct vfsd_choice *t,
                      const char *name, const char *value, const char *expected,
                      int *out);

/**
 * vfsd_parse_u64() - plain decimal: no sign, no blanks, no base prefix,
 * nothing after the digits, no overflow.
 */
bool vfsd_parse_u64(const char *s, uint64_t *out);

/** vfsd_parse_uint() - vfsd_parse_u64() within [@min, @max]. */
int vfsd_parse_uint(struct vfsd_err *e, const char *name, const char *value,
                    uint64_t min, uint64_t max, uint64_t *out);

/** vfsd_parse_unsigned() - the same into an unsigned int. */
int vfsd_parse_unsigned(struct vfsd_err *e, const char *name, const char *value,
                        unsigned int min, unsigned int max, unsigned int *out);

/**
 * vfsd_parse_size() - bytes: decimal, optionally followed by one of K, M,
 * G, T (either case; powers of 1024).  Overflow is an error.
 */
int vfsd_parse_size(struct vfsd_err *e, const char *name, const char *value,
                    uint64_t *out);

/** vfsd_parse_timeout() - seconds, a real number from 0 to 1e9. */
int vfsd_parse_timeout(struct vfsd_err *e, const char *name, const char *value,
                       double *out);

/**
 * vfsd_parse_idmap() - append ":INSIDE:OUTSIDE:COUNT:" to @list (which
 * holds *@n of VFSD_MAX_IDMAPS entries).  COUNT >= 1 and neither range
 * may pass 2^32.
 */
int vfsd_parse_idmap(struct vfsd_err *e, const char *name, const char *value,
                     struct vfsd_idmap *list, unsigned int *n);

/**
 * vfsd_parse_xlate() - append "TYPE:FROM:TO:COUNT" (or
 * "forbid-guest:FROM:COUNT") to @list, as the Rust virtiofsd reads it.
 */
int vfsd_parse_xlate(struct vfsd_err *e, const char *name, const char *value,
                     struct vfsd_xlate *list, unsigned int *n);

/**
 * vfsd_parse_modcaps() - "+sys_admin:-chown": capabilities to add and to
 * drop as bit masks (bit n = capability n).  Names are libcap-ng's, in
 * either case, with or without "cap_"; a later item overrides an earlier
 * one for the same capability.
 */
int vfsd_parse_modcaps(struct vfsd_err *e, const char *name, const char *value,
                       uint64_t *add, uint64_t *drop);

/** vfsd_parse_group() - a group name, or a numeric gid, into @gid. */
int vfsd_parse_group(struct vfsd_err *e, const char *name, const char *value,
                     gid_t *gid);

#endif /* VHOSTFS_OPTIONS_VALUE_H */
