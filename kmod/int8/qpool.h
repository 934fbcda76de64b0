/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The window walk QMAXPOOL and QAVERAGEPOOL share: NHWC, one quantisation
 * in and out, only the taps inside X count (the prepare sees that every
 * window has one).
 */
#ifndef _KINFER_INT8_QPOOL_H
#define _KINFER_INT8_QPOOL_H

#include "int8/qmath.h"
#include "math/window.h"
#include "ops/exec.h"

/*
 * The pooled value of rows [ky0, ky1) and columns [kx0, kx1) of the window
 * whose tap (0, 0) is element @at of X (an index that is negative when the
 * window starts in the padding); rows are p->in[2] * p->c elements apart,
 * columns p->c.
 */
typedef int32_t (*kinfer_q_pool_fn)(const struct kinfer_window_plan *p,
				    const int8_t *x, int64_t at, int64_t ky0,
				    int64_t ky1, int64_t kx0, int64_t kx1);

/* Units [begin, end): blocks of output columns of one output row. */
static inline int kinfer_q_pool_eval(const struct kinfer_exec *ex,
				     uint64_t begin, uint64_t end,
				     kinfer_q_pool_fn pool)
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

			kinfer_window_range(ix, 1, p->k[2], 0, p->in[2], &kx0,
					    &kx1);
			if (ky0 >= ky1 || kx0 >= kx1)	/* prepare rules it out */
				return -EINVAL;
			for (ch = wu.ch; ch < wu.ch + wu.nch; ch++) {
				int32_t v = pool(p, x, at + ch, ky0, ky1, kx0,
						 kx1);

				yp[ch] = (int8_t)kinfer_q_clamp(v, a->act_min,
								a->act_max);
			}
		}
	}
	return 0;
}

#endif /* _KINFER_INT8_QPOOL_H */
