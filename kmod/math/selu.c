// SPDX-License-Identifier: GPL-2.0
/*
 * Selu: gamma * (x > 0 ? x : alpha * (e^x - 1)); alpha is the attribute
 * block's alpha, gamma its beta.  e^x - 1 in double, as for Elu.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "logexp.h"

void kinfer_math_selu(float *out, const float *in, size_t n, float alpha,
		      float gamma)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double x = in[i];

		if (x > 0.0 || kinfer_isnan(x))
			out[i] = (float)((double)gamma * x);
		else
			out[i] = (float)((double)gamma * alpha *
					 kinfer_expm1_d(x));
	}
}

KINFER_UNARY_OP2(selu)
