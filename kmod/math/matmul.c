// SPDX-License-Identifier: GPL-2.0
/*
 * Matrix products.  The primitives follow Flax's y = x . W + b with W
 * stored [in_features, out_features]; the MATMUL eval builds ONNX MatMul
 * and Gemm (transposes, alpha, beta, a broadcast C, batches and a fused
 * activation) from them.
 *
 * Loop order l, j in kinfer_math_dense_acc(): the inner loop walks one row
 * of W and of y contiguously, which the compiler vectorises.
 */
#include "bcast.h"
#include "math/isa.h"
#include "kinfer_math.h"

void kinfer_math_dense_acc(float *restrict y, const float *restrict x,
			   size_t xs, const float *restrict w, size_t k,
			   size_t n, size_t ldw)
{
	size_t j, l;

	for (l = 0; l < k; l++) {
		const float *restrict wl = w + l * ldw;
		const float xl = x[l * xs];

		for (j = 0; j < n; j++)
			y[j] += xl * wl[j];
	}
}

void kinfer_math_dot_rows(float *restrict y, const float *restrict x,
			  size_t xs, const float *restrict w, size_t k,
			  size_t n, size_t ldw)
{
	size_t j, l;

	for (j = 0; j < n; j++) {
		const float *restrict wj = w + j * ldw;
		float sum = 0.0f;

		for (l = 0; l < k; l++)
			sum += x[l * xs] * wj[l];
		y[j] = sum;
	}
}

void kinfer_math_dense(float *restrict out, const float *restrict in,
		       const float *restrict w, const float *restrict b,
		       size_t m, size_t k, size_t n)
{
	size_t i, j;

	for (i = 0; i < m; i++) {
		float *restrict y = out + i * n;

		for (j = 0; j < n; j++)
			y[j] = b ? b[j] : 0.0f;
		kinfer_math_dense_acc(y, in + i * k, 1, w, k, n, n);
	}
}

/* Element offsets of batch @batch's matrices in A, B and Y. */
static void batch_offsets(const struct kinfer_matmul_plan *mm, uint64_t batch,
			  uint64_t *oa, uint64_t *ob)
{
	struct kinfer_bcast_pos p;

	kinfer_bcast_seek(&mm->batch, batch, &p);
	*oa = p.off[0] * mm->m * mm->k;
	*ob = p.off[1] * mm->k * mm->n;
}

/* Four floats in one SSE register (GCC vectors). */
#define MM_V4F	float __attribute__((vector_size(16)))

/*
 * y[j] += beta * c[j], four at a time.  Each element is still one product
 * and one sum, rounded separately.
 */
static void add_scaled(float *y, const float *c, float beta, uint64_t n)
{
	uint64_t j;

	for (j = 0; j + 4 <= n; j += 4) {
		MM_V4F vy, vc;

		memcpy(&vy, y + j, sizeof(vy));
		memcpy(&vc, c + j, sizeof(vc));
		vy += beta * vc;
		memcpy(y + j, &vy, sizeof(vy));
	}
	for (; j < n; j++)
		y[j] += beta * c[j];
}

/*
 * y[0..nb) = alpha * y + beta * C[row, j0..], then the activation.  The
 * usual bias row (beta 1, a contiguous C) goes through the ISA's row
 * kernel with a Relu in the same pass: for a small layer the epilogue
 * costs as much as the product.
 */
static void finish_block(const struct kinfer_exec *ex, float *y, uint64_t yo,
			 uint64_t nb)
{
	const struct kinfer_attr_matmul *a = ex->attr;
	const struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const float *c = ex->n_in == 3 ? (const float *)ex->t[2].data : NULL;
	uint32_t act = a->act;
	uint64_t j;

	if (a->alpha.f != 1.0f)
		for (j = 0; j < nb; j++)
			y[j] *= a->alpha.f;
	if (c) {
		struct kinfer_bcast_pos p;
		uint64_t step = mm->c.stride[0][mm->c.rank - 1];

		kinfer_bcast_seek(&mm->c, yo, &p);
		if (step == 1 && a->beta.f == 1.0f) {
			kinfer_isa_ops()->add_bias(y, c + p.off[0], nb,
						   act == KINFER_OP_RELU);
			if (act == KINFER_OP_RELU)
				act = 0;
		} else if (step == 1) {
			add_scaled(y, c + p.off[0], a->beta.f, nb);
		} else {
			for (j = 0; j < nb; j++)
				y[j] += a->beta.f * c[p.off[0] + j * step];
		}
	}
	if (act) {
		kinfer_row_fn fn = kinfer_unary_row(act);

		fn(y, y, nb, &a->act_attr);
	}
}

/* One row of the product the GEMM kernels do not take (transposed A or B). */
static void strided_row(const struct kinfer_matmul_plan *mm, float *y,
			const float *x, const float *w, uint64_t nb)
{
	if (mm->b_ns == 1) {
		memset(y, 0, nb * sizeof(float));
		kinfer_math_dense_acc(y, x, mm->a_ks, w, mm->k, nb, mm->b_ks);
	} else {
		kinfer_math_dot_rows(y, x, mm->a_ks, w, mm->k, nb, mm->b_ns);
	}
}

int kinfer_eval_matmul(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	const struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const struct kinfer_isa_ops *isa = kinfer_isa_ops();
	const float *pa = (const float *)ex->t[0].data;
	const float *pb = (const float *)ex->t[1].data;
	float *py = (float *)ex->t[ex->n_in].data;
	uint64_t u, r;

	for (u = begin; u < end; u++) {
		uint64_t r0 = u % mm->row_blocks * mm->rows;
		uint64_t kb = u / mm->row_blocks % mm->k_blocks;
		uint64_t blk = u / mm->row_blocks / mm->k_blocks % mm->col_blocks;
		uint64_t batch = u / mm->row_blocks / mm->k_blocks /
				 mm->col_blocks;
		uint64_t j0 = blk * mm->col_block, l0 = kb * mm->k_block;
		uint64_t nb = kinfer_min_u64(mm->col_block, mm->n - j0);
		uint64_t nr = kinfer_min_u64(mm->rows, mm->m - r0);
		uint64_t nk = kinfer_min_u64(mm->k_block, mm->k - l0);
		uint64_t yo = (batch * mm->m + r0) * mm->n + j0;
		const float *x, *w;
		uint64_t oa, ob;

		batch_offsets(mm, batch, &oa, &ob);
		x = pa + oa + r0 * mm->a_rs;
		/* with panels, j0 is a multiple of the 64-column block */
		w = mm->b_ps ? pb + j0 / KINFER_GEMM_ALIGN * mm->b_ps :
			       pb + ob + j0 * mm->b_ns;
		if (mm->a_ks == 1 && mm->b_ns == 1)
			isa->gemm(py + yo, mm->n, x + l0, mm->a_rs,
				  w + l0 * mm->b_ks, mm->b_ks,
				  mm->b_ps ? mm->b_ps : KINFER_GEMM_ALIGN,
				  nr, nk, nb, kb > 0);
		else
			for (r = 0; r < nr; r++)
				strided_row(mm, py + yo + r * mm->n,
					    x + r * mm->a_rs, w, nb);
		if (kb + 1 < mm->k_blocks)
			continue;
		for (r = 0; r < nr; r++)
			finish_block(ex, py + yo + r * mm->n, yo + r * mm->n,
				     nb);
	}
	return 0;
}
