// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/kinfer
 *
 *	version		module version (read)
 *	abi_version	KINFER_ABI_VERSION of kmod/uapi/kinfer.h (read)
 *	arena_bytes	task-level and sleepable arena size (read)
 *	irq_arena_bytes	softirq and hardirq arena size (read)
 *	sleepable_contexts		pooled contexts allocated (read)
 *	sleepable_contexts_in_use	pooled contexts owned by a run (read)
 *	sleepable_contexts_max		most the pool may allocate (read)
 *	register	write "<name> <arena_bytes>\n" to create models/<name>
 *	unregister	write "<name>\n" to remove models/<name>
 *	task_add	write "<task> <pipeline>\n" to create tasks/<task>
 *	task_remove	write "<task>\n" to remove tasks/<task>
 *	models/<name>/	see model.c
 *	tasks/<task>/	see tasks.c
 *	stats/		module-wide counters (stats.h)
 *
 * The global attributes are created last and removed first, so register,
 * unregister, task_add and task_remove only ever see complete models/ and
 * tasks/ directories.
 */
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "ctx.h"
#include "main.h"
#include "math/isa.h"
#include "model.h"
#include "stats.h"
#include "sysfs.h"
#include "tasks.h"

static struct kobject *kinfer_kobj;
static struct kobject *kinfer_models_kobj;
static struct kobject *kinfer_stats_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", KINFER_VERSION);
}

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", KINFER_ABI_VERSION);
}

static ssize_t arena_bytes_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kinfer_arena_size());
}

static ssize_t irq_arena_bytes_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kinfer_irq_arena_size());
}

static ssize_t isa_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n", kinfer_isa_ops()->name);
}

static ssize_t isa_best_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", kinfer_isa_table(kinfer_isa_best())->name);
}

#define KINFER_POOL_ATTR(file, field)					\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	struct kinfer_pool_info info;					\
									\
	kinfer_pool_info(&info);					\
	return sysfs_emit(buf, "%u\n", info.field);			\
}									\
static struct kobj_attribute kinfer_attr_##file = __ATTR_RO(file)

KINFER_POOL_ATTR(sleepable_contexts, allocated);
KINFER_POOL_ATTR(sleepable_contexts_in_use, in_use);
KINFER_POOL_ATTR(sleepable_contexts_max, max);

/*
 * Copy a sysfs write into @dst without its one optional trailing newline.
 * Return: 0, or -EINVAL when it does not fit.
 */
static int copy_line(char *dst, size_t size, const char *buf, size_t count)
{
	if (count && buf[count - 1] == '\n')
		count--;
	if (count >= size)
		return -EINVAL;
	memcpy(dst, buf, count);
	dst[count] = '\0';
	return 0;
}

/*
 * Copy a "<first> <second>" line into @line and split it at its one
 * space; *@second points into @line.
 */
static int split_line(char *line, size_t size, const char *buf, size_t count,
		      char **second)
{
	char *space;
	int ret = copy_line(line, size, buf, count);

	if (ret)
		return ret;
	space = strchr(line, ' ');
	if (!space)
		return -EINVAL;
	*space = '\0';
	*second = space + 1;
	return 0;
}

/* "<name> <arena_bytes>": exactly one space, arena_bytes in decimal. */
static ssize_t register_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	char line[KINFER_NAME_MAX + 1 + 16];
	char *arena;
	u32 arena_bytes;
	int ret;

	ret = split_line(line, sizeof(line), buf, count, &arena);
	if (ret)
		return ret;
	ret = kstrtou32(arena, 10, &arena_bytes);
	if (ret)
		return ret == -ERANGE ? -E2BIG : ret;
	ret = kinfer_model_register(kinfer_models_kobj, line, arena_bytes);
	return ret ? ret : count;
}

static ssize_t unregister_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	char name[KINFER_NAME_MAX + 1];
	int ret;

	ret = copy_line(name, sizeof(name), buf, count);
	if (ret)
		return -ENOENT;	/* too long to be a registered name */
	ret = kinfer_model_unregister(name);
	return ret ? ret : count;
}

/* "<task> <pipeline>": exactly one space. */
static ssize_t task_add_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	char line[2 * (KINFER_NAME_MAX + 1)];
	char *pipeline;
	int ret;

	ret = split_line(line, sizeof(line), buf, count, &pipeline);
	if (ret)
		return ret;
	ret = kinfer_task_add(line, pipeline);
	return ret ? ret : count;
}

static ssize_t task_remove_store(struct kobject *kobj,
				 struct kobj_attribute *attr, const char *buf,
				 size_t count)
{
	char name[KINFER_NAME_MAX + 1];
	int ret;

	ret = copy_line(name, sizeof(name), buf, count);
	if (ret)
		return -ENOENT;
	ret = kinfer_task_remove(name);
	return ret ? ret : count;
}

#define KINFER_STAT_ATTR(file, stat)					\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", kinfer_stat_read(stat));	\
}									\
static struct kobj_attribute kinfer_stat_attr_##file = __ATTR_RO(file)

