/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kinfer math primitives and the compute steps (evals) built on them.
 *
 * Primitives are pure functions over caller-supplied memory, shapes next
 * to each pointer: the caller guarantees every pointer covers its shape
 * and that products of dimensions fit in size_t; nothing is checked here
 * (kmod/ops/ checks every node before its eval runs).  In the kernel every
 * call sits inside kernel_fpu_begin()/kernel_fpu_end().
 *
 * NaN handling: a NaN input yields a NaN output element (relu included);
 * softmax turns a row containing a NaN or +Inf into all-NaN, like numpy.
 */
#ifndef _KINFER_MATH_H
#define _KINFER_MATH_H

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * out[m, n] = sum_k in[m, k] * w[k, n] + b[n]	(b == NULL: no bias)
 *
 * @out: [m, n]   must not overlap @in, @w or @b
 * @in:  [m, k]
 * @w:   [k, n]   Flax Dense kernel layout: [in_features, out_features]
 * @b:   [n] or NULL
 */
void kinfer_math_dense(float *out, const float *in, const float *w,
		       const float *b, size_t m, size_t k, size_t n);

/*
 * y[j] += sum_l x[l * xs] * w[l * ldw + j]	one tile of one dense row
 *
 * @y:   [n]        must not overlap @x or @w
 * @x:   [k]        elements @xs apart
 * @w:   [k, ldw]   only columns [0, n) are read; ldw >= n
 *
 * For each y[j] the products are added in increasing l, so a row computed
 * tile by tile equals the row computed at once, bit for bit.
 */
void kinfer_math_dense_acc(float *y, const float *x, size_t xs,
			   const float *w, size_t k, size_t n, size_t ldw);

/*
 * y[j] = sum_l x[l * xs] * w[j * ldw + l]	rows of w dotted with x
 *
 * @y: [n]   must not overlap @x or @w
 * @x: [k]   elements @xs apart
 * @w: [n, ldw]  only columns [0, k) are read; ldw >= k
 */
void kinfer_math_dot_rows(float *y, const float *x, size_t xs,
			  const float *w, size_t k, size_t n, size_t ldw);

/* out[i] = in[i] < 0 ? 0 : in[i]		@out, @in: [n], out == in allowed */
void kinfer_math_relu(float *out, const float *in, size_t n);

/* out[i] = 1 / (1 + exp(-in[i]))		@out, @in: [n], out == in allowed */
void kinfer_math_sigmoid(float *out, const float *in, size_t n);

/* out[i] = tanh(in[i])				@out, @in: [n], out == in allowed */
void kinfer_math_tanh(float *out, const float *in, size_t n);

/*
 * out[r, i] = exp(in[r, i] - max_r) / sum_j exp(in[r, j] - max_r)
 *
 * Rows of @n elements, @stride elements apart within a row (rows of a
 * tensor softmaxed along a non-last axis); out == in allowed.
 */
void kinfer_math_softmax(float *out, const float *in, size_t n, size_t stride);

/*
 * Reductions and normalisation (reduce_*.c, *_norm*.c, log_softmax.c).
 * Row primitives over @n elements @stride apart; float sums, products
 * and norms accumulate in double (error bounds in each file).  Integer
 * ones take int32, int64 or bool rows by @dtype and wrap like numpy.
 */
double kinfer_math_sum(const float *x, size_t n, size_t stride);
uint64_t kinfer_math_sum_i32(const int32_t *x, size_t n, size_t stride);
uint64_t kinfer_math_sum_i64(const int64_t *x, size_t n, size_t stride);
double kinfer_math_sum_abs(const float *x, size_t n, size_t stride);
uint64_t kinfer_math_sum_abs_int(const void *x, uint32_t dtype, size_t n,
				 size_t stride);
double kinfer_math_sum_sq(const float *x, size_t n, size_t stride);
uint64_t kinfer_math_sum_sq_int(const void *x, uint32_t dtype, size_t n,
				size_t stride);
double kinfer_math_sum_sqdev(const float *x, size_t n, size_t stride,
			     double mean);
/* sum exp(x - m) */
double kinfer_math_sum_exp(const float *x, size_t n, size_t stride, float m);
double kinfer_math_prod(const float *x, size_t n, size_t stride);
uint64_t kinfer_math_prod_int(const void *x, uint32_t dtype, size_t n,
			      size_t stride);
