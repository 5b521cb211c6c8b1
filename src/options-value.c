/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options-value.c - the values of vhostfsd's options: enumerations,
 * numbers, sizes, id maps, capability lists and groups.
 */
#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options-value.h"

int vfsd_fail(struct vfsd_err *e, const char *fmt, ...)
{
    va_list ap;

    if (e->len) {
        va_start(ap, fmt);
        vsnprintf(e->buf, e->len, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* First spelling of each value is the canonical one (the *_name()s). */
const struct vfsd_choice vfsd_cache_choices[] = {
    {"auto", VFSD_CACHE_AUTO},
    {"always", VFSD_CACHE_ALWAYS},
    {"metadata", VFSD_CACHE_METADATA},
    {"never", VFSD_CACHE_NEVER},
    {"none", VFSD_CACHE_NEVER}, /* QEMU */
    {NULL, 0},
};
const struct vfsd_choice vfsd_sandbox_choices[] = {
    {"namespace", VFSD_SANDBOX_NAMESPACE},
    {"chroot", VFSD_SANDBOX_CHROOT},
    {"none", VFSD_SANDBOX_NONE},
    {NULL, 0},
};
const struct vfsd_choice vfsd_seccomp_choices[] = {
    {"kill", VFSD_SECCOMP_KILL},
    {"log", VFSD_SECCOMP_LOG},
    {"trap", VFSD_SECCOMP_TRAP},
    {"none", VFSD_SECCOMP_NONE},
    {NULL, 0},
};
const struct vfsd_choice vfsd_inode_fh_choices[] = {
    {"never", VFSD_INODE_FH_NEVER},
    {"prefer", VFSD_INODE_FH_PREFER},
    {"mandatory", VFSD_INODE_FH_MANDATORY},
    {"fallback", VFSD_INODE_FH_PREFER}, /* Rust's old name for prefer */
    {NULL, 0},
};
const struct vfsd_choice vfsd_dax_choices[] = {
    {"off", VFSD_DAX_OFF},
    {"shmem", VFSD_DAX_SHMEM},
    {"fs-cache", VFSD_DAX_FS_CACHE},
    {NULL, 0},
};
const struct vfsd_choice vfsd_dax_inode_choices[] = {
    {"off", VFSD_DAX_INODE_OFF},
    {"always", VFSD_DAX_INODE_ALWAYS},
    {"flag", VFSD_DAX_INODE_FLAG},
    {NULL, 0},
};
const struct vfsd_choice vfsd_log_choices[] = {
    {"off", VFSD_LOG_OFF},      {"error", VFSD_LOG_ERROR},
    {"warn", VFSD_LOG_WARN},    {"info", VFSD_LOG_INFO},
    {"debug", VFSD_LOG_DEBUG},  {"trace", VFSD_LOG_TRACE},
    {"err", VFSD_LOG_ERROR}, /* QEMU */
    {"warning", VFSD_LOG_WARN}, {NULL, 0},
};
const struct vfsd_choice vfsd_migration_mode_choices[] = {
    {"find-paths", VFSD_MIGRATION_FIND_PATHS},
    {"file-handles", VFSD_MIGRATION_FILE_HANDLES},
    {NULL, 0},
};
const struct vfsd_choice vfsd_migration_error_choices[] = {
    {"abort", VFSD_MIGRATION_ABORT},
    {"guest-error", VFSD_MIGRATION_GUEST_ERROR},
    {NULL, 0},
};

static const char *choice_name(const struct vfsd_choice *t, int value)
{
    for (; t->name; t++) {
        if (t->value == value) {
            return t->name;
        }
    }
    return "?";
}

const char *vfsd_cache_name(enum vfsd_cache c)
{
    return choice_name(vfsd_cache_choices, c);
}

const char *vfsd_sandbox_name(enum vfsd_sandbox s)
{
    return choice_name(vfsd_sandbox_choices, s);
}

const char *vfsd_seccomp_name(enum vfsd_seccomp s)
{
    return choice_name(vfsd_seccomp_choices, s);
}

const char *vfsd_inode_fh_name(enum vfsd_inode_fh m)
{
    return choice_name(vfsd_inode_fh_choices, m);
}

const char *vfsd_dax_name(enum vfsd_dax d)
{
    return choice_name(vfsd_dax_choices, d);
}

const char *vfsd_log_level_name(enum vfsd_log_level l)
{
    return choice_name(vfsd_log_choices, l);
}

int vfsd_parse_choice(struct vfsd_err *e, const struct vfsd_choice *t,
                      const char *name, const char *value, const char *expected,
                      int *out)
{
    for (; t->name; t++) {
        if (!strcmp(t->name, value)) {
            *out = t->value;
            return 0;
        }
    }
    return vfsd_fail(e, "invalid value '%s' for %s (expected %s)", value, name,
                     expected);
}

/* Plain decimal: no sign, no blanks, no base prefix, nothing after. */
bool vfsd_parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (!isdigit((unsigned char)s[0])) {
        return false;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

int vfsd_parse_uint(struct vfsd_err *e, const char *name, const char *value,
                    uint64_t min, uint64_t max, uint64_t *out)
{
    if (!vfsd_parse_u64(value, out) || *out < min || *out > max) {
        return vfsd_fail(e,
                         "invalid value '%s' for %s (expected a number from "
                         "%llu to %llu)",
                         value, name, (unsigned long long)min,
                         (unsigned long long)max);
    }
    return 0;
}

int vfsd_parse_unsigned(struct vfsd_err *e, const char *name, const char *value,
                        unsigned int min, unsigned int max, unsigned int *out)
{
    uint64_t v;
    int rc = vfsd_parse_uint(e, name, value, min, max, &v);

    if (rc == 0) {
        *out = (unsigned int)v;
    }
    return rc;
}

/* A size in bytes: decimal, then optionally K, M, G or T (powers of 1024). */
int vfsd_parse_size(struct vfsd_err *e, const char *name, const char *value,
                    uint64_t *out)
{
    static const char suffixes[] = "KMGT";
    uint64_t v, mult = 1;
    char *end;
    const char *p;

    if (!isdigit((unsigned char)value[0])) {
        goto bad;
    }
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno) {
        goto bad;
    }
    if (*end) {
        p = strchr(suffixes, toupper((unsigned char)*end));
        if (!p || end[1]) {
            goto bad;
        }
        mult = 1ull << (10 * (p - suffixes + 1));
    }
    if (__builtin_mul_overflow(v, mult, out)) {
        goto bad;
    }
    return 0;
bad:
    return vfsd_fail(e,
                     "invalid size '%s' for %s (expected a number of bytes, "
                     "optionally followed by K, M, G or T)",
                     value, name);
}

/* QEMU's -o timeout=SECONDS (a real number, as its %lf). */
int vfsd_parse_timeout(struct vfsd_err *e, const char *name, const char *value,
                       double *out)
{
    char *end;
    double v;

    if (!isdigit((unsigned char)value[0]) && value[0] != '.') {
        goto bad;
    }
    errno = 0;
    v = strtod(value, &end);
    if (errno || *end || !isfinite(v) || v < 0 || v > VFSD_TIMEOUT_MAX) {
        goto bad;
    }
    *out = v;
    return 0;
bad:
    return vfsd_fail(e,
                     "invalid value '%s' for %s (expected seconds, 0 to %.0f)",
                     value, name, VFSD_TIMEOUT_MAX);
}

/* Splits @s at ':' into at most @max fields; returns the count or -1. */
static int split_u32s(char *s, uint32_t *fields, int max)
{
    int n = 0;
    char *tok, *save = NULL;
    uint64_t v;

    /* strtok_r would merge empty fields: count separators ourselves. */
    for (tok = s; tok; tok = save) {
        save = strchr(tok, ':');
        if (save) {
            *save++ = '\0';
        }
        if (n == max || !vfsd_parse_u64(tok, &v) || v > UINT32_MAX) {
            return -1;
        }
        fields[n++] = (uint32_t)v;
    }
    return n;
}

static bool range_ok(uint32_t base, uint32_t count)
{
    return count > 0 && (uint64_t)base + count - 1 <= UINT32_MAX;
}

/* --uid-map/--gid-map :INSIDE:OUTSIDE:COUNT: (the Rust daemon's format). */
int vfsd_parse_idmap(struct vfsd_err *e, const char *name, const char *value,
                     struct vfsd_idmap *list, unsigned int *n)
{
    size_t len = strlen(value);
    uint32_t f[3];
    char *copy;
    int nf;

    if (*n == VFSD_MAX_IDMAPS) {
        return vfsd_fail(e, "too many %s options (at most %d)", name,
                         VFSD_MAX_IDMAPS);
    }
    if (len < 2 || value[0] != ':' || value[len - 1] != ':') {
        goto bad;
    }
    copy = strndup(value + 1, len - 2);
    if (!copy) {
        vfsd_fail(e, "out of memory");
        return -ENOMEM;
    }
    nf = split_u32s(copy, f, 3);
    free(copy);
    if (nf != 3 || !range_ok(f[0], f[2]) || !range_ok(f[1], f[2])) {
        goto bad;
    }
    list[*n] =
        (struct vfsd_idmap){.inside = f[0], .outside = f[1], .count = f[2]};
    (*n)++;
    return 0;
bad:
    return vfsd_fail(
        e,
        "invalid value '%s' for %s (expected :INSIDE:OUTSIDE:COUNT:, "
        "e.g. :0:100000:65536:)",
        value, name);
}

static const struct vfsd_choice xlate_choices[] = {
    {"guest", VFSD_XLATE_GUEST},
    {"host", VFSD_XLATE_HOST},
    {"squash-guest", VFSD_XLATE_SQUASH_GUEST},
    {"squash-host", VFSD_XLATE_SQUASH_HOST},
    {"forbid-guest", VFSD_XLATE_FORBID_GUEST},
    {"map", VFSD_XLATE_MAP},
    {NULL, 0},
};

/* --translate-uid/--translate-gid TYPE:FROM:TO:COUNT, forbid-guest:FROM:N */
int vfsd_parse_xlate(struct vfsd_err *e, const char *name, const char *value,
                     struct vfsd_xlate *list, unsigned int *n)
{
    const struct vfsd_choice *t;
    struct vfsd_xlate x = {0};
    const char *colon = strchr(value, ':');
    uint32_t f[3];
    char *copy;
    int nf, want;

    if (*n == VFSD_MAX_IDMAPS) {
        return vfsd_fail(e, "too many %s options (at most %d)", name,
                         VFSD_MAX_IDMAPS);
    }
    if (!colon) {
        goto bad;
    }
    for (t = xlate_choices; t->name; t++) {
        if (strlen(t->name) == (size_t)(colon - value) &&
            !strncmp(t->name, value, (size_t)(colon - value))) {
            break;
        }
    }
    if (!t->name) {
        goto bad;
    }
    x.type = (enum vfsd_xlate_type)t->value;
    want = x.type == VFSD_XLATE_FORBID_GUEST ? 2 : 3;
    copy = strdup(colon + 1);
    if (!copy) {
        vfsd_fail(e, "out of memory");
        return -ENOMEM;
    }
    nf = split_u32s(copy, f, 3);
    free(copy);
    if (nf != want) {
        goto bad;
    }
    x.from = f[0];
    x.to = want == 3 ? f[1] : 0;
    x.count = f[want - 1];
    if (!range_ok(x.from, x.count) ||
        (want == 3 && x.type != VFSD_XLATE_SQUASH_GUEST &&
         x.type != VFSD_XLATE_SQUASH_HOST && !range_ok(x.to, x.count))) {
        goto bad;
    }
    list[(*n)++] = x;
    return 0;
bad:
    return vfsd_fail(
        e,
        "invalid value '%s' for %s (expected TYPE:FROM:TO:COUNT with "
        "TYPE guest, host, squash-guest, squash-host or map, or "
        "forbid-guest:FROM:COUNT)",
        value, name);
}

int vfsd_parse_modcaps(struct vfsd_err *e, const char *name, const char *value,
                       uint64_t *add_out, uint64_t *drop_out)
{
    uint64_t add = 0, drop = 0;
    char *copy, *item, *next;
    const char *cap;
    int n, rc = 0;

    copy = strdup(value);
    if (!copy) {
        vfsd_fail(e, "out of memory");
        return -ENOMEM;
    }
    for (item = copy; item; item = next) {
        next = strchr(item, ':');
        if (next) {
            *next++ = '\0';
        }
        if (item[0] != '+' && item[0] != '-') {
            rc =
                vfsd_fail(e,
                          "invalid value '%s' for %s: '%s' does not start with "
                          "+ or - (expected e.g. +sys_admin:-chown)",
                          value, name, item);
            break;
        }
        cap = item + 1;
        if (!strncasecmp(cap, "cap_", 4)) {
            cap += 4;
        }
        n = cap[0] ? capng_name_to_capability(cap) : -1;
        if (n < 0 || n > 63) {
            rc = vfsd_fail(e, "unknown capability '%s' in %s", item + 1, name);
            break;
        }
        if (item[0] == '+') {
            add |= 1ull << n;
            drop &= ~(1ull << n);
        } else {
            drop |= 1ull << n;
            add &= ~(1ull << n);
        }
    }
    free(copy);
    if (rc == 0) {
        *add_out = add;
        *drop_out = drop;
    }
    return rc;
}

int vfsd_parse_group(struct vfsd_err *e, const char *name, const char *value,
                     gid_t *gid)
{
    struct group *gr = getgrnam(value);
    uint64_t v;

    if (gr) {
        *gid = gr->gr_gid;
    } else if (vfsd_parse_u64(value, &v) && v < (gid_t)-1) {
        *gid = (gid_t)v;
    } else {
        return vfsd_fail(e, "unknown group '%s' for %s", value, name);
    }
    return 0;
}
