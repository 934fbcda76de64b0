/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tasks: a pipeline on a hook with an action; settings root changes live
 * and counters, under /sys/kernel/kinfer/tasks/<task>/ (tasks.c), and the
 * verdict of each event (verdict.c).
 */
#ifndef _KINFER_TASKS_H
#define _KINFER_TASKS_H

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "uapi/kinfer.h"
#include "uapi/kinfer_task.h"

/* Per-task counters, one per sysfs file of the same name. */
enum kinfer_task_stat {
	KINFER_TASK_EVENTS,	/* hook events while enabled */
	KINFER_TASK_SAMPLED_OUT,	/* of those, not classified (sample_rate) */
	KINFER_TASK_FLAGGED,	/* classified and flagged */
	KINFER_TASK_DENIED,	/* denied: flagged, or an error with on_error=deny */
	KINFER_TASK_ERRORS,	/* no result (the pipeline failed) */
	KINFER_TASK_STAT_COUNT
};

struct bpf_prog;

struct kinfer_task_stats {
	u64 n[KINFER_TASK_STAT_COUNT];
};

/**
 * struct kinfer_task_settings - what root changes live, one sysfs file each
 * @enabled: classify events at all
 * @mode: KINFER_MODE_AUDIT or KINFER_MODE_ENFORCE
 * @on_error: KINFER_ON_ERROR_ALLOW or KINFER_ON_ERROR_DENY
 * @sample_rate: classify one event in @sample_rate, 1..1000000
 * @threshold_ppm: the threshold in millionths, -1000000..1000000
 * @threshold_key: the threshold as an ordered float key (verdict.c)
 * @max_tokens: token ids the pipeline may make of one event's text, [CLS]
 *	and [SEP] included; 0 for the pipeline's own length
 *
 * Each field is read with READ_ONCE() by the hooks and written whole by
 * sysfs, so a write takes effect on the next event.
 */
struct kinfer_task_settings {
	u32 enabled;
	u32 mode;
	u32 on_error;
	u32 sample_rate;
	s32 threshold_ppm;
	u32 threshold_key;
	u32 max_tokens;
};

/**
 * struct kinfer_task - a registered task
 * @kobj: /sys/kernel/kinfer/tasks/<name>
 * @id: what the hook program's config map holds, allocated cyclically
 * @set: the live settings
 * @seq: events seen, for sampling
 * @last_latency_ns: of the last classified event
 * @max_latency_ns: the largest so far
 * @stats: per-CPU counters
 * @runner_lock: serialises runs of @runner with its replacement
 * @runner: the program that classifies deferred events, or NULL
 * @kick: queued by kinfer_task_defer() from any context
 * @drain: runs @runner in process context (defer.c)
 * @name: [A-Za-z0-9_-]{1,KINFER_NAME_MAX}
 * @pipeline: the model the task runs, as given when it was added
 */
struct kinfer_task {
	struct kobject kobj;
	u32 id;
	struct kinfer_task_settings set;
	atomic_t seq;
	u64 last_latency_ns;
	atomic64_t max_latency_ns;
	struct kinfer_task_stats __percpu *stats;
	struct mutex runner_lock;	/* serialises @runner with its replacement */
	struct bpf_prog *runner;
	struct irq_work kick;
	struct work_struct drain;
	char name[KINFER_NAME_MAX + 1];
	char pipeline[KINFER_NAME_MAX + 1];
};

int kinfer_task_init(struct kobject *parent);
void kinfer_task_exit(void);
int kinfer_task_add(const char *name, const char *pipeline);
int kinfer_task_remove(const char *name);

struct kinfer_task *kinfer_task_find(u32 id);

int kinfer_task_parse_threshold(const char *buf, s32 *ppm);
u32 kinfer_task_threshold_key(s32 ppm);

int kinfer_defer_init(void);
void kinfer_defer_exit(void);
void kinfer_task_defer_setup(struct kinfer_task *task);
void kinfer_task_defer_stop(struct kinfer_task *task);
int kinfer_task_set_runner(struct kinfer_task *task, int fd);
u32 kinfer_task_runner_id(struct kinfer_task *task);
int kinfer_task_kick(u32 task_id);

int kinfer_task_event_begin(u32 task_id, struct kinfer_task_run *run);
int kinfer_task_event_end(u32 task_id, struct kinfer_task_run *run);

#endif /* _KINFER_TASKS_H */
