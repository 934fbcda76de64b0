// SPDX-License-Identifier: GPL-2.0
/*
 * RELU, SIGMOID, TANH: elementwise, out = f(in0).
 *
 *	dims[0] = element count, non-zero
 *	out == in0 (in place) or disjoint from it
 */
#include <linux/minmax.h>

#include "ops.h"
#include "math/kinfer_math.h"

typedef void (*activation_fn)(float *out, const float *in, size_t n);

static activation_fn activation_of(u32 op)
{
	switch (op) {
	case KINFER_OP_RELU:
		return kinfer_math_relu;
	case KINFER_OP_SIGMOID:
		return kinfer_math_sigmoid;
	case KINFER_OP_TANH:
		return kinfer_math_tanh;
	default:
		return NULL;
	}
}

int kinfer_op_activation(struct kinfer_run *run, u32 op)
{
	activation_fn fn = activation_of(op);
	struct kinfer_node node;
	u64 bytes, i, n;
	int ret;

	if (!fn)
		return -EINVAL;
	ret = kinfer_node_fetch(run, op, &node);
	if (ret)
		return ret;
	n = node.dims[0];
	if (!kinfer_f32_bytes(1, n, &bytes) ||
	    !kinfer_arena_ok(run, node.in0, bytes) ||
	    !kinfer_arena_ok(run, node.out, bytes))
		return -EINVAL;
	if (node.out != node.in0 &&
	    kinfer_overlap(node.in0, bytes, node.out, bytes))
		return -EINVAL;

	for (i = 0; i < n; i += KINFER_FPU_CHUNK) {
		ret = kinfer_fpu_begin();
		if (ret)
			return ret;
		fn(kinfer_arena_f32(run, node.out) + i,
		   kinfer_arena_f32(run, node.in0) + i,
		   min_t(u64, KINFER_FPU_CHUNK, n - i));
		kinfer_fpu_end();
	}
	return 0;
}
