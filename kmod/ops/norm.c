// SPDX-License-Identifier: GPL-2.0
/*
 * The norm class: LayerNormalization and its relatives (instance, group,
 * mean-variance and RMS normalisation, which the loader lowers to these).
 * x (float32) is normalised over the axes set in the attribute's mask,
 * one group per index of the other axes, then multiplied by the optional
 * scale and shifted by the optional bias, both float32 broadcast onto x
 * (numpy, one way).
 *
 *	in 0	x
 *	in 1	scale, or omitted
 *	in 2	bias, or omitted
 *	out 0	y, x's shape; may replace x
 *	out 1	LAYER_NORM only: each group's mean, or omitted
 *	out 2	LAYER_NORM only: each group's 1 / sqrt(var + epsilon), or omitted
 *
 * Outputs 1 and 2 have x's rank with dimension 1 along the normalised
 * axes.  A unit is one group, normalised inside one section: a group of n
 * elements needs n * cost <= KINFER_FPU_CHUNK (-E2BIG otherwise).
 */
#include "ops/exec.h"
#include "ops/reduce.h"

#define KINFER_F32_SIGN	0x80000000U

int kinfer_prepare_norm(struct kinfer_exec *ex)
{
	const struct kinfer_attr_norm *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ops[2] = { NULL, NULL };
	struct kinfer_reduce_plan *p = &ex->s.reduce;
	bool rms = ex->node->op == KINFER_OP_RMS_NORM;
	uint64_t work;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 1, 3, 1, rms ? 1 : 3);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_FLOAT32 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 || !kinfer_same_shape(x, y))
		return -EINVAL;
	if ((a->axes >> x->rank) || (a->epsilon.bits & KINFER_F32_SIGN) ||
	    !kinfer_f32_is_finite(a->epsilon))
		return -EINVAL;
	for (i = 1; i < ex->n_in; i++) {
		const struct kinfer_view *v = kinfer_in(ex, i);

		if (v->data && v->dtype != KINFER_DTYPE_FLOAT32)
			return -EINVAL;
		ops[i - 1] = v;
	}
	for (i = 1; i < ex->n_out; i++) {
		const struct kinfer_view *v = kinfer_out(ex, i);

		if (v->data && (v->dtype != KINFER_DTYPE_FLOAT32 ||
				!kinfer_reduce_keepdims(x, a->axes, v)))
			return -EINVAL;
	}
	ret = kinfer_reduce_plan_init(p, x, a->axes, ops, 2);
	if (ret)
		return ret;
	ex->inplace = 0;
	if (kinfer_mul_overflow(p->count, (uint64_t)ex->desc->cost, &work))
		return -E2BIG;
	return kinfer_plan_units(ex, x->numel / p->count, work);
}
