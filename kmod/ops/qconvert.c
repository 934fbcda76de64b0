// SPDX-License-Identifier: GPL-2.0
/*
 * The qconvert class: QUANTIZE (float32 X, int8 Y) and DEQUANTIZE (int8
 * X, float32 Y), Y of X's shape; the evals compute in float (kmod/math).
 * The scale is checked on its bits: positive, finite and normal.  A unit
 * is one element.
 */
#include "ops/exec.h"

static bool scale_ok(union kinfer_f32 s)
{
	uint32_t exponent = (s.bits >> 23) & 0xff;

	return !(s.bits >> 31) && exponent && exponent != 0xff;
}

int kinfer_prepare_qconvert(struct kinfer_exec *ex)
{
	const struct kinfer_attr_qconvert *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	bool quantize = ex->node->op == KINFER_OP_QUANTIZE;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != (quantize ? KINFER_DTYPE_FLOAT32 : KINFER_DTYPE_INT8) ||
	    y->dtype != (quantize ? KINFER_DTYPE_INT8 : KINFER_DTYPE_FLOAT32) ||
	    !kinfer_same_shape(x, y))
		return -EINVAL;
	if (!scale_ok(a->scale) || a->zero_point < -128 || a->zero_point > 127)
		return -EINVAL;
	return kinfer_plan_units(ex, x->numel, ex->desc->cost);
}
