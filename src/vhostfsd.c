/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhostfsd.c - the virtio-fs daemon: wiring only.
 *
 *   parse -> validate -> logging -> listen -> serve
 *
 * Each step is a function of its own.  serve() logs what is served and
 * which accepted options are not implemented yet, then hands over to the
 * transports (serve.c): vhost-user over a socket or an inherited fd, or
 * /dev/fuse for --mount.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "serve.h"
#include "vhu-conn.h"
#include "vhu-error.h"

/* --- logging ----------------------------------------------------------- */

static enum vfsd_log_level log_level = VFSD_LOG_INFO;
static bool log_to_syslog;

static void vlog(enum vfsd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vlog(enum vfsd_log_level level, const char *fmt, ...)
{
    static const int prio[] = {
        [VFSD_LOG_ERROR] = LOG_ERR,   [VFSD_LOG_WARN] = LOG_WARNING,
        [VFSD_LOG_INFO] = LOG_INFO,   [VFSD_LOG_DEBUG] = LOG_DEBUG,
        [VFSD_LOG_TRACE] = LOG_DEBUG,
    };
    va_list ap;

    if (level == VFSD_LOG_OFF || level > log_level) {
        return;
    }
    va_start(ap, fmt);
    if (log_to_syslog) {
        vsyslog(prio[level], fmt, ap);
    } else {
        fputs("vhostfsd: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

/*
 * A startup failure: always on stderr, whatever the log level (the VMM or
 * libvirt shows it to the user), and in syslog too with --syslog.
 */
static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (log_to_syslog) {
        va_list ap2;

        va_copy(ap2, ap);
        vsyslog(LOG_ERR, fmt, ap2);
        va_end(ap2);
    }
    fputs("vhostfsd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The library's and the filesystem's log lines go the same way. */
static void lib_log_sink(void *opaque, enum vhostfs_log_level level,
                         const char *line)
{
    enum vfsd_log_level l = level <= VHOSTFS_LOG_ERR       ? VFSD_LOG_ERROR
                            : level <= VHOSTFS_LOG_WARNING ? VFSD_LOG_WARN
                            : level <= VHOSTFS_LOG_INFO    ? VFSD_LOG_INFO
                                                           : VFSD_LOG_DEBUG;

    (void)opaque;
    vlog(l, "%s", line);
}

static void log_setup(const struct vfsd_options *o)
{
    log_level = o->log_level;
    if (o->syslog) {
        openlog("vhostfsd", LOG_PID, LOG_DAEMON);
        log_to_syslog = true;
    }
    vhostfs_log_set_sink(lib_log_sink, NULL);
}

/* --- what would be served ------------------------------------------------ */

static const char *on_off(bool b)
{
    return b ? "on" : "off";
}

static void describe(const struct vfsd_options *o)
{
    if (o->socket_path) {
        vlog(VFSD_LOG_INFO, "sharing '%s' on socket '%s'", o->shared_dir,
             o->socket_path);
    } else if (o->fd != VFSD_NO_FD) {
        vlog(VFSD_LOG_INFO, "sharing '%s' on inherited %s socket fd %d",
             o->shared_dir, o->fd_listening ? "listening" : "connected", o->fd);
    } else {
        vlog(VFSD_LOG_INFO, "sharing '%s' through /dev/fuse on '%s'",
             o->shared_dir, o->mount_point);
    }
    vlog(VFSD_LOG_INFO,
         "%s, tag %s, %u request queue%s, thread pool %u, cache %s "
         "(timeout %gs)",
         o->readonly ? "read-only" : "read-write", o->tag ? o->tag : "none",
         o->num_request_queues, o->num_request_queues == 1 ? "" : "s",
         o->thread_pool_size, vfsd_cache_name(o->cache), o->timeout);
    vlog(VFSD_LOG_INFO,
         "xattr %s%s%s, posix_acl %s, security_label %s, killpriv_v2 %s, "
         "writeback %s, allow_direct_io %s, allow_mmap %s",
         on_off(o->xattr), o->xattrmap ? " with xattrmap " : "",
         o->xattrmap ? o->xattrmap : "", on_off(o->posix_acl),
         on_off(o->security_label), on_off(o->killpriv_v2),
         on_off(o->writeback), on_off(o->allow_direct_io),
         on_off(o->allow_mmap));
    vlog(VFSD_LOG_INFO,
         "readdirplus %s, announce_submounts %s, flock %s, posix_lock %s, "
         "preserve_noatime %s, inode file handles %s",
         on_off(o->readdirplus), on_off(o->announce_submounts),
         on_off(o->flock), on_off(o->posix_lock), on_off(o->preserve_noatime),
         vfsd_inode_fh_name(o->inode_file_handles));
    if (o->dax != VFSD_DAX_OFF) {
        vlog(VFSD_LOG_INFO, "dax %s, cache window %llu MiB",
             vfsd_dax_name(o->dax), (unsigned long long)(o->dax_window >> 20));
    } else {
        vlog(VFSD_LOG_INFO, "dax off");
    }
}

/*
 * Options the command line accepts whose machinery does not exist yet.
 * Remove a line when its feature lands.
 */
static void report_pending(const struct vfsd_options *o)
{
    const char *nyi = "not implemented yet";

    if (o->sandbox != VFSD_SANDBOX_NONE) {
        vlog(VFSD_LOG_WARN, "--sandbox=%s: sandboxing is %s",
             vfsd_sandbox_name(o->sandbox), nyi);
    }
    if (o->seccomp != VFSD_SECCOMP_NONE) {
        vlog(VFSD_LOG_WARN, "--seccomp=%s: the seccomp filter is %s",
             vfsd_seccomp_name(o->seccomp), nyi);
    }
    if (o->modcaps) {
        vlog(VFSD_LOG_WARN, "--modcaps: capability changes are %s", nyi);
    }
    if (o->n_uid_map || o->n_gid_map) {
        vlog(VFSD_LOG_WARN, "--uid-map/--gid-map: %s", nyi);
    }
    if (o->n_translate_uid || o->n_translate_gid) {
        vlog(VFSD_LOG_WARN, "--translate-uid/--translate-gid: %s", nyi);
    }
    if (o->migration_given) {
        vlog(VFSD_LOG_WARN, "--migration-*: migration is %s", nyi);
    }
    if (o->daemonize) {
        vlog(VFSD_LOG_WARN, "--daemonize: %s; staying in the foreground", nyi);
    }
}

/* --- transports ---------------------------------------------------------- */

/*
 * Bind the vhost-user socket.  The socket is usable by its owner only, or
 * also by --socket-group (as the Rust daemon does it).  Returns the
 * listening fd, or -1 after logging why.
 */
static int listen_socket(const struct vfsd_options *o)
{
    mode_t old = umask(o->socket_group ? 0007 : 0077);
    char buf[128];
    int rc, lfd = -1;

    rc = vhu_listen(o->socket_path, &lfd);
    umask(old);
    if (rc < 0) {
        if (vhu_err_errno(rc) == -EADDRINUSE) {
            fatal("socket path '%s' is in use by another process",
                  o->socket_path);
        } else {
            fatal("cannot listen on socket path '%s': %s", o->socket_path,
                  vhu_strerror(rc, buf, sizeof(buf)));
        }
        return -1;
    }
    if (o->socket_group &&
        chown(o->socket_path, (uid_t)-1, o->socket_gid) < 0) {
        fatal("cannot give socket '%s' to group '%s': %s", o->socket_path,
              o->socket_group, strerror(errno));
        close(lfd);
        unlink(o->socket_path);
        return -1;
    }
    return lfd;
}

/*
 * The passthrough filesystem keeps an fd per inode the guest knows (unless
 * file handles are used): raise RLIMIT_NOFILE as both peer daemons do, to
 * --rlimit-nofile or by default to min(1000000, fs.nr_open).  0 leaves the
 * limit alone.  Only a failure to honour an explicit value is fatal.
 */
static int raise_nofile(const struct vfsd_options *o)
{
    unsigned long long want = 1000000, nr_open;
    struct rlimit rl;
    FILE *f;

    if (o->rlimit_nofile_set) {
        want = o->rlimit_nofile;
    } else if ((f = fopen("/proc/sys/fs/nr_open", "re"))) {
        if (fscanf(f, "%llu", &nr_open) == 1 && nr_open < want) {
            want = nr_open;
        }
        fclose(f);
    }
    if (!want || getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        return 0;
    }
    rl.rlim_cur = want;
    if (rl.rlim_max < want) {
        rl.rlim_max = want; /* needs CAP_SYS_RESOURCE */
    }
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
        vlog(VFSD_LOG_DEBUG, "RLIMIT_NOFILE %llu", want);
        return 0;
    }
    if (o->rlimit_nofile_set) {
        fatal("cannot set RLIMIT_NOFILE to %llu: %s", want, strerror(errno));
        return -errno;
    }
    /* Unprivileged: take what the hard limit allows. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    vlog(VFSD_LOG_INFO, "RLIMIT_NOFILE stays at %llu (wanted %llu)",
         (unsigned long long)rl.rlim_cur, want);
    return 0;
}

/*
 * Serve until the VMM goes away.  @lfd is the bound socket of
 * --socket-path (or -1); serve() borrows it.  Returns 0 on a clean end.
 */
static int serve(const struct vfsd_options *o, int lfd)
{
    int rc;

    describe(o);
    report_pending(o);
    rc = raise_nofile(o);
    return rc < 0 ? rc : vfsd_serve(o, lfd);
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct vfsd_options o;
    char err[512];
    int rc, lfd = -1;

    rc = vfsd_options_parse(&o, argc, argv, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "vhostfsd: %s\n", err);
        goto out;
    }
    switch (o.action) {
    case VFSD_HELP:
        vfsd_options_help(stdout);
        goto out;
    case VFSD_VERSION:
        printf("vhostfsd %s\n", PACKAGE_VERSION);
        goto out;
    case VFSD_PRINT_CAPS:
        vfsd_print_capabilities(stdout);
        goto out;
    case VFSD_RUN:
        break;
    }
    rc = vfsd_options_validate(&o, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "vhostfsd: %s\n", err);
        goto out;
    }
    log_setup(&o);
    if (o.socket_path) {
        lfd = listen_socket(&o);
        if (lfd < 0) {
            rc = -EADDRNOTAVAIL;
            goto out;
        }
    }
    rc = serve(&o, lfd);
    if (lfd >= 0) {
        close(lfd);
        unlink(o.socket_path);
    }
out:
    vfsd_options_free(&o);
    if (fflush(stdout) != 0) {
        rc = -EIO;
    }
    return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
