// SPDX-License-Identifier: GPL-2.0
/*
 * The conv class: CONV, an ONNX Conv (cross-correlation) over 1 to 3
 * spatial axes with groups, an optional bias and a fused activation.
 *
 *	X [N, C, in...]		float32
 *	W [M, C / group, k...]	float32 (a weight or an activation)
 *	B [M]			float32, optional
 *	Y [N, M, out...]	out = (in + pads - eff) / stride + 1
 *
 * A unit is ow_block output columns of one output row (n, m, od, oh):
 * C / group * k0 * k1 * k2 multiply-adds per column, which must fit one
 * section.  Taps that fall into the padding are skipped, never read.
 */
#include "ops/window.h"

/* Channels, groups and the shapes of W, B and Y's leading axes. */
static int check_channels(struct kinfer_window_plan *p, uint32_t group,
			  const struct kinfer_view *x,
			  const struct kinfer_view *w,
			  const struct kinfer_view *b,
			  const struct kinfer_view *y)
{
	/* W's spatial dims are the kernel: kinfer_window_axes() took them. */
	if (!group || x->dims[1] % group || w->dims[0] % group)
		return -EINVAL;
	p->n = x->dims[0];
	p->c = x->dims[1];
	p->m = w->dims[0];
	p->cg = p->c / group;
	p->mg = p->m / group;
	if (w->rank != x->rank || w->dims[1] != p->cg ||
	    y->dims[0] != p->n || y->dims[1] != p->m)
		return -EINVAL;
	if (b && (b->rank != 1 || b->dims[0] != p->m))
		return -EINVAL;
	return 0;
}

/*
 * A 1x1 convolution with stride 1 and no padding maps every input
 * position to the same output position: its spatial axes are one long row
 * (the same elements in the same order), which eval walks with fewer,
 * longer runs.
 */
static void flatten_pointwise(struct kinfer_window_plan *p)
{
	int64_t i, len = 1;

	for (i = 0; i < 3; i++) {
		if (p->k[i] != 1 || p->s[i] != 1 || p->pb[i] || p->pe[i])
			return;
		len *= p->in[i];
	}
	for (i = 0; i < 2; i++) {
		p->in[i] = 1;
		p->out[i] = 1;
	}
	p->in[2] = len;
	p->out[2] = len;
	p->d[2] = 1;
}

int kinfer_prepare_conv(struct kinfer_exec *ex)
{
	const struct kinfer_attr_conv *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *w = kinfer_in(ex, 1);
	const struct kinfer_view *b = ex->n_in == 3 ? kinfer_in(ex, 2) : NULL;
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_window_attr wa;
	uint64_t span, cols;
	uint32_t i;
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
	if (a->reserved ||
	    !kinfer_all_zero(a->output_padding, KINFER_MAX_SPATIAL))
		return -EINVAL;
	ret = kinfer_window_check_act(a->act, &a->act_attr);
	if (ret)
		return ret;
	if (w->rank < 3)
		return -EINVAL;
	wa.n_spatial = a->n_spatial;
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
		ret = kinfer_window_span(p, i, &span);
		if (ret)
			return ret;
		if ((uint64_t)p->out[i] != span / (uint64_t)p->s[i] + 1)
			return -EINVAL;
	}
	flatten_pointwise(p);
	/* cg and taps are u32: the product fits. */
	if (kinfer_mul_overflow((uint64_t)p->cg * (uint64_t)p->taps,
				(uint64_t)ex->desc->cost, &cols))
		return -E2BIG;
	return kinfer_window_units(ex, p, cols, KINFER_CONV_MB);
}
