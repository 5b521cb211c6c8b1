/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-conn.c - vhost-user connections over Unix stream sockets.
 *
 * Security model: the peer is not trusted.  Framing is all this file
 * checks: a header is read to its 12 bytes, then exactly hdr.size payload
 * bytes if that is at most VHU_MAX_PAYLOAD (never a byte of the next
 * message); fds count only when they come with the first chunk of the
 * header, and every fd that arrived is closed on every error path, whatever
 * control message carried it.  What the message means is vhu-msg.c's job.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhu-conn.h"
#include "vhu-error.h"

/* Room for VHU_MAX_FDS fds, aligned as a cmsghdr wants. */
union fd_cmsg {
    char buf[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
    struct cmsghdr align;
};

void vhu_close_fds(int *fds, unsigned int n)
{
    unsigned int i;

    if (!fds) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static int fill_addr(const char *path, struct sockaddr_un *sun)
{
    size_t len;

    if (!path) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    len = strlen(path);
    if (len == 0) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (len >= sizeof(sun->sun_path)) {
        return VHU_ERR(VHU_E_INVALID_PARAM, ENAMETOOLONG);
    }
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

static int new_socket(int *fd)
{
    *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return *fd < 0 ? vhu_err_from_errno(errno) : 0;
}

/*
 * Whether someone listens on the socket file @sun: 1 yes, 0 no (a stale
 * file left by a process that is gone), or an error code.
 */
static int socket_is_live(const struct sockaddr_un *sun)
{
    int fd, rc;

    rc = new_socket(&fd);
    if (rc < 0) {
        return rc;
    }
    do {
        rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        rc = 1;
    } else if (errno == ECONNREFUSED) {
        rc = 0;
    } else if (errno == EAGAIN) {
        /* A listener whose backlog is full is alive. */
        rc = 1;
    } else {
        rc = vhu_err_from_errno(errno);
    }
    close(fd);
    return rc;
}

int vhu_listen(const char *path, int *lfd)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd, rc, live;

    if (!lfd) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *lfd = -1;
    rc = fill_addr(path, &sun);
    if (rc < 0) {
        return rc;
    }
    rc = new_socket(&fd);
    if (rc < 0) {
        return rc;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        if (errno != EADDRINUSE) {
            rc = vhu_err_from_errno(errno);
            goto fail;
        }
        /* Replace only a socket file, and only one nobody listens on. */
        if (lstat(path, &st) < 0) {
            rc = vhu_err_from_errno(errno);
            goto fail;
        }
        if (!S_ISSOCK(st.st_mode)) {
            rc = VHU_ERR(VHU_E_SOCKET_ERROR, EEXIST);
            goto fail;
        }
        live = socket_is_live(&sun);
        if (live != 0) {
            rc = live < 0 ? live : VHU_ERR(VHU_E_SOCKET_ERROR, EADDRINUSE);
            goto fail;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            rc = vhu_err_from_errno(errno);
            goto fail;
        }
        /* Someone binding in between wins; we report EADDRINUSE. */
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            rc = vhu_err_from_errno(errno);
            goto fail;
        }
    }
    if (listen(fd, 16) < 0) {
        rc = vhu_err_from_errno(errno);
        goto fail;
    }
    *lfd = fd;
    return 0;

fail:
    close(fd);
    return rc;
}

int vhu_accept(int lfd, int *fd)
{
    int c;

    if (!fd) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *fd = -1;
    do {
        c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    } while (c < 0 && errno == EINTR);
    if (c < 0) {
        return vhu_err_from_errno(errno);
    }
    *fd = c;
    return 0;
}

/*
 * A failed connect() is always SOCKET_CONNECT (nobody there, no access, a
 * path that is not a socket): the caller may try again later.
 */
int vhu_connect(const char *path, int *fd)
{
    struct sockaddr_un sun;
    int s, rc;

    if (!fd) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    *fd = -1;
    rc = fill_addr(path, &sun);
    if (rc < 0) {
        return rc;
    }
    rc = new_socket(&s);
    if (rc < 0) {
        return rc;
    }
    rc = connect(s, (struct sockaddr *)&sun, sizeof(sun));
    /*
     * An interrupted connect() goes on in the background; wait for it
     * by connecting again until the kernel says it is done.
     */
    while (rc < 0 && (errno == EINTR || errno == EALREADY)) {
        rc = connect(s, (struct sockaddr *)&sun, sizeof(sun));
        if (rc < 0 && errno == EISCONN) {
            rc = 0;
        }
    }
    if (rc < 0) {
        rc = VHU_ERR(VHU_E_SOCKET_CONNECT, errno);
        close(s);
        return rc;
    }
    *fd = s;
    return 0;
}

int vhu_send_hdr(int fd, const struct vhu_msg_hdr *hdr, const void *payload,
                 uint32_t size, const int *fds, unsigned int nfds)
{
    struct iovec iov[2] = {
        {.iov_base = (void *)hdr, .iov_len = sizeof(*hdr)},
        {.iov_base = (void *)payload, .iov_len = size},
    };
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
    union fd_cmsg cbuf;
    size_t total = sizeof(*hdr) + size, sent = 0;

    if (!hdr || nfds > VHU_MAX_FDS || (nfds && !fds)) {
        return vhu_err(nfds > VHU_MAX_FDS ? VHU_E_INCORRECT_FDS
                                          : VHU_E_INVALID_PARAM);
    }
    if (size > VHU_MAX_PAYLOAD) {
        return vhu_err(VHU_E_OVERSIZED_MSG);
    }
    if (size && !payload) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (nfds) {
        struct cmsghdr *cm;

        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    }

    while (sent < total) {
        ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : ECONNRESET;

            /* Half a message on the wire: the stream is out of step. */
            return sent ? VHU_ERR(VHU_E_PARTIAL_MESSAGE, err)
                        : vhu_err_from_errno(err);
        }
        sent += (size_t)n;
        /* The fds went with the first byte. */
        mh.msg_control = NULL;
        mh.msg_controllen = 0;
        while (n > 0 && mh.msg_iovlen) {
            size_t step = (size_t)n < mh.msg_iov->iov_len ? (size_t)n
                                                          : mh.msg_iov->iov_len;

            mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + step;
            mh.msg_iov->iov_len -= step;
            n -= (ssize_t)step;
            if (!mh.msg_iov->iov_len) {
                mh.msg_iov++;
                mh.msg_iovlen--;
            }
        }
    }
    return 0;
}

