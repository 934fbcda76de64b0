// SPDX-License-Identifier: GPL-2.0
/*
 * QAVERAGEPOOL: TFLite's reference int8 AveragePool: the sum of the taps
 * inside X over their number, rounded half away from zero, clamped to the
 * fused activation's range.
 */
#include "int8/qpool.h"

static int32_t window_average(const struct kinfer_window_plan *p,
			      const int8_t *x, int64_t at, int64_t ky0,
			      int64_t ky1, int64_t kx0, int64_t kx1)
{
	int64_t ky, kx, sum = 0;
	int64_t count = (ky1 - ky0) * (kx1 - kx0);	/* >= 1 */

	for (ky = ky0; ky < ky1; ky++) {
		int64_t row = at + ky * p->in[2] * p->c;

		for (kx = kx0; kx < kx1; kx++)
			sum += x[row + kx * p->c];
	}
	/* C's division truncates: offset by half the count, away from 0. */
	return (int32_t)(sum > 0 ? (sum + count / 2) / count :
			 (sum - count / 2) / count);
}

int kinfer_eval_qaveragepool(const struct kinfer_exec *ex, uint64_t begin,
			     uint64_t end)
{
	return kinfer_q_pool_eval(ex, begin, end, window_average);
}
