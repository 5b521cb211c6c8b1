/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-options-sys.c - vhostfsd's command line beyond parsing: --help and
 * the man page name every option, --print-capabilities is the JSON libvirt
 * reads, the checks against the system (directories, sockets, inherited
 * fds), and the daemon's exit status and one-line errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json-reader.h"
#include "options-test.h"
#include "options.h"

static char err[512];

/* --- --help and --print-capabilities ------------------------------------- */

static char *capture(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ASSERT(f);
    fn(f);
    ASSERT_EQ(fclose(f), 0);
    ASSERT(buf);
    return buf;
}

/* @word occurs in @text with no name character right before or after. */
static bool has_word(const char *text, const char *word, const char *namechars)
{
    size_t n = strlen(word);

    for (const char *p = text; (p = strstr(p, word)); p++) {
        bool before = p > text && strchr(namechars, p[-1]);
        bool after = p[n] && strchr(namechars, p[n]);

        if (!before && !after) {
            return true;
        }
    }
    return false;
}

TEST(help_names_every_option)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const struct option *lo = vfsd_long_options();
    const char *const *keys = vfsd_compat_keys();
    char *help = capture(vfsd_options_help);
    char word[80];
    int n = 0;

    for (; lo->name; lo++, n++) {
        snprintf(word, sizeof(word), "--%s", lo->name);
        if (!has_word(help, word, name_chars)) {
            test_fail(__FILE__, __LINE__, "--help does not mention %s", word);
        }
    }
    ASSERT_GE(n, 45);
    for (n = 0; keys[n]; n++) {
        if (!has_word(help, keys[n], name_chars)) {
            test_fail(__FILE__, __LINE__, "--help does not mention -o %s",
                      keys[n]);
        }
    }
    ASSERT_GE(n, 30);
    for (const char *s = "ofdhV"; *s; s++) {
        snprintf(word, sizeof(word), "-%c", *s);
        ASSERT(has_word(help, word, name_chars));
    }
    /* Fits a terminal. */
    for (char *line = help, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        ASSERT(end);
        ASSERT_LE(end - line, 79);
    }
    free(help);
}

/* doc/vhostfsd.1 documents every option too (roff escapes removed). */
TEST(man_page_names_every_option)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *top = getenv("top_srcdir");
    const struct option *lo = vfsd_long_options();
    const char *const *keys = vfsd_compat_keys();
    char path[4096], word[80], *text, *q;
    FILE *f;
    long size;

    if (!top) {
        TEST_SKIP("top_srcdir is not set (run through make check)");
    }
    snprintf(path, sizeof(path), "%s/doc/vhostfsd.1", top);
    f = fopen(path, "r");
    ASSERT(f);
    ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    ASSERT_GT(size, 0);
    rewind(f);
    text = malloc((size_t)size + 1);
    ASSERT(text);
    ASSERT_EQ(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    text[size] = '\0';
    /* "\-" is a hyphen in roff. */
    q = text;
    for (const char *p = text; *p; p++) {
        if (p[0] == '\\' && p[1] == '-') {
            continue;
        }
        *q++ = *p;
    }
    *q = '\0';
    for (; lo->name; lo++) {
        snprintf(word, sizeof(word), "--%s", lo->name);
        if (!has_word(text, word, name_chars)) {
            test_fail(__FILE__, __LINE__, "vhostfsd.1 does not mention %s",
                      word);
        }
    }
    for (; *keys; keys++) {
        if (!has_word(text, *keys, name_chars)) {
            test_fail(__FILE__, __LINE__, "vhostfsd.1 does not mention -o %s",
                      *keys);
        }
    }
    free(text);
}

