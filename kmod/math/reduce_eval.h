/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the reduce-class evals (float code: kmod/math/ only). */
#ifndef _KINFER_MATH_REDUCE_EVAL_H
#define _KINFER_MATH_REDUCE_EVAL_H

#include "ops/exec.h"
#include "ops/reduce.h"

/* int64 limits (the kernel has no INT64_MAX). */
#define KINFER_I64_MAX	((int64_t)(~0ULL >> 1))
#define KINFER_I64_MIN	(-KINFER_I64_MAX - 1)

/*
 * y[u] = f for float32, else the low bits of i (two's complement wrap,
 * as numpy), or i != 0 for bool.
 */
static inline void kinfer_reduce_store(const struct kinfer_view *y,
				       uint64_t u, double f, uint64_t i)
{
	switch (y->dtype) {
	case KINFER_DTYPE_FLOAT32:
		((float *)y->data)[u] = (float)f;
		break;
	case KINFER_DTYPE_INT32:
		((uint32_t *)y->data)[u] = (uint32_t)i;
		break;
	case KINFER_DTYPE_INT64:
		((uint64_t *)y->data)[u] = i;
		break;
	default:
		y->data[u] = i != 0;
	}
}

/* Element i of an int32, int64 or bool array, as int64. */
static inline int64_t kinfer_int_at(const void *x, uint32_t dtype, size_t i)
{
	switch (dtype) {
	case KINFER_DTYPE_INT32:
		return ((const int32_t *)x)[i];
	case KINFER_DTYPE_INT64:
		return ((const int64_t *)x)[i];
	default:
		return ((const uint8_t *)x)[i];
	}
}

/* The first element of the current row of @g in stream 0 (x). */
static inline const void *kinfer_row_at(const struct kinfer_view *x,
					const struct kinfer_group *g)
{
	return x->data + g->off[0] * x->esize;
}

/* Norm-class evals: write group @u of y from its mean and 1/deviation. */
void kinfer_norm_group(const struct kinfer_exec *ex, uint64_t u, double mean,
		       double inv);

#endif /* _KINFER_MATH_REDUCE_EVAL_H */
