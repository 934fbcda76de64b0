// SPDX-License-Identifier: GPL-2.0
/* Erf: the running variant's vmath.h kernel (method and accuracy there). */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "math/isa.h"

float kinfer_erff(float x)
{
	float y;

	kinfer_isa_ops()->erf(&y, &x, 1);
	return y;
}

void kinfer_math_erf(float *out, const float *in, size_t n)
{
	kinfer_isa_ops()->erf(out, in, n);
}

KINFER_UNARY_OP0(erf)
