// SPDX-License-Identifier: GPL-2.0
/*
 * Run contexts: acquire, bind, release.
 *
 * A run owns a context (struct kinfer_run: its state and an arena) from
 * kinfer_run_begin() to kinfer_run_end().  Where the context comes from
 * depends on what can overlap the run on its CPU:
 *
 * - A non-sleepable run stays on its CPU and, as Debian's kernel preempts
 *   voluntarily, is not preempted; but it can be interrupted, and the
 *   interrupt can start a run of its own (a hook on a softirq or a hard
 *   interrupt).  So each possible CPU has one context per nesting level,
 *   as BPF has per-CPU buffers per level: task, softirq and hardirq
 *   (interrupt_context_level(); NMI is refused).  Ownership is a cmpxchg
 *   on ->busy, so a second run at the same level on the same CPU is
 *   refused with -EBUSY instead of sharing an arena: a tracing program
 *   attached inside a run, or, on a kernel booted with preempt=full, a
 *   task-level run in a task that preempted another one.
 *
 * - A sleepable run yields its CPU between sections, and any task that
 *   gets the CPU meanwhile may start a run at task level: another `kinfer
 *   run`, or a hook in a task that was waiting.  So sleepable runs are tied
 *   to no CPU: each takes a context from a pool, allocated on first need
 *   (GFP_KERNEL: they may sleep) and kept on a free list for reuse until
 *   the module goes.  At most kinfer_pool_max exist (module parameter
 *   max_sleepable_runs); a run beyond them is refused with -EBUSY.
 *
 * Every context is returned where it came from at release (->level).
 * Nothing here sleeps unless the run was acquired by a sleepable program
 * (->may_sleep), which the verifier guarantees for
 * kinfer_ctx_acquire_sleepable().
 */
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "ctx.h"
#include "model.h"
#include "stats.h"

/* interrupt_context_level() indexes each CPU's contexts. */
static_assert(KINFER_LEVEL_TASK == 0 && KINFER_LEVEL_SOFTIRQ == 1 &&
	      KINFER_LEVEL_HARDIRQ == 2 && KINFER_CPU_LEVELS == 3);
/* The per-level counters are indexed by level. */
static_assert(KINFER_STAT_ACQUIRED_SLEEPABLE - KINFER_STAT_ACQUIRED_TASK ==
	      KINFER_LEVEL_SLEEPABLE);
static_assert(KINFER_STAT_BUSY_SLEEPABLE - KINFER_STAT_BUSY_TASK ==
	      KINFER_LEVEL_SLEEPABLE);

/* Each possible CPU's contexts for non-sleepable runs, by level. */
static DEFINE_PER_CPU(struct kinfer_run *, kinfer_cpu_runs[KINFER_CPU_LEVELS]);
static u32 kinfer_arena_bytes;		/* task level and sleepable */
static u32 kinfer_irq_arena_bytes;	/* softirq and hardirq levels */

/*
 * The pool of sleepable runs' contexts.  Only sleepable runs take and
 * return pooled contexts, always in task context with interrupts and
 * bottom halves enabled, so the lock is a plain spinlock.  It is never
 * held across an allocation or a free: a new context is reserved in
 * kinfer_pool_allocated under the lock and allocated after it.
 */
static DEFINE_SPINLOCK(kinfer_pool_lock);
static LIST_HEAD(kinfer_pool_free);		/* free pooled contexts */
static unsigned int kinfer_pool_allocated;	/* free, in use or reserved */
static unsigned int kinfer_pool_in_use;		/* owned by a run or reserved */
static unsigned int kinfer_pool_max;		/* set at init */

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
 * kinfer_arena_size() - bytes in each task-level and sleepable arena
 *
 * Return: the largest arena a model may register and a plan may use.
 */
u32 kinfer_arena_size(void)
{
	return kinfer_arena_bytes;
}

/**
 * kinfer_irq_arena_size() - bytes in each CPU's softirq and hardirq arenas
 *
 * Return: the largest arena a plan may use in interrupt context.
 */
u32 kinfer_irq_arena_size(void)
{
	return kinfer_irq_arena_bytes;
}

static u32 level_arena_bytes(enum kinfer_level level)
{
	if (level == KINFER_LEVEL_SOFTIRQ || level == KINFER_LEVEL_HARDIRQ)
		return kinfer_irq_arena_bytes;
	return kinfer_arena_bytes;
}

