/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu-backend-dispatch.c - the backend's handlers, one per request code,
 * and the table that maps codes to them.
 *
 * Security model: as vhu-backend.c.  A handler runs only on a message that
 * vhu_msg_validate() accepted and that negotiation allows; it still checks
 * the queue index against the backend's maximum before an op may index an
 * array with it, and checks what depends on the device (features offered).
 * Handlers pass fds to ops by address: an op keeps one by setting it to -1,
 * the loop closes the rest.
 */
#include <errno.h>
#include <string.h>

#include "vhu-backend-priv.h"
#include "vhu-error.h"
#include "vhu-msg.h"

#define F_PROTOCOL_FEATURES (1ull << VHU_F_PROTOCOL_FEATURES)

static int no_op(void)
{
    return VHU_ERR(VHU_E_REQ_HANDLER, EOPNOTSUPP);
}

static bool queue_ok(const struct vhu_backend *be, uint32_t index)
{
    return index < be->max_queues;
}

static void reply_u64(struct vhu_be_call *c, uint64_t v)
{
    c->reply->p.u64 = v;
    c->reply_size = sizeof(v);
}

static int h_set_owner(struct vhu_backend *be, struct vhu_be_call *c)
{
    (void)c;
    if (!be->ops->set_owner) {
        return no_op();
    }
    return vhu__op_rc(be->ops->set_owner(be->dev));
}

static int h_reset_owner(struct vhu_backend *be, struct vhu_be_call *c)
{
    (void)c;
    if (!be->ops->reset_owner) {
        return no_op();
    }
    return vhu__op_rc(be->ops->reset_owner(be->dev));
}

/* The features the device offers, needed to check what is acked. */
static int offered_features(struct vhu_backend *be, uint64_t *f)
{
    if (!be->ops->get_features) {
        return no_op();
    }
    return vhu__op_rc(be->ops->get_features(be->dev, f));
}

static int h_get_features(struct vhu_backend *be, struct vhu_be_call *c)
{
    uint64_t f;
    int rc = offered_features(be, &f);

    if (rc == 0) {
        reply_u64(c, f);
    }
    return rc;
}

static int h_set_features(struct vhu_backend *be, struct vhu_be_call *c)
{
    uint64_t f = c->req->p.u64, offered;
    int rc;

    if (!be->ops->set_features) {
        return no_op();
    }
    rc = offered_features(be, &offered);
    if (rc < 0) {
        return rc;
    }
    if (f & ~offered) {
        return vhu_err(VHU_E_FEATURE_MISMATCH);
    }
    rc = vhu__op_rc(be->ops->set_features(be->dev, f));
    if (rc == 0) {
        be->features = f;
    }
    return rc;
}

/*
 * Spec, "Protocol features": the protocol-feature messages exist only when
 * the device offers VHOST_USER_F_PROTOCOL_FEATURES.
 */
static int protocol_offered(struct vhu_backend *be)
{
    uint64_t offered;
    int rc = offered_features(be, &offered);

    if (rc == 0 && !(offered & F_PROTOCOL_FEATURES)) {
        rc = vhu_err(VHU_E_INVALID_OPERATION);
    }
    return rc;
}

static int h_get_protocol_features(struct vhu_backend *be,
                                   struct vhu_be_call *c)
{
    uint64_t pf;
    int rc;

    if (!be->ops->get_protocol_features) {
        return no_op();
    }
    rc = protocol_offered(be);
    if (rc == 0) {
        rc = vhu__op_rc(be->ops->get_protocol_features(be->dev, &pf));
    }
    if (rc == 0) {
        reply_u64(c, pf);
    }
    return rc;
}

static int h_set_protocol_features(struct vhu_backend *be,
                                   struct vhu_be_call *c)
{
    uint64_t pf = c->req->p.u64, offered;
    int rc;

    if (!be->ops->set_protocol_features || !be->ops->get_protocol_features) {
        return no_op();
    }
    rc = protocol_offered(be);
    if (rc == 0) {
        rc = vhu__op_rc(be->ops->get_protocol_features(be->dev, &offered));
    }
    if (rc == 0 && (pf & ~offered)) {
        rc = vhu_err(VHU_E_FEATURE_MISMATCH);
    }
    /*
     * Spec, "In-band notifications": negotiating INBAND_NOTIFICATIONS
     * without BACKEND_REQ and REPLY_ACK is an error (the loop closes).
     */
    if (rc == 0 && (pf & VHU_PF_BIT(VHU_PF_INBAND_NOTIFICATIONS)) &&
        (~pf &
         (VHU_PF_BIT(VHU_PF_BACKEND_REQ) | VHU_PF_BIT(VHU_PF_REPLY_ACK)))) {
        rc = vhu_err(VHU_E_FEATURE_MISMATCH);
    }
    if (rc == 0) {
        rc = vhu__op_rc(be->ops->set_protocol_features(be->dev, pf));
    }
    if (rc == 0) {
        be->pf = pf;
    }
    return rc;
}

