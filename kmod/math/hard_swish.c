// SPDX-License-Identifier: GPL-2.0
/*
 * HardSwish: x * max(0, min(1, x / 6 + 0.5)), the slope written as ONNX
 * defines it (alpha = 1/6 rounded to float, times x).  NaN stays NaN.
 */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_hard_swish(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i], g = x * (1.0f / 6.0f) + 0.5f;

		if (g < 0.0f)
			g = 0.0f;
		else if (g > 1.0f)
			g = 1.0f;
		out[i] = x * g;
	}
}

KINFER_UNARY_OP0(hard_swish)