/* A free context of @level with an arena of @arena_bytes (may be 0). */
static struct kinfer_run *run_alloc(enum kinfer_level level, u32 arena_bytes,
				    int node)
{
	struct kinfer_run *run = kvzalloc_node(sizeof(*run), GFP_KERNEL, node);

	if (!run)
		return NULL;
	if (arena_bytes) {
		run->bufs.arena.data = vzalloc_node(arena_bytes, node);
		if (!run->bufs.arena.data) {
			kvfree(run);
			return NULL;
		}
	}
	run->level = level;
	run->may_sleep = level == KINFER_LEVEL_SLEEPABLE;
	INIT_LIST_HEAD(&run->pool_node);
	return run;
}

static void run_free(struct kinfer_run *run)
{
	if (!run)
		return;
	vfree(run->bufs.arena.data);
	kvfree(run);
}

/**
 * kinfer_ctx_init() - allocate every possible CPU's contexts
 * @arena_bytes: arena of each task-level and sleepable context, > 0
 * @irq_arena_bytes: arena of each softirq and hardirq context, may be 0
 * @max_sleepable: most sleepable contexts the pool may allocate later
 *
 * Return: 0 or -ENOMEM.
 */
int kinfer_ctx_init(u32 arena_bytes, u32 irq_arena_bytes,
		    unsigned int max_sleepable)
{
	int cpu, level;

	kinfer_arena_bytes = arena_bytes;
	kinfer_irq_arena_bytes = irq_arena_bytes;
	kinfer_pool_max = max_sleepable;
	for_each_possible_cpu(cpu) {
		for (level = 0; level < KINFER_CPU_LEVELS; level++) {
			struct kinfer_run *run;

			run = run_alloc(level, level_arena_bytes(level),
					cpu_to_node(cpu));
			if (!run) {
				kinfer_ctx_exit();
				return -ENOMEM;
			}
			per_cpu(kinfer_cpu_runs[level], cpu) = run;
		}
	}
	return 0;
}

/* Called when no BPF program can run our kfuncs any more (module exit). */
void kinfer_ctx_exit(void)
{
	struct kinfer_run *run, *tmp;
	LIST_HEAD(free);
	int cpu, level;

	for_each_possible_cpu(cpu) {
		for (level = 0; level < KINFER_CPU_LEVELS; level++) {
			run_free(per_cpu(kinfer_cpu_runs[level], cpu));
			per_cpu(kinfer_cpu_runs[level], cpu) = NULL;
		}
	}

	spin_lock(&kinfer_pool_lock);
	/* A run in flight would pin the module: none can be left. */
	WARN_ON_ONCE(kinfer_pool_in_use);
	list_splice_init(&kinfer_pool_free, &free);
	kinfer_pool_allocated = 0;
	spin_unlock(&kinfer_pool_lock);
	list_for_each_entry_safe(run, tmp, &free, pool_node) {
		list_del(&run->pool_node);
		run_free(run);
	}
}

/**
 * kinfer_pool_info() - how many sleepable contexts exist and are in use
 * @info: receives the snapshot
 */
void kinfer_pool_info(struct kinfer_pool_info *info)
{
	spin_lock(&kinfer_pool_lock);
	info->allocated = kinfer_pool_allocated;
	info->in_use = kinfer_pool_in_use;
	info->max = kinfer_pool_max;
	spin_unlock(&kinfer_pool_lock);
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
		     const struct kinfer_model *model, enum kinfer_level level)
{
	u64 budget = level == KINFER_LEVEL_SLEEPABLE ?
		     READ_ONCE(budget_sleepable) : READ_ONCE(budget_atomic);

	if (hdr->arena_bytes > level_arena_bytes(level) ||
	    hdr->arena_bytes > model->arena_bytes)
		return -E2BIG;
	if (hdr->work > budget ||
	    hdr->arena_bytes / KINFER_CLEAR_BYTES_PER_WORK > hdr->work)
		return -E2BIG;
	return 0;
}

/*
 * This CPU's context of @level (non-sleepable runs: the CPU cannot change
 * under the caller, preemption is off only to say so).
 */
static struct kinfer_run *claim_cpu_run(enum kinfer_level level)
{
	struct kinfer_run *run = per_cpu(kinfer_cpu_runs[level], get_cpu());
	bool claimed = atomic_cmpxchg_acquire(&run->busy, 0, 1) == 0;

	put_cpu();
	return claimed ? run : NULL;
}

/* A pooled context for a sleepable run: reused, or allocated here. */
static struct kinfer_run *claim_pooled_run(int *err)
{
	struct kinfer_run *run;
	bool grow = false;

