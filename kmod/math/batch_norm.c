// SPDX-License-Identifier: GPL-2.0
/*
 * BatchNormalization at inference (kmod/ops/batch_norm.c).  Per channel,
 * a = scale / sqrt(var + epsilon) in double, then y = (x - mean) * a + bias
 * in double (x - mean is exact there unless the two floats' exponents differ
 * by more than 29) rounded to float once: within 0.5 ulp plus a few 2^-53
 * relative of the terms.
 */
#include "ops/exec.h"
#include "kinfer_math.h"

/* out[i] = (in[i] - m) * a + b, in double, rounded once. */
void kinfer_math_affine(float *out, const float *in, size_t n, double m,
			double a, double b)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (float)((in[i] - m) * a + b);
}

/* Units are elements; x is [outer, n channels, inner]. */
int kinfer_eval_batch_norm(const struct kinfer_exec *ex, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_attr_epsilon *at = ex->attr;
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const float *x = (const float *)ex->t[0].data;
	const float *scale = (const float *)ex->t[1].data;
	const float *bias = (const float *)ex->t[2].data;
	const float *mean = ex->n_in == 5 ? (const float *)ex->t[3].data : NULL;
	const float *var = ex->n_in == 5 ? (const float *)ex->t[4].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;
	uint64_t e = begin;

	while (e < end) {
		uint64_t row = e / p->inner, c = row % p->n;
		uint64_t stop = kinfer_min_u64(end, (row + 1) * p->inner);
		double a = scale[c], m = 0.0;

		if (mean) {
			a /= __builtin_sqrt((double)var[c] +
					    (double)at->epsilon.f);
			m = mean[c];
		}
		kinfer_math_affine(y + e, x + e, stop - e, m, a, bias[c]);
		e = stop;
	}
	return 0;
}
