/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Natural logarithm in double precision for environments without libm,
 * inlined into the ops that need it (log-sum reductions, log-softmax).
 *
 * x = 2^e * m with sqrt(1/2) <= m < sqrt(2); with s = (m - 1) / (m + 1),
 * log(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), |s| <= 0.1716, so
 * s^2 <= 0.02944 and the series cut after s^21/21 leaves a relative error
 * below 0.02944^11 / 23 < 1e-18.  log(x) = e * ln2 + log(m).  Measured
 * against libm's log() (tests/cpp/ops_reduce_test.cpp): relative error
 * below 5e-16 over the whole double range (about 2 ulp of double), so
 * log(x) rounded to float equals libm's log() rounded to float for all
 * but 1 of 3e8 floats sampled, and that one is 1 ulp off.
 * log(NaN) = NaN, log(x < 0) = NaN, log(+-0) = -Inf, log(+Inf) = +Inf.
 */
#ifndef _KINFER_MATH_LOGD_H
#define _KINFER_MATH_LOGD_H

#include "platform.h"

#define KINFER_LN2		0.69314718055994530942
#define KINFER_SQRT2		1.41421356237309504880

static inline double kinfer_logd_inline(double x)
{
	union {
		double d;
		uint64_t u;
	} v = { .d = x };
	double f, s, z, r;
	int e = 0;

	if (kinfer_isnan(x))
		return x + x;
	if (x < 0.0)
		return __builtin_nan("");
	if (x == 0.0)
		return -__builtin_inf();
	if (kinfer_isinf(x))
		return x;
	if (v.u < 0x0010000000000000ULL) {	/* subnormal: scale by 2^54 */
		v.d = x * 18014398509481984.0;
		e = -54;
	}
	e += (int)(v.u >> 52) - 1023;
	v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
	if (v.d > KINFER_SQRT2) {	/* m in [1, 2) -> [sqrt(1/2), sqrt(2)) */
		v.d *= 0.5;
		e++;
	}
	f = v.d - 1.0;
	s = f / (2.0 + f);
	z = s * s;
	r = 1.0 / 21.0;
	r = r * z + 1.0 / 19.0;
	r = r * z + 1.0 / 17.0;
	r = r * z + 1.0 / 15.0;
	r = r * z + 1.0 / 13.0;
	r = r * z + 1.0 / 11.0;
	r = r * z + 1.0 / 9.0;
	r = r * z + 1.0 / 7.0;
	r = r * z + 1.0 / 5.0;
	r = r * z + 1.0 / 3.0;
	return (double)e * KINFER_LN2 + (2.0 * s + 2.0 * s * z * r);
}

#endif /* _KINFER_MATH_LOGD_H */
