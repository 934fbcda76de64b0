// SPDX-License-Identifier: GPL-2.0
/*
 * QSOFTMAX: TensorFlow Lite's reference int8 softmax over rows of the last
 * axis (struct kinfer_attr_qsoftmax), bit for bit.  A unit is one row.
 *
 * Where the reference is undefined we choose: the sum of exps is formed
 * in 64 bits and saturates at INT32_MAX (TFLite's int32 sum overflows with
 * over 4095 maxima in a row), and a quotient whose shift exceeds 31 bits
 * (sum of exps >= 512, where TFLite's shift is out of range) is 0, the
 * value it rounds to: such rows give -128 everywhere.
 */
#include "ops/exec.h"
#include "int8/qfixed.h"

/* exp(x - max) in Q0.31 for a diff >= diff_min. */
static int32_t row_exp(const struct kinfer_attr_qsoftmax *a, int32_t diff)
{
	int32_t scaled = kinfer_q_requant(diff, a->input.multiplier,
					  a->input.shift);

	return kinfer_qf_exp_negative(scaled);
}

static void softmax_row(const struct kinfer_attr_qsoftmax *a,
			const int8_t *x, int8_t *y, uint64_t n)
{
	int32_t max = -128, scale, bits, shift;
	int64_t sum = 0;
	uint64_t c;

	for (c = 0; c < n; c++)
		max = x[c] > max ? x[c] : max;
	for (c = 0; c < n; c++)
		if (x[c] - max >= a->diff_min)
			/* Q0.31 to the sum's Q12.19 */
			sum += kinfer_q_div_pot(row_exp(a, x[c] - max), 12);
	/* sum >= 2^19: the maximum's own exp(0) is in it (diff_min <= 0) */
	scale = kinfer_qf_reciprocal_q12(kinfer_q_sat32(sum), &bits);
	/* exp / sum in Q0.31, to units of 1/256 */
	shift = bits + 31 - 8;
	for (c = 0; c < n; c++) {
		int32_t diff = x[c] - max, q = 0;

		if (diff < a->diff_min) {
			y[c] = -128;
			continue;
		}
		if (shift <= 31)
			q = kinfer_q_div_pot(kinfer_qf_mul(scale,
							   row_exp(a, diff)),
					     shift);
		y[c] = (int8_t)kinfer_q_clamp(q + a->output_offset, -128, 127);
	}
}

int kinfer_eval_qsoftmax(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	const struct kinfer_axis_plan *p = &ex->s.axis;
	const int8_t *x = (const int8_t *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;
	uint64_t r;

	for (r = begin; r < end; r++)
		softmax_row(ex->attr, x + r * p->n, y + r * p->n, p->n);
	return 0;
}
