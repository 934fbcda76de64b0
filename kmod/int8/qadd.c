// SPDX-License-Identifier: GPL-2.0
/*
 * QADD: TFLite's reference int8 Add: both inputs, offset and shifted
 * left, are rescaled to a common scale, summed, and the sum rescaled to
 * the output's.
 */
#include "int8/qmath.h"
#include "math/bcast.h"

static int32_t scaled(int32_t v, int32_t left_shift,
		      const struct kinfer_qmul *q)
{
	return kinfer_q_requant(v * (1 << left_shift), q->multiplier, q->shift);
}

static void qadd_row(const void *ctx, uint64_t o, const uint64_t *off,
		     const uint64_t *step, uint64_t len)
{
	const struct kinfer_exec *ex = ctx;
	const struct kinfer_attr_qbinary *a = ex->attr;
	const int8_t *pa = (const int8_t *)ex->t[0].data + off[0];
	const int8_t *pb = (const int8_t *)ex->t[1].data + off[1];
	int8_t *py = (int8_t *)ex->t[2].data + o;
	uint64_t i;

	for (i = 0; i < len; i++) {
		int32_t sa = scaled(pa[i * step[0]] + a->input1_offset,
				    a->left_shift, &a->input1);
		int32_t sb = scaled(pb[i * step[1]] + a->input2_offset,
				    a->left_shift, &a->input2);
		/*
		 * TFLite's int32 sum cannot overflow for multipliers below
		 * 1, which it always has; larger ones saturate here.
		 */
		int32_t sum = kinfer_q_sat32((int64_t)sa + sb);
		int64_t v = kinfer_q_requant(sum, a->output.multiplier,
					     a->output.shift);

		v += a->output_offset;

		py[i] = (int8_t)(v < a->act_min ? a->act_min :
				 v > a->act_max ? a->act_max : v);
	}
}

int kinfer_eval_qadd(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	kinfer_bcast_walk(&ex->s.bcast, begin, end, qadd_row, ex);
	return 0;
}
