/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq-inflight-rig.c - a queue with inflight tracking whose device can
 * crash and restart, for the inflight tests (vq-inflight-rig.h).
 */
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "vhu-proto.h"
#include "vq-inflight-rig.h"

void rig_setup(struct rig *r, bool packed, bool indirect)
{
    struct vqh_config cfg = {
        .layout = packed ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT,
        .num = NUM,
        .indirect = indirect,
        .data_size = 64 * 1024,
        .data_regions = 2,
        .eventfds = false,
    };

    memset(r, 0, sizeof(*r));
    r->packed = packed;
    ASSERT_OK(vqh_create(&r->h, &cfg));
    r->fd = vq_inflight_create(&r->map, 1, NUM, packed);
    ASSERT_OK(r->fd);
    ASSERT_EQ(vq_inflight_attach(r->h.vq, &r->map, 0), 0);
}

void rig_destroy(struct rig *r)
{
    vq_inflight_detach(r->h.vq);
    vqh_destroy(&r->h);
    vq_inflight_unmap(&r->map);
    close(r->fd);
}

/*
 * The device dies: its queue goes without a word to the driver, its
 * mapping of the buffer with it.  A new device gets the buffer back
 * (SET_INFLIGHT_FD) and the rings again, with the vring base a frontend
 * that lost the old device has: the one it started with.
 */
int rig_crash(struct rig *r)
{
    struct vhost_vring_addr addr;
    uint64_t features;
    size_t size = r->map.size;

    vq_inflight_detach(r->h.vq);
    vq_free(r->h.vq);
    r->h.vq = NULL;
    vq_inflight_unmap(&r->map);
    ASSERT_OK(vq_inflight_map_fd(&r->map, r->fd, size, 0, 1, NUM, r->packed));
    features = (1ull << VQ_F_VERSION_1) | (1ull << VQ_F_INDIRECT_DESC) |
               (r->packed ? 1ull << VQ_F_RING_PACKED : 0);
    ASSERT_OK(vq_new(&r->h.vq, 0));
    ASSERT_OK(vq_set_features(r->h.vq, features));
    ASSERT_OK(vq_set_num(r->h.vq, NUM));
    vq_driver_vring_addr(r->h.drv, 0, &addr);
    ASSERT_OK(vq_set_addr(r->h.vq, &addr));
    ASSERT_OK(vq_set_base(r->h.vq, r->packed ? VHU_VRING_BASE_WRAP : 0));
    ASSERT_OK(vq_start(r->h.vq, r->h.dev_gm));
    return vq_inflight_attach(r->h.vq, &r->map, 0);
}

int rig_pop(struct rig *r, struct popped *p)
{
    memset(p, 0, sizeof(*p));
    p->e.iov = p->iov;
    p->e.iov_max = IOV_N;
    return vq_pop(r->h.vq, &p->e);
}

/* Request @tok: its number in its readable buffer, @nd descriptors. */
void rig_add(struct rig *r, unsigned int tok, unsigned int nd, bool ind)
{
    uint64_t gpa = r->h.data_gpa + 64 * tok;
    struct vq_buf out[4], in[4];
    unsigned int i, nin = nd > 1 ? nd / 2 : 0, nout = nd - nin;

    ASSERT_OK(vqh_copy_to_guest(&r->h, gpa, &tok, sizeof(tok)));
    out[0] = (struct vq_buf){gpa, 4};
    for (i = 1; i < nout; i++) {
        out[i] = (struct vq_buf){gpa + 4 * i, 4};
    }
    for (i = 0; i < nin; i++) {
        in[i] = (struct vq_buf){gpa + 32 + 4 * i, 4};
    }
    ASSERT_OK(vq_driver_add(r->h.drv, out, nout, in, nin, ind,
                            (void *)(uintptr_t)tok));
}

/* Which request an element is (the number in its first buffer). */
unsigned int rig_tok(const struct popped *p)
{
    unsigned int tok;

    ASSERT(p->e.out_num >= 1 && p->iov[0].iov_len >= sizeof(tok));
    memcpy(&tok, p->iov[0].iov_base, sizeof(tok));
    return tok;
}

/* Reap exactly the tokens @want, in that order. */
void rig_reap(struct rig *r, const unsigned int *want, unsigned int n)
{
    unsigned int i;
    uint32_t len;
    void *t;

    for (i = 0; i < n; i++) {
        ASSERT_EQ(vq_driver_get_used(r->h.drv, &len, &t), 1);
        ASSERT_EQ((uintptr_t)t, want[i]);
    }
    ASSERT_EQ(vq_driver_get_used(r->h.drv, &len, &t), 0);
}

/* Requests 1..n through the ring, start to finish. */
void rig_rounds(struct rig *r, unsigned int first, unsigned int n)
{
    struct popped p;
    unsigned int i, tok;

    for (i = 0; i < n; i++) {
        tok = first + i;
        rig_add(r, tok, 1 + tok % 3, false);
        vq_driver_kick(r->h.drv);
        ASSERT_EQ(rig_pop(r, &p), 1);
        ASSERT_EQ(rig_tok(&p), tok);
        vq_complete(r->h.vq, &p.e, 0);
        rig_reap(r, &tok, 1);
    }
}

void *rig_region(struct rig *r)
{
    return vq_inflight_region(&r->map, 0);
}
