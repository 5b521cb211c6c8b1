/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reinit.c - vhostfs-client reinit [N]: N guest sessions (default 3) on
 * one connection, as when a guest reboots: each session sends FUSE INIT,
 * checks a few operations against --dir, then the VMM stops and resets
 * the device and sets the rings up again from scratch (vfc_vmm_reinit();
 * RESET_DEVICE in every other reset, the rings alone in the others).
 * Even sessions end with DESTROY (a clean unmount), odd ones do not (a
 * reset under a mounted file system), so INIT must be accepted both
 * after DESTROY and in the middle of a session.
 *
 * Output: "ok session I: OP" or "FAIL session I: OP: why" lines, then a
 * summary.  Exit status 0 only without FAIL.
 *
 * Security model: replies are the backend's and not trusted; framing is
 * checked by fuse.c, body sizes here before any field is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "vfc.h"

struct rin {
    struct vfc_vmm *v;
    unsigned int session, n_ok, n_fail;
    uint8_t reply[4096];
};

static void r_ok(struct rin *r, const char *op)
{
    printf("ok session %u: %s\n", r->session, op);
    r->n_ok++;
}

static bool r_fail(struct rin *r, const char *op, const char *why, int err)
{
    printf("FAIL session %u: %s: %s", r->session, op, why);
    if (err) {
        printf(" (%s)", strerror(-err));
    }
    putchar('\n');
    r->n_fail++;
    return false;
}

/* One request; true when it was answered with success and @want bytes
 * (or any length when @want is UINT32_MAX). */
static bool call(struct rin *r, const char *op, uint32_t opcode, uint64_t node,
                 const void *a0, uint32_t l0, const void *a1, uint32_t l1,
                 uint32_t want)
{
    struct vfc_req q = {
        .opcode = opcode,
        .nodeid = node,
        .arg = {a0, a1},
        .arg_len = {l0, l1},
        .nargs = a1   ? 2
                 : a0 ? 1
                      : 0,
        .out = r->reply,
        .out_size = want == UINT32_MAX ? sizeof(r->reply) : want,
    };

    if (vfc_fuse_call(r->v, &q) < 0) {
        return r_fail(r, op, vfc_fuse_why, 0);
    }
    if (q.error) {
        return r_fail(r, op, "error reply", q.error);
    }
    if (want != UINT32_MAX && q.out_len != want) {
        return r_fail(r, op, "reply of the wrong size", 0);
    }
    return true;
}

static bool do_init(struct rin *r)
{
    struct fuse_init_in in = {
        .major = FUSE_KERNEL_VERSION,
        .minor = FUSE_KERNEL_MINOR_VERSION,
        .max_readahead = 128 << 10,
        .flags =
            FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES | FUSE_INIT_EXT,
    };
    struct fuse_init_out out;

    if (!call(r, "INIT", FUSE_INIT, 0, &in, sizeof(in), NULL, 0, UINT32_MAX)) {
        return false;
    }
    memcpy(&out, r->reply, sizeof(out));
    if (out.major != FUSE_KERNEL_VERSION) {
        return r_fail(r, "INIT", "another major version", 0);
    }
    r_ok(r, "INIT");
    return true;
}

/* GETATTR of the root, MKDIR, LOOKUP, RMDIR: each checked on the host. */
static void do_ops(struct rin *r, const char *dir)
{
    struct fuse_getattr_in gi = {0};
    struct fuse_mkdir_in mi = {.mode = 0755, .umask = 022};
    struct fuse_attr_out ao;
    struct fuse_entry_out e;
    char name[64], path[4200];
    uint64_t node;
    struct stat st;

    if (call(r, "GETATTR", FUSE_GETATTR, FUSE_ROOT_ID, &gi, sizeof(gi), NULL, 0,
             sizeof(ao))) {
        memcpy(&ao, r->reply, sizeof(ao));
        if (stat(dir, &st) < 0 || ao.attr.ino != st.st_ino) {
            r_fail(r, "GETATTR", "not the shared directory", 0);
        } else {
            r_ok(r, "GETATTR");
        }
    }
    snprintf(name, sizeof(name), "vfc-reinit.%d.%u", (int)getpid(), r->session);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!call(r, "MKDIR", FUSE_MKDIR, FUSE_ROOT_ID, &mi, sizeof(mi), name,
              (uint32_t)strlen(name) + 1, sizeof(e))) {
        return;
    }
    memcpy(&e, r->reply, sizeof(e));
    node = e.nodeid;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
        e.attr.ino != st.st_ino) {
        r_fail(r, "MKDIR", "not on the host", 0);
    } else {
        r_ok(r, "MKDIR");
    }
    if (call(r, "LOOKUP", FUSE_LOOKUP, FUSE_ROOT_ID, name,
             (uint32_t)strlen(name) + 1, NULL, 0, sizeof(e))) {
        memcpy(&e, r->reply, sizeof(e));
        if (e.nodeid != node) {
            r_fail(r, "LOOKUP", "another node than MKDIR's", 0);
        } else {
            r_ok(r, "LOOKUP");
        }
    }
    if (call(r, "RMDIR", FUSE_RMDIR, FUSE_ROOT_ID, name,
             (uint32_t)strlen(name) + 1, NULL, 0, 0)) {
        if (lstat(path, &st) == 0) {
            r_fail(r, "RMDIR", "still on the host", 0);
        } else {
            r_ok(r, "RMDIR");
        }
    }
    rmdir(path); /* should a step have failed half-way */
}

int vfc_cmd_reinit(struct vfc_vmm *v, int argc, char **argv)
{
    static struct rin rin;
    struct rin *r = &rin;
    unsigned int n = 3, i;
    int rc;

    if (argc > 2) {
        fprintf(stderr, "vhostfs-client: reinit takes one argument\n");
        return 1;
    }
    if (argc == 2) {
        char *end;
        long l;

        errno = 0;
        l = strtol(argv[1], &end, 10);
        if (errno || end == argv[1] || *end || l < 1 || l > 1000) {
            fprintf(stderr,
                    "vhostfs-client: reinit: '%s' is not a "
                    "number of sessions from 1 to 1000\n",
                    argv[1]);
            return 1;
        }
        n = (unsigned int)l;
    }
    memset(r, 0, sizeof(*r));
    r->v = v;
    for (i = 0; i < n && !v->gone; i++) {
        r->session = i + 1;
        if (do_init(r)) {
            do_ops(r, v->opts->dir);
            if (i % 2 == 0 &&
                call(r, "DESTROY", FUSE_DESTROY, 0, NULL, 0, NULL, 0, 0)) {
                r_ok(r, "DESTROY");
            }
        }
        if (i + 1 == n) {
            break;
        }
        /* Every other reset without RESET_DEVICE: the ring set-up alone
         * must bring the device back (VMMs that predate the message). */
        rc = vfc_vmm_reinit(v, i % 2 == 0);
        if (rc < 0) {
            r_fail(r, "device reset", "the VMM could not start it again", 0);
            break;
        }
        r_ok(r, i % 2 == 0 ? "device reset (RESET_DEVICE)"
                           : "device reset (rings only)");
    }
    printf("# reinit: %u sessions, %u ok, %u failed\n", r->session, r->n_ok,
           r->n_fail);
    return r->n_fail ? 1 : 0;
}
