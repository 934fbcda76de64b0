/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the int8 kernels of isa.h share between instruction sets, over
 * GCC's vector types: MATMUL_I8's epilogue and QUANTIZE's row.  The
 * including file defines
 *
 *	KINFER_VEC		32-bit lanes per vector register (8 or 16)
 *	KINFER_QUANTIZE		the name of its QUANTIZE row kernel, if any
 *
 * and is built with -ffp-contract=off: the epilogue's product and sum are
 * rounded separately, as in the generic kernel.
 */
#include "math/isa.h"
#include "math/quantize.h"

#define kinfer_qvf float __attribute__((vector_size(KINFER_VEC * 4)))
#define kinfer_qvi int32_t __attribute__((vector_size(KINFER_VEC * 4)))
#define kinfer_qvu uint32_t __attribute__((vector_size(KINFER_VEC * 4)))
#define kinfer_qvb int8_t __attribute__((vector_size(KINFER_VEC)))

static __always_inline kinfer_qvi qv_loadi(const void *p)
{
	kinfer_qvi v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static __always_inline kinfer_qvf qv_loadf(const float *p)
{
	kinfer_qvf v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* a where m is set, else b. */
static __always_inline kinfer_qvi qv_blend(kinfer_qvi m, kinfer_qvi a,
					   kinfer_qvi b)
{
	return (a & m) | (b & ~m);
}

/*
 * y[j] for j < KINFER_QGEMM_PANEL from the panel's 16 sums s (modulo
 * 2^32), its scale, wsum and bias (NULL: 0.0f, still added).
 */
static __always_inline void qv_finish16(float *y, const int32_t *s,
					const float *scale, const int32_t *wsum,
					const float *bias, bool relu)
{
	const kinfer_qvf zero = { 0 };
	int v;

#pragma GCC unroll 2
	for (v = 0; v < KINFER_QGEMM_PANEL / KINFER_VEC; v++) {
		kinfer_qvu d = (kinfer_qvu)qv_loadi(s + v * KINFER_VEC) -
			       ((kinfer_qvu)qv_loadi(wsum + v * KINFER_VEC) << 7);
		kinfer_qvf f = __builtin_convertvector((kinfer_qvi)d, kinfer_qvf);

		f = f * qv_loadf(scale + v * KINFER_VEC);
		f = f + (bias ? qv_loadf(bias + v * KINFER_VEC) : zero);
		if (relu)
			f = (kinfer_qvf)((kinfer_qvi)f & ~(f < zero));
		__builtin_memcpy(y + v * KINFER_VEC, &f, sizeof(f));
	}
}

/*
 * Columns [c0, c1) of the panel whose column 0 is @j: whole panels
 * straight from the vectors, a part through copies, so that scale, wsum
 * and bias are read only at [j + c0, j + c1).
 */
static __always_inline void qv_finish(const struct kinfer_qgemm *q, float *y,
				      const int32_t *s, size_t j, size_t c0,
				      size_t c1)
{
	float sc[KINFER_QGEMM_PANEL] = { 0 }, bi[KINFER_QGEMM_PANEL] = { 0 };
	int32_t ws[KINFER_QGEMM_PANEL] = { 0 };
	float out[KINFER_QGEMM_PANEL];
	size_t c;

	if (c0 == 0 && c1 == KINFER_QGEMM_PANEL) {
		qv_finish16(y + j, s, q->scale + j, q->wsum + j,
			    q->bias ? q->bias + j : NULL, q->relu);
		return;
	}
	/*
	 * Element loops, not memcpy(): a call would make the caller spill
	 * every vector register it holds (a kernel stack frame of 2 KiB).
	 */
	for (c = c0; c < c1; c++) {
		sc[c] = q->scale[j + c];
		ws[c] = q->wsum[j + c];
		bi[c] = q->bias ? q->bias[j + c] : 0.0f;
	}
	qv_finish16(out, s, sc, ws, q->bias ? bi : NULL, q->relu);
	for (c = c0; c < c1; c++)
		y[j + c] = out[c];
}

/*
 * The 4 bytes of X's group at @x as a little-endian word, with x + 128
 * (x ^ 0x80) in the first @n <= 4 bytes and 0 past K.  No memcpy() call
 * for a short group (see qv_finish()).
 */
static __always_inline uint32_t qv_x_word(const int8_t *x, size_t n)
{
	uint32_t u = 0;
	size_t t;

	if (n == 4) {
		__builtin_memcpy(&u, x, 4);
		return u ^ 0x80808080U;
	}
	for (t = 0; t < n; t++)
		u |= (uint32_t)((uint8_t)x[t] ^ 0x80) << (8 * t);
	return u;
}

#ifdef KINFER_QUANTIZE
/*
 * math/quantize.h's rule on KINFER_VEC lanes: the quotient is IEEE
 * division in both, the truncation is exact below 256, r - trunc(r) is
 * exact, and the lanes out of range or NaN are replaced at the end.
 */
void KINFER_QUANTIZE(int8_t *y, const float *x, size_t n, float scale,
		     int32_t zero_point)
{
	const kinfer_qvi z = { 0 }, lo = z - 128, hi = z + 127;
	const kinfer_qvf zf = { 0 };
	size_t i;

	for (i = 0; i + KINFER_VEC <= n; i += KINFER_VEC) {
		kinfer_qvf r = qv_loadf(x + i) / (zf + scale), rc, f;
		kinfer_qvi in = (r < 256.0f) & (r > -256.0f);	/* NaN: 0 */
		kinfer_qvi t;
		kinfer_qvb b;

		rc = (kinfer_qvf)((kinfer_qvi)r & in);
		t = __builtin_convertvector(rc, kinfer_qvi);
		f = rc - __builtin_convertvector(t, kinfer_qvf);
		t = t - (f >= 0.5f) + (f <= -0.5f) + zero_point;
		t = qv_blend(t < lo, lo, t);
		t = qv_blend(t > hi, hi, t);
		t = qv_blend(in, t, qv_blend(r >= 256.0f, hi, lo));
		t = qv_blend(r != r, z + zero_point, t);
		b = __builtin_convertvector(t, kinfer_qvb);
		__builtin_memcpy(y + i, &b, sizeof(b));
	}
	for (; i < n; i++)
		y[i] = kinfer_quantize_one(x[i], scale, zero_point);
}
#endif /* KINFER_QUANTIZE */
