// SPDX-License-Identifier: GPL-2.0
/* ThresholdedRelu: x > alpha ? x : 0.  NaN stays NaN, like Relu. */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_thresholded_relu(float *out, const float *in, size_t n,
				  float alpha)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = in[i] > alpha || kinfer_isnan(in[i]) ? in[i] : 0.0f;
}

KINFER_UNARY_OP1(thresholded_relu)
