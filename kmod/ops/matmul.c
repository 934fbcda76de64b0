// SPDX-License-Identifier: GPL-2.0
/*
 * MATMUL: Y = act(alpha * op(A) . op(B) + beta * C)   (ONNX MatMul, Gemm,
 * and MatMul + Add + activation after fusion).
 *
 *	A [..., M, K]	(trans_a: [..., K, M]), float32
 *	B [..., K, N]	(trans_b: [..., N, K]), float32
 *	C		optional, broadcast onto Y as numpy does
 *	Y [..., M, N]	batch dimensions: the broadcast of A's and B's
 *
 * A unit is a tile of up to KINFER_MM_ROWS rows by col_block columns of
 * one batch, over one chunk of k_block of the K products: at most one
 * section of multiply-adds.  A tile's chunks run in order and carry the
 * sums in Y, so every Y element is still one chain over K.  Row blocks
 * are innermost: the chunk of B they share stays in the L1 cache.  With
 * a transposed A or B (the strided path), a unit is one row over all of
 * K, so K must fit one section there (K <= KINFER_FPU_CHUNK).  B in
 * panels (KINFER_MATMUL_B_PANELS) is the GEMM kernels' own layout.
 */
#include "ops/exec.h"
#include "math/isa.h"

static_assert(KINFER_MATMUL_PANEL == KINFER_GEMM_ALIGN,
	      "B's panels are the GEMM kernels' column panels");

#define KINFER_MM_ROWS		32U
/* Column blocks: 4 AVX-512 vectors wide, the GEMM kernels' widest strip. */
#define KINFER_MM_COLS		64U
#define KINFER_MM_VEC		16U
static_assert(KINFER_MM_COLS % KINFER_MATMUL_PANEL == 0,
	      "a column block starts at a panel");

/* The batch part (all but the last two axes) of a matrix tensor. */
static void batch_view(struct kinfer_view *b, const struct kinfer_view *v)
{
	memset(b, 0, sizeof(*b));
	b->rank = v->rank - 2;
	memcpy(b->dims, v->dims, b->rank * sizeof(v->dims[0]));
}

/*
 * The fused activation is a unary op whose attributes ride in act_attr:
 * the fields its attribute block does not have must be 0.
 */
static int check_act(const struct kinfer_attr_matmul *a)
{
	const struct kinfer_op_desc *act;

	if (!a->act)
		return a->act_attr.alpha.bits || a->act_attr.beta.bits ?
		       -EINVAL : 0;
	act = kinfer_op_desc(a->act);
	if (!act || act->prepare != kinfer_prepare_unary)
		return -EINVAL;
	if (act->attr_bytes < sizeof(a->act_attr.alpha) && a->act_attr.alpha.bits)
		return -EINVAL;
	if (act->attr_bytes < sizeof(a->act_attr) && a->act_attr.beta.bits)
		return -EINVAL;
	return 0;
}

static int check_attrs(const struct kinfer_exec *ex)
{
	const struct kinfer_attr_matmul *a = ex->attr;
	bool has_c = ex->n_in == 3 && kinfer_in((struct kinfer_exec *)ex, 2)->data;

	if (a->trans_a > 1 || a->trans_b > 1 ||
	    a->b_layout > KINFER_MATMUL_B_PANELS)
		return -EINVAL;
	if (a->b_layout == KINFER_MATMUL_B_PANELS &&
	    (a->trans_a || a->trans_b))
		return -EINVAL;
	if (!has_c && a->beta.bits)
		return -EINVAL;
	return check_act(a);
}

/* The shape of a unit: rows * col_block * k_block <= KINFER_FPU_CHUNK. */
static void tile_shape(struct kinfer_matmul_plan *mm)
{
	uint64_t cols = kinfer_min_u64(mm->n, KINFER_MM_COLS);

	if (mm->a_ks != 1 || mm->b_ns != 1) {	/* strided: one row, all of K */
		mm->rows = 1;
		mm->k_block = mm->k;
		cols = kinfer_max_u64(1, KINFER_FPU_CHUNK / mm->k);
	} else {
		mm->rows = kinfer_min_u64(KINFER_MM_ROWS, mm->m);
		/*
		 * One row block shares no chunk of B: take as many whole
		 * column blocks as a section allows with all of K, so a
		 * small layer is one unit, not one per 64 columns.
		 */
		if (mm->m <= KINFER_MM_ROWS) {
			uint64_t fit = KINFER_FPU_CHUNK / (mm->rows * mm->k);

			fit -= fit % KINFER_MM_COLS;
			cols = kinfer_min_u64(mm->n,
					      kinfer_max_u64(KINFER_MM_COLS, fit));
		}
		mm->k_block = kinfer_min_u64(mm->k, KINFER_FPU_CHUNK /
					     (mm->rows * cols));
	}
	mm->col_block = kinfer_min_u64(cols, mm->n);
	mm->col_blocks = (mm->n + mm->col_block - 1) / mm->col_block;
	mm->row_blocks = (mm->m + mm->rows - 1) / mm->rows;
	mm->k_blocks = (mm->k + mm->k_block - 1) / mm->k_block;
}

