/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The elementwise and row kernels of isa.h (erf, gelu, softmax, layer
 * norm), written once over GCC's vector types and built once per
 * instruction set (vmath_generic.c, vmath_avx2.c, vmath_avx512.c), each
 * with its own compiler flags.  The including file defines:
 *
 *	KINFER_VEC	floats per vector register
 *	KINFER_VM(f)	the name of variant function f
 *
 * Every element is computed by the same lane code, the last partial
 * vector of a row included (it goes through a padded copy): a result does
 * not depend on where a unit starts.  The variants differ in rounding only
 * where FMA contracts a multiply-add, and in the order of a row's sums.
 *
 * erfc for z >= 0, on which erf and gelu are built, is
 *
 *	erfc(z) = e^(-z^2) * u * H(u - U0),	u = 2 / (2 + z)
 *
 * with H a degree-10 polynomial fitted for this project (minimax relative
 * error against scipy's erfcx on [2 / 12.7, 1], scripts/fit-erf.py):
 * 4e-9 in exact arithmetic, 1.6e-7 evaluated in float.  e^(-z^2) takes
 * z^2 as a float pair (the square of z's high 12 bits is exact), since
 * rounding z^2 to float alone would cost 200 ulp at z = 10; so gelu(x) for
 * x < 0, which is x/2 * erfc(-x / sqrt 2), keeps its relative accuracy
 * down into the denormals.  erf(x) for |x| < 0.75 is x * P(x^2), degree 5
 * (1.4e-9), and gelu(x) near 0 is built on it.  Measured against double
 * on every 97th float: erf within 2 ulp, gelu within 6 (the float
 * roundings of u, H, e^r and their products; tests/cpp/vmath_test.cpp).
 */
#include "math/isa.h"

#define kinfer_vf float __attribute__((vector_size(KINFER_VEC * sizeof(float))))
#define kinfer_vi int32_t __attribute__((vector_size(KINFER_VEC * sizeof(float))))
#define kinfer_vd double __attribute__((vector_size(KINFER_VEC * sizeof(double))))

#define VM_LOG2E	1.44269504088896341f
#define VM_LN2_HI	0.693359375f		/* 9 bits: n * VM_LN2_HI is exact */
#define VM_LN2_LO	(-0.000212194440f)
#define VM_ROUND	12582912.0f		/* 1.5 * 2^23 */
#define VM_SQRT1_2	0.707106781186547524f
#define VM_H_U0		0.5787402f
#define VM_GELU_MAX	15.0f	/* |gelu(x) - x| and gelu(-x) round to 0 */
#define VM_ERF_MAX	10.0f	/* erf(x) rounds to 1 from 3.92 on */
#define VM_EXP_MIN	(-104.0f)	/* e^x rounds to 0 below */

static __always_inline kinfer_vf vm_load(const float *p)
{
	kinfer_vf v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static __always_inline void vm_store(float *p, kinfer_vf v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static __always_inline kinfer_vf vm_splat(float c)
{
	const kinfer_vf zero = { 0 };

	return zero + c;
}

/* a where m is set, else b. */
static __always_inline kinfer_vf vm_blend(kinfer_vi m, kinfer_vf a, kinfer_vf b)
{
	return (kinfer_vf)(((kinfer_vi)a & m) | ((kinfer_vi)b & ~m));
}

static __always_inline kinfer_vf vm_min(kinfer_vf a, kinfer_vf b)
{
	return vm_blend(a < b, a, b);
}

static __always_inline kinfer_vf vm_max(kinfer_vf a, kinfer_vf b)
{
	return vm_blend(a > b, a, b);
}

static __always_inline kinfer_vf vm_abs(kinfer_vf a)
{
	return (kinfer_vf)((kinfer_vi)a & 0x7fffffff);
}

/* m * 2^n for -250 <= n <= 0, rounded once (two normal factors). */
static __always_inline kinfer_vf vm_scale(kinfer_vf m, kinfer_vi n)
{
	kinfer_vi n1 = n >> 1, n2 = n - n1;

	m *= (kinfer_vf)((n1 + 127) << 23);
	return m * (kinfer_vf)((n2 + 127) << 23);
}

/*
 * e^(-(hi + lo)) = p * 2^n for hi >= 0 up to ~170, |lo| tiny: p is
 * returned, n stored.  Cody-Waite reduction: hi - n ln2 is exact; e^r
 * by expf.h's polynomial.
 */
static __always_inline kinfer_vf vm_exp_neg(kinfer_vf hi, kinfer_vf lo, kinfer_vi *n)
{
	kinfer_vf fn = (-hi * VM_LOG2E + VM_ROUND) - VM_ROUND;
	kinfer_vf r = -hi - fn * VM_LN2_HI;
	kinfer_vf p;

	r = r - fn * VM_LN2_LO - lo;
	*n = __builtin_convertvector(fn, kinfer_vi);
	p = vm_splat(0.00019875691500f);
	p = p * r + 0.0013981999507f;
	p = p * r + 0.0083334519073f;
	p = p * r + 0.041665795894f;
	p = p * r + 0.16666665459f;
	p = p * r + 0.50000001201f;
	return p * r * r + r + 1.0f;
}

/*
 * erfc(z) = m * 2^n for 0 <= z <= 10.7, z^2 = hi + lo: m is returned.
 */
static __always_inline kinfer_vf vm_erfc(kinfer_vf z, kinfer_vf hi,
					 kinfer_vf lo, kinfer_vi *n)
{
	kinfer_vf u = 2.0f / (z + 2.0f);
	kinfer_vf w = u - VM_H_U0;
	kinfer_vf h;

	h = vm_splat(0.03666259348f);
	h = h * w + 0.0158452373f;
	h = h * w - 0.07487982512f;
	h = h * w + 0.004926293623f;
	h = h * w + 0.1140443459f;
	h = h * w - 0.05249002203f;
	h = h * w - 0.2030249387f;
	h = h * w + 0.08617112041f;
	h = h * w + 0.5865302086f;
	h = h * w + 0.7775405645f;
	h = h * w + 0.5684282184f;
	return vm_exp_neg(hi, lo, n) * (u * h);
}

/* x = hi + lo with hi the high 12 bits of x (so hi * hi is exact). */
static __always_inline kinfer_vf vm_high(kinfer_vf x)
{
	return (kinfer_vf)((kinfer_vi)x & (int32_t)0xfffff000);
}

/* erf(x) / x for |x| < 0.75, from z2 = x^2. */
static __always_inline kinfer_vf vm_erf_small(kinfer_vf z2)
{
	kinfer_vf p = vm_splat(-0.0006749511231f);

	p = p * z2 + 0.005114345346f;
	p = p * z2 - 0.02683462389f;
	p = p * z2 + 0.1128337681f;
	p = p * z2 - 0.3761262000f;
	return p * z2 + 1.128379107f;
}

static __always_inline kinfer_vf vm_erf(kinfer_vf x)
{
	kinfer_vi nan = x != x;
	kinfer_vf a = vm_min(vm_abs(vm_blend(nan, vm_splat(0.0f), x)),
			     vm_splat(VM_ERF_MAX));
	kinfer_vf ah = vm_high(a), al = a - ah;
	kinfer_vf p = vm_erf_small(a * a), big, sign;
	kinfer_vi n;

	big = vm_erfc(a, ah * ah, al * (a + ah), &n);
	big = 1.0f - vm_scale(big, n);
	sign = (kinfer_vf)((kinfer_vi)x & (int32_t)0x80000000);
	big = (kinfer_vf)((kinfer_vi)big | (kinfer_vi)sign);
	return vm_blend(nan, x + x, vm_blend(a < 0.75f, x * p, big));
}

/*
 * gelu(x) = x * (1 + erf(x / sqrt 2)) / 2 near 0 (from -0.7, where 1 + erf
 *	     starts to cancel, to 1.06, where erf's polynomial ends),
 *	     x * (1 - erfc(x / sqrt 2) / 2) above,
 *	     x * erfc(-x / sqrt 2) / 2 below.
 */
static __always_inline kinfer_vf vm_gelu(kinfer_vf x)
{
	kinfer_vi nan = x != x;
	kinfer_vf c = vm_blend(nan, vm_splat(0.0f), x);
	kinfer_vf ch, cl, t, half, small, pos, neg;
	kinfer_vi n;

	c = vm_max(vm_min(c, vm_splat(VM_GELU_MAX)), vm_splat(-VM_GELU_MAX));
	ch = vm_high(c);
	cl = c - ch;
	half = 0.5f * vm_erfc(vm_abs(c) * VM_SQRT1_2, 0.5f * (ch * ch),
			      0.5f * cl * (c + ch), &n);
	t = c * VM_SQRT1_2;
	small = c * (0.5f + 0.5f * t * vm_erf_small(t * t));
	pos = x * (1.0f - vm_scale(half, n));
	pos = vm_blend(x < 1.06f, small, pos);
	neg = vm_blend(x > -0.7f, small, vm_scale(c * half, n));
	return vm_blend(nan, x, vm_blend(x >= 0.0f, pos, neg));
}

/* e^x for x <= 0 (-Inf included; NaN is the caller's). */
static __always_inline kinfer_vf vm_exp_nonpos(kinfer_vf x)
{
	kinfer_vi n;
	kinfer_vf p = vm_exp_neg(-vm_max(x, vm_splat(VM_EXP_MIN)),
				 vm_splat(0.0f), &n);

	return vm_scale(p, n);
}

/* out[i] = f(in[i]): whole vectors, then the rest through a padded copy. */
#define VM_MAP(name, f)							\
void KINFER_VM(name)(float *out, const float *in, size_t n)		\
{									\
	float buf[KINFER_VEC];						\
	size_t i;							\
									\
	for (i = 0; i + KINFER_VEC <= n; i += KINFER_VEC)		\
		vm_store(out + i, f(vm_load(in + i)));			\
	if (i < n) {							\
		memset(buf, 0, sizeof(buf));				\
		memcpy(buf, in + i, (n - i) * sizeof(float));		\
		vm_store(buf, f(vm_load(buf)));				\
		memcpy(out + i, buf, (n - i) * sizeof(float));		\
	}								\
}

VM_MAP(erf, vm_erf)
VM_MAP(gelu, vm_gelu)

/*
 * y[i] += c[i], then with @relu y[i] = y[i] < 0 ? 0 : y[i]: one sum per
 * element, and kinfer_math_relu()'s bits (NaN and -0 pass).
 */
void KINFER_VM(add_bias)(float *y, const float *c, size_t n, bool relu)
{
	const kinfer_vf zero = { 0 };
	size_t i;

	for (i = 0; i + KINFER_VEC <= n; i += KINFER_VEC) {
		kinfer_vf v = vm_load(y + i) + vm_load(c + i);

		if (relu)
			v = vm_blend(v < zero, zero, v);
		vm_store(y + i, v);
	}
	for (; i < n; i++) {
		y[i] += c[i];
		if (relu && y[i] < 0.0f)
			y[i] = 0.0f;
	}
}

/* The lanes of @v added in a fixed tree. */
static __always_inline float vm_hsum(kinfer_vf v)
{
	float t[KINFER_VEC];
	int w, i;

	vm_store(t, v);
	for (w = KINFER_VEC / 2; w > 0; w /= 2)
		for (i = 0; i < w; i++)
			t[i] += t[i + w];
	return t[0];
}

static __always_inline double vm_hsum_d(const kinfer_vd *v)
{
	double t[KINFER_VEC];
	int w, i;

	__builtin_memcpy(t, v, sizeof(t));
	for (w = KINFER_VEC / 2; w > 0; w /= 2)
		for (i = 0; i < w; i++)
			t[i] += t[i + w];
	return t[0];
}

/* in[i..n) as a vector, lanes past n set to @pad. */
static __always_inline kinfer_vf vm_load_tail(const float *in, size_t i,
					      size_t n, float pad)
{
	float buf[KINFER_VEC];
	size_t j;

	for (j = 0; j < KINFER_VEC; j++)
		buf[j] = i + j < n ? in[i + j] : pad;
	return vm_load(buf);
}

static __always_inline void vm_store_tail(float *out, size_t i, size_t n,
					  kinfer_vf v)
{
	float buf[KINFER_VEC];

	vm_store(buf, v);
	memcpy(out + i, buf, (n - i) * sizeof(float));
}

/* Elements i.. of a row of n, @stride apart: lanes past n are @pad. */
static __always_inline kinfer_vf vm_get(const float *in, size_t i, size_t n,
					size_t stride, float pad)
{
	float buf[KINFER_VEC];
	size_t j;

	if (stride == 1 && i + KINFER_VEC <= n)
		return vm_load(in + i);
	for (j = 0; j < KINFER_VEC; j++)
		buf[j] = i + j < n ? in[(i + j) * stride] : pad;
	return vm_load(buf);
}

static __always_inline void vm_put(float *out, size_t i, size_t n,
				   size_t stride, kinfer_vf v)
{
	float buf[KINFER_VEC];
	size_t j;

	if (stride == 1 && i + KINFER_VEC <= n) {
		vm_store(out + i, v);
		return;
	}
	vm_store(buf, v);
	for (j = 0; j < KINFER_VEC && i + j < n; j++)
		out[(i + j) * stride] = buf[j];
}

/*
 * Softmax of one row of @n, @stride apart (kinfer_math_softmax()'s
 * contract): a row holding NaN or +Inf, or only -Inf, becomes all-NaN.
 * A strided row goes through the same lanes as a contiguous one.
 */
void KINFER_VM(softmax)(float *out, const float *in, size_t n, size_t stride)
{
	const float ninf = -__builtin_inff();
	kinfer_vf m = vm_splat(ninf), s = vm_splat(0.0f), v;
	kinfer_vi bad = { 0 };
	float max = ninf, inv;
	size_t i;
	int j;

	for (i = 0; i < n; i += KINFER_VEC) {
		v = vm_get(in, i, n, stride, ninf);
		bad |= v != v;
		m = vm_max(m, v);
	}
	for (j = 0; j < KINFER_VEC; j++) {
		max = m[j] > max ? m[j] : max;
		if (bad[j])
			max = __builtin_nanf("");
	}
	if (!(max < __builtin_inff()) || max == ninf) {
		for (i = 0; i < n; i++)
			out[i * stride] = __builtin_nanf("");
		return;
	}
	for (i = 0; i < n; i += KINFER_VEC) {
		v = vm_exp_nonpos(vm_get(in, i, n, stride, ninf) - max);
		vm_put(out, i, n, stride, v);
		s += v;
	}
	inv = 1.0f / vm_hsum(s);
	for (i = 0; i < n; i += KINFER_VEC)
		vm_put(out, i, n, stride, vm_get(out, i, n, stride, 0.0f) * inv);
}

/* A macro: a function returning kinfer_vd would change the ABI. */
#define vm_widen(v)	__builtin_convertvector(v, kinfer_vd)

/*
 * LayerNormalization of one contiguous row (layer_norm.c): the mean and
 * the sum of squared deviations in double, y = (float)((x - mean) * inv)
 * * scale + bias; @bias may be NULL.
 */
void KINFER_VM(layer_norm)(float *y, const float *x, size_t n,
			   const float *scale, const float *bias, double eps,
			   double *mean_out, double *inv_out)
{
	const kinfer_vd zero = { 0 };
	kinfer_vd s = zero, mean, inv;
	kinfer_vf v;
	double m;
	size_t i;

	for (i = 0; i < n; i += KINFER_VEC)
		s += vm_widen(i + KINFER_VEC <= n ? vm_load(x + i) :
			      vm_load_tail(x, i, n, 0.0f));
	m = vm_hsum_d(&s) / (double)n;
	mean = zero + m;
	s = zero;
	for (i = 0; i + KINFER_VEC <= n; i += KINFER_VEC) {
		kinfer_vd d = vm_widen(vm_load(x + i)) - mean;

		s += d * d;
	}
	if (i < n) {
		/* the lanes past n add 0 */
		kinfer_vd d = vm_widen(vm_load_tail(x, i, n, 0.0f)) - mean;
		size_t j;

		for (j = n - i; j < KINFER_VEC; j++)
			d[j] = 0.0;
		s += d * d;
	}
	*mean_out = m;
	*inv_out = 1.0 / __builtin_sqrt(vm_hsum_d(&s) / (double)n + eps);
	inv = zero + *inv_out;
	for (i = 0; i < n; i += KINFER_VEC) {
		bool full = i + KINFER_VEC <= n;
		kinfer_vf sc, b;

		v = full ? vm_load(x + i) : vm_load_tail(x, i, n, 0.0f);
		v = __builtin_convertvector((vm_widen(v) - mean) * inv,
					    kinfer_vf);
		sc = full ? vm_load(scale + i) : vm_load_tail(scale, i, n, 0.0f);
		v *= sc;
		if (bias) {
			b = full ? vm_load(bias + i) :
				   vm_load_tail(bias, i, n, 0.0f);
			v += b;
		}
		if (full)
			vm_store(y + i, v);
		else
			vm_store_tail(y, i, n, v);
	}
}
