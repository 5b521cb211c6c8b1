/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile.c - vhostfs-client hostile: malformed FUSE requests through the
 * virtqueue, the way a buggy or malicious guest driver would send them.
 *
 * Each case is one line, "ok NAME" or "FAIL NAME: why".  A case passes
 * when the request is answered with an error (or, where no reply fits or
 * none is due, the chain comes back used with 0 bytes), the backend still
 * answers a GETATTR of the root afterwards, and a sentinel directory next
 * to the share (--dir) is unchanged.  Where several errors are reasonable
 * any error is accepted, never a success.  Exit status 0 only when every
 * case passed.
 *
 * Requests are laid out here byte by byte (header length, opcode and
 * chain shape are the case's to choose), not by fuse.c, whose requests
 * are always well formed; fuse.c only sends the GETATTR that checks the
 * backend still answers after each case.
 *
 * Security model: the backend is not trusted.  A reply is checked (used
 * length within the writable area, header length equal to it, unique
 * echoed, error a -errno with no body) before its body is looked at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "hostile.h"

void hst_ok(struct hst *h, const char *name)
{
    printf("ok %s\n", name);
    h->n_ok++;
}

void hst_fail(struct hst *h, const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    h->n_fail++;
}

/* --- raw chains ---------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @token's used entry on queue @qi; entries of chains fuse.c
 * gave up on are dropped.  Returns 0, or -1 with res->why set. */
static int raw_wait(struct hst *h, unsigned int qi, uint64_t token,
                    struct hres *res)
{
    struct vfc_vmm *v = h->v;
    int64_t deadline = now_ms() + v->opts->timeout_ms;

    for (;;) {
        struct pollfd pfd[2] = {
            {.fd = v->q[qi].call_fd, .events = POLLIN},
            {.fd = vhu_frontend_fd(v->fe), .events = POLLRDHUP},
        };
        void *tok = NULL;
        uint32_t len = 0;
        uint64_t cnt;
        int64_t left;
        int n = vq_driver_get_used(v->q[qi].drv, &len, &tok);

        if (n < 0) {
            snprintf(res->why, sizeof(res->why), "bad used id");
            return -1;
        }
        if (n == 1) {
            if ((uint64_t)(uintptr_t)tok == token) {
                res->used = len;
                return 0;
            }
            continue;
        }
        if (vq_driver_enable_cb(v->q[qi].drv)) {
            continue;
        }
        left = deadline - now_ms();
        if (left <= 0) {
            snprintf(res->why, sizeof(res->why), "no reply within %d ms%s",
                     v->opts->timeout_ms,
                     vfc_vmm_backend_alive(v) ? "" : " (the backend exited)");
            return -1;
        }
        if (poll(pfd, 2, (int)left) < 0 && errno != EINTR) {
            snprintf(res->why, sizeof(res->why), "poll: %s", strerror(errno));
            return -1;
        }
        if (pfd[0].revents & POLLIN) {
            if (read(pfd[0].fd, &cnt, sizeof(cnt)) < 0) {
                /* EAGAIN: nothing to consume */
            }
        } else if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            v->gone = true;
            snprintf(res->why, sizeof(res->why), "the backend hung up");
            return -1;
        }
    }
}

/*
 * Send @rd_len bytes of h->req as one device-readable buffer (none if 0)
 * and offer @wr_len writable bytes (none if 0), on the request queue or
 * hiprio.  Returns 0 with *res filled, or -1 with res->why set.
 */
int hst_raw(struct hst *h, uint32_t rd_len, uint32_t wr_len, bool hiprio,
            struct hres *res)
{
    struct vfc_vmm *v = h->v;
    unsigned int qi = hiprio ? VFC_QUEUE_HIPRIO : VFC_QUEUE_REQUEST;
    struct vq_buf rd = {0}, wr = {0};
    struct fuse_out_header oh;
    uint64_t unique = 0, token;
    int rc;

