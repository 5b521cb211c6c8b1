/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.c - vhostfs-client bench: throughput and latency of a backend, or
 * of two side by side (--compare).
 *
 *   vhostfs-client --dir DIR --backend 'A' bench [--compare 'B']
 *       [--duration SECS | --ops N] [--file-size SIZE] [--dir-entries N]
 *       [--files N]
 *       [--workloads a,b,...] [--rounds N] [--json]
 *
 * Every workload runs on each backend in turn, A B A B ..., for --rounds
 * rounds (3 with --compare, else 1), so that drift on a busy machine hits
 * both; the round with the median ops/s is reported.  The client's own
 * pread loop (pread-1m), the baseline of cached 1 MiB reads, runs in each
 * round of seqread-1m right after the backends.  With --backend, the
 * backend's CPU time (utime + stime of its process group, from
 * /proc/PID/stat) during each workload and its peak RSS (the largest
 * VmHWM in the group) are reported too.
 *
 * The files live in DIR/vfc-bench.PID, made and removed on the host side;
 * the backends are given DIR (their {dir}).
 *
 * Security model: what the backends reply is checked by fuse.c and
 * bench-work.c; /proc is read for numbers only.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

const char *const bench_wl_name[BW_COUNT] = {
    [BW_SEQREAD] = "seqread-1m",
    [BW_SEQWRITE] = "seqwrite-1m",
    [BW_RANDREAD_QD1] = "randread-4k-qd1",
    [BW_RANDREAD_QD16] = "randread-4k-qd16",
    [BW_RANDWRITE_QD1] = "randwrite-4k-qd1",
    [BW_RANDWRITE_QD16] = "randwrite-4k-qd16",
    [BW_CREATE] = "create",
    [BW_STAT] = "stat",
    [BW_UNLINK] = "unlink",
    [BW_READDIR] = "readdir",
    [BW_PREAD] = "pread-1m",
    [BW_DAX] = "dax-read",
    [BW_DAX_1M] = "dax-read-1m",
};

/* --- /proc -----------------------------------------------------------------
 */

/* Fields of /proc/PID/stat after the command name: state is field 3. */
static bool read_stat(const char *pid, long *pgrp, double *cpu_s)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    f = fopen(path, "re");
    if (!f) {
        return false;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p ||
        sscanf(p + 1, " %*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               pgrp, &ut, &st) != 3) {
        return false;
    }
    *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return true;
}

/* VmHWM and RssAnon of /proc/PID/status, in KiB. */
static void read_mem(const char *pid, uint64_t *hwm, uint64_t *anon)
{
    char path[64], line[256];
    unsigned long long kib;
    FILE *f;

    *hwm = *anon = 0;
    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    f = fopen(path, "re");
    if (!f) {
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmHWM: %llu", &kib) == 1) {
            *hwm = kib;
        } else if (sscanf(line, "RssAnon: %llu", &kib) == 1) {
            *anon = kib;
        }
    }
    fclose(f);
}

void bench_proc_usage(pid_t pgid, double *cpu_s, uint64_t *hwm_kib,
                      uint64_t *anon_kib)
{
    struct dirent *de;
    DIR *d = opendir("/proc");

    *cpu_s = 0;
    *hwm_kib = *anon_kib = 0;
    if (!d) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        double cpu;
        long pgrp;
        uint64_t hwm, anon;

        if (!isdigit((unsigned char)de->d_name[0]) ||
            !read_stat(de->d_name, &pgrp, &cpu) || pgrp != (long)pgid) {
            continue;
        }
        *cpu_s += cpu;
        read_mem(de->d_name, &hwm, &anon);
        if (hwm > *hwm_kib) {
            *hwm_kib = hwm;
            *anon_kib = anon;
        }
    }
    closedir(d);
}

/* --- progress --------------------------------------------------------------
 */

