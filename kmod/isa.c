// SPDX-License-Identifier: GPL-2.0
/*
 * Which instruction-set variant of the compute kernels runs (math/isa.h):
 * the best one the CPU has and kernel_fpu_begin() saves the registers of,
 * unless the "isa" module parameter asks for a lower one.  Root can change
 * it while models run (/sys/module/kinfer/parameters/isa); the running one
 * is /sys/kernel/kinfer/isa.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "isa.h"
#include "math/isa.h"

#define KINFER_XFEATURES_AVX2	(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)
#define KINFER_XFEATURES_AVX512	(KINFER_XFEATURES_AVX2 | XFEATURE_MASK_AVX512)

/**
 * kinfer_isa_best() - the best variant this CPU and kernel allow
 *
 * A variant needs its instructions (CPUID) and its registers in the
 * xfeatures the kernel enabled, since kernel_fpu_begin() saves those only.
 *
 * Return: the enum kinfer_isa value.
 */
enum kinfer_isa kinfer_isa_best(void)
{
	bool avx2 = boot_cpu_has(X86_FEATURE_AVX2) &&
		    boot_cpu_has(X86_FEATURE_FMA) &&
		    cpu_has_xfeatures(KINFER_XFEATURES_AVX2, NULL);

	if (avx2 && boot_cpu_has(X86_FEATURE_AVX512F) &&
	    cpu_has_xfeatures(KINFER_XFEATURES_AVX512, NULL))
		return KINFER_ISA_AVX512;
	return avx2 ? KINFER_ISA_AVX2 : KINFER_ISA_GENERIC;
}

/* -1 until "isa" is given: then the best variant runs. */
static int kinfer_isa_param = -1;

static int isa_param_set(const char *val, const struct kernel_param *kp)
{
	enum kinfer_isa best = kinfer_isa_best();
	size_t len = strlen(val);
	int isa;

	if (len && val[len - 1] == '\n')
		len--;
	if (len == 4 && !memcmp(val, "auto", 4)) {
		kinfer_isa_param = -1;
		return kinfer_isa_set(best);
	}
	isa = kinfer_isa_parse(val, len);
	if (isa < 0) {
		pr_err("isa=%.*s: not one of auto, generic, avx2, avx512\n",
		       (int)min_t(size_t, len, 16), val);
		return -EINVAL;
	}
	if (isa > best) {
		pr_err("isa=%s: this CPU or kernel allows %s at most\n",
		       kinfer_isa_table(isa)->name,
		       kinfer_isa_table(best)->name);
		return -EOPNOTSUPP;
	}
	kinfer_isa_param = isa;
	return kinfer_isa_set(isa);
}

static int isa_param_get(char *buf, const struct kernel_param *kp)
{
	if (kinfer_isa_param < 0)
		return sysfs_emit(buf, "auto\n");
	return sysfs_emit(buf, "%s\n", kinfer_isa_table(kinfer_isa_param)->name);
}

static const struct kernel_param_ops isa_param_ops = {
	.set = isa_param_set,
	.get = isa_param_get,
};

module_param_cb(isa, &isa_param_ops, NULL, 0644);
MODULE_PARM_DESC(isa,
		 "Compute kernels: auto (the best the CPU allows, default), generic, avx2 or avx512; at most what the CPU allows");

/**
 * kinfer_isa_init() - run the best variant unless "isa" chose one
 *
 * Return: 0.
 */
int kinfer_isa_init(void)
{
	enum kinfer_isa isa = kinfer_isa_param < 0 ? kinfer_isa_best() :
			      (enum kinfer_isa)kinfer_isa_param;

	/* MATMUL_I8 on the avx512 table: vpdpbusd where the CPU has it */
	kinfer_isa_set_vnni(boot_cpu_has(X86_FEATURE_AVX512_VNNI) &&
			    boot_cpu_has(X86_FEATURE_AVX512BW) &&
			    boot_cpu_has(X86_FEATURE_AVX512F));
	pr_info("compute kernels: %s%s\n", kinfer_isa_table(isa)->name,
		kinfer_isa_vnni() ? " (int8: avx512 vnni)" : "");
	return kinfer_isa_set(isa);
}
