/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax-io.c - `vhostfs-client dax`, READ and WRITE with their data in the
 * cache window.  A Linux guest makes such requests when it reads a file
 * with O_DIRECT into a page of another file it has mapped with DAX: the
 * buffer's pages are in the window, which the VMM never shares with the
 * backend.  With the fs-cache protocol the backend asks the VMM to move
 * the bytes (FS_IO: read the file into that guest memory, or write it
 * from there); the upstream protocol has no such request, so the backend
 * must answer with an error and stay up.
 *
 * What is checked: the bytes land where they were asked to (in the window
 * and so in the mapped file, or in RAM for the part of a chain that is in
 * RAM), a write from the window reaches the file, a read at the end of
 * the file is short, and FS_IO the VMM refuses (a window range not
 * mapped, an address in neither RAM nor the window) comes back as an
 * error reply.
 *
 * Security model: as for the rest of the command (dax.c); FS_IO requests
 * are checked by dax-window.c before any byte moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dax-run.h"

#define SRC_FILE "vhostfs-dax-io-src"
#define SRC_LEN  (64u << 10)
#define IO_LEN   (16u << 10)

/* Window offsets used (all in range 0, mapped read-write at offset 0). */
#define WOFF_READ  (8u << 10)
#define WOFF_SPLIT (64u << 10)
#define WOFF_WRITE (128u << 10)
#define WOFF_EOF   (256u << 10)

/* The source file: read into the window, written from it. */
struct src {
    char path[4096];
    int fd;
    uint64_t nodeid;
    uint64_t fh;
    uint8_t data[SRC_LEN];
};

static bool fs_cache(const struct dax_run *d)
{
    return d->v->opts->dax_protocol == VHU_DIALECT_FS_CACHE;
}

static uint64_t wgpa(uint64_t off)
{
    return VFC_DAX_WINDOW_GPA + off;
}

static int src_open(struct dax_run *d, struct src *s)
{
    struct fuse_open_in oi = {.flags = O_RDWR};
    struct fuse_entry_out e;
    struct fuse_open_out oo;
    uint32_t len = 0;
    unsigned int i;
    int rc;

    snprintf(s->path, sizeof(s->path), "%s/%s", d->v->opts->dir, SRC_FILE);
    for (i = 0; i < SRC_LEN; i++) {
        s->data[i] = (uint8_t)(i * 13 + 5 + (i >> 10));
    }
    s->fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (s->fd < 0 || pwrite(s->fd, s->data, SRC_LEN, 0) != (ssize_t)SRC_LEN) {
        dax_fail(d, "FS_IO source file", "%s: %s", s->path, strerror(errno));
        return -1;
    }
    rc = dax_call(d, FUSE_LOOKUP, FUSE_ROOT_ID, SRC_FILE, sizeof(SRC_FILE),
                  NULL, 0, sizeof(e), &len);
    if (rc != 0 || len != sizeof(e)) {
        dax_fail(d, "FS_IO source file", "LOOKUP error %d", rc);
        return -1;
    }
    memcpy(&e, d->reply, sizeof(e));
    s->nodeid = e.nodeid;
    rc = dax_call(d, FUSE_OPEN, s->nodeid, &oi, sizeof(oi), NULL, 0, sizeof(oo),
                  &len);
    if (rc != 0 || len != sizeof(oo)) {
        dax_fail(d, "FS_IO source file", "OPEN error %d", rc);
        return -1;
    }
    memcpy(&oo, d->reply, sizeof(oo));
    s->fh = oo.fh;
    return 0;
}

static void src_close(struct dax_run *d, struct src *s)
{
    struct fuse_release_in ri = {.fh = s->fh, .flags = O_RDWR};

    if (s->fh) {
        dax_call(d, FUSE_RELEASE, s->nodeid, &ri, sizeof(ri), NULL, 0, 0, NULL);
    }
    if (s->fd >= 0) {
        close(s->fd);
        unlink(s->path);
    }
}

/*
 * READ @len bytes of the source at @off into @bufs (by guest-physical
 * address).  Returns the reply's error, INT32_MIN if none; *@got = the
 * bytes the reply says were read.
 */
