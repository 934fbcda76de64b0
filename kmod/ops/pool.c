// SPDX-License-Identifier: GPL-2.0
/*
 * The pool class: MAXPOOL, AVERAGEPOOL and LPPOOL over 1 to 3 spatial
 * axes (struct kinfer_attr_pool says how the window slides and what each
 * op computes).
 *
 *	X [N, C, in...]		float32
 *	Y [N, C, out...]	float32
 *	Indices			MAXPOOL only, optional: int64, Y's shape
 *
 * A unit is ow_block output columns of one output row (n, c, od, oh);
 * a column is k0 * k1 * k2 taps (LPPOOL: plus its root), which must fit
 * one section.  Taps in the padding are skipped, never read.
 */
#include "ops/window.h"

/* Work of one LPPOOL root: 8 Newton steps of <= 16 products (lppool.c). */
#define KINFER_LPPOOL_ROOT_WORK	256U

/* Which of the op-specific fields an op uses, and their ranges. */
static int check_op_fields(const struct kinfer_exec *ex, bool indices)
{
	const struct kinfer_attr_pool *a = ex->attr;
	uint32_t op = ex->node->op;

	if (a->reserved || a->ceil_mode > 1)
		return -EINVAL;
	if (op == KINFER_OP_AVERAGEPOOL ? a->count_include_pad > 1 :
	    a->count_include_pad)
		return -EINVAL;
	if (op == KINFER_OP_LPPOOL ?
	    !a->p || a->p > KINFER_LPPOOL_MAX_P : a->p)
		return -EINVAL;
	if (indices ? a->storage_order > 1 : a->storage_order)
		return -EINVAL;
	return 0;
}

/* out = span / s + 1, rounded down or (ceil_mode) up; see kinfer.h. */
static int check_out(const struct kinfer_window_plan *p, uint32_t axis,
		     bool ceil_mode)
{
	uint64_t span, s = (uint64_t)p->s[axis], out;
	int ret;

	ret = kinfer_window_span(p, axis, &span);
	if (ret)
		return ret;
	if (!ceil_mode) {
		out = span / s + 1;
	} else {
		/* span < 2^34 and s < 2^32: no overflow. */
		out = (span + s - 1) / s + 1;
		if ((out - 1) * s >= (uint64_t)p->in[axis] + p->pb[axis])
			out--;
	}
	return out == (uint64_t)p->out[axis] ? 0 : -EINVAL;
}

/*
 * Strides of X's spatial axes in an Indices value: row-major, or with
 * storage_order 1 column-major (the first spatial axis fastest).
 */
static void index_strides(struct kinfer_window_plan *p, uint32_t ns,
			  uint32_t storage_order)
{
	int64_t stride = 1;
	uint32_t i, first = KINFER_MAX_SPATIAL - ns;

	for (i = 0; i < first; i++)
		p->istride[i] = 0;	/* always index 0 */
	if (storage_order) {
		for (i = first; i < KINFER_MAX_SPATIAL; i++) {
			p->istride[i] = stride;
			stride *= p->in[i];
		}
	} else {
		for (i = KINFER_MAX_SPATIAL; i-- > first;) {
			p->istride[i] = stride;
			stride *= p->in[i];
		}
	}
}

int kinfer_prepare_pool(struct kinfer_exec *ex)
{
	const struct kinfer_attr_pool *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ind = NULL;
	bool max = ex->node->op == KINFER_OP_MAXPOOL;
	struct kinfer_window_attr wa;
	uint64_t cols;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, max ? 2 : 1);
	if (ret)
		return ret;
	if (ex->n_out == 2 && kinfer_out(ex, 1)->data)
		ind = kinfer_out(ex, 1);
	if (x->dtype != KINFER_DTYPE_FLOAT32 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 ||
	    (ind && (ind->dtype != KINFER_DTYPE_INT64 ||
		     !kinfer_same_shape(ind, y))))
		return -EINVAL;
	ret = check_op_fields(ex, ind);
	if (ret)
		return ret;
	wa.n_spatial = a->n_spatial;
	wa.kernel = a->kernel;
	wa.strides = a->strides;
	wa.dilations = a->dilations;
	wa.pads_begin = a->pads_begin;
	wa.pads_end = a->pads_end;
	ret = kinfer_window_axes(p, &wa, x, y);
	if (ret)
		return ret;
	if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1])
		return -EINVAL;
	p->n = x->dims[0];
	p->c = x->dims[1];
	p->m = p->c;
	p->cg = 1;
	p->mg = 1;
	for (i = 0; i < KINFER_MAX_SPATIAL; i++) {
		ret = check_out(p, i, a->ceil_mode);
		if (ret)
			return ret;
	}
	index_strides(p, a->n_spatial, a->storage_order);
	/* taps < 2^32, cost is small. */
	cols = (uint64_t)p->taps * ex->desc->cost;
	if (ex->node->op == KINFER_OP_LPPOOL)
		cols += KINFER_LPPOOL_ROOT_WORK;
	return kinfer_window_units(ex, p, cols, 1);
}
