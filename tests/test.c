/* SPDX-License-Identifier: BSD-3-Clause */
/* test.c - the TAP harness of test.h. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "vhu-error.h"

#define SKIP_STATUS    77
#define CASE_TIMEOUT_S 120

static char tmpdir_[PATH_MAX];

static void remove_tree(const char *path);

static void cleanup_tmpdir(void)
{
    if (tmpdir_[0]) {
        remove_tree(tmpdir_);
        tmpdir_[0] = '\0';
    }
}

_Noreturn void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    cleanup_tmpdir();
    _exit(1);
}

_Noreturn void test_skip(const char *why)
{
    fprintf(stderr, "# skip: %s\n", why);
    fflush(stderr);
    cleanup_tmpdir();
    _exit(SKIP_STATUS);
}

const char *test_strerror(int rc)
{
    static char buf[256];

    return vhu_strerror(rc, buf, sizeof(buf));
}

int test_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d) {
        test_fail(__FILE__, __LINE__, "opendir /proc/self/fd: %s",
                  strerror(errno));
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

const char *test_tmpdir(void)
{
    if (!tmpdir_[0]) {
        const char *base = getenv("TMPDIR");

        snprintf(tmpdir_, sizeof(tmpdir_), "%s/vhostfs-test.XXXXXX",
                 base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir_)) {
            test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        }
    }
    return tmpdir_;
}

const char *test_sock_path(const char *name)
{
    static char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    return path;
}

int test_eventfd(void)
{
    int fd = eventfd(0, EFD_CLOEXEC);

    if (fd < 0) {
        test_fail(__FILE__, __LINE__, "eventfd: %s", strerror(errno));
    }
    return fd;
}

int test_memfd(const char *name, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        test_fail(__FILE__, __LINE__, "memfd: %s", strerror(errno));
    }
    return fd;
}

static void remove_tree(const char *path)
{
    char cmd[PATH_MAX + 16];

    /* Only our own mkdtemp() directory, never anything else. */
    if (strstr(path, "/vhostfs-test.")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
        if (system(cmd) != 0) {
            fprintf(stderr, "# could not remove %s\n", path);
        }
    }
}

static int run_case(const struct test_case *tc)
{
    pid_t pid;
    int status;

    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        alarm(CASE_TIMEOUT_S);
        tc->fn();
        cleanup_tmpdir();
        fflush(stdout);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    fprintf(stderr, "# %s: killed by signal %d%s\n", tc->name, WTERMSIG(status),
            WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return -1;
}

int test_run(int argc, char **argv, const struct test_case *cases,
             unsigned int n)
{
    const char *filter = argc > 1 ? argv[1] : getenv("TEST_FILTER");
    unsigned int i, failed = 0, planned = 0;

    for (i = 0; i < n; i++) {
        if (!filter || !fnmatch(filter, cases[i].name, 0)) {
            planned++;
        }
    }
    printf("1..%u\n", planned);
    planned = 0;
    for (i = 0; i < n; i++) {
        int rc;

        if (filter && fnmatch(filter, cases[i].name, 0)) {
            continue;
        }
        rc = run_case(&cases[i]);
        planned++;
        if (rc == 0) {
            printf("ok %u - %s\n", planned, cases[i].name);
        } else if (rc == SKIP_STATUS) {
            printf("ok %u - %s # SKIP\n", planned, cases[i].name);
        } else {
            printf("not ok %u - %s\n", planned, cases[i].name);
            failed++;
        }
    }
    fflush(stdout);
    return failed ? 1 : 0;
}
