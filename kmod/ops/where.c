// SPDX-License-Identifier: GPL-2.0
/*
 * WHERE: y = cond ? x : z elementwise, numpy broadcasting of all three
 * (cond bool; x, z and y of one dtype, any of float32, int32, int64 and
 * bool), y of exactly the broadcast shape; y may replace x or z when of
 * its shape.  A byte mover: no FPU, eval here.
 */
#include "ops/exec.h"
#include "math/bcast.h"

/**
 * kinfer_prepare_where() - check a WHERE node and plan one unit per output element
 * @ex: the node, its tensors checked against their buffers
 *
 * Return: 0, or -EINVAL for wrong arity, dtypes or shapes.
 */
int kinfer_prepare_where(struct kinfer_exec *ex)
{
	const struct kinfer_view *c = kinfer_in(ex, 0);
	const struct kinfer_view *x = kinfer_in(ex, 1);
	const struct kinfer_view *z = kinfer_in(ex, 2);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *ops[3] = { c, x, z };
	int ret;

	ret = kinfer_check_arity(ex, 3, 3, 1, 1);
	if (ret)
		return ret;
	if (c->dtype != KINFER_DTYPE_BOOL || x->dtype != y->dtype ||
	    z->dtype != y->dtype)
		return -EINVAL;
	ret = kinfer_bcast_init(&ex->s.bcast, y, ops, 3, true);
	if (ret)
		return ret;
	if (kinfer_same_shape(x, y))
		ex->inplace = 1;
	else if (kinfer_same_shape(z, y))
		ex->inplace = 2;
	ex->fpu = false;
	return kinfer_plan_units(ex, y->numel, ex->desc->cost);
}

#define KINFER_WHERE_ROW(fn, type)					\
static void fn(const void *ctx, uint64_t o, const uint64_t *off,	\
	       const uint64_t *step, uint64_t len)			\
{									\
	const struct kinfer_exec *ex = ctx;				\
	const uint8_t *pc = ex->t[0].data + off[0];			\
	const type *px = (const type *)ex->t[1].data + off[1];		\
	const type *pz = (const type *)ex->t[2].data + off[2];		\
	type *py = (type *)ex->t[3].data + o;				\
	uint64_t i;							\
									\
	for (i = 0; i < len; i++)					\
		py[i] = pc[i * step[0]] ? px[i * step[1]] : pz[i * step[2]]; \
}

KINFER_WHERE_ROW(where_1, uint8_t)
KINFER_WHERE_ROW(where_4, uint32_t)
KINFER_WHERE_ROW(where_8, uint64_t)

/**
 * kinfer_eval_where() - y = cond ? x : z for output elements [@begin, @end)
 * @ex: the prepared node
 * @begin: first output element
 * @end: one past the last
 *
 * Return: 0.
 */
int kinfer_eval_where(const struct kinfer_exec *ex, uint64_t begin,
		      uint64_t end)
{
	switch (ex->t[3].esize) {
	case 1:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, where_1, ex);
		return 0;
	case 4:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, where_4, ex);
		return 0;
	case 8:
		kinfer_bcast_walk(&ex->s.bcast, begin, end, where_8, ex);
		return 0;
	default:
		return -EINVAL;
	}
}
