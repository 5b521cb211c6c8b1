/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-work.c - vhostfs-client bench: the FUSE session with each
 * backend, the measuring loops and the data workloads (bench-files.c has
 * the files on the host, the metadata and directory workloads).
 *
 * Each workload runs a warm-up (a tenth of its time or ops, not
 * recorded), then records one latency per request into the preallocated
 * array.  Queue depth 16 keeps 16 requests out on the request queue:
 * whenever one comes back another is submitted; the queue is drained only
 * when the client's guest-memory heap runs low (it is emptied when no
 * request is out), once every few thousand requests.
 *
 * The data workloads model a guest application doing O_DIRECT reads and
 * writes in a loop: the device is handed the same guest buffers every
 * time (allocated once per session, below the heap's floor), a READ's
 * body goes straight into one and a WRITE's payload comes from one.
 * Nothing is copied on the client's side, and a read buffer is not
 * poisoned as a whole before each request.
 *
 * Verification: the read file's content is known (every 1 MiB block is
 * b->pat).  Before each READ three pieces of BENCH_VFY_PIECE bytes of its
 * buffer (the start, the end and one at a pseudo-random place) are set to
 * the complement of what the file holds there; after the reply, whose
 * body must be the size asked, those pieces must hold the file's bytes,
 * and every BENCH_VFY_EVERY-th reply is compared whole (that comparison's
 * time is left out of the latency and of the measured time).  A mismatch
 * fails the workload.
 *
 * Security model: replies are the backend's and not trusted; fuse.c checks
 * their framing, and a body is read only after its size was checked.  A
 * backend that answers an operation with an error, a short body or wrong
 * data fails the workload.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_rnd(struct bench *b)
{
    /* xorshift64: cheap and the same sequence for both backends. */
    b->rng ^= b->rng << 13;
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    return b->rng;
}

/* --- FUSE requests ---------------------------------------------------------
 */

/* Send @r and wait.  Returns the reply body's length, or -1 after
 * printing why (an error reply included). */
static int bench_req(struct bench_be *be, const char *op, struct vfc_req *r)
{
    int rc = vfc_fuse_call(be->v, r);

    if (rc < 0 || r->error) {
        fprintf(stderr, "vhostfs-client: bench: %s %s: %s\n", be->name, op,
                rc < 0 ? vfc_fuse_why : strerror(-r->error));
        return -1;
    }
    return (int)r->out_len;
}

/* Send one request and wait; the reply body goes to @out.  Returns the
 * body length, or -1 after printing why (an error reply included). */
int bench_call(struct bench_be *be, const char *op, uint32_t opcode,
               uint64_t nodeid, const void *a0, uint32_t l0, const void *a1,
               uint32_t l1, void *out, uint32_t out_size)
{
    struct vfc_req r = {
        .opcode = opcode,
        .nodeid = nodeid,
        .arg = {a0, a1},
        .arg_len = {l0, l1},
        .nargs = a1   ? 2
                 : a0 ? 1
                      : 0,
        .out = out,
        .out_size = out_size,
    };

    return bench_req(be, op, &r);
}

uint64_t bench_lookup(struct bench_be *be, uint64_t parent, const char *name)
{
    struct fuse_entry_out e;
    int len = bench_call(be, "LOOKUP", FUSE_LOOKUP, parent, name,
                         (uint32_t)strlen(name) + 1, NULL, 0, &e, sizeof(e));

    if (len < 0) {
        return 0;
    }
    if (len != (int)sizeof(e) || e.nodeid == 0) {
        fprintf(stderr,
                "vhostfs-client: bench: %s LOOKUP %s: reply of %d "
                "bytes\n",
                be->name, name, len);
        return 0;
    }
    return e.nodeid;
}

void bench_forget(struct bench_be *be, uint64_t node, uint64_t n)
{
    struct fuse_forget_in in = {.nlookup = n};
    struct vfc_req r = {
        .opcode = FUSE_FORGET,
        .nodeid = node,
        .hiprio = true,
        .no_reply = true,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
    };

    vfc_fuse_call(be->v, &r);
}

