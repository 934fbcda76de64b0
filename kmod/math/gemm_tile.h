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
				 const int rows, const int nv, const float *pf)
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

		if (pf)
			__builtin_prefetch(pf + l * KINFER_GEMM_ALIGN);

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
				  const int nv, const float *pf)
{
	size_t i, t = 0;

	/*
	 * @pf: the panels the next strip reads, when B is in panels.  Each
	 * tile touches one cache line of them per step of l (a panel row is
	 * one line), so that while this strip computes, those lines come in
	 * from memory: a cold weight's panels stream at a steady rate
	 * instead of stalling the first tile of each strip.
	 */
#define STRIP_PF(t) (pf ? pf + (t) % nv * bps : NULL)
	for (i = 0; i + KINFER_MR <= m; i += KINFER_MR, t++)
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k,
		     acc, KINFER_MR, nv, STRIP_PF(t));
	if ((m - i) & 4) {
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     4, nv, STRIP_PF(t));
		i += 4;
		t++;
	}
	if ((m - i) & 2) {
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     2, nv, STRIP_PF(t));
		i += 2;
		t++;
	}
	if ((m - i) & 1)
		tile(y + i * ldy, ldy, a + i * lda, lda, b, ldb, bps, k, acc,
		     1, nv, STRIP_PF(t));
#undef STRIP_PF
}

/*
 * The columns past the last multiple of KINFER_GEMM_ALIGN are too few for
 * a vector each, and one chain over K per element would wait on every
 * multiply-add's latency (a 256-long dot product: about 1000 cycles).  So
 * each sums KINFER_GEMM_CHAINS interleaved chains (product l goes to chain
 * l % 8) and adds them in a fixed tree.  Every variant takes exactly these
 * columns this way, so the FMA variants still agree bit for bit.
 *
 * Up to four such columns share a 4-float vector, one per chain: row l's
 * few floats are one load, where gathering a column's strided floats
 * into a vector of chains took a load and an insert each (a classifier's
 * 256 -> 2 layer: 4x faster).
 */
#define kinfer_v4f float __attribute__((vector_size(4 * sizeof(float))))
#define kinfer_v2d double __attribute__((vector_size(2 * sizeof(double))))

/*
 * Exactly @w (1..4, a constant) floats of b, the lanes past them zero:
 * built from the elements, as a partial memcpy into a zeroed vector went
 * through the stack and stalled on store forwarding.
 */
static __always_inline kinfer_v4f tail_load(const float *b, const int w)
{
	kinfer_v4f v;

	kinfer_v2d pair = { 0 };

	if (w == 4) {
		__builtin_memcpy(&v, b, sizeof(v));
		return v;
	}
	if (w == 2) {	/* one 8-byte load */
		__builtin_memcpy(&pair[0], b, sizeof(pair[0]));
		return (kinfer_v4f)pair;
	}
	v = (kinfer_v4f){ b[0], w > 1 ? b[1] : 0.0f, w > 2 ? b[2] : 0.0f,
			  0.0f };
	return v;
}

/* y[0..w) (= or +=) a[0..k) . b[0..k)[0..w), for a constant w <= 4. */
static __always_inline void tail_cols(float *y, const float *a,
				      const float *b, size_t ldb, size_t k,
				      bool acc, const int w)
{
	kinfer_v4f s[KINFER_GEMM_CHAINS] = { 0 };
	kinfer_v4f sum;
	size_t l;
	int q;

	for (l = 0; l + KINFER_GEMM_CHAINS <= k; l += KINFER_GEMM_CHAINS)
#pragma GCC unroll 8
		for (q = 0; q < KINFER_GEMM_CHAINS; q++)
			s[q] += tail_load(b + (l + q) * ldb, w) * a[l + q];
	/* Constant indices only, so s stays in registers. */
#pragma GCC unroll 8
	for (q = 0; q < KINFER_GEMM_CHAINS - 1; q++)
		if (l + q < k)
			s[q] += tail_load(b + (l + q) * ldb, w) * a[l + q];
	sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
#pragma GCC unroll 4
	for (q = 0; q < w; q++)
		y[q] = (acc ? y[q] : 0.0f) + sum[q];
}

/* One row's t < KINFER_GEMM_ALIGN last columns. */
static void tail_row(float *y, const float *a, const float *b, size_t ldb,
		     size_t k, size_t t, bool acc)
{
	size_t c;

	for (c = 0; c + 4 <= t; c += 4)
		tail_cols(y + c, a, b + c, ldb, k, acc, 4);
	switch (t - c) {
	case 3:
		tail_cols(y + c, a, b + c, ldb, k, acc, 3);
		break;
	case 2:
		tail_cols(y + c, a, b + c, ldb, k, acc, 2);
		break;
	case 1:
		tail_cols(y + c, a, b + c, ldb, k, acc, 1);
		break;
	}
}

void KINFER_GEMM(float *y, size_t ldy, const float *a, size_t lda,
		 const float *b, size_t ldb, size_t bps, size_t m, size_t k,
		 size_t n, bool acc)
{
	size_t vec_end = n - n % KINFER_GEMM_ALIGN;
	bool panels = bps != KINFER_GEMM_ALIGN;
	size_t i, j = 0;

	if (m == 1)	/* a vector times a matrix: wide one-row tiles */
		for (; j + KINFER_WIDE * KINFER_VEC <= vec_end;
		     j += KINFER_WIDE * KINFER_VEC)
			tile(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps,
			     k, acc, 1, KINFER_WIDE, NULL);

	for (; j + KINFER_NV * KINFER_VEC <= vec_end;
	     j += KINFER_NV * KINFER_VEC)
		strip(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps, m, k,
		      acc, KINFER_NV,
		      panels ? b + b_col(j + KINFER_NV * KINFER_VEC, bps) :
			       NULL);
	for (; j < vec_end; j += KINFER_VEC)
		strip(y + j, ldy, a, lda, b + b_col(j, bps), ldb, bps, m, k,
		      acc, 1, NULL);
	if (j < n)
		for (i = 0; i < m; i++)
			tail_row(y + i * ldy + j, a + i * lda, b + b_col(j, bps),
				 ldb, k, n - j, acc);
}
