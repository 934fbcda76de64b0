// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceLogSum (float32): log(sum x), the sum in double as in
 * reduce_sum.c, its log with kinfer_logd_inline() (relative error below
 * 1e-15), then rounded to float.  A negative sum gives NaN, a zero sum
 * -Inf, as log() does.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "logd.h"
#include "reduce_eval.h"

int kinfer_eval_reduce_log_sum(const struct kinfer_exec *ex, uint64_t begin,
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
		y[u] = (float)kinfer_logd_inline(s);
	}
	return 0;
}
