// SPDX-License-Identifier: GPL-2.0
/*
 * Running one plan node: the kernel side of kmod/ops/exec.h.
 *
 * The node is copied out of the plan, checked and prepared (integer only),
 * or taken as this context kept it from an earlier run of the same node
 * (kinfer_node_reuse()); its work is charged against the run's budget,
 * and its compute split into sections of at most KINFER_FPU_CHUNK work,
 * each in its own kernel_fpu_begin()/kernel_fpu_end() when the op
 * computes in floating point.  Debian's kernel preempts voluntarily:
 * enabling preemption again after a section does not reschedule, so a
 * sleepable run calls cond_resched() between sections, and a
 * non-sleepable one is bounded by its smaller budget instead.
 */
#include <linux/preempt.h>
#include <linux/sched.h>
#include <asm/fpu/api.h>

#include "ctx.h"

/**
 * kinfer_context_allowed() - may a run use this context at all
 *
 * No FPU in NMI context (irq_fpu_usable() warns there), and none in task
 * context with interrupts or bottom halves disabled: a tracepoint there
 * (x86_fpu_regs_activated, say) can fire after the user registers were
 * restored but before the kernel stops tracking them, and SSE use would
 * clobber the registers the task returns to.
 *
 * Return: true when a run may start and use the FPU here.
 */
bool kinfer_context_allowed(void)
{
	if (in_nmi())
		return false;
	if (in_task() && (irqs_disabled() || softirq_count()))
		return false;
	return true;
}

/**
 * kinfer_fpu_begin() - enter an FPU section if this context allows one
 *
 * Return: 0 inside kernel_fpu_begin(), -EOPNOTSUPP where no run may use
 * the FPU, or -EBUSY where the FPU is in use (a hard interrupt that hit a
 * section, nested kernel FPU use).
 */
int kinfer_fpu_begin(void)
{
	if (!kinfer_context_allowed())
		return -EOPNOTSUPP;
	if (!irq_fpu_usable())
		return -EBUSY;
	kernel_fpu_begin();
	return 0;
}

void kinfer_fpu_end(void)
{
	kernel_fpu_end();
}

static int run_sections(struct kinfer_run *run)
{
	const struct kinfer_exec *ex = run->exec;
	u64 per = KINFER_FPU_CHUNK / ex->unit_work;
	u64 begin, end;
	int ret;

	for (begin = 0; begin < ex->units; begin = end) {
		end = begin + min(per, ex->units - begin);
		if (ex->fpu) {
			ret = kinfer_fpu_begin();
			if (ret)
				return ret;
		}
		ret = ex->desc->eval(ex, begin, end);
		if (ex->fpu)
			kinfer_fpu_end();
		if (ret)
			return ret;
		if (run->may_sleep)
			cond_resched();
	}
	return 0;
}

static int load_and_prepare(struct kinfer_run *run, u32 op)
{
	const u8 *nodes = (const u8 *)(run->plan + 1);
	u32 pc = run->ctx.pc;
	struct kinfer_kept *kept;
	int ret;

	if (pc >= run->n_nodes)
		return -EINVAL;
	kept = kinfer_kept_slot(run->kept, pc);
	run->exec = NULL;
	ret = kinfer_node_reuse(kept, nodes, run->nodes_bytes, &run->cursor,
				&run->bufs, op);
	if (ret)
		return ret;
	/* The plan declared its work; a node may not spend beyond it. */
	if (kept->exec.work > run->work_limit - run->work)
		return -E2BIG;
	run->work += kept->exec.work;
	run->exec = &kept->exec;
	return 0;
}

/**
 * kinfer_run_node() - execute the node at the run's cursor
 * @ctx: the run
 * @op: the op of the calling kfunc; the node must be this op
 *
 * Consumes the buffers bound for the node.  On success advances to the
 * next node; on failure records the error in @ctx, after which every
 * kfunc of the run returns -ECANCELED.
 *
 * Return: 0 or a negative errno (see kinfer_node_prepare() and the op).
 */
int kinfer_run_node(struct kinfer_ctx *ctx, u32 op)
{
	struct kinfer_run *run = kinfer_run_of(ctx);
	int ret;

	/* KF_TRUSTED_ARGS already refuses contexts not from acquire. */
	if (!atomic_read(&run->busy) || !run->plan)
		return -EINVAL;
	if (ctx->err) {
		ret = -ECANCELED;
	} else {
		ret = load_and_prepare(run, op);
		if (!ret)
			ret = run_sections(run);
	}
	run->bufs.n_binds = 0;
	if (!ret)
		ctx->pc++;
	else if (ret != -ECANCELED)
		ctx->err = ret;
	return ret;
}
