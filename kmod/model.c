// SPDX-License-Identifier: GPL-2.0
/*
 * Model registry.
 *
 * Userspace registers a model by name (sysfs "register"); it gets an id,
 * which the loader writes into the plan, and a directory of counters under
 * /sys/kernel/kinfer/models/.  Runs find the model by id under RCU and
 * hold a reference from acquire to release.
 *
 * Lifetime: the registry holds one reference.  Unregister removes the id
 * from the xarray (no new runs can find it) and the sysfs directory, then
 * drops that reference.  Whoever drops the last one, possibly a run's
 * release in atomic context, queues the free: it waits for an RCU grace
 * period (a concurrent kinfer_model_get() may still be reading the model)
 * and then runs in process context, where the kobject is put.
 *
 * Ids are allocated cyclically, so an id is not handed to a new model
 * right after its old owner is unregistered: a stale plan fails to acquire
 * instead of running against someone else's model.
 */
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "ctx.h"
#include "model.h"

static DEFINE_XARRAY_ALLOC1(kinfer_models);
static DEFINE_MUTEX(kinfer_models_lock);	/* register/unregister */
static u32 kinfer_models_next_id;		/* under kinfer_models_lock */
static unsigned int kinfer_models_count;	/* under kinfer_models_lock */
static struct workqueue_struct *kinfer_model_wq;

static struct kinfer_model *to_model(struct kobject *kobj)
{
	return container_of(kobj, struct kinfer_model, kobj);
}

static u64 model_stat_sum(const struct kinfer_model *model,
			  enum kinfer_model_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(model->stats, cpu)->n[stat]);
	return sum;
}

static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_model(kobj)->id);
}

static ssize_t arena_bytes_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_model(kobj)->arena_bytes);
}

#define MODEL_STAT_ATTR(file, stat)					\
static ssize_t file##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  model_stat_sum(to_model(kobj), stat));	\
}
MODEL_STAT_ATTR(calls, KINFER_MODEL_CALLS)
MODEL_STAT_ATTR(errors, KINFER_MODEL_ERRORS)
MODEL_STAT_ATTR(busy, KINFER_MODEL_BUSY)
MODEL_STAT_ATTR(refused, KINFER_MODEL_REFUSED)

static ssize_t last_run_ns_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_model(kobj)->last_run_ns));
}

static ssize_t last_error_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_model(kobj)->last_error));
}

static ssize_t last_error_node_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_model(kobj)->last_error_node));
}

static struct kobj_attribute model_attr_id = __ATTR_RO(id);
static struct kobj_attribute model_attr_arena_bytes = __ATTR_RO(arena_bytes);
static struct kobj_attribute model_attr_calls = __ATTR_RO(calls);
static struct kobj_attribute model_attr_errors = __ATTR_RO(errors);
static struct kobj_attribute model_attr_busy = __ATTR_RO(busy);
static struct kobj_attribute model_attr_refused = __ATTR_RO(refused);
static struct kobj_attribute model_attr_last_run_ns = __ATTR_RO(last_run_ns);
static struct kobj_attribute model_attr_last_error = __ATTR_RO(last_error);
static struct kobj_attribute model_attr_last_error_node =
	__ATTR_RO(last_error_node);

static struct attribute *model_attrs[] = {
	&model_attr_id.attr,
	&model_attr_arena_bytes.attr,
	&model_attr_calls.attr,
	&model_attr_errors.attr,
	&model_attr_busy.attr,
	&model_attr_refused.attr,
	&model_attr_last_run_ns.attr,
	&model_attr_last_error.attr,
	&model_attr_last_error_node.attr,
	NULL,
};
ATTRIBUTE_GROUPS(model);

/* Last kobject reference: process context, sysfs directory already gone. */
static void model_release(struct kobject *kobj)
{
	struct kinfer_model *model = to_model(kobj);

	free_percpu(model->stats);
	kfree(model);
}

static const struct kobj_type model_ktype = {
	.release = model_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = model_groups,
};

static void model_free_work(struct work_struct *work)
{
	struct kinfer_model *model =
		container_of(to_rcu_work(work), struct kinfer_model, free_work);

	kobject_put(&model->kobj);
}

/**
 * kinfer_name_valid() - is this a valid model or task name?
 * @name: NUL-terminated
 *
 * Return: true for 1 to KINFER_NAME_MAX characters of [A-Za-z0-9_-],
 * which are also valid file names in sysfs and bpffs.
 */
