// SPDX-License-Identifier: GPL-2.0
/*
 * Celu: max(0, x) + min(0, alpha * (e^(x / alpha) - 1)), i.e. x for
 * x > 0 and alpha * expm1(x / alpha) otherwise, in double.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "logexp.h"

void kinfer_math_celu(float *out, const float *in, size_t n, float alpha)
{
	double a = alpha;
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i];

		out[i] = x > 0.0f || kinfer_isnan(x) ? x :
			 (float)(a * kinfer_expm1_d((double)x / a));
	}
}

KINFER_UNARY_OP1(celu)
