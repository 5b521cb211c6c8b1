/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse-dev.c - the /dev/fuse transport.
 *
 * Security model: the requests come from the host kernel, which is
 * trusted more than a guest, but they are decoded by the same server with
 * the same checks.  The only state here is two buffers per request and
 * the device fd; a SETLKW that has to wait takes its request's buffers
 * with it (fsrv.h, struct fsrv_req.complete) and the loop gets new ones.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse-dev.h"

/*
 * The device fd as the loop and waiting SETLKW threads share it.  The
 * last of them to let go frees it; after the loop ends no reply is
 * written (the fd may be closed and its number reused).
 */
struct fdev {
    pthread_mutex_t lock;
    int fd;            /* protected by @lock once threads exist */
    bool closed;       /* protected by @lock */
    unsigned int refs; /* protected by @lock */
};

struct fdev_req {
    struct fsrv_req r;
    struct fdev *dev;
    struct iovec in;
    struct iovec out;
};

static volatile sig_atomic_t fdev_stop;

static void on_signal(int sig)
{
    (void)sig;
    fdev_stop = 1;
}

/* Only there to make a waiting fcntl() return EINTR (fsrv.h). */
static void on_interrupt(int sig)
{
    (void)sig;
}

static void fdev_put(struct fdev *dev)
{
    bool last;

    pthread_mutex_lock(&dev->lock);
    last = --dev->refs == 0;
    pthread_mutex_unlock(&dev->lock);
    if (last) {
        pthread_mutex_destroy(&dev->lock);
        free(dev);
    }
}

static struct fdev_req *req_new(struct fdev *dev, size_t size)
{
    struct fdev_req *q = calloc(1, sizeof(*q));

    if (!q) {
        return NULL;
    }
    q->in.iov_base = malloc(size);
    q->out.iov_base = malloc(size);
    if (!q->in.iov_base || !q->out.iov_base) {
        free(q->in.iov_base);
        free(q->out.iov_base);
        free(q);
        return NULL;
    }
    q->in.iov_len = size;
    q->out.iov_len = size;
    q->dev = dev;
    pthread_mutex_lock(&dev->lock);
    dev->refs++;
    pthread_mutex_unlock(&dev->lock);
    return q;
}

static void req_free(struct fdev_req *q)
{
    if (!q) {
        return;
    }
    fdev_put(q->dev);
    free(q->in.iov_base);
    free(q->out.iov_base);
    free(q);
}

/* Write one reply; the kernel answers ENOENT for a request it dropped. */
static void send_reply(struct fdev *dev, const void *buf, size_t len)
{
    ssize_t n;

    do {
        n = write(dev->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != ENOENT && errno != ENODEV) {
        fprintf(stderr, "vhostfsd: writing a reply to /dev/fuse: %s\n",
                strerror(errno));
    }
}

/* A SETLKW that waited: called from its thread (fsrv.h). */
static void complete_late(struct fsrv_req *r, size_t len)
{
    struct fdev_req *q = (struct fdev_req *)r;
    struct fdev *dev = q->dev;

    pthread_mutex_lock(&dev->lock);
    if (!dev->closed && len > 0) {
        send_reply(dev, q->out.iov_base, len);
    }
    pthread_mutex_unlock(&dev->lock);
    req_free(q);
}

static int serve_loop(struct fdev *dev, struct fsrv *srv, int stop_fd,
                      const sigset_t *waitmask)
{
    size_t size = (size_t)fsrv_max_write(srv) + FSRV_HEADROOM;
    struct fdev_req *q = NULL;
    int rc = 0;

    if (size < FUSE_MIN_READ_BUFFER) {
        size = FUSE_MIN_READ_BUFFER;
    }
    while (!fdev_stop) {
        struct pollfd p[2] = {{.fd = dev->fd, .events = POLLIN},
                              {.fd = stop_fd, .events = POLLIN}};
        ssize_t n;

        if (!q) {
            q = req_new(dev, size);
            if (!q) {
                rc = -ENOMEM;
                break;
            }
        }
        if (ppoll(p, stop_fd >= 0 ? 2 : 1, NULL, waitmask) < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            break;
        }
        if (stop_fd >= 0 && (p[1].revents & POLLIN)) {
            break;
        }
        if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            break; /* unmounted or aborted */
        }
        if (!(p[0].revents & POLLIN)) {
            continue;
        }
        n = read(dev->fd, q->in.iov_base, size);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ENOENT) {
                continue; /* the kernel dropped an interrupted request */
            }
            if (errno != ENODEV) {
                rc = -errno;
            }
            break; /* ENODEV: unmounted */
        }
        q->in.iov_len = (size_t)n;
        q->out.iov_len = size;
        q->r.in = &q->in;
        q->r.in_cnt = 1;
        q->r.out = &q->out;
        q->r.out_cnt = 1;
        q->r.complete = complete_late;
        n = fsrv_handle(srv, &q->r);
        q->in.iov_len = size;
        if (n == -EINPROGRESS) {
            q = NULL; /* the waiting thread owns it now */
        } else if (n > 0) {
            send_reply(dev, q->out.iov_base, (size_t)n);
        }
    }
    req_free(q);
    return rc;
}

