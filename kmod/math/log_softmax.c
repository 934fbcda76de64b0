// SPDX-License-Identifier: GPL-2.0
/*
 * LogSoftmax along one axis: y = x - max - log(sum exp(x - max)), the
 * max subtracted so that exp() never overflows, the exps summed in double
 * and the log by kinfer_logd_inline().  Each y is within ~2 ulp of x - max
 * plus 2e-7 absolute.  A row holding NaN or +Inf becomes all-NaN, and a
 * row of -Inf too (as softmax.c, and numpy's x - logsumexp(x)).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"
#include "logd.h"

void kinfer_math_log_softmax(float *out, const float *in, size_t n,
			     size_t stride)
{
	float max = in[0], lse;
	double sum = 0.0;
	size_t i;

	for (i = 1; i < n; i++)
		if (in[i * stride] > max || kinfer_isnan(in[i * stride]))
			max = kinfer_isnan(max) ? max : in[i * stride];
	for (i = 0; i < n; i++)
		sum += kinfer_expf_inline(in[i * stride] - max);
	lse = (float)kinfer_logd_inline(sum);
	for (i = 0; i < n; i++)
		out[i * stride] = in[i * stride] - max - lse;
}

/* Unit u is the row at outer index u / inner, inner index u % inner. */
int kinfer_eval_log_softmax(const struct kinfer_exec *ex, uint64_t begin,
			    uint64_t end)
{
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t first = u / p->inner * p->n * p->inner + u % p->inner;

		kinfer_math_log_softmax(y + first, x + first, p->n, p->inner);
	}
	return 0;
}
