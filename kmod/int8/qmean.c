// SPDX-License-Identifier: GPL-2.0
/*
 * QMEAN (struct kinfer_attr_qmean): a unit is one output element, the
 * requantised sum of its group.  The sum is exact in 64 bits and then
 * saturates to int32 (TFLite's int32 sum would wrap past 2^23 elements).
 */
#include "ops/exec.h"
#include "ops/reduce.h"
#include "int8/qmath.h"

int kinfer_eval_qmean(const struct kinfer_exec *ex, uint64_t begin,
		      uint64_t end)
{
	const struct kinfer_attr_qmean *a = ex->attr;
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const int8_t *x = (const int8_t *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;
	struct kinfer_group g;
	uint64_t u, i;

	for (u = begin; u < end; u++) {
		int64_t sum = 0;
		int32_t q;

		for (kinfer_group_first(&g, p, u); g.rows;
		     kinfer_group_next(&g)) {
			const int8_t *row = x + g.off[0];

			for (i = 0; i < g.n; i++)
				sum += row[i * g.stride[0]];
		}
		sum += (int64_t)a->input_offset * (int64_t)p->count;
		q = kinfer_q_requant(kinfer_q_sat32(sum), a->output.multiplier,
				     a->output.shift);
		q = kinfer_q_sat32((int64_t)q + a->output_offset);
		y[u] = (int8_t)kinfer_q_clamp(q, -128, 127);
	}
	return 0;
}
