/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walking a numpy broadcast (struct kinfer_bcast) in runs along the last
 * axis: the caller's row function sees a run of output elements and, for
 * each operand, its first element and its step along the run (0 or 1).
 */
#ifndef _KINFER_MATH_BCAST_H
#define _KINFER_MATH_BCAST_H

#include "ops/exec.h"

struct kinfer_bcast_pos {
	uint32_t idx[KINFER_MAX_RANK];
	uint64_t off[KINFER_BCAST_MAX];
};

/* Position of output element @flat. */
static inline void kinfer_bcast_seek(const struct kinfer_bcast *bc,
				     uint64_t flat, struct kinfer_bcast_pos *p)
{
	uint32_t axis, j;

	memset(p, 0, sizeof(*p));
	for (axis = bc->rank; axis-- > 0;) {
		p->idx[axis] = flat % bc->dims[axis];
		flat /= bc->dims[axis];
		for (j = 0; j < bc->n; j++)
			p->off[j] += p->idx[axis] * bc->stride[j][axis];
	}
}

/*
 * Advance by @len elements along the last axis, which must not run past
 * its end; carry into the outer axes.
 */
static inline void kinfer_bcast_advance(const struct kinfer_bcast *bc,
					struct kinfer_bcast_pos *p,
					uint64_t len)
{
	uint32_t axis = bc->rank - 1, j;

	for (j = 0; j < bc->n; j++)
		p->off[j] += len * bc->stride[j][axis];
	p->idx[axis] += len;
	while (axis > 0 && p->idx[axis] == bc->dims[axis]) {
		for (j = 0; j < bc->n; j++)
			p->off[j] -= (uint64_t)bc->dims[axis] * bc->stride[j][axis];
		p->idx[axis--] = 0;
		p->idx[axis]++;
		for (j = 0; j < bc->n; j++)
			p->off[j] += bc->stride[j][axis];
	}
}

/*
 * For output elements [begin, end): row(ctx, out, off, step, len) per
 * run, out the run's first output element, off[j]/step[j] operand j's
 * first element and step.  Inline, so a constant row function is inlined.
 */
static inline void
kinfer_bcast_walk(const struct kinfer_bcast *bc, uint64_t begin, uint64_t end,
		  void (*row)(const void *ctx, uint64_t out,
			      const uint64_t *off, const uint64_t *step,
			      uint64_t len),
		  const void *ctx)
{
	uint64_t step[KINFER_BCAST_MAX] = { 0 };
	struct kinfer_bcast_pos p;
	uint32_t j, last;
	uint64_t len;

	if (!bc->rank) {	/* scalars */
		if (begin < end)
			row(ctx, 0, step, step, 1);
		return;
	}
	last = bc->rank - 1;
	for (j = 0; j < bc->n; j++)
		step[j] = bc->stride[j][last];
	kinfer_bcast_seek(bc, begin, &p);
	while (begin < end) {
		len = kinfer_min_u64(bc->dims[last] - p.idx[last], end - begin);
		row(ctx, begin, p.off, step, len);
		begin += len;
		if (begin < end)
			kinfer_bcast_advance(bc, &p, len);
	}
}

#endif /* _KINFER_MATH_BCAST_H */
