// SPDX-License-Identifier: GPL-2.0
/*
 * Clip: min(max(x, lo), hi), lo the attribute block's alpha, hi its beta.
 * With lo > hi every element becomes hi, as ONNX specifies.  NaN stays
 * NaN; a NaN bound is never applied (comparisons with it are false).
 */
#include "ops/exec.h"
#include "kinfer_math.h"

void kinfer_math_clip(float *out, const float *in, size_t n, float lo,
		      float hi)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = in[i];

		x = x < lo ? lo : x;
		out[i] = x > hi ? hi : x;
	}
}

KINFER_UNARY_OP2(clip)
