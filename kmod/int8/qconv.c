// SPDX-License-Identifier: GPL-2.0
/*
 * QCONV: TFLite's reference int8 ConvPerChannel over NHWC, W [M, KH, KW,
 * C]: each output is the bias plus the sum over the taps inside X of
 * (x + input_offset) * w, requantised per output channel.  Taps outside
 * X are left out (the zero point is what TFLite pads with).
 */
#include "int8/qchannel.h"

/* One output: channel @ch at (n, oy, ox), whose window starts at iy, ix. */
static int64_t conv_sum(const struct kinfer_exec *ex, int64_t n, int64_t ch,
			int64_t iy, int64_t ix)
{
	const struct kinfer_attr_qconv *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const int8_t *x = (const int8_t *)ex->t[KINFER_Q_X].data;
	const int8_t *w = (const int8_t *)ex->t[KINFER_Q_W].data;
	int64_t ky, ky0, ky1, kx, kx0, kx1, c, acc = 0;

	kinfer_window_range(iy, p->d[1], p->k[1], 0, p->in[1], &ky0, &ky1);
	kinfer_window_range(ix, p->d[2], p->k[2], 0, p->in[2], &kx0, &kx1);
	for (ky = ky0; ky < ky1; ky++) {
		int64_t y = iy + ky * p->d[1];

		for (kx = kx0; kx < kx1; kx++) {
			int64_t xc = ix + kx * p->d[2];
			const int8_t *xp = x + ((n * p->in[1] + y) * p->in[2] +
						xc) * p->c;
			const int8_t *wp = w + ((ch * p->k[1] + ky) * p->k[2] +
						kx) * p->c;

			for (c = 0; c < p->c; c++)
				acc += (xp[c] + a->input_offset) * wp[c];
		}
	}
	return acc;
}

int kinfer_eval_qconv(const struct kinfer_exec *ex, uint64_t begin,
		      uint64_t end)
{
	return kinfer_q_conv_eval(ex, begin, end, conv_sum);
}
