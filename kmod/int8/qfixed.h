/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-point exp and reciprocal for QSOFTMAX, computed as TensorFlow
 * Lite's reference int8 softmax computes them (gemmlowp's fixed-point
 * arithmetic), so that a .tflite model gives the interpreter's bytes.
 * Integer only.
 *
 * Qm.n below is an int32 raw value r standing for r / 2^n, m = 31 - n
 * integer bits (the sign bit not counted).  A product of Qa and Qb values
 * is kinfer_q_doubling_high_mul() of the raws and is Q(a + b).
 *
 * Sums are formed in 32 bits with wrap-around, as the reference kernel's
 * int32 adds; within the ranges used here none of them wraps.
 */
#ifndef _KINFER_INT8_QFIXED_H
#define _KINFER_INT8_QFIXED_H

#include "int8/qmath.h"

/* Constants, each round(2^31 * value) in Q0.31 unless said otherwise. */
#define KINFER_QF_EXP_MINUS_1_8		1895147668	/* exp(-1/8) */
#define KINFER_QF_ONE_THIRD		715827883	/* 1/3 */
#define KINFER_QF_48_OVER_17_Q2		1515870810	/* 48/17, Q2.29 */
#define KINFER_QF_M32_OVER_17_Q2	(-1010580540)	/* -32/17, Q2.29 */

static inline int32_t kinfer_qf_add(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t kinfer_qf_sub(int32_t a, int32_t b)
{
	return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t kinfer_qf_mul(int32_t a, int32_t b)
{
	return kinfer_q_doubling_high_mul(a, b);
}

/* x * 2^k, 1 <= k <= 30, saturating to the int32 range. */
static inline int32_t kinfer_qf_sat_shl(int32_t x, int k)
{
	int32_t limit = (int32_t)((1U << (31 - k)) - 1);

	if (x > limit)
		return KINFER_Q_INT32_MAX;
	if (x < -limit)
		return KINFER_Q_INT32_MIN;
	return (int32_t)((uint32_t)x << k);
}

/*
 * exp(a) for a in [-1/4, 0), Q0.31 in and out: the Taylor series around
 * -1/8 to the fourth power, with its terms rounded as the reference's.
 */
static inline int32_t kinfer_qf_exp_quarter(int32_t a)
{
	int32_t x = kinfer_qf_add(a, 1 << 28);	/* a + 1/8 */
	int32_t x2 = kinfer_qf_mul(x, x);
	int32_t x3 = kinfer_qf_mul(x2, x);
	int32_t x4 = kinfer_qf_mul(x2, x2);
	int32_t t;

	/* (x^4/4 + x^3) / 3 + x^2, halved: x^4/24 + x^3/6 + x^2/2 */
	t = kinfer_qf_add(kinfer_q_div_pot(x4, 2), x3);
	t = kinfer_qf_add(kinfer_qf_mul(t, KINFER_QF_ONE_THIRD), x2);
	t = kinfer_q_div_pot(t, 1);
	return kinfer_qf_add(KINFER_QF_EXP_MINUS_1_8,
			     kinfer_qf_mul(KINFER_QF_EXP_MINUS_1_8,
					   kinfer_qf_add(x, t)));
}

/*
 * exp(a) for a <= 0 given in Q5.26, result in Q0.31 (exp(0) is the
 * largest raw value, 2^31 - 1).  a is split as r - q with r in [-1/4, 0)
 * and q a multiple of 1/4: exp(r) times exp(-2^k) for each bit k of q
 * (q < 32, so bits -2..4).
 */
static inline int32_t kinfer_qf_exp_negative(int32_t a)
{
	/* exp(-2^(k - 2)) for k = 0..6: exp(-1/4) ... exp(-16) */
	static const int32_t exp_neg_pow2[7] = {
		1672461947, 1302514674, 790015084, 290630308, 39332535,
		720401, 242,
	};
	const int32_t quarter = 1 << 24;	/* 1/4 in Q5.26 */
	int32_t r = (a & (quarter - 1)) - quarter;
	int64_t q = (int64_t)r - a;
	int32_t result = kinfer_qf_exp_quarter(kinfer_qf_sat_shl(r, 5));
	int k;

	for (k = 0; k < 7; k++)
		if (q & (1LL << (24 + k)))
			result = kinfer_qf_mul(result, exp_neg_pow2[k]);
	return a ? result : KINFER_Q_INT32_MAX;
}

/*
 * 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton-Raphson
 * steps on the half denominator in [1/2, 1), from the start 48/17 -
 * 32/17 * d, in Q2.29.
 */
static inline int32_t kinfer_qf_one_over_one_plus(int32_t a)
{
	int64_t s = (int64_t)a + KINFER_Q_INT32_MAX;
	int32_t d = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
	int32_t x = kinfer_qf_add(KINFER_QF_48_OVER_17_Q2,
				  kinfer_qf_mul(d, KINFER_QF_M32_OVER_17_Q2));
	int i;

	for (i = 0; i < 3; i++) {
		int32_t e = kinfer_qf_sub(1 << 29, kinfer_qf_mul(d, x));

		x = kinfer_qf_add(x, kinfer_qf_sat_shl(kinfer_qf_mul(x, e), 2));
	}
	/* x / 2 is 1 / (1 + a) in Q1.30; to Q0.31, saturating at 1. */
	return kinfer_qf_sat_shl(x, 1);
}

/*
 * The reciprocal of a positive sum in Q12.19 as (scale, bits): 1 / sum =
 * scale / 2^31 / 2^bits, scale in Q0.31.  sum = (1 + f) * 2^bits with f
 * in [0, 1), read off the sum's leading bit.
 */
static inline int32_t kinfer_qf_reciprocal_q12(int32_t sum, int *bits)
{
	int lead = __builtin_clz((uint32_t)sum);
	uint32_t f = ((uint32_t)sum << lead) - (1U << 31);

	*bits = 12 - lead;
	return kinfer_qf_one_over_one_plus((int32_t)f);
}

#endif /* _KINFER_INT8_QFIXED_H */
