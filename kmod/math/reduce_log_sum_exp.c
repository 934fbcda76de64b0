// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceLogSumExp (float32): m + log(sum exp(x - m)) with m the group's
 * maximum, so that no exp() overflows.  Each exp() is kinfer_expf (~1.5
 * ulp), the terms (each <= 1, one of them exactly 1) are summed in
 * double and the log is kinfer_logd_inline(): the result is within about
 * 2 ulp of float plus 2e-7 absolute.  A group with a NaN gives NaN; one
 * whose maximum is +Inf gives +Inf; one of all -Inf gives -Inf (log 0).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"
#include "logd.h"
#include "reduce_eval.h"

/* sum_i exp(x[i] - m) in double. */
double kinfer_math_sum_exp(const float *x, size_t n, size_t stride, float m)
{
	double s = 0.0;
	size_t i;

	for (i = 0; i < n; i++)
		s += kinfer_expf_inline(x[i * stride] - m);
	return s;
}

int kinfer_eval_reduce_log_sum_exp(const struct kinfer_exec *ex,
				   uint64_t begin, uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		float m = -kinfer_inff();
		double s = 0.0;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g)) {
			m = kinfer_math_max(x + g.off[0], g.n, g.stride[0], m);
			if (kinfer_isnan(m))
				break;
		}
		if (kinfer_isnan(m) || kinfer_isinf(m)) {
			y[u] = m;	/* NaN, +Inf, or -Inf: every x is -Inf */
			continue;
		}
		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g))
			s += kinfer_math_sum_exp(x + g.off[0], g.n, g.stride[0],
						 m);
		y[u] = (float)((double)m + kinfer_logd_inline(s));
	}
	return 0;
}