static int io_read(struct dax_run *d, const struct src *s, uint64_t off,
                   uint32_t len, const struct vq_buf *bufs, unsigned int n,
                   uint32_t *got)
{
    struct fuse_read_in in = {.fh = s->fh, .offset = off, .size = len};
    struct vfc_req r = {
        .opcode = FUSE_READ,
        .nodeid = s->nodeid,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
        .nraw_in = n,
    };

    memcpy(r.raw_in, bufs, n * sizeof(*bufs));
    *got = 0;
    if (vfc_fuse_call(d->v, &r) < 0) {
        printf("# READ: %s\n", vfc_fuse_why);
        return INT32_MIN;
    }
    *got = r.out_len;
    return r.error;
}

/* WRITE @len bytes at guest-physical @gpa to the source at @off. */
static int io_write(struct dax_run *d, const struct src *s, uint64_t off,
                    uint64_t gpa, uint32_t len, uint32_t *written)
{
    struct fuse_write_in in = {.fh = s->fh, .offset = off, .size = len};
    struct fuse_write_out out;
    struct vfc_req r = {
        .opcode = FUSE_WRITE,
        .nodeid = s->nodeid,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
        .raw_out = {{.gpa = gpa, .len = len}},
        .nraw_out = 1,
        .out = &out,
        .out_size = sizeof(out),
    };

    *written = 0;
    if (vfc_fuse_call(d->v, &r) < 0) {
        printf("# WRITE: %s\n", vfc_fuse_why);
        return INT32_MIN;
    }
    if (r.error == 0 && r.out_len == sizeof(out)) {
        *written = out.size;
    }
    return r.error;
}

/* Window bytes [woff, woff + len) equal @want, and so does the file. */
static bool window_holds(struct dax_run *d, uint64_t woff, const uint8_t *want,
                         uint32_t len)
{
    uint8_t back[IO_LEN];

    if (len > sizeof(back) || memcmp(d->w.base + woff, want, len) != 0) {
        return false;
    }
    /* Range 0 maps the file from offset 0: the file shows it too. */
    return pread(d->hfd, back, len, (off_t)woff) == (ssize_t)len &&
           memcmp(back, want, len) == 0;
}

static void read_into_window(struct dax_run *d, struct src *s)
{
    const char *what = "READ into the window";
    struct vq_buf b = {.gpa = wgpa(WOFF_READ), .len = IO_LEN};
    unsigned int ios = atomic_load(&d->w.ios);
    uint32_t got;
    int rc = io_read(d, s, 0, IO_LEN, &b, 1, &got);

    if (!fs_cache(d)) {
        if (rc == 0 || rc == INT32_MIN) {
            dax_fail(d, what, "answered %d without FS_IO", rc);
        } else if (!window_holds(d, WOFF_READ, d->data + WOFF_READ, IO_LEN)) {
            dax_fail(d, what, "the window changed");
        } else {
            dax_ok(d, "READ into the window is an error without FS_IO");
        }
        return;
    }
    if (rc != 0 || got != IO_LEN) {
        dax_fail(d, what, "error %d, %u bytes", rc, got);
    } else if (atomic_load(&d->w.ios) == ios) {
        dax_fail(d, what, "answered without an FS_IO request");
    } else if (!window_holds(d, WOFF_READ, s->data, IO_LEN)) {
        dax_fail(d, what, "the window and the mapped file do not hold it");
    } else {
        dax_ok(d, "READ into the window goes through FS_IO");
    }
    memcpy(d->data + WOFF_READ, s->data, IO_LEN);
}

/* One chain, its first half in RAM and its second in the window. */
static void read_split(struct dax_run *d, struct src *s)
{
    const char *what = "READ into RAM and the window";
    const uint32_t half = 4096, off = 20 << 10;
    struct vq_buf b[2] = {{.gpa = vfc_galloc(d->v, half), .len = half},
                          {.gpa = wgpa(WOFF_SPLIT), .len = half}};
    uint8_t *ram = b[0].gpa ? vfc_gpa(d->v, b[0].gpa, half) : NULL;
    uint32_t got;
    int rc;

    if (!ram) {
        dax_fail(d, what, "guest memory exhausted");
        return;
    }
    memset(ram, 0xa5, half);
    rc = io_read(d, s, off, 2 * half, b, 2, &got);
    if (rc != 0 || got != 2 * half) {
        dax_fail(d, what, "error %d, %u bytes", rc, got);
    } else if (memcmp(ram, s->data + off, half) != 0) {
        dax_fail(d, what, "the RAM part does not hold it");
    } else if (!window_holds(d, WOFF_SPLIT, s->data + off + half, half)) {
        dax_fail(d, what, "the window part does not hold it");
    } else {
        dax_ok(d, what);
    }
    memcpy(d->data + WOFF_SPLIT, s->data + off + half, half);
}

