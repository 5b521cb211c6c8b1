/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-fuse-mount.c - the /dev/fuse transport end to end: the passthrough
 * filesystem mounted through the kernel's FUSE client (what vhostfsd
 * --mount=DIR does), used with ordinary system calls, then unmounted by
 * the stop fd or by SIGTERM.  Skipped where /dev/fuse or mounting is not
 * available (not root, no fuse module, a container without the device).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuse-dev.h"
#include "pt.h"
#include "test.h"

#define FUSE_SUPER_MAGIC 0x65735546

static char src[4096], mnt[4096];

/*
 * The server runs in a child process: a case that fails while one of its
 * requests is in flight then still gets its answer and can exit (a server
 * thread in the same process would die with it, and the exit would wait
 * for that answer forever).  The child ends with the case (PDEATHSIG).
 */
struct server {
    pid_t pid;
    int stop_fd;  /* eventfd: written to end the loop */
    int ready_fd; /* eventfd: 1 once mounted, 2 if mounting failed */
};

static void need_fuse(void)
{
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        TEST_SKIP("/dev/fuse cannot be opened");
    }
    close(fd);
    if (geteuid() != 0) {
        TEST_SKIP("mounting needs root here");
    }
}

/*
 * A case that fails ends with _exit() and may leave the mount behind: a
 * guard process, forked before anything is mounted (so it holds no
 * /dev/fuse fd), detaches the mount once every process of the case has
 * gone (the pipe's write end is closed).
 */
static void guard_mount(void)
{
    int p[2];
    pid_t pid;
    char c;

    ASSERT_OK(pipe2(p, O_CLOEXEC));
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[1]);
        while (read(p[0], &c, 1) > 0) {
        }
        umount2(mnt, MNT_DETACH);
        _exit(0);
    }
    close(p[0]); /* p[1] stays open until the case ends */
}

static void dirs(void)
{
    snprintf(src, sizeof(src), "%s/src", test_tmpdir());
    snprintf(mnt, sizeof(mnt), "%s/mnt", test_tmpdir());
    ASSERT_OK(mkdir(src, 0755));
    ASSERT_OK(mkdir(mnt, 0755));
    guard_mount();
}

static void write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    ASSERT_OK(close(fd));
}

static void expect_file(const char *path, const char *data)
{
    char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    ASSERT_GE(fd, 0);
    n = read(fd, buf, sizeof(buf));
    ASSERT_EQ(n, (ssize_t)strlen(data));
    ASSERT(!memcmp(buf, data, (size_t)n));
    ASSERT_OK(close(fd));
}

static bool mounted(void)
{
    struct statfs st;

    return statfs(mnt, &st) == 0 && st.f_type == FUSE_SUPER_MAGIC;
}

static void on_ready(void *arg)
{
    uint64_t one = 1;

    if (write(*(int *)arg, &one, sizeof(one)) != sizeof(one)) {
        abort();
    }
}

static void serve_child(struct server *s, bool use_stop_fd)
{
    struct fuse_dev_opts o = {.stop_fd = use_stop_fd ? s->stop_fd : -1,
                              .ready = on_ready,
                              .ready_arg = &s->ready_fd};
    struct pt_options po;
    struct pt_fs *fs;
    uint64_t two = 2;
    int rc;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    pt_options_default(&po);
    rc = pt_create(src, &po, &fs);
    if (rc == 0) {
        rc = fuse_dev_serve(mnt, &pt_fs_ops, fs, &o);
        pt_destroy(fs);
    }
    if (rc < 0) {
        /* Not mounted: tell the case (it skips). */
        if (write(s->ready_fd, &two, sizeof(two)) != sizeof(two)) {
            _exit(3);
        }
        _exit(2);
    }
    _exit(0);
}

static void start_opts(struct server *s, bool use_stop_fd)
{
    uint64_t v;

    s->stop_fd = test_eventfd();
    s->ready_fd = test_eventfd();
    s->pid = fork();
    ASSERT_GE(s->pid, 0);
    if (s->pid == 0) {
        serve_child(s, use_stop_fd);
    }
    ASSERT_EQ(read(s->ready_fd, &v, sizeof(v)), sizeof(v));
    if (v != 1) {
        waitpid(s->pid, NULL, 0);
        TEST_SKIP("mounting with libfuse3 failed here");
    }
    ASSERT(mounted());
}

static void start(struct server *s)
{
    start_opts(s, true);
}

