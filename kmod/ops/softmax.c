// SPDX-License-Identifier: GPL-2.0
/*
 * SOFTMAX over the last axis of in0[M,N].
 *
 *	dims[0] = M (rows), dims[1] = N (row length), both non-zero
 *	in0 and out must not overlap
 */
#include <linux/build_bug.h>
#include <linux/minmax.h>

#include "ops.h"
#include "math/kinfer_math.h"

int kinfer_op_softmax(struct kinfer_run *run)
{
	struct kinfer_node node;
	u64 bytes, rows_per, i;
	u32 m, n;
	int ret;

	ret = kinfer_node_fetch(run, KINFER_OP_SOFTMAX, &node);
	if (ret)
		return ret;
	m = node.dims[0];
	n = node.dims[1];
	if (!kinfer_f32_bytes(m, n, &bytes) ||
	    !kinfer_arena_ok(run, node.in0, bytes) ||
	    !kinfer_arena_ok(run, node.out, bytes) ||
	    kinfer_overlap(node.in0, bytes, node.out, bytes))
		return -EINVAL;

	/*
	 * A row's max, sum and scale need the whole row in one FPU section,
	 * so its length is what bounds the section; the cap must fit in one
	 * section or rows_per below would be 0.
	 */
	BUILD_BUG_ON(KINFER_MAX_SOFTMAX_N > KINFER_FPU_CHUNK);
	if (n > KINFER_MAX_SOFTMAX_N)
		return -E2BIG;
	rows_per = KINFER_FPU_CHUNK / n;
	for (i = 0; i < m; i += rows_per) {
		ret = kinfer_fpu_begin();
		if (ret)
			return ret;
		kinfer_math_softmax(kinfer_arena_f32(run, node.out) + i * n,
				    kinfer_arena_f32(run, node.in0) + i * n,
				    min_t(u64, rows_per, m - i), n);
		kinfer_fpu_end();
	}
	return 0;
}
