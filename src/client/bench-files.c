/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-files.c - vhostfs-client bench: the files on the host side, the
 * metadata workloads (CREATE, LOOKUP, UNLINK of many files), the listing
 * of a large directory and the client's own pread loop (the baseline of
 * cached reads).
 *
 * Security model: replies are the backend's and not trusted; fuse.c checks
 * their framing, and a body is read only after its size was checked
 * (READDIR entries against the reply's length).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "bench.h"

/* --- host side ----------------------------------------------------------- */

static int fill_file(struct bench *b, const char *name)
{
    char path[4200];
    uint64_t off;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", b->hsub, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        goto fail;
    }
    for (off = 0; off < b->o.file_size; off += BENCH_SEQ_SIZE) {
        uint64_t left = b->o.file_size - off;
        size_t n = left < BENCH_SEQ_SIZE ? (size_t)left : BENCH_SEQ_SIZE;

        if (pwrite(fd, b->pat, n, (off_t)off) != (ssize_t)n) {
            close(fd);
            goto fail;
        }
    }
    close(fd);
    return 0;
fail:
    fprintf(stderr, "vhostfs-client: bench: %s: %s\n", path, strerror(errno));
    return -errno;
}

int bench_host_setup(struct bench *b)
{
    char path[4200];
    unsigned int i;
    size_t k;

    /* What the workloads check the read file's content against. */
    for (k = 0; k < BENCH_SEQ_SIZE; k++) {
        b->pat[k] = (uint8_t)(k * 131 + 7);
    }
    snprintf(b->sub, sizeof(b->sub), "vfc-bench.%d", (int)getpid());
    snprintf(b->hsub, sizeof(b->hsub), "%s/%s", b->dir, b->sub);
    snprintf(path, sizeof(path), "%s/meta", b->hsub);
    if (mkdir(b->hsub, 0755) < 0 || mkdir(path, 0755) < 0) {
        fprintf(stderr, "vhostfs-client: bench: %s: %s\n", path,
                strerror(errno));
        return -errno;
    }
    if (fill_file(b, "data") < 0 || fill_file(b, "wdata") < 0) {
        return -EIO;
    }
    snprintf(path, sizeof(path), "%s/big", b->hsub);
    if (mkdir(path, 0755) < 0) {
        return -errno;
    }
    if (!b->o.want[BW_READDIR]) {
        return 0;
    }
    for (i = 0; i < b->o.entries; i++) {
        int fd;

        snprintf(path, sizeof(path), "%s/big/entry-%07u", b->hsub, i);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "vhostfs-client: bench: %s: %s\n", path,
                    strerror(errno));
            return -errno;
        }
        close(fd);
    }
    return 0;
}

static void remove_tree(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct dirent *de;
    DIR *d;

    if (fd < 0) {
        unlinkat(dirfd, name, 0);
        return;
    }
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (de->d_type == DT_DIR) {
            remove_tree(fd, de->d_name);
        } else {
            unlinkat(fd, de->d_name, 0);
        }
    }
    closedir(d);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

void bench_host_cleanup(struct bench *b)
{
    if (b->hsub[0]) {
        remove_tree(AT_FDCWD, b->hsub);
        b->hsub[0] = '\0';
    }
}

/* --- metadata and directory workloads ------------------------------------- */

static void meta_name(char *name, size_t len, uint64_t i)
{
    snprintf(name, len, "f%07llu", (unsigned long long)i);
}

static int op_create(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items)
{
    struct fuse_create_in in = {.flags = O_WRONLY | O_CREAT | O_EXCL,
                                .mode = S_IFREG | 0644,
                                .umask = 022};
    struct {
        struct fuse_entry_out e;
        struct fuse_open_out o;
    } out;
    char name[32];
    int len;

    (void)bytes;
    if (b->meta_n == b->meta_cap) {
        return 0;
    }
    meta_name(name, sizeof(name), i);
    len = bench_call(be, "CREATE", FUSE_CREATE, be->meta_node, &in, sizeof(in),
                     name, (uint32_t)strlen(name) + 1, &out, sizeof(out));
    if (len < 0) {
        return -1;
    }
    if (len != (int)sizeof(out)) {
        fprintf(stderr,
                "vhostfs-client: bench: %s CREATE: reply of %d "
                "bytes\n",
                be->name, len);
        return -1;
    }
    b->meta_nodes[b->meta_n++] = out.e.nodeid;
    bench_release(be, out.e.nodeid, FUSE_RELEASE, out.o.fh);
    (*items)++;
    return 1;
}

static int op_stat(struct bench *b, struct bench_be *be, uint64_t i,
                   uint64_t *bytes, uint64_t *items)
{
    struct fuse_entry_out e;
    char name[32];
    int len;

    (void)bytes;
    (void)items;
    meta_name(name, sizeof(name), i % b->meta_n);
    len = bench_call(be, "LOOKUP", FUSE_LOOKUP, be->meta_node, name,
                     (uint32_t)strlen(name) + 1, NULL, 0, &e, sizeof(e));
    if (len < 0) {
        return -1;
    }
    if (len != (int)sizeof(e) || e.nodeid != b->meta_nodes[i % b->meta_n]) {
        fprintf(stderr, "vhostfs-client: bench: %s LOOKUP %s: another node\n",
                be->name, name);
        return -1;
    }
    return 1;
}

