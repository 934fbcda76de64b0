// SPDX-License-Identifier: GPL-2.0
/* Erf: see erf.h for the method and its accuracy. */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "erf.h"

float kinfer_erff(float x)
{
	return (float)kinfer_erf_d(x);
}

void kinfer_math_erf(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (float)kinfer_erf_d(in[i]);
}

KINFER_UNARY_OP0(erf)