int fuse_dev_serve(const char *dir, const struct fs_ops *ops, void *fs,
                   const struct fuse_dev_opts *opts)
{
    static const struct fuse_lowlevel_ops no_ops;
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct fuse_dev_opts defaults = {.stop_fd = -1};
    struct sigaction sa, old_int, old_term, old_intr;
    struct fsrv_opts so = {0};
    sigset_t block, oldmask, waitmask;
    struct fuse_session *se = NULL;
    struct fsrv *srv = NULL;
    struct fdev *dev = NULL;
    int rc;

    if (!opts) {
        opts = &defaults;
    }
    if (fuse_opt_add_arg(&args, "vhostfsd") ||
        (opts->allow_other && (fuse_opt_add_arg(&args, "-o") ||
                               fuse_opt_add_arg(&args, "allow_other"))) ||
        (opts->mount_options &&
         (fuse_opt_add_arg(&args, "-o") ||
          fuse_opt_add_arg(&args, opts->mount_options)))) {
        rc = -ENOMEM;
        goto out;
    }
    dev = calloc(1, sizeof(*dev));
    if (!dev) {
        rc = -ENOMEM;
        goto out;
    }
    pthread_mutex_init(&dev->lock, NULL);
    dev->refs = 1;
    dev->fd = -1;
    if (opts->srv) {
        so = *opts->srv;
    }
    if (so.interrupt_signal == 0) {
        so.interrupt_signal = FUSE_DEV_INTERRUPT_SIGNAL;
    }
    srv = fsrv_new(ops, fs, &so);
    if (!srv) {
        rc = -errno;
        goto out;
    }

    /* Libfuse parses the options and mounts; it never sees a request. */
    se = fuse_session_new(&args, &no_ops, sizeof(no_ops), NULL);
    if (!se) {
        rc = -EINVAL;
        goto out;
    }
    if (access("/dev/fuse", R_OK | W_OK) < 0) {
        rc = -ENODEV;
        goto out_destroy;
    }
    if (fuse_session_mount(se, dir) != 0) {
        rc = -ENODEV;
        goto out_destroy;
    }
    dev->fd = fuse_session_fd(se);

    /*
     * SIGINT/SIGTERM stay blocked except inside ppoll(): no window where
     * a signal is taken between the check and the wait.
     */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &oldmask);
    waitmask = oldmask;
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = on_interrupt; /* no SA_RESTART: fcntl() ends */
    sigaction(so.interrupt_signal, &sa, &old_intr);
    fdev_stop = 0;

    if (opts->ready) {
        opts->ready(opts->ready_arg);
    }
    rc = serve_loop(dev, srv, opts->stop_fd, &waitmask);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    /* A SETLKW still waiting may yet be signalled: keep the handler. */
    if (fsrv_pending(srv) == 0) {
        sigaction(so.interrupt_signal, &old_intr, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);

    pthread_mutex_lock(&dev->lock);
    dev->closed = true;
    pthread_mutex_unlock(&dev->lock);
    fuse_session_unmount(se);
out_destroy:
    fuse_session_destroy(se);
out:
    if (srv && fsrv_pending(srv) > 0) {
        /* A SETLKW still waits and will use the server: leave it be. */
        srv = NULL;
    }
    fsrv_free(srv);
    if (dev) {
        fdev_put(dev);
    }
    fuse_opt_free_args(&args);
    return rc;
}
