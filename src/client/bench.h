/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - the bench command's shared state: bench.c parses, runs the
 * rounds (alternating two backends with --compare) and prints; bench-work.c
 * sets up each backend's session and runs the workloads.
 *
 * Memory: everything is allocated once before the first workload (the
 * latency array, the buffers); nothing is allocated while timing.  The
 * data workloads use buffers in each backend's guest memory, allocated
 * once per session and reused by every request, as a guest application
 * doing O_DIRECT reads and writes hands the device its own pages: reply
 * bodies are neither poisoned as a whole nor copied, write payloads are
 * not copied.
 */
#ifndef VHOSTFS_CLIENT_BENCH_H
#define VHOSTFS_CLIENT_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfc.h"

/* Workloads, in the order they run and are printed. */
enum bench_wl {
    BW_SEQREAD,
    BW_SEQWRITE,
    BW_RANDREAD_QD1,
    BW_RANDREAD_QD16,
    BW_RANDWRITE_QD1,
    BW_RANDWRITE_QD16,
    BW_CREATE,
    BW_STAT,
    BW_UNLINK,
    BW_READDIR,
    BW_PREAD,  /* the client's own pread loop: no backend */
    BW_DAX,    /* dax-read: 4 KiB random copies from the DAX window */
    BW_DAX_1M, /* and 1 MiB sequential ones (run with BW_DAX) */
    BW_COUNT,
};

#define BENCH_SEQ_SIZE   (1u << 20)
#define BENCH_RAND_SIZE  4096u
#define BENCH_QD         16u
#define BENCH_META_CAP   (1u << 20) /* files one create phase may make */
#define BENCH_MAX_ROUNDS 9u
#define BENCH_LAT_CAP    (1u << 22) /* latencies kept per workload */
#define BENCH_VFY_PIECE  64u        /* bytes of a reply sampled per piece */
#define BENCH_VFY_EVERY  64u        /* every that many reads: all of it */

/* Options after the command name. */
struct bench_opts {
    double duration;      /* seconds per workload (--duration) */
    uint64_t ops;         /* --ops: ops per workload instead (0: none) */
    uint64_t file_size;   /* --file-size */
    unsigned int entries; /* --dir-entries */
    unsigned int files;   /* --files: most files the create phase makes */
    unsigned int rounds;  /* --rounds */
    const char *compare;  /* --compare 'COMMAND' */
    bool json;            /* --json */
    bool want[BW_COUNT];  /* --workloads */
    bool progress_tty;    /* stderr is a terminal: rewrite one line */
};

/* What one workload measured in one round on one backend. */
struct bench_result {
    bool done;
    uint64_t ops;
    uint64_t bytes; /* payload moved (reads and writes) */
    uint64_t items; /* directory entries (readdir) */
    double seconds;
    double p50_us, p99_us, p999_us, mean_us;
    double cpu_s;      /* backend utime + stime during the workload */
    uint64_t rss_kib;  /* backend's peak RSS (VmHWM) after it */
    uint64_t anon_kib; /* its RssAnon then: RSS less guest memory and
                          other file pages */
};

/* One backend and the nodes and handles the workloads use. */
struct bench_be {
    struct vfc_vmm *v;
    char name[32];
    const char *cmd;
    uint32_t max_write;
    uint64_t sub_node;             /* the bench's directory in the share */
    uint64_t data_node, data_fh;   /* read file */
    uint64_t wdata_node, wdata_fh; /* write file */
    uint64_t meta_node;            /* metadata directory */
    uint64_t big_node;             /* directory of many entries */
    bool map_alignment_ok;         /* INIT gave FUSE_MAP_ALIGNMENT <= 2 MiB */
    struct bench_dax *dax;         /* bench-dax.c's window; it frees it */
    const char *dax_why;           /* dax-read not measured: why (static) */
    /* Guest buffers of the data workloads, below the heap's floor for
     * the whole session (bench_session()), and this process's view. */
    uint64_t rd_gpa, wr_gpa;     /* 1 MiB: read body, write payload */
    uint8_t *rd, *wr;            /* wr holds the file pattern */
    uint64_t rd4k_gpa[BENCH_QD]; /* 4 KiB read bodies, one per slot */
    uint8_t *rd4k[BENCH_QD];
};

