// SPDX-License-Identifier: GPL-2.0
/*
 * Task registry and /sys/kernel/kinfer/tasks/<task>/.
 *
 * The loader adds a task by name (task_add, root only) when it binds a
 * pipeline to a hook; the task's id goes into the hook program's config
 * map.  Tasks whose hook cannot run the model inline also get a runner
 * program (defer.c).  Hooks find the task by id under RCU for the length of one kfunc
 * call (verdict.c), so a removed task is freed after a grace period and
 * needs no reference counting.  Root tunes the settings live through the
 * task's files; module parameters give new tasks their defaults.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "model.h"
#include "tasks.h"

static char *task_mode = "audit";
module_param(task_mode, charp, 0444);
MODULE_PARM_DESC(task_mode, "Mode of a new task: audit or enforce (default audit)");

static char *task_on_error = "allow";
module_param(task_on_error, charp, 0444);
MODULE_PARM_DESC(task_on_error,
		 "What a new task does with an event it could not classify, in enforce mode: allow or deny (default allow)");

static char *task_threshold = "0.5";
module_param(task_threshold, charp, 0444);
MODULE_PARM_DESC(task_threshold,
		 "Threshold of a new task, a decimal in [-1, 1] with at most six decimals (default 0.5)");

static unsigned int task_sample_rate = 1;
module_param(task_sample_rate, uint, 0444);
MODULE_PARM_DESC(task_sample_rate,
		 "A new task classifies one event in this many, 1..1000000 (default 1)");

static unsigned int task_max_tokens;
module_param(task_max_tokens, uint, 0444);
MODULE_PARM_DESC(task_max_tokens,
		 "Token cap of a new task: 0 for its pipeline's length, else 2..65536 (default 0)");

static bool task_enabled = true;
module_param(task_enabled, bool, 0444);
MODULE_PARM_DESC(task_enabled, "Whether a new task starts enabled (default Y)");

#define MAX_SAMPLE_RATE	1000000U
/* As the loader's longest tokenizer sequence; the pipeline's length caps it. */
#define MAX_TOKENS	65536U

static bool sample_rate_valid(u32 rate)
{
	return rate && rate <= MAX_SAMPLE_RATE;
}

static bool max_tokens_valid(u32 n)
{
	return !n || (n >= 2 && n <= MAX_TOKENS);
}

static const char *const mode_names[] = {
	[KINFER_MODE_AUDIT] = "audit",
	[KINFER_MODE_ENFORCE] = "enforce",
};

static const char *const on_error_names[] = {
	[KINFER_ON_ERROR_ALLOW] = "allow",
	[KINFER_ON_ERROR_DENY] = "deny",
};

static DEFINE_XARRAY_ALLOC1(kinfer_tasks);
static DEFINE_MUTEX(kinfer_tasks_lock);		/* add/remove */
static u32 kinfer_tasks_next_id;		/* under kinfer_tasks_lock */
static unsigned int kinfer_tasks_count;		/* under kinfer_tasks_lock */
static struct kobject *kinfer_tasks_kobj;
static struct kinfer_task_settings task_defaults;

static struct kinfer_task *to_task(struct kobject *kobj)
{
	return container_of(kobj, struct kinfer_task, kobj);
}

static u64 task_stat_sum(const struct kinfer_task *task,
			 enum kinfer_task_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(task->stats, cpu)->n[stat]);
	return sum;
}

static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_task(kobj)->id);
}

static ssize_t pipeline_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", to_task(kobj)->pipeline);
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_task(kobj)->set.enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	WRITE_ONCE(to_task(kobj)->set.enabled, on);
	return count;
}

/* A setting that is one of a list of words. */
#define TASK_WORD_ATTR(file, words)					\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%s\n",					\
			  words[READ_ONCE(to_task(kobj)->set.file)]);	\
}									\
static ssize_t file##_store(struct kobject *kobj,			\
			    struct kobj_attribute *attr,		\
			    const char *buf, size_t count)		\
{									\
	int i = sysfs_match_string(words, buf);				\
									\
	if (i < 0)							\
		return -EINVAL;						\
	WRITE_ONCE(to_task(kobj)->set.file, i);				\
	return count;							\
}