static void write_from_window(struct dax_run *d, struct src *s)
{
    const char *what = "WRITE from the window";
    const uint32_t off = 32 << 10;
    uint8_t back[IO_LEN];
    uint32_t written;
    int rc = io_write(d, s, off, wgpa(WOFF_WRITE), IO_LEN, &written);
    bool same = pread(s->fd, back, IO_LEN, off) == (ssize_t)IO_LEN;

    if (!fs_cache(d)) {
        if (rc == 0 || rc == INT32_MIN) {
            dax_fail(d, what, "answered %d without FS_IO", rc);
        } else if (!same || memcmp(back, s->data + off, IO_LEN) != 0) {
            dax_fail(d, what, "the file changed");
        } else {
            dax_ok(d, "WRITE from the window is an error without FS_IO");
        }
        return;
    }
    if (rc != 0 || written != IO_LEN) {
        dax_fail(d, what, "error %d, %u bytes", rc, written);
    } else if (!same || memcmp(back, d->data + WOFF_WRITE, IO_LEN) != 0) {
        dax_fail(d, what, "the file does not hold the window's bytes");
    } else {
        dax_ok(d, "WRITE from the window goes through FS_IO");
    }
    memcpy(s->data + off, d->data + WOFF_WRITE, IO_LEN);
}

static void read_at_eof(struct dax_run *d, struct src *s)
{
    const char *what = "READ into the window across end of file";
    const uint32_t tail = 4096;
    struct vq_buf b = {.gpa = wgpa(WOFF_EOF), .len = 2 * tail};
    uint32_t got;
    int rc = io_read(d, s, SRC_LEN - tail, 2 * tail, &b, 1, &got);

    if (rc != 0 || got != tail) {
        dax_fail(d, what, "error %d, %u bytes (want %u)", rc, got, tail);
    } else if (!window_holds(d, WOFF_EOF, s->data + SRC_LEN - tail, tail) ||
               !window_holds(d, WOFF_EOF + tail, d->data + WOFF_EOF + tail,
                             tail)) {
        dax_fail(d, what, "the window does not hold the file's tail alone");
    } else {
        dax_ok(d, "READ across end of file through FS_IO is short");
    }
    memcpy(d->data + WOFF_EOF, s->data + SRC_LEN - tail, tail);
}

/* FS_IO the VMM refuses: an error reply, nothing else. */
static void refused_io(struct dax_run *d, struct src *s)
{
    static const struct {
        const char *what;
        uint64_t gpa;
    } cases[] = {
        {"READ into a window range not mapped",
         VFC_DAX_WINDOW_GPA + 4 * DAX_RANGE},
        {"READ into neither RAM nor the window", 1ull << 39},
    };
    unsigned int i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vq_buf b = {.gpa = cases[i].gpa, .len = 4096};
        uint32_t got;
        int rc = io_read(d, s, 0, 4096, &b, 1, &got);

        if (rc == 0 || rc == INT32_MIN) {
            dax_fail(d, cases[i].what, "answered %d", rc);
        } else {
            dax_ok(d, cases[i].what);
        }
    }
}

void dax_window_io(struct dax_run *d)
{
    static struct src s; /* 64 KiB: not on the stack */

    memset(&s, 0, sizeof(s));
    s.fd = -1;
    if (src_open(d, &s) == 0) {
        read_into_window(d, &s);
        write_from_window(d, &s);
        if (fs_cache(d)) {
            read_split(d, &s);
            read_at_eof(d, &s);
            refused_io(d, &s);
        }
    }
    src_close(d, &s);
}