/* B as [ceil(N / 16), K, 16] panels: K is its middle axis, N is Y's. */
static int panel_geometry(struct kinfer_matmul_plan *mm,
			  const struct kinfer_view *vb, uint64_t n)
{
	if (vb->rank != 3 || vb->dims[2] != KINFER_MATMUL_PANEL ||
	    vb->dims[0] != (n + KINFER_MATMUL_PANEL - 1) / KINFER_MATMUL_PANEL)
		return -EINVAL;
	mm->n = n;
	mm->k = vb->dims[1];
	mm->b_ks = KINFER_MATMUL_PANEL;
	mm->b_ns = 1;
	mm->b_ps = KINFER_MATMUL_PANEL * mm->k;
	return 0;
}

int kinfer_prepare_matmul(struct kinfer_exec *ex)
{
	const struct kinfer_attr_matmul *a = ex->attr;
	struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const struct kinfer_view *va = kinfer_in(ex, 0);
	const struct kinfer_view *vb = kinfer_in(ex, 1);
	const struct kinfer_view *vc = ex->n_in == 3 ? kinfer_in(ex, 2) : NULL;
	const struct kinfer_view *vy = kinfer_out(ex, 0);
	struct kinfer_view ba, bb, by;
	const struct kinfer_view *ops[2] = { &ba, &bb };
	uint32_t ra = va->rank, rb = vb->rank, ry = vy->rank;
	uint64_t ka, kb;
	int ret;

	ret = kinfer_check_arity(ex, 2, 3, 1, 1);
	if (ret)
		return ret;
	if (va->dtype != KINFER_DTYPE_FLOAT32 ||
	    vb->dtype != KINFER_DTYPE_FLOAT32 ||
	    vy->dtype != KINFER_DTYPE_FLOAT32 ||
	    (vc && vc->data && vc->dtype != KINFER_DTYPE_FLOAT32))
		return -EINVAL;
	ret = check_attrs(ex);
	if (ret)
		return ret;
	if (ra < 2 || rb < 2 || ry < 2)
		return -EINVAL;

	mm->m = a->trans_a ? va->dims[ra - 1] : va->dims[ra - 2];
	ka = a->trans_a ? va->dims[ra - 2] : va->dims[ra - 1];
	if (a->b_layout == KINFER_MATMUL_B_PANELS) {
		ret = panel_geometry(mm, vb, vy->dims[ry - 1]);
		if (ret)
			return ret;
		kb = mm->k;
	} else {
		kb = a->trans_b ? vb->dims[rb - 1] : vb->dims[rb - 2];
		mm->n = a->trans_b ? vb->dims[rb - 2] : vb->dims[rb - 1];
		/* Element strides inside one matrix. */
		mm->b_ks = a->trans_b ? 1 : mm->n;
		mm->b_ns = a->trans_b ? ka : 1;
		mm->b_ps = 0;
	}
	mm->k = ka;
	if (ka != kb || vy->dims[ry - 2] != mm->m || vy->dims[ry - 1] != mm->n)
		return -EINVAL;
	if (mm->k > KINFER_FPU_CHUNK)
		return -E2BIG;
	mm->a_rs = a->trans_a ? 1 : mm->k;
	mm->a_ks = a->trans_a ? mm->m : 1;

	batch_view(&ba, va);
	batch_view(&bb, vb);
	if (mm->b_ps)
		bb.rank = 0;	/* one matrix for every batch */
	batch_view(&by, vy);
	ret = kinfer_bcast_init(&mm->batch, &by, ops, 2, true);
	if (ret)
		return ret;
	mm->batches = kinfer_dims_product(by.dims, 0, by.rank);
	if (vc && vc->data) {
		const struct kinfer_view *c[1] = { vc };

		ret = kinfer_bcast_init(&mm->c, vy, c, 1, false);
		if (ret)
			return ret;
	}

	tile_shape(mm);
	return kinfer_plan_units(ex, mm->batches * mm->col_blocks *
				 mm->k_blocks * mm->row_blocks,
				 mm->rows * mm->col_block * mm->k_block *
				 ex->desc->cost);
}
