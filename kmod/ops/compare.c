// SPDX-License-Identifier: GPL-2.0
/*
 * The compare class: y = a (op) b as bool with numpy (ONNX
 * multidirectional) broadcasting; a and b of one dtype (float32, int32,
 * int64 or bool), y bool of exactly the broadcast shape.  y never
 * replaces an input (bool is narrower than the other dtypes; for bool
 * inputs the gain would be nil).
 */
#include "ops/exec.h"

/* The dtypes the evals (math/compare.h) compare. */
static bool compare_dtype(uint32_t dtype)
{
	return dtype == KINFER_DTYPE_FLOAT32 || dtype == KINFER_DTYPE_INT32 ||
	       dtype == KINFER_DTYPE_INT64 || dtype == KINFER_DTYPE_BOOL;
}

/**
 * kinfer_prepare_compare() - check a comparison node and plan one unit per output element
 * @ex: the node, its tensors checked against their buffers
 *
 * Return: 0, or -EINVAL for wrong arity, dtypes or shapes.
 */
int kinfer_prepare_compare(struct kinfer_exec *ex)
{
	const struct kinfer_view *a = kinfer_in(ex, 0);
	const struct kinfer_view *b = kinfer_in(ex, 1);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ops[2] = { a, b };
	int ret;

	ret = kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	if (!compare_dtype(a->dtype) || a->dtype != b->dtype ||
	    y->dtype != KINFER_DTYPE_BOOL)
		return -EINVAL;
	ret = kinfer_bcast_init(&ex->s.bcast, y, ops, 2, true);
	if (ret)
		return ret;
	return kinfer_plan_units(ex, y->numel, ex->desc->cost);
}
