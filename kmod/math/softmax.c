// SPDX-License-Identifier: GPL-2.0
/*
 * Row-wise softmax over the last axis, max-subtracted so exp() never
 * overflows.  A row holding NaN or +Inf becomes all-NaN (numpy does the
 * same); a row of -Inf becomes all-NaN too (0/0).
 */
#include "kinfer_math.h"
#include "expf.h"

static void softmax_row(float *restrict y, const float *restrict x, size_t n)
{
	float max = x[0], sum = 0.0f, inv;
	size_t i;

	for (i = 1; i < n; i++)
		if (x[i] > max || kinfer_isnan(x[i]))
			max = kinfer_isnan(max) ? max : x[i];
	for (i = 0; i < n; i++) {
		y[i] = kinfer_expf_inline(x[i] - max);
		sum += y[i];
	}
	inv = 1.0f / sum;
	for (i = 0; i < n; i++)
		y[i] *= inv;
}

void kinfer_math_softmax(float *out, const float *in, size_t rows, size_t n)
{
	size_t r;

	for (r = 0; r < rows; r++)
		softmax_row(out + r * n, in + r * n, n);
}
