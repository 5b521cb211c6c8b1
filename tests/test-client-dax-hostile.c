/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-client-dax-hostile.c - vhostfs-client's cache window (the VMM side
 * of DAX, src/client/dax-window.c) behind the frontend handler, against a
 * fake backend that writes raw messages on the channel: maps outside the
 * window, with no fd or two, with offsets that wrap, past the end of the
 * file, misaligned or with unknown flags; in both dialects.  Each must be
 * refused with an error ack, map nothing, leak no fd, and leave the
 * handler serving: a good map afterwards works.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client/dax.h"
#include "test.h"
#include "vhu-conn.h"
#include "vhu-error.h"
#include "vhu-frontend-handler.h"

#define WINDOW   (16u << 20)
#define FILE_LEN (64u << 10)
#define PAGE     4096u

struct rig {
    struct vfc_dax_window w;
    struct vhu_frontend_handler *h;
    int peer; /* the fake backend's end */
    int file; /* a memfd of FILE_LEN bytes */
    pthread_t thread;
    int exit_rc; /* why the handler's thread ended */
};

static void *serve(void *arg)
{
    struct rig *r = arg;
    int rc;

    do {
        rc = vhu_frontend_handler_handle_one(r->h);
    } while (rc >= 0 || vhu_err_kind(rc) == VHU_E_SOCKET_RETRY);
    r->exit_rc = rc;
    return NULL;
}

static void rig_up(struct rig *r, enum vhu_backend_dialect dialect)
{
    struct timeval tv = {.tv_sec = 10};
    char byte = 'x';

    if (sysconf(_SC_PAGESIZE) != PAGE) {
        TEST_SKIP("the offsets here assume 4 KiB pages");
    }
    memset(r, 0, sizeof(*r));
    ASSERT_EQ(vfc_dax_window_init(&r->w, WINDOW), 0);
    ASSERT_OK(vhu_frontend_handler_new(&r->h, dialect, &vfc_dax_ops, &r->w,
                                       &r->peer));
    /* A handler that stopped answering fails the case, not hangs it. */
    ASSERT_EQ(setsockopt(r->peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    r->file = test_memfd("dax-file", FILE_LEN);
    ASSERT_EQ(pwrite(r->file, &byte, 1, 2 * PAGE), 1);
    ASSERT_EQ(pthread_create(&r->thread, NULL, serve, r), 0);
}

/* Hang up: the handler's thread must end then, and only then. */
static void rig_down(struct rig *r)
{
    close(r->peer);
    ASSERT_EQ(pthread_join(r->thread, NULL), 0);
    ASSERT_EQ(vhu_err_kind(r->exit_rc), VHU_E_SOCKET_BROKEN);
    vhu_frontend_handler_free(r->h);
    close(r->file);
    vfc_dax_window_fini(&r->w);
}

/* Send @request with NEED_REPLY; the ack's value (0 or a -errno). */
static int64_t request(struct rig *r, uint32_t request, const void *body,
                       uint32_t size, const int *fds, unsigned int nfds)
{
    struct vhu_msg reply;
    int rfds[VHU_MAX_FDS];
    unsigned int rn = 0;

    ASSERT_OK(vhu_send(r->peer, request, VHU_VERSION | VHU_FLAG_NEED_REPLY,
                       body, size, fds, nfds));
    ASSERT_OK(vhu_recv(r->peer, &reply, rfds, &rn));
    ASSERT_EQ(rn, 0);
    ASSERT_EQ(reply.hdr.request, request);
    ASSERT(reply.hdr.flags & VHU_FLAG_REPLY);
    ASSERT_EQ(reply.hdr.size, sizeof(uint64_t));
    return (int64_t)reply.p.u64;
}

static int64_t shmem(struct rig *r, uint32_t req, uint64_t foff, uint64_t moff,
                     uint64_t len, uint64_t flags, const int *fds,
                     unsigned int nfds)
{
    struct vhu_shmem_map m = {
        .fd_offset = foff,
        .shm_offset = moff,
        .len = len,
        .flags = flags,
    };

    return request(r, req, &m, sizeof(m), fds, nfds);
}

static int64_t fs1(struct rig *r, uint32_t req, uint64_t foff, uint64_t moff,
                   uint64_t len, uint64_t flags, const int *fds,
                   unsigned int nfds)
{
    struct vhu_fs_backend_msg m;

    memset(&m, 0, sizeof(m));
    m.fd_offset[0] = foff;
    m.cache_offset[0] = moff;
    m.len[0] = len;
    m.flags[0] = flags;
    return request(r, req, &m, sizeof(m), fds, nfds);
}

TEST(shmem_bad_maps_refused_handler_stays_up)
{
    const uint64_t W = VHU_SHMEM_MAP_F_WRITABLE;
    struct vhu_shmem_map m;
    struct rig r;
    int fds[2], pipefd[2], nfd;

    rig_up(&r, VHU_DIALECT_UPSTREAM);
    fds[0] = fds[1] = r.file;
    ASSERT_EQ(pipe(pipefd), 0);
    nfd = test_count_fds();
    /* outside the window, across its end, far beyond it */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, WINDOW, PAGE, 0, fds, 1), 0);
    ASSERT_LT(
        shmem(&r, VHU_BREQ_SHMEM_MAP, 0, WINDOW - PAGE, 2 * PAGE, 0, fds, 1),
        0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 1ull << 62, PAGE, W, fds, 1), 0);
    /* wrong fd count */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 0, PAGE, 0, fds, 0), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 0, PAGE, 0, fds, 2), 0);
    /* offsets that wrap */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, UINT64_MAX - PAGE + 1, 0, 2 * PAGE,
                    0, fds, 1),
              0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, UINT64_MAX - PAGE + 1, 2 * PAGE,
                    0, fds, 1),
              0);
    /* past the end of the file; misaligned; empty; odd flags or region */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, FILE_LEN, 0, PAGE, 0, fds, 1), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 100, PAGE, 0, fds, 1), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 100, 0, PAGE, 0, fds, 1), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 0, 0, 0, fds, 1), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 0, PAGE, 0x2, fds, 1), 0);
    memset(&m, 0, sizeof(m));
    m.shmid = 1;
    m.len = PAGE;
    ASSERT_LT(request(&r, VHU_BREQ_SHMEM_MAP, &m, sizeof(m), fds, 1), 0);
    /* not a file */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_MAP, 0, 0, PAGE, 0, pipefd, 1), 0);
    /* unmap outside the window, or wrapping */
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_UNMAP, 0, WINDOW, PAGE, 0, NULL, 0), 0);
    ASSERT_LT(shmem(&r, VHU_BREQ_SHMEM_UNMAP, 0, UINT64_MAX - PAGE + 1,
                    2 * PAGE, 0, NULL, 0),
              0);
    /* a body of the wrong size */
    ASSERT_LT(request(&r, VHU_BREQ_SHMEM_MAP, &m, 8, fds, 1), 0);
    ASSERT_EQ(atomic_load(&r.w.maps), 0);
    ASSERT_EQ(test_count_fds(), nfd); /* every fd sent was closed */

    /* Still serving: a good map shows the file, the unmap removes it. */
    ASSERT_EQ(
        shmem(&r, VHU_BREQ_SHMEM_MAP, PAGE, 8 * PAGE, 2 * PAGE, 0, fds, 1), 0);
    ASSERT_EQ(r.w.base[9 * PAGE], 'x');
    ASSERT_EQ(
        shmem(&r, VHU_BREQ_SHMEM_UNMAP, 0, 8 * PAGE, 2 * PAGE, 0, NULL, 0), 0);
    ASSERT_EQ(atomic_load(&r.w.maps), 1);
    ASSERT_EQ(atomic_load(&r.w.unmaps), 1);
    close(pipefd[0]);
    close(pipefd[1]);
    rig_down(&r);
}

