/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options-check.c - vhostfsd's options checked against the system: what
 * can be found out before anything is bound or mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "options-value.h"

static int check_dir(struct vfsd_err *e, const char *what, const char *path)
{
    struct stat st;
    int err;

    if (stat(path, &st) < 0) {
        err = errno;
        if (err == ENOENT) {
            vfsd_fail(e, "%s '%s' does not exist", what, path);
        } else {
            vfsd_fail(e, "cannot use %s '%s': %s", what, path, strerror(err));
        }
        return -err;
    }
    if (!S_ISDIR(st.st_mode)) {
        vfsd_fail(e, "%s '%s' is not a directory", what, path);
        return -ENOTDIR;
    }
    return 0;
}

/*
 * Everything about a socket path but whether someone listens on it: that
 * is for vhu_listen() to find out when it binds (connecting to ask would
 * disturb the daemon that owns the socket).
 */
static int check_socket_path(struct vfsd_err *e, const char *path)
{
    struct sockaddr_un sun;
    struct stat st;
    char *dir;
    int rc = 0;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        vfsd_fail(e, "socket path '%s' is too long (at most %zu bytes)", path,
                  sizeof(sun.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    dir = strdup(path);
    if (!dir) {
        vfsd_fail(e, "out of memory");
        return -ENOMEM;
    }
    if (stat(dirname(dir), &st) < 0 || !S_ISDIR(st.st_mode)) {
        vfsd_fail(e, "directory of socket path '%s' does not exist", path);
        rc = -ENOENT;
    } else if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        vfsd_fail(e, "socket path '%s' exists and is not a socket", path);
        rc = -EEXIST;
    }
    free(dir);
    return rc;
}

/* --fd: libvirt hands over a listening socket, a VMM may hand over an
 * accepted connection; both must be Unix stream sockets. */
static int check_fd(struct vfsd_err *e, struct vfsd_options *o, int fd)
{
    int domain = 0, type = 0, listening = 0;
    socklen_t len = sizeof(int);
    struct stat st;

    if (fcntl(fd, F_GETFD) < 0) {
        vfsd_fail(e, "--fd=%d is not an open file descriptor", fd);
        return -EBADF;
    }
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        vfsd_fail(e, "--fd=%d is not a socket", fd);
        return -ENOTSOCK;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
        domain != AF_UNIX) {
        vfsd_fail(e, "--fd=%d is not a Unix socket", fd);
        return -EAFNOSUPPORT;
    }
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        type != SOCK_STREAM) {
        vfsd_fail(e, "--fd=%d is not a stream socket", fd);
        return -ESOCKTNOSUPPORT;
    }
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) {
        int err = errno;

        vfsd_fail(e, "--fd=%d: %s", fd, strerror(err));
        return -err;
    }
    o->fd_listening = listening != 0;
    return 0;
}

int vfsd_options_validate(struct vfsd_options *o, char *err, size_t errlen)
{
    struct vfsd_err e = {.buf = err, .len = errlen};
    int rc;

    if (errlen) {
        err[0] = '\0';
    }
    if (o->action != VFSD_RUN) {
        return 0;
    }
    rc = check_dir(&e, "shared directory", o->shared_dir);
    if (rc == 0 && o->mount_point) {
        rc = check_dir(&e, "mount point", o->mount_point);
    }
    if (rc == 0 && o->socket_path) {
        rc = check_socket_path(&e, o->socket_path);
    }
    if (rc == 0 && o->fd != VFSD_NO_FD) {
        rc = check_fd(&e, o, o->fd);
    }
    return rc;
}