void bench_progress(struct bench *b, const char *wl, uint64_t ops, uint64_t t0,
                    bool force)
{
    static uint64_t last;
    uint64_t now = bench_now_ns();
    double s = (double)(now - t0) / 1e9;

    if (b->o.json && !b->o.progress_tty) {
        return;
    }
    if (!force && now - last < 250000000ull) {
        return;
    }
    last = now;
    if (b->o.progress_tty) {
        fprintf(stderr, "\r\033[K%s %s: %llu ops, %.1f s, %.0f ops/s",
                b->progress, wl, (unsigned long long)ops, s,
                s > 0 ? (double)ops / s : 0.0);
    } else if (force) {
        fprintf(stderr, "# %s %s: %llu ops, %.2f s, %.0f ops/s\n", b->progress,
                wl, (unsigned long long)ops, s, s > 0 ? (double)ops / s : 0.0);
    }
}

/* --- options -----------------------------------------------------------------
 */

static int bench_usage(const char *fmt, const char *arg)
{
    fputs("vhostfs-client bench: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nUsage: vhostfs-client --dir DIR --backend 'A' bench\n"
          "  [--compare 'B']        also run backend B ({sock}, {dir}), "
          "A B A B\n"
          "  [--duration SECS]      per workload (default 5)\n"
          "  [--ops N]              per workload, instead of a duration\n"
          "  [--file-size SIZE]     read and write files (default 256M)\n"
          "  [--dir-entries N]      entries of the readdir directory "
          "(100000)\n"
          "  [--files N]            most files create makes (10000; the "
          "backend\n"
          "                         keeps an fd for each until FORGET)\n"
          "  [--workloads a,b]      some of: seqread-1m seqwrite-1m\n"
          "                         randread-4k-qd1 randread-4k-qd16\n"
          "                         randwrite-4k-qd1 randwrite-4k-qd16\n"
          "                         create stat unlink (run together)\n"
          "                         readdir\n"
          "                         pread-1m (the client's pread loop, "
          "in each\n"
          "                         round of seqread-1m)\n"
          "                         dax-read (with a DAX backend)\n"
          "  [--rounds N]           rounds, median reported (3 with "
          "--compare)\n"
          "  [--json]               results and ratios as JSON on stdout\n",
          stderr);
    return 1;
}

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned int shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (*end || v > (1ull << (63 - shift))) {
        return false;
    }
    *out = (uint64_t)v << shift;
    return true;
}

static int parse_workloads(struct bench_opts *o, const char *list)
{
    char buf[512], *tok, *save = NULL;
    unsigned int i;

    if (strlen(list) >= sizeof(buf)) {
        return bench_usage("--workloads: list too long%s", "");
    }
    strcpy(buf, list);
    memset(o->want, 0, sizeof(o->want));
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        for (i = 0; i < BW_COUNT; i++) {
            if (strcmp(tok, bench_wl_name[i]) == 0) {
                break;
            }
        }
        if (i == BW_COUNT || i == BW_DAX_1M) {
            return bench_usage("--workloads: unknown workload '%s'", tok);
        }
        o->want[i] = true;
    }
    return 0;
}

