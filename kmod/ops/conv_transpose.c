// SPDX-License-Identifier: GPL-2.0
/*
 * The conv_transpose class: CONV_TRANSPOSE, an ONNX ConvTranspose (the
 * gradient of a convolution) over 1 to 3 spatial axes with groups, an
 * optional bias and a fused activation.
 *
 *	X [N, C, in...]		float32
 *	W [C, M / group, k...]	float32 (a weight or an activation)
 *	B [M]			float32, optional
 *	Y [N, M, out...]	out = stride * (in - 1) + output_padding +
 *				      eff - pads_begin - pads_end
 *
 * Y[o] gathers X[i] * W[t] over the taps with o + pads_begin = i * stride
 * + t * dilation.  A unit is ow_block output columns of one output row
 * (n, m, od, oh); a column gathers at most C / group * k0 * k1 * k2
 * products, which must fit one section.
 */
#include "ops/window.h"

static int check_channels(struct kinfer_window_plan *p, uint32_t group,
			  const struct kinfer_view *x,
			  const struct kinfer_view *w,
			  const struct kinfer_view *b,
			  const struct kinfer_view *y)
{
	if (!group || x->dims[1] % group || w->rank != x->rank)
		return -EINVAL;
	p->n = x->dims[0];
	p->c = x->dims[1];
	p->cg = p->c / group;
	p->mg = w->dims[1];
	/* Both are u32: the product fits. */
	p->m = p->mg * (int64_t)group;
	if (w->dims[0] != p->c || y->dims[0] != p->n ||
	    (int64_t)y->dims[1] != p->m)
		return -EINVAL;
	if (b && (b->rank != 1 || b->dims[0] != p->m))
		return -EINVAL;
	return 0;
}

/* out = s * (in - 1) + output_padding + eff - pads, overflow-safe. */
static int check_out(const struct kinfer_window_plan *p, uint32_t axis,
		     uint32_t output_padding)
{
	uint64_t eff = (uint64_t)(p->k[axis] - 1) * p->d[axis] + 1;
	uint64_t full = (uint64_t)p->s[axis] * (uint64_t)(p->in[axis] - 1);
	uint64_t pads = (uint64_t)p->pb[axis] + p->pe[axis];

	if (kinfer_add_overflow(full, (uint64_t)output_padding, &full) ||
	    kinfer_add_overflow(full, eff, &full) || full < pads ||
	    full - pads != (uint64_t)p->out[axis])
		return -EINVAL;
	return 0;
}

int kinfer_prepare_conv_transpose(struct kinfer_exec *ex)
{
	const struct kinfer_attr_conv *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *w = kinfer_in(ex, 1);
	const struct kinfer_view *b = ex->n_in == 3 ? kinfer_in(ex, 2) : NULL;
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_window_attr wa;
	uint32_t i, ns = a->n_spatial;
	uint64_t cols;
	int ret;

	ret = kinfer_check_arity(ex, 2, 3, 1, 1);
	if (ret)
		return ret;
	if (b && !b->data)
		b = NULL;
	if (x->dtype != KINFER_DTYPE_FLOAT32 ||
	    w->dtype != KINFER_DTYPE_FLOAT32 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 ||
	    (b && b->dtype != KINFER_DTYPE_FLOAT32))
		return -EINVAL;
	if (a->reserved || ns < 1 || ns > KINFER_MAX_SPATIAL ||
	    !kinfer_all_zero(a->output_padding + ns, KINFER_MAX_SPATIAL - ns))
		return -EINVAL;
	ret = kinfer_window_check_act(a->act, &a->act_attr);
	if (ret)
		return ret;
	if (w->rank < 3)
		return -EINVAL;
	wa.n_spatial = ns;
	wa.kernel = w->dims + 2;	/* dims past the rank are 0 */
	wa.strides = a->strides;
	wa.dilations = a->dilations;
	wa.pads_begin = a->pads_begin;
	wa.pads_end = a->pads_end;
	ret = kinfer_window_axes(p, &wa, x, y);
	if (ret)
		return ret;
	ret = check_channels(p, a->group, x, w, b, y);
	if (ret)
		return ret;
	for (i = 0; i < KINFER_MAX_SPATIAL; i++) {
		uint32_t j = i + ns;	/* attribute index + KINFER_MAX_SPATIAL */

		ret = check_out(p, i, j < KINFER_MAX_SPATIAL ? 0 :
				a->output_padding[j - KINFER_MAX_SPATIAL]);
		if (ret)
			return ret;
	}
	if (kinfer_mul_overflow((uint64_t)p->cg * (uint64_t)p->taps,
				(uint64_t)ex->desc->cost, &cols))
		return -E2BIG;
	return kinfer_window_units(ex, p, cols, 1);
}
