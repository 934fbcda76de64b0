// SPDX-License-Identifier: GPL-2.0
/*
 * kinfer: neural-network inference for BPF programs, as kfuncs.
 *
 * Init order matters: run contexts and the model registry exist before sysfs
 * lets userspace register models, and the kfuncs are published last, when
 * everything they touch is ready.  Exit is the reverse.  kfunc sets cannot
 * be unregistered on 6.1; they go away with the module's BTF, and a loaded
 * program that uses them pins the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>

#include "ctx.h"
#include "isa.h"
#include "kfuncs.h"
#include "main.h"
#include "model.h"
#include "sysfs.h"
#include "uapi/kinfer.h"

/*
 * The default arena holds all-MiniLM-L6-v2's activations at 128 tokens
 * (docs/architecture.md).  Each possible CPU has three run contexts (task,
 * softirq, hardirq) and the pool has up to max_sleepable_runs more (ctx.c);
 * the cap bounds what all their arenas may cost on machines with many
 * possible CPUs.
 */
static unsigned int arena_kib = 8192;
module_param(arena_kib, uint, 0444);
MODULE_PARM_DESC(arena_kib,
		 "Arena of each task-level and each sleepable run context, in KiB (default 8192)");

static unsigned int irq_arena_kib = 1024;
module_param(irq_arena_kib, uint, 0444);
MODULE_PARM_DESC(irq_arena_kib,
		 "Arena of each CPU's softirq and hardirq run contexts, in KiB, at most arena_kib; 0: no arena (default 1024)");

static unsigned int max_sleepable_runs;
module_param(max_sleepable_runs, uint, 0444);
MODULE_PARM_DESC(max_sleepable_runs,
		 "Most sleepable runs in flight at once, each with an arena_kib arena of its own (default 0: 2 per possible CPU, fewer if arena_total_mib has room for fewer)");

static unsigned int arena_total_mib = 1024;
module_param(arena_total_mib, uint, 0444);
MODULE_PARM_DESC(arena_total_mib,
		 "Most MiB all arenas may take together: 3 per possible CPU plus max_sleepable_runs (default 1024)");

/*
 * Check the arena parameters and work out how many sleepable contexts the
 * pool may allocate: max_sleepable_runs, or by default 2 per possible CPU
 * but no more than fit in arena_total_mib next to the per-CPU arenas.
 */
static int check_arena_params(unsigned int *pool_max)
{
	u64 cpus = num_possible_cpus();
	u64 cap_kib = (u64)arena_total_mib * 1024;
	u64 cpu_kib = cpus * (arena_kib + 2ULL * irq_arena_kib);
	u64 room;

	if (!arena_kib || arena_kib > U32_MAX / 1024) {
		pr_err("arena_kib must be 1..%u\n", U32_MAX / 1024);
		return -EINVAL;
	}
	if (irq_arena_kib > arena_kib) {
		pr_err("irq_arena_kib=%u must be at most arena_kib=%u\n",
		       irq_arena_kib, arena_kib);
		return -EINVAL;
	}
	if (cpu_kib > cap_kib) {
		pr_err("arena_kib=%u and irq_arena_kib=%u on %llu possible CPUs need %llu MiB, more than arena_total_mib=%u\n",
		       arena_kib, irq_arena_kib, cpus,
		       DIV_ROUND_UP_ULL(cpu_kib, 1024), arena_total_mib);
		return -E2BIG;
	}
	room = div_u64(cap_kib - cpu_kib, arena_kib);
	if (max_sleepable_runs > room) {
		pr_err("max_sleepable_runs=%u arenas of %u KiB do not fit in arena_total_mib=%u next to the per-CPU arenas (%llu MiB): %llu do\n",
		       max_sleepable_runs, arena_kib, arena_total_mib,
		       DIV_ROUND_UP_ULL(cpu_kib, 1024), room);
		return -E2BIG;
	}
	*pool_max = max_sleepable_runs ? max_sleepable_runs :
				       min_t(u64, 2 * cpus, room);
	if (!*pool_max) {
		pr_err("no sleepable run's arena of %u KiB fits in arena_total_mib=%u next to the per-CPU arenas (%llu MiB)\n",
		       arena_kib, arena_total_mib,
		       DIV_ROUND_UP_ULL(cpu_kib, 1024));
		return -E2BIG;
	}
	return 0;
}

static int __init kinfer_init(void)
{
	unsigned int pool_max;
	int ret;

	ret = check_arena_params(&pool_max);
	if (ret)
		return ret;
	ret = kinfer_isa_init();
	if (ret)
		return ret;
	ret = kinfer_ctx_init(arena_kib * 1024, irq_arena_kib * 1024, pool_max);
	if (ret)
		goto err_ctx;
	ret = kinfer_model_init();
	if (ret)
		goto err_model;
	ret = kinfer_sysfs_init();
	if (ret)
		goto err_sysfs;
	ret = kinfer_kfuncs_init();
	if (ret)
		goto err_kfuncs;

	pr_info("version %s, ABI %u, arena %u KiB, irq arena %u KiB, up to %u sleepable runs\n",
		KINFER_VERSION, KINFER_ABI_VERSION, arena_kib, irq_arena_kib,
		pool_max);
	return 0;

err_kfuncs:
	kinfer_sysfs_exit();
err_sysfs:
	kinfer_model_exit();
err_model:
	kinfer_ctx_exit();
err_ctx:
	return ret;
}

static void __exit kinfer_exit(void)
{
	kinfer_sysfs_exit();
	kinfer_model_exit();
	kinfer_ctx_exit();
}

module_init(kinfer_init);
module_exit(kinfer_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Neural-network inference kfuncs for BPF programs");
MODULE_AUTHOR("kinfer developers");
MODULE_VERSION(KINFER_VERSION);
