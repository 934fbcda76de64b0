// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs: acquire, bind and release, plus one kfunc per op of
 * KINFER_OP_LIST, generated from it.
 *
 * A model run, as the loader emits it:
 *
 *	ctx = kinfer_ctx_acquire_sleepable(plan, plan__sz, &status);
 *	if (!ctx) return status;
 *	kinfer_bind(ctx, io, io__sz);		buffers of node 0
 *	kinfer_input(ctx);			node 0
 *	kinfer_bind(ctx, w, w__sz);		buffers of node 1
 *	kinfer_matmul(ctx);			node 1
 *	...
 *	kinfer_ctx_release(ctx);
 *
 * Each op kfunc executes the node at the run's cursor.  On success it
 * moves on and returns 0.  On failure it records the error; every later
 * kfunc of the run then returns -ECANCELED without doing anything, and
 * release counts the run as an error.  So a program may ignore the return
 * values and check only the output, or bail out early.
 *
 * (pointer, __sz) pairs are checked by the verifier for reads and writes
 * only: the plan's tensors are checked against the sizes here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>

#include "argv.h"
#include "ctx.h"
#include "kfuncs.h"
#include "tasks.h"

/*
 * A sleepable BPF program runs preemptible and outside any RCU read-side
 * section (under rcu_read_lock_trace()); a non-sleepable one always runs
 * inside rcu_read_lock() or with preemption off.  So a freplace program
 * -- never loaded sleepable -- attached to a sleepable hook can tell from
 * here that sleeping is allowed.  Without preempt counts, say no.
 */
static bool caller_may_sleep(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		return false;
	return preemptible() && !rcu_preempt_depth() && !pagefault_disabled();
}

/**
 * kinfer_ctx_acquire() - start a model run on this CPU, in any context
 * @plan: the plan map value: struct kinfer_plan, then its nodes
 * @plan__sz: size of @plan (a constant the verifier checks)
 * @status: receives 0 or the reason the run was refused
 *
 * Checks the context and the plan header, references the registered model
 * with id plan->model_id, claims this CPU's context of the current nesting
 * level (task, softirq or hardirq; each has its own) and clears the arena
 * bytes the plan uses.  Does not sleep; the run's work is bounded by the
 * module parameter budget_atomic, its arena in softirq and hardirq
 * context by irq_arena_kib.
 *
 * Return: the run context, to be passed to every other kfunc and finally
 * to kinfer_ctx_release(); NULL with *@status set (see kinfer_run_begin():
 * -EOPNOTSUPP, -EINVAL, -EPROTO, -ENOENT, -E2BIG, -EBUSY).
 */
struct kinfer_ctx *kinfer_ctx_acquire(const void *plan, u32 plan__sz,
				      int *status)
{
	return kinfer_run_begin(plan, plan__sz, status, false);
}

/**
 * kinfer_ctx_acquire_auto() - start a model run as the caller's context allows
 * @plan: as kinfer_ctx_acquire()
 * @plan__sz: as kinfer_ctx_acquire()
 * @status: as kinfer_ctx_acquire()
 *
 * For code that cannot know at load time whether it will run sleepable:
 * a pipeline attached (freplace) to a hook's kinfer_pipeline_call, which
 * the verifier treats as non-sleepable whatever the hook is.  Where the
 * caller may in fact sleep (a sleepable LSM hook, a task's runner), the
 * run is a sleepable one, as kinfer_ctx_acquire_sleepable() gives;
 * elsewhere an atomic one, as kinfer_ctx_acquire() gives.
 *
 * Return: as those two.
 */
struct kinfer_ctx *kinfer_ctx_acquire_auto(const void *plan, u32 plan__sz,
					   int *status)
{
	return kinfer_run_begin(plan, plan__sz, status, caller_may_sleep());
}

