// SPDX-License-Identifier: GPL-2.0
/*
 * RMSNormalization over a group of x (kmod/ops/norm.c):
 *
 *	y = x / sqrt(sum x^2 / n + epsilon) * scale
 *
 * The sum of squares (exact terms) in double, within n * 2^-53 relative
 * (n <= 2^18); x * inv formed in double and rounded once, then scaled in
 * float.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

int kinfer_eval_rms_norm(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	const struct kinfer_attr_norm *a = ex->attr;
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const float *x = (const float *)ex->t[0].data;
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double s = 0.0, inv;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g))
			s += kinfer_math_sum_sq(x + g.off[0], g.n, g.stride[0]);
		inv = 1.0 / __builtin_sqrt(s / (double)p->count +
					   (double)a->epsilon.f);
		kinfer_norm_group(ex, u, 0.0, inv);
	}
	return 0;
}
