// SPDX-License-Identifier: GPL-2.0
/* Exp: expf.h (~1.5 ulp). */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "expf.h"

void kinfer_math_exp(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = kinfer_expf_inline(in[i]);
}

KINFER_UNARY_OP0(exp)
