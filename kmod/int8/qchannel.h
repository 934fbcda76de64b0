/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requantisation of the accumulators of QFULLY_CONNECTED, QCONV and
 * QDEPTHWISE_CONV: bias, one multiplier per output channel (or one for
 * all), the output offset and the fused activation's range.
 */
#ifndef _KINFER_INT8_QCHANNEL_H
#define _KINFER_INT8_QCHANNEL_H

#include "int8/qmath.h"
#include "math/window.h"
#include "ops/exec.h"
#include "ops/qcheck.h"

struct kinfer_q_channel {
	int32_t bias, mult, shift;
};

/*
 * Output channel @ch's parameters.  The multiplier tensors are data, in
 * the arena or a bound buffer: an invalid pair fails the node.
 */
static inline int kinfer_q_channel(const struct kinfer_exec *ex, uint64_t ch,
				   struct kinfer_q_channel *q)
{
	const struct kinfer_view *b = &ex->t[KINFER_Q_BIAS];
	const struct kinfer_view *m = &ex->t[KINFER_Q_MULT];
	uint64_t i = m->numel == 1 ? 0 : ch;

	q->bias = b->data ? ((const int32_t *)b->data)[ch] : 0;
	q->mult = ((const int32_t *)m->data)[i];
	q->shift = ((const int32_t *)ex->t[KINFER_Q_SHIFT].data)[i];
	return kinfer_q_mul_valid(q->mult, q->shift) ? 0 : -EINVAL;
}

/*
 * The output of an accumulator: TFLite sums in int32, where an overflow
 * is undefined; here the sum is int64 and saturates to int32 before the
 * multiply, which only differs where TFLite's would have overflowed.
 * half_up: QFULLY_CONNECTED's single rounding (int8/qmath.h).
 */
static inline int8_t kinfer_q_output(int64_t acc,
				     const struct kinfer_q_channel *q,
				     int32_t out_off, int32_t lo, int32_t hi,
				     bool half_up)
{
	int32_t x = kinfer_q_sat32(acc + q->bias);
	int64_t v = half_up ? kinfer_q_requant_half_up(x, q->mult, q->shift) :
			      kinfer_q_requant(x, q->mult, q->shift);

	v += out_off;
	return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/*
 * The accumulator of one output of a convolution: channel @ch at batch @n,
 * the window's tap (0, 0) at input row @iy and column @ix (negative in the
 * padding).
 */
typedef int64_t (*kinfer_q_conv_sum_fn)(const struct kinfer_exec *ex,
					int64_t n, int64_t ch, int64_t iy,
					int64_t ix);

/*
 * QCONV's and QDEPTHWISE_CONV's units [begin, end): blocks of output
 * columns of one output row for a block of channels (kmod/ops/qconv.c),
 * each output the requantised @sum.
 */
static inline int kinfer_q_conv_eval(const struct kinfer_exec *ex,
				     uint64_t begin, uint64_t end,
				     kinfer_q_conv_sum_fn sum)
{
	const struct kinfer_attr_qconv *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	int8_t *y = (int8_t *)ex->t[ex->n_in].data;
	struct kinfer_window_unit wu;
	struct kinfer_q_channel q;
	int64_t j, ch, iy;
	int8_t *yr;
	uint64_t u;
	int ret;

	for (u = begin; u < end; u++) {
		kinfer_window_unit(p, u, &wu);
		iy = wu.oh * p->s[1] - p->pb[1];
		yr = y + (wu.n * p->out[1] + wu.oh) * p->out[2] * p->m;
		for (ch = wu.ch; ch < wu.ch + wu.nch; ch++) {
			ret = kinfer_q_channel(ex, (uint64_t)ch, &q);
			if (ret)
				return ret;
			for (j = wu.ow0; j < wu.ow0 + wu.nw; j++) {
				int64_t acc = sum(ex, wu.n, ch, iy,
						  j * p->s[2] - p->pb[2]);

				yr[j * p->m + ch] =
					kinfer_q_output(acc, &q,
							a->output_offset,
							a->act_min, a->act_max,
							false);
			}
		}
	}
	return 0;
}

#endif /* _KINFER_INT8_QCHANNEL_H */