TEST(fs_cache_bad_maps_refused_handler_stays_up)
{
    const uint64_t R = 0x1, RW = 0x3;
    struct vhu_fs_backend_msg m;
    struct rig r;
    int fds[2], nfd;

    rig_up(&r, VHU_DIALECT_FS_CACHE);
    fds[0] = fds[1] = r.file;
    nfd = test_count_fds();
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, WINDOW, PAGE, R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, WINDOW - PAGE, 2 * PAGE, RW, fds, 1),
              0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, 0, PAGE, R, fds, 0), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, 0, PAGE, R, fds, 2), 0);
    ASSERT_LT(
        fs1(&r, VHU_BREQ_FS_MAP, UINT64_MAX - PAGE + 1, 0, 2 * PAGE, R, fds, 1),
        0);
    ASSERT_LT(
        fs1(&r, VHU_BREQ_FS_MAP, 0, UINT64_MAX - PAGE + 1, 2 * PAGE, R, fds, 1),
        0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, FILE_LEN, 0, PAGE, R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, 100, PAGE, R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, 0, PAGE, 0x4 | R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_MAP, 0, 0, 0, R, fds, 1), 0); /* none */
    /* One bad entry after a good one: nothing is mapped. */
    memset(&m, 0, sizeof(m));
    m.cache_offset[0] = 0;
    m.len[0] = PAGE;
    m.flags[0] = R;
    m.cache_offset[7] = WINDOW;
    m.len[7] = PAGE;
    m.flags[7] = R;
    ASSERT_LT(request(&r, VHU_BREQ_FS_MAP, &m, sizeof(m), fds, 1), 0);
    /* unmap and sync outside the window; FS_IO without RAM outside it */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_UNMAP, 0, WINDOW, PAGE, 0, NULL, 0), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_SYNC, 0, WINDOW - PAGE, 2 * PAGE, 0, NULL, 0),
              0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, R, fds, 1), 0);
    ASSERT_EQ(atomic_load(&r.w.maps), 0);
    ASSERT_EQ(test_count_fds(), nfd);

    /* Still serving: map writable, write, sync, unmap. */
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_MAP, 0, 4 * PAGE, 4 * PAGE, RW, fds, 1), 0);
    ASSERT_EQ(r.w.base[6 * PAGE], 'x');
    r.w.base[6 * PAGE + 1] = 'y';
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_SYNC, 0, 4 * PAGE, 4 * PAGE, 0, NULL, 0), 0);
    {
        char c = 0;

        ASSERT_EQ(pread(r.file, &c, 1, 2 * PAGE + 1), 1);
        ASSERT_EQ(c, 'y');
    }
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_UNMAP, 0, 4 * PAGE, 4 * PAGE, 0, NULL, 0), 0);
    ASSERT_EQ(atomic_load(&r.w.syncs), 1);
    ASSERT_EQ(atomic_load(&r.w.unmaps), 1);
    rig_down(&r);
}

