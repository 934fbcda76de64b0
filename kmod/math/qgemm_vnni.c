// SPDX-License-Identifier: GPL-2.0
/*
 * MATMUL_I8 for AVX-512 VNNI (built with -mavx512f -mavx512bw
 * -mavx512vnni -ffp-contract=off): W's 4-k groups are the 64-byte
 * vectors vpdpbusd takes, x + 128 of a row's group is one dword broadcast
 * to all 16 columns, and vpdpbusd adds the four products of each column.
 * Tiles of up to 8 rows by 2 panels: 16 zmm accumulators, each W load
 * feeds up to 8 rows and each broadcast 2 panels.  Called by the AVX-512
 * table on CPUs with AVX512_VNNI and AVX512BW only (math/isa.c).
 */
#define KINFER_VEC	16
#include "qgemm_tile.h"

#define QV_ROWS		8
#define QV_PANELS	2

/* The dword of x + 128 of the group at @x, @n <= 4 of its k in X. */
static __always_inline kinfer_qvi x_group(const int8_t *x, size_t n)
{
	const kinfer_qvi z = { 0 };

	return z + (int32_t)qv_x_word(x, n);
}

static __always_inline void group(kinfer_qvi acc[QV_ROWS][QV_PANELS],
				  const struct kinfer_qgemm *q, size_t i,
				  const int8_t *w, size_t pstride, size_t g,
				  size_t n, const int rows, const int panels)
{
	kinfer_qvi wv[QV_PANELS];
	int r, p;

#pragma GCC unroll 2
	for (p = 0; p < panels; p++)
		wv[p] = qv_loadi(w + p * pstride + g * 64);
#pragma GCC unroll 8
	for (r = 0; r < rows; r++) {
		kinfer_qvi xv = x_group(q->x + (i + r) * q->ldx +
					g * KINFER_QGEMM_GROUP, n);

#pragma GCC unroll 2
		for (p = 0; p < panels; p++)
			acc[r][p] = __builtin_ia32_vpdpbusd_v16si(acc[r][p], xv,
								  wv[p]);
	}
}

static __always_inline void tile(const struct kinfer_qgemm *q, size_t i,
				 size_t p0, size_t pstride, size_t n0,
				 size_t n1, const int rows, const int panels)
{
	const int8_t *w = q->w + p0 * pstride;
	size_t full = q->k / KINFER_QGEMM_GROUP;
	kinfer_qvi acc[QV_ROWS][QV_PANELS] = { { { 0 } } };
	int32_t s[KINFER_QGEMM_PANEL];
	size_t g;
	int r, p;

	for (g = 0; g < full; g++)
		group(acc, q, i, w, pstride, g, KINFER_QGEMM_GROUP, rows,
		      panels);
	if (q->k % KINFER_QGEMM_GROUP)
		group(acc, q, i, w, pstride, full, q->k % KINFER_QGEMM_GROUP,
		      rows, panels);
	/* unrolled: acc[][] stays in registers, not in the stack frame */
#pragma GCC unroll 8
	for (r = 0; r < rows; r++)
#pragma GCC unroll 2
		for (p = 0; p < panels; p++) {
			size_t j = (p0 + p) * KINFER_QGEMM_PANEL;
			size_t e = j + KINFER_QGEMM_PANEL;

			__builtin_memcpy(s, &acc[r][p], sizeof(s));
			qv_finish(q, q->y + (i + r) * q->ldy, s, j,
				  (n0 > j ? n0 : j) - j, (n1 < e ? n1 : e) - j);
		}
}

/* Rows [m0, m1) of panels p, p + 1 (@panels 2) or p alone. */
static __always_inline void strip(const struct kinfer_qgemm *q, size_t m0,
				  size_t m1, size_t p, size_t pstride,
				  size_t n0, size_t n1, const int panels)
{
	size_t i = m0;

	for (; i + QV_ROWS <= m1; i += QV_ROWS)
		tile(q, i, p, pstride, n0, n1, QV_ROWS, panels);
	if (i + 4 <= m1) {
		tile(q, i, p, pstride, n0, n1, 4, panels);
		i += 4;
	}
	if (i + 2 <= m1) {
		tile(q, i, p, pstride, n0, n1, 2, panels);
		i += 2;
	}
	if (i < m1)
		tile(q, i, p, pstride, n0, n1, 1, panels);
}

void kinfer_qgemm_avx512vnni(const struct kinfer_qgemm *q, size_t m0,
			     size_t m1, size_t n0, size_t n1)
{
	size_t groups = (q->k + KINFER_QGEMM_GROUP - 1) / KINFER_QGEMM_GROUP;
	size_t pstride = groups * KINFER_QGEMM_PANEL * KINFER_QGEMM_GROUP;
	size_t p = n0 / KINFER_QGEMM_PANEL;
	size_t p1 = (n1 + KINFER_QGEMM_PANEL - 1) / KINFER_QGEMM_PANEL;

	for (; p + QV_PANELS <= p1; p += QV_PANELS)
		strip(q, m0, m1, p, pstride, n0, n1, QV_PANELS);
	if (p < p1)
		strip(q, m0, m1, p, pstride, n0, n1, 1);
}
