// SPDX-License-Identifier: GPL-2.0
/*
 * DEQUANTIZE: int8 -> float32, y = scale * (q - zero_point), struct
 * kinfer_attr_qconvert.  TFLite multiplies the scale as a double by the
 * integer: a 24-bit significand times an integer of at most 9 bits is
 * exact in double and then rounded to float once, which is exactly the
 * float product computed here (also rounded once).  A unit is an element.
 */
#include "ops/exec.h"

int kinfer_eval_dequantize(const struct kinfer_exec *ex, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_attr_qconvert *a = ex->attr;
	const int8_t *x = (const int8_t *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	uint64_t i;

	for (i = begin; i < end; i++)
		y[i] = a->scale.f * (float)((int32_t)x[i] - a->zero_point);
	return 0;
}
