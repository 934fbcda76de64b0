// SPDX-License-Identifier: GPL-2.0
/*
 * QMUL: TFLite's reference int8 Mul: the product of the offset inputs
 * (|a|, |b| <= 383: it fits int32) rescaled to the output's scale.
 */
#include "int8/qmath.h"
#include "math/bcast.h"

static void qmul_row(const void *ctx, uint64_t o, const uint64_t *off,
		     const uint64_t *step, uint64_t len)
{
	const struct kinfer_exec *ex = ctx;
	const struct kinfer_attr_qbinary *a = ex->attr;
	const int8_t *pa = (const int8_t *)ex->t[0].data + off[0];
	const int8_t *pb = (const int8_t *)ex->t[1].data + off[1];
	int8_t *py = (int8_t *)ex->t[2].data + o;
	uint64_t i;

	for (i = 0; i < len; i++) {
		int32_t prod = (pa[i * step[0]] + a->input1_offset) *
			       (pb[i * step[1]] + a->input2_offset);
		int64_t v = kinfer_q_requant(prod, a->output.multiplier,
					     a->output.shift);

		v += a->output_offset;

		py[i] = (int8_t)(v < a->act_min ? a->act_min :
				 v > a->act_max ? a->act_max : v);
	}
}

int kinfer_eval_qmul(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	kinfer_bcast_walk(&ex->s.bcast, begin, end, qmul_row, ex);
	return 0;
}