static int parse_opts(struct bench_opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        {"compare", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"ops", required_argument, NULL, 'n'},
        {"file-size", required_argument, NULL, 'f'},
        {"dir-entries", required_argument, NULL, 'e'},
        {"files", required_argument, NULL, 'F'},
        {"workloads", required_argument, NULL, 'w'},
        {"rounds", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    unsigned int i;
    uint64_t n;
    char *end;
    int c;

    *o = (struct bench_opts){
        .duration = 5,
        .file_size = 256ull << 20,
        .entries = 100000,
        .files = 10000,
        .progress_tty = isatty(STDERR_FILENO),
    };
    for (i = 0; i < BW_COUNT; i++) {
        o->want[i] = true;
    }
    optind = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->compare = optarg;
            break;
        case 'd':
            o->duration = strtod(optarg, &end);
            if (*end || end == optarg || !(o->duration > 0) ||
                o->duration > 3600) {
                return bench_usage("--duration: '%s' is not 0 to 3600 s",
                                   optarg);
            }
            break;
        case 'n':
            if (!parse_size(optarg, &o->ops) || !o->ops) {
                return bench_usage("--ops: '%s' is not a count", optarg);
            }
            break;
        case 'f':
            if (!parse_size(optarg, &o->file_size) ||
                o->file_size < BENCH_SEQ_SIZE ||
                o->file_size % BENCH_SEQ_SIZE) {
                return bench_usage("--file-size: '%s' is not a multiple "
                                   "of 1M",
                                   optarg);
            }
            break;
        case 'e':
            if (!parse_size(optarg, &n) || !n || n > 10000000) {
                return bench_usage("--dir-entries: '%s' is not 1 to 1e7",
                                   optarg);
            }
            o->entries = (unsigned int)n;
            break;
        case 'F':
            if (!parse_size(optarg, &n) || !n || n > BENCH_META_CAP) {
                return bench_usage("--files: '%s' is not 1 to 1M", optarg);
            }
            o->files = (unsigned int)n;
            break;
        case 'w':
            if (parse_workloads(o, optarg)) {
                return 1;
            }
            break;
        case 'r':
            if (!parse_size(optarg, &n) || !n || n > BENCH_MAX_ROUNDS) {
                return bench_usage("--rounds: '%s' is not 1 to 9", optarg);
            }
            o->rounds = (unsigned int)n;
            break;
        case 'j':
            o->json = true;
            break;
        default:
            return bench_usage("%sbad option", "");
        }
    }
    if (optind < argc) {
        return bench_usage("unexpected '%s'", argv[optind]);
    }
    if (o->want[BW_STAT] || o->want[BW_UNLINK]) {
        o->want[BW_CREATE] = true;
    }
    o->want[BW_STAT] = o->want[BW_UNLINK] = o->want[BW_CREATE];
    o->want[BW_DAX_1M] = o->want[BW_DAX];
    if (!o->rounds) {
        o->rounds = o->compare ? 3 : 1;
    }
    return 0;
}

/* --- the run ------------------------------------------------------------- */

static void be_name(struct bench_be *be, const char *cmd)
{
    const char *p = cmd, *start, *slash;
    size_t len;

    while (*p == ' ' || *p == '\'' || *p == '"') {
        p++;
    }
    start = p;
    while (*p && *p != ' ' && *p != '\'' && *p != '"') {
        p++;
    }
    for (slash = start; slash < p; slash++) {
        if (*slash == '/') {
            start = slash + 1;
        }
    }
    len = (size_t)(p - start);
    if (!len) {
        start = "backend";
        len = 7;
    }
    snprintf(be->name, sizeof(be->name), "%.*s", (int)len, start);
    be->cmd = cmd;
}

/* Workload @wl of round @r on backend @e (the client's pread loop: @e 0,
 * no backend).  Returns 0 or -1 after printing why. */
static int run_one(struct bench *b, struct bench_be *be, unsigned int e,
                   unsigned int r, unsigned int wl)
{
    struct bench_result *res = &b->res[e][r][wl];

    snprintf(b->progress, sizeof(b->progress), "round %u/%u %s", r + 1,
             b->o.rounds, wl == BW_PREAD ? "client" : be[e].name);
    memset(res, 0, sizeof(*res) * (wl == BW_CREATE ? 3 : wl == BW_DAX ? 2 : 1));
    b->rng = 0x9e3779b97f4a7c15ull + r * 7919u + wl;
    if (bench_run(b, wl == BW_PREAD ? NULL : &be[e], (enum bench_wl)wl, res) <
        0) {
        return -1;
    }
    bench_progress(b, bench_wl_name[wl], res->ops,
                   bench_now_ns() - (uint64_t)(res->seconds * 1e9), true);
    if (wl != BW_PREAD && !vfc_vmm_backend_alive(be[e].v)) {
        fprintf(stderr, "vhostfs-client: bench: %s has exited\n", be[e].name);
        return -1;
    }
    return 0;
}

