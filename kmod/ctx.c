// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU run contexts: acquire, bind, release.
 *
 * Each possible CPU has one struct kinfer_run and one arena, allocated at
 * module init.  A run owns its CPU's context from kinfer_run_begin() to
 * kinfer_run_end(); ownership is a cmpxchg on ->busy, so a second run on
 * the same CPU (a hook firing from an interrupt in the middle of a run, or
 * a sleepable program preempted between kfunc calls) is refused instead
 * of sharing an arena.  Nothing here sleeps unless the run was acquired by
 * a sleepable program (->may_sleep), which the verifier guarantees for
 * kinfer_ctx_acquire_sleepable().
 */
#include <linux/bits.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "ctx.h"
#include "model.h"
#include "stats.h"

static DEFINE_PER_CPU(struct kinfer_run, kinfer_runs);
static u32 kinfer_arena_bytes;

/*
 * Work budgets (docs/architecture.md, "Work and sections").  A run whose
 * plan declares more work than its context's budget is refused at
 * acquire; the loader refuses such a model at load already.
 */
static unsigned long long budget_sleepable = BIT_ULL(32);
module_param(budget_sleepable, ullong, 0644);
MODULE_PARM_DESC(budget_sleepable,
		 "Most work units one run of a sleepable program may spend (default 2^32)");

static unsigned long long budget_atomic = BIT_ULL(22);
module_param(budget_atomic, ullong, 0644);
MODULE_PARM_DESC(budget_atomic,
		 "Most work units one run of a non-sleepable program may spend (default 2^22)");

/* Arena bytes cleared per step; a sleepable run reschedules in between. */
#define KINFER_CLEAR_STEP	BIT(20)

/**
 * kinfer_arena_size() - bytes in each CPU's arena
 *
 * Return: the arena size every plan's arena_bytes is checked against.
 */
u32 kinfer_arena_size(void)
{
	return kinfer_arena_bytes;
}

/**
 * kinfer_ctx_init() - allocate every possible CPU's arena
 * @arena_bytes: size of each arena, > 0
 *
 * Return: 0 or -ENOMEM.
 */
