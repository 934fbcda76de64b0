// SPDX-License-Identifier: GPL-2.0
/*
 * Elu: x > 0 ? x : alpha * (e^x - 1), e^x - 1 in double so that it keeps
 * its relative precision near 0 (float exp(x) - 1 would cancel).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "logexp.h"

void kinfer_math_elu(float *out, const float *in, size_t n, float alpha)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i];

		out[i] = x > 0.0f || kinfer_isnan(x) ? x :
			 (float)((double)alpha * kinfer_expm1_d(x));
	}
}

KINFER_UNARY_OP1(elu)
