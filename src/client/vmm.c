/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmm.c - vhostfs-client, the VMM part: start or connect to the backend,
 * negotiate, share guest memory, set up the queues, tear down.
 *
 * Security model: the backend is not trusted.  Its replies on the socket
 * are checked by the frontend role (vhu-frontend.h); what it writes into
 * guest memory is checked by the driver side and by fuse.c.  A backend
 * that dies or hangs is reported with its log, never waited on forever.
 *
 * Guest memory map (one memfd, guest-physical 0, VFC_MEM_SIZE bytes):
 *   0x00000 + 64 KiB * q    ring of queue q
 *   0x20000 + 128 KiB * q   indirect tables of queue q (when negotiated)
 *   VFC_HEAP_START ..       request and reply buffers (fuse.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ring.h>

#include "vfc.h"
#include "vhu-conn.h"
#include "vhu-error.h"

/* A VMM virtual address for gpa 0: any value works, the backend only
 * uses it to translate SET_VRING_ADDR. */
#define VFC_MEM_UADDR 0x7e0000000000ull

#define RING_AREA     0x10000ull
#define INDIRECT_BASE 0x20000ull

/* Protocol features the client uses when offered. */
#define VFC_PF_WANTED                                                          \
    (VHU_PF_BIT(VHU_PF_MQ) | VHU_PF_BIT(VHU_PF_REPLY_ACK) |                    \
     VHU_PF_BIT(VHU_PF_CONFIG) | VHU_PF_BIT(VHU_PF_RESET_DEVICE))
/* With the dax command: the channel the backend sends its mappings on. */
#define VFC_PF_DAX                                                             \
    (VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_BACKEND_SEND_FD) |     \
     VHU_PF_BIT(VHU_PF_SHMEM))

static void vmm_err(int rc, const char *what)
{
    char buf[160];

    fprintf(stderr, "vhostfs-client: %s: %s\n", what,
            vhu_strerror(rc, buf, sizeof(buf)));
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the backend process ------------------------------------------------ */

/* Append @s to @out (size @cap, used *@n) in single quotes for sh. */
static int append_quoted(char *out, size_t cap, size_t *n, const char *s)
{
    const char *p;

    for (p = "'"; *p || *s;) {
        const char *piece;
        size_t len;

        if (*p) {
            piece = p;
            len = strlen(p);
            p = "";
        } else if (*s == '\'') {
            piece = "'\\''";
            len = 4;
            s++;
        } else {
            piece = s++;
            len = 1;
        }
        if (len >= cap - *n) {
            return -ENAMETOOLONG;
        }
        memcpy(out + *n, piece, len);
        *n += len;
    }
    if (2 > cap - *n) {
        return -ENAMETOOLONG;
    }
    out[(*n)++] = '\'';
    out[*n] = '\0';
    return 0;
}

/* The backend command with {sock} and {dir} replaced, shell-quoted. */
static int substitute(const char *cmd, const char *sock, const char *dir,
                      char *out, size_t cap)
{
    size_t n = 0;
    int rc;

    while (*cmd) {
        if (strncmp(cmd, "{sock}", 6) == 0) {
            rc = append_quoted(out, cap, &n, sock);
            cmd += 6;
        } else if (strncmp(cmd, "{dir}", 5) == 0) {
            if (!dir) {
                fprintf(stderr, "vhostfs-client: --backend uses {dir}: "
                                "give --dir\n");
                return -EINVAL;
            }
            rc = append_quoted(out, cap, &n, dir);
            cmd += 5;
        } else if (n + 1 < cap) {
            out[n++] = *cmd++;
            rc = 0;
        } else {
            rc = -ENAMETOOLONG;
        }
        if (rc < 0) {
            if (rc == -ENAMETOOLONG) {
                fprintf(stderr, "vhostfs-client: --backend: command too "
                                "long\n");
            }
            return rc;
        }
    }
    out[n] = '\0';
    return 0;
}

void vfc_vmm_print_backend_log(const struct vfc_vmm *v)
{
    char buf[4096];
    ssize_t n;
    int fd;

    if (!v->log_path[0]) {
        return;
    }
    fd = open(v->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    if (lseek(fd, 0, SEEK_END) <= 0) {
        fprintf(stderr, "vhostfs-client: the backend wrote nothing\n");
        close(fd);
        return;
    }
    lseek(fd, 0, SEEK_SET);
    fprintf(stderr, "vhostfs-client: backend output:\n");
    fflush(stderr);
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (write(STDERR_FILENO, buf, (size_t)n) != n) {
            break;
        }
    }
    close(fd);
}

/* Reap a started backend; true if it has exited (status in *status). */
static bool reap_backend(struct vfc_vmm *v, int *status)
{
    pid_t r;

    if (v->backend_pid <= 0) {
        return true;
    }
    do {
        r = waitpid(v->backend_pid, status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        return false;
    }
    v->backend_pid = 0;
    return true;
}

bool vfc_vmm_backend_alive(struct vfc_vmm *v)
{
    int status = 0;

    if (v->backend_pid <= 0) {
        return v->opts && v->opts->socket_path;
    }
    return !reap_backend(v, &status);
}

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
    } else {
        snprintf(buf, len, "ended (status %#x)", (unsigned int)status);
    }
}