TEST(json_reader_self_check)
{
    struct json j;

    ASSERT(json_parse(&j, "{\"type\" : \"fs\", \"x\": [1, -2.5e3, true, "
                          "null, {\"a\": \"\\u00e9\\n\"}], \"features\": "
                          "[\"a\", \"b\"]}\n"));
    ASSERT_STREQ(j.type, "fs");
    ASSERT_EQ(j.nfeatures, 2);
    ASSERT_STREQ(j.features[1], "b");
    ASSERT(!json_parse(&j, "{\"type\":\"fs\",}"));
    ASSERT(!json_parse(&j, "{\"type\":\"fs\"} x"));
    ASSERT(!json_parse(&j, "{\"type\":01}"));
    ASSERT(!json_parse(&j, "{\"type\":\"fs}"));
    ASSERT(!json_parse(&j, "{type:\"fs\"}"));
    ASSERT(!json_parse(&j, "[\"fs\"]"));
}

TEST(capabilities_are_json_for_libvirt)
{
    char *caps = capture(vfsd_print_capabilities);
    struct json j;
    bool separate = false;

    ASSERT(json_parse(&j, caps));
    ASSERT_STREQ(j.type, "fs");
    for (int i = 0; i < j.nfeatures; i++) {
        separate = separate || !strcmp(j.features[i], "separate-options");
        /* Claimed only once the daemon can migrate its state. */
        ASSERT(strcmp(j.features[i], "migrate-precopy"));
    }
    ASSERT(separate);
    ASSERT_EQ(caps[strlen(caps) - 1], '\n');
    free(caps);
}

/* --- checks against the system -------------------------------------------- */

static int validate(struct vfsd_options *o, ...)
{
    char *argv[16];
    const char *a;
    int argc = 0, rc;
    va_list ap;

    argv[argc++] = (char *)"vhostfsd";
    va_start(ap, o);
    while ((a = va_arg(ap, const char *))) {
        ASSERT(argc < 15);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    rc = vfsd_options_parse(o, argc, argv, err, sizeof(err));
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "parse: %s", err);
    }
    return vfsd_options_validate(o, err, sizeof(err));
}
#define VALIDATE(o, ...) validate(o, __VA_ARGS__, (const char *)NULL)

static char *path_in(const char *dir, const char *name)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];

    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

TEST(validate_shared_dir_and_mount_point)
{
    const char *dir = test_tmpdir();
    char *file = path_in(dir, "file"), *missing = path_in(dir, "missing");
    char arg[600], mnt[600], want[1200];
    struct vfsd_options o;
    int fd;

    fd = open(file, O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", dir);
    snprintf(mnt, sizeof(mnt), "--mount=%s", dir);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), 0);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", missing);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOENT);
    snprintf(want, sizeof(want), "shared directory '%s' does not exist",
             missing);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "-osource=%s", file);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOTDIR);
    snprintf(want, sizeof(want), "shared directory '%s' is not a directory",
             file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", dir);
    snprintf(mnt, sizeof(mnt), "--mount=%s", file);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOTDIR);
    snprintf(want, sizeof(want), "mount point '%s' is not a directory", file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    /* Help and friends are not validated. */
    {
        char *argv[] = {(char *)"vhostfsd", (char *)"--print-capabilities",
                        NULL};

        ASSERT_EQ(vfsd_options_parse(&o, 2, argv, err, sizeof(err)), 0);
        ASSERT_EQ(vfsd_options_validate(&o, err, sizeof(err)), 0);
        vfsd_options_free(&o);
    }
    ASSERT_NO_LEAKS();
}

