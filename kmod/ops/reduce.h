/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Groups of elements over a set of axes, for the reduce and norm classes:
 * the plan (kmod/ops/reduce.c, integer only) and the walk over one group
 * that their evals share (kmod/math/, inline here).
 */
#ifndef _KINFER_OPS_REDUCE_H
#define _KINFER_OPS_REDUCE_H

#include "ops/exec.h"

int kinfer_reduce_plan_init(struct kinfer_reduce_plan *p,
			    const struct kinfer_view *x, uint32_t axes,
			    const struct kinfer_view *const *ops, uint32_t n_ops);
bool kinfer_reduce_keepdims(const struct kinfer_view *x, uint32_t axes,
			    const struct kinfer_view *y);

/*
 * One group as rows: the last reduced axis is a row of n elements, stride
 * apart per stream; off[] is the first element of the current row.
 *
 *	for (kinfer_group_first(&g, p, unit); g.rows; kinfer_group_next(&g))
 *		... x + g.off[0], g.n elements g.stride[0] apart ...
 */
struct kinfer_group {
	const struct kinfer_reduce_plan *p;
	uint64_t rows;			/* rows left, the current one included */
	uint64_t n;			/* elements of a row */
	uint64_t stride[KINFER_REDUCE_STREAMS];
	uint64_t off[KINFER_REDUCE_STREAMS];
	uint64_t base[KINFER_REDUCE_STREAMS];	/* the group's first element */
	uint32_t idx[KINFER_MAX_RANK];	/* indices of the outer reduced axes */
};

static inline void kinfer_group_first(struct kinfer_group *g,
				      const struct kinfer_reduce_plan *p,
				      uint64_t unit)
{
	uint32_t k, s, last = p->n_red ? p->n_red - 1 : 0;

	g->p = p;
	for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
		g->base[s] = 0;
	for (k = p->n_keep; k-- > 0;) {
		uint64_t i = unit % p->keep_dims[k];

		unit /= p->keep_dims[k];
		for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
			g->base[s] += i * p->keep_stride[s][k];
	}
	g->n = p->n_red ? p->red_dims[last] : 1;
	g->rows = p->count / g->n;
	for (s = 0; s < KINFER_REDUCE_STREAMS; s++) {
		g->stride[s] = p->n_red ? p->red_stride[s][last] : 0;
		g->off[s] = g->base[s];
	}
	for (k = 0; k < KINFER_MAX_RANK; k++)
		g->idx[k] = 0;
}

/* Step to the next row (an odometer over the outer reduced axes). */
static inline void kinfer_group_next(struct kinfer_group *g)
{
	const struct kinfer_reduce_plan *p = g->p;
	uint32_t k, s;

	if (--g->rows == 0)
		return;
	for (k = p->n_red - 1; k-- > 0;) {
		if (++g->idx[k] < p->red_dims[k]) {
			for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
				g->off[s] += p->red_stride[s][k];
			return;
		}
		g->idx[k] = 0;
		for (s = 0; s < KINFER_REDUCE_STREAMS; s++)
			g->off[s] -= (uint64_t)(p->red_dims[k] - 1) *
				     p->red_stride[s][k];
	}
}

#endif /* _KINFER_OPS_REDUCE_H */