/* The run: options, host paths, buffers and a random state. */
struct bench {
    struct bench_opts o;
    const char *dir; /* --dir */
    char sub[64];    /* "vfc-bench.PID" */
    char hsub[4096]; /* its host path */
    uint64_t *lat;   /* per-op latencies, ns */
    size_t lat_cap;
    uint8_t *buf; /* 1 MiB scratch: pread, READDIR and DAX copies */
    uint8_t *pat; /* 1 MiB: every 1 MiB block of the files holds it */
    uint64_t rng;
    uint64_t vrng;        /* where the sampled piece of a reply lies */
    uint64_t nreads;      /* replies checked: every BENCH_VFY_EVERY, all */
    uint64_t untimed_ns;  /* full checks, left out of what is measured */
    uint64_t *meta_nodes; /* node ids of the files CREATE made */
    size_t meta_cap, meta_n;
    uint64_t last_i;   /* operations the last QD1 loop ran */
    char progress[96]; /* "round 1/3 vhostfsd" */
    /* [backend][round][workload]: backend 0 is A (and the client's
     * pread loop), 1 is B */
    struct bench_result res[2][BENCH_MAX_ROUNDS][BW_COUNT];
};

extern const char *const bench_wl_name[BW_COUNT];

/**
 * bench_host_setup() - make the bench's directory in --dir on the host:
 * the read and write files of file_size bytes and, when readdir runs, a
 * directory of @entries empty files.  Returns 0 or -errno (printed).
 */
int bench_host_setup(struct bench *b);

/** bench_host_cleanup() - remove what bench_host_setup() made. */
void bench_host_cleanup(struct bench *b);

/**
 * bench_session() - FUSE INIT with @be's backend, then look up and open
 * the files bench_host_setup() made.  Returns 0 or -1 after printing why.
 */
int bench_session(struct bench *b, struct bench_be *be);

/** bench_session_end() - release the handles bench_session() opened. */
void bench_session_end(struct bench *b, struct bench_be *be);

/**
 * bench_run() - run workload @wl (a backend one, or BW_PREAD with @be
 * NULL) and fill @res.  The metadata workloads run together when
 * BW_CREATE is asked for: @res must then point at three results (create,
 * stat, unlink).  Returns 0 or -1 after printing why.
 */
int bench_run(struct bench *b, struct bench_be *be, enum bench_wl wl,
              struct bench_result *res);

/** bench_now_ns() - CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/** bench_progress() - the progress line (stderr), at most 4 times a s. */
void bench_progress(struct bench *b, const char *wl, uint64_t ops, uint64_t t0,
                    bool force);

/**
 * bench_proc_usage() - CPU seconds (utime + stime) of the process group
 * @pgid, the largest VmHWM (KiB) among its processes and that process's
 * RssAnon (KiB).  VmHWM counts the pages of the shared guest memory the
 * backend touched; RssAnon does not.
 */
void bench_proc_usage(pid_t pgid, double *cpu_s, uint64_t *hwm_kib,
                      uint64_t *anon_kib);

/**
 * bench_report() - print the results (the median round of each workload,
 * and the ratios A/B with two backends) as text, or as JSON with --json.
 */
void bench_report(const struct bench *b, const struct bench_be *be,
                  unsigned int nbe, int argc, char **argv);

/* --- bench-work.c: requests and loops (bench-files.c uses them) --- */

/**
 * bench_call() - send one request and wait; the reply body goes to @out.
 * Returns the body length, or -1 after printing why (an error reply too).
 */
