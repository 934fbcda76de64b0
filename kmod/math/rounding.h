/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rounding to integers without libm (floorf() and friends are calls to
 * libm unless the CPU has SSE4.1, which kinfer does not assume).
 *
 * Below 2^23 a float has a fractional part; adding and subtracting 2^23
 * rounds it to an integer in the FPU's rounding mode, round-to-nearest-
 * even by default, exactly (no -ffast-math: the compiler must keep both
 * operations).  From 2^23 on, and for +-Inf and NaN, x is its own result.
 * The sign of a zero result is x's, as IEEE 754 roundToIntegral has it
 * (floor(0.5) = +0, ceil(-0.5) = -0, rint(-0.25) = -0).
 */
#ifndef _KINFER_MATH_ROUNDING_H
#define _KINFER_MATH_ROUNDING_H

#include "platform.h"

#define KINFER_TWO23F	8388608.0f

/* Round half to even. */
static inline float kinfer_rintf(float x)
{
	float a = kinfer_fabsf(x);

	if (!(a < KINFER_TWO23F))	/* large, +-Inf or NaN */
		return x;
	a = (a + KINFER_TWO23F) - KINFER_TWO23F;
	return __builtin_copysignf(a, x);
}

static inline float kinfer_floorf(float x)
{
	float r = kinfer_rintf(x);

	if (r > x)
		r -= 1.0f;
	return __builtin_copysignf(r, x);
}

static inline float kinfer_ceilf(float x)
{
	float r = kinfer_rintf(x);

	if (r < x)
		r += 1.0f;
	return __builtin_copysignf(r, x);
}

#endif /* _KINFER_MATH_ROUNDING_H */
