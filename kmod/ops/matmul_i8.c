// SPDX-License-Identifier: GPL-2.0
/*
 * The matmul_i8 class: MATMUL_I8, a float MatMul whose constant B the
 * loader quantised to int8 (struct kinfer_attr_matmul_i8).
 *
 *	X int8 [..., K], W int8 [ceil(N / 16), ceil(K / 4), 64],
 *	scale float [N], wsum int32 [N], bias float [N] (optional),
 *	Y float [..., N]
 *
 * A unit is a block of up to KINFER_MMI8_ROWS rows by col_block columns
 * (whole 16-column panels when one fits a section), all of K each: at most
 * one section of work.  A work unit is one 4-k group of one output: the
 * four products one lane of VNNI's vpdpbusd adds in one instruction, about
 * what one float multiply-add costs (a section of MATMUL_I8 then takes as
 * long as one of MATMUL, and its units are wide enough for the kernels'
 * 8-row, 2-panel tiles: with a product per unit, MiniLM's K = 1536 layers
 * got 10-row units and ran 1.6x slower than the K = 384 ones).  Row
 * blocks are innermost, so the panels they share stay in the cache.
 */
#include "ops/exec.h"

#define KINFER_MMI8_ROWS	16U

static_assert(KINFER_MATMUL_I8_MAX_K + KINFER_MATMUL_I8_GROUP <
	      KINFER_FPU_CHUNK / 2, "two outputs of the longest K fit a section");

static bool is_vector(const struct kinfer_view *v, uint32_t dtype, uint64_t n)
{
	return v->dtype == dtype && v->rank == 1 && v->dims[0] == n;
}

static int check_tensors(struct kinfer_exec *ex, uint64_t k, uint64_t n)
{
	const struct kinfer_view *w = kinfer_in(ex, 1);
	const struct kinfer_view *b = ex->n_in > 4 ? kinfer_in(ex, 4) : NULL;

	if (w->dtype != KINFER_DTYPE_INT8 || w->rank != 3 ||
	    w->dims[0] != (n + KINFER_MATMUL_I8_PANEL - 1) / KINFER_MATMUL_I8_PANEL ||
	    w->dims[1] != (k + KINFER_MATMUL_I8_GROUP - 1) / KINFER_MATMUL_I8_GROUP ||
	    w->dims[2] != KINFER_MATMUL_I8_PANEL * KINFER_MATMUL_I8_GROUP)
		return -EINVAL;
	if (!is_vector(kinfer_in(ex, 2), KINFER_DTYPE_FLOAT32, n) ||
	    !is_vector(kinfer_in(ex, 3), KINFER_DTYPE_INT32, n) ||
	    (b && b->data && !is_vector(b, KINFER_DTYPE_FLOAT32, n)))
		return -EINVAL;
	return 0;
}

/* Rows and columns of a unit: rows * col_block * out_work <= a section. */
static void plan_blocks(struct kinfer_matmul_plan *mm, uint64_t out_work)
{
	uint64_t panel_work = KINFER_MATMUL_I8_PANEL * out_work;
	uint64_t cols;

	mm->rows = kinfer_max_u64(1, kinfer_min_u64(KINFER_MMI8_ROWS, mm->m));
	if (panel_work <= KINFER_FPU_CHUNK) {
		mm->rows = kinfer_min_u64(mm->rows, KINFER_FPU_CHUNK / panel_work);
		cols = KINFER_FPU_CHUNK / (mm->rows * out_work);
		cols -= cols % KINFER_MATMUL_I8_PANEL;
	} else {
		mm->rows = 1;
		cols = KINFER_FPU_CHUNK / out_work;
	}
	mm->col_block = kinfer_min_u64(cols, mm->n);
	mm->col_blocks = (mm->n + mm->col_block - 1) / mm->col_block;
	mm->row_blocks = (mm->m + mm->rows - 1) / mm->rows;
}

int kinfer_prepare_matmul_i8(struct kinfer_exec *ex)
{
	const struct kinfer_attr_matmul_i8 *a = ex->attr;
	struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	uint64_t out_work;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 4, 5, 1, 1);
	if (ret)
		return ret;
	if ((a->act && a->act != KINFER_OP_RELU) || a->reserved)
		return -EINVAL;
	if (x->dtype != KINFER_DTYPE_INT8 || y->dtype != KINFER_DTYPE_FLOAT32 ||
	    x->rank < 1 || x->rank > 4 || y->rank != x->rank)
		return -EINVAL;
	for (i = 0; i + 1 < x->rank; i++)
		if (x->dims[i] != y->dims[i])
			return -EINVAL;
	memset(mm, 0, sizeof(*mm));
	mm->k = x->dims[x->rank - 1];
	mm->n = y->dims[y->rank - 1];
	if (!mm->k || !mm->n)
		return -EINVAL;
	if (mm->k > KINFER_MATMUL_I8_MAX_K)
		return -E2BIG;
	ret = check_tensors(ex, mm->k, mm->n);
	if (ret)
		return ret;
	mm->m = x->numel / mm->k;
	/* Per output: K's 4-k groups, and the epilogue. */
	out_work = ((mm->k + KINFER_MATMUL_I8_GROUP - 1) /
		    KINFER_MATMUL_I8_GROUP + 1) * ex->desc->cost;
	if (out_work > KINFER_FPU_CHUNK)
		return -E2BIG;
	plan_blocks(mm, out_work);
	return kinfer_plan_units(ex, mm->row_blocks * mm->col_blocks,
				 mm->rows * mm->col_block * out_work);
}
