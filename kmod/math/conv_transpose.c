// SPDX-License-Identifier: GPL-2.0
/*
 * CONV_TRANSPOSE: each output element gathers its products, so a unit
 * (a run of output columns of one output row (n, m, od, oh)) writes only
 * its own elements and the result does not depend on how units are
 * split.  Output position q (counted from the start of the unpadded
 * result, q = o + pads_begin) takes X[i] * W[t] for i * stride + t *
 * dilation == q: per axis, only the taps t with (q - t * dilation) a
 * multiple of the stride contribute.
 */
#include "kinfer_math.h"
#include "window.h"

void kinfer_math_conv_transpose_row(float *restrict y, size_t n,
				    const float *restrict x, size_t xlen,
				    const float *restrict w, size_t k,
				    size_t stride, size_t dil, size_t q0)
{
	int64_t s = (int64_t)stride, len = (int64_t)n, il = (int64_t)xlen;
	size_t t;

	for (t = 0; t < k; t++) {
		/* r = q - t * dil for output j = 0; contributes when r = i * s. */
		int64_t r0 = (int64_t)q0 - (int64_t)(t * dil), j, i;
		const float wt = w[t];

		if (r0 < 0) {
			j = -r0;	/* r == 0: i == 0 */
			i = 0;
		} else {
			j = (s - r0 % s) % s;
			i = (r0 + j) / s;
		}
		for (; j < len && i < il; j += s, i++)
			y[j] += wt * x[i];
	}
}

/* The input index that tap @t of output @o reads along axis @a, if any. */
static bool tap_input(const struct kinfer_window_plan *p, int a, int64_t o,
		      int64_t t, int64_t *in)
{
	int64_t r = o + p->pb[a] - t * p->d[a];

	if (r < 0 || r % p->s[a])
		return false;
	*in = r / p->s[a];
	return *in < p->in[a];
}

int kinfer_eval_conv_transpose(const struct kinfer_exec *ex, uint64_t begin,
			       uint64_t end)
{
	const struct kinfer_attr_conv *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const float *x = (const float *)ex->t[0].data;
	const float *w = (const float *)ex->t[1].data;
	const float *b = ex->n_in == 3 ? (const float *)ex->t[2].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;
	kinfer_row_fn act = a->act ? kinfer_unary_row(a->act) : NULL;
	const int64_t plane = p->in[0] * p->in[1] * p->in[2];
	struct kinfer_window_unit u;
	uint64_t i;

	for (i = begin; i < end; i++) {
		int64_t c, kd, kh, id, ih, j, g, ml;
		float *yr;

		kinfer_window_unit(p, i, &u);
		g = u.ch / p->mg;
		ml = u.ch % p->mg;
		yr = y + u.row * p->out[2] + u.ow0;
		for (j = 0; j < u.nw; j++)
			yr[j] = b ? b[u.ch] : 0.0f;
		for (c = 0; c < p->cg; c++) {
			int64_t ci = g * p->cg + c;
			const float *xc = x + (u.n * p->c + ci) * plane;
			const float *wc = w + (ci * p->mg + ml) * p->taps;

			for (kd = 0; kd < p->k[0]; kd++) {
				if (!tap_input(p, 0, u.od, kd, &id))
					continue;
				for (kh = 0; kh < p->k[1]; kh++) {
					const float *xr, *wr;

					if (!tap_input(p, 1, u.oh, kh, &ih))
						continue;
					xr = xc + (id * p->in[1] + ih) * p->in[2];
					wr = wc + (kd * p->k[1] + kh) * p->k[2];
					kinfer_math_conv_transpose_row(yr, u.nw, xr,
								       p->in[2], wr,
								       p->k[2], p->s[2],
								       p->d[2],
								       u.ow0 + p->pb[2]);
				}
			}
		}
		if (act)
			act(yr, yr, u.nw, &a->act_attr);
	}
	return 0;
}