/* End the server through its stop fd; it unmounts and exits 0. */
static void stop(struct server *s)
{
    uint64_t one = 1;
    int status;

    ASSERT_EQ(write(s->stop_fd, &one, sizeof(one)), sizeof(one));
    ASSERT_EQ(waitpid(s->pid, &status, 0), s->pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT(!mounted());
}

TEST(mount_ls_cat_write_unmount)
{
    struct server s = {0};
    char path[8192];
    struct dirent *e;
    struct stat st;
    bool seen = false;
    DIR *d;

    need_fuse();
    dirs();
    snprintf(path, sizeof(path), "%s/hello.txt", src);
    write_file(path, "hello from the host\n");
    start(&s);

    /* ls */
    d = opendir(mnt);
    ASSERT(d != NULL);
    while ((e = readdir(d))) {
        seen |= !strcmp(e->d_name, "hello.txt");
    }
    closedir(d);
    ASSERT(seen);

    /* cat */
    snprintf(path, sizeof(path), "%s/hello.txt", mnt);
    expect_file(path, "hello from the host\n");
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_size, 20);

    /* write through the mount, read on the host */
    snprintf(path, sizeof(path), "%s/new.txt", mnt);
    write_file(path, "written through FUSE");
    snprintf(path, sizeof(path), "%s/new.txt", src);
    expect_file(path, "written through FUSE");

    /* mkdir, rename, unlink, symlink */
    snprintf(path, sizeof(path), "%s/sub", mnt);
    ASSERT_OK(mkdir(path, 0750));
    {
        char from[8192], to[8192];

        snprintf(from, sizeof(from), "%s/new.txt", mnt);
        snprintf(to, sizeof(to), "%s/sub/moved.txt", mnt);
        ASSERT_OK(rename(from, to));
        snprintf(from, sizeof(from), "%s/sub/moved.txt", src);
        expect_file(from, "written through FUSE");
        ASSERT_OK(unlink(to));
        ASSERT(stat(from, &st) < 0 && errno == ENOENT);
        snprintf(to, sizeof(to), "%s/sl", mnt);
        ASSERT_OK(symlink("hello.txt", to));
        expect_file(to, "hello from the host\n");
    }
    stop(&s);
    /* The files stay on the host. */
    snprintf(path, sizeof(path), "%s/sl", src);
    ASSERT_OK(lstat(path, &st));
    ASSERT(S_ISLNK(st.st_mode));
}

struct locker {
    const char *path;
    int rc;
};

static void *lock_wait(void *arg)
{
    struct locker *l = arg;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int fd = open(l->path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        l->rc = -errno;
        return NULL;
    }
    /* Open file description locks: each open file is its own owner. */
    l->rc = fcntl(fd, F_OFD_SETLKW, &fl) < 0 ? -errno : 0;
    close(fd);
    return NULL;
}

/*
 * A SETLKW that has to wait does not stop the transport: other requests
 * are served while it waits, and it is answered once the holder lets go.
 */
TEST(setlkw_waits_without_stalling)
{
    struct server s = {0};
    struct locker l;
    char path[8192];
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    struct stat st;
    pthread_t th;
    int holder, fd;
    char c;

    need_fuse();
    dirs();
    snprintf(path, sizeof(path), "%s/locked", src);
    write_file(path, "x");
    start(&s);
    snprintf(path, sizeof(path), "%s/locked", mnt);

    holder = open(path, O_RDWR | O_CLOEXEC);
    ASSERT_GE(holder, 0);
    ASSERT_OK(fcntl(holder, F_OFD_SETLK, &fl));
    /* A second description cannot have it now. */
    fd = open(path, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT(fcntl(fd, F_OFD_SETLK, &fl) < 0 && errno == EAGAIN);
    close(fd);

    l.path = path;
    l.rc = 1;
    ASSERT_EQ(pthread_create(&th, NULL, lock_wait, &l), 0);
    usleep(200 * 1000); /* let it reach the server; no assertion on time */
    /* The single-threaded transport still answers. */
    ASSERT_OK(stat(path, &st));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(read(fd, &c, 1), 1);
    close(fd);
    ASSERT_EQ(l.rc, 1); /* still waiting */

    fl.l_type = F_UNLCK;
    ASSERT_OK(fcntl(holder, F_OFD_SETLK, &fl));
    ASSERT_EQ(pthread_join(th, NULL), 0);
    ASSERT_EQ(l.rc, 0);
    close(holder);
    stop(&s);
}

static void on_usr1(int sig)
{
    (void)sig;
}

/*
 * A signal to a process waiting in F_SETLKW: the kernel sends INTERRUPT,
 * the server wakes its waiting thread, and fcntl() fails with EINTR.
 */
TEST(signal_interrupts_a_waiting_lock)
{
    struct server s = {0};
    struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    struct locker l;
    char path[8192];
    pthread_t th;
    int holder;

    need_fuse();
    dirs();
    ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
    snprintf(path, sizeof(path), "%s/locked", src);
    write_file(path, "x");
    start(&s);
    snprintf(path, sizeof(path), "%s/locked", mnt);
    holder = open(path, O_RDWR | O_CLOEXEC);
    ASSERT_GE(holder, 0);
    ASSERT_OK(fcntl(holder, F_OFD_SETLK, &fl));

    l.path = path;
    l.rc = 1;
    ASSERT_EQ(pthread_create(&th, NULL, lock_wait, &l), 0);
    /* A signal that lands before the wait is lost: send until it ends. */
    for (int i = 0; i < 100 && __atomic_load_n(&l.rc, __ATOMIC_SEQ_CST) == 1;
         i++) {
        usleep(50 * 1000);
        pthread_kill(th, SIGUSR1);
    }
    ASSERT_EQ(pthread_join(th, NULL), 0);
    ASSERT_EQ(l.rc, -EINTR);

    fl.l_type = F_UNLCK;
    ASSERT_OK(fcntl(holder, F_OFD_SETLK, &fl));
    close(holder);
    stop(&s);
}

TEST(sigterm_unmounts)
{
    struct server s = {0};
    int status;

    need_fuse();
    dirs();
    start_opts(&s, false);
    ASSERT_OK(kill(s.pid, SIGTERM));
    ASSERT_EQ(waitpid(s.pid, &status, 0), s.pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT(!mounted());
}

TEST_MAIN(T(mount_ls_cat_write_unmount), T(setlkw_waits_without_stalling),
          T(signal_interrupts_a_waiting_lock), T(sigterm_unmounts))
