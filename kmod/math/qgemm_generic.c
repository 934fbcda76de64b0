// SPDX-License-Identifier: GPL-2.0
/*
 * The int8 kernels for the x86-64 baseline (math/isa.h): MATMUL_I8's
 * product one output at a time, QUANTIZE's row one element at a time.
 * They define the results the other variants reproduce bit for bit.
 */
#include "math/isa.h"
#include "math/quantize.h"

/* sum_l (x[l] + 128) * W(l, col) over one panel @wp, modulo 2^32. */
static uint32_t qdot(const int8_t *x, const int8_t *wp, size_t k, size_t col)
{
	uint32_t acc = 0;
	size_t l;

	for (l = 0; l < k; l++)
		acc += (uint32_t)((x[l] + 128) *
				  wp[l / KINFER_QGEMM_GROUP * KINFER_QGEMM_PANEL *
				     KINFER_QGEMM_GROUP + col * KINFER_QGEMM_GROUP +
				     l % KINFER_QGEMM_GROUP]);
	return acc;
}

void kinfer_qgemm_generic(const struct kinfer_qgemm *q, size_t m0, size_t m1,
			  size_t n0, size_t n1)
{
	size_t groups = (q->k + KINFER_QGEMM_GROUP - 1) / KINFER_QGEMM_GROUP;
	size_t pstride = groups * KINFER_QGEMM_PANEL * KINFER_QGEMM_GROUP;
	size_t i, j;

	for (i = m0; i < m1; i++) {
		const int8_t *x = q->x + i * q->ldx;
		float *y = q->y + i * q->ldy;

		for (j = n0; j < n1; j++) {
			const int8_t *wp = q->w + j / KINFER_QGEMM_PANEL * pstride;
			uint32_t acc = qdot(x, wp, q->k, j % KINFER_QGEMM_PANEL);
			float v;

			acc -= 128U * (uint32_t)q->wsum[j];
			v = (float)(int32_t)acc * q->scale[j];
			v = v + (q->bias ? q->bias[j] : 0.0f);
			if (q->relu && v < 0.0f)
				v = 0.0f;
			y[j] = v;
		}
	}
}

void kinfer_quantize_generic(int8_t *y, const float *x, size_t n,
			     float scale, int32_t zero_point)
{
	size_t i;

	for (i = 0; i < n; i++)
		y[i] = kinfer_quantize_one(x[i], scale, zero_point);
}