static int h_set_mem_table(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhu_mem_table *t = &c->req->p.mem;

    if (!be->ops->set_mem_table) {
        return no_op();
    }
    /* vhu_msg_validate(): nregions <= 8 and one fd per region. */
    if (t->nregions > VHU_MEM_BASELINE_NREGIONS || t->nregions != c->nfds) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return vhu__op_rc(
        be->ops->set_mem_table(be->dev, t->regions, c->fds, t->nregions));
}

/* The message's single optional fd, or a -1 slot to pass to an op. */
static int *single_fd(struct vhu_be_call *c, int *none)
{
    *none = -1;
    return c->nfds ? &c->fds[0] : none;
}

static int h_set_log_base(struct vhu_backend *be, struct vhu_be_call *c)
{
    int none;

    if (!be->ops->set_log_base) {
        return no_op();
    }
    return vhu__op_rc(
        be->ops->set_log_base(be->dev, &c->req->p.log, single_fd(c, &none)));
}

static int h_set_log_fd(struct vhu_backend *be, struct vhu_be_call *c)
{
    int none;

    if (!be->ops->set_log_fd) {
        return no_op();
    }
    return vhu__op_rc(be->ops->set_log_fd(be->dev, single_fd(c, &none)));
}

static int h_set_vring_num(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhost_vring_state *s = &c->req->p.state;

    if (!be->ops->set_vring_num) {
        return no_op();
    }
    if (!queue_ok(be, s->index) || !vhu_ring_size_ok(s->num)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->set_vring_num(be->dev, s->index, s->num));
}

static int h_set_vring_addr(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->set_vring_addr) {
        return no_op();
    }
    if (!queue_ok(be, c->req->p.addr.index)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->set_vring_addr(be->dev, &c->req->p.addr));
}

static int h_set_vring_base(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhost_vring_state *s = &c->req->p.state;

    if (!be->ops->set_vring_base) {
        return no_op();
    }
    if (!queue_ok(be, s->index)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->set_vring_base(be->dev, s->index, s->num));
}

