// SPDX-License-Identifier: GPL-2.0
/*
 * QFULLY_CONNECTED: Y[m, n] = act(requant(bias[n] + sum_k (X[m, k] +
 * input_offset) * (W[n, k] + filter_offset), n) + output_offset), as
 * TFLite's reference int8 FullyConnected (per tensor or per channel).
 */
#include "int8/qchannel.h"

static int64_t dot(const int8_t *x, const int8_t *w, uint64_t k,
		   int32_t x_off, int32_t w_off)
{
	int64_t acc = 0;
	uint64_t l;

	for (l = 0; l < k; l++)
		acc += (int32_t)(x[l] + x_off) * (int32_t)(w[l] + w_off);
	return acc;
}

int kinfer_eval_qfully_connected(const struct kinfer_exec *ex, uint64_t begin,
				 uint64_t end)
{
	const struct kinfer_attr_qmatmul *a = ex->attr;
	const struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const int8_t *x = (const int8_t *)ex->t[KINFER_Q_X].data;
	const int8_t *w = (const int8_t *)ex->t[KINFER_Q_W].data;
	int8_t *y = (int8_t *)ex->t[ex->n_in].data;
	struct kinfer_q_channel q;
	uint64_t u, j;
	int ret;

	for (u = begin; u < end; u++) {
		uint64_t row = u / mm->col_blocks;
		uint64_t j0 = u % mm->col_blocks * mm->col_block;
		uint64_t j1 = kinfer_min_u64(j0 + mm->col_block, mm->n);
		const int8_t *xr = x + row * mm->k;

		for (j = j0; j < j1; j++) {
			int64_t acc;

			ret = kinfer_q_channel(ex, j, &q);
			if (ret)
				return ret;
			acc = dot(xr, w + j * mm->k, mm->k, a->input_offset,
				  a->filter_offset);
			y[row * mm->n + j] =
				kinfer_q_output(acc, &q, a->output_offset,
						a->act_min, a->act_max, true);
		}
	}
	return 0;
}
