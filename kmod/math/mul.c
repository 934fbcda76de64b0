// SPDX-License-Identifier: GPL-2.0
#include "kinfer_math.h"

/* In place (out == a) is fine: each element is read before it is written. */
void kinfer_math_mul(float *out, const float *a, size_t n,
		     const float *b, size_t nb)
{
	size_t i, j;

	for (i = 0; i < n; i += nb)
		for (j = 0; j < nb; j++)
			out[i + j] = a[i + j] * b[j];
}
