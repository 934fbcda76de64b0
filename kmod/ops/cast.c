// SPDX-License-Identifier: GPL-2.0
/*
 * The cast class: y = x converted elementwise (kmod/math/cast.c says how),
 * x and y each float32, int32, int64 or bool, of one shape.  y may
 * replace x when their elements have one size (element i is read before
 * it is written).
 */
#include "ops/exec.h"

/* The dtypes kinfer_math_cast() converts: not text, not quantised. */
static bool cast_dtype(uint32_t dtype)
{
	return dtype == KINFER_DTYPE_FLOAT32 || dtype == KINFER_DTYPE_INT32 ||
	       dtype == KINFER_DTYPE_INT64 || dtype == KINFER_DTYPE_BOOL;
}

/**
 * kinfer_prepare_cast() - check a CAST node and plan one unit per element
 * @ex: the node, its tensors checked against their buffers
 *
 * Return: 0, or -EINVAL for wrong arity, dtypes or shapes.
 */
int kinfer_prepare_cast(struct kinfer_exec *ex)
{
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (!kinfer_same_shape(x, y) || !cast_dtype(x->dtype) ||
	    !cast_dtype(y->dtype))
		return -EINVAL;
	if (x->esize == y->esize)
		ex->inplace = 0;
	return kinfer_plan_units(ex, x->numel, ex->desc->cost);
}
