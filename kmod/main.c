// SPDX-License-Identifier: GPL-2.0
/*
 * kinfer: neural-network inference for BPF programs, as kfuncs.
 *
 * Init order matters: arenas and the model registry exist before sysfs
 * lets userspace register models, and the kfuncs are published last, when
 * everything they touch is ready.  Exit is the reverse.  kfunc sets cannot
 * be unregistered on 6.1; they go away with the module's BTF, and a loaded
 * program that uses them pins the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>

#include "ctx.h"
#include "kfuncs.h"
#include "main.h"
#include "model.h"
#include "sysfs.h"
#include "uapi/kinfer.h"

/*
 * The default arena holds all-MiniLM-L6-v2's activations at 128 tokens
 * (docs/architecture.md); the cap bounds what it costs on machines with
 * many possible CPUs.
 */
static unsigned int arena_kib = 8192;
module_param(arena_kib, uint, 0444);
MODULE_PARM_DESC(arena_kib, "Per-CPU arena size in KiB (default 8192)");

static unsigned int arena_total_mib = 1024;
module_param(arena_total_mib, uint, 0444);
MODULE_PARM_DESC(arena_total_mib,
		 "Most MiB all possible CPUs' arenas may take together (default 1024)");

static int check_arena_params(void)
{
	u64 total_kib = (u64)arena_kib * num_possible_cpus();

	if (!arena_kib || arena_kib > U32_MAX / 1024) {
		pr_err("arena_kib must be 1..%u\n", U32_MAX / 1024);
		return -EINVAL;
	}
	if (total_kib > (u64)arena_total_mib * 1024) {
		pr_err("arena_kib=%u on %u possible CPUs needs %llu MiB, more than arena_total_mib=%u\n",
		       arena_kib, num_possible_cpus(), total_kib / 1024,
		       arena_total_mib);
		return -E2BIG;
	}
	return 0;
}

static int __init kinfer_init(void)
{
	int ret;

	ret = check_arena_params();
	if (ret)
		return ret;
	ret = kinfer_ctx_init(arena_kib * 1024);
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

	pr_info("version " KINFER_VERSION ", ABI %u, %u KiB arena per CPU\n",
		KINFER_ABI_VERSION, arena_kib);
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