static int spawn_backend(struct vfc_vmm *v, const char *cmdline)
{
    pid_t pid;
    int logfd;

    logfd = open(v->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logfd < 0) {
        fprintf(stderr, "vhostfs-client: %s: %s\n", v->log_path,
                strerror(errno));
        return -errno;
    }
    pid = fork();
    if (pid < 0) {
        int err = errno;

        close(logfd);
        fprintf(stderr, "vhostfs-client: fork: %s\n", strerror(err));
        return -err;
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);

        /* Its own process group, so teardown reaches the children. */
        setpgid(0, 0);
        if (nul >= 0) {
            dup2(nul, STDIN_FILENO);
        }
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    setpgid(pid, pid); /* both sides, whichever runs first */
    v->backend_pid = pid;
    return 0;
}

/* Start --backend and connect to its socket once it listens. */
static int start_backend(struct vfc_vmm *v, int *fd)
{
    const struct vfc_opts *o = v->opts;
    char cmdline[4096];
    int64_t deadline;
    int rc, status = 0;

    strcpy(v->tmpdir, "/tmp/vhostfs-client.XXXXXX");
    if (!mkdtemp(v->tmpdir)) {
        fprintf(stderr, "vhostfs-client: mkdtemp: %s\n", strerror(errno));
        v->tmpdir[0] = '\0';
        return -errno;
    }
    snprintf(v->sock_path, sizeof(v->sock_path), "%s/vhost-fs.sock", v->tmpdir);
    snprintf(v->log_path, sizeof(v->log_path), "%s/backend.log", v->tmpdir);
    rc = substitute(o->backend_cmd, v->sock_path, o->dir, cmdline,
                    sizeof(cmdline));
    if (rc < 0) {
        return rc;
    }
    if (o->verbose) {
        fprintf(stderr, "vhostfs-client: starting: %s\n", cmdline);
    }
    rc = spawn_backend(v, cmdline);
    if (rc < 0) {
        return rc;
    }
    deadline = now_ms() + o->timeout_ms;
    for (;;) {
        struct stat st;

        if (stat(v->sock_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
            vhu_connect(v->sock_path, fd) == 0) {
            return 0;
        }
        if (reap_backend(v, &status)) {
            char how[64];

            describe_exit(status, how, sizeof(how));
            fprintf(stderr,
                    "vhostfs-client: the backend %s before listening "
                    "on %s\n",
                    how, v->sock_path);
            vfc_vmm_print_backend_log(v);
            return -ECHILD;
        }
        if (now_ms() > deadline) {
            fprintf(stderr,
                    "vhostfs-client: the backend did not listen on %s "
                    "within %d ms\n",
                    v->sock_path, o->timeout_ms);
            vfc_vmm_print_backend_log(v);
            return -ETIMEDOUT;
        }
        usleep(20000);
    }
}

/* Wait for a started backend to exit after the hang-up; then TERM, KILL. */
static int stop_backend(struct vfc_vmm *v, bool hung_up)
{
    static const int sigs[] = {0, SIGTERM, SIGKILL};
    bool ours = false;
    int status = 0;
    unsigned int i;

    if (v->backend_pid <= 0) {
        return 0;
    }
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        int64_t deadline = now_ms() + (i == 0 ? 5000 : 2000);

        if (sigs[i]) {
            kill(-v->backend_pid, sigs[i]);
            ours = true;
        }
        while (now_ms() < deadline) {
            pid_t pid = v->backend_pid;

            if (reap_backend(v, &status)) {
                /* What it left behind in its group goes too. */
                kill(-pid, SIGKILL);
                goto reaped;
            }
            usleep(10000);
        }
    }
    fprintf(stderr, "vhostfs-client: backend %d does not exit\n",
            (int)v->backend_pid);
    return -1;
reaped:
    if (ours) {
        if (hung_up) {
            fprintf(stderr, "vhostfs-client: the backend did not exit "
                            "after the hang-up; it was stopped\n");
        }
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[64];

        describe_exit(status, how, sizeof(how));
        fprintf(stderr, "vhostfs-client: the backend %s\n", how);
        vfc_vmm_print_backend_log(v);
        return -1;
    }
    return 0;
}