    memset(res, 0, sizeof(*res));
    if (v->gone) {
        snprintf(res->why, sizeof(res->why), "the backend hung up");
        return -1;
    }
    if (rd_len >= sizeof(struct fuse_in_header)) {
        memcpy(&unique, h->req + offsetof(struct fuse_in_header, unique),
               sizeof(unique));
    }
    if (rd_len) {
        rd.gpa = vfc_galloc(v, rd_len);
        rd.len = rd_len;
    }
    if (wr_len) {
        wr.gpa = vfc_galloc(v, wr_len);
        wr.len = wr_len;
    }
    if ((rd_len && !rd.gpa) || (wr_len && !wr.gpa)) {
        snprintf(res->why, sizeof(res->why), "guest memory exhausted");
        vfc_gfree_all(v);
        return -1;
    }
    if (rd_len) {
        memcpy(vfc_gpa(v, rd.gpa, rd_len), h->req, rd_len);
    }
    if (wr_len) {
        memset(vfc_gpa(v, wr.gpa, wr_len), 0xa5, wr_len);
    }
    /* Odd tokens: fuse.c's are even uniques. */
    token = h->token += 2;
    rc = vq_driver_add(v->q[qi].drv, &rd, rd_len ? 1 : 0, &wr, wr_len ? 1 : 0,
                       false, (void *)(uintptr_t)token);
    if (rc < 0) {
        snprintf(res->why, sizeof(res->why), "cannot add the chain: %s",
                 strerror(-rc));
        vfc_gfree_all(v);
        return -1;
    }
    vq_driver_kick(v->q[qi].drv);
    if (raw_wait(h, qi, token, res) < 0) {
        v->heap_floor = v->heap_next; /* the chain is still out */
        return -1;
    }
    rc = -1;
    if (res->used > wr_len) {
        snprintf(res->why, sizeof(res->why), "used length %u over %u offered",
                 res->used, wr_len);
    } else if (res->used == 0) {
        rc = 0;
    } else if (res->used < sizeof(oh)) {
        snprintf(res->why, sizeof(res->why), "%u-byte reply", res->used);
    } else {
        memcpy(&oh, vfc_gpa(v, wr.gpa, sizeof(oh)), sizeof(oh));
        if (oh.len != res->used || oh.unique != unique) {
            snprintf(res->why, sizeof(res->why),
                     "reply length %u unique %llu; used %u, unique %llu",
                     oh.len, (unsigned long long)oh.unique, res->used,
                     (unsigned long long)unique);
        } else if (oh.error > 0 || oh.error < -4095 ||
                   (oh.error && oh.len != sizeof(oh))) {
            snprintf(res->why, sizeof(res->why),
                     "error %d with a %u-byte reply", oh.error, oh.len);
        } else {
            res->replied = true;
            res->error = oh.error;
            res->body = oh.len - (uint32_t)sizeof(oh);
            memcpy(h->reply, vfc_gpa(v, wr.gpa + sizeof(oh), res->body),
                   res->body < H_REPLY_MAX ? res->body : H_REPLY_MAX);
            rc = 0;
        }
    }
    vfc_gfree_all(v);
    return rc;
}

/*
 * Lay a request out in h->req: header (len = @len, or the true length
 * when @len is 0), then up to three pieces.  Returns the byte count.
 */
uint32_t hst_msg(struct hst *h, uint32_t opcode, uint64_t nodeid, uint32_t len,
                 const void *a0, uint32_t l0, const void *a1, uint32_t l1,
                 const void *a2, uint32_t l2)
{
    struct fuse_in_header ih = {
        .opcode = opcode,
        .unique = vfc_fuse_take_unique(),
        .nodeid = nodeid,
        .uid = (uint32_t)getuid(),
        .gid = (uint32_t)getgid(),
        .pid = (uint32_t)getpid(),
    };
    const void *a[3] = {a0, a1, a2};
    uint32_t l[3] = {l0, l1, l2}, n = sizeof(ih);
    unsigned int i;

    for (i = 0; i < 3; i++) {
        if (l[i] > H_REQ_MAX - n) {
            l[i] = H_REQ_MAX - n; /* callers stay far below */
        }
        if (l[i]) {
            memcpy(h->req + n, a[i], l[i]);
        }
        n += l[i];
    }
    ih.len = len ? len : n;
    memcpy(h->req, &ih, sizeof(ih));
    return n;
}

