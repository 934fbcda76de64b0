// SPDX-License-Identifier: GPL-2.0
/* LeakyRelu: x < 0 ? alpha * x : x.  NaN stays NaN. */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_leaky_relu(float *out, const float *in, size_t n, float alpha)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = in[i] < 0.0f ? alpha * in[i] : in[i];
}

KINFER_UNARY_OP1(leaky_relu)
