/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUANTIZE's scalar rule, shared by its row kernels (math/isa.h): every
 * variant gives these bytes.  As TFLite's AffineQuantize: the quotient
 * in float (IEEE division, exact in every variant), rounded half away
 * from zero (std::round).  NaN gives zero_point, and quotients beyond the
 * int32 range (+-Inf included) saturate: TFLite's cast of those to int32
 * is undefined (x86 gives INT32_MIN, so +1e30 becomes -128 there).
 */
#ifndef _KINFER_MATH_QUANTIZE_H
#define _KINFER_MATH_QUANTIZE_H

#include "platform.h"

static inline int8_t kinfer_quantize_one(float x, float scale,
					 int32_t zero_point)
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

#endif /* _KINFER_MATH_QUANTIZE_H */