static int h_get_vring_base(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhost_vring_state *s = &c->req->p.state;
    unsigned int num = 0;
    int rc;

    if (!be->ops->get_vring_base) {
        return no_op();
    }
    if (!queue_ok(be, s->index)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    rc = vhu__op_rc(be->ops->get_vring_base(be->dev, s->index, &num));
    if (rc == 0) {
        c->reply->p.state.index = s->index;
        c->reply->p.state.num = num;
        c->reply_size = sizeof(c->reply->p.state);
    }
    return rc;
}

/* SET_VRING_KICK/CALL/ERR: u64 index, NOFD bit, then an fd or none. */
static int vring_fd(struct vhu_backend *be, struct vhu_be_call *c,
                    int (*op)(void *, unsigned int, int *))
{
    uint64_t v = c->req->p.u64;
    unsigned int index = (unsigned int)(v & VHU_VRING_IDX_MASK);
    int none = -1;
    int *fd = &none;

    if (!op) {
        return no_op();
    }
    if (!queue_ok(be, index)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    if (!(v & VHU_VRING_NOFD_MASK)) {
        if (c->nfds != 1) {
            return vhu_err(VHU_E_INCORRECT_FDS);
        }
        fd = &c->fds[0];
    }
    return vhu__op_rc(op(be->dev, index, fd));
}

static int h_set_vring_kick(struct vhu_backend *be, struct vhu_be_call *c)
{
    return vring_fd(be, c, be->ops->set_vring_kick);
}

static int h_set_vring_call(struct vhu_backend *be, struct vhu_be_call *c)
{
    return vring_fd(be, c, be->ops->set_vring_call);
}

static int h_set_vring_err(struct vhu_backend *be, struct vhu_be_call *c)
{
    return vring_fd(be, c, be->ops->set_vring_err);
}

static int h_get_queue_num(struct vhu_backend *be, struct vhu_be_call *c)
{
    uint64_t n;
    int rc;

    if (!be->ops->get_queue_num) {
        return no_op();
    }
    rc = vhu__op_rc(be->ops->get_queue_num(be->dev, &n));
    if (rc == 0) {
        reply_u64(c, n);
    }
    return rc;
}

static int h_set_vring_enable(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhost_vring_state *s = &c->req->p.state;

    if (!be->ops->set_vring_enable) {
        return no_op();
    }
    /* Spec, "Ring states": only with F_PROTOCOL_FEATURES negotiated. */
    if (!(be->features & F_PROTOCOL_FEATURES)) {
        return vhu_err(VHU_E_INVALID_OPERATION);
    }
    if (!queue_ok(be, s->index) || s->num > 1) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(
        be->ops->set_vring_enable(be->dev, s->index, s->num != 0));
}

static int h_set_backend_req_fd(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->set_backend_req_fd) {
        return no_op();
    }
    if (c->nfds != 1) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return vhu__op_rc(be->ops->set_backend_req_fd(be->dev, &c->fds[0]));
}

static int h_get_config(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhu_config *in = &c->req->p.config;
    struct vhu_config *out = &c->reply->p.config;
    int rc;

    if (!be->ops->get_config) {
        return no_op();
    }
    if (in->size == 0 || in->size > VHU_MAX_CONFIG_SIZE) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    out->offset = in->offset;
    out->size = in->size;
    out->flags = in->flags;
    memset(out->payload, 0, in->size);
    rc = vhu__op_rc(be->ops->get_config(be->dev, out));
    /* The op must not have changed what the frontend asked for. */
    if (rc == 0 && (out->offset != in->offset || out->size != in->size)) {
        rc = VHU_ERR(VHU_E_BACKEND_INTERNAL, EINVAL);
    }
    if (rc == 0) {
        c->reply_size = VHU_CONFIG_HDR_SIZE + in->size;
    }
    return rc;
}

static int h_set_config(struct vhu_backend *be, struct vhu_be_call *c)
{
    const struct vhu_config *in = &c->req->p.config;

    if (!be->ops->set_config) {
        return no_op();
    }
    if (in->size == 0 || in->size > VHU_MAX_CONFIG_SIZE) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->set_config(be->dev, in));
}

static int h_get_inflight_fd(struct vhu_backend *be, struct vhu_be_call *c)
{
    struct vhu_inflight *out = &c->reply->p.inflight;
    int fd = -1, rc;

    if (!be->ops->get_inflight_fd) {
        return no_op();
    }
    memset(out, 0, sizeof(*out));
    rc = vhu__op_rc(
        be->ops->get_inflight_fd(be->dev, &c->req->p.inflight, out, &fd));
    if (rc == 0 && fd < 0) {
        rc = VHU_ERR(VHU_E_BACKEND_INTERNAL, EBADF);
    }
    if (rc == 0) {
        out->padding = 0;
        c->reply_size = sizeof(*out);
        c->reply_fd = fd;
    }
    return rc;
}

static int h_set_inflight_fd(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->set_inflight_fd) {
        return no_op();
    }
    if (c->nfds != 1) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return vhu__op_rc(
        be->ops->set_inflight_fd(be->dev, &c->req->p.inflight, &c->fds[0]));
}

static int h_get_max_mem_slots(struct vhu_backend *be, struct vhu_be_call *c)
{
    uint64_t n;
    int rc;

    if (!be->ops->get_max_mem_slots) {
        reply_u64(c, be->max_mem_slots);
        return 0;
    }
    rc = vhu__op_rc(be->ops->get_max_mem_slots(be->dev, &n));
    if (rc == 0) {
        reply_u64(c, n);
    }
    return rc;
}

static int h_add_mem_reg(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->add_mem_reg) {
        return no_op();
    }
    if (c->nfds != 1) {
        return vhu_err(VHU_E_INCORRECT_FDS);
    }
    return vhu__op_rc(
        be->ops->add_mem_reg(be->dev, &c->req->p.mem_reg.region, &c->fds[0]));
}

static int h_rem_mem_reg(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->rem_mem_reg) {
        return no_op();
    }
    /* An fd that came along (QEMU sends one) is closed by the loop. */
    return vhu__op_rc(be->ops->rem_mem_reg(be->dev, &c->req->p.mem_reg.region));
}

static int h_reset_device(struct vhu_backend *be, struct vhu_be_call *c)
{
    (void)c;
    if (!be->ops->reset_device) {
        return no_op();
    }
    return vhu__op_rc(be->ops->reset_device(be->dev));
}

static int h_set_status(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->set_status) {
        return no_op();
    }
    /* The virtio device status is one byte (virtio 1.2, 2.1). */
    if (c->req->p.u64 > 0xff) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->set_status(be->dev, (uint8_t)c->req->p.u64));
}

