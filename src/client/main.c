/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - vhostfs-client: command line and dispatch to the commands.
 *
 *   vhostfs-client [OPTIONS] COMMAND [ARGS]
 *
 * The client plays VMM and guest driver against a vhost-user-fs backend
 * (vfc.h).  Exit status: 0 when everything the command checked passed,
 * 1 otherwise or on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "vfc.h"

struct vfc_cmd {
    const char *name;
    const char *summary;
    bool needs_dir; /* checks results against --dir */
    int (*run)(struct vfc_vmm *v, int argc, char **argv);
};

static const struct vfc_cmd cmds[] = {
    {"check", "every FUSE operation, results checked against --dir", true,
     vfc_cmd_check},
    {"hostile", "malformed requests: each refused, the backend unharmed", true,
     vfc_cmd_hostile},
    {"reinit", "[N] N guest sessions, a device reset between (3)", true,
     vfc_cmd_reinit},
    {"bench", "throughput, latency, CPU time and RSS of workloads", true,
     vfc_cmd_bench},
    {"dax", "file ranges mapped into a cache window [--window=SIZE]", true,
     vfc_cmd_dax},
};

static void usage(FILE *f)
{
    unsigned int i;

    fputs("Usage: vhostfs-client [OPTIONS] COMMAND\n"
          "\n"
          "Plays VMM and guest driver against a vhost-user-fs backend through "
          "its\nsocket: guest memory in a memfd, split or packed rings, FUSE "
          "INIT, then\nthe command.\n"
          "\n"
          "Backend (exactly one):\n"
          "  --socket PATH          connect to a backend listening on PATH\n"
          "  --backend 'COMMAND'    start one with /bin/sh -c; {sock} and {dir}"
          " in\n"
          "                         COMMAND become a fresh socket path and "
          "--dir\n"
          "                         (shell-quoted); its output is shown if it "
          "fails\n"
          "\n"
          "Options:\n"
          "  --dir DIR              the shared directory, as the host sees it;"
          " the\n"
          "                         client checks results against it\n"
          "  --ring split|packed    virtqueue layout (default split); packed "
          "needs\n"
          "                         the backend to offer VIRTIO_F_RING_PACKED\n"
          "  --dax-protocol shmem|fs-cache\n"
          "                         backend request dialect for DAX mappings:"
          "\n"
          "                         SHMEM_MAP/UNMAP (upstream) or FS_MAP/"
          "UNMAP\n"
          "                         (default shmem)\n"
          "  --timeout SECONDS      longest wait for the backend to listen and"
          " for\n"
          "                         each reply (default 10)\n"
          "  --poll-us USEC         wait for a reply as a KVM vCPU halts: poll"
          " the\n"
          "                         used ring this long, then sleep on the "
          "call\n"
          "                         eventfd (default 200, KVM's halt_poll_ns;"
          " 0:\n"
          "                         sleep at once)\n"
          "  -v, --verbose          say what was negotiated\n"
          "  -h, --help             this text\n"
          "\n"
          "Commands:\n",
          f);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        fprintf(f, "  %-22s %s\n", cmds[i].name, cmds[i].summary);
    }
    fputs("\nExit status: 0 when everything checked passed, 1 otherwise.\n", f);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("vhostfs-client: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see --help)\n", stderr);
    return 1;
}

enum {
    OPT_SOCKET = 256,
    OPT_BACKEND,
    OPT_DIR,
    OPT_RING,
    OPT_DAX_PROTOCOL,
    OPT_TIMEOUT,
    OPT_POLL_US,
};

static const struct option long_opts[] = {
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"dir", required_argument, NULL, OPT_DIR},
    {"ring", required_argument, NULL, OPT_RING},
    {"dax-protocol", required_argument, NULL, OPT_DAX_PROTOCOL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"poll-us", required_argument, NULL, OPT_POLL_US},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A whole decimal number in [min, max] into *@out: 0, or -1. */
static int parse_int(const char *arg, long min, long max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse(int argc, char **argv, struct vfc_opts *o)
{
    int c, n;

    *o = (struct vfc_opts){
        .layout = VQ_LAYOUT_SPLIT,
        .dax_protocol = VHU_DIALECT_UPSTREAM,
        .timeout_ms = 10000,
        .poll_us = VFC_POLL_US_DEFAULT,
    };
    /* "+": options end at the command; the command parses the rest. */
    while ((c = getopt_long(argc, argv, "+vh", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_SOCKET:
            o->socket_path = optarg;
            break;
        case OPT_BACKEND:
            o->backend_cmd = optarg;
            break;
        case OPT_DIR:
            o->dir = optarg;
            break;
        case OPT_RING:
            if (strcmp(optarg, "split") == 0) {
                o->layout = VQ_LAYOUT_SPLIT;
            } else if (strcmp(optarg, "packed") == 0) {
                o->layout = VQ_LAYOUT_PACKED;
            } else {
                return bad_usage("--ring: '%s' is not split or packed", optarg);
            }
            break;
        case OPT_DAX_PROTOCOL:
            if (strcmp(optarg, "shmem") == 0) {
                o->dax_protocol = VHU_DIALECT_UPSTREAM;
            } else if (strcmp(optarg, "fs-cache") == 0) {
                o->dax_protocol = VHU_DIALECT_FS_CACHE;
            } else {
                return bad_usage("--dax-protocol: '%s' is not shmem or "
                                 "fs-cache",
                                 optarg);
            }
            break;
        case OPT_TIMEOUT:
            if (parse_int(optarg, 1, 3600, &n) < 0) {
                return bad_usage("--timeout: '%s' is not a number of "
                                 "seconds from 1 to 3600",
                                 optarg);
            }
            o->timeout_ms = n * 1000;
            break;
        case OPT_POLL_US:
            if (parse_int(optarg, 0, 1000000, &n) < 0) {
                return bad_usage("--poll-us: '%s' is not a number of "
                                 "microseconds from 0 to 1000000",
                                 optarg);
            }
            o->poll_us = n;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return 1; /* getopt said why */
        }
    }
    if (!o->socket_path == !o->backend_cmd) {
        return bad_usage("%sgive exactly one of --socket and --backend", "");
    }
    if (o->dir) {
        struct stat st;

        if (stat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            return bad_usage("--dir: '%s' is not a directory", o->dir);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct vfc_cmd *cmd = NULL;
    struct vfc_opts opts;
    struct vfc_vmm vmm;
    unsigned int i;
    int rc, status;

    if (parse(argc, argv, &opts) != 0) {
        return 1;
    }
    if (optind >= argc) {
        return bad_usage("%sno command", "");
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[optind], cmds[i].name) == 0) {
            cmd = &cmds[i];
        }
    }
    if (!cmd) {
        return bad_usage("unknown command '%s'", argv[optind]);
    }
    if (cmd->needs_dir && !opts.dir) {
        return bad_usage("%s needs --dir", cmd->name);
    }
    /* A backend that hangs up is an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* bench measures DAX reads when the backend offers them */
    opts.dax = cmd->run == vfc_cmd_dax || cmd->run == vfc_cmd_bench;
    rc = vfc_vmm_start(&vmm, &opts);
    status = rc < 0 ? 1 : cmd->run(&vmm, argc - optind, argv + optind);
    vmm.failed = status != 0;
    if (vfc_vmm_stop(&vmm) < 0) {
        status = 1;
    }
    return status;
}
