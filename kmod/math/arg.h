/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ArgMax and ArgMin: the index of the largest (smallest) element of a row;
 * ties go to the first index, with select_last to the last.  A NaN counts
 * as beyond every number (numpy's argmax and argmin both pick the first
 * NaN; with select_last, the last one).
 */
#ifndef _KINFER_MATH_ARG_H
#define _KINFER_MATH_ARG_H

#include "ops/exec.h"

/* Does v replace best (at an earlier index)?  is_max: ArgMax. */
static inline bool kinfer_arg_better_f(float v, float best, bool is_max,
				       bool last)
{
	if (kinfer_isnan(best))
		return last && kinfer_isnan(v);
	if (kinfer_isnan(v))
		return true;
	return (is_max ? v > best : v < best) || (last && v == best);
}

static inline bool kinfer_arg_better_i(int64_t v, int64_t best, bool is_max,
				       bool last)
{
	return (is_max ? v > best : v < best) || (last && v == best);
}

static inline int kinfer_arg_eval(const struct kinfer_exec *ex,
				  uint64_t begin, uint64_t end, bool is_max)
{
	const struct kinfer_attr_arg *a = ex->attr;
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const struct kinfer_view *x = &ex->t[0];
	int64_t *y = (int64_t *)ex->t[1].data;
	bool last = a->select_last;
	uint64_t u, i;

	for (u = begin; u < end; u++) {
		uint64_t first = u / p->inner * p->n * p->inner + u % p->inner;
		uint64_t best = 0;

		if (x->dtype == KINFER_DTYPE_FLOAT32) {
			const float *r = (const float *)x->data + first;

			for (i = 1; i < p->n; i++)
				if (kinfer_arg_better_f(r[i * p->inner],
							r[best * p->inner],
							is_max, last))
					best = i;
		} else if (x->dtype == KINFER_DTYPE_INT32) {
			const int32_t *r = (const int32_t *)x->data + first;

			for (i = 1; i < p->n; i++)
				if (kinfer_arg_better_i(r[i * p->inner],
							r[best * p->inner],
							is_max, last))
					best = i;
		} else {
			const int64_t *r = (const int64_t *)x->data + first;

			for (i = 1; i < p->n; i++)
				if (kinfer_arg_better_i(r[i * p->inner],
							r[best * p->inner],
							is_max, last))
					best = i;
		}
		y[u] = (int64_t)best;
	}
	return 0;
}

#endif /* _KINFER_MATH_ARG_H */
