/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax-window.c - the VMM's DAX cache window: map, unmap and sync requests
 * of the backend applied to an address range reserved PROT_NONE.
 *
 * Security model: the backend is not trusted.  vhu_frontend_handler has
 * checked each message's size and fd count; here every entry's offsets are
 * checked against the window and the file (page alignment, overflow,
 * bounds) before anything is mapped, and a request with one bad entry maps
 * nothing.  Only MAP_FIXED inside the reserved window is ever done, so a
 * backend cannot place a mapping anywhere else in this process.  FS_IO
 * moves bytes only within guest RAM or the window, each entry's range
 * whole in one of them, and only with a regular file.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dax.h"
#include "vhu-error.h"

/* fs-cache dialect entry flags (doc/PROTOCOL.md). */
#define FS_FLAG_READ  0x1ull
#define FS_FLAG_WRITE 0x2ull

int vfc_dax_window_init(struct vfc_dax_window *w, uint64_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    void *p;

    memset(w, 0, sizeof(*w));
    w->page = page > 0 ? (uint64_t)page : 4096;
    if (!size || size % w->page || size > SIZE_MAX) {
        return -EINVAL;
    }
    p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    if (p == MAP_FAILED) {
        return -errno;
    }
    w->base = p;
    w->size = size;
    return 0;
}

void vfc_dax_window_fini(struct vfc_dax_window *w)
{
    if (w->base) {
        munmap(w->base, w->size);
    }
    w->base = NULL;
}

/* 0 when [off, off + len) is a page-aligned, non-empty part of @w. */
static int check_window(const struct vfc_dax_window *w, uint64_t off,
                        uint64_t len)
{
    uint64_t end;

    if (!len || (off | len) & (w->page - 1)) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(off, len, &end)) {
        return -EOVERFLOW;
    }
    return end > w->size ? -EINVAL : 0;
}

/* 0 when @fd is a regular file and @foff (aligned) starts inside it. */
static int check_file(const struct vfc_dax_window *w, int fd, uint64_t foff,
                      uint64_t len)
{
    struct stat st;
    uint64_t end;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return -EBADF;
    }
    if (foff & (w->page - 1)) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(foff, len, &end) || end > INT64_MAX) {
        return -EOVERFLOW;
    }
    /* The tail of a range may pass EOF (the guest maps 2 MiB). */
    return foff >= (uint64_t)st.st_size ? -EINVAL : 0;
}

static int refuse(struct vfc_dax_window *w, int rc)
{
    atomic_fetch_add(&w->refused, 1);
    return rc;
}

static int do_map(struct vfc_dax_window *w, int fd, uint64_t foff, uint64_t off,
                  uint64_t len, bool writable)
{
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);

    if (mmap(w->base + off, len, prot, MAP_SHARED | MAP_FIXED, fd,
             (off_t)foff) == MAP_FAILED) {
        return -errno;
    }
    atomic_fetch_add(&w->maps, 1);
    return 0;
}

