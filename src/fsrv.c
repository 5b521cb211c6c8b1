/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv.c - FUSE server core: header decoding, dispatch, the one reply,
 * INIT negotiation, DESTROY, and SETLKW off the queue thread.
 *
 * Security model: every byte of the request comes from the guest (or the
 * host kernel through /dev/fuse) and is distrusted.  The fuse_in_header
 * is copied out once; hdr.len must lie between the header size and what
 * the readable iovecs hold, and the body cursor is limited to it; each
 * opcode has a minimum body size checked before its decoder runs, and a
 * fixed reply size checked against the writable room before the fs is
 * called (so a lookup is never counted for a reply that cannot be sent).
 * Node ids and file handles are passed to the fs as they are: the fs
 * refuses unknown ones.  Nothing is asserted on request data.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsrv-int.h"

/* INIT flags the server itself can decode and serve. */
#define FSRV_BASE_FLAGS                                                        \
    ((uint64_t)FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT |   \
     FUSE_BIG_WRITES | FUSE_AUTO_INVAL_DATA | FUSE_ASYNC_DIO |                 \
     FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV_V2 | FUSE_MAX_PAGES |         \
     FUSE_CACHE_SYMLINKS | FUSE_SUBMOUNTS | FUSE_SETXATTR_EXT | FUSE_INIT_EXT)

/*
 * Never offered: request extensions (security contexts) are skipped, not
 * decoded; splice and CUSE-style unrestricted ioctls are not served.
 */
#define FSRV_REFUSED_FLAGS                                                     \
    (FUSE_SECURITY_CTX | FUSE_SPLICE_WRITE | FUSE_SPLICE_MOVE |                \
     FUSE_SPLICE_READ | FUSE_NO_OPEN_SUPPORT | FUSE_NO_OPENDIR_SUPPORT |       \
     0x80000000ull /* FUSE_INIT_RESERVED: 1 << 31 in fuse.h */)