int kinfer_ctx_init(u32 arena_bytes)
{
	int cpu;

	kinfer_arena_bytes = arena_bytes;
	for_each_possible_cpu(cpu) {
		struct kinfer_run *run = per_cpu_ptr(&kinfer_runs, cpu);

		run->bufs.arena.data = vzalloc_node(arena_bytes, cpu_to_node(cpu));
		if (!run->bufs.arena.data) {
			kinfer_ctx_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/* Called when no BPF program can run our kfuncs any more (module exit). */
void kinfer_ctx_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct kinfer_run *run = per_cpu_ptr(&kinfer_runs, cpu);

		vfree(run->bufs.arena.data);
		run->bufs.arena.data = NULL;
	}
}

/*
 * A plan may read arena bytes it never wrote; they must not be what an
 * earlier run, perhaps of another model, left there.  Cleared in steps so
 * that a sleepable run with a large arena lets others run in between.
 */
static void clear_arena(struct kinfer_run *run, u32 bytes)
{
	u32 done, step;

	for (done = 0; done < bytes; done += step) {
		step = min_t(u32, bytes - done, KINFER_CLEAR_STEP);
		memset((u8 *)run->bufs.arena.data + done, 0, step);
		if (run->may_sleep)
			cond_resched();
	}
}

/* The header's limits against the module, the model and the context. */
static int plan_fits(const struct kinfer_plan *hdr,
		     const struct kinfer_model *model, bool may_sleep)
{
	u64 budget = may_sleep ? READ_ONCE(budget_sleepable) :
				 READ_ONCE(budget_atomic);

	if (hdr->arena_bytes > kinfer_arena_bytes ||
	    hdr->arena_bytes > model->arena_bytes)
		return -E2BIG;
	if (hdr->work > budget ||
	    hdr->arena_bytes / KINFER_CLEAR_BYTES_PER_WORK > hdr->work)
		return -E2BIG;
	return 0;
}

static struct kinfer_run *claim_this_cpu(void)
{
	struct kinfer_run *run = get_cpu_ptr(&kinfer_runs);
	bool claimed = atomic_cmpxchg_acquire(&run->busy, 0, 1) == 0;

	put_cpu_ptr(&kinfer_runs);
	return claimed ? run : NULL;
}

/**
 * kinfer_run_begin() - start a model run on this CPU
 * @plan: the plan map value (struct kinfer_plan followed by its nodes)
 * @plan_sz: bytes readable at @plan, as proved by the verifier
 * @status: receives 0 or why the run was refused
 * @may_sleep: the caller is a sleepable program
 *
 * Checks the context and the plan header, takes a reference on the model
 * the header names and claims this CPU's context.  The header is copied
 * once and the copy's limits are what later kfuncs check against, so a
 * plan rewritten mid-run cannot widen them.
 *
 * Return: the context, or NULL with *@status set: -EOPNOTSUPP (NMI, or
 * task context with interrupts or bottom halves disabled), -EINVAL or
 * -EPROTO (malformed plan, other ABI version), -ENOENT (no model with
 * the plan's id is registered), -E2BIG (the plan needs more arena or work
 * than it may have here), -EBUSY (this CPU's context is in use).
 */
struct kinfer_ctx *kinfer_run_begin(const void *plan, u32 plan_sz, int *status,
				    bool may_sleep)
{
	struct kinfer_model *model;
	struct kinfer_plan hdr;
	struct kinfer_run *run;
	int ret;

	*status = -EOPNOTSUPP;
	if (!kinfer_context_allowed()) {
		kinfer_stat_inc(KINFER_STAT_DENIED);
		return NULL;
	}
	*status = -EINVAL;
	if (!plan || plan_sz < sizeof(hdr)) {
		kinfer_stat_inc(KINFER_STAT_BAD_PLAN);
		return NULL;
	}
	memcpy(&hdr, plan, sizeof(hdr));
	ret = kinfer_plan_header_check(&hdr, plan_sz);
	if (ret) {
		*status = ret;
		kinfer_stat_inc(KINFER_STAT_BAD_PLAN);
		return NULL;
	}
	model = kinfer_model_get(hdr.model_id);
	if (!model) {
		*status = -ENOENT;
		kinfer_stat_inc(KINFER_STAT_UNKNOWN_MODEL);
		return NULL;
	}
	ret = plan_fits(&hdr, model, may_sleep);
	if (ret) {
		kinfer_model_count(model, KINFER_MODEL_REFUSED);
		goto err_put;
	}
	run = claim_this_cpu();
	if (!run) {
		ret = -EBUSY;
		kinfer_model_count(model, KINFER_MODEL_BUSY);
		goto err_put;
	}

	run->may_sleep = may_sleep;
	run->plan = plan;
	run->n_nodes = hdr.n_nodes;
	run->nodes_bytes = hdr.nodes_bytes;
	run->cursor = 0;
	run->work_limit = hdr.work;
	run->work = hdr.arena_bytes / KINFER_CLEAR_BYTES_PER_WORK;
	run->model = model;
	run->bufs.arena.size = hdr.arena_bytes;
	run->bufs.n_binds = 0;
	run->ctx.pc = 0;
	run->ctx.err = 0;
	run->start_ns = ktime_get_mono_fast_ns();
	clear_arena(run, hdr.arena_bytes);
	*status = 0;
	return &run->ctx;

err_put:
	*status = ret;
	kinfer_model_put(model);
	return NULL;
}

/**
 * kinfer_run_end() - finish a run started by kinfer_run_begin()
 * @ctx: the context it returned
 *
 * Counts the run against its model (as an error when a kfunc failed, not
 * every node ran, or buffers were bound for no node), drops the model
 * reference and frees the context.
 */
void kinfer_run_end(struct kinfer_ctx *ctx)
{
	struct kinfer_run *run = kinfer_run_of(ctx);
	struct kinfer_model *model = run->model;
	int err = ctx->err;

	if (!err && (ctx->pc != run->n_nodes || run->bufs.n_binds))
		err = -EINVAL;
	kinfer_model_account(model, err, ctx->pc,
			     ktime_get_mono_fast_ns() - run->start_ns);
	run->model = NULL;
	run->plan = NULL;
	run->bufs.n_binds = 0;
	atomic_set_release(&run->busy, 0);
	kinfer_model_put(model);
}

/**
 * kinfer_run_bind() - stage a buffer for the next node
 * @ctx: the run
 * @buf: the buffer (a map value; the verifier checked @size for it)
 * @size: its size
 *
 * Return: 0, -ECANCELED after an earlier error, -EINVAL for a NULL or
 * empty buffer, -E2BIG when KINFER_MAX_BINDS are already bound.
 */
int kinfer_run_bind(struct kinfer_ctx *ctx, void *buf, u32 size)
{
	struct kinfer_run *run = kinfer_run_of(ctx);
	int ret = 0;

	if (!atomic_read(&run->busy) || !run->plan)
		return -EINVAL;
	if (ctx->err)
		return -ECANCELED;
	if (!buf || !size)
		ret = -EINVAL;
	else if (run->bufs.n_binds >= KINFER_MAX_BINDS)
		ret = -E2BIG;
	if (ret) {
		ctx->err = ret;
		return ret;
	}
	run->bufs.bind[run->bufs.n_binds].data = buf;
	run->bufs.bind[run->bufs.n_binds].size = size;
	run->bufs.n_binds++;
	return 0;
}
