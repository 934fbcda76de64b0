// SPDX-License-Identifier: GPL-2.0
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"

/*
 * For x < 0 use e / (1 + e) with e = exp(x): it keeps full relative
 * precision down to denormal results, where 1 / (1 + exp(-x)) would give
 * 1 / Inf = 0 as soon as exp(-x) overflows.  NaN is not < 0: it takes
 * the second form and stays NaN.
 */
static inline float sigmoidf(float x)
{
	float e;

	if (x < 0.0f) {
		e = kinfer_expf_inline(x);
		return e / (1.0f + e);
	}
	return 1.0f / (1.0f + kinfer_expf_inline(-x));
}

float kinfer_sigmoidf(float x)
{
	return sigmoidf(x);
}

void kinfer_math_sigmoid(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = sigmoidf(in[i]);
}

KINFER_UNARY_OP0(sigmoid)
