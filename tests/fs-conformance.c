/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs-conformance.c - exercise every operation a passthrough filesystem
 * serves, through the kernel's FUSE client, with assertions.
 *
 *   fs-conformance run DIR      in the guest (virtio-fs) or on a host
 *                               /dev/fuse mount of the share; TAP output
 *   fs-conformance verify DIR   on the host, on the shared directory
 *                               itself: checks what "run" left behind
 *
 * Statically linked, so it runs in a busybox initramfs.  Each case works
 * in a directory of its own under DIR/conf; "run" leaves DIR/conf/keep
 * for "verify".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static char base[PATH_MAX]; /* DIR/conf */
static int failures;        /* in the current case */

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            printf("# %s:%d: %s (errno %d: %s)\n", __func__, __LINE__, #c,     \
                   errno, strerror(errno));                                    \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static const char *p(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A path under base; a small ring so several can be live at once. */
static const char *p(const char *fmt, ...)
{
    static char ring[8][PATH_MAX];
    static unsigned int n;
    char *buf = ring[n++ % 8];
    int len = snprintf(buf, PATH_MAX, "%s/", base);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf + len, PATH_MAX - (size_t)len, fmt, ap);
    va_end(ap);
    return buf;
}

static int write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = write(fd, data, len);
    return close(fd) == 0 && n == (ssize_t)len ? 0 : -1;
}

static ssize_t read_file(const char *path, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, len);
    close(fd);
    return n;
}

static void t_create_write_read(void)
{
    char buf[64] = "";
    struct stat st;

    CHECK(write_file(p("rw/a"), "hello", 5) == 0);
    CHECK(read_file(p("rw/a"), buf, sizeof(buf)) == 5);
    CHECK(!memcmp(buf, "hello", 5));
    CHECK(stat(p("rw/a"), &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode));
    CHECK(open(p("rw/a"), O_CREAT | O_EXCL | O_WRONLY, 0600) < 0 &&
          errno == EEXIST);
    CHECK(open(p("rw/missing"), O_RDONLY) < 0 && errno == ENOENT);
}

static void t_large_io(void)
{
    size_t len = 3 << 20; /* several max_write-sized requests */
    char *a = malloc(len), *b = malloc(len);
    size_t i;

    for (i = 0; i < len; i++) {
        a[i] = (char)(i * 7 + (i >> 12));
    }
    CHECK(write_file(p("big/f"), a, len) == 0);
    CHECK(read_file(p("big/f"), b, len) == (ssize_t)len);
    CHECK(!memcmp(a, b, len));
    free(a);
    free(b);
}

