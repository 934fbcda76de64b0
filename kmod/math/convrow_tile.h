/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Columns of one output row of a convolution for up to
 * KINFER_CONVROW_MAXQ output channels (isa.h, kinfer_convrow_fn), written
 * once over GCC's vector types and built once per instruction set
 * (convrow_generic.c, convrow_avx2.c, convrow_avx512.c) with its own
 * compiler flags, as gemm_tile.h is.  The including file defines:
 *
 *	KINFER_VEC	floats per vector register (4, 8 or 16)
 *	KINFER_CONVROW	the function's name
 *
 * Every output is one chain: its bias, then acc + w * x for each tap
 * inside the input in (input channel, kernel row, kernel column) order,
 * then the clamp.
 * A vector lane, a 4-wide lane and the scalar loop at the borders all take
 * exactly these steps, and GCC contracts each into one FMA in the builds
 * with -mfma (and into none without), so an output's bits do not depend
 * on which of them computed it.  Each input vector loaded serves all the
 * output channels.
 */
#include "math/isa.h"

/* A full vector register of floats, and an SSE one. */
#define kinfer_vf float __attribute__((vector_size(KINFER_VEC * sizeof(float))))
#define kinfer_v4 float __attribute__((vector_size(4 * sizeof(float))))

/* Lane masks of the two. */
#define kinfer_vi int __attribute__((vector_size(KINFER_VEC * sizeof(int))))
#define kinfer_i4 int __attribute__((vector_size(4 * sizeof(int))))

/* v < lo ? lo : v, then v > hi ? hi : v, per lane, as the scalar code. */
static inline kinfer_vf vclamp(kinfer_vf v, kinfer_vf lo, kinfer_vf hi)
{
	kinfer_vi m = v < lo;

	v = (kinfer_vf)(((kinfer_vi)lo & m) | ((kinfer_vi)v & ~m));
	m = v > hi;
	return (kinfer_vf)(((kinfer_vi)hi & m) | ((kinfer_vi)v & ~m));
}

static inline kinfer_v4 v4clamp(kinfer_v4 v, kinfer_v4 lo, kinfer_v4 hi)
{
	kinfer_i4 m = v < lo;

	v = (kinfer_v4)(((kinfer_i4)lo & m) | ((kinfer_i4)v & ~m));
	m = v > hi;
	return (kinfer_v4)(((kinfer_i4)hi & m) | ((kinfer_i4)v & ~m));
}

