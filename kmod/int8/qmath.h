/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-point arithmetic of the int8 ops, as TensorFlow Lite defines its
 * quantised kernels (so a .tflite model gives the interpreter's answers):
 * integer only, no FPU.
 *
 * A real multiplier is (multiplier, shift), struct kinfer_qmul:
 * multiplier * 2^(shift - 31).  TFLite rounds x * M two ways, and which
 * one an op uses was measured against the interpreter of the pinned
 * TensorFlow (its reference kernels):
 *
 *	kinfer_q_requant()	 TFLite's reference MultiplyByQuantizedMultiplier:
 *				 a rounding doubling high multiply of
 *				 x * 2^max(shift, 0), then a rounding division
 *				 by 2^max(-shift, 0): two roundings (QCONV,
 *				 QDEPTHWISE_CONV, QADD, QMUL, QMEAN, QSOFTMAX)
 *	kinfer_q_requant_half_up() one rounding, half up, of the exact product
 *				 (QFULLY_CONNECTED, whose int8 kernel requantises
 *				 as its GEMM back end, ruy, does)
 */
#ifndef _KINFER_INT8_QMATH_H
#define _KINFER_INT8_QMATH_H

#include "math/platform.h"
#include "uapi/kinfer.h"

#define KINFER_Q_INT32_MAX	((int32_t)0x7fffffff)
#define KINFER_Q_INT32_MIN	(-KINFER_Q_INT32_MAX - 1)

static inline int32_t kinfer_q_sat32(int64_t x)
{
	if (x > KINFER_Q_INT32_MAX)
		return KINFER_Q_INT32_MAX;
	if (x < KINFER_Q_INT32_MIN)
		return KINFER_Q_INT32_MIN;
	return (int32_t)x;
}

/*
 * The high 32 bits of 2 * a * b, rounded to nearest with exact ties
 * toward +inf; the one product that does not fit, INT32_MIN * INT32_MIN,
 * saturates.
 */
static inline int32_t kinfer_q_doubling_high_mul(int32_t a, int32_t b)
{
	int64_t ab = (int64_t)a * b;
	int64_t nudge = ab >= 0 ? (1LL << 30) : 1 - (1LL << 30);

	if (a == KINFER_Q_INT32_MIN && b == KINFER_Q_INT32_MIN)
		return KINFER_Q_INT32_MAX;
	/* Division, not a shift: it truncates toward zero, as gemmlowp's. */
	return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^exponent, rounded half away from zero; 0 <= exponent <= 31. */
static inline int32_t kinfer_q_div_pot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)((1ULL << exponent) - 1);
	int32_t rem = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (rem > threshold ? 1 : 0);
}

/* A multiplier the int8 ops accept (see struct kinfer_qmul). */
static inline bool kinfer_q_mul_valid(int32_t multiplier, int32_t shift)
{
	if (shift < -31 || shift > 30)
		return false;
	return multiplier == 0 ||
	       (multiplier >= (1 << 30) && multiplier <= KINFER_Q_INT32_MAX);
}

/* x * (multiplier * 2^(shift - 31)), two roundings; the pair must be valid. */
static inline int32_t kinfer_q_requant(int32_t x, int32_t multiplier,
				       int32_t shift)
{
	int32_t left = shift > 0 ? shift : 0;
	int32_t right = shift > 0 ? 0 : -shift;
	int32_t shifted = kinfer_q_sat32((int64_t)x * ((int64_t)1 << left));

	return kinfer_q_div_pot(kinfer_q_doubling_high_mul(shifted, multiplier),
				right);
}

/*
 * x * (multiplier * 2^(shift - 31)) rounded once, half up; the pair must
 * be valid.  |x * multiplier| < 2^62 and the rounding term is at most
 * 2^61, so the sum cannot overflow; the result saturates to int32.
 */
static inline int32_t kinfer_q_requant_half_up(int32_t x, int32_t multiplier,
					       int32_t shift)
{
	int32_t total = 31 - shift;	/* 1..62 */
	int64_t r = (int64_t)x * multiplier + (1LL << (total - 1));

	/* An arithmetic shift: floor, so exact ties go up. */
	return kinfer_q_sat32(r >> total);
}

static inline int32_t kinfer_q_clamp(int32_t x, int32_t lo, int32_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

#endif /* _KINFER_INT8_QMATH_H */