/* max(m, x...) and min(m, x...); NaN if any x is NaN */
float kinfer_math_max(const float *x, size_t n, size_t stride, float m);
float kinfer_math_min(const float *x, size_t n, size_t stride, float m);
int64_t kinfer_math_max_int(const void *x, uint32_t dtype, size_t n,
			    size_t stride, int64_t m);
int64_t kinfer_math_min_int(const void *x, uint32_t dtype, size_t n,
			    size_t stride, int64_t m);

/* out[r, i] = in[r, i] - max_r - log(sum_j exp(in[r, j] - max_r)) */
void kinfer_math_log_softmax(float *out, const float *in, size_t n,
			     size_t stride);
/* out[r, i] = in[r, i] / ||in[r, :]||_p, 0 for a zero row */
void kinfer_math_l1_normalize(float *out, const float *in, size_t n,
			      size_t stride);
void kinfer_math_l2_normalize(float *out, const float *in, size_t n,
			      size_t stride);
/* y[i] = (float)((x[i] - mean) * inv) * scale[i] + bias[i]; NULL: none */
void kinfer_math_norm_row(float *y, const float *x, size_t n, size_t stride,
			  double mean, double inv, const float *scale,
			  size_t sstride, const float *bias, size_t bstride);
/* out[i] = (in[i] - m) * a + b in double */
void kinfer_math_affine(float *out, const float *in, size_t n, double m,
			double a, double b);

/* Natural log in double, relative error < 1e-15 (logd.h). */
double kinfer_logd(double x);

/* Scalar functions, exported for tests; ~1-2 ulp, see expf.h and tanh.c. */
float kinfer_expf(float x);
float kinfer_sigmoidf(float x);
float kinfer_tanhf(float x);

/*
 * Elementwise ops of one float32 input (the unary class): out[i] = f(in[i])
 * for i < n, out == in allowed; alpha and beta are the op's parameters.
 * Accuracy is stated in each op's file; NaN stays NaN.
 */
void kinfer_math_leaky_relu(float *out, const float *in, size_t n, float alpha);
void kinfer_math_elu(float *out, const float *in, size_t n, float alpha);
void kinfer_math_selu(float *out, const float *in, size_t n, float alpha,
		      float gamma);
void kinfer_math_celu(float *out, const float *in, size_t n, float alpha);
void kinfer_math_thresholded_relu(float *out, const float *in, size_t n,
				  float alpha);
void kinfer_math_hard_sigmoid(float *out, const float *in, size_t n,
			      float alpha, float beta);
void kinfer_math_hard_swish(float *out, const float *in, size_t n);
void kinfer_math_softplus(float *out, const float *in, size_t n);
void kinfer_math_softsign(float *out, const float *in, size_t n);
void kinfer_math_mish(float *out, const float *in, size_t n);
void kinfer_math_erf(float *out, const float *in, size_t n);
void kinfer_math_gelu(float *out, const float *in, size_t n);
void kinfer_math_gelu_tanh(float *out, const float *in, size_t n);
void kinfer_math_sqrt(float *out, const float *in, size_t n);
void kinfer_math_exp(float *out, const float *in, size_t n);
void kinfer_math_log(float *out, const float *in, size_t n);
void kinfer_math_abs(float *out, const float *in, size_t n);
void kinfer_math_sign(float *out, const float *in, size_t n);
void kinfer_math_floor(float *out, const float *in, size_t n);
void kinfer_math_ceil(float *out, const float *in, size_t n);
void kinfer_math_round(float *out, const float *in, size_t n);
void kinfer_math_clip(float *out, const float *in, size_t n, float lo,
		      float hi);

/*
 * out[i] = in[i] converted to out_dtype, i < n (enum kinfer_dtype:
 * float32, int32, int64, bool); out == in allowed when the element sizes
 * are equal.  See cast.c for the conversions of out-of-range values.
 */
void kinfer_math_cast(void *out, uint32_t out_dtype, const void *in,
		      uint32_t in_dtype, size_t n);

/*
 * More scalar functions, exported for tests (accuracy in each file):
 * log.c, erf.c (erf.h), pow.c, softplus.c, mish.c, gelu.c, gelu_tanh.c.
 */
float kinfer_logf(float x);
float kinfer_erff(float x);
float kinfer_powf(float x, float y);
float kinfer_softplusf(float x);
float kinfer_mishf(float x);
float kinfer_geluf(float x);
float kinfer_gelu_tanhf(float x);

