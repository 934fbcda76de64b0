// SPDX-License-Identifier: GPL-2.0
/*
 * The qpool class: QMAXPOOL and QAVERAGEPOOL, TFLite's int8 MAX_POOL_2D
 * and AVERAGE_POOL_2D over NHWC (struct kinfer_attr_qpool).
 *
 *	X [N, H, W, C] -> Y [N, OH, OW, C]	int8
 *
 * A unit is ow_block output columns of one output row (n, oy) of up to
 * mb channels; an output is filter_h * filter_w taps and a division,
 * which must fit one section.
 */
#include "ops/qcheck.h"
#include "ops/window.h"

int kinfer_prepare_qpool(struct kinfer_exec *ex)
{
	const struct kinfer_attr_qpool *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const uint32_t k[2] = { a->filter_h, a->filter_w };
	const uint32_t s[2] = { a->stride_h, a->stride_w };
	const uint32_t d[2] = { 1, 1 };
	const uint32_t pad[2] = { a->pad_top, a->pad_left };
	uint64_t col_work;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != KINFER_DTYPE_INT8 || y->dtype != KINFER_DTYPE_INT8 ||
	    x->rank != 4 || y->rank != 4 || y->dims[0] != x->dims[0] ||
	    y->dims[3] != x->dims[3])
		return -EINVAL;
	if (!kinfer_q_act_ok(a->act_min, a->act_max))
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		ret = kinfer_q_window_axis(x->dims[1 + i], y->dims[1 + i], k[i],
					   s[i], d[i], pad[i]);
		if (ret)
			return ret;
	}
	/* Two u32: the product fits in u64. */
	col_work = ((uint64_t)k[0] * k[1] + 1) * ex->desc->cost;
	if (col_work > KINFER_FPU_CHUNK)
		return -E2BIG;
	kinfer_q_window_plan(p, x, y, k, s, d, pad);
	ex->fpu = false;
	return kinfer_window_units(ex, p, col_work, (uint64_t)p->m);
}
