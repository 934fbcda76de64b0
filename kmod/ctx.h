/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run contexts and their arenas: per CPU and nesting level for
 * non-sleepable runs, a pool for sleepable ones (ctx.c).
 */
#ifndef _KINFER_CTX_H
#define _KINFER_CTX_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/list.h>

#include "ops/exec.h"

struct kinfer_plan;
struct kinfer_model;

/**
 * struct kinfer_ctx - the BPF-visible handle of a model run
 * @pc: index of the plan node the next op kfunc executes
 * @err: first error of this run (negative errno), 0 while all went well
 *
 * Returned by kinfer_ctx_acquire() and passed to every other kfunc.  BPF
 * programs may read the two fields (through BTF) but not write them; the
 * rest of the run state is in the enclosing struct kinfer_run, which BPF
 * cannot see.
 */
struct kinfer_ctx {
	u32 pc;
	s32 err;
};

/**
 * enum kinfer_level - where a run context comes from
 * @KINFER_LEVEL_TASK: the CPU's context for non-sleepable runs in task context
 * @KINFER_LEVEL_SOFTIRQ: the CPU's context for runs serving a softirq
 * @KINFER_LEVEL_HARDIRQ: the CPU's context for runs in hard interrupt context
 * @KINFER_LEVEL_SLEEPABLE: the pool of contexts for sleepable runs
 * @KINFER_LEVELS: number of levels
 *
 * The first three are interrupt_context_level() (NMI, level 3, is refused)
 * and index each CPU's contexts; sleepable runs are tied to no CPU.
 */
enum kinfer_level {
	KINFER_LEVEL_TASK,
	KINFER_LEVEL_SOFTIRQ,
	KINFER_LEVEL_HARDIRQ,
	KINFER_LEVEL_SLEEPABLE,
	KINFER_LEVELS
};

/* Contexts each possible CPU has: task, softirq, hardirq. */
#define KINFER_CPU_LEVELS	KINFER_LEVEL_SLEEPABLE

/**
 * struct kinfer_run - a run context, owned by one run from acquire to release
 * @ctx: the BPF-visible part; must stay first
 * @busy: 0 when free, 1 from acquire to release (per-CPU contexts: set
 *	with cmpxchg; pooled ones: set when taken off the free list)
 * @level: where the context belongs, so release returns it there
 * @may_sleep: acquired by a sleepable program: sections are separated by
 *	cond_resched() (exactly the pooled contexts)
 * @pool_node: on the pool's free list while a pooled context is free
 * @plan: the plan map value given to acquire; nodes are copied out of it
 *	before use because another BPF program may write it concurrently
 * @n_nodes: plan->n_nodes as checked at acquire
 * @nodes_bytes: plan->nodes_bytes as checked at acquire
 * @cursor: byte offset of node @ctx.pc among the nodes
 * @work_limit: plan->work as checked at acquire: what the run may spend
 * @work: spent so far
 * @model: the registered model, referenced from acquire to release
 * @start_ns: ktime_get_mono_fast_ns() at acquire
 * @bufs: this context's arena (its size is the plan's arena_bytes) and
 *	the buffers bound for the next node
 * @exec: the node being run, as kinfer_node_prepare() left it: in one
 *	of @kept
 * @kept: the first KINFER_KEPT_NODES nodes of the last plan run here, as
 *	prepared, for kinfer_node_reuse(); the last slot serves the nodes
 *	after them and is emptied before each
 */
struct kinfer_run {
	struct kinfer_ctx ctx;
	atomic_t busy;
	u8 level;
	bool may_sleep;
	struct list_head pool_node;
	const struct kinfer_plan *plan;
	u32 n_nodes;
	u32 nodes_bytes;
	u32 cursor;
	u64 work_limit;
	u64 work;
	struct kinfer_model *model;
	u64 start_ns;
	struct kinfer_buffers bufs;
	const struct kinfer_exec *exec;
	struct kinfer_kept kept[KINFER_KEPT_NODES + 1];
};

static inline struct kinfer_run *kinfer_run_of(struct kinfer_ctx *ctx)
{
	return container_of(ctx, struct kinfer_run, ctx);
}

int kinfer_ctx_init(u32 arena_bytes, u32 irq_arena_bytes,
		    unsigned int max_sleepable);
void kinfer_ctx_exit(void);
u32 kinfer_arena_size(void);
u32 kinfer_irq_arena_size(void);

/**
 * struct kinfer_pool_info - a snapshot of the sleepable contexts' pool
 * @allocated: contexts allocated (free or in use); the pool never
 *	shrinks, so this is also the most sleepable runs in flight at once
 * @in_use: contexts owned by a run now
 * @max: the most contexts the pool may allocate
 */
struct kinfer_pool_info {
	unsigned int allocated;
	unsigned int in_use;
	unsigned int max;
};

void kinfer_pool_info(struct kinfer_pool_info *info);

struct kinfer_ctx *kinfer_run_begin(const void *plan, u32 plan_sz, int *status,
				    bool may_sleep);
void kinfer_run_end(struct kinfer_ctx *ctx);
int kinfer_run_bind(struct kinfer_ctx *ctx, void *buf, u32 size);
int kinfer_run_node(struct kinfer_ctx *ctx, u32 op);

int kinfer_fpu_begin(void);
void kinfer_fpu_end(void);
bool kinfer_context_allowed(void);

#endif /* _KINFER_CTX_H */