int bench_open(struct bench_be *be, uint64_t node, uint32_t opcode,
               uint32_t flags, uint64_t *fh)
{
    struct fuse_open_in in = {.flags = flags};
    struct fuse_open_out o;
    int len = bench_call(be, opcode == FUSE_OPEN ? "OPEN" : "OPENDIR", opcode,
                         node, &in, sizeof(in), NULL, 0, &o, sizeof(o));

    if (len < 0) {
        return -1;
    }
    if (len != (int)sizeof(o)) {
        fprintf(stderr, "vhostfs-client: bench: %s OPEN: reply of %d bytes\n",
                be->name, len);
        return -1;
    }
    *fh = o.fh;
    return 0;
}

void bench_release(struct bench_be *be, uint64_t node, uint32_t opcode,
                   uint64_t fh)
{
    struct fuse_release_in in = {.fh = fh};

    bench_call(be, "RELEASE", opcode, node, &in, sizeof(in), NULL, 0, NULL, 0);
}

/* @len bytes of guest memory at a page boundary, as a guest's buffers
 * are; 0 when the heap is exhausted. */
static uint64_t galloc_page(struct vfc_vmm *v, uint64_t len, uint8_t **host)
{
    uint64_t pad = (4096 - v->heap_next % 4096) % 4096, gpa;

    if (pad && !vfc_galloc(v, pad)) {
        return 0;
    }
    gpa = vfc_galloc(v, len);
    *host = gpa ? vfc_gpa(v, gpa, len) : NULL;
    return *host ? gpa : 0;
}

/* The data workloads' guest buffers, kept for the session: the heap's
 * floor is raised above them.  No request may be out. */
static int guest_bufs(struct bench *b, struct bench_be *be)
{
    struct vfc_vmm *v = be->v;
    unsigned int k;
    bool ok;

    be->rd_gpa = galloc_page(v, BENCH_SEQ_SIZE, &be->rd);
    be->wr_gpa = galloc_page(v, BENCH_SEQ_SIZE, &be->wr);
    ok = be->rd_gpa && be->wr_gpa;
    for (k = 0; k < BENCH_QD && ok; k++) {
        be->rd4k_gpa[k] = galloc_page(v, BENCH_RAND_SIZE, &be->rd4k[k]);
        ok = be->rd4k_gpa[k] != 0;
    }
    if (!ok) {
        fprintf(stderr,
                "vhostfs-client: bench: %s: no guest memory for the "
                "data buffers\n",
                be->name);
        return -1;
    }
    v->heap_floor = v->heap_next;
    memcpy(be->wr, b->pat, BENCH_SEQ_SIZE);
    return 0;
}

int bench_session(struct bench *b, struct bench_be *be)
{
    struct fuse_init_in in = {
        .major = FUSE_KERNEL_VERSION,
        .minor = FUSE_KERNEL_MINOR_VERSION,
        .max_readahead = 128 << 10,
        .flags = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES |
                 FUSE_DONT_MASK | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS |
                 FUSE_MAX_PAGES | FUSE_MAP_ALIGNMENT | FUSE_INIT_EXT,
        .flags2 = (uint32_t)(FUSE_HAS_INODE_DAX >> 32),
    };
    struct fuse_init_out out;
    int len;

    if (guest_bufs(b, be) < 0) {
        return -1;
    }
    memset(&out, 0, sizeof(out));
    len = bench_call(be, "INIT", FUSE_INIT, 0, &in, sizeof(in), NULL, 0, &out,
                     sizeof(out));
    if (len < 0) {
        return -1;
    }
    if (len < FUSE_COMPAT_22_INIT_OUT_SIZE ||
        out.major != FUSE_KERNEL_VERSION || out.max_write < BENCH_RAND_SIZE) {
        fprintf(stderr,
                "vhostfs-client: bench: %s INIT: reply of %d bytes, "
                "max_write %u\n",
                be->name, len, out.max_write);
        return -1;
    }
    be->max_write = out.max_write;
    /* Linux refuses an alignment above its 2 MiB ranges. */
    be->map_alignment_ok = len >= (int)sizeof(out) &&
                           (out.flags & FUSE_MAP_ALIGNMENT) &&
                           out.map_alignment <= 21;
    be->sub_node = bench_lookup(be, FUSE_ROOT_ID, b->sub);
    if (!be->sub_node) {
        return -1;
    }
    be->data_node = bench_lookup(be, be->sub_node, "data");
    be->wdata_node = bench_lookup(be, be->sub_node, "wdata");
    be->meta_node = bench_lookup(be, be->sub_node, "meta");
    be->big_node = bench_lookup(be, be->sub_node, "big");
    if (!be->data_node || !be->wdata_node || !be->meta_node || !be->big_node ||
        bench_open(be, be->data_node, FUSE_OPEN, O_RDONLY, &be->data_fh) < 0 ||
        bench_open(be, be->wdata_node, FUSE_OPEN, O_RDWR, &be->wdata_fh) < 0) {
        return -1;
    }
    return 0;
}

