// SPDX-License-Identifier: GPL-2.0
#include "ops/exec.h"
#include "kinfer_math.h"

/* NaN is not < 0, so it passes through; -0.0 stays -0.0. */
void kinfer_math_relu(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

KINFER_UNARY_OP0(relu)
