// SPDX-License-Identifier: GPL-2.0
/*
 * ADD, MUL (second operand in the arena) and ADD_CONST, MUL_CONST (second
 * operand in a map value): out = in0 op in1, in1 broadcast.
 *
 *	dims[0] = element count of in0 and out, non-zero
 *	dims[1] = element count of in1 / C, non-zero, divides dims[0];
 *		  in1 repeats along the flattened in0 (numpy broadcasting of
 *		  a trailing-suffix shape)
 *	out == in0 (in place) or disjoint from in0
 *	in1 (ADD, MUL) disjoint from out, or equal to it with dims[1] == dims[0]
 *	C (*_CONST): exactly dims[1] floats
 */
#include <linux/align.h>
#include <linux/minmax.h>

#include "ops.h"
#include "math/kinfer_math.h"

typedef void (*binary_fn)(float *out, const float *a, size_t n,
			  const float *b, size_t nb);

static binary_fn binary_of(u32 op)
{
	switch (op) {
	case KINFER_OP_ADD:
	case KINFER_OP_ADD_CONST:
		return kinfer_math_add;
	case KINFER_OP_MUL:
	case KINFER_OP_MUL_CONST:
		return kinfer_math_mul;
	default:
		return NULL;
	}
}

/*
 * Prepare, common to all four ops: fetch the node, check its shapes and
 * in0/out placement.  in1 or C is checked by the caller.
 */
static int binary_prepare(struct kinfer_run *run, u32 op,
			  struct kinfer_node *node, u64 *bytes, u64 *bytes1)
{
	u32 n, n1;
	int ret;

	ret = kinfer_node_fetch(run, op, node);
	if (ret)
		return ret;
	n = node->dims[0];
	n1 = node->dims[1];
	if (!kinfer_f32_bytes(1, n, bytes) || !kinfer_f32_bytes(1, n1, bytes1) ||
	    n % n1)
		return -EINVAL;
	if (!kinfer_arena_ok(run, node->in0, *bytes) ||
	    !kinfer_arena_ok(run, node->out, *bytes))
		return -EINVAL;
	if (node->out != node->in0 &&
	    kinfer_overlap(node->in0, *bytes, node->out, *bytes))
		return -EINVAL;
	return 0;
}

/*
 * in1 is longer than one FPU section's work: each repetition of it is
 * split into pieces, and a piece of in0 pairs element for element with the
 * same piece of in1 (fn with nb == n).
 */
static int binary_run_pieces(struct kinfer_run *run, binary_fn fn,
			     const struct kinfer_node *node, const float *in1)
{
	u64 n = node->dims[0], n1 = node->dims[1];
	u64 r, j, len;
	int ret;

	for (r = 0; r < n; r += n1) {
		for (j = 0; j < n1; j += KINFER_FPU_CHUNK) {
			len = min_t(u64, KINFER_FPU_CHUNK, n1 - j);
			ret = kinfer_fpu_begin();
			if (ret)
				return ret;
			fn(kinfer_arena_f32(run, node->out) + r + j,
			   kinfer_arena_f32(run, node->in0) + r + j,
			   len, in1 + j, len);
			kinfer_fpu_end();
		}
	}
	return 0;
}

/* Run fn over whole repetitions of in1, a bounded number per FPU section. */
static int binary_run(struct kinfer_run *run, binary_fn fn,
		      const struct kinfer_node *node, const float *in1)
{
	u64 n = node->dims[0], n1 = node->dims[1];
	u64 per;
	u64 i;
	int ret;

	if (n1 > KINFER_FPU_CHUNK)
		return binary_run_pieces(run, fn, node, in1);
	per = KINFER_FPU_CHUNK / n1 * n1;

	for (i = 0; i < n; i += per) {
		ret = kinfer_fpu_begin();
		if (ret)
			return ret;
		fn(kinfer_arena_f32(run, node->out) + i,
		   kinfer_arena_f32(run, node->in0) + i,
		   min_t(u64, per, n - i), in1, n1);
		kinfer_fpu_end();
	}
	return 0;
}

int kinfer_op_binary(struct kinfer_run *run, u32 op)
{
	binary_fn fn = binary_of(op);
	struct kinfer_node node;
	u64 bytes, bytes1;
	int ret;

	if (!fn || (op != KINFER_OP_ADD && op != KINFER_OP_MUL))
		return -EINVAL;
	ret = binary_prepare(run, op, &node, &bytes, &bytes1);
	if (ret)
		return ret;
	if (!kinfer_arena_ok(run, node.in1, bytes1))
		return -EINVAL;
	if (kinfer_overlap(node.in1, bytes1, node.out, bytes) &&
	    !(node.in1 == node.out && bytes1 == bytes))
		return -EINVAL;
	return binary_run(run, fn, &node, kinfer_arena_f32(run, node.in1));
}

int kinfer_op_const(struct kinfer_run *run, u32 op, const void *c, u32 c_sz)
{
	binary_fn fn = binary_of(op);
	struct kinfer_node node;
	u64 bytes, bytes1;
	int ret;

	if (!fn || (op != KINFER_OP_ADD_CONST && op != KINFER_OP_MUL_CONST))
		return -EINVAL;
	ret = binary_prepare(run, op, &node, &bytes, &bytes1);
	if (ret)
		return ret;
	if (!c || c_sz != bytes1 || !IS_ALIGNED((unsigned long)c, sizeof(float)))
		return -EINVAL;
	return binary_run(run, fn, &node, c);
}