/*
 * Every workload, round after round, A B A B.  The client's pread loop,
 * the baseline of seqread-1m, runs in each round of seqread-1m right
 * after the backends, so that both see the same conditions.
 */
static int run_all(struct bench *b, struct bench_be *be, unsigned int nbe)
{
    bool pread_with_seq = b->o.want[BW_SEQREAD] && b->o.want[BW_PREAD];
    unsigned int wl, r, e;
    int rc = 0;

    for (wl = 0; wl < BW_COUNT && rc == 0; wl++) {
        if (!b->o.want[wl] || wl == BW_STAT || wl == BW_UNLINK ||
            wl == BW_DAX_1M || (wl == BW_PREAD && pread_with_seq)) {
            continue;
        }
        for (r = 0; r < b->o.rounds && rc == 0; r++) {
            for (e = 0; e < (wl == BW_PREAD ? 1 : nbe) && rc == 0; e++) {
                rc = run_one(b, be, e, r, wl);
            }
            if (rc == 0 && wl == BW_SEQREAD && pread_with_seq) {
                rc = run_one(b, be, 0, r, BW_PREAD);
            }
        }
    }
    if (b->o.progress_tty) {
        fputc('\n', stderr);
    }
    return rc;
}

int vfc_cmd_bench(struct vfc_vmm *v, int argc, char **argv)
{
    static struct bench b;
    struct bench_be be[2];
    struct vfc_opts opts_b;
    struct vfc_vmm vb;
    bool vb_started = false;
    unsigned int nbe = 1, k;
    int status = 1;

    memset(&b, 0, sizeof(b));
    memset(be, 0, sizeof(be));
    if (parse_opts(&b.o, argc, argv)) {
        return 1;
    }
    b.dir = v->opts->dir;
    b.lat_cap = BENCH_LAT_CAP;
    b.lat = malloc(b.lat_cap * sizeof(*b.lat));
    /* Page-aligned, as a guest's page cache is (and dd's buffer). */
    b.buf = aligned_alloc(4096, BENCH_SEQ_SIZE);
    b.pat = malloc(BENCH_SEQ_SIZE);
    b.meta_cap = b.o.files;
    b.meta_nodes = malloc(b.meta_cap * sizeof(*b.meta_nodes));
    b.vrng = 0x2545f4914f6cdd1dull;
    if (!b.lat || !b.buf || !b.pat || !b.meta_nodes) {
        fprintf(stderr, "vhostfs-client: bench: out of memory\n");
        goto out;
    }
    be[0].v = v;
    be_name(&be[0],
            v->opts->backend_cmd ? v->opts->backend_cmd : v->opts->socket_path);
    if (bench_host_setup(&b) < 0) {
        goto out;
    }
    if (b.o.compare) {
        opts_b = *v->opts;
        opts_b.backend_cmd = b.o.compare;
        opts_b.socket_path = NULL;
        vb_started = true;
        if (vfc_vmm_start(&vb, &opts_b) < 0) {
            goto out;
        }
        be[1].v = &vb;
        be_name(&be[1], b.o.compare);
        if (strcmp(be[0].name, be[1].name) == 0) {
            strcat(be[0].name, "-A");
            strcat(be[1].name, "-B");
        }
        nbe = 2;
    }
    for (k = 0; k < nbe; k++) {
        if (bench_session(&b, &be[k]) < 0) {
            goto out;
        }
    }
    /* What was measured before a failure is still worth reading. */
    status = run_all(&b, be, nbe) == 0 ? 0 : 1;
    bench_report(&b, be, nbe, argc, argv);
    for (k = 0; k < nbe; k++) {
        bench_session_end(&b, &be[k]);
    }
out:
    if (vb_started) {
        vb.failed = status != 0;
        if (vfc_vmm_stop(&vb) < 0) {
            status = 1;
        }
    }
    bench_host_cleanup(&b);
    free(b.meta_nodes);
    free(b.pat);
    free(b.buf);
    free(b.lat);
    return status;
}
