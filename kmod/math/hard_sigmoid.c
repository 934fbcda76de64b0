// SPDX-License-Identifier: GPL-2.0
/* HardSigmoid: max(0, min(1, alpha * x + beta)).  NaN stays NaN. */
#include "ops/exec.h"
#include "kinfer_math.h"

static inline float clamp01(float v)
{
	if (v < 0.0f)
		return 0.0f;
	return v > 1.0f ? 1.0f : v;
}

void kinfer_math_hard_sigmoid(float *out, const float *in, size_t n,
			      float alpha, float beta)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = clamp01(alpha * in[i] + beta);
}

KINFER_UNARY_OP2(hard_sigmoid)
