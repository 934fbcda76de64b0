// SPDX-License-Identifier: GPL-2.0
#include "ops/exec.h"
#include "kinfer_math.h"

/* Four lanes in one SSE register, and their lane masks (GCC vectors). */
#define RELU_V4F	float __attribute__((vector_size(16)))
#define RELU_V4I	int32_t __attribute__((vector_size(16)))

/*
 * NaN is not < 0, so it passes through; -0.0 stays -0.0.  Four at a time
 * with a mask, not a branch per element: on activations of random sign
 * that branch mispredicted half the time (about 1 ns per element).
 */
void kinfer_math_relu(float *out, const float *in, size_t n)
{
	const RELU_V4F zero = { 0 };
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		RELU_V4F x;

		memcpy(&x, in + i, sizeof(x));
		x = (RELU_V4F)((RELU_V4I)x & ~(x < zero));
		memcpy(out + i, &x, sizeof(x));
	}
	for (; i < n; i++)
		out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

KINFER_UNARY_OP0(relu)
