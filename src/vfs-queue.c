/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-queue.c - one thread per virtqueue: wait for a kick, pop every
 * available chain, hand each to the FUSE server, push the replies, notify.
 *
 * Security model: the chains come from the guest.  The vq layer has
 * bounded and translated them (a malformed ring breaks the queue, which
 * this thread then leaves idle until the frontend stops it); the FUSE
 * server validates what the bytes say.  This file only moves iovecs
 * between the two and never reads guest memory itself.
 *
 * Per request: no allocation, no copy.  The slot (element, iovec array)
 * was allocated when the queue first started.  With a worker pool
 * (vfs-pool.c) a chain may be served on a worker; replies are then pushed
 * from there, under the queue's lock like everything that touches the vq.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vfs-int.h"

/* Under q->lock. */
static void slot_put(struct vfs_queue *q, struct vfs_slot *s)
{
    s->next_free = q->free;
    q->free = s;
    pthread_cond_signal(&q->slot_freed);
}

/*
 * Give @s's chain back to the driver with @len bytes written (under
 * q->lock).  A chain popped before the ring was stopped or reset is only
 * released: nobody waits for it on the new ring.
 */
static void slot_push(struct vfs_queue *q, struct vfs_slot *s, uint32_t len)
{
    if (s->epoch == q->epoch && vq_is_started(q->vq)) {
        vq_push(q->vq, &s->elem, len);
    } else {
        vq_elem_release(&s->elem);
    }
    slot_put(q, s);
}

/* Publish what was pushed and notify the driver (under q->lock). */
static void publish(struct vfs_queue *q)
{
    if (vq_is_started(q->vq)) {
        vq_flush(q->vq);
        vq_notify(q->vq);
    }
}

/* fsrv_req.complete: a request left pending (SETLKW) has its reply. */
static void slot_complete(struct fsrv_req *req, size_t reply_len)
{
    struct vfs_slot *s = req->opaque;
    struct vfs_queue *q = s->q;

    pthread_mutex_lock(&q->lock);
    slot_push(q, s, (uint32_t)reply_len);
    publish(q);
    pthread_mutex_unlock(&q->lock);
}

/*
 * Take a free slot and pop the next chain into it (under q->lock).
 * Returns the slot, or NULL when the ring is empty, broken or stopped.
 * *@more says whether further chains wait.
 */
static struct vfs_slot *pop_slot(struct vfs_queue *q, bool *more)
{
    struct vfs_slot *s;

    pthread_mutex_lock(&q->lock);
    /*
     * All slots out: other threads serving this queue give theirs back
     * when their request is answered (the server bounds SETLKW waits
     * below nslots).
     */
    while (!q->free) {
        pthread_cond_wait(&q->slot_freed, &q->lock);
    }
    s = q->free;
    s->elem.iov = s->iov;
    s->elem.iov_max = VFS_IOV_PER_REQ;
    /* With a DAX window a buffer may lie in it (vq.h): FS_IO reaches it. */
    s->elem.gpa = q->dev->opts.dax ? s->gpa : NULL;
    if (!vq_is_started(q->vq) || vq_pop(q->vq, &s->elem) <= 0) {
        pthread_mutex_unlock(&q->lock);
        return NULL;
    }
    q->free = s->next_free;
    s->epoch = q->epoch;
    *more = q->dev->pool && vq_avail_pending(q->vq);
    pthread_mutex_unlock(&q->lock);

    /* Device-readable iovecs are the request, writable the reply. */
    s->req.in = s->iov;
    s->req.in_cnt = (int)s->elem.out_num;
    s->req.out = s->iov + s->elem.out_num;
    s->req.out_cnt = (int)s->elem.in_num;
    s->req.in_gpa = s->elem.unmapped ? s->gpa : NULL;
    s->req.out_gpa = s->elem.unmapped ? s->gpa + s->elem.out_num : NULL;
    s->req.window_io = q->dev->opts.dax_dialect == VHU_DIALECT_FS_CACHE
                           ? vfs_dax_window_io
                           : NULL;
    s->req.complete = slot_complete;
    s->req.opaque = s;
    return s;
}

void vfs_queue_serve(struct vfs_queue *q)
{
    struct fsrv *srv = q->dev->srv;
    struct vfs_slot *s;
    bool more = false;

    while ((s = pop_slot(q, &more))) {
        ssize_t n;

        /* More waiting: an idle worker, if any, serves beside us. */
        if (more) {
            vfs_pool_try_submit(q->dev->pool, q);
        }
        n = fsrv_handle(srv, &s->req);
        if (n == -EINPROGRESS) {
            continue; /* the slot is the request's until it completes */
        }
        pthread_mutex_lock(&q->lock);
        /* n < 0: not even an error reply fitted; return the chain empty. */
        slot_push(q, s, n > 0 ? (uint32_t)n : 0);
        pthread_mutex_unlock(&q->lock);
    }
    /* Replies are published together once the ring is empty. */
    pthread_mutex_lock(&q->lock);
    publish(q);
    pthread_mutex_unlock(&q->lock);
}

