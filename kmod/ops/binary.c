// SPDX-License-Identifier: GPL-2.0
/*
 * The binary class: y = a (op) b with numpy (ONNX multidirectional)
 * broadcasting, a, b and y of one dtype (float32, int32 or int64; an op's
 * eval may refuse some).  y has exactly the broadcast shape.  y may
 * replace the first input of its own shape (a, else b).
 */
#include "ops/exec.h"

static bool arith_dtype(uint32_t dtype)
{
	return dtype == KINFER_DTYPE_FLOAT32 || dtype == KINFER_DTYPE_INT32 ||
	       dtype == KINFER_DTYPE_INT64;
}

int kinfer_prepare_binary(struct kinfer_exec *ex)
{
	const struct kinfer_view *a = kinfer_in(ex, 0);
	const struct kinfer_view *b = kinfer_in(ex, 1);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ops[2] = { a, b };
	int ret;

	ret = kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	if (!arith_dtype(y->dtype) || a->dtype != y->dtype ||
	    b->dtype != y->dtype)
		return -EINVAL;
	ret = kinfer_bcast_init(&ex->s.bcast, y, ops, 2, true);
	if (ret)
		return ret;
	if (kinfer_same_shape(a, y))
		ex->inplace = 0;
	else if (kinfer_same_shape(b, y))
		ex->inplace = 1;
	return kinfer_plan_units(ex, y->numel, ex->desc->cost);
}
