/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Double-precision exp() and log() cores for single-precision ops that
 * need more than float accuracy inside (pow, softplus, erf, gelu, mish,
 * elu's expm1): computing in double and rounding once to float gives
 * results within 0.5 ulp + ~1e-15 relative of the exact value, i.e.
 * correctly rounded except next to a rounding midpoint.
 *
 * Written for this project from the textbook reductions:
 *	exp:	x = n*ln2 + r, |r| <= ln2/2, ln2 split in two parts so that
 *		n*hi is exact; e^r by its Taylor series to r^13 (truncation
 *		< 4e-18 relative); times 2^n.
 *	log:	x = 2^e * m, sqrt(1/2) <= m < sqrt(2); s = (m-1)/(m+1);
 *		ln m = 2*atanh(s) = 2s(1 + s^2/3 + ... + s^16/17), |s| <= 0.1716
 *		(truncation < 1e-15 relative); + e*ln2.
 * Measured against glibc's exp/log in tests/cpp/ops_elementwise_test.cpp.
 *
 * The arguments are values of single-precision computations: log takes
 * positive normal doubles (every float is one), exp is clamped to
 * |x| <= 700, far outside what a float result can hold.
 */
#ifndef _KINFER_MATH_LOGEXP_H
#define _KINFER_MATH_LOGEXP_H

#include "platform.h"

#define KINFER_LN2_HI	0.693147180369123816490	/* 32 bits of ln2 */
#define KINFER_LN2_LO	0.000000000190821492927058770002	/* ln2 - hi */
#define KINFER_LOG2E_D	1.44269504088896338700
#define KINFER_SQRT2_D	1.41421356237309514547

static inline double kinfer_d_from_bits(uint64_t u)
{
	union {
		uint64_t u;
		double d;
	} v = { .u = u };

	return v.d;
}

static inline uint64_t kinfer_d_bits(double d)
{
	union {
		double d;
		uint64_t u;
	} v = { .d = d };

	return v.u;
}

/* e^x; NaN stays NaN, +-Inf give +Inf and 0. */
static inline double kinfer_exp_d(double x)
{
	double r, p;
	int64_t n;

	if (kinfer_isnan(x))
		return x + x;
	if (x > 700.0)
		return __builtin_inf();
	if (x < -700.0)
		return 0.0;
	n = (int64_t)(x * KINFER_LOG2E_D + (x < 0.0 ? -0.5 : 0.5));
	r = x - (double)n * KINFER_LN2_HI;
	r = r - (double)n * KINFER_LN2_LO;
	p = 1.0 / 6227020800.0;
	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r * r + r + 1.0;
	/* |n| <= 1010: 2^n is a normal double. */
	return p * kinfer_d_from_bits((uint64_t)(n + 1023) << 52);
}

/* e^x - 1 without cancellation near 0. */
static inline double kinfer_expm1_d(double x)
{
	if (__builtin_fabs(x) < 0.00001)
		return x + x * x * (0.5 + x * (1.0 / 6.0));
	return kinfer_exp_d(x) - 1.0;
}

/*
 * ln x for x > 0 normal (any float converted to double is); ln 0 = -Inf,
 * ln of a negative number or NaN = NaN, ln +Inf = +Inf.
 */
static inline double kinfer_log_d(double x)
{
	uint64_t u = kinfer_d_bits(x);
	double m, s, z, p;
	int64_t e;

	if (kinfer_isnan(x))
		return x + x;
	if (x < 0.0)
		return __builtin_nan("");
	if (x == 0.0)
		return -__builtin_inf();
	if (kinfer_isinf(x))
		return x;
	e = (int64_t)((u >> 52) & 0x7ff) - 1023;
	m = kinfer_d_from_bits((u & 0x000fffffffffffffULL) |
			       0x3ff0000000000000ULL);
	if (m > KINFER_SQRT2_D) {
		m *= 0.5;
		e++;
	}
	s = (m - 1.0) / (m + 1.0);
	z = s * s;
	p = 1.0 / 17.0;
	p = p * z + 1.0 / 15.0;
	p = p * z + 1.0 / 13.0;
	p = p * z + 1.0 / 11.0;
	p = p * z + 1.0 / 9.0;
	p = p * z + 1.0 / 7.0;
	p = p * z + 1.0 / 5.0;
	p = p * z + 1.0 / 3.0;
	p = 2.0 * s + 2.0 * s * z * p;
	return (double)e * KINFER_LN2_HI + ((double)e * KINFER_LN2_LO + p);
}

/*
 * ln(1 + x) for x >= 0 without losing small x: with w = 1 + x rounded,
 * ln(w) * x / (w - 1) corrects the rounding of w (Goldberg's trick).
 */
static inline double kinfer_log1p_d(double x)
{
	double w = 1.0 + x;

	if (w == 1.0)
		return x;
	if (kinfer_isinf(x))
		return x;
	return kinfer_log_d(w) * x / (w - 1.0);
}

#endif /* _KINFER_MATH_LOGEXP_H */