/*
 * A unary op as a row function: out[i] = f(in[i]) for i < n, with the
 * op's attribute block (or NULL).  Fused activations are applied this way.
 */
typedef void (*kinfer_row_fn)(float *out, const float *in, size_t n,
			      const void *attr);

/* The row function of a unary-class op, or NULL for any other op. */
kinfer_row_fn kinfer_unary_row(uint32_t op);

/*
 * Define a unary op's row function and eval from its primitive:
 *	KINFER_UNARY_OP0(relu)		kinfer_math_relu(out, in, n)
 *	KINFER_UNARY_OP1(elu)		kinfer_math_elu(out, in, n, alpha)
 *	KINFER_UNARY_OP2(clip)		kinfer_math_clip(out, in, n, alpha, beta)
 */
#define KINFER_UNARY_EVAL(name)						\
int kinfer_eval_##name(const struct kinfer_exec *ex, uint64_t begin,	\
		       uint64_t end)					\
{									\
	kinfer_row_##name((float *)ex->t[1].data + begin,		\
			  (const float *)ex->t[0].data + begin,		\
			  end - begin, ex->attr);			\
	return 0;							\
}

#define KINFER_UNARY_OP0(name)						\
void kinfer_row_##name(float *out, const float *in, size_t n,		\
		       const void *attr)				\
{									\
	kinfer_math_##name(out, in, n);					\
}									\
KINFER_UNARY_EVAL(name)

#define KINFER_UNARY_OP1(name)						\
void kinfer_row_##name(float *out, const float *in, size_t n,		\
		       const void *attr)				\
{									\
	const struct kinfer_attr_alpha *a = attr;			\
									\
	kinfer_math_##name(out, in, n, a->alpha.f);			\
}									\
KINFER_UNARY_EVAL(name)

#define KINFER_UNARY_OP2(name)						\
void kinfer_row_##name(float *out, const float *in, size_t n,		\
		       const void *attr)				\
{									\
	const struct kinfer_attr_alpha_beta *a = attr;			\
									\
	kinfer_math_##name(out, in, n, a->alpha.f, a->beta.f);		\
}									\
KINFER_UNARY_EVAL(name)

/*
 * Sliding windows along one row (conv.c, conv_transpose.c, maxpool.c,
 * averagepool.c, lppool.c): output j's window has its taps t < k at
 * x[start + j * stride + t * dil].  Taps outside x[0, xlen) (padding) are
 * skipped, never read; for each y[j] the taps are taken in increasing t.
 * @y must not overlap @x or @w; stride, dil >= 1.
 */

/* y[j] += sum_t w[t] * x[start + j * stride + t * dil]		j < n */
void kinfer_math_conv_row(float *y, size_t n, const float *x, size_t xlen,
			  const float *w, size_t k, size_t stride, size_t dil,
			  ptrdiff_t start);

/*
 * y[j] += sum w[t] * x[i] over t < k, i < xlen with
 * q0 + j == i * stride + t * dil				j < n
 * (one output row of a transposed convolution; q0 >= 0).
 */
void kinfer_math_conv_transpose_row(float *y, size_t n, const float *x,
				    size_t xlen, const float *w, size_t k,
				    size_t stride, size_t dil, size_t q0);

/*
 * y[j] = max(y[j], taps), NaN when any is NaN.  With @idx (else NULL):
 * where y[j] takes a tap's value, or idx[j] < 0, idx[j] = ibase + pos *
 * istride for the tap's position pos in x: the first largest tap wins.
 */
void kinfer_math_max_row(float *y, int64_t *idx, size_t n, const float *x,
			 size_t xlen, size_t k, size_t stride, size_t dil,
			 ptrdiff_t start, int64_t ibase, int64_t istride);

/* y[j] += sum_t x[start + j * stride + t * dil]			j < n */
void kinfer_math_sum_row(float *y, size_t n, const float *x, size_t xlen,
			 size_t k, size_t stride, size_t dil, ptrdiff_t start);

/* y[j] += sum_t |x[start + j * stride + t * dil]|^p		j < n */
void kinfer_math_lp_row(float *y, size_t n, const float *x, size_t xlen,
			size_t k, size_t stride, size_t dil, ptrdiff_t start,
			unsigned int p);

/* s^(1/p) for s >= 0 (NaN, 0 and +inf map to themselves), p >= 1. */
float kinfer_rootf(float s, unsigned int p);

#ifdef __cplusplus
}
#endif

#endif /* _KINFER_MATH_H */