/* A hint to the CPU that this is a spin loop. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A gap this long between two looks at the clock while polling (64 looks
 * at the ring and a yield take a few microseconds) means the yield gave
 * the CPU away for a time slice (the scheduler's smallest is 0.75 ms):
 * another thread wants this CPU, and polling only delays both.  Shorter
 * gaps happen on an idle virtual machine too (a kernel thread's turn, the
 * host taking the vCPU for a moment: hundreds per second above 30 us on
 * the machine of doc/PERFORMANCE.md, a few above 500 us).
 */
#define POLL_PREEMPTED_NS 500000u
/* How long polling stays off after that: doubling while it recurs. */
#define POLL_BACKOFF_MIN_NS 10000000ull
#define POLL_BACKOFF_MAX_NS 1000000000ull
/* Smallest polling window once it grows (KVM's halt_poll_ns_grow_start). */
#define POLL_GROW_START_NS 10000u

/*
 * --poll-us: look at the ring for a while before sleeping, with kicks
 * still disabled (the driver need not kick a device that polls: the
 * technique of DPDK's and SPDK's vhost backends).  True when a chain
 * arrived.  Once per 64 looks the clock is read and the CPU yielded to
 * any other runnable thread on it (the client, a vCPU, another queue).
 * Polling pays only on a CPU nobody else wants, which is what KVM's halt
 * polling checks (single_task_running()): a long gap between two looks
 * at the clock (a yield that gave the CPU away for a time slice) stops
 * it, and polling is off for a while (10 ms, doubling up to 1 s while
 * each new try is cut short too).  While kicks are suppressed, a poller
 * that is preempted leaves requests waiting for its next time slice,
 * where a sleeping thread is woken by the kick at once.
 */
static bool poll_ring(struct vfs_queue *q, uint64_t ns)
{
    uint64_t prev = now_ns(), end = prev + ns, t;
    bool found = false;
    unsigned int i;

    while (!found) {
        for (i = 0; i < 64 && !found; i++) {
            pthread_mutex_lock(&q->lock);
            found = vq_is_started(q->vq) && vq_avail_pending(q->vq);
            pthread_mutex_unlock(&q->lock);
            cpu_relax();
        }
        t = now_ns();
        if (t - prev > POLL_PREEMPTED_NS) {
            q->poll_ns = 0;
            q->poll_off_until = t + q->poll_backoff_ns;
            if (q->poll_backoff_ns < POLL_BACKOFF_MAX_NS) {
                q->poll_backoff_ns *= 2;
            }
            break;
        }
        if (found || t >= end) {
            q->poll_backoff_ns = POLL_BACKOFF_MIN_NS;
            break;
        }
        prev = t;
        sched_yield();
    }
    return found;
}

/*
 * Adapt the polling window to how long the thread just slept, as KVM
 * adapts halt polling: a kick that came within the cap would have been
 * caught by polling, so poll longer next time (double, from 10 us, up to
 * the cap); a longer sleep means the ring is idle, so poll shorter (halve,
 * down to none).  A busy ring thus gets polled, an idle one costs
 * nothing, and a contended CPU (poll_ring()) stops polling for a while.
 */
static void poll_adapt(struct vfs_queue *q, uint64_t slept_ns, uint64_t now)
{
    uint64_t cap = (uint64_t)q->dev->opts.poll_us * 1000u;

    if (slept_ns <= cap && now >= q->poll_off_until) {
        q->poll_ns = q->poll_ns < POLL_GROW_START_NS ? POLL_GROW_START_NS
                                                     : q->poll_ns * 2;
        if (q->poll_ns > cap) {
            q->poll_ns = cap;
        }
    } else {
        q->poll_ns /= 2;
        if (q->poll_ns < POLL_GROW_START_NS) {
            q->poll_ns = 0;
        }
    }
}

