/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GEMM micro-kernel, written once over GCC's vector types and built
 * once per instruction set (gemm_generic.c, gemm_avx2.c, gemm_avx512.c),
 * each with its own compiler flags.  The including file defines:
 *
 *	KINFER_VEC	floats per vector register
 *	KINFER_NV	vector registers per tile row
 *	KINFER_MR	rows per tile (KINFER_MR * KINFER_NV accumulators)
 *	KINFER_GEMM	the function's name
 *
 * The order of every sum is fixed by isa.h, not by the tile an element
 * falls in: so two builds that both contract to FMA (AVX2, AVX-512) agree
 * bit for bit.  The generic build has no FMA.
 */
#include "math/isa.h"

/* strip() splits any remainder of rows into tiles of 4, 2 and 1. */
#if KINFER_MR < 4 || KINFER_MR > 8
#error "KINFER_MR must be 4..8"
#endif

/* A one-row tile's vectors: twice as many chains to hide FMA latency. */
#define KINFER_WIDE	(2 * KINFER_NV)

/* One vector register of floats. */
#define kinfer_vf float __attribute__((vector_size(KINFER_VEC * sizeof(float))))

/* Rows of b and y are only float-aligned: memcpy makes unaligned moves. */
static inline kinfer_vf vload(const float *p)
{
	kinfer_vf v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline void vstore(float *p, kinfer_vf v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

/* Offset of column @j's panel, plus @j's place in it (see isa.h). */
static __always_inline size_t b_col(size_t j, size_t bps)
{
	return j / KINFER_GEMM_ALIGN * bps + j % KINFER_GEMM_ALIGN;
}

/*
 * y[0..rows)[0..nv * KINFER_VEC) = (acc ? y : 0) + a[0..rows)[0..k) .
 *				       b[0..k)[same columns]
 *
 * Always inlined with constant @rows and @nv, so the accumulators are
 * registers and the loops over them unroll.
 */
static __always_inline void tile(float *y, size_t ldy, const float *a,
				 size_t lda, const float *b, size_t ldb,
				 size_t bps, size_t k, bool acc,
				 const int rows, const int nv)
{
	const kinfer_vf zero = { 0 };
	kinfer_vf sum[KINFER_MR][KINFER_WIDE];
	size_t l;
	int r, v;

#pragma GCC unroll 16
	for (r = 0; r < rows; r++)
#pragma GCC unroll 16
		for (v = 0; v < nv; v++)
			sum[r][v] = acc ? vload(y + r * ldy + v * KINFER_VEC) :
					  zero;
	for (l = 0; l < k; l++) {
		kinfer_vf bl[KINFER_WIDE];

#pragma GCC unroll 16
		for (v = 0; v < nv; v++)
			bl[v] = vload(b + b_col(v * KINFER_VEC, bps) + l * ldb);
		/*
		 * a's element goes straight from memory into every lane (a
		 * vector times a scalar): a broadcast load, on a load port,
		 * where "zero + a" cost an add and a shuffle that competes
		 * with the multiply-adds for their port.
		 */
#pragma GCC unroll 16
		for (r = 0; r < rows; r++)
#pragma GCC unroll 16
			for (v = 0; v < nv; v++)
				sum[r][v] += bl[v] * a[r * lda + l];
	}
#pragma GCC unroll 16
	for (r = 0; r < rows; r++)
#pragma GCC unroll 16
		for (v = 0; v < nv; v++)
			vstore(y + r * ldy + v * KINFER_VEC, sum[r][v]);
}

/*
 * All rows of one column strip of @nv vectors: KINFER_MR rows at a time,
 * then the remainder (< KINFER_MR <= 8) as tiles of 4, 2 and 1 rows.
 */
static __always_inline void strip(float *y, size_t ldy, const float *a,
				  size_t lda, const float *b, size_t ldb,
				  size_t bps, size_t m, size_t k, bool acc,
				  const int nv)
{
	size_t i;

	for (i = 0; i + KINFER_MR <= m; i += KINFER_MR)
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k,
		     acc, KINFER_MR, nv);
	if ((m - i) & 4) {
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     4, nv);
		i += 4;
	}
	if ((m - i) & 2) {
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     2, nv);
		i += 2;
	}
	if ((m - i) & 1)
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     1, nv);
}

/*
 * The columns past the last multiple of KINFER_GEMM_ALIGN are too few for
 * a vector, and one chain over K per element would wait on every
 * multiply-add's latency (a 256-long dot product: about 1000 cycles).  So
 * each sums KINFER_GEMM_CHAINS interleaved chains (product l goes to chain
 * l % 8) and adds them in a fixed tree.  Every variant takes exactly these
 * columns this way, so the FMA variants still agree bit for bit.
 */
static float tail_dot(const float *a, const float *b, size_t ldb, size_t k)
{
	float s[KINFER_GEMM_CHAINS] = { 0 };
	size_t l, q;

	for (l = 0; l + KINFER_GEMM_CHAINS <= k; l += KINFER_GEMM_CHAINS)
#pragma GCC unroll 8
		for (q = 0; q < KINFER_GEMM_CHAINS; q++)
			s[q] += a[l + q] * b[(l + q) * ldb];
	for (q = 0; l < k; l++, q++)
		s[q] += a[l] * b[l * ldb];
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void KINFER_GEMM(float *y, size_t ldy, const float *a, size_t lda,
		 const float *b, size_t ldb, size_t bps, size_t m, size_t k,
		 size_t n, bool acc)
{
	size_t vec_end = n - n % KINFER_GEMM_ALIGN;
	size_t i, j = 0;

	if (m == 1)	/* a vector times a matrix: wide one-row tiles */
		for (; j + KINFER_WIDE * KINFER_VEC <= vec_end;
		     j += KINFER_WIDE * KINFER_VEC)
			tile(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps,
			     k, acc, 1, KINFER_WIDE);

	for (; j + KINFER_NV * KINFER_VEC <= vec_end;
	     j += KINFER_NV * KINFER_VEC)
		strip(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps, m, k,
		      acc, KINFER_NV);
	for (; j < vec_end; j += KINFER_VEC)
		strip(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps, m, k,
		      acc, 1);
	for (; j < n; j++)
		for (i = 0; i < m; i++)
			y[i * ldy + j] = (acc ? y[i * ldy + j] : 0.0f) +
					 tail_dot(a + i * lda, b + b_col(j, bps),
						  ldb, k);
}
