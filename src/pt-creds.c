/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-creds.c - run a request with the caller's uid, gid and umask.
 *
 * Security model: the uid, gid and umask come from the guest's request
 * header; they are what the new file's owner and mode are made of, and the
 * host checks the caller's rights with them.  Only the effective ids change
 * (the saved set-user-id stays 0 so the thread can come back), and only for
 * the calling thread: glibc's setresuid() would change every thread of the
 * process, so the raw system calls are used.  Supplementary groups are
 * dropped for the thread before each switch: the daemon's own groups must
 * never lend the guest a right.  The umask is per thread too: each thread that
 * serves requests gets its own fs_struct (unshare(CLONE_FS)) the first time;
 * where that fails the mode is masked by hand (default ACLs then do not get the
 * last word, which is the lesser evil).  A thread that cannot restore its
 * ids aborts the process rather than serve the next request as the guest.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt-int.h"

static __thread bool thread_ready;
static __thread bool thread_umask;

static void thread_setup(void)
{
    if (thread_ready) {
        return;
    }
    thread_ready = true;
    thread_umask = unshare(CLONE_FS) == 0;
    /* Fails with EPERM unless root; then there are none to lend anyway. */
    (void)syscall(SYS_setgroups, 0, NULL);
}

int pt_creds_enter(const struct fs_ctx *c, struct pt_creds *s)
{
    uid_t euid;
    gid_t egid;
    int rc;

    s->switched = false;
    s->umask_set = false;
    /* -1 is "leave unchanged" to setresuid(): never a caller's id */
    if (c->uid == (uid_t)-1 || c->gid == (gid_t)-1) {
        return -EINVAL;
    }
    thread_setup();
    if (thread_umask) {
        s->old_umask = umask(c->umask & 07777);
        s->umask_set = true;
    }
    euid = geteuid();
    egid = getegid();
    if (euid == c->uid && egid == c->gid) {
        return 0;
    }
    if (euid != 0) {
        return 0; /* unprivileged daemon: files are created as itself */
    }
    s->old_uid = euid;
    s->old_gid = egid;
    /* again each time: someone may have given the process groups since */
    if (syscall(SYS_setgroups, 0, NULL) < 0) {
        rc = -errno;
        goto fail;
    }
    if (syscall(SYS_setresgid, -1, c->gid, -1) < 0) {
        rc = -errno;
        goto fail;
    }
    if (syscall(SYS_setresuid, -1, c->uid, -1) < 0) {
        rc = -errno;
        if (syscall(SYS_setresgid, -1, egid, -1) < 0) {
            abort();
        }
        goto fail;
    }
    s->switched = true;
    return 0;
fail:
    if (s->umask_set) {
        umask(s->old_umask);
        s->umask_set = false;
    }
    return rc;
}

void pt_creds_leave(struct pt_creds *s)
{
    int saved = errno;

    if (s->switched) {
        /* uid first: only root may set the gid back */
        if (syscall(SYS_setresuid, -1, s->old_uid, -1) < 0 ||
            syscall(SYS_setresgid, -1, s->old_gid, -1) < 0) {
            abort();
        }
        s->switched = false;
    }
    if (s->umask_set) {
        umask(s->old_umask);
        s->umask_set = false;
    }
    errno = saved;
}

mode_t pt_creds_mask_mode(const struct fs_ctx *c, const struct pt_creds *s,
                          mode_t mode)
{
    if (s->umask_set) {
        return mode;
    }
    return mode & ~(c->umask & 0777);
}
