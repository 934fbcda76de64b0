// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceMean (float32): the double sum of reduce_sum.c (within 2^-35 *
 * sum |x_i| of the exact sum) divided by the group's size in double, then
 * rounded to float.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

int kinfer_eval_reduce_mean(const struct kinfer_exec *ex, uint64_t begin,
			    uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double s = 0.0;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g))
			s += kinfer_math_sum(x + g.off[0], g.n, g.stride[0]);
		y[u] = (float)(s / (double)p->count);
	}
	return 0;
}
