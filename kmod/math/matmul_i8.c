// SPDX-License-Identifier: GPL-2.0
/*
 * MATMUL_I8 (struct kinfer_attr_matmul_i8 has the formula): each unit is
 * one block of rows by one block of columns (kmod/ops/matmul_i8.c), run
 * by the running variant's int8 kernel (math/isa.h).
 */
#include "ops/exec.h"
#include "math/isa.h"

enum { MMI8_X, MMI8_W, MMI8_SCALE, MMI8_WSUM, MMI8_BIAS };

int kinfer_eval_matmul_i8(const struct kinfer_exec *ex, uint64_t begin,
			  uint64_t end)
{
	const struct kinfer_attr_matmul_i8 *a = ex->attr;
	const struct kinfer_matmul_plan *mm = &ex->s.matmul;
	const struct kinfer_isa_ops *isa = kinfer_isa_ops();
	struct kinfer_qgemm q = {
		.x = (const int8_t *)ex->t[MMI8_X].data,
		.ldx = mm->k,
		.w = (const int8_t *)ex->t[MMI8_W].data,
		.scale = (const float *)ex->t[MMI8_SCALE].data,
		.wsum = (const int32_t *)ex->t[MMI8_WSUM].data,
		.bias = ex->n_in > MMI8_BIAS ?
			(const float *)ex->t[MMI8_BIAS].data : NULL,
		.y = (float *)ex->t[ex->n_in].data,
		.ldy = mm->n,
		.k = mm->k,
		.relu = a->act == KINFER_OP_RELU,
	};
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t m0 = u % mm->row_blocks * mm->rows;
		uint64_t n0 = u / mm->row_blocks * mm->col_block;

		isa->qgemm(&q, m0, kinfer_min_u64(m0 + mm->rows, mm->m), n0,
			   kinfer_min_u64(n0 + mm->col_block, mm->n));
	}
	return 0;
}
