/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm-guest.c - file checks run inside the test guest, on the virtio-fs
 * mount (tests/vm/boot.sh --initrd-extra puts it on the guest's PATH).
 *
 * Linked statically: the guest has busybox and no libc.  Each subcommand
 * does its work with plain system calls, so that what reaches the FUSE
 * server is known, prints one line saying what it found, and exits 0 when
 * the check holds, 1 when it does not, 2 on bad usage:
 *
 *     vm-guest read PATH EXPECTED    read(2) PATH whole, compare
 *     vm-guest write PATH CONTENT    create or truncate, write, fsync
 *     vm-guest list DIR              the names in DIR, sorted, one a line
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest file "read" compares; the checks use short files. */
#define READ_MAX (1024 * 1024)
#define LIST_MAX 4096

static int check_read(const char *path, const char *expected)
{
    static char buf[READ_MAX + 1];
    size_t len = 0;
    size_t want = strlen(expected);
    int fd;

    if (want > READ_MAX) {
        printf("vm-guest: read %s: expected content over %d bytes\n", path,
               READ_MAX);
        return 2;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("vm-guest: read %s: open: %s\n", path, strerror(errno));
        return 1;
    }
    /* One byte more than any expected content can be: a longer file
     * then compares unequal instead of being cut to size. */
    while (len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            printf("vm-guest: read %s: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (len != want || memcmp(buf, expected, want) != 0) {
        printf("vm-guest: read %s: %zu bytes, not the %zu expected\n", path,
               len, want);
        return 1;
    }
    printf("vm-guest: read %s: %zu bytes as expected\n", path, len);
    return 0;
}

static int check_write(const char *path, const char *content)
{
    size_t len = strlen(content);
    size_t done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        printf("vm-guest: write %s: open: %s\n", path, strerror(errno));
        return 1;
    }
    while (done < len) {
        ssize_t n = write(fd, content + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            printf("vm-guest: write %s: %s\n", path,
                   n < 0 ? strerror(errno) : "wrote nothing");
            close(fd);
            return 1;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0) {
        printf("vm-guest: write %s: fsync: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    if (close(fd) < 0) {
        printf("vm-guest: write %s: close: %s\n", path, strerror(errno));
        return 1;
    }
    printf("vm-guest: write %s: %zu bytes\n", path, len);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_list(const char *path)
{
    static char *names[LIST_MAX];
    size_t n = 0;
    struct dirent *e;
    DIR *d = opendir(path);

    if (d == NULL) {
        printf("vm-guest: list %s: %s\n", path, strerror(errno));
        return 1;
    }
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (n == LIST_MAX) {
            printf("vm-guest: list %s: more than %d entries\n", path, LIST_MAX);
            closedir(d);
            return 1;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            printf("vm-guest: list %s: out of memory\n", path);
            closedir(d);
            return 1;
        }
        n++;
    }
    if (errno != 0) {
        printf("vm-guest: list %s: readdir: %s\n", path, strerror(errno));
        closedir(d);
        return 1;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    printf("vm-guest: list %s: %zu entries\n", path, n);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: vm-guest read PATH EXPECTED\n"
                    "       vm-guest write PATH CONTENT\n"
                    "       vm-guest list DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    int ret;

    if (argc == 4 && strcmp(argv[1], "read") == 0) {
        ret = check_read(argv[2], argv[3]);
    } else if (argc == 4 && strcmp(argv[1], "write") == 0) {
        ret = check_write(argv[2], argv[3]);
    } else if (argc == 3 && strcmp(argv[1], "list") == 0) {
        ret = check_list(argv[2]);
    } else {
        return usage();
    }
    fflush(stdout);
    return ret;
}