void bench_session_end(struct bench *b, struct bench_be *be)
{
    (void)b;
    bench_dax_end(be);
    if (be->v->gone) {
        return;
    }
    bench_release(be, be->data_node, FUSE_RELEASE, be->data_fh);
    bench_release(be, be->wdata_node, FUSE_RELEASE, be->wdata_fh);
}

/* --- the loop --------------------------------------------------------------
 */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *s, size_t n, double p)
{
    size_t k;

    if (!n) {
        return 0;
    }
    k = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)s[k] / 1000.0;
}

void bench_finish(struct bench *b, struct bench_result *res, size_t n,
                  uint64_t t0, uint64_t t1)
{
    uint64_t sum = 0;
    size_t k;

    qsort(b->lat, n, sizeof(b->lat[0]), cmp_u64);
    for (k = 0; k < n; k++) {
        sum += b->lat[k];
    }
    res->seconds = (double)(t1 - t0) / 1e9;
    res->p50_us = pct(b->lat, n, 0.50);
    res->p99_us = pct(b->lat, n, 0.99);
    res->p999_us = pct(b->lat, n, 0.999);
    res->mean_us = n ? (double)sum / (double)n / 1000.0 : 0;
    res->done = true;
}

/* The backend's CPU time and peak RSS around the measured part. */
static void usage_begin(const struct bench_be *be, double *cpu0)
{
    uint64_t hwm, anon;

    *cpu0 = 0;
    if (be && be->v->backend_pid > 0) {
        bench_proc_usage(be->v->backend_pid, cpu0, &hwm, &anon);
    }
}

static void usage_end(const struct bench_be *be, double cpu0,
                      struct bench_result *res)
{
    double cpu = 0;

    if (be && be->v->backend_pid > 0) {
        bench_proc_usage(be->v->backend_pid, &cpu, &res->rss_kib,
                         &res->anon_kib);
        res->cpu_s = cpu - cpu0;
    }
}

bool bench_over(const struct bench *b, uint64_t n, uint64_t t0, uint64_t now,
                double frac)
{
    if (b->o.ops) {
        return (double)n >= (double)b->o.ops * frac;
    }
    return (double)(now - t0) >= b->o.duration * 1e9 * frac;
}

/* Run @fn at queue depth 1: a warm-up, then the measured part.  With
 * @all, the measured part runs until @fn says there is nothing left. */
int bench_loop_qd1(struct bench *b, struct bench_be *be, const char *wl,
                   bench_op_fn fn, bool warm, bool all,
                   struct bench_result *res)
{
    uint64_t i = 0, t0 = bench_now_ns(), bytes = 0, items = 0, n = 0, t;
    double cpu0;
    int rc;

    while (warm && !bench_over(b, i, t0, bench_now_ns(), 0.1)) {
        rc = fn(b, be, i++, &bytes, &items);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            break;
        }
    }
    bytes = items = 0;
    usage_begin(be, &cpu0);
    b->untimed_ns = 0;
    t0 = t = bench_now_ns();
    for (;;) {
        uint64_t t1, u0 = b->untimed_ns;

        if (!all && bench_over(b, n, t0, t, 1.0)) {
            break;
        }
        rc = fn(b, be, i++, &bytes, &items);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            break;
        }
        t1 = bench_now_ns();
        if (n < b->lat_cap) {
            /* Less a full check of the data, which a guest does not do. */
            b->lat[n] = t1 - t - (b->untimed_ns - u0);
        }
        n++;
        t = t1;
        if ((n & 63) == 0) {
            bench_progress(b, wl, n, t0, false);
        }
    }
    b->last_i = i;
    res->ops = n;
    res->bytes = bytes;
    res->items = items;
    bench_finish(b, res, n < b->lat_cap ? n : b->lat_cap, t0 + b->untimed_ns,
                 t);
    usage_end(be, cpu0, res);
    return 0;
}

