// SPDX-License-Identifier: GPL-2.0
/*
 * AVERAGEPOOL: the sum of the taps inside X over their number.  With
 * count_include_pad the taps in the declared padding count too, but not
 * those past it (ceil_mode's last window may reach beyond the end
 * padding).  A window with no tap to count is 0 / 0, NaN.
 */
#include "kinfer_math.h"
#include "window.h"

void kinfer_math_sum_row(float *restrict y, size_t n, const float *restrict x,
			 size_t xlen, size_t k, size_t stride, size_t dil,
			 ptrdiff_t start)
{
	size_t t, j;

	for (t = 0; t < k; t++) {
		int64_t pos = (int64_t)start + (int64_t)(t * dil), j0, j1;
		const float *xt;

		kinfer_window_range(pos, (int64_t)stride, (int64_t)n, 0,
				    (int64_t)xlen, &j0, &j1);
		if (j0 == j1)
			continue;
		xt = x + (pos + j0 * (int64_t)stride);
		for (j = 0; j < (size_t)(j1 - j0); j++)
			y[j0 + j] += xt[j * stride];
	}
}

/* Taps of the window starting at @start along axis @a that are counted. */
static int64_t counted(const struct kinfer_window_plan *p, int a,
		       int64_t start, bool include_pad)
{
	int64_t lo = include_pad ? -p->pb[a] : 0;
	int64_t hi = p->in[a] + (include_pad ? p->pe[a] : 0), t0, t1;

	kinfer_window_range(start, p->d[a], p->k[a], lo, hi, &t0, &t1);
	return t1 - t0;
}

int kinfer_eval_averagepool(const struct kinfer_exec *ex, uint64_t begin,
			    uint64_t end)
{
	const struct kinfer_attr_pool *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	const int64_t plane = p->in[0] * p->in[1] * p->in[2];
	bool pad = a->count_include_pad;
	struct kinfer_window_unit u;
	uint64_t i;

	for (i = begin; i < end; i++) {
		int64_t kd, kd0, kd1, kh, kh0, kh1, j, sd, sh, rows;
		const float *xc;
		float *yr;

		kinfer_window_unit(p, i, &u);
		yr = y + u.row * p->out[2] + u.ow0;
		memset(yr, 0, u.nw * sizeof(*yr));
		xc = x + (u.n * p->c + u.ch) * plane;
		sd = u.od * p->s[0] - p->pb[0];
		sh = u.oh * p->s[1] - p->pb[1];
		kinfer_window_range(sd, p->d[0], p->k[0], 0, p->in[0], &kd0, &kd1);
		kinfer_window_range(sh, p->d[1], p->k[1], 0, p->in[1], &kh0, &kh1);
		for (kd = kd0; kd < kd1; kd++) {
			int64_t id = sd + kd * p->d[0];

			for (kh = kh0; kh < kh1; kh++) {
				int64_t ih = sh + kh * p->d[1];
				const float *xr = xc + (id * p->in[1] + ih) * p->in[2];

				kinfer_math_sum_row(yr, u.nw, xr, p->in[2],
						    p->k[2], p->s[2], p->d[2],
						    u.ow0 * p->s[2] - p->pb[2]);
			}
		}
		rows = counted(p, 0, sd, pad) * counted(p, 1, sh, pad);
		for (j = 0; j < u.nw; j++) {
			int64_t sw = (u.ow0 + j) * p->s[2] - p->pb[2];

			yr[j] /= (float)(rows * counted(p, 2, sw, pad));
		}
	}
	return 0;
}
