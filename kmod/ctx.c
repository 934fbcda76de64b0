// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU run contexts.
 *
 * Each possible CPU has one struct kinfer_run and one arena, allocated at
 * module init.  A run owns its CPU's context from kinfer_run_begin() to
 * kinfer_run_end(); ownership is a cmpxchg on ->busy, so a second run on
 * the same CPU (a hook firing from an interrupt in the middle of a run, or
 * a sleepable program preempted between kfunc calls) gets NULL instead of a
 * shared arena.  Nothing here sleeps: begin/end may be called from any
 * context a BPF program runs in.
 */
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "ctx.h"
#include "model.h"
#include "uapi/kinfer.h"

static DEFINE_PER_CPU(struct kinfer_run, kinfer_runs);
static u32 kinfer_arena_bytes;

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

		run->arena = vzalloc_node(arena_bytes, cpu_to_node(cpu));
		if (!run->arena) {
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

		vfree(run->arena);
		run->arena = NULL;
	}
}

/* Integer-only checks of a plan header copied out of the plan map value. */
static bool plan_header_ok(const struct kinfer_plan *hdr, u32 plan_sz)
{
	if (hdr->magic != KINFER_PLAN_MAGIC ||
	    hdr->abi_version != KINFER_ABI_VERSION ||
	    hdr->reserved[0] || hdr->reserved[1])
		return false;
	if (hdr->n_nodes > KINFER_MAX_NODES ||
	    struct_size(hdr, nodes, hdr->n_nodes) > plan_sz)
		return false;
	return hdr->arena_bytes <= kinfer_arena_bytes;
}

/**
 * kinfer_run_begin() - start a model run on this CPU
 * @plan: the plan map value (struct kinfer_plan followed by its nodes)
 * @plan_sz: bytes readable at @plan, as proved by the verifier
 *
 * Validates the plan header, takes a reference on the model it names and
 * claims this CPU's context.  The header is copied once and the copy's
 * n_nodes and arena_bytes are what later kfuncs check against, so a plan
 * rewritten mid-run cannot widen the checks.
 *
 * Return: the context, or NULL if the plan is malformed, the model is not
 * registered, the plan needs more arena than the model declared, this CPU's
 * context is busy, or we are in NMI context.
 */
struct kinfer_ctx *kinfer_run_begin(const void *plan, u32 plan_sz)
{
	struct kinfer_model *model;
	struct kinfer_plan hdr;
	struct kinfer_run *run;
	bool claimed;

	/*
	 * No FPU in NMI context (irq_fpu_usable() warns there), and no model
	 * reference either: dropping the last one frees through RCU, which
	 * is not NMI-safe. Refused before anything is taken, so not counted.
	 */
	if (in_nmi())
		return NULL;
	if (!plan || plan_sz < sizeof(hdr))
		return NULL;
	memcpy(&hdr, plan, sizeof(hdr));
	if (!plan_header_ok(&hdr, plan_sz))
		return NULL;

	model = kinfer_model_get(hdr.model_id);
	if (!model)
		return NULL;
	if (hdr.arena_bytes > model->arena_bytes) {
		kinfer_model_count_error(model);
		goto err_put;
	}

	run = get_cpu_ptr(&kinfer_runs);
	claimed = atomic_cmpxchg_acquire(&run->busy, 0, 1) == 0;
	put_cpu_ptr(&kinfer_runs);
	if (!claimed) {
		kinfer_model_count_busy(model);
		goto err_put;
	}

	run->plan = plan;
	run->plan_sz = plan_sz;
	run->n_nodes = hdr.n_nodes;
	run->arena_bytes = hdr.arena_bytes;
	run->model = model;
	/*
	 * A plan may read arena bytes it never wrote; they must not be what
	 * an earlier run, perhaps of another model, left there.
	 */
	memset(run->arena, 0, hdr.arena_bytes);
	run->start_ns = ktime_get_mono_fast_ns();
	run->ctx.pc = 0;
	run->ctx.err = 0;
	return &run->ctx;

err_put:
	kinfer_model_put(model);
	return NULL;
}

/**
 * kinfer_run_end() - finish a run started by kinfer_run_begin()
 * @ctx: the context it returned
 *
 * Counts the run against its model (as an error when a kfunc failed or not
 * every node ran), drops the model reference and frees the context.
 */
void kinfer_run_end(struct kinfer_ctx *ctx)
{
	struct kinfer_run *run = kinfer_run_of(ctx);
	struct kinfer_model *model = run->model;
	bool failed = ctx->err || ctx->pc != run->n_nodes;

	kinfer_model_account(model, failed,
			     ktime_get_mono_fast_ns() - run->start_ns);
	run->model = NULL;
	run->plan = NULL;
	atomic_set_release(&run->busy, 0);
	kinfer_model_put(model);
}
