/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walking the units of the sliding-window ops (struct kinfer_window_plan):
 * which output row and columns a unit covers, and which taps of a window
 * land inside a range (the input, or the padded input).  Integer code,
 * shared by the conv, conv_transpose and pool evals.
 */
#ifndef _KINFER_MATH_WINDOW_H
#define _KINFER_MATH_WINDOW_H

#include "ops/exec.h"

/*
 * One unit: columns [ow0, ow0 + nw) of output row (n, ch, od, oh) and of
 * the same row of the nch - 1 channels after ch (all of one group).
 */
struct kinfer_window_unit {
	int64_t n, ch, nch, od, oh, ow0, nw;
	int64_t row;		/* flat index of channel ch's row in Y */
};

static inline void kinfer_window_unit(const struct kinfer_window_plan *p,
				      uint64_t u, struct kinfer_window_unit *w)
{
	int64_t r = (int64_t)(u / (uint64_t)p->ow_blocks);
	int64_t blocks = p->m / p->mg * p->mb_per_group, cb, first;

	w->ow0 = (int64_t)(u % (uint64_t)p->ow_blocks) * p->ow_block;
	w->nw = p->out[2] - w->ow0 < p->ow_block ? p->out[2] - w->ow0 :
						    p->ow_block;
	w->oh = r % p->out[1];
	r /= p->out[1];
	w->od = r % p->out[0];
	r /= p->out[0];
	cb = r % blocks;
	w->n = r / blocks;
	first = cb % p->mb_per_group * p->mb;
	w->ch = cb / p->mb_per_group * p->mg + first;
	w->nch = p->mg - first < p->mb ? p->mg - first : p->mb;
	w->row = ((w->n * p->m + w->ch) * p->out[0] + w->od) * p->out[1] + w->oh;
}

/*
 * Of the positions start + t * step, t in [0, n), those in [lo, hi) have
 * t in [*t0, *t1) (*t0 == *t1 when none does).  step >= 1.
 */
static inline void kinfer_window_range(int64_t start, int64_t step, int64_t n,
				       int64_t lo, int64_t hi, int64_t *t0,
				       int64_t *t1)
{
	int64_t a = 0, b = n;

	if (start < lo)
		a = (lo - start + step - 1) / step;
	if (start >= hi)
		b = 0;
	else if ((hi - 1 - start) / step + 1 < n)
		b = (hi - 1 - start) / step + 1;
	*t0 = a < b ? a : b;
	*t1 = b;
}

#endif /* _KINFER_MATH_WINDOW_H */
