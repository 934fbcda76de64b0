// SPDX-License-Identifier: GPL-2.0
/* Abs: clears the sign bit (abs(-0) = +0, NaN stays NaN). */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_abs(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = kinfer_fabsf(in[i]);
}

KINFER_UNARY_OP0(abs)