static int op_unlink(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items)
{
    char name[32];

    (void)bytes;
    (void)items;
    if (i >= b->meta_n) {
        return 0;
    }
    meta_name(name, sizeof(name), i);
    if (bench_call(be, "UNLINK", FUSE_UNLINK, be->meta_node, name,
                   (uint32_t)strlen(name) + 1, NULL, 0, NULL, 0) < 0) {
        return -1;
    }
    return 1;
}

/* Create, stat (LOOKUP by name), unlink; @res[0..2]. */
int bench_run_meta(struct bench *b, struct bench_be *be,
                   struct bench_result *res)
{
    uint64_t stats = 0;
    size_t k;
    int rc;

    b->meta_n = 0;
    b->last_i = 0;
    rc = bench_loop_qd1(b, be, "create", op_create, true, false, &res[0]);
    if (rc == 0 && b->meta_n) {
        rc = bench_loop_qd1(b, be, "stat", op_stat, true, false, &res[1]);
        stats = b->last_i; /* LOOKUPs sent, warm-up included */
    }
    if (rc == 0) {
        rc = bench_loop_qd1(b, be, "unlink", op_unlink, false, true, &res[2]);
    }
    /* CREATE took one reference on each node, LOOKUP number i one on
     * node i % meta_n: give them all back. */
    for (k = 0; k < b->meta_n && !be->v->gone; k++) {
        uint64_t n = 1 + stats / b->meta_n + (k < stats % b->meta_n);

        bench_forget(be, b->meta_nodes[k], n);
    }
    b->meta_n = 0;
    return rc;
}

int bench_op_readdir(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items)
{
    uint64_t fh, off = 0, seen = 0;
    int rc = 1;

    (void)i;
    (void)bytes;
    if (bench_open(be, be->big_node, FUSE_OPENDIR, O_RDONLY, &fh) < 0) {
        return -1;
    }
    for (;;) {
        /* One page per request, as Linux's fuse_readdir() asks. */
        struct fuse_read_in in = {.fh = fh, .offset = off, .size = 4096};
        uint32_t pos = 0;
        int len = bench_call(be, "READDIR", FUSE_READDIR, be->big_node, &in,
                             sizeof(in), NULL, 0, b->buf, 4096);

        if (len <= 0) {
            rc = len < 0 ? -1 : 1;
            break;
        }
        while (pos + FUSE_NAME_OFFSET <= (uint32_t)len) {
            struct fuse_dirent d;

            memcpy(&d, b->buf + pos, sizeof(d));
            if (d.namelen > (uint32_t)len - pos - FUSE_NAME_OFFSET) {
                break;
            }
            off = d.off;
            (*items)++;
            seen++;
            pos += (uint32_t)FUSE_DIRENT_SIZE(&d);
        }
        /* A listing that never ends (offsets going round) is an error,
         * not a hang: the directory has entries, ".", ".." and no more. */
        if (seen > (uint64_t)b->o.entries + 2) {
            fprintf(stderr,
                    "vhostfs-client: bench: %s READDIR: more than %u "
                    "entries\n",
                    be->name, b->o.entries + 2);
            rc = -1;
            break;
        }
        if (pos == 0) {
            fprintf(stderr,
                    "vhostfs-client: bench: %s READDIR: no entry "
                    "in %d bytes\n",
                    be->name, len);
            rc = -1;
            break;
        }
    }
    bench_release(be, be->big_node, FUSE_RELEASEDIR, fh);
    return rc;
}

/* The client's baseline: a pread loop over the read file, 1 MiB each. */
int bench_run_pread(struct bench *b, struct bench_result *res)
{
    uint64_t blocks = b->o.file_size / bench_seq_size(b, NULL), i = 0, n = 0;
    uint64_t s = bench_seq_size(b, NULL), t0, t;
    char path[4200];
    int fd;

    snprintf(path, sizeof(path), "%s/data", b->hsub);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "vhostfs-client: bench: %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    t0 = bench_now_ns();
    while (!bench_over(b, i, t0, bench_now_ns(), 0.1)) {
        if (pread(fd, b->buf, s, (off_t)((i++ % blocks) * s)) < 0) {
            break;
        }
    }
    t0 = t = bench_now_ns();
    while (!bench_over(b, n, t0, t, 1.0)) {
        uint64_t t1;
        ssize_t got = pread(fd, b->buf, s, (off_t)((i++ % blocks) * s));

        if (got < 0) {
            fprintf(stderr, "vhostfs-client: bench: pread: %s\n",
                    strerror(errno));
            close(fd);
            return -1;
        }
        t1 = bench_now_ns();
        if (n < b->lat_cap) {
            b->lat[n] = t1 - t;
        }
        n++;
        res->bytes += (uint64_t)got;
        t = t1;
    }
    close(fd);
    res->ops = n;
    bench_finish(b, res, n < b->lat_cap ? n : b->lat_cap, t0, t);
    return 0;
}
