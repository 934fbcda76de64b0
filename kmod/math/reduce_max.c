// SPDX-License-Identifier: GPL-2.0
/*
 * ReduceMax.  A group holding a NaN gives NaN (numpy's maximum.reduce);
 * bool is "any".  Exact: no rounding.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"

float kinfer_math_max(const float *x, size_t n, size_t stride, float m)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float v = x[i * stride];

		if (kinfer_isnan(v))
			return v;
		if (v > m)
			m = v;
	}
	return m;
}

int64_t kinfer_math_max_int(const void *x, uint32_t dtype, size_t n,
			    size_t stride, int64_t m)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int64_t v = kinfer_int_at(x, dtype, i * stride);

		if (v > m)
			m = v;
	}
	return m;
}

int kinfer_eval_reduce_max(const struct kinfer_exec *ex, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const struct kinfer_view *xv = &ex->t[0];
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		float f = -kinfer_inff();
		int64_t i = KINFER_I64_MIN;

		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g)) {
			if (xv->dtype == KINFER_DTYPE_FLOAT32)
				f = kinfer_math_max((const float *)xv->data +
						    g.off[0], g.n, g.stride[0], f);
			else
				i = kinfer_math_max_int(kinfer_row_at(xv, &g),
							xv->dtype, g.n,
							g.stride[0], i);
			if (kinfer_isnan(f))
				break;
		}
		kinfer_reduce_store(&ex->t[1], u, f, (uint64_t)i);
	}
	return 0;
}