TASK_WORD_ATTR(mode, mode_names)
TASK_WORD_ATTR(on_error, on_error_names)

static ssize_t threshold_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	s32 ppm = READ_ONCE(to_task(kobj)->set.threshold_ppm);
	u32 mag = ppm < 0 ? -ppm : ppm;

	return sysfs_emit(buf, "%s%u.%06u\n", ppm < 0 ? "-" : "",
			  mag / 1000000, mag % 1000000);
}

static ssize_t threshold_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	struct kinfer_task *task = to_task(kobj);
	s32 ppm;
	int ret = kinfer_task_parse_threshold(buf, &ppm);

	if (ret)
		return ret;
	/* Hooks compare with the key; the ppm is what root reads back. */
	WRITE_ONCE(task->set.threshold_key, kinfer_task_threshold_key(ppm));
	WRITE_ONCE(task->set.threshold_ppm, ppm);
	return count;
}

/*
 * A number setting: parsed, checked, then written whole, so a hook reads
 * either the old value or the new one.
 */
static ssize_t store_u32(const char *buf, size_t count, bool (*valid)(u32),
			 u32 *setting)
{
	u32 v;
	int ret = kstrtou32(buf, 10, &v);

	if (ret)
		return ret == -ERANGE ? -EINVAL : ret;
	if (!valid(v))
		return -EINVAL;
	WRITE_ONCE(*setting, v);
	return count;
}

#define TASK_U32_ATTR(file)						\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_task(kobj)->set.file)); \
}									\
static ssize_t file##_store(struct kobject *kobj,			\
			    struct kobj_attribute *attr,		\
			    const char *buf, size_t count)		\
{									\
	return store_u32(buf, count, file##_valid,			\
			 &to_task(kobj)->set.file);			\
}									\
static struct kobj_attribute task_attr_##file = __ATTR_RW(file)

TASK_U32_ATTR(sample_rate);
TASK_U32_ATTR(max_tokens);

static ssize_t runner_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", kinfer_task_runner_id(to_task(kobj)));
}

/* A file descriptor in the writer's file table; -1 removes the runner. */
static ssize_t runner_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int fd, ret = kstrtoint(buf, 10, &fd);

	if (ret)
		return ret;
	ret = kinfer_task_set_runner(to_task(kobj), fd);
	return ret ? ret : count;
}

#define TASK_STAT_ATTR(file, stat)					\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  task_stat_sum(to_task(kobj), stat));		\
}									\
static struct kobj_attribute task_attr_##file = __ATTR_RO(file)

TASK_STAT_ATTR(events, KINFER_TASK_EVENTS);
TASK_STAT_ATTR(sampled_out, KINFER_TASK_SAMPLED_OUT);
TASK_STAT_ATTR(flagged, KINFER_TASK_FLAGGED);
TASK_STAT_ATTR(denied, KINFER_TASK_DENIED);
TASK_STAT_ATTR(errors, KINFER_TASK_ERRORS);

static ssize_t last_latency_ns_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(to_task(kobj)->last_latency_ns));
}

static ssize_t max_latency_ns_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&to_task(kobj)->max_latency_ns));
}

/* Settings: root writes, everyone reads (sysfs checks the mode bits). */
static struct kobj_attribute task_attr_id = __ATTR_RO(id);
static struct kobj_attribute task_attr_pipeline = __ATTR_RO(pipeline);
static struct kobj_attribute task_attr_enabled = __ATTR_RW(enabled);
static struct kobj_attribute task_attr_mode = __ATTR_RW(mode);
static struct kobj_attribute task_attr_on_error = __ATTR_RW(on_error);
static struct kobj_attribute task_attr_threshold = __ATTR_RW(threshold);
static struct kobj_attribute task_attr_runner = __ATTR_RW(runner);
static struct kobj_attribute task_attr_last_latency_ns =
	__ATTR_RO(last_latency_ns);