int vhu_send(int fd, uint32_t request, uint32_t flags, const void *payload,
             uint32_t size, const int *fds, unsigned int nfds)
{
    const struct vhu_msg_hdr hdr = {
        .request = request,
        .flags = (flags & ~VHU_FLAG_VERSION_MASK) | VHU_VERSION,
        .size = size,
    };
    unsigned int i;

    if (nfds > VHU_MAX_FDS || (nfds && !fds)) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    for (i = 0; i < nfds; i++) {
        if (fds[i] < 0) {
            return vhu_err(VHU_E_INCORRECT_FDS);
        }
    }
    return vhu_send_hdr(fd, &hdr, payload, size, fds, nfds);
}

/* Reading state of one vhu_recv() call. */
struct rx {
    int sock;
    int *fds;
    unsigned int nfds;
    size_t got;   /* bytes of this message read so far */
    bool bad_fds; /* fds that do not fit or came too late */
};

/*
 * Take the fds out of every control message of @mh.  Only SCM_RIGHTS
 * counts, and only with the first chunk; anything else that carries fds is
 * closed.
 */
static void take_fds(struct rx *rx, struct msghdr *mh, bool first)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        const unsigned char *data = CMSG_DATA(cm);
        size_t n, i;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_len < CMSG_LEN(0)) {
            continue;
        }
        n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        if (cm->cmsg_type == SCM_RIGHTS) {
            for (i = 0; i < n; i++) {
                int f;

                memcpy(&f, data + i * sizeof(int), sizeof(int));
                if (first && rx->nfds < VHU_MAX_FDS) {
                    rx->fds[rx->nfds++] = f;
                } else {
                    close(f);
                    rx->bad_fds = true;
                }
            }
#ifdef SCM_PIDFD
        } else if (cm->cmsg_type == SCM_PIDFD && n >= 1) {
            int f;

            memcpy(&f, data, sizeof(int));
            close(f);
#endif
        }
    }
    if (mh->msg_flags & MSG_CTRUNC) {
        /* The kernel dropped fds that did not fit. */
        rx->bad_fds = true;
    }
}

/* Read exactly @len bytes into @buf, collecting fds as they come. */
static int read_full(struct rx *rx, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        struct iovec iov = {.iov_base = (char *)buf + done,
                            .iov_len = len - done};
        union fd_cmsg cbuf;
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf.buf,
            .msg_controllen = sizeof(cbuf.buf),
        };
        ssize_t n = recvmsg(rx->sock, &mh, MSG_CMSG_CLOEXEC);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return rx->got ? VHU_ERR(VHU_E_PARTIAL_MESSAGE, errno)
                           : vhu_err_from_errno(errno);
        }
        take_fds(rx, &mh, rx->got == 0);
        if (n == 0) {
            return rx->got ? vhu_err(VHU_E_PARTIAL_MESSAGE)
                           : vhu_err(VHU_E_SOCKET_BROKEN);
        }
        done += (size_t)n;
        rx->got += (size_t)n;
    }
    return 0;
}

int vhu_recv(int fd, struct vhu_msg *msg, int *fds, unsigned int *nfds)
{
    struct rx rx = {.sock = fd, .fds = fds};
    int rc;

    if (nfds) {
        *nfds = 0;
    }
    if (!msg || !fds || !nfds) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = read_full(&rx, &msg->hdr, sizeof(msg->hdr));
    if (rc < 0) {
        goto fail;
    }
    if (msg->hdr.size > VHU_MAX_PAYLOAD) {
        /* Not reading it: the caller must drop the connection. */
        rc = vhu_err(VHU_E_OVERSIZED_MSG);
        goto fail;
    }
    rc = read_full(&rx, msg->p.raw, msg->hdr.size);
    if (rc < 0) {
        goto fail;
    }
    /* Whole message read, so the stream is still in step. */
    if (rx.bad_fds) {
        rc = vhu_err(VHU_E_INCORRECT_FDS);
        goto fail;
    }
    /* Handlers may read a fixed-size body: no stale bytes past the end. */
    memset(msg->p.raw + msg->hdr.size, 0, sizeof(msg->p.raw) - msg->hdr.size);
    *nfds = rx.nfds;
    return 0;

fail:
    vhu_close_fds(fds, rx.nfds);
    return rc;
}
