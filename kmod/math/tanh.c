// SPDX-License-Identifier: GPL-2.0
/*
 * Cephes tanhf: an odd polynomial below |x| = 0.625, where 1 - 2/(e^2x + 1)
 * would cancel, and the exp() form above.  Max relative error ~2 ulp;
 * tanh(-0) = -0, tanh(+-Inf) = +-1, tanh(NaN) = NaN.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"

static inline float tanhf_inline(float x)
{
	float z = kinfer_fabsf(x);
	float s;

	if (kinfer_isnan(x))
		return x + x;
	if (z > 9.1f)	/* tanh(9.1) rounds to 1.0f */
		return x < 0.0f ? -1.0f : 1.0f;
	if (z >= 0.625f) {
		s = kinfer_expf_inline(z + z);
		z = 1.0f - 2.0f / (s + 1.0f);
		return x < 0.0f ? -z : z;
	}
	if (x == 0.0f)
		return x;
	s = x * x;
	z = -0.00570498872745f;
	z = z * s + 0.0206390887954f;
	z = z * s - 0.0537397155531f;
	z = z * s + 0.133314422036f;
	z = z * s - 0.333332819422f;
	return z * s * x + x;
}

float kinfer_tanhf(float x)
{
	return tanhf_inline(x);
}

void kinfer_math_tanh(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = tanhf_inline(in[i]);
}

KINFER_UNARY_OP0(tanh)