static struct kobj_attribute task_attr_max_latency_ns =
	__ATTR_RO(max_latency_ns);

static struct attribute *task_attrs[] = {
	&task_attr_id.attr,
	&task_attr_pipeline.attr,
	&task_attr_enabled.attr,
	&task_attr_mode.attr,
	&task_attr_on_error.attr,
	&task_attr_threshold.attr,
	&task_attr_sample_rate.attr,
	&task_attr_max_tokens.attr,
	&task_attr_runner.attr,
	&task_attr_events.attr,
	&task_attr_sampled_out.attr,
	&task_attr_flagged.attr,
	&task_attr_denied.attr,
	&task_attr_errors.attr,
	&task_attr_last_latency_ns.attr,
	&task_attr_max_latency_ns.attr,
	NULL,
};
ATTRIBUTE_GROUPS(task);

static void task_release(struct kobject *kobj)
{
	struct kinfer_task *task = to_task(kobj);

	free_percpu(task->stats);
	kfree(task);
}

static const struct kobj_type task_ktype = {
	.release = task_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = task_groups,
};

static struct kinfer_task *task_by_name(const char *name)
{
	struct kinfer_task *task;
	unsigned long id;

	lockdep_assert_held(&kinfer_tasks_lock);
	xa_for_each(&kinfer_tasks, id, task)
		if (!strcmp(task->name, name))
			return task;
	return NULL;
}

/**
 * kinfer_task_find() - the task with an id
 * @id: from the hook's config map
 *
 * Call under rcu_read_lock(); the task stays valid until it is dropped.
 *
 * Return: the task or NULL.
 */
struct kinfer_task *kinfer_task_find(u32 id)
{
	return xa_load(&kinfer_tasks, id);
}

/**
 * kinfer_task_add() - create a task and its sysfs directory
 * @name: [A-Za-z0-9_-], 1 to KINFER_NAME_MAX characters
 * @pipeline: the name of the model it runs, the same alphabet
 *
 * The task starts with the module parameters' settings.
 *
 * Return: 0, -EINVAL for a bad name, -EEXIST when the name is taken,
 * -ENOSPC when KINFER_MAX_TASKS tasks exist, or -ENOMEM.
 */