static void *queue_main(void *arg)
{
    struct vfs_queue *q = arg;
    struct pollfd pfd[2] = {
        {.fd = vq_kick_fd(q->vq), .events = POLLIN},
        {.fd = q->stop_fd, .events = POLLIN},
    };

    q->poll_ns = 0;
    q->poll_off_until = 0;
    q->poll_backoff_ns = POLL_BACKOFF_MIN_NS;
    for (;;) {
        uint64_t slept;
        bool more;

        /* No kicks needed while we are busy anyway. */
        pthread_mutex_lock(&q->lock);
        vq_disable_notify(q->vq);
        pthread_mutex_unlock(&q->lock);
        vfs_queue_serve(q);
        if (q->poll_ns && !vq_is_broken(q->vq) && poll_ring(q, q->poll_ns)) {
            continue;
        }

        pthread_mutex_lock(&q->lock);
        if (vq_is_broken(q->vq)) {
            pfd[0].fd = -1; /* logged by vq: idle until stopped */
            more = false;
        } else {
            more = vq_enable_notify(q->vq);
        }
        pthread_mutex_unlock(&q->lock);
        if (more) {
            continue;
        }
        slept = now_ns();
        if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
            vhostfs_log(VHOSTFS_LOG_ERR, "queue %u: poll: %s", q->index,
                        strerror(errno));
            break;
        }
        if (q->dev->opts.poll_us) {
            uint64_t now = now_ns();

            poll_adapt(q, now - slept, now);
        }
        if (pfd[1].revents & POLLIN) {
            break;
        }
        if (pfd[0].revents & POLLIN) {
            vq_drain_kick(q->vq);
        }
    }
    return NULL;
}

int vfs_queue_init(struct vfs_queue *q, struct vfs_device *dev,
                   unsigned int index)
{
    int rc;

    memset(q, 0, sizeof(*q));
    q->dev = dev;
    q->index = index;
    q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->stop_fd < 0) {
        return -errno;
    }
    rc = vq_new(&q->vq, index);
    if (rc < 0) {
        close(q->stop_fd);
        return rc;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->slot_freed, NULL);
    return 0;
}

static size_t bufs_size(const struct vfs_queue *q)
{
    return (size_t)q->nslots * sizeof(*q->bufs);
}

static int alloc_slots(struct vfs_queue *q)
{
    /* One inline, one per worker, one per SETLKW that may wait. */
    unsigned int i,
        n = q->dev->opts.max_blocked_locks + 1 + q->dev->opts.thread_pool_size;
    void *bufs;

    if (q->slots) {
        return 0;
    }
    q->slots = calloc(n, sizeof(*q->slots));
    if (!q->slots) {
        return -ENOMEM;
    }
    /*
     * The arrays are mapped, not calloc'd: a calloc of this size may come
     * from the heap and be cleared whole.  Untouched arrays cost address
     * space, not resident memory; the free list is a stack, so a queue at
     * depth 1 keeps using the first slot's.
     */
    q->nslots = n;
    bufs = mmap(NULL, bufs_size(q), PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bufs == MAP_FAILED) {
        free(q->slots);
        q->slots = NULL;
        q->nslots = 0;
        return -ENOMEM;
    }
    q->bufs = bufs;
    for (i = n; i-- > 0;) {
        q->slots[i].q = q;
        q->slots[i].iov = q->bufs[i].iov;
        q->slots[i].gpa = q->bufs[i].gpa;
        slot_put(q, &q->slots[i]);
    }
    return 0;
}

int vfs_queue_kick_off(struct vfs_queue *q)
{
    int rc;

    if (q->running || !q->kick_set || !q->enabled) {
        return 0;
    }
    rc = alloc_slots(q);
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&q->lock);
    rc = vq_is_started(q->vq) ? 0 : vq_start(q->vq, q->dev->gm);
    pthread_mutex_unlock(&q->lock);
    if (rc < 0) {
        vhostfs_log(VHOSTFS_LOG_ERR, "queue %u: cannot start: %s", q->index,
                    strerror(-rc));
        return rc;
    }
    rc = pthread_create(&q->thread, NULL, queue_main, q);
    if (rc) {
        return -rc;
    }
    q->running = true;
    vhostfs_log(VHOSTFS_LOG_DEBUG, "queue %u: started (%u entries, %s)",
                q->index, vq_get_num(q->vq),
                vq_get_layout(q->vq) == VQ_LAYOUT_PACKED ? "packed" : "split");
    return 0;
}

void vfs_queue_pause(struct vfs_queue *q)
{
    eventfd_t v;

    if (!q->running) {
        return;
    }
    eventfd_write(q->stop_fd, 1);
    pthread_join(q->thread, NULL);
    eventfd_read(q->stop_fd, &v);
    q->running = false;
}

void vfs_queue_stop(struct vfs_queue *q)
{
    vfs_queue_pause(q);
    pthread_mutex_lock(&q->lock);
    if (vq_is_started(q->vq)) {
        vq_stop(q->vq);
    }
    q->epoch++;
    pthread_mutex_unlock(&q->lock);
}

void vfs_queue_destroy(struct vfs_queue *q)
{
    if (!q->vq) {
        return;
    }
    vfs_queue_stop(q);
    vq_free(q->vq);
    q->vq = NULL;
    close(q->stop_fd);
    pthread_cond_destroy(&q->slot_freed);
    pthread_mutex_destroy(&q->lock);
    if (q->bufs) {
        munmap(q->bufs, bufs_size(q));
    }
    free(q->slots);
}
