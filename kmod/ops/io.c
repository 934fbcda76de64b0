// SPDX-License-Identifier: GPL-2.0
/*
 * INPUT and OUTPUT: byte copies between the io map value and the arena.
 * No FPU needed.
 *
 *	dims[0]	byte count, a non-zero multiple of 4
 *	io_off	byte offset in io, 4-byte aligned
 *	out	arena offset (INPUT), in0 arena offset (OUTPUT)
 */
#include <linux/align.h>
#include <linux/string.h>

#include "ops.h"

static int io_check(struct kinfer_run *run, const struct kinfer_node *node,
		    u32 arena_off, const void *io, u32 io_sz)
{
	u32 bytes = node->dims[0];

	/* The 6.1 verifier accepts (NULL, 0) for a (pointer, __sz) pair. */
	if (!io || !bytes || !IS_ALIGNED(bytes, sizeof(float)) ||
	    !IS_ALIGNED(node->io_off, sizeof(float)) ||
	    !IS_ALIGNED((unsigned long)io, sizeof(float)))
		return -EINVAL;
	if (bytes > io_sz || node->io_off > io_sz - bytes)
		return -EINVAL;
	if (!kinfer_arena_ok(run, arena_off, bytes))
		return -EINVAL;
	return 0;
}

int kinfer_op_input(struct kinfer_run *run, const void *io, u32 io_sz)
{
	struct kinfer_node node;
	int ret;

	ret = kinfer_node_fetch(run, KINFER_OP_INPUT, &node);
	if (ret)
		return ret;
	ret = io_check(run, &node, node.out, io, io_sz);
	if (ret)
		return ret;
	memcpy(kinfer_arena_f32(run, node.out), (const u8 *)io + node.io_off,
	       node.dims[0]);
	return 0;
}

int kinfer_op_output(struct kinfer_run *run, void *io, u32 io_sz)
{
	struct kinfer_node node;
	int ret;

	ret = kinfer_node_fetch(run, KINFER_OP_OUTPUT, &node);
	if (ret)
		return ret;
	ret = io_check(run, &node, node.in0, io, io_sz);
	if (ret)
		return ret;
	memcpy((u8 *)io + node.io_off, kinfer_arena_f32(run, node.in0),
	       node.dims[0]);
	return 0;
}
