// SPDX-License-Identifier: GPL-2.0
/*
 * Gelu, exact form: x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), by the
 * running variant's vmath.h kernel, which takes x/2 * erfc(|x| / sqrt 2)
 * for x < 0 so that nothing cancels (1 + erf would lose every digit below
 * x = -5).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "math/isa.h"

float kinfer_geluf(float x)
{
	float y;

	kinfer_isa_ops()->gelu(&y, &x, 1);
	return y;
}

void kinfer_math_gelu(float *out, const float *in, size_t n)
{
	kinfer_isa_ops()->gelu(out, in, n);
}

KINFER_UNARY_OP0(gelu)
