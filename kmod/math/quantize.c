// SPDX-License-Identifier: GPL-2.0
/*
 * QUANTIZE: float32 -> int8, q = clamp(round(x / scale) + zero_point),
 * struct kinfer_attr_qconvert.  As TFLite's AffineQuantize: the quotient
 * in float, rounded half away from zero (std::round).  NaN gives
 * zero_point, and quotients beyond the int32 range (+-Inf included)
 * saturate: TFLite's cast of those to int32 is undefined (x86 gives
 * INT32_MIN, so +1e30 becomes -128 there).  A unit is an element.
 */
#include "ops/exec.h"

static int8_t quantize_one(float x, float scale, int32_t zero_point)
{
	float r = x / scale, f;
	int32_t i;

	if (kinfer_isnan(r))
		return (int8_t)zero_point;
	/* beyond +-256 every zero point clamps: no cast of a huge value */
	if (r >= 256.0f)
		return 127;
	if (r <= -256.0f)
		return -128;
	i = (int32_t)r;		/* toward zero; r - i is exact */
	f = r - (float)i;
	if (f >= 0.5f)
		i++;
	else if (f <= -0.5f)
		i--;
	i += zero_point;
	return (int8_t)(i < -128 ? -128 : i > 127 ? 127 : i);
}

int kinfer_eval_quantize(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	const struct kinfer_attr_qconvert *a = ex->attr;
	const float *x = (const float *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;
	uint64_t i;

	for (i = begin; i < end; i++)
		y[i] = quantize_one(x[i], a->scale.f, a->zero_point);
	return 0;
}
