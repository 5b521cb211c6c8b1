/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-report.c - vhostfs-client bench: the results as a table, or as
 * JSON (--json).  For each backend and workload the round with the median
 * ops/s is reported; ratios are A/B (above 1: A does more per second, or
 * A's latency, CPU per operation or RSS is the larger).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static double ops_s(const struct bench_result *r)
{
    return r->seconds > 0 ? (double)r->ops / r->seconds : 0;
}

static double mb_s(const struct bench_result *r)
{
    return r->seconds > 0 ? (double)r->bytes / r->seconds / 1e6 : 0;
}

static double items_s(const struct bench_result *r)
{
    return r->seconds > 0 ? (double)r->items / r->seconds : 0;
}

static double cpu_us_op(const struct bench_result *r)
{
    return r->ops ? r->cpu_s * 1e6 / (double)r->ops : 0;
}

/* The round with the median ops/s of backend @e's workload @wl. */
static const struct bench_result *median(const struct bench *b, unsigned e,
                                         unsigned wl)
{
    const struct bench_result *r[BENCH_MAX_ROUNDS];
    unsigned int i, j, n = 0;

    for (i = 0; i < b->o.rounds; i++) {
        if (b->res[e][i][wl].done) {
            r[n++] = &b->res[e][i][wl];
        }
    }
    if (!n) {
        return NULL;
    }
    for (i = 1; i < n; i++) {
        for (j = i; j > 0 && ops_s(r[j - 1]) > ops_s(r[j]); j--) {
            const struct bench_result *t = r[j];

            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    }
    return r[(n - 1) / 2];
}

static bool has_backend(unsigned int wl)
{
    return wl != BW_PREAD;
}

/* @a / @b of two results' ops/s, 0 when either is missing. */
static double ratio_of(const struct bench_result *a,
                       const struct bench_result *b)
{
    return a && b && ops_s(b) > 0 ? ops_s(a) / ops_s(b) : 0;
}

/* --- JSON ---------------------------------------------------------------- */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void json_num(const char *key, double v, bool last)
{
    printf("\"%s\": %.6g%s", key, v, last ? "" : ", ");
}

static void json_ratio(const char *key, double a, double b, bool last)
{
    if (b > 0) {
        json_num(key, a / b, last);
    } else {
        printf("\"%s\": null%s", key, last ? "" : ", ");
    }
}

static void json_result(const char *key, const struct bench_result *r)
{
    printf("      \"%s\": {", key);
    printf("\"ops\": %llu, ", (unsigned long long)r->ops);
    json_num("seconds", r->seconds, false);
    json_num("ops_per_s", ops_s(r), false);
    json_num("mb_per_s", mb_s(r), false);
    json_num("entries_per_s", items_s(r), false);
    json_num("p50_us", r->p50_us, false);
    json_num("p99_us", r->p99_us, false);
    json_num("p999_us", r->p999_us, false);
    json_num("mean_us", r->mean_us, false);
    json_num("cpu_s", r->cpu_s, false);
    json_num("cpu_us_per_op", cpu_us_op(r), false);
    printf("\"peak_rss_kib\": %llu, \"rss_anon_kib\": %llu}",
           (unsigned long long)r->rss_kib, (unsigned long long)r->anon_kib);
}

/* dax-read: per backend the two results and the ratios to the same
 * backend's non-DAX reads, or why it was not measured. */
static void json_dax(const struct bench *b, const struct bench_be *be,
                     unsigned int nbe)
{
    static const char *const key[2] = {"a", "b"};
    unsigned int e;

    printf("    \"%s\": {\n", bench_wl_name[BW_DAX]);
    for (e = 0; e < nbe; e++) {
        const struct bench_result *r4 = median(b, e, BW_DAX);
        const struct bench_result *r1 = median(b, e, BW_DAX_1M);

        printf("      \"%s\": {", key[e]);
        if (!r4 || !r1) {
            printf("\"skipped\": ");
            json_str(be[e].dax_why ? be[e].dax_why : "not run");
            printf("}%s\n", e + 1 < nbe ? "," : "");
            continue;
        }
        printf("\n  ");
        json_result("4k", r4);
        printf(",\n  ");
        json_result("1m", r1);
        printf(",\n        ");
        json_num("ratio_to_randread_4k_qd1",
                 ratio_of(r4, median(b, e, BW_RANDREAD_QD1)), false);
        json_num("ratio_to_seqread_1m", ratio_of(r1, median(b, e, BW_SEQREAD)),
                 true);
        printf("}%s\n", e + 1 < nbe ? "," : "");
    }
    printf("    }");
}

static void report_json(const struct bench *b, const struct bench_be *be,
                        unsigned int nbe, int argc, char **argv)
{
    static const char *const key[2] = {"a", "b"};
    const struct bench_result *pr = median(b, 0, BW_PREAD);
    unsigned int wl, e;
    bool first = true;
    int i;

    printf("{\n  \"arguments\": [");
    for (i = 0; i < argc; i++) {
        printf("%s", i ? ", " : "");
        json_str(argv[i]);
    }
    printf("],\n");
    printf("  \"duration_s\": %.6g, \"ops\": %llu, \"file_size\": %llu, "
           "\"dir_entries\": %u, \"rounds\": %u,\n",
           b->o.ops ? 0 : b->o.duration, (unsigned long long)b->o.ops,
           (unsigned long long)b->o.file_size, b->o.entries, b->o.rounds);
    printf("  \"backends\": {");
    for (e = 0; e < nbe; e++) {
        printf("%s\"%s\": {\"name\": ", e ? ", " : "", key[e]);
        json_str(be[e].name);
        printf(", \"command\": ");
        json_str(be[e].cmd ? be[e].cmd : "");
        putchar('}');
    }
    printf("},\n  \"workloads\": {\n");
    for (wl = 0; wl < BW_COUNT; wl++) {
        const struct bench_result *r[2] = {NULL, NULL};

        if (wl == BW_DAX_1M) {
            continue;
        }
        if (wl == BW_DAX) {
            if (b->o.want[wl]) {
                printf("%s", first ? "" : ",\n");
                json_dax(b, be, nbe);
                first = false;
            }
            continue;
        }
        if (!b->o.want[wl] || !median(b, 0, wl)) {
            continue;
        }
        printf("%s    \"%s\": {\n", first ? "" : ",\n", bench_wl_name[wl]);
        first = false;
        if (!has_backend(wl)) {
            json_result("client", median(b, 0, wl));
            printf("\n    }");
            continue;
        }
        for (e = 0; e < nbe; e++) {
            r[e] = median(b, e, wl);
            json_result(key[e], r[e]);
            printf("%s\n", e + 1 < nbe ? "," : "");
        }
        if (nbe == 2 && r[1]) {
            printf("      ,\"ratio\": {");
            json_ratio("ops_per_s", ops_s(r[0]), ops_s(r[1]), false);
            json_ratio("p50_us", r[0]->p50_us, r[1]->p50_us, false);
            json_ratio("p99_us", r[0]->p99_us, r[1]->p99_us, false);
            json_ratio("cpu_us_per_op", cpu_us_op(r[0]), cpu_us_op(r[1]),
                       false);
            json_ratio("peak_rss_kib", (double)r[0]->rss_kib,
                       (double)r[1]->rss_kib, false);
            json_ratio("rss_anon_kib", (double)r[0]->anon_kib,
                       (double)r[1]->anon_kib, true);
            printf("}\n");
        }
        printf("    }");
    }
    printf("\n  },\n  \"cached_read_percent_of_pread\": {");
    for (e = 0; e < nbe; e++) {
        const struct bench_result *r = median(b, e, BW_SEQREAD);

        if (pr && r && mb_s(pr) > 0) {
            printf("%s\"%s\": %.6g", e ? ", " : "", key[e],
                   100.0 * mb_s(r) / mb_s(pr));
        } else {
            printf("%s\"%s\": null", e ? ", " : "", key[e]);
        }
    }
    printf("}\n}\n");
}

/* --- text ------------------------------------------------------------------
 */

static void text_row(const char *wl, const char *who,
                     const struct bench_result *r)
{
    printf("%-18s %-10s %10.0f %9.1f %9.1f %9.1f %9.1f %9.1f %8.1f %8.1f\n", wl,
           who, ops_s(r), mb_s(r), r->p50_us, r->p99_us, r->p999_us,
           cpu_us_op(r), (double)r->rss_kib / 1024.0,
           (double)r->anon_kib / 1024.0);
}

static void ratio_cell(double a, double b)
{
    if (b > 0) {
        printf(" %8.2fx", a / b);
    } else {
        printf(" %9s", "-");
    }
}

static void text_dax(const struct bench *b, const struct bench_be *be,
                     unsigned int nbe)
{
    unsigned int e;

    for (e = 0; e < nbe; e++) {
        const struct bench_result *r4 = median(b, e, BW_DAX);
        const struct bench_result *r1 = median(b, e, BW_DAX_1M);
        const struct bench_result *n4 = median(b, e, BW_RANDREAD_QD1);
        const struct bench_result *n1 = median(b, e, BW_SEQREAD);

        if (!r4 || !r1) {
            printf("%s: not measured: %s (%s)\n", bench_wl_name[BW_DAX],
                   be[e].dax_why ? be[e].dax_why : "not run", be[e].name);
            continue;
        }
        text_row("dax-read-4k", be[e].name, r4);
        text_row("dax-read-1m", be[e].name, r1);
        if (n4) {
            printf("# dax-read-4k, %s: %.2fx randread-4k-qd1\n", be[e].name,
                   ratio_of(r4, n4));
        }
        if (n1) {
            printf("# dax-read-1m, %s: %.2fx seqread-1m\n", be[e].name,
                   ratio_of(r1, n1));
        }
    }
}

static void report_text(const struct bench *b, const struct bench_be *be,
                        unsigned int nbe)
{
    const struct bench_result *pr = median(b, 0, BW_PREAD);
    unsigned int wl, e;

    printf("# vhostfs-client bench: %s%s%s; %u round(s), median shown; ",
           be[0].name, nbe == 2 ? " (A) vs " : "", nbe == 2 ? be[1].name : "",
           b->o.rounds);
    if (b->o.ops) {
        printf("%llu ops", (unsigned long long)b->o.ops);
    } else {
        printf("%g s", b->o.duration);
    }
    printf(" per workload; file %llu MiB; %u directory entries\n",
           (unsigned long long)(b->o.file_size >> 20), b->o.entries);
    printf("%-18s %-10s %10s %9s %9s %9s %9s %9s %8s %8s\n", "workload",
           "backend", "ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us",
           "cpu us/op", "rss MiB", "anon MiB");
    for (wl = 0; wl < BW_COUNT; wl++) {
        const struct bench_result *r[2] = {NULL, NULL};

        if (wl == BW_DAX_1M) {
            continue;
        }
        if (wl == BW_DAX) {
            if (b->o.want[wl]) {
                text_dax(b, be, nbe);
            }
            continue;
        }
        if (!b->o.want[wl] || !median(b, 0, wl)) {
            continue;
        }
        if (!has_backend(wl)) {
            text_row(bench_wl_name[wl], "client", median(b, 0, wl));
            continue;
        }
        for (e = 0; e < nbe; e++) {
            r[e] = median(b, e, wl);
            text_row(bench_wl_name[wl], be[e].name, r[e]);
            if (wl == BW_READDIR) {
                printf("%-18s %-10s %10.0f entries/s\n", "", "", items_s(r[e]));
            }
        }
        if (nbe == 2 && r[1]) {
            printf("%-18s %-10s", bench_wl_name[wl], "A/B");
            ratio_cell(ops_s(r[0]), ops_s(r[1]));
            ratio_cell(mb_s(r[0]), mb_s(r[1]));
            ratio_cell(r[0]->p50_us, r[1]->p50_us);
            ratio_cell(r[0]->p99_us, r[1]->p99_us);
            ratio_cell(r[0]->p999_us, r[1]->p999_us);
            ratio_cell(cpu_us_op(r[0]), cpu_us_op(r[1]));
            ratio_cell((double)r[0]->rss_kib, (double)r[1]->rss_kib);
            ratio_cell((double)r[0]->anon_kib, (double)r[1]->anon_kib);
            putchar('\n');
        }
    }
    for (e = 0; e < nbe && pr && mb_s(pr) > 0; e++) {
        const struct bench_result *r = median(b, e, BW_SEQREAD);

        if (r) {
            printf("# cached 1 MiB reads, %s: %.1f %% of the client's "
                   "pread loop\n",
                   be[e].name, 100.0 * mb_s(r) / mb_s(pr));
        }
    }
}

void bench_report(const struct bench *b, const struct bench_be *be,
                  unsigned int nbe, int argc, char **argv)
{
    if (b->o.json) {
        report_json(b, be, nbe, argc, argv);
    } else {
        report_text(b, be, nbe);
    }
}
