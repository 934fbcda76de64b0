/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model registry: names, ids, reference counts, counters, sysfs dirs.
 */
#ifndef _KINFER_MODEL_H
#define _KINFER_MODEL_H

#include <linux/kobject.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "uapi/kinfer.h"

/*
 * At most KINFER_MAX_MODELS models are registered at once.  Ids are
 * handed out cyclically from 1 (0 is never a valid model_id), so an
 * unregistered model's id is not soon reused by a new one.
 */
#define KINFER_MAX_MODELS	4096U

/* Per-model counters, one per sysfs file of the same name. */
enum kinfer_model_stat {
	KINFER_MODEL_CALLS,	/* runs released, successful or not */
	KINFER_MODEL_ERRORS,	/* released runs that failed */
	KINFER_MODEL_BUSY,	/* acquires refused: no free run context */
	KINFER_MODEL_REFUSED,	/* acquires refused: arena or work too large */
	KINFER_MODEL_STAT_COUNT
};

/* One CPU's share of a model's counters. */
struct kinfer_model_stats {
	u64 n[KINFER_MODEL_STAT_COUNT];
};

/**
 * struct kinfer_model - a registered model
 * @kobj: /sys/kernel/kinfer/models/<name>
 * @ref: one for the registry, one per run between acquire and release;
 *	the memory goes an RCU grace period after it drops to zero
 * @id: the plan's model_id, allocated from the registry xarray
 * @arena_bytes: per-CPU arena bytes the model needs (given at register)
 * @last_run_ns: duration of the last released run
 * @last_error: errno of the last failed run (negative), 0 if none failed
 * @last_error_node: the node that failed in that run
 * @stats: per-CPU counters
 * @free_work: deferred free, process context, after an RCU grace period
 * @name: [A-Za-z0-9_-]{1,KINFER_NAME_MAX}
 */
struct kinfer_model {
	struct kobject kobj;
	refcount_t ref;
	u32 id;
	u32 arena_bytes;
	u64 last_run_ns;
	s32 last_error;
	u32 last_error_node;
	struct kinfer_model_stats __percpu *stats;
	struct rcu_work free_work;
	char name[KINFER_NAME_MAX + 1];
};

bool kinfer_name_valid(const char *name);

int kinfer_model_init(void);
void kinfer_model_exit(void);

int kinfer_model_register(struct kobject *parent, const char *name,
			  u32 arena_bytes);
int kinfer_model_unregister(const char *name);
void kinfer_model_unregister_all(void);

struct kinfer_model *kinfer_model_get(u32 id);
void kinfer_model_put(struct kinfer_model *model);
void kinfer_model_account(struct kinfer_model *model, int err, u32 node,
			  u64 duration_ns);
void kinfer_model_count(struct kinfer_model *model,
			enum kinfer_model_stat stat);

#endif /* _KINFER_MODEL_H */