	might_sleep();
	spin_lock(&kinfer_pool_lock);
	run = list_first_entry_or_null(&kinfer_pool_free, struct kinfer_run,
				       pool_node);
	if (run) {
		list_del_init(&run->pool_node);
	} else if (kinfer_pool_allocated < kinfer_pool_max) {
		kinfer_pool_allocated++;	/* reserved, allocated below */
		grow = true;
	} else {
		spin_unlock(&kinfer_pool_lock);
		*err = -EBUSY;
		return NULL;
	}
	kinfer_pool_in_use++;
	spin_unlock(&kinfer_pool_lock);

	if (grow) {
		run = run_alloc(KINFER_LEVEL_SLEEPABLE, kinfer_arena_bytes,
				NUMA_NO_NODE);
		if (!run) {
			spin_lock(&kinfer_pool_lock);
			kinfer_pool_allocated--;
			kinfer_pool_in_use--;
			spin_unlock(&kinfer_pool_lock);
			*err = -ENOMEM;
			return NULL;
		}
	}
	atomic_set(&run->busy, 1);
	return run;
}

static void release_pooled_run(struct kinfer_run *run)
{
	atomic_set(&run->busy, 0);
	spin_lock(&kinfer_pool_lock);
	/* At the head: the next run takes the context warmest in cache. */
	list_add(&run->pool_node, &kinfer_pool_free);
	kinfer_pool_in_use--;
	spin_unlock(&kinfer_pool_lock);
}

/**
 * kinfer_run_begin() - start a model run
 * @plan: the plan map value (struct kinfer_plan followed by its nodes)
 * @plan_sz: bytes readable at @plan, as proved by the verifier
 * @status: receives 0 or why the run was refused
 * @may_sleep: the caller is a sleepable program
 *
 * Checks the context and the plan header, takes a reference on the model
 * the header names and claims a context: this CPU's context of the
 * current nesting level (task, softirq or hardirq), or with @may_sleep
 * one from the pool of sleepable contexts.  The header is copied once and
 * the copy's limits are what later kfuncs check against, so a plan
 * rewritten mid-run cannot widen them.
 *
 * Return: the context, or NULL with *@status set: -EOPNOTSUPP (NMI, or
 * task context with interrupts or bottom halves disabled), -EINVAL or
 * -EPROTO (malformed plan, other ABI version), -ENOENT (no model with
 * the plan's id is registered), -E2BIG (the plan needs more arena or work
 * than it may have here), -EBUSY (this CPU's context of this level is in
 * use; sleepable: max_sleepable_runs runs are in flight), -ENOMEM
 * (sleepable: a new pooled context could not be allocated).
 */
struct kinfer_ctx *kinfer_run_begin(const void *plan, u32 plan_sz, int *status,
				    bool may_sleep)
{
	enum kinfer_level level;
	struct kinfer_model *model;
	struct kinfer_plan hdr;
	struct kinfer_run *run;
	int ret;

	*status = -EOPNOTSUPP;
	if (!kinfer_context_allowed()) {
		kinfer_stat_inc(KINFER_STAT_DENIED);
		return NULL;
	}
	if (may_sleep) {
		level = KINFER_LEVEL_SLEEPABLE;
	} else {
		level = interrupt_context_level();
		if (level >= KINFER_CPU_LEVELS) {	/* NMI: refused above */
			kinfer_stat_inc(KINFER_STAT_DENIED);
			return NULL;
		}
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
	ret = plan_fits(&hdr, model, level);
	if (ret) {
		kinfer_model_count(model, KINFER_MODEL_REFUSED);
		goto err_put;
	}
	ret = -EBUSY;
	if (level == KINFER_LEVEL_SLEEPABLE)
		run = claim_pooled_run(&ret);
	else
		run = claim_cpu_run(level);
	if (!run) {
		if (ret == -EBUSY) {
			kinfer_stat_inc(KINFER_STAT_BUSY_TASK + level);
			kinfer_model_count(model, KINFER_MODEL_BUSY);
		} else {
			kinfer_stat_inc(KINFER_STAT_SLEEPABLE_NOMEM);
		}
		goto err_put;
	}
	kinfer_stat_inc(KINFER_STAT_ACQUIRED_TASK + level);

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
 * reference and frees the context: a CPU's context for the next run at
 * its level, a pooled one back to the pool's free list.  Does not sleep.
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
	if (run->level == KINFER_LEVEL_SLEEPABLE)
		release_pooled_run(run);
	else
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