/**
 * kinfer_ctx_acquire_sleepable() - start a model run from a sleepable program
 * @plan: as kinfer_ctx_acquire()
 * @plan__sz: as kinfer_ctx_acquire()
 * @status: as kinfer_ctx_acquire()
 *
 * As kinfer_ctx_acquire(), for sleepable programs only (the verifier
 * enforces it): the run reschedules between compute sections and its work
 * is bounded by budget_sleepable.  Its context is not this CPU's but one
 * of the pool of sleepable contexts (allocated on first need, at most
 * max_sleepable_runs), so runs on this CPU while it yields are not
 * refused.  May sleep.
 *
 * Return: as kinfer_ctx_acquire(); also -EBUSY when max_sleepable_runs
 * runs are in flight, -ENOMEM when a new context could not be allocated.
 */
struct kinfer_ctx *kinfer_ctx_acquire_sleepable(const void *plan, u32 plan__sz,
						int *status)
{
	return kinfer_run_begin(plan, plan__sz, status, true);
}

/**
 * kinfer_ctx_release() - end a model run
 * @ctx: from kinfer_ctx_acquire() or kinfer_ctx_acquire_sleepable()
 *
 * Counts the run (models/<name>/calls; also errors, last_error and
 * last_error_node when a kfunc failed, fewer than n_nodes nodes ran, or
 * buffers were left bound), stores its duration in last_run_ns, drops the
 * model reference and frees the context where it came from.  Does not
 * sleep.
 */
void kinfer_ctx_release(struct kinfer_ctx *ctx)
{
	kinfer_run_end(ctx);
}

/**
 * kinfer_bind() - stage a buffer for the next node
 * @ctx: the run
 * @buf: a weight, constant or io map value
 * @buf__sz: its size
 *
 * The next node's tensors address the bound buffers in bind order as
 * KINFER_BUF_BIND0 + i; the node consumes them all.
 *
 * Return: 0, -EINVAL, -E2BIG (more than KINFER_MAX_BINDS), -ECANCELED
 * after an earlier error.
 */
int kinfer_bind(struct kinfer_ctx *ctx, void *buf, u32 buf__sz)
{
	return kinfer_run_bind(ctx, buf, buf__sz);
}

/**
 * kinfer_task_begin() - should a hook classify this event?
 * @task_id: the task, from the hook's config map
 * @run: the event's record (struct kinfer_task_run)
 * @run__sz: sizeof(struct kinfer_task_run)
 *
 * No FPU, no sleeping: callable from any hook.
 *
 * Return: 1 to classify, 0 to let the event pass (the task is disabled or
 * sampled it out), -ENOENT (no such task), -EINVAL (@run__sz).
 */
int kinfer_task_begin(u32 task_id, void *run, u32 run__sz)
{
	if (run__sz != sizeof(struct kinfer_task_run))
		return -EINVAL;
	return kinfer_task_event_begin(task_id, run);
}

/**
 * kinfer_task_end() - the verdict on a classified event
 * @task_id: as given to kinfer_task_begin()
 * @run: its record, with the pipeline's result filled in
 * @run__sz: sizeof(struct kinfer_task_run)
 *
 * Applies the task's mode, threshold and on_error as they are now, counts
 * the event and sets run->flags, run->verdict and run->latency_ns.
 *
 * Return: the verdict the hook returns, 0 or -EPERM; -EINVAL (@run__sz).
 */
int kinfer_task_end(u32 task_id, void *run, u32 run__sz)
{
	if (run__sz != sizeof(struct kinfer_task_run))
		return -EINVAL;
	return kinfer_task_event_end(task_id, run);
}

/**
 * kinfer_task_defer() - have the task's runner classify queued text soon
 * @task_id: the task
 *
 * For hooks that cannot run the model inline: the text waits in the
 * hook's queue map, and the module runs the task's runner program in
 * process context (tasks/<task>/runner).  Safe in any context.
 *
 * Return: 0, or -ENOENT (no such task).
 */
int kinfer_task_defer(u32 task_id)
{
	return kinfer_task_kick(task_id);
}