int bench_call(struct bench_be *be, const char *op, uint32_t opcode,
               uint64_t nodeid, const void *a0, uint32_t l0, const void *a1,
               uint32_t l1, void *out, uint32_t out_size);

/** bench_lookup() - LOOKUP @name in @parent: the node id, 0 on error. */
uint64_t bench_lookup(struct bench_be *be, uint64_t parent, const char *name);

/** bench_forget() - FORGET @n lookups of @node (hiprio, no reply). */
void bench_forget(struct bench_be *be, uint64_t node, uint64_t n);

/** bench_open() - OPEN or OPENDIR (@opcode) @node; 0 or -1. */
int bench_open(struct bench_be *be, uint64_t node, uint32_t opcode,
               uint32_t flags, uint64_t *fh);

/** bench_release() - RELEASE or RELEASEDIR (@opcode) handle @fh. */
void bench_release(struct bench_be *be, uint64_t node, uint32_t opcode,
                   uint64_t fh);

/** bench_rnd() - the next pseudo-random number (b->rng). */
uint64_t bench_rnd(struct bench *b);

/** bench_seq_size() - a sequential request's size: 1 MiB, or less when
 *  the backend's max_write or the file is smaller (@be may be NULL). */
uint32_t bench_seq_size(const struct bench *b, const struct bench_be *be);

/** bench_over() - true when @n ops or the time since @t0 reach @frac of
 *  --ops or --duration. */
bool bench_over(const struct bench *b, uint64_t n, uint64_t t0, uint64_t now,
                double frac);

/** bench_finish() - sort the first @n latencies and fill @res's figures
 *  for a measured part from @t0 to @t1. */
void bench_finish(struct bench *b, struct bench_result *res, size_t n,
                  uint64_t t0, uint64_t t1);

/*
 * One operation of a workload: @i counts from 0 (warm-up included).
 * Returns 1 when done, 0 when there is nothing left (unlink), -1 on error.
 * @bytes and @items count what it moved.
 */
typedef int (*bench_op_fn)(struct bench *b, struct bench_be *be, uint64_t i,
                           uint64_t *bytes, uint64_t *items);

/**
 * bench_loop_qd1() - run @fn one request at a time: a warm-up (with
 * @warm), then the measured part; with @all until @fn returns 0.
 * b->last_i is then the number of operations run.  Returns 0 or -1.
 */
int bench_loop_qd1(struct bench *b, struct bench_be *be, const char *wl,
                   bench_op_fn fn, bool warm, bool all,
                   struct bench_result *res);

/* --- bench-files.c --- */

/** bench_run_meta() - create, stat (LOOKUP), unlink: @res[0..2]. */
int bench_run_meta(struct bench *b, struct bench_be *be,
                   struct bench_result *res);

/** bench_op_readdir() - one listing of the large directory (an op). */
int bench_op_readdir(struct bench *b, struct bench_be *be, uint64_t i,
                     uint64_t *bytes, uint64_t *items);

/** bench_run_pread() - the client's pread loop over the read file. */
int bench_run_pread(struct bench *b, struct bench_result *res);

/* --- bench-dax.c --- */

/**
 * bench_run_dax() - dax-read: @res[0] the 4 KiB random copies, @res[1]
 * the 1 MiB sequential ones.  The first call sets up the window and maps
 * the read file; without DAX it sets be->dax_why, measures nothing and
 * returns 0.  Returns 0 or -1 after printing why.
 */
int bench_run_dax(struct bench *b, struct bench_be *be,
                  struct bench_result *res);

/** bench_dax_end() - unmap and free what bench_run_dax() set up. */
void bench_dax_end(struct bench_be *be);

/** vfc_cmd_bench() - the bench command (main.c's table). */
int vfc_cmd_bench(struct vfc_vmm *v, int argc, char **argv);

#endif /* VHOSTFS_CLIENT_BENCH_H */