/* Rows are only float-aligned: memcpy makes unaligned moves. */
static inline kinfer_vf vload(const float *p)
{
	kinfer_vf v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline kinfer_v4 v4load(const float *p)
{
	kinfer_v4 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Every second float from p: one shuffle of two loads, which read one
 * float past the last lane (the caller keeps that inside the row).
 */
static inline kinfer_vf vload2(const float *p)
{
	kinfer_vf a = vload(p), b = vload(p + KINFER_VEC);

#if KINFER_VEC == 4
	return __builtin_shufflevector(a, b, 0, 2, 4, 6);
#elif KINFER_VEC == 8
	return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
#elif KINFER_VEC == 16
	return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14,
				       16, 18, 20, 22, 24, 26, 28, 30);
#else
#error "KINFER_VEC must be 4, 8 or 16"
#endif
}

static inline kinfer_v4 v4load2(const float *p)
{
	return __builtin_shufflevector(v4load(p), v4load(p + 4), 0, 2, 4, 6);
}

static inline float bias_of(const struct kinfer_convrow *r, int q)
{
	return r->bias ? r->bias[q] : 0.0f;
}

/*
 * KINFER_VEC outputs from column j of @nq channels, every tap inside the
 * row.  Inlined with constant @s and @nq: the accumulators are registers.
 */
static __always_inline void vec_out(const struct kinfer_convrow *r, size_t j,
				    const size_t s, const int nq,
				    const size_t kw)
{
	const kinfer_vf zero = { 0 }, lo = zero + r->lo, hi = zero + r->hi;
	const float *xc = r->x + (j * s - r->pad), *wc = r->w;
	kinfer_vf acc[KINFER_CONVROW_MAXQ];
	size_t c, i, t;
	int q;

	for (q = 0; q < nq; q++)
		acc[q] = zero + bias_of(r, q);
	for (c = 0; c < r->nc; c++, xc += r->xc, wc += r->wc) {
		const float *xr = xc, *wr = wc;

		for (i = 0; i < r->nr; i++, xr += r->xs, wr += kw)
			for (t = 0; t < kw; t++) {
				kinfer_vf xv = s == 1 ? vload(xr + t) :
							vload2(xr + t);

				for (q = 0; q < nq; q++)
					acc[q] += wr[q * r->wq + t] * xv;
			}
	}
	for (q = 0; q < nq; q++) {
		acc[q] = vclamp(acc[q], lo, hi);
		__builtin_memcpy(r->y + q * r->ys + j, &acc[q], sizeof(acc[q]));
	}
}

/* vec_out() 4 lanes wide: interiors too short for a full vector. */
static __always_inline void v4_out(const struct kinfer_convrow *r, size_t j,
				   const size_t s, const int nq, const size_t kw)
{
	const kinfer_v4 zero = { 0 }, lo = zero + r->lo, hi = zero + r->hi;
	const float *xc = r->x + (j * s - r->pad), *wc = r->w;
	kinfer_v4 acc[KINFER_CONVROW_MAXQ];
	size_t c, i, t;
	int q;

	for (q = 0; q < nq; q++)
		acc[q] = zero + bias_of(r, q);
	for (c = 0; c < r->nc; c++, xc += r->xc, wc += r->wc) {
		const float *xr = xc, *wr = wc;

		for (i = 0; i < r->nr; i++, xr += r->xs, wr += kw)
			for (t = 0; t < kw; t++) {
				kinfer_v4 xv = s == 1 ? v4load(xr + t) :
							v4load2(xr + t);

				for (q = 0; q < nq; q++)
					acc[q] += wr[q * r->wq + t] * xv;
			}
	}
	for (q = 0; q < nq; q++) {
		acc[q] = v4clamp(acc[q], lo, hi);
		__builtin_memcpy(r->y + q * r->ys + j, &acc[q], sizeof(acc[q]));
	}
}

/* Output j of channel q, skipping the taps outside [0, xlen): borders. */
static void one_out(const struct kinfer_convrow *r, size_t j, int q)
{
	const size_t kw = r->kw;
	const ptrdiff_t first = (ptrdiff_t)(j * r->s) - (ptrdiff_t)r->pad;
	const float *xc = r->x, *wc = r->w + q * r->wq;
	float acc = bias_of(r, q);
	size_t c, i, t;

	for (c = 0; c < r->nc; c++, xc += r->xc, wc += r->wc) {
		const float *xr = xc, *wr = wc;

		for (i = 0; i < r->nr; i++, xr += r->xs, wr += kw)
			for (t = 0; t < kw; t++) {
				ptrdiff_t pos = first + (ptrdiff_t)t;

				if (pos >= 0 && pos < (ptrdiff_t)r->xlen)
					acc += wr[t] * xr[pos];
			}
	}
	acc = acc < r->lo ? r->lo : acc;
	r->y[q * r->ys + j] = acc > r->hi ? r->hi : acc;
}

/*
 * Columns [lo, hi), hi - lo >= 4, in full vectors or else in 4-wide ones,
 * the last one moved back to end at hi: it recomputes a few outputs from
 * scratch, to the same bits.  Inlined with constant @s, @nq and (3x3, the
 * common kernel, unrolled) @kw.
 */
static __always_inline void interior(const struct kinfer_convrow *r,
				     size_t lo, size_t hi, const size_t s,
				     const int nq, const size_t kw)
{
	size_t j;

	if (hi - lo >= KINFER_VEC) {
		for (j = lo; j + KINFER_VEC < hi; j += KINFER_VEC)
			vec_out(r, j, s, nq, kw);
		vec_out(r, hi - KINFER_VEC, s, nq, kw);
		return;
	}
	for (j = lo; j + 4 < hi; j += 4)
		v4_out(r, j, s, nq, kw);
	v4_out(r, hi - 4, s, nq, kw);
}

static __always_inline void interior_s(const struct kinfer_convrow *r,
				       size_t lo, size_t hi, const int nq)
{
	if (r->s == 1 && r->kw == 3)
		interior(r, lo, hi, 1, nq, 3);
	else if (r->s == 1)
		interior(r, lo, hi, 1, nq, r->kw);
	else if (r->kw == 3)
		interior(r, lo, hi, 2, nq, 3);
	else
		interior(r, lo, hi, 2, nq, r->kw);
}

static __always_inline void one_row(const struct kinfer_convrow *r,
				    size_t j0, size_t j1, size_t lo,
				    size_t hi)
{
	size_t j;
	int q;

	for (q = 0; q < (int)r->nq; q++)
		for (j = j0; j < lo; j++)
			one_out(r, j, q);
	if (hi > lo) {
		switch (r->nq) {
		case 1:
			interior_s(r, lo, hi, 1);
			break;
		case 2:
			interior_s(r, lo, hi, 2);
			break;
		case 3:
			interior_s(r, lo, hi, 3);
			break;
		default:
			interior_s(r, lo, hi, 4);
			break;
		}
	}
	for (q = 0; q < (int)r->nq; q++)
		for (j = hi > j0 ? hi : j0; j < j1; j++)
			one_out(r, j, q);
}

void KINFER_CONVROW(const struct kinfer_convrow *r, size_t j0, size_t j1)
{
	/*
	 * Columns whose taps all lie inside the row; with s == 2 the loads
	 * read one float more, which must exist too.
	 */
	ptrdiff_t last = (ptrdiff_t)(r->xlen + r->pad) - (ptrdiff_t)r->kw -
			 (ptrdiff_t)(r->s - 1);
	const unsigned int sh = r->s == 2;	/* s is 1 or 2: no division */
	size_t lo = (r->pad + r->s - 1) >> sh, hi = 0, i;
	struct kinfer_convrow row;

	if (last >= 0)
		hi = ((size_t)last >> sh) + 1;
	if (hi > j1)
		hi = j1;
	if (lo < j0)
		lo = j0;
	if (lo > hi)
		lo = hi;
	if (hi - lo < 4)
		lo = hi;	/* all scalar */
	row = *r;
	for (i = 0; i < r->nrows; i++) {
		one_row(&row, j0, j1, lo, hi);
		row.x += r->xstep;
		row.y += r->ystep;
	}
}