/* --- data workloads --------------------------------------------------------
 */

/* Compare @len bytes of a reply for file offset @off with the file's
 * content.  Returns the index of the first byte that differs, or @len. */
static uint32_t vfy_cmp(const struct bench *b, uint64_t off, const uint8_t *p,
                        uint32_t len)
{
    uint32_t done = 0;

    while (done < len) {
        uint32_t po = (uint32_t)((off + done) % BENCH_SEQ_SIZE);
        uint32_t n = BENCH_SEQ_SIZE - po;

        if (n > len - done) {
            n = len - done;
        }
        if (memcmp(p + done, b->pat + po, n) != 0) {
            while (p[done] == b->pat[po]) {
                done++;
                po++;
            }
            return done;
        }
        done += n;
    }
    return len;
}

/* vfy_mid()'s answer for a read checked whole: poisoned whole before. */
#define VFY_FULL UINT32_MAX

/* Where the third sampled piece of a reply of @size bytes lies. */
static uint32_t vfy_mid(struct bench *b, uint32_t size)
{
    if (b->nreads++ % BENCH_VFY_EVERY == 0) {
        return VFY_FULL;
    }
    b->vrng ^= b->vrng << 13;
    b->vrng ^= b->vrng >> 7;
    b->vrng ^= b->vrng << 17;
    return size > BENCH_VFY_PIECE
               ? (uint32_t)(b->vrng % (size - BENCH_VFY_PIECE + 1))
               : 0;
}

/*
 * Set the three sampled pieces of @buf (all of it for VFY_FULL, untimed)
 * to the complement of what the file holds there, so that a backend that
 * writes nothing, or only part, fails the check.
 */
static void vfy_poison(struct bench *b, uint8_t *buf, uint64_t off,
                       uint32_t size, uint32_t mid)
{
    uint32_t piece = size < BENCH_VFY_PIECE ? size : BENCH_VFY_PIECE;
    uint32_t at[3] = {0, size - piece, mid}, k, j;

    if (mid == VFY_FULL) {
        uint64_t t0 = bench_now_ns();

        for (j = 0; j < size; j++) {
            buf[j] = (uint8_t)~b->pat[(off + j) % BENCH_SEQ_SIZE];
        }
        b->untimed_ns += bench_now_ns() - t0;
        return;
    }
    for (k = 0; k < 3; k++) {
        for (j = at[k]; j < at[k] + piece; j++) {
            buf[j] = (uint8_t)~b->pat[(off + j) % BENCH_SEQ_SIZE];
        }
    }
}

/*
 * Check a READ reply of @len bytes in @buf, asked for @size bytes at
 * @off: the size, the three pieces vfy_poison() set and, every
 * BENCH_VFY_EVERY replies (VFY_FULL), all of it.  Returns 0, or -1 after
 * printing what differs.
 */
static int vfy_check(struct bench *b, const struct bench_be *be,
                     const uint8_t *buf, uint64_t off, uint32_t size,
                     uint32_t len, uint32_t mid)
{
    uint32_t piece = size < BENCH_VFY_PIECE ? size : BENCH_VFY_PIECE;
    uint32_t at[3] = {0, size - piece, mid == VFY_FULL ? 0 : mid}, k;
    uint32_t bad = size;
    const char *what = "sampled";

    if (len != size) {
        fprintf(stderr,
                "vhostfs-client: bench: %s READ of %u bytes at %llu: "
                "%u bytes came back\n",
                be->name, size, (unsigned long long)off, len);
        return -1;
    }
    for (k = 0; k < 3 && bad == size; k++) {
        uint32_t d = vfy_cmp(b, off + at[k], buf + at[k], piece);

        if (d < piece) {
            bad = at[k] + d;
        }
    }
    if (bad == size && mid == VFY_FULL) {
        uint64_t t0 = bench_now_ns();

        what = "full";
        bad = vfy_cmp(b, off, buf, size);
        b->untimed_ns += bench_now_ns() - t0;
    }
    if (bad == size) {
        return 0;
    }
    fprintf(stderr,
            "vhostfs-client: bench: %s READ of %u bytes at %llu: wrong "
            "data (%s check): byte %u (file offset %llu) is 0x%02x, the "
            "file has 0x%02x\n",
            be->name, size, (unsigned long long)off, what, bad,
            (unsigned long long)(off + bad), buf[bad],
            b->pat[(off + bad) % BENCH_SEQ_SIZE]);
    return -1;
}

