// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred classification: for hooks that fire where a model cannot run
 * (kernel log lines: any context, interrupts possibly off).
 *
 * The hook queues its text in a BPF map and calls kinfer_task_defer(),
 * which only queues an irq_work: safe in any context, NMI included.  The
 * irq_work queues the task's work item, and the work item runs the task's
 * runner program in process context as the kernel runs sleepable BPF
 * programs (under rcu_read_lock_trace(), migration off), so the pipeline
 * it calls gets a sleepable run: large models, rescheduling between
 * sections, no latency added to the code that logged.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/irq_work.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_trace.h>
#include <linux/workqueue.h>

#include "tasks.h"

static struct workqueue_struct *kinfer_defer_wq;

static void run_runner(struct kinfer_task *task)
{
	struct kinfer_drain_ctx ctx = { .task_id = task->id };
	u32 ret = 0;

	mutex_lock(&task->runner_lock);
	if (task->runner) {
		rcu_read_lock_trace();
		migrate_disable();
		ret = bpf_prog_run(task->runner, &ctx);
		migrate_enable();
		rcu_read_unlock_trace();
	}
	mutex_unlock(&task->runner_lock);
	if (ret == KINFER_DRAIN_MORE)
		queue_work(kinfer_defer_wq, &task->drain);
}

static void drain_work(struct work_struct *work)
{
	run_runner(container_of(work, struct kinfer_task, drain));
}

static void kick_irq_work(struct irq_work *work)
{
	struct kinfer_task *task = container_of(work, struct kinfer_task, kick);

	queue_work(kinfer_defer_wq, &task->drain);
}

/**
 * kinfer_task_defer_setup() - initialise a new task's deferral state
 * @task: not yet published
 */
void kinfer_task_defer_setup(struct kinfer_task *task)
{
	mutex_init(&task->runner_lock);
	init_irq_work(&task->kick, kick_irq_work);
	INIT_WORK(&task->drain, drain_work);
}

/**
 * kinfer_task_defer_stop() - stop a removed task's deferred work
 * @task: unpublished, after an RCU grace period (no new kicks)
 *
 * Waits for a queued kick and a running runner, then drops the runner.
 */
void kinfer_task_defer_stop(struct kinfer_task *task)
{
	irq_work_sync(&task->kick);
	cancel_work_sync(&task->drain);
	mutex_lock(&task->runner_lock);
	if (task->runner)
		bpf_prog_put(task->runner);
	task->runner = NULL;
	mutex_unlock(&task->runner_lock);
}

/**
 * kinfer_task_set_runner() - give a task the program that drains its queue
 * @task: the task
 * @fd: a sleepable BPF_PROG_TYPE_SYSCALL program, in the caller's file
 *	table; -1 to remove the runner
 *
 * Return: 0, -EBADF or -EINVAL (not such a program).
 */
int kinfer_task_set_runner(struct kinfer_task *task, int fd)
{
	struct bpf_prog *prog = NULL, *old;

	if (fd >= 0) {
		prog = bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_SYSCALL, false);
		if (IS_ERR(prog))
			return PTR_ERR(prog);
		if (!prog->aux->sleepable) {
			bpf_prog_put(prog);
			return -EINVAL;
		}
	} else if (fd != -1) {
		return -EBADF;
	}
	mutex_lock(&task->runner_lock);
	old = task->runner;
	task->runner = prog;
	mutex_unlock(&task->runner_lock);
	if (old)
		bpf_prog_put(old);
	if (prog)
		queue_work(kinfer_defer_wq, &task->drain);	/* queued meanwhile */
	return 0;
}

/**
 * kinfer_task_runner_id() - the BPF id of a task's runner program
 * @task: the task
 *
 * Return: the id, 0 without a runner.
 */
u32 kinfer_task_runner_id(struct kinfer_task *task)
{
	u32 id;

	mutex_lock(&task->runner_lock);
	id = task->runner ? task->runner->aux->id : 0;
	mutex_unlock(&task->runner_lock);
	return id;
}

/**
 * kinfer_task_kick() - have a task's runner drain its queue soon
 * @task_id: the task
 *
 * Safe in any context, NMI included: only an irq_work is queued.
 *
 * Return: 0, or -ENOENT when no task has @task_id.
 */
int kinfer_task_kick(u32 task_id)
{
	struct kinfer_task *task;
	int ret = -ENOENT;

	rcu_read_lock();
	task = kinfer_task_find(task_id);
	if (task) {
		irq_work_queue(&task->kick);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

int kinfer_defer_init(void)
{
	kinfer_defer_wq = alloc_workqueue("kinfer_defer", WQ_UNBOUND, 0);
	return kinfer_defer_wq ? 0 : -ENOMEM;
}

/* After every task is stopped. */
void kinfer_defer_exit(void)
{
	destroy_workqueue(kinfer_defer_wq);
}