/* --- negotiation --------------------------------------------------------- */

static int negotiate(struct vfc_vmm *v)
{
    const struct vfc_opts *o = v->opts;
    uint64_t offered = 0, want, pf = 0;
    int rc;

    rc = vhu_fe_set_owner(v->fe);
    if (rc < 0) {
        vmm_err(rc, "SET_OWNER");
        return rc;
    }
    rc = vhu_fe_get_features(v->fe, &offered);
    if (rc < 0) {
        vmm_err(rc, "GET_FEATURES");
        return rc;
    }
    if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
        fprintf(stderr, "vhostfs-client: backend does not offer "
                        "VIRTIO_F_VERSION_1\n");
        return -ENOTSUP;
    }
    want = 1ull << VIRTIO_F_VERSION_1;
    want |= offered & ((1ull << VIRTIO_RING_F_EVENT_IDX) |
                       (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                       (1ull << VHU_F_PROTOCOL_FEATURES));
    if (o->layout == VQ_LAYOUT_PACKED) {
        if (!(offered & (1ull << VIRTIO_F_RING_PACKED))) {
            fprintf(stderr,
                    "vhostfs-client: backend does not offer packed rings\n");
            return -ENOTSUP;
        }
        want |= 1ull << VIRTIO_F_RING_PACKED;
    }
    if (offered & (1ull << VHU_F_PROTOCOL_FEATURES)) {
        rc = vhu_fe_get_protocol_features(v->fe, &pf);
        if (rc < 0) {
            vmm_err(rc, "GET_PROTOCOL_FEATURES");
            return rc;
        }
        pf &= VFC_PF_WANTED | (o->dax ? VFC_PF_DAX : 0);
        rc = vhu_fe_set_protocol_features(v->fe, pf);
        if (rc < 0) {
            vmm_err(rc, "SET_PROTOCOL_FEATURES");
            return rc;
        }
    }
    v->protocol_features = pf;
    if (pf & VHU_PF_BIT(VHU_PF_MQ)) {
        uint64_t nq = 0;

        rc = vhu_fe_get_queue_num(v->fe, &nq);
        if (rc < 0) {
            vmm_err(rc, "GET_QUEUE_NUM");
            return rc;
        }
        if (nq < VFC_NUM_QUEUES) {
            fprintf(stderr,
                    "vhostfs-client: backend has %llu queues, needs %u\n",
                    (unsigned long long)nq, VFC_NUM_QUEUES);
            return -ENOTSUP;
        }
    }
    if ((pf & VHU_PF_BIT(VHU_PF_CONFIG)) && o->verbose) {
        struct virtio_fs_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        rc = vhu_fe_get_config(v->fe, 0, sizeof(cfg), 0, &cfg);
        if (rc < 0) {
            vmm_err(rc, "GET_CONFIG");
        } else {
            fprintf(stderr,
                    "vhostfs-client: tag \"%.*s\", %u request "
                    "queue(s)\n",
                    (int)strnlen((const char *)cfg.tag, sizeof(cfg.tag)),
                    (const char *)cfg.tag, cfg.num_request_queues);
        }
    }
    rc = vhu_fe_set_features(v->fe, want);
    if (rc < 0) {
        vmm_err(rc, "SET_FEATURES");
        return rc;
    }
    v->features = want;
    v->indirect = want & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
    if (o->verbose) {
        fprintf(stderr,
                "vhostfs-client: features offered %#llx, set %#llx, "
                "protocol features %#llx\n",
                (unsigned long long)offered, (unsigned long long)want,
                (unsigned long long)pf);
    }
    return 0;
}

