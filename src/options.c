/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - vhostfsd's command line: both option styles into one struct.
 *
 * One table of option ids serves both styles: getopt_long() maps the long
 * and short options to an id, and the -o table maps each QEMU key to one,
 * so "--cache never" and "-o cache=none" meet in the same apply_opt()
 * case.  Names and meanings follow the two peers (QEMU 7.2's
 * tools/virtiofsd helper.c, fuse_lowlevel.c and passthrough_ll.c option
 * tables; the Rust virtiofsd's Opt struct and its parse_compat()).
 *
 * Strictness: long options must be spelled out (getopt_long's unique
 * prefixes are refused, so that "--no" or "--cache-size" cannot mean
 * something by accident), numbers are plain decimal with no sign and are
 * range checked, and positional arguments are refused.
 */
#include <cap-ng.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "options-value.h"

enum opt_id {
    /* Short options are their own ids. */
    OPT_COMPAT = 'o',
    OPT_FOREGROUND = 'f',
    OPT_DEBUG = 'd',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    /* Long-only options (and -o keys that share them). */
    OPT_PRINT_CAPS = 256,
    OPT_SHARED_DIR,
    OPT_TAG,
    OPT_SOCKET_PATH,
    OPT_FD,
    OPT_SOCKET_GROUP,
    OPT_MOUNT,
    OPT_NUM_QUEUES,
    OPT_POLL_US,
    OPT_THREAD_POOL_SIZE,
    OPT_CACHE,
    OPT_ALLOW_MMAP,
    OPT_XATTR,
    OPT_NO_XATTR,
    OPT_XATTRMAP,
    OPT_POSIX_ACL,
    OPT_NO_POSIX_ACL,
    OPT_SECURITY_LABEL,
    OPT_NO_SECURITY_LABEL,
    OPT_KILLPRIV_V2,
    OPT_NO_KILLPRIV_V2,
    OPT_WRITEBACK,
    OPT_NO_WRITEBACK,
    OPT_ALLOW_DIRECT_IO,
    OPT_NO_ALLOW_DIRECT_IO,
    OPT_READDIRPLUS,
    OPT_NO_READDIRPLUS,
    OPT_READONLY,
    OPT_ANNOUNCE_SUBMOUNTS,
    OPT_NO_ANNOUNCE_SUBMOUNTS,
    OPT_PRESERVE_NOATIME,
    OPT_INODE_FH,
    OPT_DAX,
    OPT_DAX_WINDOW,
    OPT_DAX_INODE,
    OPT_SANDBOX,
    OPT_SECCOMP,
    OPT_MODCAPS,
    OPT_RLIMIT_NOFILE,
    OPT_LOG_LEVEL,
    OPT_SYSLOG,
    OPT_DAEMONIZE,
    OPT_UID_MAP,
    OPT_GID_MAP,
    OPT_TRANSLATE_UID,
    OPT_TRANSLATE_GID,
    OPT_MIGRATION_MODE,
    OPT_MIGRATION_ON_ERROR,
    OPT_MIGRATION_VERIFY,
    OPT_MIGRATION_CONFIRM,
    /* Only as -o keys. */
    OPT_FLOCK,
    OPT_NO_FLOCK,
    OPT_POSIX_LOCK,
    OPT_NO_POSIX_LOCK,
    OPT_TIMEOUT,
    OPT_MAX_IDLE,
    OPT_ALLOW_ROOT,
};

#define ARG   required_argument
#define NOARG no_argument

static const struct option long_options[] = {
    {"help", NOARG, NULL, OPT_HELP},
    {"version", NOARG, NULL, OPT_VERSION},
    {"print-capabilities", NOARG, NULL, OPT_PRINT_CAPS},
    {"shared-dir", ARG, NULL, OPT_SHARED_DIR},
    {"tag", ARG, NULL, OPT_TAG},
    {"readonly", NOARG, NULL, OPT_READONLY},
    {"socket-path", ARG, NULL, OPT_SOCKET_PATH},
    {"socket", ARG, NULL, OPT_SOCKET_PATH}, /* Rust, deprecated there */
    {"fd", ARG, NULL, OPT_FD},
    {"socket-group", ARG, NULL, OPT_SOCKET_GROUP},
    {"mount", ARG, NULL, OPT_MOUNT},
    {"num-request-queues", ARG, NULL, OPT_NUM_QUEUES},
    {"thread-pool-size", ARG, NULL, OPT_THREAD_POOL_SIZE},
    {"poll-us", ARG, NULL, OPT_POLL_US},
    {"cache", ARG, NULL, OPT_CACHE},
    {"allow-mmap", NOARG, NULL, OPT_ALLOW_MMAP},
    {"xattr", NOARG, NULL, OPT_XATTR},
    {"xattrmap", ARG, NULL, OPT_XATTRMAP},
    {"posix-acl", NOARG, NULL, OPT_POSIX_ACL},
    {"security-label", NOARG, NULL, OPT_SECURITY_LABEL},
    {"killpriv-v2", NOARG, NULL, OPT_KILLPRIV_V2},
    {"no-killpriv-v2", NOARG, NULL, OPT_NO_KILLPRIV_V2},
    {"writeback", NOARG, NULL, OPT_WRITEBACK},
    {"allow-direct-io", NOARG, NULL, OPT_ALLOW_DIRECT_IO},
    {"no-readdirplus", NOARG, NULL, OPT_NO_READDIRPLUS},
    {"announce-submounts", NOARG, NULL, OPT_ANNOUNCE_SUBMOUNTS},
    {"no-announce-submounts", NOARG, NULL, OPT_NO_ANNOUNCE_SUBMOUNTS},
    {"preserve-noatime", NOARG, NULL, OPT_PRESERVE_NOATIME},
    {"inode-file-handles", ARG, NULL, OPT_INODE_FH},
    {"dax", ARG, NULL, OPT_DAX},
    {"dax-window", ARG, NULL, OPT_DAX_WINDOW},
    {"dax-inode", ARG, NULL, OPT_DAX_INODE},
    {"sandbox", ARG, NULL, OPT_SANDBOX},
    {"seccomp", ARG, NULL, OPT_SECCOMP},
    {"modcaps", ARG, NULL, OPT_MODCAPS},
    {"rlimit-nofile", ARG, NULL, OPT_RLIMIT_NOFILE},
    {"log-level", ARG, NULL, OPT_LOG_LEVEL},
    {"syslog", NOARG, NULL, OPT_SYSLOG},
    {"foreground", NOARG, NULL, OPT_FOREGROUND},
    {"debug", NOARG, NULL, OPT_DEBUG},
    {"daemonize", NOARG, NULL, OPT_DAEMONIZE},
    {"uid-map", ARG, NULL, OPT_UID_MAP},
    {"gid-map", ARG, NULL, OPT_GID_MAP},
    {"translate-uid", ARG, NULL, OPT_TRANSLATE_UID},
    {"translate-gid", ARG, NULL, OPT_TRANSLATE_GID},
    {"migration-mode", ARG, NULL, OPT_MIGRATION_MODE},
    {"migration-on-error", ARG, NULL, OPT_MIGRATION_ON_ERROR},
    {"migration-verify-handles", NOARG, NULL, OPT_MIGRATION_VERIFY},
    {"migration-confirm-paths", NOARG, NULL, OPT_MIGRATION_CONFIRM},
    {NULL, 0, NULL, 0},
};

/* Leading '+': stop at the first non-option; ':': report a missing value. */
static const char short_options[] = "+:o:fdhV";

/* The -o keys: QEMU's, the Rust daemon's compat spellings, and the
 * negations both accept. */
struct compat_key {
    const char *key;
    int id;
    bool value; /* key=value */
};

static const struct compat_key compat_keys[] = {
    {"source", OPT_SHARED_DIR, true},
    {"vhost_user_socket", OPT_SOCKET_PATH, true},
    {"cache", OPT_CACHE, true},
    {"timeout", OPT_TIMEOUT, true},
    {"xattr", OPT_XATTR, false},
    {"no_xattr", OPT_NO_XATTR, false},
    {"xattrmap", OPT_XATTRMAP, true},
    {"posix_acl", OPT_POSIX_ACL, false},
    {"no_posix_acl", OPT_NO_POSIX_ACL, false},
    {"security_label", OPT_SECURITY_LABEL, false},
    {"no_security_label", OPT_NO_SECURITY_LABEL, false},
    {"flock", OPT_FLOCK, false},
    {"no_flock", OPT_NO_FLOCK, false},
    {"posix_lock", OPT_POSIX_LOCK, false},
    {"no_posix_lock", OPT_NO_POSIX_LOCK, false},
    {"writeback", OPT_WRITEBACK, false},
    {"no_writeback", OPT_NO_WRITEBACK, false},
    {"allow_direct_io", OPT_ALLOW_DIRECT_IO, false},
    {"no_allow_direct_io", OPT_NO_ALLOW_DIRECT_IO, false},
    {"readdirplus", OPT_READDIRPLUS, false},
    {"no_readdirplus", OPT_NO_READDIRPLUS, false},
    {"announce_submounts", OPT_ANNOUNCE_SUBMOUNTS, false},
    {"no_announce_submounts", OPT_NO_ANNOUNCE_SUBMOUNTS, false},
    {"killpriv_v2", OPT_KILLPRIV_V2, false},
    {"no_killpriv_v2", OPT_NO_KILLPRIV_V2, false},
    {"sandbox", OPT_SANDBOX, true},
    {"modcaps", OPT_MODCAPS, true},
    {"log_level", OPT_LOG_LEVEL, true},
    {"loglevel", OPT_LOG_LEVEL, true}, /* the Rust daemon's spelling */
    {"debug", OPT_DEBUG, false},
    {"max_idle_threads", OPT_MAX_IDLE, true},
    {"allow_root", OPT_ALLOW_ROOT, false},
};

#define N_COMPAT_KEYS (sizeof(compat_keys) / sizeof(compat_keys[0]))

const struct option *vfsd_long_options(void)
{
    return long_options;
}

const char *const *vfsd_compat_keys(void)
{
    static const char *keys[N_COMPAT_KEYS + 1];

    if (!keys[0]) {
        for (size_t i = 0; i < N_COMPAT_KEYS; i++) {
            keys[i] = compat_keys[i].key;
        }
    }
    return keys;
}

struct ctx {
    struct vfsd_options *o;
    struct vfsd_err e;
};

#define fail(c, ...) vfsd_fail(&(c)->e, __VA_ARGS__)

static int set_str(struct ctx *c, char **field, const char *name,
                   const char *value)
{
    char *copy;

    if (!value[0]) {
        return fail(c, "empty value for %s", name);
    }
    copy = strdup(value);
    if (!copy) {
        fail(c, "out of memory");
        return -ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

static int set_group(struct ctx *c, const char *name, const char *value)
{
    int rc = vfsd_parse_group(&c->e, name, value, &c->o->socket_gid);

    return rc ? rc : set_str(c, &c->o->socket_group, name, value);
}

static int set_modcaps(struct ctx *c, const char *name, const char *value)
{
    uint64_t add, drop;
    int rc = vfsd_parse_modcaps(&c->e, name, value, &add, &drop);

    if (rc == 0) {
        rc = set_str(c, &c->o->modcaps, name, value);
    }
    if (rc == 0) {
        c->o->caps_add = add;
        c->o->caps_drop = drop;
    }
    return rc;
}

/* --- one option ----------------------------------------------------------- */

static int apply_opt(struct ctx *c, int id, const char *name, const char *value)
{
    struct vfsd_options *o = c->o;
    uint64_t v64;
    int v, rc;

    switch (id) {
    case OPT_SHARED_DIR:
        return set_str(c, &o->shared_dir, name, value);
    case OPT_TAG:
        if (strlen(value) > VFSD_TAG_MAX) {
            return fail(c, "tag '%s' is too long (at most %d bytes)", value,
                        VFSD_TAG_MAX);
        }
        return set_str(c, &o->tag, name, value);
    case OPT_READONLY:
        o->readonly = true;
        return 0;
    case OPT_SOCKET_PATH:
        return set_str(c, &o->socket_path, name, value);
    case OPT_FD:
        rc = vfsd_parse_uint(&c->e, name, value, 0, INT32_MAX, &v64);
        o->fd = rc ? o->fd : (int)v64;
        return rc;
    case OPT_SOCKET_GROUP:
        return set_group(c, name, value);
    case OPT_MOUNT:
        return set_str(c, &o->mount_point, name, value);
    case OPT_NUM_QUEUES:
        return vfsd_parse_unsigned(&c->e, name, value, 1, VFSD_MAX_QUEUES,
                                   &o->num_request_queues);
    case OPT_THREAD_POOL_SIZE:
        return vfsd_parse_unsigned(&c->e, name, value, 0, VFSD_MAX_THREADS,
                                   &o->thread_pool_size);
    case OPT_POLL_US:
        return vfsd_parse_unsigned(&c->e, name, value, 0, VFSD_MAX_POLL_US,
                                   &o->poll_us);
    case OPT_MAX_IDLE:
        return vfsd_parse_unsigned(&c->e, name, value, 0, VFSD_MAX_THREADS,
                                   &o->max_idle_threads);
    case OPT_CACHE:
        rc = vfsd_parse_choice(&c->e, vfsd_cache_choices, name, value,
                               "auto, always, metadata, never or none", &v);
        o->cache = rc ? o->cache : (enum vfsd_cache)v;
        return rc;
    case OPT_TIMEOUT:
        rc = vfsd_parse_timeout(&c->e, name, value, &o->timeout);
        o->timeout_set = o->timeout_set || rc == 0;
        return rc;
    case OPT_ALLOW_MMAP:
        o->allow_mmap = true;
        return 0;
    case OPT_XATTR:
    case OPT_NO_XATTR:
        o->xattr_req_ = id == OPT_XATTR;
        return 0;
    case OPT_XATTRMAP:
        return set_str(c, &o->xattrmap, name, value);
    case OPT_POSIX_ACL:
    case OPT_NO_POSIX_ACL:
        o->posix_acl = id == OPT_POSIX_ACL;
        return 0;
    case OPT_SECURITY_LABEL:
    case OPT_NO_SECURITY_LABEL:
        o->security_label = id == OPT_SECURITY_LABEL;
        return 0;
    case OPT_KILLPRIV_V2:
    case OPT_NO_KILLPRIV_V2:
        o->killpriv_v2 = id == OPT_KILLPRIV_V2;
        return 0;
    case OPT_WRITEBACK:
    case OPT_NO_WRITEBACK:
        o->writeback = id == OPT_WRITEBACK;
        return 0;
    case OPT_ALLOW_DIRECT_IO:
    case OPT_NO_ALLOW_DIRECT_IO:
        o->allow_direct_io = id == OPT_ALLOW_DIRECT_IO;
        return 0;
    case OPT_READDIRPLUS:
    case OPT_NO_READDIRPLUS:
        o->readdirplus_req_ = id == OPT_READDIRPLUS;
        return 0;
    case OPT_ANNOUNCE_SUBMOUNTS:
    case OPT_NO_ANNOUNCE_SUBMOUNTS:
        o->announce_submounts = id == OPT_ANNOUNCE_SUBMOUNTS;
        return 0;
    case OPT_FLOCK:
    case OPT_NO_FLOCK:
        o->flock = id == OPT_FLOCK;
        return 0;
    case OPT_POSIX_LOCK:
    case OPT_NO_POSIX_LOCK:
        o->posix_lock = id == OPT_POSIX_LOCK;
        return 0;
    case OPT_PRESERVE_NOATIME:
        o->preserve_noatime = true;
        return 0;
    case OPT_ALLOW_ROOT:
        o->allow_root = true;
        return 0;
    case OPT_INODE_FH:
        rc = vfsd_parse_choice(&c->e, vfsd_inode_fh_choices, name, value,
                               "never, prefer or mandatory", &v);
        o->inode_file_handles =
            rc ? o->inode_file_handles : (enum vfsd_inode_fh)v;
        return rc;
    case OPT_DAX:
        rc = vfsd_parse_choice(&c->e, vfsd_dax_choices, name, value,
                               "shmem, fs-cache or off", &v);
        o->dax = rc ? o->dax : (enum vfsd_dax)v;
        return rc;
    case OPT_DAX_INODE:
        rc = vfsd_parse_choice(&c->e, vfsd_dax_inode_choices, name, value,
                               "off, always or flag", &v);
        o->dax_inode = rc ? o->dax_inode : (enum vfsd_dax_inode)v;
        return rc;
    case OPT_DAX_WINDOW:
        rc = vfsd_parse_size(&c->e, name, value, &v64);
        if (rc == 0 &&
            (v64 == 0 || v64 % VFSD_DAX_ALIGN || v64 > VFSD_DAX_WINDOW_MAX)) {
            rc = fail(c,
                      "invalid value '%s' for %s (expected a multiple of "
                      "2M, at most 1T)",
                      value, name);
        }
        if (rc == 0) {
            o->dax_window = v64;
            o->dax_window_set_ = true;
        }
        return rc;
    case OPT_SANDBOX:
        rc = vfsd_parse_choice(&c->e, vfsd_sandbox_choices, name, value,
                               "namespace, chroot or none", &v);
        o->sandbox = rc ? o->sandbox : (enum vfsd_sandbox)v;
        return rc;
    case OPT_SECCOMP:
        rc = vfsd_parse_choice(&c->e, vfsd_seccomp_choices, name, value,
                               "kill, log, trap or none", &v);
        o->seccomp = rc ? o->seccomp : (enum vfsd_seccomp)v;
        return rc;
    case OPT_MODCAPS:
        return set_modcaps(c, name, value);
    case OPT_RLIMIT_NOFILE:
        rc = vfsd_parse_uint(&c->e, name, value, 0, UINT64_MAX,
                             &o->rlimit_nofile);
        o->rlimit_nofile_set = o->rlimit_nofile_set || rc == 0;
        return rc;
    case OPT_LOG_LEVEL:
        rc = vfsd_parse_choice(&c->e, vfsd_log_choices, name, value,
                               "error, warn, info, debug, trace or off", &v);
        o->log_level = rc ? o->log_level : (enum vfsd_log_level)v;
        return rc;
    case OPT_DEBUG:
        o->log_level = VFSD_LOG_DEBUG;
        return 0;
    case OPT_SYSLOG:
        o->syslog = true;
        return 0;
    case OPT_FOREGROUND:
    case OPT_DAEMONIZE:
        o->daemonize = id == OPT_DAEMONIZE;
        return 0;
    case OPT_UID_MAP:
        return vfsd_parse_idmap(&c->e, name, value, o->uid_map, &o->n_uid_map);
    case OPT_GID_MAP:
        return vfsd_parse_idmap(&c->e, name, value, o->gid_map, &o->n_gid_map);
    case OPT_TRANSLATE_UID:
        return vfsd_parse_xlate(&c->e, name, value, o->translate_uid,
                                &o->n_translate_uid);
    case OPT_TRANSLATE_GID:
        return vfsd_parse_xlate(&c->e, name, value, o->translate_gid,
                                &o->n_translate_gid);
    case OPT_MIGRATION_MODE:
        o->migration_given = true;
        rc = vfsd_parse_choice(&c->e, vfsd_migration_mode_choices, name, value,
                               "find-paths or file-handles", &v);
        o->migration_mode =
            rc ? o->migration_mode : (enum vfsd_migration_mode)v;
        return rc;
    case OPT_MIGRATION_ON_ERROR:
        o->migration_given = true;
        rc = vfsd_parse_choice(&c->e, vfsd_migration_error_choices, name, value,
                               "abort or guest-error", &v);
        o->migration_on_error =
            rc ? o->migration_on_error : (enum vfsd_migration_on_error)v;
        return rc;
    case OPT_MIGRATION_VERIFY:
        o->migration_given = true;
        o->migration_verify_handles = true;
        return 0;
    case OPT_MIGRATION_CONFIRM:
        o->migration_given = true;
        o->migration_confirm_paths = true;
        return 0;
    }
    return fail(c, "internal error: option %s (%d) has no handler", name, id);
}

/* --- -o lists ------------------------------------------------------------- */

static int apply_compat_item(struct ctx *c, char *item)
{
    char *eq = strchr(item, '=');
    char name[64];
    size_t i;

    if (eq) {
        *eq = '\0';
    }
    for (i = 0; i < N_COMPAT_KEYS; i++) {
        if (!strcmp(compat_keys[i].key, item)) {
            break;
        }
    }
    if (i == N_COMPAT_KEYS) {
        return fail(c, "unknown option '-o %s' (try --help)", item);
    }
    snprintf(name, sizeof(name), "-o %s", item);
    if (compat_keys[i].value && !eq) {
        return fail(c, "option '%s' needs a value (%s=...)", name, name);
    }
    if (!compat_keys[i].value && eq) {
        return fail(c, "option '%s' takes no value", name);
    }
    return apply_opt(c, compat_keys[i].id, name, eq ? eq + 1 : NULL);
}

/*
 * A comma-separated -o list.  A comma inside a value (a path) is written
 * doubled, as libvirt escapes it, or after a backslash, as libfuse does.
 */
static int apply_compat_list(struct ctx *c, const char *list)
{
    char *buf = malloc(strlen(list) + 1);
    const char *p = list;
    char *q;
    int rc = 0;

    if (!buf) {
        fail(c, "out of memory");
        return -ENOMEM;
    }
    while (rc == 0 && *p) {
        for (q = buf; *p; p++) {
            if ((p[0] == ',' && p[1] == ',') || (p[0] == '\\' && p[1] == ',')) {
                *q++ = ',';
                p++;
            } else if (*p == ',') {
                p++;
                break;
            } else {
                *q++ = *p;
            }
        }
        *q = '\0';
        if (buf[0]) { /* "-o xattr," has an empty last item: skip it */
            rc = apply_compat_item(c, buf);
        }
    }
    free(buf);
    return rc;
}

/* --- the whole line --------------------------------------------------------
 */

void vfsd_options_init(struct vfsd_options *o)
{
    memset(o, 0, sizeof(*o));
    o->action = VFSD_RUN;
    o->fd = VFSD_NO_FD;
    o->num_request_queues = 1;
    o->thread_pool_size = 0;  /* both peers: requests handled inline */
    o->poll_us = VFSD_POLL_US_DEFAULT;
    o->max_idle_threads = 10; /* QEMU's default */
    o->cache = VFSD_CACHE_AUTO;
    o->announce_submounts = true;
    o->inode_file_handles = VFSD_INODE_FH_NEVER;
    o->dax = VFSD_DAX_OFF;
    o->sandbox = VFSD_SANDBOX_NAMESPACE;
    o->seccomp = VFSD_SECCOMP_KILL;
    o->log_level = VFSD_LOG_INFO;
    o->xattr_req_ = -1;
    o->readdirplus_req_ = -1;
}

void vfsd_options_free(struct vfsd_options *o)
{
    char **strs[] = {&o->shared_dir,  &o->tag,      &o->socket_path,
                     &o->mount_point, &o->xattrmap, &o->modcaps,
                     &o->socket_group};

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

/* Defaults that depend on other options, and conflicts between options. */
static int finish(struct ctx *c)
{
    struct vfsd_options *o = c->o;
    const char *needs_xattr = o->posix_acl        ? "posix ACLs"
                              : o->security_label ? "security labels"
                              : o->xattrmap       ? "xattrmap"
                                                  : NULL;
    int ntransports =
        !!o->socket_path + (o->fd != VFSD_NO_FD) + !!o->mount_point;

    if (!o->shared_dir) {
        return fail(c, "no shared directory: give --shared-dir=DIR or "
                       "-o source=DIR");
    }
    if (ntransports == 0) {
        return fail(c, "nowhere to serve: give --socket-path=PATH, --fd=FD "
                       "or --mount=DIR");
    }
    if (ntransports > 1) {
        return fail(c, "%s and %s cannot be used together",
                    o->socket_path ? "--socket-path" : "--fd",
                    o->mount_point ? "--mount" : "--fd");
    }
    if (o->socket_group && !o->socket_path) {
        return fail(c, "--socket-group needs --socket-path");
    }

    /* Both peers: posix_acl, security_label and xattrmap imply xattr. */
    if (needs_xattr && o->xattr_req_ == 0) {
        return fail(c,
                    "%s need extended attributes, which no_xattr turns "
                    "off",
                    needs_xattr);
    }
    o->xattr = o->xattr_req_ == 1 || needs_xattr;

    /* QEMU: readdirplus is off with cache=none unless asked for. */
    o->readdirplus = o->readdirplus_req_ >= 0 ? o->readdirplus_req_ == 1
                                              : o->cache != VFSD_CACHE_NEVER;
    if (!o->timeout_set) {
        o->timeout = o->cache == VFSD_CACHE_NEVER  ? 0.0
                     : o->cache == VFSD_CACHE_AUTO ? 1.0
                                                   : 86400.0;
    }

    if (o->dax_window_set_ && o->dax == VFSD_DAX_OFF) {
        return fail(c, "--dax-window needs --dax=shmem or --dax=fs-cache");
    }
    if (o->dax_inode != VFSD_DAX_INODE_OFF && o->dax == VFSD_DAX_OFF) {
        return fail(c, "--dax-inode needs --dax=shmem or --dax=fs-cache");
    }
    if (o->dax != VFSD_DAX_OFF && !o->dax_window_set_) {
        o->dax_window = VFSD_DAX_WINDOW_DFL;
    }
    if (o->dax == VFSD_DAX_OFF) {
        o->dax_window = 0;
    }

    if ((o->n_translate_uid || o->n_translate_gid) && o->posix_acl) {
        return fail(c, "--translate-uid and --translate-gid cannot be used "
                       "with posix ACLs");
    }
    if (o->inode_file_handles != VFSD_INODE_FH_NEVER &&
        (o->caps_drop >> CAP_DAC_READ_SEARCH & 1)) {
        return fail(c,
                    "--inode-file-handles=%s needs CAP_DAC_READ_SEARCH, "
                    "which --modcaps drops",
                    vfsd_inode_fh_name(o->inode_file_handles));
    }
    if (o->migration_mode == VFSD_MIGRATION_FILE_HANDLES &&
        (o->migration_verify_handles || o->migration_confirm_paths)) {
        return fail(c, "%s only works with --migration-mode=find-paths",
                    o->migration_verify_handles ? "--migration-verify-handles"
                                                : "--migration-confirm-paths");
    }
    return 0;
}

/* Name of the long option in @arg ("--cache=x" -> "cache"), into @buf. */
static const char *long_name(const char *arg, char *buf, size_t len)
{
    size_t n = strcspn(arg + 2, "=");

    if (n >= len) {
        n = len - 1;
    }
    memcpy(buf, arg + 2, n);
    buf[n] = '\0';
    return buf;
}

static bool is_long(const char *arg)
{
    return arg[0] == '-' && arg[1] == '-' && arg[2];
}

int vfsd_options_parse(struct vfsd_options *o, int argc, char *const argv[],
                       char *err, size_t errlen)
{
    struct ctx c = {.o = o, .e = {.buf = err, .len = errlen}};
    char name[64], nbuf[80];
    const char *arg;
    int opt, li, start, rc;

    vfsd_options_init(o);
    if (errlen) {
        err[0] = '\0';
    }
    optind = 0; /* glibc: start afresh, even after an earlier parse */
    opterr = 0; /* the messages are ours */
    for (;;) {
        start = optind ? optind : 1;
        li = -1;
        opt = getopt_long(argc, argv, short_options, long_options, &li);
        if (opt == -1) {
            break;
        }
        /* The element being read: long options never share one. */
        arg = start < argc ? argv[start] : "";
        if (opt == '?' || opt == ':') {
            if (!is_long(arg)) {
                return opt == ':'
                           ? fail(&c, "option '-%c' needs a value", optopt)
                           : fail(&c, "unknown option '-%c' (try --help)",
                                  optopt);
            }
            long_name(arg, name, sizeof(name));
            if (opt == ':') {
                return fail(&c, "option '--%s' needs a value", name);
            }
            if (optopt && strchr(arg, '=')) {
                return fail(&c, "option '--%s' takes no value", name);
            }
            return fail(&c, "unknown option '--%s' (try --help)", name);
        }
        if (li >= 0) {
            /* Refuse abbreviations: only the full name is an option. */
            long_name(arg, name, sizeof(name));
            if (!is_long(arg) || strcmp(name, long_options[li].name)) {
                return fail(&c, "unknown option '--%s' (try --help)", name);
            }
            snprintf(nbuf, sizeof(nbuf), "--%s", name);
        } else {
            snprintf(nbuf, sizeof(nbuf), "-%c", opt);
        }

        switch (opt) {
        case OPT_HELP:
            o->action = VFSD_HELP;
            return 0;
        case OPT_VERSION:
            o->action = VFSD_VERSION;
            return 0;
        case OPT_PRINT_CAPS:
            o->action = VFSD_PRINT_CAPS;
            break;
        case OPT_COMPAT:
            rc = apply_compat_list(&c, optarg);
            if (rc < 0) {
                return rc;
            }
            break;
        default:
            rc = apply_opt(&c, opt, nbuf, optarg);
            if (rc < 0) {
                return rc;
            }
            break;
        }
    }
    if (optind < argc) {
        return fail(&c, "unexpected argument '%s' (try --help)", argv[optind]);
    }
    return o->action == VFSD_RUN ? finish(&c) : 0;
}
