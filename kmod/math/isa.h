/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instruction-set variants of the hot compute kernels, behind one table.
 *
 * The module picks the best variant the CPU and the kernel's saved
 * xfeatures allow once at load (kmod/isa.c, module parameter "isa"); the
 * userspace build picks from the CPU and $KINFER_ISA (the loader).  Every
 * eval reads the table once, so a switch while runs are in flight takes
 * effect at the next node.  A variant is only ever called inside an FPU
 * section whose kernel_fpu_begin() saved the state it uses.
 */
#ifndef _KINFER_MATH_ISA_H
#define _KINFER_MATH_ISA_H

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kinfer_isa {
	KINFER_ISA_GENERIC,	/* x86-64 baseline: SSE2 */
	KINFER_ISA_AVX2,	/* AVX2 + FMA */
	KINFER_ISA_AVX512,	/* AVX-512F + FMA */
	KINFER_ISA_COUNT,
};

/*
 * y[i * ldy + j] = (@acc ? y[i * ldy + j] : 0)
 *		    + sum_l a[i * lda + l] * B(l, j)
 *	for i < m, j < n, where
 * B(l, j) = b[(j / KINFER_GEMM_ALIGN) * bps + l * ldb + j % KINFER_GEMM_ALIGN]
 *	: B as column panels KINFER_GEMM_ALIGN wide, @bps floats apart.  A
 *	row-major B has @bps = KINFER_GEMM_ALIGN; a B packed at load in
 *	panels (KINFER_MATMUL_B_PANELS) has @ldb = 16 and @bps = 16 * K:
 *	each panel is one sequential stream, which the prefetcher follows.
 * @y must not overlap @a or @b.  The order of the sums is part of the
 * contract, the same in every variant (see gemm_tile.h for what that
 * buys): for j below the last multiple of KINFER_GEMM_ALIGN, one chain of
 * multiply-adds over l in increasing order, continued from y with @acc;
 * for the columns past it, KINFER_GEMM_CHAINS chains (l % 8), added as
 * ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then to y or 0.
 */
#define KINFER_GEMM_ALIGN	16
#define KINFER_GEMM_CHAINS	8

typedef void (*kinfer_gemm_fn)(float *y, size_t ldy, const float *a,
			       size_t lda, const float *b, size_t ldb,
			       size_t bps, size_t m, size_t k, size_t n,
			       bool acc);

/* out[i] = f(in[i]) for i < n; the row kernels of vmath.h. */
typedef void (*kinfer_vmap_fn)(float *out, const float *in, size_t n);
/* y[i] += c[i] for i < n, then relu when asked: a bias row. */
typedef void (*kinfer_vbias_fn)(float *y, const float *c, size_t n,
				bool relu);
/* Softmax of one row of n elements, stride apart. */
typedef void (*kinfer_vsoftmax_fn)(float *out, const float *in, size_t n,
				   size_t stride);
/* LayerNormalization of one contiguous row; @bias may be NULL. */
typedef void (*kinfer_vnorm_fn)(float *y, const float *x, size_t n,
				const float *scale, const float *bias,
				double eps, double *mean, double *inv);

/*
 * Columns of nrows output rows of a convolution (row r's x and y advanced
 * by r * xstep and r * ystep), for nq <= 4 output channels q (output rows
 * ys apart):
 *	y[q * ys + j] = bias[q] + sum over c < nc, i < nr, t < kw with
 *	0 <= p < xlen of w[q * wq + c * wc + i * kw + t] * x[c * xc + i * xs + p],
 *	p = j * s - pad + t,
 * s 1 or 2, bias NULL for none; then v = v < lo ? lo : v and
 * v = v > hi ? hi : v (Relu and Clip exactly; -inf, inf: no change, NaN
 * included).  Reads no x outside those rows' [0, xlen).  One chain per
 * output from its bias, over c, then i, then t, increasing: separately
 * rounded products and sums in the generic variant, fused multiply-adds
 * in the others (see convrow_tile.h).
 */
#define KINFER_CONVROW_MAXQ	4

struct kinfer_convrow {
	const float *x;		/* input row under kernel row 0, channel 0 */
	size_t xc, xs, xlen;	/* channels, kernel rows apart; row length */
	const float *w;		/* kernel row 0 of channel 0 of output 0 */
	size_t wq, wc;		/* outputs, input channels apart */
	const float *bias;
	float *y;		/* output row of output 0 */
	size_t ys;
	size_t nq, nc, nr, kw, s, pad;
	float lo, hi;		/* the clamp */
	size_t nrows, xstep, ystep;
};

/* Columns [j0, j1) of @r's output rows. */
typedef void (*kinfer_convrow_fn)(const struct kinfer_convrow *r, size_t j0,
				  size_t j1);

/*
 * MATMUL_I8 (uapi/kinfer.h has the formula and W's panel layout): rows
 * [m0, m1) by columns [n0, n1) of y.  acc is summed in 32-bit integers
 * modulo 2^32 (exact for the loader's wsum), float(acc) rounds to
 * nearest, then fl(fl(acc * scale[n]) + b[n]) with b[n] = bias[n] or 0.0f
 * (added either way: -0.0 + 0.0 is 0.0), then y < 0 -> 0 with relu.  No
 * fused multiply-add, so every variant gives the same bits.  Reads only
 * W's panels that columns [n0, n1) fall in (their padding included, but
 * never used), scale, wsum and bias only at [n0, n1).
 */
#define KINFER_QGEMM_PANEL	16
#define KINFER_QGEMM_GROUP	4