static int do_unmap(struct vfc_dax_window *w, uint64_t off, uint64_t len)
{
    if (mmap(w->base + off, len, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED) {
        return -errno;
    }
    return 0;
}

static int shmem_map(void *ctx, const struct vhu_shmem_map *m, int *fd)
{
    struct vfc_dax_window *w = ctx;
    int rc;

    if (m->shmid != 0 || m->flags & ~VHU_SHMEM_MAP_F_WRITABLE) {
        return refuse(w, -EINVAL);
    }
    rc = check_window(w, m->shm_offset, m->len);
    if (rc == 0) {
        rc = check_file(w, *fd, m->fd_offset, m->len);
    }
    if (rc < 0) {
        return refuse(w, rc);
    }
    return do_map(w, *fd, m->fd_offset, m->shm_offset, m->len,
                  m->flags & VHU_SHMEM_MAP_F_WRITABLE);
}

static int shmem_unmap(void *ctx, const struct vhu_shmem_map *m)
{
    struct vfc_dax_window *w = ctx;
    int rc;

    rc = m->shmid != 0 ? -EINVAL : check_window(w, m->shm_offset, m->len);
    if (rc < 0) {
        return refuse(w, rc);
    }
    rc = do_unmap(w, m->shm_offset, m->len);
    if (rc == 0) {
        atomic_fetch_add(&w->unmaps, 1);
    }
    return rc;
}

static int fs_map(void *ctx, const struct vhu_fs_backend_msg *m, int *fd)
{
    struct vfc_dax_window *w = ctx;
    unsigned int i, n = 0;
    int rc;

    /* Every entry checked before any is mapped. */
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (!m->len[i]) {
            continue;
        }
        if (!(m->flags[i] & FS_FLAG_READ) ||
            m->flags[i] & ~(FS_FLAG_READ | FS_FLAG_WRITE)) {
            return refuse(w, -EINVAL);
        }
        rc = check_window(w, m->cache_offset[i], m->len[i]);
        if (rc == 0) {
            rc = check_file(w, *fd, m->fd_offset[i], m->len[i]);
        }
        if (rc < 0) {
            return refuse(w, rc);
        }
        n++;
    }
    if (!n) {
        return refuse(w, -EINVAL);
    }
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (!m->len[i]) {
            continue;
        }
        rc = do_map(w, *fd, m->fd_offset[i], m->cache_offset[i], m->len[i],
                    m->flags[i] & FS_FLAG_WRITE);
        if (rc < 0) {
            /* Leave nothing of a request that failed. */
            while (i-- > 0) {
                if (m->len[i]) {
                    do_unmap(w, m->cache_offset[i], m->len[i]);
                }
            }
            return rc;
        }
    }
    return 0;
}

/* Check every entry of an unmap or sync: at least one, all in @w. */
static int check_entries(struct vfc_dax_window *w,
                         const struct vhu_fs_backend_msg *m)
{
    unsigned int i, n = 0;
    int rc;

    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (!m->len[i]) {
            continue;
        }
        rc = check_window(w, m->cache_offset[i], m->len[i]);
        if (rc < 0) {
            return rc;
        }
        n++;
    }
    return n ? 0 : -EINVAL;
}

static int fs_unmap(void *ctx, const struct vhu_fs_backend_msg *m)
{
    struct vfc_dax_window *w = ctx;
    unsigned int i;
    int rc;

    rc = check_entries(w, m);
    if (rc < 0) {
        return refuse(w, rc);
    }
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (m->len[i]) {
            rc = do_unmap(w, m->cache_offset[i], m->len[i]);
            if (rc < 0) {
                return rc;
            }
        }
    }
    atomic_fetch_add(&w->unmaps, 1);
    return 0;
}

static int fs_sync(void *ctx, const struct vhu_fs_backend_msg *m)
{
    struct vfc_dax_window *w = ctx;
    unsigned int i;
    int rc;

    rc = check_entries(w, m);
    if (rc < 0) {
        return refuse(w, rc);
    }
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (m->len[i] &&
            msync(w->base + m->cache_offset[i], m->len[i], MS_SYNC) < 0 &&
            errno != ENOMEM) {
            return -errno; /* ENOMEM: a part not mapped, nothing to do */
        }
    }
    atomic_fetch_add(&w->syncs, 1);
    return 0;
}

/*
 * This process's address of guest-physical [gpa, gpa + len): all in RAM
 * or all in the window (an unmapped part of the window then fails the
 * read or write with EFAULT, as it would for a VMM), else NULL.
 */
static uint8_t *io_addr(const struct vfc_dax_window *w, uint64_t gpa,
                        uint64_t len)
{
    if (w->ram && gpa < w->ram_size && len <= w->ram_size - gpa) {
        return w->ram + gpa;
    }
    if (gpa >= VFC_DAX_WINDOW_GPA && gpa - VFC_DAX_WINDOW_GPA < w->size &&
        len <= w->size - (gpa - VFC_DAX_WINDOW_GPA)) {
        return w->base + (gpa - VFC_DAX_WINDOW_GPA);
    }
    return NULL;
}