/* One READ at QD1 into the session's 1 MiB guest buffer, checked. */
static int do_read(struct bench *b, struct bench_be *be, uint64_t off,
                   uint32_t size, uint64_t *bytes)
{
    struct fuse_read_in in = {.fh = be->data_fh, .offset = off, .size = size};
    struct vfc_req r = {
        .opcode = FUSE_READ,
        .nodeid = be->data_node,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
        .raw_in = {{.gpa = be->rd_gpa, .len = size}},
        .nraw_in = 1,
    };
    uint32_t mid = vfy_mid(b, size);
    int len;

    vfy_poison(b, be->rd, off, size, mid);
    len = bench_req(be, "READ", &r);
    if (len < 0 || vfy_check(b, be, be->rd, off, size, (uint32_t)len, mid)) {
        return -1;
    }
    *bytes += size;
    return 1;
}

/* The part of the write buffer a write of @size bytes at @off sends: the
 * file's own content there, when it fits. */
static uint64_t wr_gpa(const struct bench_be *be, uint64_t off, uint32_t size)
{
    uint64_t po = off % BENCH_SEQ_SIZE;

    return be->wr_gpa + (po + size <= BENCH_SEQ_SIZE ? po : 0);
}

/* One WRITE at QD1 from the session's guest write buffer. */
static int do_write(struct bench_be *be, uint64_t off, uint32_t size,
                    uint64_t *bytes)
{
    struct fuse_write_in in = {.fh = be->wdata_fh, .offset = off, .size = size};
    struct fuse_write_out o;
    struct vfc_req r = {
        .opcode = FUSE_WRITE,
        .nodeid = be->wdata_node,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
        .raw_out = {{.gpa = wr_gpa(be, off, size), .len = size}},
        .nraw_out = 1,
        .out = &o,
        .out_size = sizeof(o),
    };
    int len = bench_req(be, "WRITE", &r);

    if (len < 0) {
        return -1;
    }
    if (len != (int)sizeof(o) || o.size != size) {
        fprintf(stderr, "vhostfs-client: bench: %s WRITE: short write\n",
                be->name);
        return -1;
    }
    *bytes += size;
    return 1;
}

uint32_t bench_seq_size(const struct bench *b, const struct bench_be *be)
{
    uint32_t s = BENCH_SEQ_SIZE;

    if (be && be->max_write < s) {
        s = be->max_write;
    }
    return b->o.file_size < s ? (uint32_t)b->o.file_size : s;
}

static int op_seqread(struct bench *b, struct bench_be *be, uint64_t i,
                      uint64_t *bytes, uint64_t *items)
{
    uint64_t s = bench_seq_size(b, be), blocks = b->o.file_size / s;

    (void)items;
    return do_read(b, be, (i % blocks) * s, (uint32_t)s, bytes);
}

static int op_seqwrite(struct bench *b, struct bench_be *be, uint64_t i,
                       uint64_t *bytes, uint64_t *items)
{
    uint64_t s = bench_seq_size(b, be), blocks = b->o.file_size / s;

    (void)items;
    return do_write(be, (i % blocks) * s, (uint32_t)s, bytes);
}

static uint64_t rand_off(struct bench *b)
{
    return (bench_rnd(b) % (b->o.file_size / BENCH_RAND_SIZE)) *
           BENCH_RAND_SIZE;
}

