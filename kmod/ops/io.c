// SPDX-License-Identifier: GPL-2.0
/*
 * INPUT and OUTPUT: byte copies between the io buffer (bound) and the
 * arena.  No FPU.
 *
 *	INPUT	t[0] in a bound buffer -> t[1] in the arena
 *	OUTPUT	t[0] in the arena -> t[1] in a bound buffer
 *
 * Both tensors have the same dtype and shape.  The copy runs in blocks of
 * KINFER_COPY_BLOCK bytes, so a large input is not one long section.
 */
#include "ops/exec.h"

int kinfer_prepare_io(struct kinfer_exec *ex)
{
	const struct kinfer_view *in = kinfer_in(ex, 0);
	const struct kinfer_view *out = kinfer_out(ex, 0);
	bool input = ex->node->op == KINFER_OP_INPUT;
	bool in_arena, out_arena;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (in->dtype != out->dtype || !kinfer_same_shape(in, out))
		return -EINVAL;
	in_arena = in->buf == KINFER_BUF_ARENA;
	out_arena = out->buf == KINFER_BUF_ARENA;
	if (in_arena == input || out_arena != input)
		return -EINVAL;
	ex->out_to_bind = !input;
	ex->fpu = false;
	return kinfer_plan_units(ex, (in->bytes + KINFER_COPY_BLOCK - 1) /
				 KINFER_COPY_BLOCK, KINFER_COPY_BLOCK / 64);
}

static int copy_blocks(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	uint64_t from = begin * KINFER_COPY_BLOCK;
	uint64_t to = kinfer_min_u64(end * KINFER_COPY_BLOCK, ex->t[0].bytes);

	memcpy(ex->t[1].data + from, ex->t[0].data + from, to - from);
	return 0;
}

int kinfer_eval_input(const struct kinfer_exec *ex, uint64_t begin,
		      uint64_t end)
{
	return copy_blocks(ex, begin, end);
}

int kinfer_eval_output(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	return copy_blocks(ex, begin, end);
}
