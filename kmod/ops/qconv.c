// SPDX-License-Identifier: GPL-2.0
/*
 * The qconv class: QCONV and QDEPTHWISE_CONV, TFLite's int8 CONV_2D and
 * DEPTHWISE_CONV_2D over NHWC (struct kinfer_attr_qconv has the shapes
 * and the window rules).
 *
 * A unit is ow_block output columns of one output row (n, oy) of up to
 * mb output channels: KH * KW * C (depthwise: KH * KW) multiply-adds and
 * a requantisation per output, which must fit one section.
 */
#include "ops/qcheck.h"
#include "ops/window.h"

static int check_attrs(const struct kinfer_attr_qconv *a, bool depthwise)
{
	if (a->reserved || !kinfer_q_in_offset_ok(a->input_offset) ||
	    !kinfer_q_out_offset_ok(a->output_offset) ||
	    !kinfer_q_act_ok(a->act_min, a->act_max))
		return -EINVAL;
	if (depthwise ? !a->depth_multiplier : a->depth_multiplier)
		return -EINVAL;
	return 0;
}

/* W's shape against X's and Y's; *m is the output channels. */
static int check_filter(const struct kinfer_attr_qconv *a, bool depthwise,
			const struct kinfer_view *x,
			const struct kinfer_view *w,
			const struct kinfer_view *y, uint64_t *m)
{
	if (x->rank != 4 || w->rank != 4 || y->rank != 4 ||
	    y->dims[0] != x->dims[0])
		return -EINVAL;
	if (depthwise) {
		/* C * depth_multiplier: both u32, the product fits. */
		*m = (uint64_t)x->dims[3] * a->depth_multiplier;
		if (w->dims[0] != 1 || w->dims[3] != *m)
			return -EINVAL;
	} else {
		*m = w->dims[0];
		if (w->dims[3] != x->dims[3])
			return -EINVAL;
	}
	return y->dims[3] == *m ? 0 : -EINVAL;
}

int kinfer_prepare_qconv(struct kinfer_exec *ex)
{
	const struct kinfer_attr_qconv *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, KINFER_Q_X);
	const struct kinfer_view *w = kinfer_in(ex, KINFER_Q_W);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	bool depthwise = ex->node->op == KINFER_OP_QDEPTHWISE_CONV;
	const uint32_t s[2] = { a->stride_h, a->stride_w };
	const uint32_t d[2] = { a->dilation_h, a->dilation_w };
	const uint32_t pad[2] = { a->pad_top, a->pad_left };
	uint64_t m, col_work;
	uint32_t i;
	int ret;

	ret = kinfer_q_check_arity(ex);
	if (ret)
		return ret;
	ret = check_attrs(a, depthwise);
	if (ret)
		return ret;
	ret = check_filter(a, depthwise, x, w, y, &m);
	if (ret)
		return ret;
	ret = kinfer_q_check_inputs(ex, m);
	if (ret)
		return ret;
	for (i = 0; i < 2; i++) {
		ret = kinfer_q_window_axis(x->dims[1 + i], y->dims[1 + i],
					   w->dims[1 + i], s[i], d[i], pad[i]);
		if (ret)
			return ret;
	}
	kinfer_q_window_plan(p, x, y, w->dims + 1, s, d, pad);
	ex->fpu = false;
	/* Products of W's dims: below 2^32. */
	col_work = (uint64_t)p->taps * (depthwise ? 1 : (uint64_t)p->c) + 1;
	col_work *= ex->desc->cost;
	return kinfer_window_units(ex, p, col_work, (uint64_t)p->m);
}
