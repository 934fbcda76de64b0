// SPDX-License-Identifier: GPL-2.0
/* Round: to nearest, ties to even, as ONNX defines it (rounding.h). */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "rounding.h"

void kinfer_math_round(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = kinfer_rintf(in[i]);
}

KINFER_UNARY_OP0(round)