bool kinfer_name_valid(const char *name)
{
	size_t i, len = strnlen(name, KINFER_NAME_MAX + 1);

	if (len == 0 || len > KINFER_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_-", name[i])))
			return false;
	return true;
}

static struct kinfer_model *model_find(const char *name)
{
	struct kinfer_model *model;
	unsigned long id;

	lockdep_assert_held(&kinfer_models_lock);
	xa_for_each(&kinfer_models, id, model)
		if (!strcmp(model->name, name))
			return model;
	return NULL;
}

/**
 * kinfer_model_get() - find a registered model by id and reference it
 * @id: the plan's model_id
 *
 * Safe in any context a BPF program runs in.
 *
 * Return: the model, to be released with kinfer_model_put(), or NULL when
 * no model has that id.
 */
struct kinfer_model *kinfer_model_get(u32 id)
{
	struct kinfer_model *model;

	rcu_read_lock();
	model = xa_load(&kinfer_models, id);
	if (model && !refcount_inc_not_zero(&model->ref))
		model = NULL;
	rcu_read_unlock();
	return model;
}

/**
 * kinfer_model_put() - drop a model reference
 * @model: the model
 *
 * Safe in atomic context; the free is deferred to a workqueue after an RCU
 * grace period.
 */
void kinfer_model_put(struct kinfer_model *model)
{
	if (refcount_dec_and_test(&model->ref))
		queue_rcu_work(kinfer_model_wq, &model->free_work);
}

/**
 * kinfer_model_account() - count a released run
 * @model: its model
 * @err: 0, or why the run failed (negative errno)
 * @node: the node the run stopped at (the failed one, when @err)
 * @duration_ns: acquire to release
 */
void kinfer_model_account(struct kinfer_model *model, int err, u32 node,
			  u64 duration_ns)
{
	/* 64-bit this_cpu ops: irq-safe; 32-bit readers may see tearing. */
	this_cpu_inc(model->stats->n[KINFER_MODEL_CALLS]);
	if (err) {
		this_cpu_inc(model->stats->n[KINFER_MODEL_ERRORS]);
		WRITE_ONCE(model->last_error, err);
		WRITE_ONCE(model->last_error_node, node);
	}
	WRITE_ONCE(model->last_run_ns, duration_ns);
}

/**
 * kinfer_model_count() - count an event of a model
 * @model: the model
 * @stat: which counter
 */
void kinfer_model_count(struct kinfer_model *model, enum kinfer_model_stat stat)
{
	this_cpu_inc(model->stats->n[stat]);
}

/**
 * kinfer_model_register() - create a model and its sysfs directory
 * @parent: the models/ directory
 * @name: [A-Za-z0-9_-], 1 to KINFER_NAME_MAX characters
 * @arena_bytes: per-CPU arena bytes the model's plans may use
 *
 * Return: 0, -EINVAL for a bad name, -E2BIG when @arena_bytes exceeds the
 * per-CPU arena, -EEXIST when the name is taken, -ENOSPC when
 * KINFER_MAX_MODELS models exist, or -ENOMEM.
 */
int kinfer_model_register(struct kobject *parent, const char *name,
			  u32 arena_bytes)
{
	struct kinfer_model *model;
	int ret;

	if (!kinfer_name_valid(name))
		return -EINVAL;
	if (arena_bytes > kinfer_arena_size())
		return -E2BIG;

	model = kzalloc(sizeof(*model), GFP_KERNEL);
	if (!model)
		return -ENOMEM;
	model->stats = alloc_percpu(struct kinfer_model_stats);
	if (!model->stats) {
		kfree(model);
		return -ENOMEM;
	}
	strscpy(model->name, name, sizeof(model->name));
	model->arena_bytes = arena_bytes;
	refcount_set(&model->ref, 1);
	INIT_RCU_WORK(&model->free_work, model_free_work);
	/* From here on the kobject owns the memory. */
	kobject_init(&model->kobj, &model_ktype);

	mutex_lock(&kinfer_models_lock);
	if (model_find(name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	if (kinfer_models_count >= KINFER_MAX_MODELS) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	ret = xa_alloc_cyclic(&kinfer_models, &model->id, model,
			      XA_LIMIT(1, INT_MAX), &kinfer_models_next_id,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	ret = kobject_add(&model->kobj, parent, "%s", name);
	if (ret)
		goto err_xa;
	kinfer_models_count++;
	mutex_unlock(&kinfer_models_lock);
	return 0;

err_xa:
	/* A run may have found the id meanwhile: go through the RCU put. */
	xa_erase(&kinfer_models, model->id);
	mutex_unlock(&kinfer_models_lock);
	kinfer_model_put(model);
	return ret;
err_unlock:
	mutex_unlock(&kinfer_models_lock);
	kobject_put(&model->kobj);
	return ret;
}

static void model_remove(struct kinfer_model *model)
{
	lockdep_assert_held(&kinfer_models_lock);
	xa_erase(&kinfer_models, model->id);
	/* Under the lock, so a re-register of the name finds the dir gone. */
	kobject_del(&model->kobj);
	kinfer_models_count--;
	kinfer_model_put(model);
}

/**
 * kinfer_model_unregister() - remove a model by name
 * @name: its name
 *
 * Runs in flight keep the model alive until they release it.
 *
 * Return: 0 or -ENOENT.
 */
int kinfer_model_unregister(const char *name)
{
	struct kinfer_model *model;
	int ret = -ENOENT;

	mutex_lock(&kinfer_models_lock);
	model = model_find(name);
	if (model) {
		model_remove(model);
		ret = 0;
	}
	mutex_unlock(&kinfer_models_lock);
	return ret;
}

/**
 * kinfer_model_unregister_all() - remove every model (module exit)
 */
void kinfer_model_unregister_all(void)
{
	struct kinfer_model *model;
	unsigned long id;

	mutex_lock(&kinfer_models_lock);
	xa_for_each(&kinfer_models, id, model)
		model_remove(model);
	mutex_unlock(&kinfer_models_lock);
}

int kinfer_model_init(void)
{
	kinfer_model_wq = alloc_workqueue("kinfer_model", 0, 0);
	return kinfer_model_wq ? 0 : -ENOMEM;
}

/* After kinfer_model_unregister_all(): wait for every deferred free. */
void kinfer_model_exit(void)
{
	rcu_barrier();		/* queue_rcu_work() callbacks have queued */
	destroy_workqueue(kinfer_model_wq);	/* and the work has run */
}
