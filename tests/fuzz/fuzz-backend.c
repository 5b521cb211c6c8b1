/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-backend.c - the backend's request loop against arbitrary bytes.
 *
 * The input is written as it is to one end of a socket pair (no fds) and
 * the write side shut; the backend, serving the dummy device on the other
 * end, handles messages until the stream breaks or ends.  Replies are read
 * and dropped after each message, so the loop never blocks on a full
 * socket.  Whatever the bytes, the process must not crash, leak or read
 * out of bounds (ASan, UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../dummy-backend.h"
#include "vhu-backend.h"
#include "vhu-conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* More than a unix socket buffers without a reader would block the write. */
#define MAX_INPUT (64u * 1024u)

/* Read and drop whatever replies are waiting, closing their fds. */
static void drain(int fd)
{
    char buf[4096];
    union {
        char b[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } cbuf;

    for (;;) {
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf.b,
            .msg_controllen = sizeof(cbuf.b),
        };
        struct cmsghdr *cm;
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        if (n <= 0) {
            return;
        }
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                size_t i, k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = (int *)(void *)CMSG_DATA(cm);

                for (i = 0; i < k; i++) {
                    close(fds[i]);
                }
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dummy_dev dev;
    struct vhu_backend *be;
    size_t off = 0;
    int sv[2];

    if (size > MAX_INPUT ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return 0;
    }
    while (off < size) {
        ssize_t n = write(sv[0], data + off, size - off);

        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    shutdown(sv[0], SHUT_WR);
    dummy_dev_init(&dev);
    if (vhu_backend_new(&be, sv[1], DUMMY_QUEUES, &dummy_backend_ops, &dev) ==
        0) {
        while (!vhu_backend_is_broken(be)) {
            vhu_backend_handle_one(be);
            drain(sv[0]);
        }
        vhu_backend_free(be);
    }
    dummy_dev_fini(&dev);
    close(sv[0]);
    return 0;
}