static int op_randread(struct bench *b, struct bench_be *be, uint64_t i,
                       uint64_t *bytes, uint64_t *items)
{
    (void)i;
    (void)items;
    return do_read(b, be, rand_off(b), BENCH_RAND_SIZE, bytes);
}

static int op_randwrite(struct bench *b, struct bench_be *be, uint64_t i,
                        uint64_t *bytes, uint64_t *items)
{
    (void)i;
    (void)items;
    return do_write(be, rand_off(b), BENCH_RAND_SIZE, bytes);
}

/* Queue depth 16: random 4 KiB reads or writes, 16 out at all times.
 * Slot k reads into the session's 4 KiB buffer k. */
struct qd_slot {
    struct vfc_req r;
    union {
        struct fuse_read_in rd;
        struct fuse_write_in wr;
    } in;
    struct fuse_write_out wo;
    uint32_t mid; /* the read's third sampled piece */
    unsigned int k;
    uint64_t t_sub, t_done;
    bool out;
};

static void qd_fill(struct bench *b, struct bench_be *be, struct qd_slot *s,
                    unsigned int k, bool write)
{
    uint64_t off = rand_off(b);

    memset(&s->r, 0, sizeof(s->r));
    s->k = k;
    if (write) {
        s->in.wr = (struct fuse_write_in){
            .fh = be->wdata_fh, .offset = off, .size = BENCH_RAND_SIZE};
        s->r.opcode = FUSE_WRITE;
        s->r.nodeid = be->wdata_node;
        s->r.arg[0] = &s->in.wr;
        s->r.arg_len[0] = sizeof(s->in.wr);
        s->r.nargs = 1;
        s->r.raw_out[0] = (struct vq_buf){
            .gpa = wr_gpa(be, off, BENCH_RAND_SIZE), .len = BENCH_RAND_SIZE};
        s->r.nraw_out = 1;
        s->r.out = &s->wo;
        s->r.out_size = sizeof(s->wo);
    } else {
        s->in.rd = (struct fuse_read_in){
            .fh = be->data_fh, .offset = off, .size = BENCH_RAND_SIZE};
        s->r.opcode = FUSE_READ;
        s->r.nodeid = be->data_node;
        s->r.arg[0] = &s->in.rd;
        s->r.arg_len[0] = sizeof(s->in.rd);
        s->r.nargs = 1;
        s->r.raw_in[0] =
            (struct vq_buf){.gpa = be->rd4k_gpa[k], .len = BENCH_RAND_SIZE};
        s->r.nraw_in = 1;
        s->mid = vfy_mid(b, BENCH_RAND_SIZE);
        vfy_poison(b, be->rd4k[k], off, BENCH_RAND_SIZE, s->mid);
    }
}

/* Wait for slot @s; stamps every other slot that came back meanwhile. */
static int qd_reap(struct bench *b, struct bench_be *be, struct qd_slot *slots,
                   struct qd_slot *s)
{
    unsigned int k;
    uint64_t now;
    int rc = vfc_fuse_wait(be->v, &s->r);

    now = bench_now_ns();
    if (!s->t_done) {
        s->t_done = now;
    }
    for (k = 0; k < BENCH_QD; k++) {
        if (slots[k].out && slots[k].r.priv_done && !slots[k].t_done) {
            slots[k].t_done = now;
        }
    }
    s->out = false;
    if (rc < 0 || s->r.error) {
        fprintf(stderr, "vhostfs-client: bench: %s: %s\n", be->name,
                rc < 0 ? vfc_fuse_why : strerror(-s->r.error));
        return -1;
    }
    if (s->r.opcode == FUSE_WRITE) {
        if (s->r.out_len != sizeof(s->wo) || s->wo.size != BENCH_RAND_SIZE) {
            fprintf(stderr, "vhostfs-client: bench: %s WRITE: short write\n",
                    be->name);
            return -1;
        }
        return 0;
    }
    return vfy_check(b, be, be->rd4k[s->k], s->in.rd.offset, BENCH_RAND_SIZE,
                     s->r.out_len, s->mid);
}

