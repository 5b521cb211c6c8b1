/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.c - vhostfs-client check: every FUSE operation, each result
 * checked against the host's view of the shared directory (--dir).
 *
 * Output: one line per operation, "ok OP", "FAIL OP: why" or
 * "unsupported OP (ENOSYS)" (or EOPNOTSUPP: a feature the backend lacks
 * or has turned off), then a summary.  Exit status 0 only without FAIL.
 *
 * The check works in a directory of its own, vfc-check.PID, made with
 * MKDIR in the share's root and removed at the end (on the host too,
 * should a step have failed half-way).  Steps depend on earlier ones; a
 * step whose prerequisite failed says so as a FAIL.
 *
 * Security model: replies are the backend's and not trusted; framing is
 * checked by fuse.c, body sizes here before any field is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"

void chk_ok(struct chk *c, const char *op)
{
    printf("ok %s\n", op);
    c->n_ok++;
}

void chk_fail(struct chk *c, const char *op, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL %s: ", op);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    c->n_fail++;
}

static void chk_unsup(struct chk *c, const char *op, int err)
{
    const char *name = strerrorname_np(err);

    printf("unsupported %s (%s)\n", op, name ? name : "?");
    c->n_unsup++;
}

int chk_call(struct chk *c, const char *op, uint32_t opcode, uint64_t nodeid,
             const void *a0, uint32_t l0, const void *a1, uint32_t l1,
             uint32_t out_size, int want_err)
{
    struct vfc_req r = {
        .opcode = opcode,
        .nodeid = nodeid,
        .arg = {a0, a1},
        .arg_len = {l0, l1},
        .nargs = a1   ? 2
                 : a0 ? 1
                      : 0,
        .out = c->reply,
        .out_size = out_size,
    };
    uint64_t unique = vfc_fuse_next_unique();
    int rc;

    rc = vfc_fuse_call(c->v, &r);
    if (rc < 0) {
        chk_fail(c, op, "%s", vfc_fuse_why);
        return INT_MIN;
    }
    c->last_unique = unique;
    if (r.error == 0) {
        return (int)r.out_len;
    }
    if (r.error == want_err) {
        return r.error;
    }
    if (r.error == -ENOSYS || r.error == -EOPNOTSUPP) {
        chk_unsup(c, op, -r.error);
    } else {
        chk_fail(c, op, "%s", strerror(-r.error));
    }
    return INT_MIN;
}

int chk_call_names(struct chk *c, const char *op, uint32_t opcode,
                   uint64_t nodeid, const void *a0, uint32_t l0, const char *n1,
                   const char *n2, uint32_t out_size, int want_err)
{
    char names[2 * (NAME_MAX + 1)];
    size_t l1 = strlen(n1) + 1, l2 = n2 ? strlen(n2) + 1 : 0;

    if (l1 + l2 > sizeof(names)) {
        chk_fail(c, op, "name too long");
        return INT_MIN;
    }
    memcpy(names, n1, l1);
    if (n2) {
        memcpy(names + l1, n2, l2);
    }
    if (!a0) {
        return chk_call(c, op, opcode, nodeid, names, (uint32_t)(l1 + l2), NULL,
                        0, out_size, want_err);
    }
    return chk_call(c, op, opcode, nodeid, a0, l0, names, (uint32_t)(l1 + l2),
                    out_size, want_err);
}

const char *chk_hpath(const struct chk *c, const char *name)
{
    static char path[PATH_MAX + NAME_MAX + 2];

    snprintf(path, sizeof(path), "%s/%s", c->hsub, name);
    return path;
}

void chk_remember(struct chk *c, uint64_t node)
{
    unsigned int i;

    for (i = 0; i < c->nnodes; i++) {
        if (c->node[i] == node) {
            c->nlookup[i]++;
            return;
        }
    }
    if (c->nnodes < CHK_MAX_NODES) {
        c->node[c->nnodes] = node;
        c->nlookup[c->nnodes++] = 1;
    }
}

bool chk_attr(struct chk *c, const char *op, const struct fuse_attr *a,
              const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        chk_fail(c, op, "host: lstat %s: %s", path, strerror(errno));
        return false;
    }
    if (a->ino != st.st_ino || a->mode != st.st_mode ||
        a->nlink != st.st_nlink || a->uid != st.st_uid || a->gid != st.st_gid ||
        (!S_ISDIR(st.st_mode) && a->size != (uint64_t)st.st_size)) {
        chk_fail(c, op,
                 "attributes ino %llu mode %o nlink %u uid %u gid %u size "
                 "%llu; host has %llu %o %u %u %u %llu",
                 (unsigned long long)a->ino, a->mode, a->nlink, a->uid, a->gid,
                 (unsigned long long)a->size, (unsigned long long)st.st_ino,
                 st.st_mode, (unsigned int)st.st_nlink, st.st_uid, st.st_gid,
                 (unsigned long long)st.st_size);
        return false;
    }
    return true;
}