static int h_get_status(struct vhu_backend *be, struct vhu_be_call *c)
{
    uint8_t st = 0;
    int rc;

    if (!be->ops->get_status) {
        return no_op();
    }
    rc = vhu__op_rc(be->ops->get_status(be->dev, &st));
    if (rc == 0) {
        reply_u64(c, st);
    }
    return rc;
}

static int h_get_shmem_config(struct vhu_backend *be, struct vhu_be_call *c)
{
    struct vhu_shmem_config *cfg = &c->reply->p.shmem_config;
    int rc;

    if (!be->ops->get_shmem_config) {
        return no_op();
    }
    memset(cfg, 0, sizeof(*cfg));
    rc = vhu__op_rc(be->ops->get_shmem_config(be->dev, cfg));
    if (rc == 0 && cfg->nregions > VHU_MAX_SHMEM_REGIONS) {
        rc = VHU_ERR(VHU_E_BACKEND_INTERNAL, EINVAL);
    }
    if (rc == 0) {
        cfg->padding = 0;
        c->reply_size = sizeof(*cfg);
    }
    return rc;
}

static int h_vring_kick(struct vhu_backend *be, struct vhu_be_call *c)
{
    if (!be->ops->vring_kick) {
        return no_op();
    }
    if (!queue_ok(be, c->req->p.state.index)) {
        return vhu_err(VHU_E_INVALID_PARAM);
    }
    return vhu__op_rc(be->ops->vring_kick(be->dev, c->req->p.state.index));
}

/*
 * Codes the library knows but no device op serves (SEND_RARP, IOTLB_MSG,
 * POSTCOPY_*, ...) have no row: they are refused like a NULL op.
 */
static const vhu_be_handler handlers[VHU_REQ_MAX] = {
    [VHU_REQ_SET_OWNER] = h_set_owner,
    [VHU_REQ_RESET_OWNER] = h_reset_owner,
    [VHU_REQ_GET_FEATURES] = h_get_features,
    [VHU_REQ_SET_FEATURES] = h_set_features,
    [VHU_REQ_GET_PROTOCOL_FEATURES] = h_get_protocol_features,
    [VHU_REQ_SET_PROTOCOL_FEATURES] = h_set_protocol_features,
    [VHU_REQ_SET_MEM_TABLE] = h_set_mem_table,
    [VHU_REQ_SET_LOG_BASE] = h_set_log_base,
    [VHU_REQ_SET_LOG_FD] = h_set_log_fd,
    [VHU_REQ_SET_VRING_NUM] = h_set_vring_num,
    [VHU_REQ_SET_VRING_ADDR] = h_set_vring_addr,
    [VHU_REQ_SET_VRING_BASE] = h_set_vring_base,
    [VHU_REQ_GET_VRING_BASE] = h_get_vring_base,
    [VHU_REQ_SET_VRING_KICK] = h_set_vring_kick,
    [VHU_REQ_SET_VRING_CALL] = h_set_vring_call,
    [VHU_REQ_SET_VRING_ERR] = h_set_vring_err,
    [VHU_REQ_GET_QUEUE_NUM] = h_get_queue_num,
    [VHU_REQ_SET_VRING_ENABLE] = h_set_vring_enable,
    [VHU_REQ_SET_BACKEND_REQ_FD] = h_set_backend_req_fd,
    [VHU_REQ_GET_CONFIG] = h_get_config,
    [VHU_REQ_SET_CONFIG] = h_set_config,
    [VHU_REQ_GET_INFLIGHT_FD] = h_get_inflight_fd,
    [VHU_REQ_SET_INFLIGHT_FD] = h_set_inflight_fd,
    [VHU_REQ_GET_MAX_MEM_SLOTS] = h_get_max_mem_slots,
    [VHU_REQ_ADD_MEM_REG] = h_add_mem_reg,
    [VHU_REQ_REM_MEM_REG] = h_rem_mem_reg,
    [VHU_REQ_RESET_DEVICE] = h_reset_device,
    [VHU_REQ_SET_STATUS] = h_set_status,
    [VHU_REQ_GET_STATUS] = h_get_status,
    [VHU_REQ_GET_SHMEM_CONFIG] = h_get_shmem_config,
    [VHU_REQ_VRING_KICK] = h_vring_kick,
};

vhu_be_handler vhu__be_handler(uint32_t code)
{
    return code < VHU_REQ_MAX ? handlers[code] : NULL;
}
