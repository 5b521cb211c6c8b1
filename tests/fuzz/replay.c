/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay.c - run a fuzz target over its corpus without libFuzzer, so every
 * build replays the corpus as a regression test: one TAP line per file of
 * $top_srcdir/tests/fuzz/corpus/<target>/ (target = program name after
 * "replay-").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_one(const char *path)
{
    struct stat st;
    uint8_t *buf;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        return -1;
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)got);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    const char *top = getenv("top_srcdir");
    const char *name = strrchr(argv[0], '/');
    char dir[PATH_MAX];
    char **files = NULL;
    size_t n = 0, i, failed = 0;
    struct dirent *e;
    DIR *d;

    (void)argc;
    name = name ? name + 1 : argv[0];
    if (!strncmp(name, "lt-", 3)) {
        name += 3;
    }
    if (strncmp(name, "replay-", 7)) {
        fprintf(stderr, "replay: cannot tell the target from '%s'\n", name);
        return 1;
    }
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".",
             name + 7);
    d = opendir(dir);
    if (!d) {
        printf("1..0 # SKIP no corpus at %s: %s\n", dir, strerror(errno));
        return 0;
    }
    while ((e = readdir(d))) {
        char **grown;

        if (e->d_name[0] == '.') {
            continue;
        }
        grown = realloc(files, (n + 1) * sizeof(*files));
        if (!grown) {
            return 1;
        }
        files = grown;
        files[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, n, sizeof(*files), compare);
    printf("1..%zu\n", n);
    for (i = 0; i < n; i++) {
        char path[PATH_MAX + NAME_MAX + 2];
        pid_t pid;
        int status = -1;

        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        fflush(stdout);
        /* Each input in its own process: one crash fails one line. */
        pid = fork();
        if (pid == 0) {
            _exit(replay_one(path) ? 2 : 0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) {
            printf("not ok %zu - %s\n", i + 1, files[i]);
            failed++;
        } else {
            printf("ok %zu - %s\n", i + 1, files[i]);
        }
        free(files[i]);
    }
    free(files);
    return failed ? 1 : 0;
}
