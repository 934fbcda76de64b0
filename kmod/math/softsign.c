// SPDX-License-Identifier: GPL-2.0
/* Softsign: x / (1 + |x|); +-Inf give +-1 (Inf / Inf would be NaN). */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_softsign(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i];

		out[i] = kinfer_isinf(x) ? __builtin_copysignf(1.0f, x) :
			 x / (1.0f + kinfer_fabsf(x));
	}
}

KINFER_UNARY_OP0(softsign)
