// SPDX-License-Identifier: GPL-2.0
/*
 * Gelu, exact form: x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)).  For x < 0
 * this is x/2 * erfc(|x| / sqrt 2), which does not cancel (1 + erf
 * would lose every digit below x = -5).  In double; within 1 ulp.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "erf.h"

#define KINFER_SQRT1_2_D	0.707106781186547524401

static inline float geluf(float x)
{
	double d = x;

	if (kinfer_isnan(x))
		return x;
	if (x >= 0.0f)
		return (float)(0.5 * d * (1.0 + kinfer_erf_d(d * KINFER_SQRT1_2_D)));
	if (kinfer_isinf(x))
		return -0.0f;	/* the limit */
	return (float)(0.5 * d * kinfer_erfc_d(-d * KINFER_SQRT1_2_D));
}

float kinfer_geluf(float x)
{
	return geluf(x);
}

void kinfer_math_gelu(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = geluf(in[i]);
}

KINFER_UNARY_OP0(gelu)
