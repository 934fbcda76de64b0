// SPDX-License-Identifier: GPL-2.0
/* Sign: -1, 0 or 1; a zero keeps its sign, NaN stays NaN. */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_sign(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i];

		out[i] = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;
	}
}

KINFER_UNARY_OP0(sign)