int kinfer_task_add(const char *name, const char *pipeline)
{
	struct kinfer_task *task;
	int ret;

	if (!kinfer_name_valid(name) || !kinfer_name_valid(pipeline))
		return -EINVAL;
	task = kzalloc(sizeof(*task), GFP_KERNEL);
	if (!task)
		return -ENOMEM;
	task->stats = alloc_percpu(struct kinfer_task_stats);
	if (!task->stats) {
		kfree(task);
		return -ENOMEM;
	}
	strscpy(task->name, name, sizeof(task->name));
	strscpy(task->pipeline, pipeline, sizeof(task->pipeline));
	task->set = task_defaults;
	kinfer_task_defer_setup(task);
	/* From here on the kobject owns the memory. */
	kobject_init(&task->kobj, &task_ktype);

	mutex_lock(&kinfer_tasks_lock);
	if (task_by_name(name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	if (kinfer_tasks_count >= KINFER_MAX_TASKS) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	ret = xa_alloc_cyclic(&kinfer_tasks, &task->id, task,
			      XA_LIMIT(1, INT_MAX), &kinfer_tasks_next_id,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	ret = kobject_add(&task->kobj, kinfer_tasks_kobj, "%s", name);
	if (ret)
		goto err_xa;
	kinfer_tasks_count++;
	mutex_unlock(&kinfer_tasks_lock);
	return 0;

err_xa:
	xa_erase(&kinfer_tasks, task->id);
	mutex_unlock(&kinfer_tasks_lock);
	synchronize_rcu();	/* a hook may have found the id meanwhile */
	kinfer_task_defer_stop(task);
	kobject_put(&task->kobj);
	return ret;
err_unlock:
	mutex_unlock(&kinfer_tasks_lock);
	kobject_put(&task->kobj);
	return ret;
}

/* Unpublish under the lock; the caller frees after a grace period. */
static void task_unlink(struct kinfer_task *task)
{
	lockdep_assert_held(&kinfer_tasks_lock);
	xa_erase(&kinfer_tasks, task->id);
	kobject_del(&task->kobj);
	kinfer_tasks_count--;
}

/**
 * kinfer_task_remove() - remove a task by name
 * @name: its name
 *
 * Hooks still attached find no task from then on and let events pass.
 * Sleeps for an RCU grace period.
 *
 * Return: 0 or -ENOENT.
 */
int kinfer_task_remove(const char *name)
{
	struct kinfer_task *task;

	mutex_lock(&kinfer_tasks_lock);
	task = task_by_name(name);
	if (task)
		task_unlink(task);
	mutex_unlock(&kinfer_tasks_lock);
	if (!task)
		return -ENOENT;
	synchronize_rcu();
	kinfer_task_defer_stop(task);
	kobject_put(&task->kobj);
	return 0;
}

/* Module exit: one grace period per task, at most KINFER_MAX_TASKS. */
static void remove_all(void)
{
	struct kinfer_task *task;
	unsigned long id;

	for (;;) {
		id = 0;
		mutex_lock(&kinfer_tasks_lock);
		task = xa_find(&kinfer_tasks, &id, ULONG_MAX, XA_PRESENT);
		if (task)
			task_unlink(task);
		mutex_unlock(&kinfer_tasks_lock);
		if (!task)
			return;
		synchronize_rcu();
		kinfer_task_defer_stop(task);
		kobject_put(&task->kobj);
	}
}

static int check_defaults(void)
{
	int ret;

	task_defaults.enabled = task_enabled;
	ret = match_string(mode_names, ARRAY_SIZE(mode_names), task_mode);
	if (ret < 0) {
		pr_err("kinfer: task_mode must be audit or enforce, not '%s'\n",
		       task_mode);
		return -EINVAL;
	}
	task_defaults.mode = ret;
	ret = match_string(on_error_names, ARRAY_SIZE(on_error_names),
			   task_on_error);
	if (ret < 0) {
		pr_err("kinfer: task_on_error must be allow or deny, not '%s'\n",
		       task_on_error);
		return -EINVAL;
	}
	task_defaults.on_error = ret;
	if (kinfer_task_parse_threshold(task_threshold,
					&task_defaults.threshold_ppm)) {
		pr_err("kinfer: task_threshold must be a decimal in [-1, 1] with at most six decimals, not '%s'\n",
		       task_threshold);
		return -EINVAL;
	}
	task_defaults.threshold_key =
		kinfer_task_threshold_key(task_defaults.threshold_ppm);
	if (!sample_rate_valid(task_sample_rate)) {
		pr_err("kinfer: task_sample_rate must be 1..%u, not %u\n",
		       MAX_SAMPLE_RATE, task_sample_rate);
		return -EINVAL;
	}
	task_defaults.sample_rate = task_sample_rate;
	if (!max_tokens_valid(task_max_tokens)) {
		pr_err("kinfer: task_max_tokens must be 0 or 2..%u, not %u\n",
		       MAX_TOKENS, task_max_tokens);
		return -EINVAL;
	}
	task_defaults.max_tokens = task_max_tokens;
	return 0;
}

/**
 * kinfer_task_init() - check the defaults and create tasks/
 * @parent: /sys/kernel/kinfer
 *
 * Return: 0, -EINVAL for a bad module parameter, or -ENOMEM.
 */
int kinfer_task_init(struct kobject *parent)
{
	int ret = check_defaults();

	if (ret)
		return ret;
	ret = kinfer_defer_init();
	if (ret)
		return ret;
	kinfer_tasks_kobj = kobject_create_and_add("tasks", parent);
	if (!kinfer_tasks_kobj) {
		kinfer_defer_exit();
		return -ENOMEM;
	}
	return 0;
}

/**
 * kinfer_task_exit() - remove every task and tasks/
 */
void kinfer_task_exit(void)
{
	remove_all();
	kobject_put(kinfer_tasks_kobj);
	kinfer_defer_exit();
}