static int listen_on(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ASSERT_GE(fd, 0);
    ASSERT_LT(strlen(path), sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    return fd;
}

TEST(validate_socket_path)
{
    const char *dir = test_tmpdir();
    char *file = path_in(dir, "file"), *nodir = path_in(dir, "no/s.sock");
    char shared[600], arg[600], want[1200], longpath[200];
    const char *stale = test_sock_path("stale");
    struct vfsd_options o;
    int fd;

    snprintf(shared, sizeof(shared), "--shared-dir=%s", dir);
    snprintf(arg, sizeof(arg), "--socket-path=%s", path_in(dir, "new.sock"));
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--socket-path=%s", nodir);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENOENT);
    snprintf(want, sizeof(want), "directory of socket path '%s' does not exist",
             nodir);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    fd = open(file, O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    snprintf(arg, sizeof(arg), "--socket-path=%s", file);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -EEXIST);
    snprintf(want, sizeof(want), "socket path '%s' exists and is not a socket",
             file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    /* A socket file, live or stale, is for the listener to judge. */
    fd = listen_on(stale);
    close(fd);
    snprintf(arg, sizeof(arg), "--socket-path=%s", stale);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    vfsd_options_free(&o);

    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    snprintf(arg, sizeof(arg), "--socket-path=%s", longpath);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENAMETOOLONG);
    ASSERT_CONTAINS(err, "is too long (at most 107 bytes)");
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(validate_fd)
{
    const char *dir = test_tmpdir();
    char shared[600], arg[64];
    struct vfsd_options o;
    int sv[2], pipefd[2], lfd, dgram, inet;

    snprintf(shared, sizeof(shared), "--shared-dir=%s", dir);

    lfd = listen_on(test_sock_path("l"));
    snprintf(arg, sizeof(arg), "--fd=%d", lfd);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    ASSERT(o.fd_listening);
    vfsd_options_free(&o);

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(arg, sizeof(arg), "--fd=%d", sv[0]);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    ASSERT(!o.fd_listening);
    vfsd_options_free(&o);

    ASSERT_EQ(pipe(pipefd), 0);
    snprintf(arg, sizeof(arg), "--fd=%d", pipefd[0]);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENOTSOCK);
    snprintf(arg, sizeof(arg), "--fd=%d is not a socket", pipefd[0]);
    ASSERT_STREQ(err, arg);
    vfsd_options_free(&o);

    dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    ASSERT_GE(dgram, 0);
    snprintf(arg, sizeof(arg), "--fd=%d", dgram);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ESOCKTNOSUPPORT);
    ASSERT_CONTAINS(err, "is not a stream socket");
    vfsd_options_free(&o);

    inet = socket(AF_INET, SOCK_STREAM, 0);
    if (inet >= 0) {
        snprintf(arg, sizeof(arg), "--fd=%d", inet);
        ASSERT_EQ(VALIDATE(&o, shared, arg), -EAFNOSUPPORT);
        ASSERT_CONTAINS(err, "is not a Unix socket");
        vfsd_options_free(&o);
        close(inet);
    }

    /* An fd number nobody has open. */
    close(dgram);
    snprintf(arg, sizeof(arg), "--fd=%d", dgram);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -EBADF);
    snprintf(arg, sizeof(arg), "--fd=%d is not an open file descriptor", dgram);
    ASSERT_STREQ(err, arg);
    vfsd_options_free(&o);

    close(lfd);
    close(sv[0]);
    close(sv[1]);
    close(pipefd[0]);
    close(pipefd[1]);
    ASSERT_NO_LEAKS();
}

/* --- the daemon itself ------------------------------------------------------
 */

struct run {
    int status; /* exit status, or -1 when killed */
    char out[8192];
    char err[8192];
};

static void drain(int fd, char *buf, size_t size, size_t *len)
{
    ssize_t n = read(fd, buf + *len, size - 1 - *len);

    if (n > 0) {
        *len += (size_t)n;
    }
    buf[*len] = '\0';
}

/* Run the built vhostfsd with the NULL-terminated arguments. */
static void run_daemon(struct run *r, ...)
{
    const char *top = getenv("top_builddir");
    char path[4096], *argv[32];
    int out[2], errp[2], status, argc = 0;
    size_t olen = 0, elen = 0;
    const char *a;
    va_list ap;
    pid_t pid;

    if (!top) {
        TEST_SKIP("top_builddir is not set (run through make check)");
    }
    snprintf(path, sizeof(path), "%s/src/vhostfsd", top);
    if (access(path, X_OK) < 0) {
        TEST_SKIP("src/vhostfsd is not built");
    }
    argv[argc++] = path;
    va_start(ap, r);
    while ((a = va_arg(ap, const char *))) {
        ASSERT(argc < 31);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;

    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(errp, O_CLOEXEC), 0);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        execv(path, argv);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    for (;;) {
        struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
                              {.fd = errp[0], .events = POLLIN}};

        if (poll(p, 2, -1) < 0) {
            ASSERT_EQ(errno, EINTR);
            continue;
        }
        if (p[0].revents) {
            size_t before = olen;

            drain(out[0], r->out, sizeof(r->out), &olen);
            if (olen == before) {
                p[0].fd = -1;
            }
        }
        if (p[1].revents) {
            size_t before = elen;

            drain(errp[0], r->err, sizeof(r->err), &elen);
            if (elen == before) {
                break; /* stderr closed: the daemon is gone */
            }
        }
    }
    while (read(out[0], r->out + olen, 1) == 1 && olen < sizeof(r->out) - 2) {
        olen++;
    }
    r->out[olen] = '\0';
    close(out[0]);
    close(errp[0]);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#define RUN(r, ...) run_daemon(r, __VA_ARGS__, (const char *)NULL)