/* --- the checks after each case ------------------------------------------ */

static bool root_alive(struct hst *h, char *why, size_t whylen)
{
    struct fuse_getattr_in in = {0};
    struct fuse_attr_out ao;
    struct vfc_req r = {
        .opcode = FUSE_GETATTR,
        .nodeid = FUSE_ROOT_ID,
        .arg = {&in},
        .arg_len = {sizeof(in)},
        .nargs = 1,
        .out = &ao,
        .out_size = sizeof(ao),
    };

    if (vfc_fuse_call(h->v, &r) < 0) {
        snprintf(why, whylen, "then GETATTR of the root: %s", vfc_fuse_why);
        return false;
    }
    if (r.error || r.out_len != sizeof(ao)) {
        snprintf(why, whylen, "then GETATTR of the root: error %d, %u bytes",
                 r.error, r.out_len);
        return false;
    }
    return true;
}

/* The sentinel holds one file, "canary", with canary_text in it. */
static bool sentinel_intact(struct hst *h, char *why, size_t whylen)
{
    char path[4300], buf[128];
    struct dirent *de;
    struct stat st;
    unsigned int n = 0;
    ssize_t len;
    DIR *d;
    int fd;

    d = opendir(h->sentinel);
    if (!d) {
        snprintf(why, whylen, "sentinel: %s", strerror(errno));
        return false;
    }
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            n++;
        }
    }
    closedir(d);
    snprintf(path, sizeof(path), "%s/canary", h->sentinel);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    len = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
    if (fd >= 0) {
        close(fd);
    }
    if (lstat(path, &st) < 0 || st.st_mode != h->canary_st.st_mode ||
        st.st_uid != h->canary_st.st_uid || st.st_gid != h->canary_st.st_gid ||
        st.st_nlink != 1) {
        snprintf(why, whylen, "the canary next to the share changed");
        return false;
    }
    if (n != 1 || len != (ssize_t)strlen(h->canary_text) ||
        memcmp(buf, h->canary_text, (size_t)len) != 0) {
        snprintf(why, whylen, "the sentinel next to the share changed");
        return false;
    }
    return true;
}

/* Report a case: @bad is NULL when the request was answered as wanted. */
void hst_verdict(struct hst *h, const char *name, const char *bad)
{
    char why[300];

    if (bad) {
        hst_fail(h, name, "%s", bad);
    } else if (!root_alive(h, why, sizeof(why)) ||
               !sentinel_intact(h, why, sizeof(why))) {
        hst_fail(h, name, "%s", why);
    } else {
        hst_ok(h, name);
    }
}

/*
 * Send h->req (@rd bytes, @wr writable) and want an error reply, one of
 * the H_ANY_ERROR-terminated list (an empty list: any error).  With
 * @empty_ok, a chain handed back with 0 bytes passes too.
 */
