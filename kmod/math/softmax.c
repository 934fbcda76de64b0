// SPDX-License-Identifier: GPL-2.0
/*
 * Softmax along one axis, max-subtracted so exp() never overflows.  A row
 * holding NaN or +Inf becomes all-NaN (numpy does the same); a row of
 * -Inf becomes all-NaN too (0/0).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "math/isa.h"

/* The running variant's vector kernel (vmath.h). */
void kinfer_math_softmax(float *out, const float *in, size_t n, size_t stride)
{
	kinfer_isa_ops()->softmax(out, in, n, stride);
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
