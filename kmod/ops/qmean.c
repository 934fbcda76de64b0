// SPDX-License-Identifier: GPL-2.0
/*
 * QMEAN's prepare: int8 X reduced over a set of axes to int8 Y (keepdims
 * shape), planned as the reduce class plans it: a unit is one output
 * element, its whole group summed in one section.
 */
#include "ops/exec.h"
#include "ops/reduce.h"

int kinfer_prepare_qmean(struct kinfer_exec *ex)
{
	const struct kinfer_attr_qmean *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_reduce_plan *p = &ex->s.reduce;
	uint64_t work;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_INT8 || y->dtype != KINFER_DTYPE_INT8 ||
	    a->reserved || (a->axes >> x->rank) ||
	    !kinfer_reduce_keepdims(x, a->axes, y))
		return -EINVAL;
	/* TFLite folds 1/count into the multiplier, below 2^30 at times */
	if (a->output.multiplier < 0 || a->output.shift < -31 ||
	    a->output.shift > 30)
		return -EINVAL;
	if (a->input_offset < -127 || a->input_offset > 128 ||
	    a->output_offset < -128 || a->output_offset > 127)
		return -EINVAL;
	ret = kinfer_reduce_plan_init(p, x, a->axes, NULL, 0);
	if (ret)
		return ret;
	if (kinfer_mul_overflow(p->count, (uint64_t)ex->desc->cost, &work))
		return -E2BIG;
	ex->fpu = false;
	return kinfer_plan_units(ex, y->numel, work);
}
