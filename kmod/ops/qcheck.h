/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks shared by the prepares of the int8 ops (uapi/kinfer.h, "int8
 * ops"): attribute ranges, the requantisation tensors, and the window
 * geometry of QCONV, QDEPTHWISE_CONV and the int8 pools.  Integer only.
 */
#ifndef _KINFER_OPS_QCHECK_H
#define _KINFER_OPS_QCHECK_H

#include "ops/exec.h"

/* Inputs of QFULLY_CONNECTED, QCONV, QDEPTHWISE_CONV. */
enum kinfer_q_input {
	KINFER_Q_X, KINFER_Q_W, KINFER_Q_BIAS, KINFER_Q_MULT, KINFER_Q_SHIFT,
	KINFER_Q_INPUTS
};

/*
 * An input zero point negated: a uint8 model's zero point (0..255) as
 * well as an int8 one, so |offset| <= 255 keeps every x + offset within
 * 9 bits and every product of two within int32.
 */
static inline bool kinfer_q_in_offset_ok(int32_t off)
{
	return off >= -255 && off <= 255;
}

static inline bool kinfer_q_out_offset_ok(int32_t off)
{
	return off >= -128 && off <= 127;
}

static inline bool kinfer_q_act_ok(int32_t lo, int32_t hi)
{
	return lo >= -128 && lo <= hi && hi <= 127;
}

static inline bool kinfer_q_is_channels(const struct kinfer_view *v,
					uint64_t m)
{
	return v->dtype == KINFER_DTYPE_INT32 && v->rank == 1 &&
	       (v->dims[0] == m || v->dims[0] == 1);
}

/*
 * The five inputs X, W, bias (optional), mult and shift, and one output:
 * X, W and the output int8; bias int32 [m]; mult and shift int32, both
 * [m] or both [1].  Their values are checked at eval.
 */
static inline int kinfer_q_check_inputs(struct kinfer_exec *ex, uint64_t m)
{
	const struct kinfer_view *b = kinfer_in(ex, KINFER_Q_BIAS);
	const struct kinfer_view *mult = kinfer_in(ex, KINFER_Q_MULT);
	const struct kinfer_view *shift = kinfer_in(ex, KINFER_Q_SHIFT);

	if (kinfer_in(ex, KINFER_Q_X)->dtype != KINFER_DTYPE_INT8 ||
	    kinfer_in(ex, KINFER_Q_W)->dtype != KINFER_DTYPE_INT8 ||
	    kinfer_out(ex, 0)->dtype != KINFER_DTYPE_INT8)
		return -EINVAL;
	if (b->data && (b->dtype != KINFER_DTYPE_INT32 || b->rank != 1 ||
			b->dims[0] != m))
		return -EINVAL;
	if (!kinfer_q_is_channels(mult, m) || !kinfer_same_shape(mult, shift) ||
	    shift->dtype != KINFER_DTYPE_INT32)
		return -EINVAL;
	return 0;
}

/*
 * Arity of the requantising ops: exactly five inputs (bias may be an
 * omitted tensor) and one output.
 */
static inline int kinfer_q_check_arity(struct kinfer_exec *ex)
{
	int ret;

	if (ex->n_in != KINFER_Q_INPUTS)
		return -EINVAL;
	ret = kinfer_check_arity(ex, KINFER_Q_W + 1, KINFER_Q_INPUTS, 1, 1);
	if (ret)
		return ret;
	if (!kinfer_in(ex, KINFER_Q_MULT)->data ||
	    !kinfer_in(ex, KINFER_Q_SHIFT)->data)
		return -EINVAL;
	return 0;
}

/*
 * One spatial axis of a TFLite window: window o starts at o * s - pad and
 * has taps every d, k of them.  Every window must start before the input
 * ends ((out - 1) * s <= in - 1 + pad) and the first must reach into it
 * (pad < (k - 1) * d + 1), so a pool's window always counts a tap.
 */
static inline int kinfer_q_window_axis(uint64_t in, uint64_t out, uint64_t k,
				       uint64_t s, uint64_t d, uint64_t pad)
{
	/* Every value is a u32: the products fit in u64. */
	if (!k || !s || !d)
		return -EINVAL;
	if (pad >= (k - 1) * d + 1 || (out - 1) * s > in - 1 + pad)
		return -EINVAL;
	return 0;
}

/*
 * The window plan of an NHWC op, as the float windows' 3-axis plan with a
 * leading axis of 1: in[1..2] = H, W, out[1..2] = OH, OW.  Channels: c in,
 * m out, one group.
 */
static inline void kinfer_q_window_plan(struct kinfer_window_plan *p,
					const struct kinfer_view *x,
					const struct kinfer_view *y,
					const uint32_t *k, const uint32_t *s,
					const uint32_t *d, const uint32_t *pad)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->n = x->dims[0];
	p->c = x->dims[3];
	p->m = y->dims[3];
	p->cg = p->c;
	p->mg = p->m;
	p->in[0] = 1;
	p->out[0] = 1;
	p->k[0] = 1;
	p->s[0] = 1;
	p->d[0] = 1;
	for (i = 0; i < 2; i++) {
		p->in[1 + i] = x->dims[1 + i];
		p->out[1 + i] = y->dims[1 + i];
		p->k[1 + i] = k[i];
		p->s[1 + i] = s[i];
		p->d[1 + i] = d[i];
		p->pb[1 + i] = pad[i];
	}
	p->taps = p->k[1] * p->k[2];
}

#endif /* _KINFER_OPS_QCHECK_H */
