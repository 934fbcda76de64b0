/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU run contexts and arenas.
 */
#ifndef _KINFER_CTX_H
#define _KINFER_CTX_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/container_of.h>

struct kinfer_plan;
struct kinfer_model;

/**
 * struct kinfer_ctx - the BPF-visible handle of a model run
 * @pc: index of the plan node the next compute kfunc executes
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
 * struct kinfer_run - one CPU's run state, owned between acquire and release
 * @ctx: the BPF-visible part; must stay first
 * @busy: 0 when free, 1 from acquire to release (set with cmpxchg)
 * @plan: the plan map value given to acquire; nodes are copied out of it
 *	before use because another BPF program may write it concurrently
 * @plan_sz: its size as the verifier proved it
 * @n_nodes: plan->n_nodes as validated at acquire
 * @arena_bytes: plan->arena_bytes as validated at acquire; every arena
 *	range a node names must lie in [0, @arena_bytes)
 * @model: the registered model, referenced from acquire to release
 * @start_ns: ktime_get_ns() at acquire
 * @arena: this CPU's arena, kinfer_arena_size() bytes
 */
struct kinfer_run {
	struct kinfer_ctx ctx;
	atomic_t busy;
	const struct kinfer_plan *plan;
	u32 plan_sz;
	u32 n_nodes;
	u32 arena_bytes;
	struct kinfer_model *model;
	u64 start_ns;
	void *arena;
};

static inline struct kinfer_run *kinfer_run_of(struct kinfer_ctx *ctx)
{
	return container_of(ctx, struct kinfer_run, ctx);
}

int kinfer_ctx_init(u32 arena_bytes);
void kinfer_ctx_exit(void);
u32 kinfer_arena_size(void);

struct kinfer_ctx *kinfer_run_begin(const void *plan, u32 plan_sz);
void kinfer_run_end(struct kinfer_ctx *ctx);

#endif /* _KINFER_CTX_H */
