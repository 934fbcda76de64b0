// SPDX-License-Identifier: GPL-2.0
/*
 * QSOFTMAX's prepare: int8 X and Y of one shape, rank >= 1, softmax over
 * the last axis; a unit is one row, all of it in one section (three
 * passes, two fixed-point exps per element: the registry cost).  Y may
 * replace X: each element is read before it is written.
 */
#include "ops/exec.h"
#include "int8/qmath.h"

int kinfer_prepare_qsoftmax(struct kinfer_exec *ex)
{
	const struct kinfer_attr_qsoftmax *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_axis_plan *p = &ex->s.axis;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_INT8 || y->dtype != KINFER_DTYPE_INT8 ||
	    !kinfer_same_shape(x, y) || x->rank < 1)
		return -EINVAL;
	/* the input multiplier is > 1/2 (TFLite's is > 1): shift >= 0 */
	if (!kinfer_q_mul_valid(a->input.multiplier, a->input.shift) ||
	    !a->input.multiplier || a->input.shift < 0 || a->diff_min > 0 ||
	    a->output_offset != -128)
		return -EINVAL;
	p->n = x->dims[x->rank - 1];
	p->outer = x->numel / p->n;
	p->inner = 1;
	ex->inplace = 0;
	ex->fpu = false;
	return kinfer_plan_units(ex, p->outer, p->n * ex->desc->cost);
}
