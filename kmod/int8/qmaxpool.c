// SPDX-License-Identifier: GPL-2.0
/*
 * QMAXPOOL: TFLite's reference int8 MaxPool: the largest tap inside X,
 * clamped to the fused activation's range.
 */
#include "int8/qpool.h"

static int32_t window_max(const struct kinfer_window_plan *p, const int8_t *x,
			  int64_t at, int64_t ky0, int64_t ky1, int64_t kx0,
			  int64_t kx1)
{
	int32_t best = -128;
	int64_t ky, kx;

	for (ky = ky0; ky < ky1; ky++) {
		int64_t row = at + ky * p->in[2] * p->c;

		for (kx = kx0; kx < kx1; kx++)
			if (x[row + kx * p->c] > best)
				best = x[row + kx * p->c];
	}
	return best;
}

int kinfer_eval_qmaxpool(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	return kinfer_q_pool_eval(ex, begin, end, window_max);
}
