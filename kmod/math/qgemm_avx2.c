// SPDX-License-Identifier: GPL-2.0
/*
 * The int8 kernels for AVX2 (built with -mavx2 -ffp-contract=off; no
 * VNNI): MATMUL_I8 widens W's bytes to 16 bits (vpmovsxbw) and multiplies
 * them by x + 128 in pairs (vpmaddwd), four columns of a 4-k group per
 * ymm register; the pairs are added per column after the last group.
 * Tiles of 2 rows by one 16-column panel: 8 accumulators, W's 4 vectors
 * and x's broadcast fit the 16 ymm registers.  Also the AVX-512 table's
 * MATMUL_I8 on CPUs without AVX512_VNNI (math/isa.c).
 */
#define KINFER_VEC	8
#define KINFER_QUANTIZE	kinfer_quantize_avx2
#include "qgemm_tile.h"

#define kinfer_v16hi	short __attribute__((vector_size(32)))
#define kinfer_v16qi	char __attribute__((vector_size(16)))
#define kinfer_v8hi	short __attribute__((vector_size(16)))
#define kinfer_v4si	int __attribute__((vector_size(16)))
#define kinfer_v2di	long long __attribute__((vector_size(16)))
#define kinfer_v4di	long long __attribute__((vector_size(32)))

#define QA_ROWS		2

/*
 * x + 128 of the group at @x (@n <= 4 of its k in X; past K, 0) as 16-bit
 * lanes, four times over: the group's k once per column of a vector.
 */
static __always_inline kinfer_v16hi x_group(const int8_t *x, size_t n)
{
	kinfer_v4si v = { 0 };
	kinfer_v2di h;

	v[0] = (int)qv_x_word(x, n);
	h = (kinfer_v2di)__builtin_ia32_pmovzxbw128((kinfer_v16qi)v);
	return (kinfer_v16hi)__builtin_shufflevector(h, h, 0, 0, 0, 0);
}

/* acc[r] += group @g of rows i.. times W's panel @w; @n k of it left. */
static __always_inline void group(kinfer_qvi acc[QA_ROWS][4],
				  const struct kinfer_qgemm *q, size_t i,
				  const int8_t *w, size_t g, size_t n,
				  const int rows)
{
	kinfer_v16hi wv[4];
	int r, c;

#pragma GCC unroll 4
	for (c = 0; c < 4; c++) {
		kinfer_v16qi b;

		__builtin_memcpy(&b, w + g * 64 + c * 16, sizeof(b));
		wv[c] = __builtin_ia32_pmovsxbw256(b);
	}
#pragma GCC unroll 2
	for (r = 0; r < rows; r++) {
		kinfer_v16hi xv = x_group(q->x + (i + r) * q->ldx +
					  g * KINFER_QGEMM_GROUP, n);

#pragma GCC unroll 4
		for (c = 0; c < 4; c++)
			acc[r][c] += (kinfer_qvi)__builtin_ia32_pmaddwd256(xv,
									  wv[c]);
	}
}

static __always_inline void tile(const struct kinfer_qgemm *q, size_t i,
				 size_t p, size_t pstride, size_t n0, size_t n1,
				 const int rows)
{
	const int8_t *w = q->w + p * pstride;
	size_t full = q->k / KINFER_QGEMM_GROUP;
	size_t j = p * KINFER_QGEMM_PANEL;
	kinfer_qvi acc[QA_ROWS][4] = { { { 0 } } };
	int32_t s[KINFER_QGEMM_PANEL];
	size_t g;
	int r;

	for (g = 0; g < full; g++)
		group(acc, q, i, w, g, KINFER_QGEMM_GROUP, rows);
	if (q->k % KINFER_QGEMM_GROUP)
		group(acc, q, i, w, full, q->k % KINFER_QGEMM_GROUP, rows);
	/* unrolled: acc[][] stays in registers, not in the stack frame */
#pragma GCC unroll 2
	for (r = 0; r < rows; r++) {
		/* lanes (column, k pair): add each column's two pairs */
		kinfer_qvu lo = (kinfer_qvu)__builtin_shufflevector(acc[r][0],
				acc[r][1], 0, 2, 4, 6, 8, 10, 12, 14) +
				(kinfer_qvu)__builtin_shufflevector(acc[r][0],
				acc[r][1], 1, 3, 5, 7, 9, 11, 13, 15);
		kinfer_qvu hi = (kinfer_qvu)__builtin_shufflevector(acc[r][2],
				acc[r][3], 0, 2, 4, 6, 8, 10, 12, 14) +
				(kinfer_qvu)__builtin_shufflevector(acc[r][2],
				acc[r][3], 1, 3, 5, 7, 9, 11, 13, 15);

		__builtin_memcpy(s, &lo, sizeof(lo));
		__builtin_memcpy(s + 8, &hi, sizeof(hi));
		qv_finish(q, q->y + (i + r) * q->ldy, s, j,
			  (n0 > j ? n0 : j) - j,
			  (n1 < j + KINFER_QGEMM_PANEL ? n1 : j + KINFER_QGEMM_PANEL) - j);
	}
}

void kinfer_qgemm_avx2(const struct kinfer_qgemm *q, size_t m0, size_t m1,
		       size_t n0, size_t n1)
{
	size_t groups = (q->k + KINFER_QGEMM_GROUP - 1) / KINFER_QGEMM_GROUP;
	size_t pstride = groups * KINFER_QGEMM_PANEL * KINFER_QGEMM_GROUP;
	size_t p, i;

	for (p = n0 / KINFER_QGEMM_PANEL; p * KINFER_QGEMM_PANEL < n1; p++) {
		for (i = m0; i + QA_ROWS <= m1; i += QA_ROWS)
			tile(q, i, p, pstride, n0, n1, QA_ROWS);
		if (i < m1)
			tile(q, i, p, pstride, n0, n1, 1);
	}
}
