// SPDX-License-Identifier: GPL-2.0
/*
 * The qmatmul class: QFULLY_CONNECTED, TFLite's int8 FULLY_CONNECTED
 * (struct kinfer_attr_qmatmul has the formula).
 *
 *	X [M, K], W [N, K], Y [M, N]	int8
 *	bias [N] (optional), mult and shift [N] or [1]	int32
 *
 * A unit is col_block outputs of one row of Y: K multiply-adds and a
 * requantisation each, at most one section; K itself must fit one.
 */
#include "ops/qcheck.h"

static int check_attrs(const struct kinfer_attr_qmatmul *a)
{
	if (a->reserved || !kinfer_q_in_offset_ok(a->input_offset) ||
	    !kinfer_q_in_offset_ok(a->filter_offset) ||
	    !kinfer_q_out_offset_ok(a->output_offset) ||
	    !kinfer_q_act_ok(a->act_min, a->act_max))
		return -EINVAL;
	return 0;
}

int kinfer_prepare_qmatmul(struct kinfer_exec *ex)
{
	struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const struct kinfer_view *x = kinfer_in(ex, KINFER_Q_X);
	const struct kinfer_view *w = kinfer_in(ex, KINFER_Q_W);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	uint64_t col_work;
	int ret;

	ret = kinfer_q_check_arity(ex);
	if (ret)
		return ret;
	ret = check_attrs(ex->attr);
	if (ret)
		return ret;
	if (x->rank != 2 || w->rank != 2 || y->rank != 2 ||
	    w->dims[1] != x->dims[1] || y->dims[0] != x->dims[0] ||
	    y->dims[1] != w->dims[0])
		return -EINVAL;
	memset(mm, 0, sizeof(*mm));
	mm->m = x->dims[0];
	mm->k = x->dims[1];
	mm->n = w->dims[0];
	ret = kinfer_q_check_inputs(ex, mm->n);
	if (ret)
		return ret;
	ex->fpu = false;
	/* k < 2^32 and the cost is small: no overflow. */
	col_work = (mm->k + 1) * ex->desc->cost;
	if (col_work > KINFER_FPU_CHUNK)
		return -E2BIG;
	mm->col_block = kinfer_min_u64(KINFER_FPU_CHUNK / col_work, mm->n);
	mm->col_blocks = (mm->n + mm->col_block - 1) / mm->col_block;
	return kinfer_plan_units(ex, mm->m * mm->col_blocks,
				 col_work * mm->col_block);
}
