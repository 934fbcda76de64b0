// SPDX-License-Identifier: GPL-2.0
/*
 * MAXPOOL: the largest tap of each window, NaN when a tap is NaN (as
 * numpy's max), -inf for a window with no tap inside the input (its
 * Indices element is then -1).  With Indices, ties keep the first tap in
 * row-major window order, which is also the smallest position in X.
 */
#include "kinfer_math.h"
#include "window.h"

void kinfer_math_max_row(float *restrict y, int64_t *restrict idx, size_t n,
			 const float *restrict x, size_t xlen, size_t k,
			 size_t stride, size_t dil, ptrdiff_t start,
			 int64_t ibase, int64_t istride)
{
	size_t t;

	for (t = 0; t < k; t++) {
		int64_t pos = (int64_t)start + (int64_t)(t * dil), j0, j1, j;

		kinfer_window_range(pos, (int64_t)stride, (int64_t)n, 0,
				    (int64_t)xlen, &j0, &j1);
		for (j = j0; j < j1; j++) {
			int64_t at = pos + j * (int64_t)stride;
			float v = x[at];

			if (!idx) {
				/* A NaN y stays: v > NaN and v != v are false. */
				if (v > y[j] || v != v)
					y[j] = v;
			} else if (v > y[j] || idx[j] < 0 ||
				   (v != v && y[j] == y[j])) {
				y[j] = v;
				idx[j] = ibase + at * istride;
			}
		}
	}
}

int kinfer_eval_maxpool(const struct kinfer_exec *ex, uint64_t begin,
			uint64_t end)
{
	const struct kinfer_window_plan *p = &ex->s.window;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	int64_t *ind = ex->n_out == 2 ? (int64_t *)ex->t[2].data : NULL;
	const int64_t plane = p->in[0] * p->in[1] * p->in[2];
	struct kinfer_window_unit u;
	uint64_t i;

	for (i = begin; i < end; i++) {
		int64_t kd, kd0, kd1, kh, kh0, kh1, j, sd, sh, sw;
		int64_t *ir = NULL;
		const float *xc;
		float *yr;

		kinfer_window_unit(p, i, &u);
		yr = y + u.row * p->out[2] + u.ow0;
		if (ind)
			ir = ind + u.row * p->out[2] + u.ow0;
		for (j = 0; j < u.nw; j++) {
			yr[j] = -kinfer_inff();
			if (ir)
				ir[j] = -1;
		}
		xc = x + (u.n * p->c + u.ch) * plane;
		sd = u.od * p->s[0] - p->pb[0];
		sh = u.oh * p->s[1] - p->pb[1];
		sw = u.ow0 * p->s[2] - p->pb[2];
		kinfer_window_range(sd, p->d[0], p->k[0], 0, p->in[0], &kd0, &kd1);
		kinfer_window_range(sh, p->d[1], p->k[1], 0, p->in[1], &kh0, &kh1);
		for (kd = kd0; kd < kd1; kd++) {
			int64_t id = sd + kd * p->d[0];

			for (kh = kh0; kh < kh1; kh++) {
				int64_t ih = sh + kh * p->d[1];
				const float *xr = xc + (id * p->in[1] + ih) * p->in[2];
				int64_t ibase = (u.n * p->c + u.ch) * plane +
						id * p->istride[0] +
						ih * p->istride[1];

				kinfer_math_max_row(yr, ir, u.nw, xr, p->in[2],
						    p->k[2], p->s[2], p->d[2], sw,
						    ibase, p->istride[2]);
			}
		}
	}
	return 0;
}
