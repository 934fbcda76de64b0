// SPDX-License-Identifier: GPL-2.0
/*
 * The unary class: elementwise y = f(x) on float32, y the shape of x,
 * in place allowed.  The op's parameters (if any) are its attribute block
 * (struct kinfer_attr_alpha or kinfer_attr_alpha_beta); they may be any
 * binary32 value, NaN included: f only computes with them.
 */
#include "ops/exec.h"

int kinfer_prepare_unary(struct kinfer_exec *ex)
{
	const struct kinfer_view *in = kinfer_in(ex, 0);
	const struct kinfer_view *out = kinfer_out(ex, 0);
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (in->dtype != KINFER_DTYPE_FLOAT32 ||
	    out->dtype != KINFER_DTYPE_FLOAT32 || !kinfer_same_shape(in, out))
		return -EINVAL;
	ex->inplace = 0;
	return kinfer_plan_units(ex, in->numel, ex->desc->cost);
}
