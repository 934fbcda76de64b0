// SPDX-License-Identifier: GPL-2.0
/*
 * QAVERAGEPOOL: TFLite's reference int8 AveragePool: the sum of the taps
 * inside X over their number (at least one: the prepare sees to it),
 * rounded half away from zero, clamped to the fused activation's range.
 */
#include "int8/qmath.h"
#include "math/window.h"

/* Rows [ky0, ky1), columns [kx0, kx1) of the window at @at (qmaxpool.c). */
static int64_t window_sum(const struct kinfer_window_plan *p, const int8_t *x,
			  int64_t at, int64_t ky0, int64_t ky1, int64_t kx0,
			  int64_t kx1)
{
	int64_t ky, kx, sum = 0;

	for (ky = ky0; ky < ky1; ky++) {
		int64_t row = at + ky * p->in[2] * p->c;

		for (kx = kx0; kx < kx1; kx++)
			sum += x[row + kx * p->c];
	}
	return sum;
}

static int32_t average(int64_t sum, int64_t count)
{
	/* C's division truncates: offset by half the count, away from 0. */
	return (int32_t)(sum > 0 ? (sum + count / 2) / count :
			 (sum - count / 2) / count);
}

int kinfer_eval_qaveragepool(const struct kinfer_exec *ex, uint64_t begin,
			     uint64_t end)
{
	const struct kinfer_attr_qpool *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const int8_t *x = (const int8_t *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;
	struct kinfer_window_unit wu;
	int64_t j, ch, ky0, ky1, kx0, kx1;
	uint64_t u;

	for (u = begin; u < end; u++) {
		int64_t iy, row_in, row_out;

		kinfer_window_unit(p, u, &wu);
		iy = wu.oh * p->s[1] - p->pb[1];
		row_in = (wu.n * p->in[1] + iy) * p->in[2];
		row_out = (wu.n * p->out[1] + wu.oh) * p->out[2];
		kinfer_window_range(iy, 1, p->k[1], 0, p->in[1], &ky0, &ky1);
		for (j = wu.ow0; j < wu.ow0 + wu.nw; j++) {
			int64_t ix = j * p->s[2] - p->pb[2];
			int64_t at = (row_in + ix) * p->c;
			int8_t *yp = y + (row_out + j) * p->m;
			int64_t count;

			kinfer_window_range(ix, 1, p->k[2], 0, p->in[2], &kx0,
					    &kx1);
			count = (ky1 - ky0) * (kx1 - kx0);
			if (!count)	/* the prepare rules it out */
				return -EINVAL;
			for (ch = wu.ch; ch < wu.ch + wu.nch; ch++) {
				int64_t sum = window_sum(p, x, at + ch, ky0,
							 ky1, kx0, kx1);

				int32_t v = average(sum, count);

				yp[ch] = (int8_t)kinfer_q_clamp(v, a->act_min,
								a->act_max);
			}
		}
	}
	return 0;
}