/* --- guest memory and queues --------------------------------------------- */

static int share_memory(struct vfc_vmm *v)
{
    struct vhu_mem_region reg = {
        .guest_phys_addr = 0,
        .memory_size = VFC_MEM_SIZE,
        .userspace_addr = VFC_MEM_UADDR,
        .mmap_offset = 0,
    };
    struct vhu_fe_region fer;
    struct gmem_region_info info;
    int memfd, ours, rc;

    memfd = memfd_create("vhostfs-client-guest", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, (off_t)VFC_MEM_SIZE) < 0) {
        rc = -errno;
        fprintf(stderr, "vhostfs-client: guest memory: %s\n", strerror(-rc));
        if (memfd >= 0) {
            close(memfd);
        }
        return rc;
    }
    rc = gmem_new(&v->gm);
    ours = rc < 0 ? -1 : dup(memfd);
    if (rc == 0 && ours < 0) {
        rc = -errno;
    }
    if (rc == 0) {
        rc = gmem_set_table(v->gm, &reg, &ours, 1);
    }
    if (ours >= 0) {
        close(ours);
    }
    if (rc < 0) {
        close(memfd);
        fprintf(stderr, "vhostfs-client: guest memory: %s\n", strerror(-rc));
        return rc;
    }
    v->mem = gmem_get(v->gm);
    gmem_table_region(v->mem, 0, &info);
    v->host = info.host;
    fer = (struct vhu_fe_region){
        .guest_phys_addr = reg.guest_phys_addr,
        .memory_size = reg.memory_size,
        .userspace_addr = reg.userspace_addr,
        .mmap_offset = reg.mmap_offset,
        .fd = memfd,
    };
    rc = vhu_fe_set_mem_table(v->fe, &fer, 1);
    close(memfd);
    if (rc < 0) {
        vmm_err(rc, "SET_MEM_TABLE");
    }
    return rc;
}

static int setup_queue(struct vfc_vmm *v, unsigned int i)
{
    struct vfc_queue *q = &v->q[i];
    struct vq_driver_config cfg = {0};
    struct vhost_vring_addr addr;
    unsigned int base = 0;
    int rc;

    q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->kick_fd < 0 || q->call_fd < 0) {
        rc = -errno;
        fprintf(stderr, "vhostfs-client: eventfd: %s\n", strerror(-rc));
        return rc;
    }
    q->ring_gpa = RING_AREA * i;
    q->indirect_gpa =
        v->indirect ? INDIRECT_BASE + (uint64_t)VFC_RING_SIZE * 1024 * i : 0;
    cfg.layout = v->opts->layout;
    cfg.num = VFC_RING_SIZE;
    cfg.ring_gpa = q->ring_gpa;
    cfg.event_idx = v->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
    cfg.indirect_gpa = q->indirect_gpa;
    cfg.kick_fd = q->kick_fd;
    cfg.call_fd = q->call_fd;
    rc = vq_driver_new(&q->drv, &cfg, v->mem);
    if (rc < 0) {
        fprintf(stderr, "vhostfs-client: queue %u: %s\n", i, strerror(-rc));
        return rc;
    }
    vq_driver_vring_addr(q->drv, i, &addr);
    /* virtio 1.2 2.8.1: a packed ring starts with both wrap counters 1. */
    if (v->opts->layout == VQ_LAYOUT_PACKED) {
        base = VHU_VRING_BASE_WRAP;
    }
    if ((rc = vhu_fe_set_vring_num(v->fe, i, VFC_RING_SIZE)) < 0) {
        vmm_err(rc, "SET_VRING_NUM");
    } else if ((rc = vhu_fe_set_vring_base(v->fe, i, base)) < 0) {
        vmm_err(rc, "SET_VRING_BASE");
    } else if ((rc = vhu_fe_set_vring_addr(v->fe, &addr)) < 0) {
        vmm_err(rc, "SET_VRING_ADDR");
    } else if ((rc = vhu_fe_set_vring_call(v->fe, i, q->call_fd)) < 0) {
        vmm_err(rc, "SET_VRING_CALL");
    } else if ((rc = vhu_fe_set_vring_kick(v->fe, i, q->kick_fd)) < 0) {
        vmm_err(rc, "SET_VRING_KICK");
    } else if ((v->features & (1ull << VHU_F_PROTOCOL_FEATURES)) &&
               (rc = vhu_fe_set_vring_enable(v->fe, i, true)) < 0) {
        /* With PROTOCOL_FEATURES, rings start disabled (spec: "Ring
         * states"). */
        vmm_err(rc, "SET_VRING_ENABLE");
    }
    return rc;
}

