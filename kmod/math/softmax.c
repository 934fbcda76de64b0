// SPDX-License-Identifier: GPL-2.0
/*
 * Softmax along one axis, max-subtracted so exp() never overflows.  A row
 * holding NaN or +Inf becomes all-NaN (numpy does the same); a row of
 * -Inf becomes all-NaN too (0/0).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"

void kinfer_math_softmax(float *out, const float *in, size_t n, size_t stride)
{
	float max = in[0], sum = 0.0f, inv;
	size_t i;

	for (i = 1; i < n; i++)
		if (in[i * stride] > max || kinfer_isnan(in[i * stride]))
			max = kinfer_isnan(max) ? max : in[i * stride];
	for (i = 0; i < n; i++) {
		out[i * stride] = kinfer_expf_inline(in[i * stride] - max);
		sum += out[i * stride];
	}
	inv = 1.0f / sum;
	for (i = 0; i < n; i++)
		out[i * stride] *= inv;
}

/* Unit u is the row at outer index u / inner, inner index u % inner. */
int kinfer_eval_softmax(const struct kinfer_exec *ex, uint64_t begin,
			uint64_t end)
{
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t first = u / p->inner * p->n * p->inner + u % p->inner;

		kinfer_math_softmax(y + first, x + first, p->n, p->inner);
	}
	return 0;
}