uint64_t chk_entry(struct chk *c, const char *op, int len, const char *name)
{
    struct fuse_entry_out e;

    if (len == INT_MIN) {
        return 0;
    }
    if (len != (int)sizeof(e)) {
        chk_fail(c, op, "entry reply of %d bytes, want %zu", len, sizeof(e));
        return 0;
    }
    memcpy(&e, c->reply, sizeof(e));
    if (e.nodeid == 0) {
        chk_fail(c, op, "node id 0 for an existing name");
        return 0;
    }
    chk_remember(c, e.nodeid);
    return chk_attr(c, op, &e.attr, chk_hpath(c, name)) ? e.nodeid : 0;
}

bool chk_need(struct chk *c, const char *op, uint64_t what, const char *which)
{
    if (!what) {
        chk_fail(c, op, "not run: %s failed", which);
    }
    return what != 0;
}

/* --- steps ---------------------------------------------------------------- */

static void do_init(struct chk *c)
{
    struct fuse_init_in in = {
        .major = FUSE_KERNEL_VERSION,
        .minor = FUSE_KERNEL_MINOR_VERSION,
        .max_readahead = 128 << 10,
        .flags = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC |
                 FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES | FUSE_DONT_MASK |
                 FUSE_FLOCK_LOCKS | FUSE_DO_READDIRPLUS |
                 FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS |
                 FUSE_MAX_PAGES | FUSE_INIT_EXT,
    };
    struct fuse_init_out out;
    int len;

    len = chk_call(c, "INIT", FUSE_INIT, 0, &in, sizeof(in), NULL, 0,
                   sizeof(out), 0);
    if (len == INT_MIN) {
        return;
    }
    memset(&out, 0, sizeof(out));
    memcpy(&out, c->reply, (size_t)len);
    if (len < FUSE_COMPAT_22_INIT_OUT_SIZE ||
        out.major != FUSE_KERNEL_VERSION ||
        (out.minor >= 23 && len != (int)sizeof(out))) {
        chk_fail(c, "INIT", "reply of %d bytes for FUSE %u.%u", len, out.major,
                 out.minor);
        return;
    }
    c->minor = out.minor < in.minor ? out.minor : in.minor;
    c->flags = out.flags & in.flags;
    c->max_write = out.max_write;
    if (c->max_write < 4096) {
        chk_fail(c, "INIT", "max_write %u below a page", out.max_write);
        return;
    }
    printf("# backend: FUSE %u.%u, flags %#x, max_write %u\n", out.major,
           out.minor, out.flags, out.max_write);
    chk_ok(c, "INIT");
}

static void do_root(struct chk *c)
{
    struct fuse_getattr_in in = {0};
    struct fuse_attr_out ao;
    int len;

    len = chk_call(c, "GETATTR", FUSE_GETATTR, FUSE_ROOT_ID, &in, sizeof(in),
                   NULL, 0, sizeof(ao), 0);
    if (len == INT_MIN) {
        return;
    }
    if (len != (int)sizeof(ao)) {
        chk_fail(c, "GETATTR", "reply of %d bytes", len);
        return;
    }
    memcpy(&ao, c->reply, sizeof(ao));
    if (chk_attr(c, "GETATTR", &ao.attr, c->dir)) {
        chk_ok(c, "GETATTR");
    }
}

static void do_mkdir_lookup(struct chk *c)
{
    struct fuse_mkdir_in in = {.mode = 0755, .umask = 022};
    struct stat st;
    uint64_t node;
    int len;

    len = chk_call_names(c, "MKDIR", FUSE_MKDIR, FUSE_ROOT_ID, &in, sizeof(in),
                         c->sub, NULL, sizeof(struct fuse_entry_out), 0);
    if (len == INT_MIN) {
        return;
    }
    if (lstat(c->hsub, &st) < 0 || !S_ISDIR(st.st_mode) ||
        (st.st_mode & 07777) != 0755) {
        chk_fail(c, "MKDIR", "host: %s is not a directory of mode 0755",
                 c->hsub);
        return;
    }
    c->sub_node = chk_entry(c, "MKDIR", len, ".");
    if (!c->sub_node) {
        return;
    }
    chk_ok(c, "MKDIR");
    len = chk_call_names(c, "LOOKUP", FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0,
                         c->sub, NULL, sizeof(struct fuse_entry_out), 0);
    node = chk_entry(c, "LOOKUP", len, ".");
    if (node && node != c->sub_node) {
        chk_fail(c, "LOOKUP", "node %llu, MKDIR gave %llu",
                 (unsigned long long)node, (unsigned long long)c->sub_node);
    } else if (node) {
        chk_ok(c, "LOOKUP");
    }
    /* A missing name: ENOENT, or a negative entry (node id 0). */
    len = chk_call_names(c, "LOOKUP (missing name)", FUSE_LOOKUP, c->sub_node,
                         NULL, 0, "no-such-name", NULL,
                         sizeof(struct fuse_entry_out), -ENOENT);
    if (len == -ENOENT ||
        (len == (int)sizeof(struct fuse_entry_out) &&
         ((struct fuse_entry_out *)(void *)c->reply)->nodeid == 0)) {
        chk_ok(c, "LOOKUP (missing name)");
    } else if (len != INT_MIN) {
        chk_fail(c, "LOOKUP (missing name)", "found a node");
    }
}