int vfc_vmm_start(struct vfc_vmm *v, const struct vfc_opts *opts)
{
    struct timeval tv;
    unsigned int i;
    int fd = -1, rc;

    memset(v, 0, sizeof(*v));
    v->opts = opts;
    for (i = 0; i < VFC_NUM_QUEUES; i++) {
        v->q[i].kick_fd = v->q[i].call_fd = -1;
    }
    v->heap_next = v->heap_floor = VFC_HEAP_START;
    if (opts->backend_cmd) {
        rc = start_backend(v, &fd);
    } else {
        rc = vhu_connect(opts->socket_path, &fd);
        if (rc < 0) {
            char buf[160];

            fprintf(stderr, "vhostfs-client: cannot connect to %s: %s\n",
                    opts->socket_path, vhu_strerror(rc, buf, sizeof(buf)));
        }
    }
    if (rc < 0) {
        return rc;
    }
    rc = vhu_frontend_new(&v->fe, fd, VFC_NUM_QUEUES);
    if (rc < 0) {
        vmm_err(rc, "frontend");
        return rc;
    }
    /* A backend that stops answering is an error, not a hang. */
    tv.tv_sec = opts->timeout_ms / 1000;
    tv.tv_usec = (opts->timeout_ms % 1000) * 1000;
    setsockopt(vhu_frontend_fd(v->fe), SOL_SOCKET, SO_RCVTIMEO, &tv,
               sizeof(tv));
    rc = negotiate(v);
    if (rc == 0) {
        rc = share_memory(v);
    }
    for (i = 0; i < VFC_NUM_QUEUES && rc == 0; i++) {
        rc = setup_queue(v, i);
    }
    if (rc < 0 && !vfc_vmm_backend_alive(v)) {
        fprintf(stderr, "vhostfs-client: the backend has exited\n");
        vfc_vmm_print_backend_log(v);
    }
    return rc;
}

/*
 * After a run where every chain came back, a split ring's GET_VRING_BASE
 * (the next avail index the backend would take) must be the driver's
 * avail index: the backend took exactly what was offered.
 */
static bool ring_base_ok(struct vfc_vmm *v, unsigned int i, unsigned int base)
{
    struct vq_driver_raw raw;
    uint16_t avail;

    if (v->failed || v->opts->layout != VQ_LAYOUT_SPLIT ||
        vq_driver_num_inflight(v->q[i].drv) != 0) {
        return true;
    }
    vq_driver_raw(v->q[i].drv, &raw);
    avail = __atomic_load_n(&((struct vring_avail *)raw.driver_area)->idx,
                            __ATOMIC_RELAXED);
    if ((base & 0xffff) != avail) {
        fprintf(stderr,
                "vhostfs-client: queue %u: GET_VRING_BASE says %u, "
                "%u chains were made available\n",
                i, base, avail);
        return false;
    }
    return true;
}

