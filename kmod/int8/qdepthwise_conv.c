// SPDX-License-Identifier: GPL-2.0
/*
 * QDEPTHWISE_CONV: TFLite's reference int8 DepthwiseConvPerChannel over
 * NHWC, W [1, KH, KW, M]: output channel ch reads input channel
 * ch / depth_multiplier only.  Taps outside X are left out.
 */
#include "int8/qchannel.h"

static int64_t depthwise_sum(const struct kinfer_exec *ex, int64_t n,
			     int64_t ch, int64_t iy, int64_t ix)
{
	const struct kinfer_attr_qconv *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const int8_t *x = (const int8_t *)ex->t[KINFER_Q_X].data;
	const int8_t *w = (const int8_t *)ex->t[KINFER_Q_W].data;
	int64_t ky, ky0, ky1, kx, kx0, kx1, acc = 0;
	int64_t c = ch / (int64_t)a->depth_multiplier;

	kinfer_window_range(iy, p->d[1], p->k[1], 0, p->in[1], &ky0, &ky1);
	kinfer_window_range(ix, p->d[2], p->k[2], 0, p->in[2], &kx0, &kx1);
	for (ky = ky0; ky < ky1; ky++) {
		int64_t y = iy + ky * p->d[1];
		const int8_t *xr = x + (n * p->in[1] + y) * p->in[2] * p->c + c;
		const int8_t *wr = w + ky * p->k[2] * p->m + ch;

		for (kx = kx0; kx < kx1; kx++)
			acc += (xr[(ix + kx * p->d[2]) * p->c] +
				a->input_offset) * wr[kx * p->m];
	}
	return acc;
}

int kinfer_eval_qdepthwise_conv(const struct kinfer_exec *ex, uint64_t begin,
				uint64_t end)
{
	return kinfer_q_conv_eval(ex, begin, end, depthwise_sum);
}