TEST(daemon_errors_are_one_line_and_exit_1)
{
    static struct run r;

    RUN(&r, "--foo");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: unknown option '--foo' (try --help)\n");
    ASSERT_STREQ(r.out, "");

    RUN(&r, "--shared-dir=/nonexistent/dir/here", "--fd=0");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: shared directory '/nonexistent/dir/here' "
                        "does not exist\n");

    RUN(&r, "--shared-dir=/", "--fd=1", "--socket-path=/x");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: --socket-path and --fd cannot be used "
                        "together\n");

    RUN(&r, "-o", "source=/,cache=sometimes", "--fd=0");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: invalid value 'sometimes' for -o cache "
                        "(expected auto, always, metadata, never or none)\n");
}

TEST(daemon_socket_in_use)
{
    static struct run r;
    const char *sock = test_sock_path("busy");
    char arg[600], want[800];
    int lfd = listen_on(sock);

    snprintf(arg, sizeof(arg), "--socket-path=%s", sock);
    /* A startup failure is reported even with logging off. */
    RUN(&r, "--shared-dir=/", arg, "--log-level=off");
    ASSERT_EQ(r.status, 1);
    snprintf(want, sizeof(want),
             "vhostfsd: socket path '%s' is in use by another process\n", sock);
    ASSERT_STREQ(r.err, want);
    close(lfd);
}

TEST(daemon_help_version_capabilities)
{
    static struct run r;
    struct json j;

    RUN(&r, "--help");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.err, "");
    ASSERT(!strncmp(r.out, "Usage: vhostfsd ", 16));

    RUN(&r, "-V");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.out, "vhostfsd " PACKAGE_VERSION "\n");

    RUN(&r, "--print-capabilities");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.err, "");
    ASSERT(json_parse(&j, r.out));
    ASSERT_STREQ(j.type, "fs");
}

TEST(daemon_rlimit_nofile_refused)
{
    static struct run r;
    unsigned long long nr_open = 0;
    char arg[64], sockarg[600];
    FILE *f = fopen("/proc/sys/fs/nr_open", "re");

    if (!f || fscanf(f, "%llu", &nr_open) != 1) {
        TEST_SKIP("no /proc/sys/fs/nr_open");
    }
    fclose(f);
    /* Above fs.nr_open no process may have it: a clear error, exit 1. */
    snprintf(arg, sizeof(arg), "--rlimit-nofile=%llu", nr_open + 1);
    snprintf(sockarg, sizeof(sockarg), "--socket-path=%s",
             test_sock_path("rl"));
    RUN(&r, "--shared-dir=/", sockarg, "--sandbox=none", arg);
    ASSERT_EQ(r.status, 1);
    ASSERT(strstr(r.err, "vhostfsd: cannot set RLIMIT_NOFILE to ") != NULL);
}

TEST_MAIN(T(help_names_every_option), T(man_page_names_every_option),
          T(json_reader_self_check), T(capabilities_are_json_for_libvirt),
          T(validate_shared_dir_and_mount_point), T(validate_socket_path),
          T(validate_fd), T(daemon_errors_are_one_line_and_exit_1),
          T(daemon_socket_in_use), T(daemon_help_version_capabilities),
          T(daemon_rlimit_nofile_refused))
