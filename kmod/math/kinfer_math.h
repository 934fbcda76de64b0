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

/* Scalar functions, exported for tests; ~1-2 ulp, see expf.h and tanh.c. */
float kinfer_expf(float x);
float kinfer_sigmoidf(float x);
float kinfer_tanhf(float x);

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

#ifdef __cplusplus
}
#endif

#endif /* _KINFER_MATH_H */
