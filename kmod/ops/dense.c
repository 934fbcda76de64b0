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

#include "ops.h"
#include "math/kinfer_math.h"

static bool weights_ok(const void *p, u32 sz, u64 want)
{
	return p && sz == want && IS_ALIGNED((unsigned long)p, sizeof(float));
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

	/* Whole rows per FPU section, at least one. */
	rows_per = max_t(u64, 1, KINFER_FPU_CHUNK / ((u64)k * n));
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