struct fsrv *fsrv_new(const struct fs_ops *ops, void *fs,
                      const struct fsrv_opts *opts)
{
    struct fsrv *srv;
    long page = sysconf(_SC_PAGESIZE);

    if (!ops || page <= 0) {
        errno = EINVAL;
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (!srv) {
        return NULL;
    }
    srv->ops = ops;
    srv->fs = fs;
    if (opts) {
        srv->opts = *opts;
    }
    srv->max_write = srv->opts.max_write;
    if (srv->max_write == 0 || srv->max_write > FSRV_MAX_WRITE) {
        srv->max_write = FSRV_MAX_WRITE;
    }
    /* Whole pages: then no READ the kernel sends exceeds max_write. */
    srv->max_write -= srv->max_write % (uint32_t)page;
    if (srv->max_write < (uint32_t)page) {
        srv->max_write = (uint32_t)page;
    }
    srv->max_pages = (uint16_t)(srv->max_write / (uint32_t)page);
    if (srv->opts.max_background == 0) {
        srv->opts.max_background = 64;
    }
    if (srv->opts.map_alignment == 0) {
        srv->opts.map_alignment = 12;
    }
    if (srv->opts.max_blocked_locks == 0) {
        srv->opts.max_blocked_locks = 64;
    }
    pthread_mutex_init(&srv->lock, NULL);
    return srv;
}

void fsrv_free(struct fsrv *srv)
{
    if (!srv) {
        return;
    }
    if (atomic_load(&srv->initialized) && srv->ops->destroy) {
        srv->ops->destroy(srv->fs);
    }
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

uint64_t fsrv_session_flags(const struct fsrv *srv)
{
    struct fsrv *s = (struct fsrv *)srv;

    if (!atomic_load_explicit(&s->initialized, memory_order_acquire)) {
        return 0;
    }
    return atomic_load_explicit(&s->flags, memory_order_relaxed);
}

uint32_t fsrv_max_write(const struct fsrv *srv)
{
    return srv->max_write;
}

unsigned int fsrv_pending(struct fsrv *srv)
{
    unsigned int n;

    pthread_mutex_lock(&srv->lock);
    n = srv->blocked;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

uint64_t fsrv__flags(const struct fsrv_call *c)
{
    return fsrv_session_flags(c->srv);
}

static uint64_t offered_flags(const struct fsrv *srv)
{
    const struct fs_ops *ops = srv->ops;
    uint64_t f = FSRV_BASE_FLAGS;

    if (ops->getlk && ops->setlk) {
        f |= FUSE_POSIX_LOCKS;
    }
    if (ops->setlk) {
        f |= FUSE_FLOCK_LOCKS;
    }
    if (ops->readdirplus) {
        f |= FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
    }
    if (ops->ioctl) {
        f |= FUSE_HAS_IOCTL_DIR;
    }
    if (srv->opts.writeback) {
        f |= FUSE_WRITEBACK_CACHE;
    }
    if (srv->opts.dax) {
        f |= FUSE_MAP_ALIGNMENT | FUSE_HAS_INODE_DAX;
    }
    f |= srv->opts.flags_on;
    f &= ~srv->opts.flags_off;
    return f & ~FSRV_REFUSED_FLAGS;
}

/* A new session (a guest reboot sends INIT again): drop the old one. */
static void end_session(struct fsrv *srv)
{
    if (atomic_exchange(&srv->initialized, false) && srv->ops->destroy) {
        srv->ops->destroy(srv->fs);
    }
    atomic_store(&srv->flags, 0);
}

int fsrv__do_init(struct fsrv_call *c)
{
    struct fsrv *srv = c->srv;
    struct fuse_init_in in;
    struct fuse_init_out out;
    struct fs_init fi;
    uint64_t kflags, offer, final;
    int rc;

    /* Before 7.36 the kernel sends the 16-byte struct without flags2. */
    fsrv_cursor_read_upto(&c->in, &in, sizeof(in));
    memset(&out, 0, sizeof(out));
    out.major = FUSE_KERNEL_VERSION;
    out.minor = FUSE_KERNEL_MINOR_VERSION;
    if (in.major > FUSE_KERNEL_VERSION) {
        /* The kernel retries with our major (fuse.h, "INIT request"). */
        return fsrv_cursor_write(&c->out, &out, sizeof(out));
    }
    if (in.major < FUSE_KERNEL_VERSION || in.minor < FSRV_MIN_MINOR) {
        return -EPROTO;
    }
    end_session(srv);

    kflags = in.flags;
    if (in.flags & FUSE_INIT_EXT) {
        kflags |= (uint64_t)in.flags2 << 32;
    }
    offer = offered_flags(srv) & kflags;
    memset(&fi, 0, sizeof(fi));
    fi.proto_minor = in.minor;
    fi.kernel_flags = kflags;
    fi.want = offer;
    fi.max_write = srv->max_write;
    fi.max_readahead = in.max_readahead;
    if (srv->opts.max_readahead && srv->opts.max_readahead < in.max_readahead) {
        fi.max_readahead = srv->opts.max_readahead;
    }
    fi.dax = srv->opts.dax;
    if (srv->ops->init) {
        rc = srv->ops->init(srv->fs, &fi);
        if (rc < 0) {
            return rc;
        }
    }
    final = fi.want & offer;
    if (!(final & FUSE_INIT_EXT)) {
        final &= 0xffffffffu;
    }

    out.flags = (uint32_t) final;
    out.flags2 = (uint32_t)(final >> 32);
    out.max_readahead = fi.max_readahead;
    out.max_background = srv->opts.max_background;
    out.congestion_threshold = (uint16_t)(srv->opts.max_background * 3 / 4);
    out.max_write = srv->max_write;
    out.time_gran = 1;
    if (final & FUSE_MAX_PAGES) {
        out.max_pages = srv->max_pages;
    }
    if (final & FUSE_MAP_ALIGNMENT) {
        out.map_alignment = srv->opts.map_alignment;
    }
    rc = fsrv_cursor_write(&c->out, &out, sizeof(out));
    if (rc < 0) {
        return rc;
    }
    atomic_store_explicit(&srv->proto_minor, in.minor, memory_order_relaxed);
    atomic_store_explicit(&srv->flags, final, memory_order_relaxed);
    atomic_store_explicit(&srv->initialized, true, memory_order_release);
    return 0;
}

int fsrv__do_destroy(struct fsrv_call *c)
{
    end_session(c->srv);
    return 0;
}

/* --- SETLKW on a thread of its own -------------------------------------- */

/*
 * A SETLKW that waits.  It sits on srv->waiting from before its thread
 * starts until just before its reply is written, so INTERRUPT finds it.
 */
struct lock_wait {
    struct fsrv *srv;
    struct fsrv_req *req;
    struct fs_ctx ctx;
    uint64_t fh;
    uint64_t owner;
    struct fuse_file_lock lk;
    uint32_t lk_flags;
    struct lock_wait *next; /* protected by srv->lock */
    pthread_t th;           /* protected by srv->lock, once @started */
    bool started;           /* protected by srv->lock */
    bool interrupted;       /* protected by srv->lock */
    unsigned int kicks;     /* protected by srv->lock */
};

/* Re-sent INTERRUPTs answered EAGAIN before giving up on one SETLKW. */
#define FSRV_MAX_KICKS 1000

static void *lock_wait_thread(void *arg)
{
    struct lock_wait *w = arg;
    struct fsrv *srv = w->srv;
    struct fuse_out_header oh;
    struct lock_wait **pp;
    sigset_t set;
    bool interrupted;
    int rc = -EINTR;

    if (srv->opts.interrupt_signal > 0) {
        sigemptyset(&set);
        sigaddset(&set, srv->opts.interrupt_signal);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    pthread_mutex_lock(&srv->lock);
    w->th = pthread_self();
    w->started = true;
    interrupted = w->interrupted;
    pthread_mutex_unlock(&srv->lock);
    if (!interrupted) {
        rc = srv->ops->setlk(srv->fs, &w->ctx, w->ctx.nodeid, w->fh, w->owner,
                             &w->lk, w->lk_flags, true);
    }

    pthread_mutex_lock(&srv->lock);
    for (pp = &srv->waiting; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    srv->blocked--;
    pthread_mutex_unlock(&srv->lock);

    memset(&oh, 0, sizeof(oh));
    oh.len = sizeof(oh);
    oh.error = rc < 0 ? rc : 0;
    oh.unique = w->ctx.unique;
    /* fsrv_handle() checked that the reply area holds a header. */
    if (fsrv_iov_write_at(w->req->out, w->req->out_cnt, 0, &oh, sizeof(oh))) {
        oh.len = 0;
    }
    w->req->complete(w->req, oh.len);
    free(w);
    return NULL;
}

int fsrv__interrupt(struct fsrv *srv, uint64_t unique)
{
    struct lock_wait *w;
    int rc = FSRV_NO_REPLY;

    if (srv->opts.interrupt_signal <= 0) {
        return FSRV_NO_REPLY;
    }
    pthread_mutex_lock(&srv->lock);
    for (w = srv->waiting; w; w = w->next) {
        if (w->ctx.unique != unique) {
            continue;
        }
        w->interrupted = true;
        if (w->started) {
            pthread_kill(w->th, srv->opts.interrupt_signal);
        }
        /*
         * The signal may land just before the thread enters its wait:
         * EAGAIN makes the kernel send the INTERRUPT again (fuse_dev_do_write
         * requeues it), and each one signals again until the reply.
         */
        if (++w->kicks < FSRV_MAX_KICKS) {
            rc = -EAGAIN;
        }
        break;
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

int fsrv__setlkw_defer(struct fsrv_call *c, uint64_t fh, uint64_t owner,
                       const struct fuse_file_lock *lk, uint32_t lk_flags)
{
    struct fsrv *srv = c->srv;
    struct lock_wait *w;
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    /* Most locks are free: try without waiting on the queue thread. */
    rc = srv->ops->setlk(srv->fs, &c->ctx, c->hdr.nodeid, fh, owner, lk,
                         lk_flags, false);
    if ((rc != -EAGAIN && rc != -EACCES) || !c->req->complete) {
        if ((rc == -EAGAIN || rc == -EACCES) && !c->req->complete) {
            /* A transport without deferral accepts the wait inline. */
            rc = srv->ops->setlk(srv->fs, &c->ctx, c->hdr.nodeid, fh, owner, lk,
                                 lk_flags, true);
        }
        return rc;
    }

    pthread_mutex_lock(&srv->lock);
    if (srv->blocked >= srv->opts.max_blocked_locks) {
        pthread_mutex_unlock(&srv->lock);
        return -ENOLCK;
    }
    srv->blocked++;
    pthread_mutex_unlock(&srv->lock);

    w = calloc(1, sizeof(*w));
    if (!w) {
        rc = -ENOMEM;
        goto fail;
    }
    w->srv = srv;
    w->req = c->req;
    w->ctx = c->ctx;
    w->fh = fh;
    w->owner = owner;
    w->lk = *lk;
    w->lk_flags = lk_flags;
    rc = -pthread_attr_init(&attr);
    if (rc < 0) {
        goto fail_free;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_mutex_lock(&srv->lock);
    w->next = srv->waiting;
    srv->waiting = w;
    pthread_mutex_unlock(&srv->lock);
    rc = -pthread_create(&th, &attr, lock_wait_thread, w);
    pthread_attr_destroy(&attr);
    if (rc < 0) {
        goto fail_unlist;
    }
    return FSRV_PENDING;

fail_unlist:
    pthread_mutex_lock(&srv->lock);
    srv->waiting = w->next == NULL && srv->waiting == w ? NULL : srv->waiting;
    for (struct lock_wait **pp = &srv->waiting; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
fail_free:
    free(w);
fail:
    pthread_mutex_lock(&srv->lock);
    srv->blocked--;
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

/* --- the opcode table ------------------------------------------------ */

/* Indexed by opcode; rows with fn == NULL are unknown: ENOSYS. */
#define ROW(op, fn_, in_, out_)                                                \
    [op] = {.fn = fn_, .name = #op, .in_size = in_, .out_size = out_}
#define ENTRY_OUT sizeof(struct fuse_entry_out)
#define ATTR_OUT  sizeof(struct fuse_attr_out)
#define OPEN_OUT  sizeof(struct fuse_open_out)

static const struct fsrv_opdesc fsrv_optable[FSRV_MAX_OPCODE + 1] = {
    ROW(FUSE_LOOKUP, fsrv__do_lookup, 0, ENTRY_OUT),
    ROW(FUSE_FORGET, fsrv__do_forget, 0, 0),
    ROW(FUSE_GETATTR, fsrv__do_getattr, sizeof(struct fuse_getattr_in),
        ATTR_OUT),
    ROW(FUSE_SETATTR, fsrv__do_setattr, sizeof(struct fuse_setattr_in),
        ATTR_OUT),
    ROW(FUSE_READLINK, fsrv__do_readlink, 0, 0),
    ROW(FUSE_SYMLINK, fsrv__do_symlink, 0, ENTRY_OUT),
    ROW(FUSE_MKNOD, fsrv__do_mknod, sizeof(struct fuse_mknod_in), ENTRY_OUT),
    ROW(FUSE_MKDIR, fsrv__do_mkdir, sizeof(struct fuse_mkdir_in), ENTRY_OUT),
    ROW(FUSE_UNLINK, fsrv__do_unlink, 0, 0),
    ROW(FUSE_RMDIR, fsrv__do_rmdir, 0, 0),
    ROW(FUSE_RENAME, fsrv__do_rename, sizeof(struct fuse_rename_in), 0),
    ROW(FUSE_LINK, fsrv__do_link, sizeof(struct fuse_link_in), ENTRY_OUT),
    ROW(FUSE_OPEN, fsrv__do_open, sizeof(struct fuse_open_in), OPEN_OUT),
    ROW(FUSE_READ, fsrv__do_read, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_WRITE, fsrv__do_write, sizeof(struct fuse_write_in),
        sizeof(struct fuse_write_out)),
    ROW(FUSE_STATFS, fsrv__do_statfs, 0, sizeof(struct fuse_statfs_out)),
    ROW(FUSE_RELEASE, fsrv__do_release, sizeof(struct fuse_release_in), 0),
    ROW(FUSE_FSYNC, fsrv__do_fsync, sizeof(struct fuse_fsync_in), 0),
    ROW(FUSE_SETXATTR, fsrv__do_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0),
    ROW(FUSE_GETXATTR, fsrv__do_getxattr, sizeof(struct fuse_getxattr_in), 0),
    ROW(FUSE_LISTXATTR, fsrv__do_listxattr, sizeof(struct fuse_getxattr_in), 0),
    ROW(FUSE_REMOVEXATTR, fsrv__do_removexattr, 0, 0),
    ROW(FUSE_FLUSH, fsrv__do_flush, sizeof(struct fuse_flush_in), 0),
    /* Before 7.36 fuse_init_in had no flags2 and no padding: 16 bytes. */
    ROW(FUSE_INIT, fsrv__do_init, 16, sizeof(struct fuse_init_out)),
    ROW(FUSE_OPENDIR, fsrv__do_opendir, sizeof(struct fuse_open_in), OPEN_OUT),
    ROW(FUSE_READDIR, fsrv__do_readdir, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_RELEASEDIR, fsrv__do_releasedir, sizeof(struct fuse_release_in),
        0),
    ROW(FUSE_FSYNCDIR, fsrv__do_fsync, sizeof(struct fuse_fsync_in), 0),
    ROW(FUSE_GETLK, fsrv__do_getlk, sizeof(struct fuse_lk_in),
        sizeof(struct fuse_lk_out)),
    ROW(FUSE_SETLK, fsrv__do_setlk, sizeof(struct fuse_lk_in), 0),
    ROW(FUSE_SETLKW, fsrv__do_setlk, sizeof(struct fuse_lk_in), 0),
    ROW(FUSE_ACCESS, fsrv__do_access, sizeof(struct fuse_access_in), 0),
    ROW(FUSE_CREATE, fsrv__do_create, sizeof(struct fuse_create_in),
        ENTRY_OUT + OPEN_OUT),
    ROW(FUSE_INTERRUPT, fsrv__do_interrupt, 0, 0),
    ROW(FUSE_DESTROY, fsrv__do_destroy, 0, 0),
    ROW(FUSE_IOCTL, fsrv__do_ioctl, sizeof(struct fuse_ioctl_in),
        sizeof(struct fuse_ioctl_out)),
    ROW(FUSE_POLL, fsrv__do_poll, sizeof(struct fuse_poll_in),
        sizeof(struct fuse_poll_out)),
    ROW(FUSE_NOTIFY_REPLY, fsrv__do_notify_reply, 0, 0),
    ROW(FUSE_BATCH_FORGET, fsrv__do_batch_forget, 0, 0),
    ROW(FUSE_FALLOCATE, fsrv__do_fallocate, sizeof(struct fuse_fallocate_in),
        0),
    ROW(FUSE_READDIRPLUS, fsrv__do_readdir, sizeof(struct fuse_read_in), 0),
    ROW(FUSE_RENAME2, fsrv__do_rename2, sizeof(struct fuse_rename2_in), 0),
    ROW(FUSE_LSEEK, fsrv__do_lseek, sizeof(struct fuse_lseek_in),
        sizeof(struct fuse_lseek_out)),
    ROW(FUSE_COPY_FILE_RANGE, fsrv__do_copy_file_range,
        sizeof(struct fuse_copy_file_range_in), sizeof(struct fuse_write_out)),
    ROW(FUSE_SETUPMAPPING, fsrv__do_setupmapping,
        sizeof(struct fuse_setupmapping_in), 0),
    ROW(FUSE_REMOVEMAPPING, fsrv__do_removemapping,
        sizeof(struct fuse_removemapping_in), 0),
    ROW(FUSE_SYNCFS, fsrv__do_syncfs, sizeof(struct fuse_syncfs_in), 0),
    ROW(FUSE_TMPFILE, fsrv__do_tmpfile, sizeof(struct fuse_create_in),
        ENTRY_OUT + OPEN_OUT),
};

/* --- one request ------------------------------------------------------- */

static ssize_t reply(struct fsrv_call *c, int err)
{
    struct fuse_out_header oh;
    size_t body = err ? 0 : c->out.done;

    memset(&oh, 0, sizeof(oh));
    oh.len = (uint32_t)(sizeof(oh) + body);
    oh.error = err;
    oh.unique = c->hdr.unique;
    if (fsrv_iov_write_at(c->req->out, c->req->out_cnt, 0, &oh, sizeof(oh))) {
        return -ENOSPC; /* checked before dispatch; cannot happen */
    }
    return oh.len;
}

/* Opcodes answered before INIT or after DESTROY. */
static bool needs_session(uint32_t opcode)
{
    return opcode != FUSE_INIT && opcode != FUSE_FORGET &&
           opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT &&
           opcode != FUSE_NOTIFY_REPLY;
}

ssize_t fsrv_handle(struct fsrv *srv, struct fsrv_req *req)
{
    struct fsrv_call c;
    const struct fsrv_opdesc *d = NULL;
    bool quiet, room;
    size_t extlen;
    int rc;

    memset(&c, 0, sizeof(c));
    c.srv = srv;
    c.req = req;
    if (fsrv_cursor_init(&c.in, req->in, req->in_cnt) < 0 ||
        fsrv_cursor_init(&c.out, req->out, req->out_cnt) < 0) {
        return -EINVAL;
    }
    c.in.gpa = req->in_gpa;
    c.out.gpa = req->out_gpa;
    if (fsrv_cursor_read(&c.in, &c.hdr, sizeof(c.hdr)) < 0) {
        return -EINVAL; /* no unique to answer to */
    }
    /* Those without a reply may come with no writable part at all. */
    quiet = c.hdr.opcode == FUSE_FORGET || c.hdr.opcode == FUSE_BATCH_FORGET ||
            c.hdr.opcode == FUSE_INTERRUPT || c.hdr.opcode == FUSE_NOTIFY_REPLY;
    room = fsrv_cursor_reach(&c.out) >= sizeof(struct fuse_out_header) &&
           fsrv_cursor_skip(&c.out, sizeof(struct fuse_out_header)) == 0;
    if (!room && !quiet) {
        return -ENOSPC;
    }
    c.out.done = 0; /* count the reply body only */

    c.ctx.unique = c.hdr.unique;
    c.ctx.nodeid = c.hdr.nodeid;
    c.ctx.uid = c.hdr.uid;
    c.ctx.gid = c.hdr.gid;
    c.ctx.pid = (pid_t)c.hdr.pid;

    /* hdr.len covers header, body and extensions (fuse.h, 7.37). */
    extlen = (size_t)c.hdr.total_extlen * 8;
    if (c.hdr.len < sizeof(c.hdr) ||
        c.hdr.len - sizeof(c.hdr) > fsrv_cursor_left(&c.in) ||
        c.hdr.len - sizeof(c.hdr) < extlen) {
        rc = -EINVAL;
        goto out;
    }
    fsrv_cursor_limit(&c.in, c.hdr.len - sizeof(c.hdr) - extlen);

    if (c.hdr.opcode <= FSRV_MAX_OPCODE) {
        d = &fsrv_optable[c.hdr.opcode];
    }
    if (!d || !d->fn) {
        rc = -ENOSYS;
        goto out;
    }
    if (needs_session(c.hdr.opcode) &&
        !atomic_load_explicit(&srv->initialized, memory_order_acquire)) {
        rc = -EIO;
        goto out;
    }
    /*
     * Only READ and WRITE data may lie where the daemon cannot reach
     * (struct fsrv_req): for the rest the chain ends there.
     */
    if (c.hdr.opcode != FUSE_READ && c.hdr.opcode != FUSE_WRITE) {
        fsrv_cursor_limit(&c.in, fsrv_cursor_reach(&c.in));
        fsrv_cursor_limit(&c.out, fsrv_cursor_reach(&c.out));
    }
    if (fsrv_cursor_reach(&c.in) < d->in_size ||
        fsrv_cursor_reach(&c.out) < d->out_size) {
        rc = -EINVAL;
        goto out;
    }
    rc = d->fn(&c);

out:
    if (rc == FSRV_NO_REPLY) {
        return 0;
    }
    if (rc == FSRV_PENDING) {
        return -EINPROGRESS;
    }
    if (quiet) {
        /* Only an INTERRUPT to be sent again is answered (EAGAIN). */
        if (c.hdr.opcode == FUSE_INTERRUPT && rc == -EAGAIN && room) {
            return reply(&c, rc);
        }
        return 0; /* even malformed, these are never answered */
    }
    if (rc > 0) {
        rc = 0;
    }
    /* An out-of-range code from the fs would confuse the kernel. */
    if (rc < -4095) {
        rc = -EIO;
    }
    return reply(&c, rc);
}
