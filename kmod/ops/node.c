// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the ops: node fetch, range checks, FPU sections.
 */
#include <linux/align.h>
#include <linux/overflow.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <asm/fpu/api.h>

#include "ops.h"

/**
 * kinfer_node_fetch() - copy the run's current node out of the plan
 * @run: the run
 * @op: the op the calling kfunc implements
 * @node: the copy; every later check and use reads only this
 *
 * Return: 0, -ECANCELED when an earlier kfunc of this run failed, or
 * -EINVAL when the plan has no node left, the node is another op, or it
 * sets flags or reserved fields.
 */
int kinfer_node_fetch(struct kinfer_run *run, u32 op, struct kinfer_node *node)
{
	u32 pc = run->ctx.pc;

	/* KF_TRUSTED_ARGS already refuses contexts not from acquire. */
	if (!atomic_read(&run->busy) || !run->plan)
		return -EINVAL;
	if (run->ctx.err)
		return -ECANCELED;
	/* n_nodes was checked against plan_sz at acquire. */
	if (pc >= run->n_nodes)
		return -EINVAL;
	memcpy(node, &run->plan->nodes[pc], sizeof(*node));
	barrier();	/* checks below must read the copy, not the map */
	if (node->op != op || node->flags ||
	    node->reserved[0] || node->reserved[1])
		return -EINVAL;
	return 0;
}

/**
 * kinfer_arena_ok() - check an arena range
 * @run: the run
 * @off: byte offset from the node
 * @bytes: length, at most 2^34
 *
 * Return: true when @off is 4-byte aligned and [@off, @off + @bytes) lies
 * within the plan's arena_bytes (itself within this module's arena).
 */
bool kinfer_arena_ok(const struct kinfer_run *run, u32 off, u64 bytes)
{
	return IS_ALIGNED(off, sizeof(float)) && bytes <= run->arena_bytes &&
	       off <= run->arena_bytes - bytes;
}

/**
 * kinfer_f32_bytes() - size of a float matrix, overflow-checked
 * @rows: first dimension
 * @cols: second dimension
 * @bytes: @rows * @cols * 4 on success
 *
 * Return: true when the product is non-zero and fits in u32 (so in any
 * buffer we can be handed).
 */
bool kinfer_f32_bytes(u64 rows, u64 cols, u64 *bytes)
{
	u64 n;

	if (check_mul_overflow(rows, cols, &n) ||
	    check_mul_overflow(n, (u64)sizeof(float), &n))
		return false;
	*bytes = n;
	return n && n <= U32_MAX;
}

/**
 * kinfer_fpu_begin() - enter an FPU section if this context allows one
 *
 * Return: 0 inside kernel_fpu_begin(), or -EBUSY (NMI, hard interrupt that
 * hit an FPU-using section, or nested kernel FPU use).
 */
int kinfer_fpu_begin(void)
{
	/* irq_fpu_usable() WARNs in NMI: refuse before asking it. */
	if (in_nmi() || !irq_fpu_usable())
		return -EBUSY;
	kernel_fpu_begin();
	return 0;
}

void kinfer_fpu_end(void)
{
	kernel_fpu_end();
}
