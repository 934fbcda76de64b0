// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceL2 (float32): sqrt(sum x^2), the sum of squares in double as in
 * reduce_sum_square.c, its square root in double (correctly rounded), then
 * rounded to float: within about 1 ulp + n * 2^-54 relative.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

int kinfer_eval_reduce_l2(const struct kinfer_exec *ex, uint64_t begin,
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
			s += kinfer_math_sum_sq(x + g.off[0], g.n, g.stride[0]);
		y[u] = (float)__builtin_sqrt(s);
	}
	return 0;
}