static void t_setattr(void)
{
    struct stat st;
    struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1200000000}};
    int fd;

    CHECK(write_file(p("attr/f"), "0123456789", 10) == 0);
    CHECK(chmod(p("attr/f"), 0640) == 0);
    CHECK(stat(p("attr/f"), &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK(truncate(p("attr/f"), 4) == 0);
    CHECK(stat(p("attr/f"), &st) == 0 && st.st_size == 4);
    CHECK(utimensat(AT_FDCWD, p("attr/f"), ts, 0) == 0);
    CHECK(stat(p("attr/f"), &st) == 0 && st.st_mtime == 1200000000 &&
          st.st_atime == 1000000000);
    /* Through an open file handle (FATTR_FH). */
    fd = open(p("attr/f"), O_RDWR);
    CHECK(fd >= 0 && ftruncate(fd, 100) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100);
    close(fd);
    if (geteuid() == 0) {
        CHECK(chown(p("attr/f"), 1234, 5678) == 0);
        CHECK(stat(p("attr/f"), &st) == 0 && st.st_uid == 1234 &&
              st.st_gid == 5678);
    }
}

static void t_names(void)
{
    char buf[PATH_MAX];
    struct stat st;
    ssize_t n;

    CHECK(mkdir(p("names/d"), 0755) == 0);
    CHECK(mkdir(p("names/d"), 0755) < 0 && errno == EEXIST);
    CHECK(symlink("target/of/link", p("names/l")) == 0);
    n = readlink(p("names/l"), buf, sizeof(buf));
    CHECK(n == 14 && !memcmp(buf, "target/of/link", 14));
    CHECK(lstat(p("names/l"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(mknod(p("names/fifo"), S_IFIFO | 0600, 0) == 0);
    CHECK(lstat(p("names/fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(write_file(p("names/f"), "x", 1) == 0);
    CHECK(link(p("names/f"), p("names/hard")) == 0);
    CHECK(stat(p("names/f"), &st) == 0 && st.st_nlink == 2);
    CHECK(unlink(p("names/hard")) == 0);
    CHECK(stat(p("names/f"), &st) == 0 && st.st_nlink == 1);
    CHECK(rmdir(p("names/f")) < 0 && errno == ENOTDIR);
    CHECK(rmdir(p("names/d")) == 0);
    CHECK(unlink(p("names/l")) == 0 && unlink(p("names/fifo")) == 0);
    CHECK(rmdir(p("names")) < 0 && errno == ENOTEMPTY);
}

static void t_rename(void)
{
    char buf[8] = "";

    CHECK(write_file(p("ren/a"), "A", 1) == 0);
    CHECK(write_file(p("ren/b"), "B", 1) == 0);
    CHECK(rename(p("ren/a"), p("ren/c")) == 0);
    CHECK(access(p("ren/a"), F_OK) < 0 && errno == ENOENT);
    CHECK(renameat2(AT_FDCWD, p("ren/c"), AT_FDCWD, p("ren/b"),
                    RENAME_NOREPLACE) < 0 &&
          errno == EEXIST);
    CHECK(renameat2(AT_FDCWD, p("ren/c"), AT_FDCWD, p("ren/b"),
                    RENAME_EXCHANGE) == 0);
    CHECK(read_file(p("ren/b"), buf, sizeof(buf)) == 1 && buf[0] == 'A');
    CHECK(read_file(p("ren/c"), buf, sizeof(buf)) == 1 && buf[0] == 'B');
    CHECK(rename(p("ren/c"), p("ren/b")) == 0);
    CHECK(read_file(p("ren/b"), buf, sizeof(buf)) == 1 && buf[0] == 'B');
}

static void t_readdir_10000(void)
{
    enum { N = 10000 };
    static unsigned char seen[N];
    struct dirent *e;
    int i, count = 0, fd;
    DIR *d;

    for (i = 0; i < N; i++) {
        fd = open(p("many/entry-%05d", i), O_CREAT | O_WRONLY, 0644);
        if (fd < 0) {
            CHECK(fd >= 0);
            return;
        }
        close(fd);
    }
    d = opendir(p("many"));
    CHECK(d != NULL);
    while (d && (e = readdir(d))) {
        if (!strncmp(e->d_name, "entry-", 6)) {
            i = atoi(e->d_name + 6);
            CHECK(i >= 0 && i < N && !seen[i]);
            if (i >= 0 && i < N) {
                seen[i] = 1;
            }
            count++;
        }
    }
    if (d) {
        closedir(d);
    }
    CHECK(count == N);
}

static void t_statfs_fsync(void)
{
    struct statfs sf;
    int fd;

    CHECK(statfs(base, &sf) == 0 && sf.f_bsize > 0 && sf.f_blocks > 0);
    fd = open(p("sync/f"), O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0 && write(fd, "data", 4) == 4);
    CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
    CHECK(syncfs(fd) == 0);
    close(fd);
    fd = open(p("sync"), O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && fsync(fd) == 0);
    close(fd);
}

static void t_xattr(void)
{
    char buf[256];
    ssize_t n;

    CHECK(write_file(p("xattr/f"), "", 0) == 0);
    if (setxattr(p("xattr/f"), "user.vhostfs", "v1", 2, 0) < 0) {
        /* The daemon runs without --xattr: say so, and check the error. */
        CHECK(errno == EOPNOTSUPP || errno == ENOTSUP);
        printf("# xattr not enabled on this share (errno %d)\n", errno);
        return;
    }
    n = getxattr(p("xattr/f"), "user.vhostfs", buf, sizeof(buf));
    CHECK(n == 2 && !memcmp(buf, "v1", 2));
    CHECK(setxattr(p("xattr/f"), "user.vhostfs", "v2", 2, XATTR_CREATE) < 0 &&
          errno == EEXIST);
    n = listxattr(p("xattr/f"), buf, sizeof(buf));
    CHECK(n > 0 && memmem(buf, (size_t)n, "user.vhostfs", 13) != NULL);
    CHECK(removexattr(p("xattr/f"), "user.vhostfs") == 0);
    CHECK(getxattr(p("xattr/f"), "user.vhostfs", buf, sizeof(buf)) < 0 &&
          errno == ENODATA);
}

static void t_locks(void)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
    int fd = open(p("lock/f"), O_CREAT | O_RDWR, 0644);
    int status;
    pid_t pid;

    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_SETLK, &fl) == 0);
    pid = fork();
    if (pid == 0) {
        int cfd = open(p("lock/f"), O_RDWR);
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5};

        /*
         * Another process sees our lock and cannot take it.  l_pid is not
         * checked: it is the server's view of the owner, which a guest
         * cannot map to its own pids.
         */
        if (cfd < 0 || fcntl(cfd, F_GETLK, &q) < 0 || q.l_type != F_WRLCK) {
            _exit(1);
        }
        q.l_type = F_WRLCK;
        if (fcntl(cfd, F_SETLK, &q) == 0 ||
            (errno != EAGAIN && errno != EACCES)) {
            _exit(2);
        }
        /* SETLKW: blocks until the parent unlocks, then succeeds. */
        if (fcntl(cfd, F_SETLKW, &q) < 0) {
            _exit(3);
        }
        _exit(flock(cfd, LOCK_EX | LOCK_NB) == 0 ? 0 : 4);
    }
    sleep(1);
    fl.l_type = F_UNLCK;
    CHECK(fcntl(fd, F_SETLK, &fl) == 0);
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    /* 1 GETLK, 2 SETLK not refused, 3 SETLKW, 4 flock: which step failed. */
    CHECK(WEXITSTATUS(status) == 0);
    if (WEXITSTATUS(status)) {
        printf("# lock child failed at step %d\n", WEXITSTATUS(status));
    }
    CHECK(flock(fd, LOCK_SH) == 0 && flock(fd, LOCK_UN) == 0);
    close(fd);
}

static void t_access(void)
{
    CHECK(write_file(p("acc/f"), "", 0) == 0);
    CHECK(chmod(p("acc/f"), 0400) == 0);
    CHECK(access(p("acc/f"), R_OK) == 0);
    if (geteuid() != 0) {
        CHECK(access(p("acc/f"), W_OK) < 0 && errno == EACCES);
    }
    CHECK(access(p("acc/none"), F_OK) < 0 && errno == ENOENT);
}

static void t_fallocate_lseek(void)
{
    int fd = open(p("falloc/f"), O_CREAT | O_RDWR, 0644);
    struct stat st;
    off_t data;

    CHECK(fd >= 0);
    CHECK(fallocate(fd, 0, 0, 1 << 20) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 1 << 20);
    CHECK(pwrite(fd, "x", 1, 8 << 20) == 1);
    data = lseek(fd, (2 << 20), SEEK_DATA);
    /* A hole between 1 MiB and 8 MiB: the next data is at or before 8 MiB. */
    CHECK(data > 0 && data <= (8 << 20));
    CHECK(lseek(fd, 0, SEEK_END) == (8 << 20) + 1);
    close(fd);
}

static void t_copy_file_range(void)
{
    int in = open(p("cfr/in"), O_CREAT | O_RDWR, 0644);
    int out = open(p("cfr/out"), O_CREAT | O_RDWR, 0644);
    loff_t off_in = 2, off_out = 0;
    char buf[16] = "";

    CHECK(in >= 0 && out >= 0 && write(in, "0123456789", 10) == 10);
    CHECK(copy_file_range(in, &off_in, out, &off_out, 5, 0) == 5);
    CHECK(pread(out, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "23456", 5));
    close(in);
    close(out);
}

static void t_tmpfile(void)
{
    int fd = open(p("tmp"), O_TMPFILE | O_RDWR, 0600);
    char buf[4];

    if (fd < 0 && errno == EOPNOTSUPP) {
        printf("# O_TMPFILE not supported here\n");
        return;
    }
    CHECK(fd >= 0 && write(fd, "tmp", 3) == 3);
    CHECK(pread(fd, buf, 3, 0) == 3 && !memcmp(buf, "tmp", 3));
    close(fd);
}

static void t_mmap(void)
{
    int fd = open(p("mmap/f"), O_CREAT | O_RDWR, 0644);
    char *m;

    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
    m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    if (m != MAP_FAILED) {
        memcpy(m + 4096, "mapped", 6);
        CHECK(msync(m, 8192, MS_SYNC) == 0);
        munmap(m, 8192);
    }
    close(fd);
}

static void t_beyond_4g(void)
{
    off_t off = (off_t)5 << 30;
    int fd = open(p("sparse/f"), O_CREAT | O_RDWR, 0644);
    char buf[8] = "";
    struct stat st;

    CHECK(fd >= 0 && pwrite(fd, "past4G", 6, off) == 6);
    CHECK(pread(fd, buf, 6, off) == 6 && !memcmp(buf, "past4G", 6));
    CHECK(fstat(fd, &st) == 0 && st.st_size == off + 6);
    close(fd);
}

static void t_two_writers(void)
{
    pid_t pids[2];
    int i, status, fd;
    char buf[2];

    for (i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            int k, wfd = open(p("writers/f"), O_CREAT | O_WRONLY, 0644);
            char c = (char)('a' + i);

            for (k = 0; wfd >= 0 && k < 4096; k++) {
                if (pwrite(wfd, &c, 1, (off_t)(k * 2 + i)) != 1) {
                    _exit(1);
                }
            }
            _exit(wfd >= 0 ? 0 : 1);
        }
    }
    for (i = 0; i < 2; i++) {
        CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0);
    }
    fd = open(p("writers/f"), O_RDONLY);
    for (i = 0; fd >= 0 && i < 8192; i += 2) {
        if (pread(fd, buf, 2, i) != 2 || buf[0] != 'a' || buf[1] != 'b') {
            CHECK(!"interleaved bytes");
            break;
        }
    }
    close(fd);
}

/* What "verify" checks on the host afterwards. */
static void t_leave_for_host(void)
{
    CHECK(write_file(p("keep/from-guest"), "written by the guest\n", 21) == 0);
    CHECK(mkdir(p("keep/dir"), 0750) == 0);
    CHECK(symlink("from-guest", p("keep/link")) == 0);
}

struct tcase {
    const char *name;
    const char *dir; /* made before the case */
    void (*fn)(void);
};

static const struct tcase cases[] = {
    {"create_write_read", "rw", t_create_write_read},
    {"large_io", "big", t_large_io},
    {"setattr", "attr", t_setattr},
    {"names", "names", t_names},
    {"rename", "ren", t_rename},
    {"readdir_10000", "many", t_readdir_10000},
    {"statfs_fsync", "sync", t_statfs_fsync},
    {"xattr", "xattr", t_xattr},
    {"locks", "lock", t_locks},
    {"access", "acc", t_access},
    {"fallocate_lseek", "falloc", t_fallocate_lseek},
    {"copy_file_range", "cfr", t_copy_file_range},
    {"tmpfile", "tmp", t_tmpfile},
    {"mmap", "mmap", t_mmap},
    {"beyond_4g", "sparse", t_beyond_4g},
    {"two_writers", "writers", t_two_writers},
    {"leave_for_host", "keep", t_leave_for_host},
};

static int run(const char *dir)
{
    unsigned int i, n = sizeof(cases) / sizeof(cases[0]), failed = 0;
    const char *only = getenv("FS_CONFORMANCE_ONLY");

    snprintf(base, sizeof(base), "%s/conf", dir);
    if (mkdir(base, 0755) < 0 && errno != EEXIST) {
        printf("1..0 # SKIP cannot create %s: %s\n", base, strerror(errno));
        return 1;
    }
    printf("1..%u\n", n);
    for (i = 0; i < n; i++) {
        if (only && strcmp(only, cases[i].name)) {
            printf("ok %u - %s # SKIP not selected\n", i + 1, cases[i].name);
            continue;
        }
        failures = 0;
        if (mkdir(p("%s", cases[i].dir), 0755) < 0 && errno != EEXIST) {
            failures++;
            printf("# mkdir %s: %s\n", cases[i].dir, strerror(errno));
        } else {
            cases[i].fn();
        }
        printf("%sok %u - %s\n", failures ? "not " : "", i + 1, cases[i].name);
        fflush(stdout);
        failed += failures ? 1 : 0;
    }
    return failed ? 1 : 0;
}

static int verify(const char *dir)
{
    char buf[64] = "";
    struct stat st;

    snprintf(base, sizeof(base), "%s/conf", dir);
    failures = 0;
    printf("1..1\n");
    CHECK(read_file(p("keep/from-guest"), buf, sizeof(buf)) == 21 &&
          !memcmp(buf, "written by the guest\n", 21));
    CHECK(stat(p("keep/dir"), &st) == 0 && S_ISDIR(st.st_mode) &&
          (st.st_mode & 07777) == 0750);
    CHECK(readlink(p("keep/link"), buf, sizeof(buf)) == 10 &&
          !memcmp(buf, "from-guest", 10));
    CHECK(stat(p("sparse/f"), &st) == 0 && st.st_size == ((off_t)5 << 30) + 6 &&
          st.st_blocks < 1024);
    CHECK(stat(p("many/entry-09999"), &st) == 0);
    printf("%sok 1 - host sees what the guest wrote\n", failures ? "not " : "");
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    if (argc == 3 && !strcmp(argv[1], "run")) {
        return run(argv[2]);
    }
    if (argc == 3 && !strcmp(argv[1], "verify")) {
        return verify(argv[2]);
    }
    fprintf(stderr, "usage: %s run|verify DIR\n", argv[0]);
    return 2;
}
