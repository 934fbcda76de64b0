// SPDX-License-Identifier: GPL-2.0
/*
 * The softmax class: softmax, log-softmax and Lp normalisation (p = 1, 2)
 * along one axis of a float32 tensor; y has x's shape and may replace it.
 * A unit is one row along the axis (n elements, inner apart); a row is
 * normalised inside one section, so n * cost <= KINFER_FPU_CHUNK.
 */
#include "ops/exec.h"

int kinfer_prepare_softmax(struct kinfer_exec *ex)
{
	const struct kinfer_attr_axis *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_axis_plan *p = &ex->s.axis;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_FLOAT32 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 || !kinfer_same_shape(x, y))
		return -EINVAL;
	if (a->reserved || a->axis >= x->rank)
		return -EINVAL;
	p->outer = kinfer_dims_product(x->dims, 0, a->axis);
	p->n = x->dims[a->axis];
	p->inner = kinfer_dims_product(x->dims, a->axis + 1, x->rank);
	ex->inplace = 0;
	return kinfer_plan_units(ex, p->outer * p->inner, p->n * ex->desc->cost);
}
