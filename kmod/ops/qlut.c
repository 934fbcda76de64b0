// SPDX-License-Identifier: GPL-2.0
/*
 * QLUT's prepare: int8 X and Y of one shape (Y may replace X), any
 * table; a unit is one element.
 */
#include "ops/exec.h"

int kinfer_prepare_qlut(struct kinfer_exec *ex)
{
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_INT8 || y->dtype != KINFER_DTYPE_INT8 ||
	    !kinfer_same_shape(x, y))
		return -EINVAL;
	ex->inplace = 0;
	ex->fpu = false;
	return kinfer_plan_units(ex, x->numel, ex->desc->cost);
}
