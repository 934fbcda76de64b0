// SPDX-License-Identifier: GPL-2.0
/*
 * The int8 kernels for the x86-64 baseline (math/isa.h).  MATMUL_I8: per
 * row and 16-column panel, W's bytes widened to 16 bits and multiplied by
 * x + 128 in pairs (SSE2's pmaddwd), two columns of a 4-k group per
 * register, the pairs added per column at the end; the epilogue one
 * column at a time.  QUANTIZE: the scalar rule of math/quantize.h.  The
 * integer sums are exact (modulo 2^32) in any order, and the epilogue's
 * roundings are the ones every variant reproduces.
 */
#include "math/isa.h"
#include "math/quantize.h"

#define kinfer_g8hi	short __attribute__((vector_size(16)))
#define kinfer_g4si	int __attribute__((vector_size(16)))
#define kinfer_g2di	long long __attribute__((vector_size(16)))
#define kinfer_g16qi	char __attribute__((vector_size(16)))

/*
 * x + 128 of the group at @x (@n <= 4 of its k in X; past K, 0) as 16-bit
 * lanes, twice: the group's k once per column of a register.
 */
static __always_inline kinfer_g8hi x_group(const int8_t *x, size_t n)
{
	kinfer_g2di v;
	uint32_t u = 0;
	uint64_t w;

	__builtin_memcpy(&u, x, n);
	u ^= 0x80808080U;
	if (n < 4)
		u &= (1U << (8 * n)) - 1;
	w = (u & 0xffULL) | (u & 0xff00ULL) << 8 | (u & 0xff0000ULL) << 16 |
	    (u & 0xff000000ULL) << 24;
	v[0] = (long long)w;
	v[1] = (long long)w;
	return (kinfer_g8hi)v;
}

static __always_inline void group(kinfer_g4si acc[8], const int8_t *x,
				  const int8_t *w, size_t n)
{
	kinfer_g8hi xv = x_group(x, n);
	int c;

#pragma GCC unroll 4
	for (c = 0; c < 4; c++) {
		kinfer_g16qi b;
		kinfer_g8hi lo, hi;

		/* each byte twice in a 16-bit lane, then >> 8: sign-extended */
		__builtin_memcpy(&b, w + c * 16, sizeof(b));
		lo = (kinfer_g8hi)__builtin_shufflevector(b, b, 0, 0, 1, 1, 2,
				2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7) >> 8;
		hi = (kinfer_g8hi)__builtin_shufflevector(b, b, 8, 8, 9, 9, 10,
				10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15) >> 8;
		acc[2 * c] += __builtin_ia32_pmaddwd128(xv, lo);
		acc[2 * c + 1] += __builtin_ia32_pmaddwd128(xv, hi);
	}
}

/* The 16 sums of row @x against the panel @wp, modulo 2^32. */
static void panel_sums(uint32_t *s, const int8_t *x, const int8_t *wp,
		       size_t k)
{
	kinfer_g4si acc[8] = { { 0 } };
	size_t full = k / KINFER_QGEMM_GROUP, g;
	int c;

	for (g = 0; g < full; g++)
		group(acc, x + g * KINFER_QGEMM_GROUP, wp + g * 64,
		      KINFER_QGEMM_GROUP);
	if (k % KINFER_QGEMM_GROUP)
		group(acc, x + full * KINFER_QGEMM_GROUP, wp + full * 64,
		      k % KINFER_QGEMM_GROUP);
	for (c = 0; c < 8; c++) {
		s[2 * c] = (uint32_t)acc[c][0] + (uint32_t)acc[c][1];
		s[2 * c + 1] = (uint32_t)acc[c][2] + (uint32_t)acc[c][3];
	}
}

void kinfer_qgemm_generic(const struct kinfer_qgemm *q, size_t m0, size_t m1,
			  size_t n0, size_t n1)
{
	size_t groups = (q->k + KINFER_QGEMM_GROUP - 1) / KINFER_QGEMM_GROUP;
	size_t pstride = groups * KINFER_QGEMM_PANEL * KINFER_QGEMM_GROUP;
	uint32_t s[KINFER_QGEMM_PANEL];
	size_t p, i, j;

	for (p = n0 / KINFER_QGEMM_PANEL; p * KINFER_QGEMM_PANEL < n1; p++) {
		size_t j0 = p * KINFER_QGEMM_PANEL, j1 = j0 + KINFER_QGEMM_PANEL;

		j0 = j0 > n0 ? j0 : n0;
		j1 = j1 < n1 ? j1 : n1;
		for (i = m0; i < m1; i++) {
			float *y = q->y + i * q->ldy;

			panel_sums(s, q->x + i * q->ldx, q->w + p * pstride,
				   q->k);
			for (j = j0; j < j1; j++) {
				uint32_t acc = s[j % KINFER_QGEMM_PANEL] -
					       128U * (uint32_t)q->wsum[j];
				float v = (float)(int32_t)acc * q->scale[j];

				v = v + (q->bias ? q->bias[j] : 0.0f);
				if (q->relu && v < 0.0f)
					v = 0.0f;
				y[j] = v;
			}
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
