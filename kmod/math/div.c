// SPDX-License-Identifier: GPL-2.0
/*
 * Div: a / b.  float32 follows IEEE 754 (x/0 = +-Inf, 0/0 = NaN).
 * Integers divide truncating toward zero, as ONNX does; a zero divisor
 * makes the run fail with -EDOM (its element is written as 0), and
 * INT_MIN / -1 wraps to INT_MIN (computed as a negation in unsigned
 * arithmetic, since the C division would overflow).
 */
#include "binary.h"

struct div_walk {
	const struct kinfer_exec *ex;
	int *err;
};

KINFER_BINARY_ROW_F32(div_f32, a / b)

#define KINFER_DIV_INT_ROW(fn, type, utype)				\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct div_walk *w = ctx;					\
	const type *pa = (const type *)w->ex->t[0].data + off[0];	\
	const type *pb = (const type *)w->ex->t[1].data + off[1];	\
	type *py = (type *)w->ex->t[2].data + o;			\
	uint64_t i;							\
									\
	for (i = 0; i < len; i++) {					\
		type a = pa[i * step[0]], b = pb[i * step[1]];		\
									\
		if (b == 0) {						\
			*w->err = -EDOM;				\
			py[i] = 0;					\
		} else if (b == -1) {					\
			py[i] = (type)(0 - (utype)a);			\
		} else {						\
			py[i] = a / b;					\
		}							\
	}								\
}

KINFER_DIV_INT_ROW(div_i32, int32_t, uint32_t)
KINFER_DIV_INT_ROW(div_i64, int64_t, uint64_t)

/**
 * kinfer_eval_div() - y = a / b for output elements [@begin, @end)
 * @ex: the prepared node
 * @begin: first output element
 * @end: one past the last
 *
 * Return: 0, or -EDOM when an integer divisor is 0.
 */
int kinfer_eval_div(const struct kinfer_exec *ex, uint64_t begin, uint64_t end)
{
	int err = 0;
	struct div_walk w = { .ex = ex, .err = &err };

	switch (ex->t[2].dtype) {
	case KINFER_DTYPE_FLOAT32:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, div_f32, ex);
		return 0;
	case KINFER_DTYPE_INT32:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, div_i32, &w);
		return err;
	case KINFER_DTYPE_INT64:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, div_i64, &w);
		return err;
	default:
		return -EINVAL;
	}
}