/* Stop queue @i (GET_VRING_BASE) and free its ring and eventfds. */
static int stop_queue(struct vfc_vmm *v, unsigned int i)
{
    struct vfc_queue *q = &v->q[i];
    int ret = 0;

    if (q->drv && v->fe && !v->gone) {
        unsigned int base = 0;
        int rc = vhu_fe_get_vring_base(v->fe, i, &base);

        if (rc < 0) {
            vmm_err(rc, "GET_VRING_BASE");
            ret = -1;
        } else if (!ring_base_ok(v, i, base)) {
            ret = -1;
        } else if (v->opts->verbose) {
            fprintf(stderr, "vhostfs-client: queue %u stopped at %#x\n", i,
                    base);
        }
    }
    vq_driver_free(q->drv);
    q->drv = NULL;
    if (q->kick_fd >= 0) {
        close(q->kick_fd);
    }
    if (q->call_fd >= 0) {
        close(q->call_fd);
    }
    q->kick_fd = q->call_fd = -1;
    return ret;
}

static void drop_memory(struct vfc_vmm *v)
{
    gmem_table_put(v->mem);
    v->mem = NULL;
    v->host = NULL;
    if (v->gm) {
        gmem_free(v->gm);
        v->gm = NULL;
    }
}

/*
 * What QEMU does to a vhost-user device when the guest reboots: stop the
 * rings (disable, then GET_VRING_BASE), reset the device (a VMM without
 * RESET_DEVICE skips it), then start it as new: features, memory table,
 * rings from index 0.
 */
int vfc_vmm_reinit(struct vfc_vmm *v, bool reset_device)
{
    unsigned int i;
    int rc = 0;

    if (!v->fe || v->gone) {
        return -ENOTCONN;
    }
    for (i = 0; i < VFC_NUM_QUEUES && rc == 0; i++) {
        if ((v->features & (1ull << VHU_F_PROTOCOL_FEATURES)) &&
            (rc = vhu_fe_set_vring_enable(v->fe, i, false)) < 0) {
            vmm_err(rc, "SET_VRING_ENABLE 0");
        }
    }
    for (i = 0; i < VFC_NUM_QUEUES; i++) {
        if (stop_queue(v, i) < 0 && rc == 0) {
            rc = -EPROTO;
        }
    }
    if (rc == 0 && reset_device &&
        (v->protocol_features & VHU_PF_BIT(VHU_PF_RESET_DEVICE)) &&
        (rc = vhu_fe_reset_device(v->fe)) < 0) {
        vmm_err(rc, "RESET_DEVICE");
    }
    if (rc == 0 && (rc = vhu_fe_set_features(v->fe, v->features)) < 0) {
        vmm_err(rc, "SET_FEATURES");
    }
    /* Fresh guest memory: nothing of the old rings or buffers is left. */
    drop_memory(v);
    v->heap_next = v->heap_floor = VFC_HEAP_START;
    if (rc == 0) {
        rc = share_memory(v);
    }
    for (i = 0; i < VFC_NUM_QUEUES && rc == 0; i++) {
        rc = setup_queue(v, i);
    }
    if (rc < 0 && !vfc_vmm_backend_alive(v)) {
        fprintf(stderr, "vhostfs-client: the backend has exited\n");
    }
    return rc;
}

int vfc_vmm_stop(struct vfc_vmm *v)
{
    bool hung_up;
    unsigned int i;
    int ret = 0;

    for (i = 0; i < VFC_NUM_QUEUES; i++) {
        if (stop_queue(v, i) < 0) {
            ret = -1;
        }
    }
    hung_up = v->fe != NULL;
    vhu_frontend_free(v->fe);
    v->fe = NULL;
    drop_memory(v);
    if (stop_backend(v, hung_up) < 0) {
        ret = -1;
    } else if (v->failed && v->opts->verbose) {
        vfc_vmm_print_backend_log(v);
    }
    if (v->tmpdir[0]) {
        unlink(v->sock_path);
        unlink(v->log_path);
        rmdir(v->tmpdir);
        v->tmpdir[0] = '\0';
    }
    return ret;
}

void *vfc_gpa(const struct vfc_vmm *v, uint64_t gpa, uint64_t len)
{
    if (!v->host || gpa > VFC_MEM_SIZE || len > VFC_MEM_SIZE - gpa) {
        return NULL;
    }
    return v->host + gpa;
}
