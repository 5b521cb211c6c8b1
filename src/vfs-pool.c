/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs-pool.c - the optional worker pool (--thread-pool-size).  A queue
 * thread serves requests inline; when it sees more chains waiting it asks
 * an idle worker to serve the same queue beside it ("inline first, then
 * pool"), so a queue at depth 1 pays no thread switch and a deep one
 * uses more cores.  A worker serves a queue until its ring is empty,
 * which spreads the cost of waking it over many requests (handing over
 * single requests cost more in wake-ups than it saved).
 *
 * Work items are queues; what serving one means is vfs-queue.c's.
 * Nothing here touches guest memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "vfs-int.h"

struct vfs_pool {
    void (*run)(struct vfs_queue *q);
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct vfs_queue *head, *tail; /* queued work; protected by lock */
    unsigned int queued;           /* protected by lock */
    unsigned int idle;             /* workers waiting; protected by lock */
    bool stop;                     /* protected by lock */
    unsigned int nthreads;
    pthread_t threads[];
};

static void *worker_main(void *arg)
{
    struct vfs_pool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct vfs_queue *q;

        while (!p->head && !p->stop) {
            p->idle++;
            pthread_cond_wait(&p->cond, &p->lock);
            p->idle--;
        }
        if (!p->head) {
            break; /* stopping, and nothing left to run */
        }
        q = p->head;
        p->head = q->next_work;
        if (!p->head) {
            p->tail = NULL;
        }
        p->queued--;
        pthread_mutex_unlock(&p->lock);
        p->run(q);
        pthread_mutex_lock(&p->lock);
        q->in_pool = false;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int vfs_pool_new(struct vfs_pool **out, unsigned int nthreads,
                 void (*run)(struct vfs_queue *q))
{
    struct vfs_pool *p;
    unsigned int i;
    int rc;

    p = calloc(1, sizeof(*p) + nthreads * sizeof(p->threads[0]));
    if (!p) {
        return -ENOMEM;
    }
    p->run = run;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (i = 0; i < nthreads; i++) {
        rc = pthread_create(&p->threads[i], NULL, worker_main, p);
        if (rc) {
            vfs_pool_free(p);
            return -rc;
        }
        p->nthreads++;
    }
    *out = p;
    return 0;
}

bool vfs_pool_try_submit(struct vfs_pool *p, struct vfs_queue *q)
{
    bool taken = false;

    pthread_mutex_lock(&p->lock);
    /* One worker per queue at a time, and only one that is idle now. */
    if (!q->in_pool && p->idle > p->queued && !p->stop) {
        q->in_pool = true;
        q->next_work = NULL;
        if (p->tail) {
            p->tail->next_work = q;
        } else {
            p->head = q;
        }
        p->tail = q;
        p->queued++;
        pthread_cond_signal(&p->cond);
        taken = true;
    }
    pthread_mutex_unlock(&p->lock);
    return taken;
}

void vfs_pool_free(struct vfs_pool *p)
{
    unsigned int i;

    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    /* Workers finish what was queued, then leave. */
    for (i = 0; i < p->nthreads; i++) {
        pthread_join(p->threads[i], NULL);
    }
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