void hst_want_err(struct hst *h, const char *name, uint32_t rd, uint32_t wr,
                  bool empty_ok, ...)
{
    char bad[200];
    struct hres res;
    bool listed = false, any = true;
    va_list ap;
    int e;

    if (hst_raw(h, rd, wr, false, &res) < 0) {
        hst_verdict(h, name, res.why);
        return;
    }
    va_start(ap, empty_ok);
    while ((e = va_arg(ap, int)) != H_ANY_ERROR) {
        any = false;
        listed |= res.error == -e;
    }
    va_end(ap);
    if (h->v->opts->verbose) {
        const char *en = strerrorname_np(-res.error);

        printf("# %s: %s\n", name,
               !res.replied ? "no reply"
               : res.error  ? (en ? en : "?")
                            : "success");
    }
    if (!res.replied) {
        hst_verdict(h, name,
                    empty_ok ? NULL : "the chain came back with no reply");
        return;
    }
    if (res.error == 0) {
        snprintf(bad, sizeof(bad), "answered with success (%u bytes)",
                 res.body);
        hst_verdict(h, name, bad);
        return;
    }
    if (!any && !listed) {
        const char *en = strerrorname_np(-res.error);

        snprintf(bad, sizeof(bad), "answered with %s", en ? en : "?");
        hst_verdict(h, name, bad);
        return;
    }
    hst_verdict(h, name, NULL);
}

/* Want a chain used with 0 bytes (or an error reply, if @err_ok). */
void hst_want_empty(struct hst *h, const char *name, uint32_t rd, uint32_t wr,
                    bool hiprio, bool err_ok)
{
    char bad[200];
    struct hres res;

    if (hst_raw(h, rd, wr, hiprio, &res) < 0) {
        hst_verdict(h, name, res.why);
        return;
    }
    if (res.replied && !(err_ok && res.error)) {
        snprintf(bad, sizeof(bad), "a reply came back (error %d)", res.error);
        hst_verdict(h, name, bad);
        return;
    }
    hst_verdict(h, name, NULL);
}

/* --- set-up --------------------------------------------------------------- */

/* A well-formed request through h->req; returns the error, body in
 * h->reply, or INT_MIN with a FAIL line. */
int hst_plain(struct hst *h, const char *name, uint32_t opcode, uint64_t nodeid,
              const void *a0, uint32_t l0, const void *a1, uint32_t l1,
              uint32_t *body)
{
    struct hres res;
    uint32_t n = hst_msg(h, opcode, nodeid, 0, a0, l0, a1, l1, NULL, 0);

    if (hst_raw(h, n, 4096 + 16, false, &res) < 0 || !res.replied) {
        hst_fail(h, name, "%s", res.why[0] ? res.why : "no reply");
        return H_BROKEN;
    }
    if (body) {
        *body = res.body;
    }
    return res.error;
}

uint64_t hst_lookup(struct hst *h, uint64_t parent, const char *name,
                    struct fuse_entry_out *e)
{
    uint32_t body = 0;
    int err = hst_plain(h, "set-up LOOKUP", FUSE_LOOKUP, parent, name,
                        (uint32_t)strlen(name) + 1, NULL, 0, &body);

    if (err || body != sizeof(*e)) {
        if (err != H_BROKEN) {
            hst_fail(h, "set-up", "LOOKUP %s: error %d", name, err);
        }
        return 0;
    }
    memcpy(e, h->reply, sizeof(*e));
    return e->nodeid;
}

uint64_t hst_open(struct hst *h, uint32_t opcode, uint64_t node, uint32_t flags)
{
    struct fuse_open_in in = {.flags = flags};
    struct fuse_open_out oo;
    uint32_t body = 0;
    int err = hst_plain(h, "set-up OPEN", opcode, node, &in, sizeof(in), NULL,
                        0, &body);

    if (err || body != sizeof(oo)) {
        if (err != H_BROKEN) {
            hst_fail(h, "set-up", "open of node %llu: error %d",
                     (unsigned long long)node, err);
        }
        return 0;
    }
    memcpy(&oo, h->reply, sizeof(oo));
    return oo.fh;
}

static int host_file(const char *dir, const char *name, const char *text)
{
    char path[4400];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fd);
        return -EIO;
    }
    close(fd);
    return 0;
}

