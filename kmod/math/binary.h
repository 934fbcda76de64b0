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

/* Four floats in one SSE register (SSE2 is the x86-64 baseline). */
#define KINFER_V4F float __attribute__((vector_size(16)))

/*
 * KINFER_BINARY_ROW for float32 and an @expr that is also valid on GCC
 * vectors (+ - * /): whole vectors of four, then one at a time.  Each is
 * one IEEE operation, rounded alike in a vector or not, so where a run
 * starts does not change a bit.
 */
#define KINFER_BINARY_ROW_F32(fn, expr)				\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct kinfer_exec *ex = ctx;				\
	const float *pa = (const float *)ex->t[0].data + off[0];	\
	const float *pb = (const float *)ex->t[1].data + off[1];	\
	float *py = (float *)ex->t[2].data + o;				\
	KINFER_V4F va, vb, vy;						\
	uint64_t i = 0;							\
									\
	if (step[0] && step[1]) {					\
		for (; i + 4 <= len; i += 4) {				\
			memcpy(&va, pa + i, sizeof(va));		\
			memcpy(&vb, pb + i, sizeof(vb));		\
			KINFER_BINARY_V4(vy, va, vb, expr);		\
			memcpy(py + i, &vy, sizeof(vy));		\
		}							\
		for (; i < len; i++)					\
			KINFER_BINARY_V4(py[i], pa[i], pb[i], expr);	\
	} else if (step[0]) {						\
		vb = (KINFER_V4F){ 0 } + pb[0];				\
		for (; i + 4 <= len; i += 4) {				\
			memcpy(&va, pa + i, sizeof(va));		\
			KINFER_BINARY_V4(vy, va, vb, expr);		\
			memcpy(py + i, &vy, sizeof(vy));		\
		}							\
		for (; i < len; i++)					\
			KINFER_BINARY_V4(py[i], pa[i], pb[0], expr);	\
	} else if (step[1]) {						\
		va = (KINFER_V4F){ 0 } + pa[0];				\
		for (; i + 4 <= len; i += 4) {				\
			memcpy(&vb, pb + i, sizeof(vb));		\
			KINFER_BINARY_V4(vy, va, vb, expr);		\
			memcpy(py + i, &vy, sizeof(vy));		\
		}							\
		for (; i < len; i++)					\
			KINFER_BINARY_V4(py[i], pa[0], pb[i], expr);	\
	} else {							\
		for (; i < len; i++)					\
			KINFER_BINARY_V4(py[i], pa[0], pb[0], expr);	\
	}								\
}

/* y = expr with a = @x, b = @z (vectors or scalars alike). */
#define KINFER_BINARY_V4(y, x, z, expr)				\
	do {								\
		__auto_type a = (x);					\
		__auto_type b = (z);					\
		(y) = (expr);						\
	} while (0)

#define KINFER_BINARY_EVAL(name)					\
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

#define KINFER_BINARY_OP(name, f32_expr, i32_expr, i64_expr)		\
KINFER_BINARY_ROW(name##_f32, float, f32_expr)				\
KINFER_BINARY_ROW(name##_i32, int32_t, i32_expr)			\
KINFER_BINARY_ROW(name##_i64, int64_t, i64_expr)			\
KINFER_BINARY_EVAL(name)

/* The same, for a float32 expression that vectorises (+ - * /). */
#define KINFER_BINARY_OP_VEC(name, f32_expr, i32_expr, i64_expr)	\
KINFER_BINARY_ROW_F32(name##_f32, f32_expr)				\
KINFER_BINARY_ROW(name##_i32, int32_t, i32_expr)			\
KINFER_BINARY_ROW(name##_i64, int64_t, i64_expr)			\
KINFER_BINARY_EVAL(name)

#endif /* _KINFER_MATH_BINARY_H */
