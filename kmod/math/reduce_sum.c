// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceSum.  float32 groups are summed in double: every float is exact
 * there and each addition errs by at most 2^-53 of the running sum, so
 * for a group of n <= 2^18 elements (one section) the sum before its
 * final rounding to float is within (n - 1) * 2^-53 * sum |x_i|
 * <= 2^-35 * sum |x_i| of the exact one.  Integers wrap (two's
 * complement, like numpy), computed in unsigned arithmetic.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

double kinfer_math_sum(const float *x, size_t n, size_t stride)
{
	double s = 0.0;
	size_t i;

	for (i = 0; i < n; i++)
		s += x[i * stride];
	return s;
}

uint64_t kinfer_math_sum_i32(const int32_t *x, size_t n, size_t stride)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (uint64_t)(int64_t)x[i * stride];
	return s;
}

uint64_t kinfer_math_sum_i64(const int64_t *x, size_t n, size_t stride)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (uint64_t)x[i * stride];
	return s;
}

int kinfer_eval_reduce_sum(const struct kinfer_exec *ex, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const void *x = ex->t[0].data;
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double f = 0.0;
		uint64_t i = 0;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g)) {
			switch (ex->t[0].dtype) {
			case KINFER_DTYPE_FLOAT32:
				f += kinfer_math_sum((const float *)x + g.off[0],
						     g.n, g.stride[0]);
				break;
			case KINFER_DTYPE_INT32:
				i += kinfer_math_sum_i32((const int32_t *)x +
							 g.off[0], g.n,
							 g.stride[0]);
				break;
			default:
				i += kinfer_math_sum_i64((const int64_t *)x +
							 g.off[0], g.n,
							 g.stride[0]);
			}
		}
		kinfer_reduce_store(&ex->t[1], u, f, i);
	}
	return 0;
}