/* Move one entry: until @len bytes, end of file or an error. */
static int64_t io_one(int fd, uint8_t *p, uint64_t foff, uint64_t len,
                      bool to_file)
{
    uint64_t done = 0;

    while (done < len) {
        ssize_t n = to_file
                        ? pwrite(fd, p + done, len - done, (off_t)(foff + done))
                        : pread(fd, p + done, len - done, (off_t)(foff + done));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return done ? (int64_t)done : -errno;
        }
        if (n == 0) {
            break;
        }
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

static int64_t fs_io(void *ctx, const struct vhu_fs_backend_msg *m, int *fd)
{
    struct vfc_dax_window *w = ctx;
    uint8_t *p[VHU_FS_BACKEND_ENTRIES];
    uint64_t total = 0, end;
    unsigned int i, n = 0;
    struct stat st;

    if (*fd < 0 || fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return refuse(w, -EBADF);
    }
    /* Every entry checked before any byte moves. */
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        if (!m->len[i]) {
            continue;
        }
        if (m->flags[i] != FS_FLAG_READ && m->flags[i] != FS_FLAG_WRITE) {
            return refuse(w, -EINVAL);
        }
        if (__builtin_add_overflow(m->fd_offset[i], m->len[i], &end) ||
            end > INT64_MAX) {
            return refuse(w, -EOVERFLOW);
        }
        p[i] = io_addr(w, m->cache_offset[i], m->len[i]);
        if (!p[i]) {
            return refuse(w, -EFAULT);
        }
        n++;
    }
    if (!n) {
        return refuse(w, -EINVAL);
    }
    for (i = 0; i < VHU_FS_BACKEND_ENTRIES; i++) {
        int64_t r;

        if (!m->len[i]) {
            continue;
        }
        r = io_one(*fd, p[i], m->fd_offset[i], m->len[i],
                   m->flags[i] == FS_FLAG_WRITE);
        if (r < 0) {
            return total ? (int64_t)total : r;
        }
        total += (uint64_t)r;
        if ((uint64_t)r < m->len[i]) {
            break; /* end of file: the rest is not reached */
        }
    }
    atomic_fetch_add(&w->ios, 1);
    return (int64_t)total;
}

const struct vhu_frontend_req_ops vfc_dax_ops = {
    .fs_map = fs_map,
    .fs_unmap = fs_unmap,
    .fs_sync = fs_sync,
    .fs_io = fs_io,
    .shmem_map = shmem_map,
    .shmem_unmap = shmem_unmap,
};

static void *serve_channel(void *arg)
{
    struct vfc_dax_channel *c = arg;
    struct pollfd p[2] = {
        {.fd = vhu_frontend_handler_fd(c->h), .events = POLLIN},
        {.fd = c->stop_fd, .events = POLLIN},
    };
    int rc;

    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            c->err = -errno;
            return NULL;
        }
        if (p[1].revents) {
            return NULL;
        }
        rc = vhu_frontend_handler_handle_one(c->h);
        if (rc < 0 && vhu_err_kind(rc) != VHU_E_SOCKET_RETRY) {
            c->err = rc;
            return NULL;
        }
    }
}

int vfc_dax_channel_start(struct vfc_dax_channel *c, struct vhu_frontend *fe,
                          enum vhu_backend_dialect dialect,
                          struct vfc_dax_window *w, const char **step)
{
    int peer = -1, rc;

    c->h = NULL;
    c->thread_up = false;
    c->err = 0;
    c->stop_fd = -1;
    *step = "handler";
    rc = vhu_frontend_handler_new(&c->h, dialect, &vfc_dax_ops, w, &peer);
    if (rc < 0) {
        return rc;
    }
    *step = "SET_BACKEND_REQ_FD";
    rc = vhu_fe_set_backend_req_fd(fe, peer);
    close(peer);
    if (rc < 0) {
        return rc;
    }
    *step = "thread";
    c->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (c->stop_fd < 0) {
        return -errno;
    }
    rc = pthread_create(&c->thread, NULL, serve_channel, c);
    if (rc) {
        return -rc;
    }
    c->thread_up = true;
    return 0;
}

void vfc_dax_channel_stop(struct vfc_dax_channel *c)
{
    uint64_t one = 1;

    if (c->thread_up) {
        if (write(c->stop_fd, &one, sizeof(one)) != sizeof(one)) {
            /* cannot happen with a fresh eventfd; join would hang */
            pthread_cancel(c->thread);
        }
        pthread_join(c->thread, NULL);
        c->thread_up = false;
    }
    if (c->stop_fd >= 0) {
        close(c->stop_fd);
        c->stop_fd = -1;
    }
    vhu_frontend_handler_free(c->h);
    c->h = NULL;
}
