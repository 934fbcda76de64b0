// SPDX-License-Identifier: GPL-2.0
/* Ceil: rounding.h (exact; a zero result keeps x's sign). */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "rounding.h"

void kinfer_math_ceil(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = kinfer_ceilf(in[i]);
}

KINFER_UNARY_OP0(ceil)
