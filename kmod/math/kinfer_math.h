/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kinfer math primitives.
 *
 * Tensors are IEEE-754 binary32, row-major, contiguous.  Shapes are given
 * next to each pointer.  The caller guarantees every pointer covers its
 * shape and that products of dimensions fit in size_t; nothing is checked
 * here (validation lives in kmod/ops/).  In the kernel every call must sit
 * inside kernel_fpu_begin()/kernel_fpu_end().
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
 * y[j] += sum_l x[l] * w[l * ldw + j]	one tile of one dense row
 *
 * @y:   [n]        must not overlap @x or @w
 * @x:   [k]
 * @w:   [k, ldw]   only columns [0, n) are read; ldw >= n
 *
 * Lets a row too large for one FPU section be computed tile by tile:
 * for each y[j] the products are added in the same l order as
 * kinfer_math_dense(), so the result is bit-identical.
 */
void kinfer_math_dense_acc(float *y, const float *x, const float *w,
			   size_t k, size_t n, size_t ldw);

/* out[i] = in[i] < 0 ? 0 : in[i]		@out, @in: [n], out == in allowed */
void kinfer_math_relu(float *out, const float *in, size_t n);

/* out[i] = 1 / (1 + exp(-in[i]))		@out, @in: [n], out == in allowed */
void kinfer_math_sigmoid(float *out, const float *in, size_t n);

/* out[i] = tanh(in[i])				@out, @in: [n], out == in allowed */
void kinfer_math_tanh(float *out, const float *in, size_t n);

/*
 * out[r, i] = exp(in[r, i] - max_r) / sum_j exp(in[r, j] - max_r)
 *
 * @out: [rows, n]   must not overlap @in
 * @in:  [rows, n]
 */
void kinfer_math_softmax(float *out, const float *in, size_t rows, size_t n);

/*
 * out[i] = a[i] + b[i % nb]   (numpy broadcast of a trailing-suffix shape)
 *
 * @out: [n]   out == a allowed; otherwise must not overlap @a
 * @a:   [n]
 * @b:   [nb]  nb >= 1 divides n; must not overlap @out unless b == out, nb == n
 */
void kinfer_math_add(float *out, const float *a, size_t n,
		     const float *b, size_t nb);

/* out[i] = a[i] * b[i % nb]	same shapes and rules as kinfer_math_add() */
void kinfer_math_mul(float *out, const float *a, size_t n,
		     const float *b, size_t nb);

/* Scalar functions, exported for tests; ~1-2 ulp, see expf.h and tanh.c. */
float kinfer_expf(float x);
float kinfer_sigmoidf(float x);
float kinfer_tanhf(float x);

#ifdef __cplusplus
}
#endif

#endif /* _KINFER_MATH_H */