/*
 * FS_IO: bytes moved between the fd and guest RAM or the window, never
 * elsewhere; every bad entry refused before any byte moves.
 */
TEST(fs_cache_io_moves_bytes_and_refuses_bad_entries)
{
    const uint64_t R = 0x1, W = 0x2, WGPA = VFC_DAX_WINDOW_GPA;
    static uint8_t ram[4 * PAGE];
    struct vhu_fs_backend_msg m;
    struct rig r;
    int fds[2], pipefd[2], nfd;
    char c = 0;

    rig_up(&r, VHU_DIALECT_FS_CACHE);
    r.w.ram = ram;
    r.w.ram_size = sizeof(ram);
    fds[0] = fds[1] = r.file;
    ASSERT_EQ(pipe(pipefd), 0);
    nfd = test_count_fds();

    /* file -> RAM, RAM -> file: the count is the bytes moved */
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_IO, 2 * PAGE, PAGE, 16, R, fds, 1), 16);
    ASSERT_EQ(ram[PAGE], 'x');
    ram[0] = 'z';
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_IO, 3 * PAGE, 0, 1, W, fds, 1), 1);
    ASSERT_EQ(pread(r.file, &c, 1, 3 * PAGE), 1);
    ASSERT_EQ(c, 'z');
    /* short at end of file */
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_IO, FILE_LEN - 10, 0, 100, R, fds, 1), 10);

    /* window not mapped there: the read fails, the handler goes on */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, WGPA, PAGE, R, fds, 1), 0);
    /* neither RAM nor window, across RAM's end, across the window's */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 1ull << 39, PAGE, R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 3 * PAGE, 2 * PAGE, R, fds, 1), 0);
    ASSERT_LT(
        fs1(&r, VHU_BREQ_FS_IO, 0, WGPA + WINDOW - PAGE, 2 * PAGE, R, fds, 1),
        0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, UINT64_MAX - 10, 100, R, fds, 1), 0);
    /* flags: none, both, unknown */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, 0, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, R | W, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, 0x4, fds, 1), 0);
    /* file offset wrapping or past what off_t holds */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, UINT64_MAX - 10, 0, 100, R, fds, 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, INT64_MAX, 0, 100, R, fds, 1), 0);
    /* no fd, two fds, a pipe instead of a file, no entry */
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, R, fds, 0), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, R, fds, 2), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, PAGE, R, &pipefd[0], 1), 0);
    ASSERT_LT(fs1(&r, VHU_BREQ_FS_IO, 0, 0, 0, R, fds, 1), 0);
    /* one bad entry after a good one: nothing moves */
    memset(ram, 0, sizeof(ram));
    memset(&m, 0, sizeof(m));
    m.fd_offset[0] = 2 * PAGE;
    m.len[0] = 1;
    m.flags[0] = R;
    m.cache_offset[5] = 1ull << 39;
    m.len[5] = PAGE;
    m.flags[5] = R;
    ASSERT_LT(request(&r, VHU_BREQ_FS_IO, &m, sizeof(m), fds, 1), 0);
    ASSERT_EQ(ram[0], 0);
    ASSERT_EQ(test_count_fds(), nfd);

    /* Still serving: map the file writable, read into the window. */
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_MAP, 0, 0, 4 * PAGE, R | W, fds, 1), 0);
    ASSERT_EQ(fs1(&r, VHU_BREQ_FS_IO, 2 * PAGE, WGPA + 8, 1, R, fds, 1), 1);
    ASSERT_EQ(r.w.base[8], 'x');
    ASSERT_EQ(atomic_load(&r.w.ios), 4);
    close(pipefd[0]);
    close(pipefd[1]);
    rig_down(&r);
}

TEST_MAIN(T(shmem_bad_maps_refused_handler_stays_up),
          T(fs_cache_bad_maps_refused_handler_stays_up),
          T(fs_cache_io_moves_bytes_and_refuses_bad_entries))