struct kinfer_qgemm {
	const int8_t *x;	/* row 0 of X; rows ldx bytes apart */
	size_t ldx;
	const int8_t *w;	/* [ceil(N / 16)][ceil(k / 4)][64] */
	const float *scale;	/* [N] */
	const int32_t *wsum;	/* [N] */
	const float *bias;	/* [N] or NULL */
	float *y;		/* row 0 of Y; rows ldy floats apart */
	size_t ldy;
	size_t k;		/* 1..65535 */
	bool relu;
};

typedef void (*kinfer_qgemm_fn)(const struct kinfer_qgemm *q, size_t m0,
				size_t m1, size_t n0, size_t n1);

/*
 * QUANTIZE's row (math/quantize.h has the scalar rule every variant
 * matches bit for bit): y[i] = clamp(round(x[i] / scale) + zero_point)
 * for i < n, rounding half away from zero, NaN to zero_point.
 */
typedef void (*kinfer_quantize_fn)(int8_t *y, const float *x, size_t n,
				   float scale, int32_t zero_point);

struct kinfer_isa_ops {
	const char *name;
	kinfer_vmap_fn erf;		/* erf(x), within 2 ulp */
	kinfer_vmap_fn gelu;		/* x * Phi(x), within 6 ulp */
	kinfer_vbias_fn add_bias;	/* y += c, then relu if asked */
	kinfer_vsoftmax_fn softmax;	/* one row of n, stride apart */
	kinfer_vnorm_fn layer_norm;
	kinfer_gemm_fn gemm;
	kinfer_convrow_fn convrow;
	kinfer_qgemm_fn qgemm;
	kinfer_quantize_fn quantize;
};

void kinfer_gemm_generic(float *y, size_t ldy, const float *a, size_t lda,
			 const float *b, size_t ldb, size_t bps, size_t m,
			 size_t k, size_t n, bool acc);
void kinfer_gemm_avx2(float *y, size_t ldy, const float *a, size_t lda,
		      const float *b, size_t ldb, size_t bps, size_t m,
		      size_t k, size_t n, bool acc);
void kinfer_gemm_avx512(float *y, size_t ldy, const float *a, size_t lda,
			const float *b, size_t ldb, size_t bps,
			size_t m, size_t k, size_t n, bool acc);

#define KINFER_VM_DECL(isa)						\
void kinfer_vm_erf_##isa(float *out, const float *in, size_t n);	\
void kinfer_vm_gelu_##isa(float *out, const float *in, size_t n);	\
void kinfer_vm_add_bias_##isa(float *y, const float *c, size_t n,	\
			      bool relu);				\
void kinfer_vm_softmax_##isa(float *out, const float *in, size_t n,	\
			     size_t stride);				\
void kinfer_vm_layer_norm_##isa(float *y, const float *x, size_t n,	\
				const float *scale, const float *bias,	\
				double eps, double *mean, double *inv)
KINFER_VM_DECL(generic);
KINFER_VM_DECL(avx2);
KINFER_VM_DECL(avx512);

void kinfer_convrow_generic(const struct kinfer_convrow *r, size_t j0,
			    size_t j1);
void kinfer_convrow_avx2(const struct kinfer_convrow *r, size_t j0,
			 size_t j1);
void kinfer_convrow_avx512(const struct kinfer_convrow *r, size_t j0,
			   size_t j1);

#define KINFER_QGEMM_DECL(isa)						\
void kinfer_qgemm_##isa(const struct kinfer_qgemm *q, size_t m0,	\
			size_t m1, size_t n0, size_t n1);		\
void kinfer_quantize_##isa(int8_t *y, const float *x, size_t n,	\
			   float scale, int32_t zero_point)
KINFER_QGEMM_DECL(generic);
KINFER_QGEMM_DECL(avx2);
void kinfer_quantize_avx512(int8_t *y, const float *x, size_t n, float scale,
			    int32_t zero_point);
void kinfer_qgemm_avx512vnni(const struct kinfer_qgemm *q, size_t m0,
			     size_t m1, size_t n0, size_t n1);
/*
 * The avx512 table's MATMUL_I8: kinfer_qgemm_avx512vnni() when
 * kinfer_isa_set_vnni() allowed it, else kinfer_qgemm_avx2().
 */
void kinfer_qgemm_avx512(const struct kinfer_qgemm *q, size_t m0, size_t m1,
			 size_t n0, size_t n1);

/*
 * Whether the avx512 table runs MATMUL_I8 on AVX512_VNNI (vpdpbusd): the
 * module sets it at load from CPUID (kmod/isa.c), userspace on first use
 * from the CPU; tests and benchmarks may turn it off.  @on must only be
 * true on a CPU with AVX512_VNNI and AVX512BW.
 */
void kinfer_isa_set_vnni(bool on);
bool kinfer_isa_vnni(void);

/*
 * The best variant this CPU allows: in the kernel, also only those whose
 * registers kernel_fpu_begin() saves (kmod/isa.c); in userspace, lowered
 * by $KINFER_ISA (math/isa.c).
 */
enum kinfer_isa kinfer_isa_best(void);

/* The table of @isa (KINFER_ISA_GENERIC when out of range). */
const struct kinfer_isa_ops *kinfer_isa_table(enum kinfer_isa isa);

/* The running variant's table. */
const struct kinfer_isa_ops *kinfer_isa_ops(void);

/* The running variant (userspace: chosen on first use). */
enum kinfer_isa kinfer_isa_get(void);

/*
 * Run @isa from the next eval on.  The caller checked that this CPU can
 * (and, in the kernel, that kernel_fpu_begin() saves its registers).
 * Return: 0, or -EINVAL for an unknown @isa.
 */
int kinfer_isa_set(enum kinfer_isa isa);

/* "generic", "avx2", "avx512" -> the enum; -EINVAL for anything else. */
int kinfer_isa_parse(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* _KINFER_MATH_ISA_H */
