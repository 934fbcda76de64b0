// SPDX-License-Identifier: GPL-2.0
/*
 * Fully-connected layer, Flax convention: y = x . W + b with W stored
 * [in_features, out_features].  Also MatMul (b == NULL).
 *
 * Loop order m, k, n: the inner loop walks one row of W and one row of out
 * contiguously, which the compiler vectorises; out, in and w do not alias.
 */
#include "kinfer_math.h"

void kinfer_math_dense(float *restrict out, const float *restrict in,
		       const float *restrict w, const float *restrict b,
		       size_t m, size_t k, size_t n)
{
	size_t i, j;

	for (i = 0; i < m; i++) {
		float *restrict y = out + i * n;
		const float *restrict x = in + i * k;

		for (j = 0; j < n; j++)
			y[j] = b ? b[j] : 0.0f;
		kinfer_math_dense_acc(y, x, w, k, n, n);
	}
}

void kinfer_math_dense_acc(float *restrict y, const float *restrict x,
			   const float *restrict w, size_t k, size_t n,
			   size_t ldw)
{
	size_t j, l;

	for (l = 0; l < k; l++) {
		const float *restrict wl = w + l * ldw;
		const float xl = x[l];

		for (j = 0; j < n; j++)
			y[j] += xl * wl[j];
	}
}