static int setup(struct hst *h)
{
    struct fuse_init_in in = {
        .major = FUSE_KERNEL_VERSION,
        .minor = FUSE_KERNEL_MINOR_VERSION,
        .max_readahead = 128 << 10,
        .flags = FUSE_ASYNC_READ | FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES |
                 FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES | FUSE_INIT_EXT,
    };
    struct fuse_entry_out e;
    const char *base;
    char path[4400];
    int err;

    base = strrchr(h->share, '/');
    base = base ? base + 1 : h->share;
    snprintf(h->sentinel, sizeof(h->sentinel), "%s.hostile-sentinel.%d",
             h->share, (int)getpid());
    snprintf(h->sent_rel, sizeof(h->sent_rel), "../%s.hostile-sentinel.%d",
             base, (int)getpid());
    snprintf(h->canary_text, sizeof(h->canary_text), "canary %d\n",
             (int)getpid());
    if (mkdir(h->sentinel, 0755) < 0 ||
        host_file(h->sentinel, "canary", h->canary_text) < 0) {
        fprintf(stderr, "vhostfs-client: sentinel %s: %s\n", h->sentinel,
                strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/canary", h->sentinel);
    if (lstat(path, &h->canary_st) < 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/hd", h->share);
    if (host_file(h->share, "hf", "hello\n") < 0 ||
        host_file(h->share, "hstale", "") < 0 ||
        (mkdir(path, 0755) < 0 && errno != EEXIST)) {
        fprintf(stderr, "vhostfs-client: files in %s: %s\n", h->share,
                strerror(errno));
        return -1;
    }
    err = hst_plain(h, "INIT", FUSE_INIT, 0, &in, sizeof(in), NULL, 0, NULL);
    if (err) {
        if (err != H_BROKEN) {
            hst_fail(h, "INIT", "error %d", err);
        }
        return -1;
    }
    h->file_node = hst_lookup(h, FUSE_ROOT_ID, "hf", &e);
    h->dir_node = hst_lookup(h, FUSE_ROOT_ID, "hd", &e);
    if (!h->file_node || !h->dir_node) {
        return -1;
    }
    h->fh = hst_open(h, FUSE_OPEN, h->file_node, O_RDWR);
    h->dh = hst_open(h, FUSE_OPENDIR, h->dir_node, O_RDONLY);
    if (h->fh == UINT64_MAX || h->dh == UINT64_MAX) {
        return -1;
    }
    hst_ok(h, "set-up");
    return 0;
}

static void cleanup(struct hst *h)
{
    static const char *const names[] = {"hf",      "hstale",  "hstale2", "esc",
                                        "esc-abs", "hardesc", "hd"};
    char path[4400];
    unsigned int i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", h->share, names[i]);
        if (unlink(path) < 0 && errno == EISDIR) {
            rmdir(path);
        }
        rmdir(path);
    }
    snprintf(path, sizeof(path), "%s/canary", h->sentinel);
    unlink(path);
    rmdir(h->sentinel);
}

/* --- the cases ------------------------------------------------------------ */

int vfc_cmd_hostile(struct vfc_vmm *v, int argc, char **argv)
{
    static struct hst hst;
    struct hst *h = &hst;
    size_t n;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "vhostfs-client: hostile takes no arguments\n");
        return 1;
    }
    memset(h, 0, sizeof(*h));
    h->v = v;
    h->token = 1;
    n = strlen(v->opts->dir);
    while (n > 1 && v->opts->dir[n - 1] == '/') {
        n--;
    }
    if (n + 64 >= sizeof(h->share)) {
        fprintf(stderr, "vhostfs-client: --dir: path too long\n");
        return 1;
    }
    memcpy(h->share, v->opts->dir, n);
    if (setup(h) == 0) {
        hst_cases(h);
    } else if (h->n_fail == 0) {
        hst_fail(h, "set-up", "no case ran (see above)");
    }
    if (!v->gone && !vfc_vmm_backend_alive(v)) {
        hst_fail(h, "backend alive", "the backend has exited");
    }
    cleanup(h);
    printf("# hostile: %u ok, %u failed\n", h->n_ok, h->n_fail);
    return h->n_fail ? 1 : 0;
}
