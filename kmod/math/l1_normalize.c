// SPDX-License-Identifier: GPL-2.0
/*
 * LpNormalization with p = 1 along one axis: y = x / sum |x|.  The sum,
 * its reciprocal and the product are in double (together within
 * (n + 2) * 2^-53 relative, n <= 2^18), rounded to float once: each y is
 * within 0.5 ulp plus 2^-35 relative.  A row whose norm is 0 becomes 0
 * (ONNX's reference does the same instead of 0/0); NaN stays NaN; an
 * infinite norm gives 0 for finite x and NaN for infinite x (x / Inf).
 */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_l1_normalize(float *out, const float *in, size_t n,
			      size_t stride)
{
	double norm = kinfer_math_sum_abs(in, n, stride);
	double inv = norm == 0.0 ? 0.0 : 1.0 / norm;
	size_t i;

	for (i = 0; i < n; i++)
		out[i * stride] = (float)(in[i * stride] * inv);
}

int kinfer_eval_l1_normalize(const struct kinfer_exec *ex, uint64_t begin,
			     uint64_t end)
{
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t first = u / p->inner * p->n * p->inner + u % p->inner;

		kinfer_math_l1_normalize(y + first, x + first, p->n, p->inner);
	}
	return 0;
}
