// SPDX-License-Identifier: GPL-2.0
/*
 * The arg class: ArgMax, ArgMin of float32, int32 or int64 x along one
 * axis; y is int64 with x's rank and dimension 1 at the axis.  A unit is
 * one element of y (one row along the axis: n elements, inner apart), so
 * n * cost <= KINFER_FPU_CHUNK.
 */
#include "ops/exec.h"

int kinfer_prepare_arg(struct kinfer_exec *ex)
{
	const struct kinfer_attr_arg *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_axis_plan *p = &ex->s.axis;
	uint32_t k;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if ((x->dtype != KINFER_DTYPE_FLOAT32 &&
	     x->dtype != KINFER_DTYPE_INT32 &&
	     x->dtype != KINFER_DTYPE_INT64) ||
	    y->dtype != KINFER_DTYPE_INT64)
		return -EINVAL;
	if (a->axis >= x->rank || a->select_last > 1 || y->rank != x->rank)
		return -EINVAL;
	for (k = 0; k < x->rank; k++)
		if (y->dims[k] != (k == a->axis ? 1 : x->dims[k]))
			return -EINVAL;
	p->outer = kinfer_dims_product(x->dims, 0, a->axis);
	p->n = x->dims[a->axis];
	p->inner = kinfer_dims_product(x->dims, a->axis + 1, x->rank);
	return kinfer_plan_units(ex, y->numel, p->n * ex->desc->cost);
}
