// SPDX-License-Identifier: GPL-2.0
/*
 * The qbinary class: QADD and QMUL, TFLite's int8 ADD and MUL with numpy
 * broadcasting (struct kinfer_attr_qbinary has the formulas).  A, B and Y
 * int8, Y exactly the broadcast shape; Y may replace the first input of
 * its shape.  The multipliers are attributes, checked here.
 */
#include "int8/qmath.h"
#include "ops/qcheck.h"

/* QADD's left_shift bound: 383 * 2^20 still fits int32. */
#define KINFER_QADD_MAX_LEFT_SHIFT	20

static bool qmul_valid(const struct kinfer_qmul *q)
{
	return kinfer_q_mul_valid(q->multiplier, q->shift);
}

static bool qmul_zero(const struct kinfer_qmul *q)
{
	return !q->multiplier && !q->shift;
}

static int check_attrs(const struct kinfer_attr_qbinary *a, bool add)
{
	if (!kinfer_q_in_offset_ok(a->input1_offset) ||
	    !kinfer_q_in_offset_ok(a->input2_offset) ||
	    !kinfer_q_out_offset_ok(a->output_offset) ||
	    !kinfer_q_act_ok(a->act_min, a->act_max) ||
	    !qmul_valid(&a->output))
		return -EINVAL;
	if (add)
		return a->left_shift >= 0 &&
		       a->left_shift <= KINFER_QADD_MAX_LEFT_SHIFT &&
		       qmul_valid(&a->input1) && qmul_valid(&a->input2) ?
		       0 : -EINVAL;
	return !a->left_shift && qmul_zero(&a->input1) &&
	       qmul_zero(&a->input2) ? 0 : -EINVAL;
}

int kinfer_prepare_qbinary(struct kinfer_exec *ex)
{
	const struct kinfer_view *a = kinfer_in(ex, 0);
	const struct kinfer_view *b = kinfer_in(ex, 1);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ops[2] = { a, b };
	int ret;

	ret = kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	if (a->dtype != KINFER_DTYPE_INT8 || b->dtype != KINFER_DTYPE_INT8 ||
	    y->dtype != KINFER_DTYPE_INT8)
		return -EINVAL;
	ret = check_attrs(ex->attr, ex->node->op == KINFER_OP_QADD);
	if (ret)
		return ret;
	ret = kinfer_bcast_init(&ex->s.bcast, y, ops, 2, true);
	if (ret)
		return ret;
	if (kinfer_same_shape(a, y))
		ex->inplace = 0;
	else if (kinfer_same_shape(b, y))
		ex->inplace = 1;
	ex->fpu = false;
	return kinfer_plan_units(ex, y->numel, ex->desc->cost);
}
