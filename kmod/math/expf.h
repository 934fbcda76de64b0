/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Single-precision exp() for environments without libm, inlined into the
 * ops that need it.
 *
 * Cephes expf (S. L. Moshier): x = n*ln2 + r with |r| <= ln2/2, ln2 split
 * into C1 + C2 so that n*C1 is exact, exp(r) by a degree-7 polynomial,
 * then a scale by 2^n.  Max relative error ~1.5 ulp on the whole range,
 * denormal results included.  exp(NaN) = NaN, exp(-Inf) = 0,
 * exp(+Inf) = +Inf, overflow gives +Inf.
 */
#ifndef _KINFER_MATH_EXPF_H
#define _KINFER_MATH_EXPF_H

#include "platform.h"

#define KINFER_EXPF_LOG2E	1.44269504088896341f
#define KINFER_EXPF_C1		0.693359375f
#define KINFER_EXPF_C2		(-0.000212194440f)
/* Above this, exp() overflows binary32; below the other, it rounds to 0. */
#define KINFER_EXPF_HI		88.8f
#define KINFER_EXPF_LO		(-104.0f)

/* 2^k as a float, for -126 <= k <= 127. */
static inline float kinfer_pow2i(int k)
{
	union {
		uint32_t u;
		float f;
	} v = { .u = (uint32_t)(k + 127) << 23 };

	return v.f;
}

static inline float kinfer_expf_inline(float x)
{
	float fn, r, p;
	int n, n1;

	if (kinfer_isnan(x))
		return x + x;
	if (x > KINFER_EXPF_HI)
		return kinfer_inff();
	if (x < KINFER_EXPF_LO)
		return 0.0f;

	/* n = round(x / ln2), |n| <= 150 */
	fn = x * KINFER_EXPF_LOG2E;
	n = (int)(fn + (fn < 0.0f ? -0.5f : 0.5f));
	fn = (float)n;

	r = x - fn * KINFER_EXPF_C1;
	r = r - fn * KINFER_EXPF_C2;

	p = 0.00019875691500f;
	p = p * r + 0.0013981999507f;
	p = p * r + 0.0083334519073f;
	p = p * r + 0.041665795894f;
	p = p * r + 0.16666665459f;
	p = p * r + 0.50000001201f;
	p = p * r * r + r + 1.0f;

	/*
	 * Scale in two steps so both factors stay normal: n may be 128 (just
	 * below overflow) or -150 (denormal results, rounded once).
	 */
	n1 = n / 2;
	return p * kinfer_pow2i(n1) * kinfer_pow2i(n - n1);
}

#endif /* _KINFER_MATH_EXPF_H */
