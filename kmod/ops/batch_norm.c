// SPDX-License-Identifier: GPL-2.0
/*
 * The batch_norm class: BatchNormalization at inference, per channel
 * (axis 1) of float32 x [N, C, ...] (rank >= 2):
 *
 *	5 inputs  x, scale, bias, mean, var:
 *		y = (x - mean[c]) * scale[c] / sqrt(var[c] + epsilon) + bias[c]
 *	3 inputs  x, scale, bias (constants folded by the loader):
 *		y = x * scale[c] + bias[c]	and epsilon must be 0
 *
 * Every parameter is float32 [C].  y has x's shape and may replace it.
 * Elementwise: a unit is one element.
 */
#include "ops/exec.h"

int kinfer_prepare_batch_norm(struct kinfer_exec *ex)
{
	const struct kinfer_attr_epsilon *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_axis_plan *p = &ex->s.axis;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 3, 5, 1, 1);
	if (ret)
		return ret;
	if (ex->n_in == 4)	/* mean without var; omitted ones fail below */
		return -EINVAL;
	if (x->dtype != KINFER_DTYPE_FLOAT32 || x->rank < 2 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 || !kinfer_same_shape(x, y))
		return -EINVAL;
	for (i = 1; i < ex->n_in; i++) {
		const struct kinfer_view *v = kinfer_in(ex, i);

		if (v->dtype != KINFER_DTYPE_FLOAT32 || v->rank != 1 ||
		    v->dims[0] != x->dims[1])
			return -EINVAL;
	}
	if (a->reserved || (a->epsilon.bits & 0x80000000U) ||
	    !kinfer_f32_is_finite(a->epsilon) ||
	    (ex->n_in == 3 && a->epsilon.bits))
		return -EINVAL;
	p->outer = x->dims[0];
	p->n = x->dims[1];
	p->inner = kinfer_dims_product(x->dims, 2, x->rank);
	ex->inplace = 0;
	return kinfer_plan_units(ex, x->numel, ex->desc->cost);
}
