// SPDX-License-Identifier: GPL-2.0
/*
 * DENSE and MATMUL: out[M,N] = in0[M,K] . W[K,N] (+ b[N]).
 *
 *	dims[0] = M, dims[1] = K, dims[2] = N, all non-zero
 *	W: exactly K*N floats, Flax kernel layout [in, out], row-major
 *	b: exactly N floats (DENSE only)
 *	in0 [M,K] and out [M,N] must not overlap
 */
#include <linux/align.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "ops.h"
#include "math/kinfer_math.h"

static bool weights_ok(const void *p, u32 sz, u64 want)
{
	return p && sz == want && IS_ALIGNED((unsigned long)p, sizeof(float));
}

/*
 * One row is more than one FPU section's work: start each output row from
 * the bias (a plain copy, no FPU), then add tiles of at most
 * KINFER_FPU_CHUNK multiply-adds, k-blocks in order so every output sums
 * its products in the same order as the untiled kernel.
 */
static int dense_tiled(struct kinfer_run *run, const struct kinfer_node *node,
		       const float *w, const float *b)
{
	u64 m = node->dims[0], k = node->dims[1], n = node->dims[2];
	u64 kb = min_t(u64, k, KINFER_FPU_CHUNK);
	u64 nb = max_t(u64, 1, KINFER_FPU_CHUNK / kb);
	u64 i, l0, j0;
	int ret;

	for (i = 0; i < m; i++) {
		float *y = kinfer_arena_f32(run, node->out) + i * n;
		const float *x = kinfer_arena_f32(run, node->in0) + i * k;

		if (b)
			memcpy(y, b, n * sizeof(float));
		else
			memset(y, 0, n * sizeof(float));
		for (l0 = 0; l0 < k; l0 += kb) {
			for (j0 = 0; j0 < n; j0 += nb) {
				ret = kinfer_fpu_begin();
				if (ret)
					return ret;
				kinfer_math_dense_acc(y + j0, x + l0,
						      w + l0 * n + j0,
						      min_t(u64, kb, k - l0),
						      min_t(u64, nb, n - j0), n);
				kinfer_fpu_end();
			}
		}
	}
	return 0;
}

int kinfer_op_dense(struct kinfer_run *run, u32 op, const void *w, u32 w_sz,
		    const void *b, u32 b_sz)
{
	u64 in_bytes, out_bytes, w_bytes, b_bytes, rows_per, i;
	struct kinfer_node node;
	u32 m, k, n;
	int ret;

	ret = kinfer_node_fetch(run, op, &node);
	if (ret)
		return ret;
	m = node.dims[0];
	k = node.dims[1];
	n = node.dims[2];
	if (!kinfer_f32_bytes(m, k, &in_bytes) ||
	    !kinfer_f32_bytes(m, n, &out_bytes) ||
	    !kinfer_f32_bytes(k, n, &w_bytes) ||
	    !kinfer_f32_bytes(1, n, &b_bytes))
		return -EINVAL;
	if (!kinfer_arena_ok(run, node.in0, in_bytes) ||
	    !kinfer_arena_ok(run, node.out, out_bytes) ||
	    kinfer_overlap(node.in0, in_bytes, node.out, out_bytes))
		return -EINVAL;
	if (!weights_ok(w, w_sz, w_bytes))
		return -EINVAL;
	if (op == KINFER_OP_DENSE && !weights_ok(b, b_sz, b_bytes))
		return -EINVAL;
	if (op != KINFER_OP_DENSE)
		b = NULL;

	if ((u64)k * n > KINFER_FPU_CHUNK)
		return dense_tiled(run, &node, w, b);

	/* Whole rows per FPU section. */
	rows_per = KINFER_FPU_CHUNK / ((u64)k * n);
	for (i = 0; i < m; i += rows_per) {
		ret = kinfer_fpu_begin();
		if (ret)
			return ret;
		kinfer_math_dense(kinfer_arena_f32(run, node.out) + i * n,
				  kinfer_arena_f32(run, node.in0) + i * k,
				  w, b, min_t(u64, rows_per, m - i), k, n);
		kinfer_fpu_end();
	}
	return 0;
}