KINFER_STAT_ATTR(denied, KINFER_STAT_DENIED);
KINFER_STAT_ATTR(bad_plan, KINFER_STAT_BAD_PLAN);
KINFER_STAT_ATTR(unknown_model, KINFER_STAT_UNKNOWN_MODEL);
KINFER_STAT_ATTR(acquired_task, KINFER_STAT_ACQUIRED_TASK);
KINFER_STAT_ATTR(acquired_softirq, KINFER_STAT_ACQUIRED_SOFTIRQ);
KINFER_STAT_ATTR(acquired_hardirq, KINFER_STAT_ACQUIRED_HARDIRQ);
KINFER_STAT_ATTR(acquired_sleepable, KINFER_STAT_ACQUIRED_SLEEPABLE);
KINFER_STAT_ATTR(busy_task, KINFER_STAT_BUSY_TASK);
KINFER_STAT_ATTR(busy_softirq, KINFER_STAT_BUSY_SOFTIRQ);
KINFER_STAT_ATTR(busy_hardirq, KINFER_STAT_BUSY_HARDIRQ);
KINFER_STAT_ATTR(busy_sleepable, KINFER_STAT_BUSY_SLEEPABLE);
KINFER_STAT_ATTR(sleepable_nomem, KINFER_STAT_SLEEPABLE_NOMEM);

static struct attribute *kinfer_stat_attrs[] = {
	&kinfer_stat_attr_denied.attr,
	&kinfer_stat_attr_bad_plan.attr,
	&kinfer_stat_attr_unknown_model.attr,
	&kinfer_stat_attr_acquired_task.attr,
	&kinfer_stat_attr_acquired_softirq.attr,
	&kinfer_stat_attr_acquired_hardirq.attr,
	&kinfer_stat_attr_acquired_sleepable.attr,
	&kinfer_stat_attr_busy_task.attr,
	&kinfer_stat_attr_busy_softirq.attr,
	&kinfer_stat_attr_busy_hardirq.attr,
	&kinfer_stat_attr_busy_sleepable.attr,
	&kinfer_stat_attr_sleepable_nomem.attr,
	NULL,
};

static const struct attribute_group kinfer_stat_group = {
	.attrs = kinfer_stat_attrs,
};

static struct kobj_attribute kinfer_attr_version = __ATTR_RO(version);
static struct kobj_attribute kinfer_attr_abi_version = __ATTR_RO(abi_version);
static struct kobj_attribute kinfer_attr_arena_bytes = __ATTR_RO(arena_bytes);
static struct kobj_attribute kinfer_attr_irq_arena_bytes =
	__ATTR_RO(irq_arena_bytes);
static struct kobj_attribute kinfer_attr_isa = __ATTR_RO(isa);
static struct kobj_attribute kinfer_attr_isa_best = __ATTR_RO(isa_best);
static struct kobj_attribute kinfer_attr_register = __ATTR_WO(register);
static struct kobj_attribute kinfer_attr_unregister = __ATTR_WO(unregister);
static struct kobj_attribute kinfer_attr_task_add = __ATTR_WO(task_add);
static struct kobj_attribute kinfer_attr_task_remove = __ATTR_WO(task_remove);

static struct attribute *kinfer_attrs[] = {
	&kinfer_attr_version.attr,
	&kinfer_attr_abi_version.attr,
	&kinfer_attr_arena_bytes.attr,
	&kinfer_attr_irq_arena_bytes.attr,
	&kinfer_attr_isa.attr,
	&kinfer_attr_isa_best.attr,
	&kinfer_attr_sleepable_contexts.attr,
	&kinfer_attr_sleepable_contexts_in_use.attr,
	&kinfer_attr_sleepable_contexts_max.attr,
	&kinfer_attr_register.attr,
	&kinfer_attr_unregister.attr,
	&kinfer_attr_task_add.attr,
	&kinfer_attr_task_remove.attr,
	NULL,
};

static const struct attribute_group kinfer_attr_group = {
	.attrs = kinfer_attrs,
};

/**
 * kinfer_sysfs_init() - create /sys/kernel/kinfer and models/
 *
 * Return: 0 or a negative errno.
 */
int kinfer_sysfs_init(void)
{
	int ret;

	kinfer_kobj = kobject_create_and_add("kinfer", kernel_kobj);
	if (!kinfer_kobj)
		return -ENOMEM;
	kinfer_models_kobj = kobject_create_and_add("models", kinfer_kobj);
	if (!kinfer_models_kobj) {
		ret = -ENOMEM;
		goto err_models;
	}
	kinfer_stats_kobj = kobject_create_and_add("stats", kinfer_kobj);
	if (!kinfer_stats_kobj) {
		ret = -ENOMEM;
		goto err_stats;
	}
	ret = sysfs_create_group(kinfer_stats_kobj, &kinfer_stat_group);
	if (ret)
		goto err_stat_group;
	ret = kinfer_task_init(kinfer_kobj);
	if (ret)
		goto err_tasks;
	ret = sysfs_create_group(kinfer_kobj, &kinfer_attr_group);
	if (ret)
		goto err_group;
	return 0;

err_group:
	kinfer_task_exit();
err_tasks:
	sysfs_remove_group(kinfer_stats_kobj, &kinfer_stat_group);
err_stat_group:
	kobject_put(kinfer_stats_kobj);
err_stats:
	kobject_put(kinfer_models_kobj);
err_models:
	kobject_put(kinfer_kobj);
	return ret;
}

/**
 * kinfer_sysfs_exit() - remove /sys/kernel/kinfer and every model left
 */
void kinfer_sysfs_exit(void)
{
	/* Waits for register/unregister writers still inside their store(). */
	sysfs_remove_group(kinfer_kobj, &kinfer_attr_group);
	kinfer_task_exit();
	kinfer_model_unregister_all();
	sysfs_remove_group(kinfer_stats_kobj, &kinfer_stat_group);
	kobject_put(kinfer_stats_kobj);
	kobject_put(kinfer_models_kobj);
	kobject_put(kinfer_kobj);
}
