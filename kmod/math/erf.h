/* SPDX-License-Identifier: GPL-2.0 */
/*
 * erf() and erfc() in double, for the float ops Erf and Gelu.
 *
 * Three ranges, each a polynomial fitted for this project (least squares
 * on Chebyshev nodes against the C library's erf/erfc in double; the fit
 * errors below are the largest relative errors on a dense grid):
 *	|x| < 1		erf(x) = x * A(x^2), degree 7		4.3e-11
 *	1 <= x < 3	erfc(x) = e^(-x^2) * B(x - 2), degree 12	1.4e-10
 *	3 <= x < 11	erfc(x) = e^(-x^2) / (x sqrt(pi)) * C(1/x^2),
 *			degree 8				2.8e-11
 * and erfc(x) = 0 from x = 11 on (erfc(11) = 1.4e-54, far below the
 * smallest float).  Rounded to float, results are within 1 ulp of the
 * exact value (measured against glibc on every 7th float of [-10, 10]:
 * at most 1 ulp, and for Gelu on [-20, 20]; see also
 * tests/cpp/ops_elementwise_test.cpp).
 */
#ifndef _KINFER_MATH_ERF_H
#define _KINFER_MATH_ERF_H

#include "logexp.h"

#define KINFER_SQRTPI_D		1.77245385090551602730

static inline double kinfer_erf_small_d(double x)	/* |x| < 1 */
{
	double z = x * x, p;

	p = -0.00000972840913837561825;
	p = p * z + 0.000112881750162520419;
	p = p * z - 0.000848726776753383353;
	p = p * z + 0.00522126149832546644;
	p = p * z - 0.0268655174455211879;
	p = p * z + 0.112837841118614890;
	p = p * z - 0.376126385904329119;
	p = p * z + 1.12837916708228558;
	return x * p;
}

/* erfc(z) for z >= 1 (NaN-free). */
static inline double kinfer_erfc_large_d(double z)
{
	double t, p;

	if (z >= 11.0)
		return 0.0;
	if (z < 3.0) {
		t = z - 2.0;
		p = 0.000000438558048488357472;
		p = p * t - 0.00000161701707984880044;
		p = p * t + 0.00000449355071636250893;
		p = p * t - 0.0000158532219402970549;
		p = p * t + 0.0000558221348286529304;
		p = p * t - 0.000185048417793991807;
		p = p * t + 0.000592436723777270652;
		p = p * t - 0.00183158448477743481;
		p = p * t + 0.00544074413171515697;
		p = p * t - 0.0154606478248611560;
		p = p * t + 0.0418027522516751446;
		p = p * t - 0.106796461491948741;
		p = p * t + 0.255395676314113085;
		return kinfer_exp_d(-z * z) * p;
	}
	t = 1.0 / (z * z);
	p = 415.532975702434328;
	p = p * t - 289.435577960090370;
	p = p * t + 101.053923167607792;
	p = p * t - 26.0397120755365918;
	p = p * t + 6.42965653956614513;
	p = p * t - 1.87180043997444012;
	p = p * t + 0.749954679594553753;
	p = p * t - 0.499999666788841113;
	p = p * t + 0.999999999046994104;
	return kinfer_exp_d(-z * z) * p / (z * KINFER_SQRTPI_D);
}

/* erf(x); erf(+-Inf) = +-1, erf(NaN) = NaN, erf(-0) = -0. */
static inline double kinfer_erf_d(double x)
{
	double a = __builtin_fabs(x);

	if (kinfer_isnan(x))
		return x + x;
	if (a < 1.0)
		return kinfer_erf_small_d(x);
	return __builtin_copysign(1.0 - kinfer_erfc_large_d(a), x);
}

/* erfc(x) = 1 - erf(x), without cancellation for large x. */
static inline double kinfer_erfc_d(double x)
{
	if (kinfer_isnan(x))
		return x + x;
	if (x >= 1.0)
		return kinfer_erfc_large_d(x);
	if (x > -1.0)
		return 1.0 - kinfer_erf_small_d(x);
	return 2.0 - kinfer_erfc_large_d(-x);
}

#endif /* _KINFER_MATH_ERF_H */
