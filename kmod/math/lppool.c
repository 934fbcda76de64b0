// SPDX-License-Identifier: GPL-2.0
/*
 * LPPOOL: (sum over the taps of |x|^p)^(1/p), p an integer in
 * 1..KINFER_LPPOOL_MAX_P.  Taps in the padding are zeros and add nothing.
 *
 * The p-th root is computed without libm: Newton's method on y^p = s in
 * double precision from a first guess that divides the exponent (the
 * binary64 bit pattern read as a logarithm), then rounded to float.  The
 * guess is within a factor of about 1.07 of the root; Newton's error
 * roughly squares (times (p - 1) / 2) per step, so eight steps reach
 * double precision for every p <= 16.  Measured against powl(s, 1.0L / p)
 * rounded to float, 10^6 random positive floats per p = 1..16: all equal
 * (tests/cpp/ops_conv_test.cpp asserts <= 1 ulp on 2 * 10^4 per p).
 */
#include "kinfer_math.h"
#include "window.h"

#define KINFER_ROOT_STEPS	8

static float powi(float v, unsigned int p)
{
	float r = 1.0f;

	/* Square-and-multiply: at most 2 * log2(p) products. */
	while (p) {
		if (p & 1)
			r *= v;
		p >>= 1;
		if (p)
			v *= v;
	}
	return r;
}

void kinfer_math_lp_row(float *restrict y, size_t n, const float *restrict x,
			size_t xlen, size_t k, size_t stride, size_t dil,
			ptrdiff_t start, unsigned int p)
{
	size_t t, j;

	for (t = 0; t < k; t++) {
		int64_t pos = (int64_t)start + (int64_t)(t * dil), j0, j1;
		const float *xt;

		kinfer_window_range(pos, (int64_t)stride, (int64_t)n, 0,
				    (int64_t)xlen, &j0, &j1);
		if (j0 == j1)
			continue;
		xt = x + (pos + j0 * (int64_t)stride);
		for (j = 0; j < (size_t)(j1 - j0); j++)
			y[j0 + j] += powi(kinfer_fabsf(xt[j * stride]), p);
	}
}

static double powi_d(double v, unsigned int p)
{
	double r = 1.0;

	while (p) {
		if (p & 1)
			r *= v;
		p >>= 1;
		if (p)
			v *= v;
	}
	return r;
}

float kinfer_rootf(float s, unsigned int p)
{
	union {
		double d;
		int64_t i;
	} g;
	const int64_t one = 0x3ff0000000000000LL;	/* 1.0 */
	double sd = s, y;
	int i;

	if (p == 1 || !(s > 0.0f) || kinfer_isinf(s))
		return s;	/* NaN, +-0 and +inf; s < 0 does not occur */
	if (p == 2)
		return __builtin_sqrtf(s);
	/*
	 * First guess: the bit pattern of a positive double is about
	 * 2^52 * (log2(s) + 1023), so (bits - one) / p + one is about the
	 * pattern of s^(1/p).  Every float, denormals included, is a normal
	 * double, so the guess is always this close.
	 */
	g.d = sd;
	g.i = (g.i - one) / (int64_t)p + one;
	y = g.d;
	for (i = 0; i < KINFER_ROOT_STEPS; i++)
		y -= (y - sd / powi_d(y, p - 1)) / p;
	return (float)y;
}

int kinfer_eval_lppool(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	const struct kinfer_attr_pool *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const float *x = (const float *)ex->t[0].data;
	float *y = (float *)ex->t[1].data;
	const int64_t plane = p->in[0] * p->in[1] * p->in[2];
	struct kinfer_window_unit u;
	uint64_t i;

	for (i = begin; i < end; i++) {
		int64_t kd, kd0, kd1, kh, kh0, kh1, j, sd, sh;
		const float *xc;
		float *yr;

		kinfer_window_unit(p, i, &u);
		yr = y + u.row * p->out[2] + u.ow0;
		memset(yr, 0, u.nw * sizeof(*yr));
		xc = x + (u.n * p->c + u.ch) * plane;
		sd = u.od * p->s[0] - p->pb[0];
		sh = u.oh * p->s[1] - p->pb[1];
		kinfer_window_range(sd, p->d[0], p->k[0], 0, p->in[0], &kd0, &kd1);
		kinfer_window_range(sh, p->d[1], p->k[1], 0, p->in[1], &kh0, &kh1);
		for (kd = kd0; kd < kd1; kd++) {
			int64_t id = sd + kd * p->d[0];

			for (kh = kh0; kh < kh1; kh++) {
				int64_t ih = sh + kh * p->d[1];
				const float *xr = xc + (id * p->in[1] + ih) * p->in[2];

				kinfer_math_lp_row(yr, u.nw, xr, p->in[2],
						   p->k[2], p->s[2], p->d[2],
						   u.ow0 * p->s[2] - p->pb[2],
						   a->p);
			}
		}
		for (j = 0; j < u.nw; j++)
			yr[j] = kinfer_rootf(yr[j], a->p);
	}
	return 0;
}
