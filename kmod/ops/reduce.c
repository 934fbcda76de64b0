// SPDX-License-Identifier: GPL-2.0
/*
 * The reduce class: y = a reduction of x over any set of its axes (an
 * axes bitmask, not only neighbouring axes), y with x's rank and those
 * dimensions 1.  A unit is one element of y: its whole group is reduced
 * inside one section, so a group of n elements needs n * cost <=
 * KINFER_FPU_CHUNK (-E2BIG otherwise).
 *
 * Dtypes: every op takes float32; SUM, PROD, L1, SUM_SQUARE, MAX and MIN
 * take int32 and int64 too (wrapping, as numpy), MAX and MIN bool.  y has
 * x's dtype.
 */
#include "ops/exec.h"
#include "ops/reduce.h"

static bool reduce_dtype_ok(uint32_t op, uint32_t dtype)
{
	switch (dtype) {
	case KINFER_DTYPE_FLOAT32:
		return true;
	case KINFER_DTYPE_INT32:
	case KINFER_DTYPE_INT64:
		return op == KINFER_OP_REDUCE_SUM || op == KINFER_OP_REDUCE_PROD ||
		       op == KINFER_OP_REDUCE_L1 ||
		       op == KINFER_OP_REDUCE_SUM_SQUARE ||
		       op == KINFER_OP_REDUCE_MAX || op == KINFER_OP_REDUCE_MIN;
	case KINFER_DTYPE_BOOL:
		return op == KINFER_OP_REDUCE_MAX || op == KINFER_OP_REDUCE_MIN;
	default:
		return false;
	}
}

/* Element strides of x itself (row-major, dense). */
static void dense_strides(const struct kinfer_view *x, uint64_t *stride)
{
	uint64_t s = 1;
	uint32_t k;

	for (k = x->rank; k-- > 0;) {
		stride[k] = s;
		s *= x->dims[k];
	}
}

/* Axis k may join the previous axis of the list for every stream. */
static bool mergeable(const uint64_t st[][KINFER_MAX_RANK], uint32_t at,
		      const uint64_t *next, uint32_t dim)
{
	uint32_t s;

	for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
		if (st[s][at] != next[s] * dim)
			return false;
	return true;
}

/* Append axis (dim, strides) to a list, or merge it into its last entry. */
static void add_axis(uint32_t *n, uint32_t *dims,
		     uint64_t st[][KINFER_MAX_RANK], bool adjacent,
		     uint32_t dim, const uint64_t *next)
{
	uint32_t s, at = *n - 1;

	if (*n && adjacent && mergeable(st, at, next, dim)) {
		dims[at] *= dim;
	} else {
		at = (*n)++;
		dims[at] = dim;
	}
	for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
		st[s][at] = next[s];
}

/**
 * kinfer_reduce_plan_init() - plan groups of x over a set of axes
 * @p: filled on success
 * @x: the tensor whose elements are grouped
 * @axes: bit k set: axis k is reduced (inside a group); k < x->rank
 * @ops: up to KINFER_REDUCE_STREAMS - 1 operands broadcast onto x (numpy,
 *	one way), streams 1.. of the plan; NULL entries are left out
 * @n_ops: their number
 *
 * Merged axes keep their products below x's element count, which fits in
 * 32 bits (its bytes do).
 *
 * Return: 0, or -EINVAL for an axis beyond the rank or an operand that
 * does not broadcast onto x.
 */
int kinfer_reduce_plan_init(struct kinfer_reduce_plan *p,
			    const struct kinfer_view *x, uint32_t axes,
			    const struct kinfer_view *const *ops, uint32_t n_ops)
{
	uint64_t st[KINFER_REDUCE_STREAMS][KINFER_MAX_RANK] = { { 0 } };
	struct kinfer_bcast bc;
	int last_kind = -1;
	uint32_t j, k, s;
	int ret;

	if (n_ops >= KINFER_REDUCE_STREAMS || x->rank > KINFER_MAX_RANK ||
	    (axes >> x->rank))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	dense_strides(x, st[0]);
	for (j = 0; j < n_ops; j++) {
		if (!ops[j] || !ops[j]->data)
			continue;
		ret = kinfer_bcast_init(&bc, x, &ops[j], 1, false);
		if (ret)
			return ret;
		for (k = 0; k < x->rank; k++)
			st[j + 1][k] = bc.stride[0][k];
	}
	p->count = 1;
	for (k = 0; k < x->rank; k++) {
		uint64_t next[KINFER_REDUCE_STREAMS];
		uint32_t dim = x->dims[k];
		int kind = (axes >> k) & 1;

		if (dim == 1)
			continue;
		for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
			next[s] = st[s][k];
		if (kind) {
			add_axis(&p->n_red, p->red_dims, p->red_stride,
				 last_kind == kind, dim, next);
			p->count *= dim;
		} else {
			add_axis(&p->n_keep, p->keep_dims, p->keep_stride,
				 last_kind == kind, dim, next);
		}
		last_kind = kind;
	}
	return 0;
}

/**
 * kinfer_reduce_keepdims() - y is x reduced over @axes with keepdims
 * @x: the reduced tensor
 * @axes: the reduced axes, a bitmask below x's rank
 * @y: the result
 *
 * Return: true when y has x's rank and dimensions, 1 along @axes.
 */
bool kinfer_reduce_keepdims(const struct kinfer_view *x, uint32_t axes,
			    const struct kinfer_view *y)
{
	uint32_t k;

	if (y->rank != x->rank)
		return false;
	for (k = 0; k < x->rank; k++)
		if (y->dims[k] != ((axes >> k) & 1 ? 1 : x->dims[k]))
			return false;
	return true;
}

int kinfer_prepare_reduce(struct kinfer_exec *ex)
{
	const struct kinfer_attr_reduce *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_reduce_plan *p = &ex->s.reduce;
	uint64_t work;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (a->reserved || (a->axes >> x->rank) ||
	    !reduce_dtype_ok(ex->node->op, x->dtype) || y->dtype != x->dtype ||
	    !kinfer_reduce_keepdims(x, a->axes, y))
		return -EINVAL;
	ret = kinfer_reduce_plan_init(p, x, a->axes, NULL, 0);
	if (ret)
		return ret;
	if (kinfer_mul_overflow(p->count, (uint64_t)ex->desc->cost, &work))
		return -E2BIG;
	return kinfer_plan_units(ex, y->numel, work);
}
