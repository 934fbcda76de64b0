// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceProd.  float32 groups multiply in double: each product errs by
 * at most 2^-53 relative, so n factors (n <= 2^18) are within about
 * n * 2^-53 <= 2^-35 relative before the final rounding to float, as
 * long as the partial products stay inside double's range (beyond it
 * they saturate to Inf or 0, as IEEE arithmetic does).  Integers wrap
 * (two's complement, like numpy), computed in unsigned arithmetic.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

double kinfer_math_prod(const float *x, size_t n, size_t stride)
{
	double p = 1.0;
	size_t i;

	for (i = 0; i < n; i++)
		p *= x[i * stride];
	return p;
}

uint64_t kinfer_math_prod_int(const void *x, uint32_t dtype, size_t n,
			      size_t stride)
{
	uint64_t p = 1;
	size_t i;

	for (i = 0; i < n; i++)
		p *= (uint64_t)kinfer_int_at(x, dtype, i * stride);
	return p;
}

int kinfer_eval_reduce_prod(const struct kinfer_exec *ex, uint64_t begin,
			    uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const struct kinfer_view *xv = &ex->t[0];
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double f = 1.0;
		uint64_t i = 1;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g)) {
			if (xv->dtype == KINFER_DTYPE_FLOAT32)
				f *= kinfer_math_prod((const float *)xv->data +
						      g.off[0], g.n, g.stride[0]);
			else
				i *= kinfer_math_prod_int(kinfer_row_at(xv, &g),
							  xv->dtype, g.n,
							  g.stride[0]);
		}
		kinfer_reduce_store(&ex->t[1], u, f, i);
	}
	return 0;
}
