// SPDX-License-Identifier: GPL-2.0
/*
 * Sqrt: the SSE instruction (correctly rounded; -fno-math-errno keeps
 * GCC from calling libm for negative inputs, which give NaN).
 */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_sqrt(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = __builtin_sqrtf(in[i]);
}

KINFER_UNARY_OP0(sqrt)