static int loop_qd16(struct bench *b, struct bench_be *be, const char *wl,
                     bool write, struct bench_result *res)
{
    static struct qd_slot slots[BENCH_QD];
    /* Drain below this much free heap: 16 requests' headers, arguments
     * and reply headers, many times over (the bodies are not on it). */
    const uint64_t low = BENCH_QD * (BENCH_RAND_SIZE + 512) * 2;
    uint64_t n = 0, i = 0, t0 = bench_now_ns(), t = t0;
    bool warm = true, stop = false;
    unsigned int k, out = 0;
    double cpu0 = 0;
    int rc = 0;

    memset(slots, 0, sizeof(slots));
    for (k = 0;; k = (k + 1) % BENCH_QD) {
        struct qd_slot *s = &slots[k];

        if (s->out) {
            if (qd_reap(b, be, slots, s) < 0) {
                rc = -1;
                break;
            }
            out--;
            if (!warm) {
                if (n < b->lat_cap) {
                    b->lat[n] = s->t_done - s->t_sub;
                }
                n++;
                res->bytes += BENCH_RAND_SIZE;
                if ((n & 255) == 0) {
                    bench_progress(b, wl, n, t0, false);
                }
            }
        }
        t = bench_now_ns();
        if (warm && bench_over(b, i, t0, t, 0.1)) {
            /* Measure from here; what is out counts as warm-up. */
            unsigned int j;

            warm = false;
            for (j = 0; j < BENCH_QD && out; j++) {
                if (slots[j].out) {
                    if (qd_reap(b, be, slots, &slots[j]) < 0) {
                        rc = -1;
                        break;
                    }
                    out--;
                }
            }
            if (rc < 0) {
                break;
            }
            usage_begin(be, &cpu0);
            b->untimed_ns = 0;
            t0 = t = bench_now_ns();
            i = 0;
        }
        if (!warm && !stop && bench_over(b, i, t0, t, 1.0)) {
            stop = true;
        }
        if (stop) {
            if (!out) {
                break;
            }
            continue;
        }
        if (VFC_MEM_SIZE - be->v->heap_next < low) {
            /* Let the queue empty so fuse.c empties the heap. */
            if (out) {
                continue;
            }
        }
        qd_fill(b, be, s, k, write);
        s->t_sub = bench_now_ns();
        s->t_done = 0;
        if (vfc_fuse_submit(be->v, &s->r) < 0) {
            fprintf(stderr, "vhostfs-client: bench: %s: %s\n", be->name,
                    vfc_fuse_why);
            rc = -1;
            break;
        }
        s->out = true;
        out++;
        i++;
    }
    if (rc < 0) {
        /* Wait for what is still out (a failed qd_reap() leaves @out one
         * too high: count by the slots). */
        for (k = 0; k < BENCH_QD; k++) {
            if (slots[k].out) {
                vfc_fuse_wait(be->v, &slots[k].r);
                slots[k].out = false;
            }
        }
        return -1;
    }
    res->ops = n;
    bench_finish(b, res, n < b->lat_cap ? n : b->lat_cap, t0 + b->untimed_ns,
                 bench_now_ns());
    usage_end(be, cpu0, res);
    return 0;
}

int bench_run(struct bench *b, struct bench_be *be, enum bench_wl wl,
              struct bench_result *res)
{
    const char *name = bench_wl_name[wl];

    switch (wl) {
    case BW_SEQREAD:
        return bench_loop_qd1(b, be, name, op_seqread, true, false, res);
    case BW_SEQWRITE:
        return bench_loop_qd1(b, be, name, op_seqwrite, true, false, res);
    case BW_RANDREAD_QD1:
        return bench_loop_qd1(b, be, name, op_randread, true, false, res);
    case BW_RANDWRITE_QD1:
        return bench_loop_qd1(b, be, name, op_randwrite, true, false, res);
    case BW_RANDREAD_QD16:
        return loop_qd16(b, be, name, false, res);
    case BW_RANDWRITE_QD16:
        return loop_qd16(b, be, name, true, res);
    case BW_CREATE:
        return bench_run_meta(b, be, res);
    case BW_READDIR:
        return bench_loop_qd1(b, be, name, bench_op_readdir, true, false, res);
    case BW_PREAD:
        return bench_run_pread(b, res);
    case BW_DAX:
        return bench_run_dax(b, be, res);
    default:
        return 0;
    }
}
