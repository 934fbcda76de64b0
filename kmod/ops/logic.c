// SPDX-License-Identifier: GPL-2.0
/*
 * The logic class on bool tensors (one byte each; any nonzero byte is
 * true, results are 0 or 1):
 *
 *	NOT	y = !x			one input, y of x's shape
 *	AND, OR, XOR			two inputs, numpy broadcasting, y of
 *					exactly the broadcast shape
 *
 * y may replace an input of its own shape.  Integer-only: the evals are
 * here, built without FPU code, and run outside FPU sections.
 */
#include "ops/exec.h"
#include "math/bcast.h"

/**
 * kinfer_prepare_logic() - check a NOT, AND, OR or XOR node and plan one unit per element
 * @ex: the node, its tensors checked against their buffers
 *
 * Return: 0, or -EINVAL for wrong arity, dtypes or shapes.
 */
int kinfer_prepare_logic(struct kinfer_exec *ex)
{
	bool unary = ex->node->op == KINFER_OP_NOT;
	const struct kinfer_view *a = kinfer_in(ex, 0);
	const struct kinfer_view *b = kinfer_in(ex, 1);
	const struct kinfer_view *y;
	const struct kinfer_view *ops[2] = { a, b };
	int ret;

	ret = unary ? kinfer_check_arity(ex, 1, 1, 1, 1) :
		      kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	y = kinfer_out(ex, 0);
	if (a->dtype != KINFER_DTYPE_BOOL || y->dtype != KINFER_DTYPE_BOOL ||
	    (!unary && b->dtype != KINFER_DTYPE_BOOL))
		return -EINVAL;
	if (unary && !kinfer_same_shape(a, y))
		return -EINVAL;
	/* NOT: the broadcast of x onto itself, so one eval walks every op. */
	ret = kinfer_bcast_init(&ex->s.bcast, y, ops, unary ? 1 : 2, true);
	if (ret)
		return ret;
	if (kinfer_same_shape(a, y))
		ex->inplace = 0;
	else if (!unary && kinfer_same_shape(b, y))
		ex->inplace = 1;
	ex->fpu = false;
	return kinfer_plan_units(ex, y->numel, ex->desc->cost);
}

/* y[o..o+len) = f(a, b); steps are 0 or 1 along the run. */
#define KINFER_LOGIC_OP(name, expr)					\
static void name##_row(const void *ctx, uint64_t o, const uint64_t *off, \
		       const uint64_t *step, uint64_t len)		\
{									\
	const struct kinfer_exec *ex = ctx;				\
	const uint8_t *pa = ex->t[0].data + off[0];			\
	const uint8_t *pb = ex->t[1].data + off[1];			\
	uint8_t *py = ex->t[2].data + o;				\
	uint64_t i;							\
									\
	for (i = 0; i < len; i++) {					\
		bool a = pa[i * step[0]], b = pb[i * step[1]];		\
									\
		py[i] = (expr) ? 1 : 0;					\
	}								\
}									\
									\
int kinfer_eval_##name(const struct kinfer_exec *ex, uint64_t begin,	\
		       uint64_t end)					\
{									\
	kinfer_bcast_walk(&ex->s.bcast, begin, end, name##_row, ex);	\
	return 0;							\
}

KINFER_LOGIC_OP(logical_and, a && b)
KINFER_LOGIC_OP(logical_or, a || b)
KINFER_LOGIC_OP(logical_xor, a != b)

/**
 * kinfer_eval_logical_not() - y = !x for elements [@begin, @end)
 * @ex: the prepared node
 * @begin: first output element
 * @end: one past the last
 *
 * Return: 0.
 */
int kinfer_eval_logical_not(const struct kinfer_exec *ex, uint64_t begin,
			    uint64_t end)
{
	const uint8_t *x = ex->t[0].data;
	uint8_t *y = ex->t[1].data;
	uint64_t i;

	for (i = begin; i < end; i++)
		y[i] = !x[i];
	return 0;
}