/**
 * kinfer_exec_argv_read() - the command line of an exec being checked
 * @bprm: the exec (the bprm_check_security hook's argument)
 * @buf: receives " ".join(argv), then NUL bytes
 * @buf__sz: bytes at @buf
 *
 * For sleepable programs only: reads the new process's stack pages.
 *
 * Return: the text's length, @buf__sz + 1 when it was cut, or -EINVAL,
 * -EFAULT (kinfer_exec_argv()).
 */
int kinfer_exec_argv_read(struct linux_binprm *bprm, void *buf, u32 buf__sz)
{
	return kinfer_exec_argv(bprm, buf, buf__sz);
}

/*
 * kinfer_<name>(ctx) for each op: run the plan node at the cursor, which
 * must be KINFER_OP_<NAME>.  Returns 0, or a negative errno: -EINVAL for a
 * node that does not fit its op or buffers, -E2BIG for work beyond the
 * plan's, -EBUSY or -EOPNOTSUPP where the FPU cannot be used, -ECANCELED
 * after an earlier error, or an op's own (-ERANGE: an index out of range).
 */
#define KINFER_OP_KFUNC(NAME, id, name, cls, attr, cost)		\
int kinfer_##name(struct kinfer_ctx *ctx)				\
{									\
	return kinfer_run_node(ctx, KINFER_OP_##NAME);			\
}

KINFER_OP_LIST(KINFER_OP_KFUNC)
#undef KINFER_OP_KFUNC

/*
 * KF_TRUSTED_ARGS: bind and the op kfuncs accept only the referenced
 * context an acquire returned, never a struct kinfer_ctx pointer a tracing
 * program found elsewhere (an fentry argument of our own functions), which
 * could name a finished run or another task's run.
 */
#define KINFER_OP_BTF_ID(NAME, id, name, cls, attr, cost)		\
	BTF_ID_FLAGS(func, kinfer_##name, KF_TRUSTED_ARGS)

BTF_SET8_START(kinfer_kfunc_ids)
BTF_ID_FLAGS(func, kinfer_ctx_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, kinfer_ctx_acquire_auto, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, kinfer_ctx_acquire_sleepable,
	     KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE)
BTF_ID_FLAGS(func, kinfer_ctx_release, KF_RELEASE)
BTF_ID_FLAGS(func, kinfer_bind, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_task_begin)
BTF_ID_FLAGS(func, kinfer_task_end)
BTF_ID_FLAGS(func, kinfer_task_defer)
BTF_ID_FLAGS(func, kinfer_exec_argv_read, KF_SLEEPABLE)
KINFER_OP_LIST(KINFER_OP_BTF_ID)
BTF_SET8_END(kinfer_kfunc_ids)

#undef KINFER_OP_BTF_ID

static const struct btf_kfunc_id_set kinfer_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &kinfer_kfunc_ids,
};

/*
 * Program types that may call the kfuncs, one registration each.
 *
 * On 6.1 each program type maps to a kfunc "hook" and a module may register
 * only one set per hook: a second registration for the same hook WARNs and
 * frees the module's whole kfunc table.  BPF_PROG_TYPE_LSM shares the
 * TRACING hook (bpf_prog_type_to_kfunc_hook()), so registering TRACING
 * covers LSM programs (and freplace programs attached to either); LSM must
 * not get its own row.  XDP and SCHED_CLS have hooks of their own and can
 * be added here.
 */
static const enum bpf_prog_type kinfer_kfunc_prog_types[] = {
	BPF_PROG_TYPE_SYSCALL,
	BPF_PROG_TYPE_TRACING,	/* and BPF_PROG_TYPE_LSM */
};

/**
 * kinfer_kfuncs_init() - register the kfunc set for each program type
 *
 * Return: 0 or the first registration error.
 */
int kinfer_kfuncs_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(kinfer_kfunc_prog_types); i++) {
		ret = register_btf_kfunc_id_set(kinfer_kfunc_prog_types[i],
						&kinfer_kfunc_set);
		if (ret) {
			pr_err("kfunc registration for program type %d failed: %d\n",
			       kinfer_kfunc_prog_types[i], ret);
			return ret;
		}
	}
	return 0;
}
