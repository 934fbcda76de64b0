// SPDX-License-Identifier: GPL-2.0
/*
 * The table of instruction-set variants and the one that runs.
 */
#include "math/isa.h"

static const struct kinfer_isa_ops kinfer_isa_ops_table[KINFER_ISA_COUNT] = {
	[KINFER_ISA_GENERIC] = {
		.name = "generic",
		.gemm = kinfer_gemm_generic,
		.convrow = kinfer_convrow_generic,
		.qgemm = kinfer_qgemm_generic,
		.quantize = kinfer_quantize_generic,
		.erf = kinfer_vm_erf_generic,
		.gelu = kinfer_vm_gelu_generic,
		.add_bias = kinfer_vm_add_bias_generic,
		.softmax = kinfer_vm_softmax_generic,
		.layer_norm = kinfer_vm_layer_norm_generic,
	},
	[KINFER_ISA_AVX2] = {
		.name = "avx2",
		.gemm = kinfer_gemm_avx2,
		.convrow = kinfer_convrow_avx2,
		.qgemm = kinfer_qgemm_avx2,
		.quantize = kinfer_quantize_avx2,
		.erf = kinfer_vm_erf_avx2,
		.gelu = kinfer_vm_gelu_avx2,
		.add_bias = kinfer_vm_add_bias_avx2,
		.softmax = kinfer_vm_softmax_avx2,
		.layer_norm = kinfer_vm_layer_norm_avx2,
	},
	[KINFER_ISA_AVX512] = {
		.name = "avx512",
		.gemm = kinfer_gemm_avx512,
		.convrow = kinfer_convrow_avx512,
		.qgemm = kinfer_qgemm_avx512,
		.quantize = kinfer_quantize_avx512,
		.erf = kinfer_vm_erf_avx512,
		.gelu = kinfer_vm_gelu_avx512,
		.add_bias = kinfer_vm_add_bias_avx512,
		.softmax = kinfer_vm_softmax_avx512,
		.layer_norm = kinfer_vm_layer_norm_avx512,
	},
};

/*
 * Written by kinfer_isa_set(), read once per eval: no lock needed.  -1:
 * not chosen yet; the module chooses at init, userspace on first use.
 */
static int kinfer_isa_running = -1;

#ifndef __KERNEL__
/*
 * Userspace: the best variant this CPU and OS allow (GCC's
 * __builtin_cpu_supports() checks XGETBV for the OS's part), lowered by
 * $KINFER_ISA=generic|avx2|avx512 but never raised above it.
 */
#include <stdlib.h>

enum kinfer_isa kinfer_isa_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return KINFER_ISA_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return KINFER_ISA_AVX2;
	return KINFER_ISA_GENERIC;
}

static int isa_choose(void)
{
	const char *want = getenv("KINFER_ISA");
	int best = kinfer_isa_best();
	int isa = want ? kinfer_isa_parse(want, strlen(want)) : best;

	return isa < 0 || isa > best ? best : isa;
}
#else
static int isa_choose(void)
{
	return KINFER_ISA_GENERIC;	/* kmod/isa.c chose at init */
}
#endif

/*
 * AVX512_VNNI is not an ISA level of its own: the avx512 table dispatches
 * MATMUL_I8 here, so the levels (and the "isa" parameter and sysfs
 * values) stay as they are, and AVX-512 CPUs without VNNI (Skylake-SP)
 * still run the AVX2 kernel, the best they have for it.  -1: not set yet.
 */
static int kinfer_isa_vnni_on = -1;

void kinfer_isa_set_vnni(bool on)
{
	__atomic_store_n(&kinfer_isa_vnni_on, on ? 1 : 0, __ATOMIC_RELAXED);
}

#ifndef __KERNEL__
static bool vnni_cpu(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512vnni") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512f");
}
#else
static bool vnni_cpu(void)
{
	return false;	/* kmod/isa.c sets it at init */
}
#endif

bool kinfer_isa_vnni(void)
{
	int on = __atomic_load_n(&kinfer_isa_vnni_on, __ATOMIC_RELAXED);

	if (on < 0) {
		on = vnni_cpu();
		__atomic_store_n(&kinfer_isa_vnni_on, on, __ATOMIC_RELAXED);
	}
	return on;
}

void kinfer_qgemm_avx512(const struct kinfer_qgemm *q, size_t m0, size_t m1,
			 size_t n0, size_t n1)
{
	if (kinfer_isa_vnni())
		kinfer_qgemm_avx512vnni(q, m0, m1, n0, n1);
	else
		kinfer_qgemm_avx2(q, m0, m1, n0, n1);
}

const struct kinfer_isa_ops *kinfer_isa_table(enum kinfer_isa isa)
{
	if ((unsigned int)isa >= KINFER_ISA_COUNT)
		isa = KINFER_ISA_GENERIC;
	return &kinfer_isa_ops_table[isa];
}

enum kinfer_isa kinfer_isa_get(void)
{
	int isa = __atomic_load_n(&kinfer_isa_running, __ATOMIC_RELAXED);

	if (isa < 0) {
		isa = isa_choose();
		__atomic_store_n(&kinfer_isa_running, isa, __ATOMIC_RELAXED);
	}
	return (enum kinfer_isa)isa;
}

const struct kinfer_isa_ops *kinfer_isa_ops(void)
{
	return kinfer_isa_table(kinfer_isa_get());
}

int kinfer_isa_set(enum kinfer_isa isa)
{
	if ((unsigned int)isa >= KINFER_ISA_COUNT)
		return -EINVAL;
	__atomic_store_n(&kinfer_isa_running, (int)isa, __ATOMIC_RELAXED);
	return 0;
}

int kinfer_isa_parse(const char *name, size_t len)
{
	int i;

	/* sysfs hands over "avx2\n" */
	if (len && name[len - 1] == '\n')
		len--;
	for (i = 0; i < KINFER_ISA_COUNT; i++) {
		const char *n = kinfer_isa_ops_table[i].name;

		if (strlen(n) == len && !memcmp(n, name, len))
			return i;
	}
	return -EINVAL;
}