static void do_statfs(struct chk *c)
{
    struct fuse_statfs_out so;
    struct statvfs hv;
    int len;

    len = chk_call(c, "STATFS", FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, 0,
                   sizeof(so), 0);
    if (len == INT_MIN) {
        return;
    }
    memcpy(&so, c->reply, sizeof(so));
    if (len != (int)sizeof(so) || statvfs(c->dir, &hv) < 0 ||
        so.st.blocks != hv.f_blocks || so.st.bsize != hv.f_bsize ||
        so.st.frsize != hv.f_frsize || so.st.namelen != hv.f_namemax) {
        chk_fail(c, "STATFS",
                 "blocks %llu bsize %u namelen %u differ from "
                 "the host's %llu %lu %lu",
                 (unsigned long long)so.st.blocks, so.st.bsize, so.st.namelen,
                 (unsigned long long)hv.f_blocks, hv.f_bsize, hv.f_namemax);
        return;
    }
    chk_ok(c, "STATFS");
}

static void do_rmdir_forget_destroy(struct chk *c)
{
    struct {
        struct fuse_batch_forget_in in;
        struct fuse_forget_one one[CHK_MAX_NODES];
    } bf;
    struct vfc_req r = {.hiprio = true, .no_reply = true};
    struct stat st;
    unsigned int i;

    if (chk_need(c, "RMDIR", c->sub_node, "MKDIR") &&
        chk_call_names(c, "RMDIR", FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, c->sub,
                       NULL, 0, 0) == 0) {
        if (lstat(c->hsub, &st) == 0) {
            chk_fail(c, "RMDIR", "host: %s is still there", c->hsub);
        } else {
            chk_ok(c, "RMDIR");
        }
    }
    memset(&bf, 0, sizeof(bf));
    for (i = 0; i < c->nnodes; i++) {
        if (c->nlookup[i]) {
            bf.one[bf.in.count].nodeid = c->node[i];
            bf.one[bf.in.count++].nlookup = c->nlookup[i];
        }
    }
    r.opcode = FUSE_BATCH_FORGET;
    r.arg[0] = &bf;
    r.arg_len[0] = (uint32_t)(sizeof(bf.in) + bf.in.count * sizeof(bf.one[0]));
    r.nargs = 1;
    if (vfc_fuse_call(c->v, &r) < 0) {
        chk_fail(c, "BATCH_FORGET", "%s", vfc_fuse_why);
    } else {
        c->nnodes = 0;
        chk_ok(c, "BATCH_FORGET");
    }
    /* Anything unknown: ENOSYS (fuse_lowlevel.c, fs/fuse/dev.c). */
    if (chk_call(c, "unknown opcode", 9999, FUSE_ROOT_ID, NULL, 0, NULL, 0, 0,
                 -ENOSYS) == -ENOSYS) {
        chk_ok(c, "unknown opcode (ENOSYS)");
    } else {
        chk_fail(c, "unknown opcode", "was not refused with ENOSYS");
    }
    if (chk_call(c, "DESTROY", FUSE_DESTROY, 0, NULL, 0, NULL, 0, 0, 0) == 0) {
        chk_ok(c, "DESTROY");
    }
}

/* Host-side removal of what a failed step left behind. */
static void host_cleanup(struct chk *c)
{
    static const char *const names[] = {"file", "copy",  "link",
                                        "hard", "hard2", "fifo"};
    unsigned int i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unlink(chk_hpath(c, names[i]));
    }
    rmdir(c->hsub);
}

int vfc_cmd_check(struct vfc_vmm *v, int argc, char **argv)
{
    static struct chk chk;
    struct chk *c = &chk;
    static void (*const steps[])(struct chk *) = {
        do_init,
        do_root,
        do_mkdir_lookup,
        chk_files,
        chk_names,
        chk_xattrs,
        chk_dirs,
        do_statfs,
        chk_queue_level,
        chk_cleanup_names,
        do_rmdir_forget_destroy,
    };
    unsigned int i;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "vhostfs-client: check takes no arguments\n");
        return 1;
    }
    memset(c, 0, sizeof(*c));
    c->v = v;
    c->dir = v->opts->dir;
    snprintf(c->sub, sizeof(c->sub), "vfc-check.%d", (int)getpid());
    if (strlen(c->dir) + strlen(c->sub) + 2 > sizeof(c->hsub)) {
        fprintf(stderr, "vhostfs-client: --dir: path too long\n");
        return 1;
    }
    strcpy(c->hsub, c->dir);
    strcat(c->hsub, "/");
    strcat(c->hsub, c->sub);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (c->v->gone) {
            printf("# the backend hung up: the check stopped\n");
            break;
        }
        steps[i](c);
        if (i == 0 && c->n_ok == 0) {
            break; /* no INIT, no session */
        }
    }
    host_cleanup(c);
    printf("# check: %u ok, %u unsupported, %u failed\n", c->n_ok, c->n_unsup,
           c->n_fail);
    return c->n_fail ? 1 : 0;
}
