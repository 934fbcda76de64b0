// SPDX-License-Identifier: GPL-2.0
/*
 * Pow: a ^ b, a and b of one dtype (the loader casts mixed ONNX operand
 * types first).
 *
 * float32 follows C99/IEEE 754 pow() (as numpy does): pow(x, +-0) = 1
 * and pow(1, y) = 1 even for NaN; a negative finite base takes integer
 * exponents only (odd ones keep the sign) and gives NaN otherwise; the
 * zero, infinite and |x| = 1 cases as C99 F.9.4.4.  Otherwise
 * e^(b ln|a|) in double (logexp.h), rounded once: within 1 ulp (no
 * difference from glibc pow found in 5e6 random pairs), exact
 * where the exact result is a float (2^10, 3^4).  b == 2 is a * a.
 *
 * Integers: repeated squaring in unsigned arithmetic, so results wrap
 * as numpy's do.  A negative exponent gives the truncated 1 / a^-b:
 * 1 for a = 1, +-1 for a = -1, 0 for |a| > 1; 0 to a negative power is
 * a division by zero: the run fails with -EDOM (element written as 0).
 */
#include "binary.h"
#include "logexp.h"

struct pow_walk {
	const struct kinfer_exec *ex;
	int *err;
};

static inline float powf_inline(float x, float y)
{
	float ax = kinfer_fabsf(x), ay = kinfer_fabsf(y), r;
	bool yint, yodd;
	int32_t k;

	if (y == 0.0f || x == 1.0f)
		return 1.0f;
	if (kinfer_isnan(x) || kinfer_isnan(y))
		return x + y;
	if (y == 2.0f)
		return x * x;
	/* Every float from 2^24 on is an even integer. */
	if (ay < 16777216.0f) {
		k = (int32_t)y;
		yint = (float)k == y;
		yodd = yint && (k & 1);
	} else {
		yint = true;
		yodd = false;
	}
	if (kinfer_isinf(y)) {
		if (ax == 1.0f)
			return 1.0f;
		return (ax > 1.0f) == (y > 0.0f) ? kinfer_inff() : 0.0f;
	}
	if (kinfer_isinf(x) || x == 0.0f) {
		/* +-Inf and +-0: the magnitude from y's sign, x's sign if odd */
		r = (x == 0.0f) == (y > 0.0f) ? 0.0f : kinfer_inff();
		return yodd ? __builtin_copysignf(r, x) : r;
	}
	if (x < 0.0f && !yint)
		return kinfer_nanf();
	r = (float)kinfer_exp_d((double)y * kinfer_log_d(ax));
	return x < 0.0f && yodd ? -r : r;
}

float kinfer_powf(float x, float y)
{
	return powf_inline(x, y);
}

KINFER_BINARY_ROW(pow_f32, float, powf_inline(a, b))

/*
 * a^b modulo 2^64; the low 32 bits are the int32 result (products modulo
 * 2^32 are the low bits of products modulo 2^64).
 */
static inline uint64_t ipow(int64_t a, int64_t b, int *err)
{
	uint64_t r = 1, base = (uint64_t)a, e = (uint64_t)b;

	if (b < 0) {
		if (a == 0)
			*err = -EDOM;
		if (a == 1)
			return 1;
		if (a == -1)
			return (b & 1) ? (uint64_t)-1 : 1;
		return 0;
	}
	for (; e; e >>= 1) {
		if (e & 1)
			r *= base;
		base *= base;
	}
	return r;
}

#define KINFER_POW_INT_ROW(fn, type)					\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct pow_walk *w = ctx;					\
	const type *pa = (const type *)w->ex->t[0].data + off[0];	\
	const type *pb = (const type *)w->ex->t[1].data + off[1];	\
	type *py = (type *)w->ex->t[2].data + o;			\
	uint64_t i;							\
									\
	for (i = 0; i < len; i++)					\
		py[i] = (type)ipow(pa[i * step[0]], pb[i * step[1]],	\
				   w->err);				\
}

KINFER_POW_INT_ROW(pow_i32, int32_t)
KINFER_POW_INT_ROW(pow_i64, int64_t)

/**
 * kinfer_eval_pow() - y = a ^ b for output elements [@begin, @end)
 * @ex: the prepared node
 * @begin: first output element
 * @end: one past the last
 *
 * Return: 0, or -EDOM for an integer 0 to a negative power.
 */
int kinfer_eval_pow(const struct kinfer_exec *ex, uint64_t begin, uint64_t end)
{
	int err = 0;
	struct pow_walk w = { .ex = ex, .err = &err };

	switch (ex->t[2].dtype) {
	case KINFER_DTYPE_FLOAT32:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, pow_f32, ex);
		return 0;
	case KINFER_DTYPE_INT32:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, pow_i32, &w);
		return err;
	case KINFER_DTYPE_INT64:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, pow_i64, &w);
		return err;
	default:
		return -EINVAL;
	}
}
