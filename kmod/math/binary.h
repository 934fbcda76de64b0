/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Binary-class evals from a scalar expression, for each dtype the class
 * admits.  Integer arithmetic wraps (it is done on the unsigned type),
 * as it does in numpy and ONNX Runtime, instead of being undefined.
 *
 *	KINFER_BINARY_OP(add, a + b, (uint32_t)a + (uint32_t)b,
 *			 (uint64_t)a + (uint64_t)b)
 */
#ifndef _KINFER_MATH_BINARY_H
#define _KINFER_MATH_BINARY_H

#include "bcast.h"
#include "kinfer_math.h"

/* One run of y = f(a, b); the steps are 0 or 1, split so loops vectorise. */
#define KINFER_BINARY_ROW(fn, type, expr)				\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct kinfer_exec *ex = ctx;				\
	const type *pa = (const type *)ex->t[0].data + off[0];		\
	const type *pb = (const type *)ex->t[1].data + off[1];		\
	type *py = (type *)ex->t[2].data + o;				\
	uint64_t i;							\
									\
	if (step[0] && step[1]) {					\
		for (i = 0; i < len; i++) {				\
			type a = pa[i], b = pb[i];			\
			py[i] = (type)(expr);				\
		}							\
	} else if (step[0]) {						\
		type b = pb[0];						\
		for (i = 0; i < len; i++) {				\
			type a = pa[i];					\
			py[i] = (type)(expr);				\
		}							\
	} else if (step[1]) {						\
		type a = pa[0];						\
		for (i = 0; i < len; i++) {				\
			type b = pb[i];					\
			py[i] = (type)(expr);				\
		}							\
	} else {							\
		type a = pa[0], b = pb[0];				\
		for (i = 0; i < len; i++)				\
			py[i] = (type)(expr);				\
	}								\
}

#define KINFER_BINARY_OP(name, f32_expr, i32_expr, i64_expr)		\
KINFER_BINARY_ROW(name##_f32, float, f32_expr)				\
KINFER_BINARY_ROW(name##_i32, int32_t, i32_expr)			\
KINFER_BINARY_ROW(name##_i64, int64_t, i64_expr)			\
int kinfer_eval_##name(const struct kinfer_exec *ex, uint64_t begin,	\
		       uint64_t end)					\
{									\
	switch (ex->t[2].dtype) {					\
	case KINFER_DTYPE_FLOAT32:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_f32, ex); \
		return 0;						\
	case KINFER_DTYPE_INT32:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_i32, ex); \
		return 0;						\
	case KINFER_DTYPE_INT64:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_i64, ex); \
		return 0;						\
	default:							\
		return -EINVAL;						\
	}								\
}

#endif /* _KINFER_MATH_BINARY_H */
