/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compare-class evals: y = a (op) b as bool (one byte, 0 or 1) with numpy
 * broadcasting, a and b of one dtype (float32, int32, int64 or bool).
 * Comparisons with NaN are false (IEEE 754), as in numpy.
 *
 *	KINFER_COMPARE_OP(less, a < b)
 */
#ifndef _KINFER_MATH_COMPARE_H
#define _KINFER_MATH_COMPARE_H

#include "bcast.h"
#include "kinfer_math.h"

#define KINFER_COMPARE_ROW(fn, type, expr)				\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct kinfer_exec *ex = ctx;				\
	const type *pa = (const type *)ex->t[0].data + off[0];		\
	const type *pb = (const type *)ex->t[1].data + off[1];		\
	uint8_t *py = ex->t[2].data + o;				\
	uint64_t i;							\
									\
	for (i = 0; i < len; i++) {					\
		type a = pa[i * step[0]], b = pb[i * step[1]];		\
									\
		py[i] = (expr) ? 1 : 0;					\
	}								\
}

#define KINFER_COMPARE_OP(name, expr)					\
KINFER_COMPARE_ROW(name##_f32, float, expr)				\
KINFER_COMPARE_ROW(name##_i32, int32_t, expr)				\
KINFER_COMPARE_ROW(name##_i64, int64_t, expr)				\
KINFER_COMPARE_ROW(name##_bool, uint8_t, expr)				\
int kinfer_eval_##name(const struct kinfer_exec *ex, uint64_t begin,	\
		       uint64_t end)					\
{									\
	switch (ex->t[0].dtype) {					\
	case KINFER_DTYPE_FLOAT32:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_f32, ex); \
		return 0;						\
	case KINFER_DTYPE_INT32:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_i32, ex); \
		return 0;						\
	case KINFER_DTYPE_INT64:					\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_i64, ex); \
		return 0;						\
	case KINFER_DTYPE_BOOL:						\
		kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_bool, ex); \
		return 0;						\
	default:							\
		return -EINVAL;						\
	}								\
}

#endif /* _KINFER_MATH_COMPARE_H */
