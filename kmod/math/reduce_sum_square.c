// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceSumSquare: sum x^2.  For float32 each square is exact in double
 * (48-bit product) and the sum has the bound of reduce_sum.c without
 * cancellation: within n * 2^-53 relative (n <= 2^18) before the final
 * rounding to float.  Integers wrap like numpy.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

double kinfer_math_sum_sq(const float *x, size_t n, size_t stride)
{
	double s = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double v = x[i * stride];

		s += v * v;
	}
	return s;
}

uint64_t kinfer_math_sum_sq_int(const void *x, uint32_t dtype, size_t n,
				size_t stride)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = (uint64_t)kinfer_int_at(x, dtype, i * stride);

		s += v * v;
	}
	return s;
}

int kinfer_eval_reduce_sum_square(const struct kinfer_exec *ex,
				  uint64_t begin, uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const struct kinfer_view *xv = &ex->t[0];
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double f = 0.0;
		uint64_t i = 0;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g)) {
			if (xv->dtype == KINFER_DTYPE_FLOAT32)
				f += kinfer_math_sum_sq((const float *)xv->data +
							g.off[0], g.n,
							g.stride[0]);
			else
				i += kinfer_math_sum_sq_int(kinfer_row_at(xv, &g),
							    xv->dtype, g.n,
							    g.stride[0]);
		}
		kinfer_reduce_store(&ex->t[1], u, f, i);
	}
	return 0;
}
