/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kinfer's core meets its environment.
 *
 * The plan checks and op prepare steps (kmod/ops/) and the compute steps
 * (kmod/math/) are plain C over caller-supplied memory: no allocation, no
 * locking, no libm.  They build unchanged in the kernel (kinfer.ko, compute
 * inside kernel_fpu_begin()/kernel_fpu_end()) and in userspace (the
 * kinfer_core library behind the loader's reference executor and tests).
 */
#ifndef _KINFER_MATH_PLATFORM_H
#define _KINFER_MATH_PLATFORM_H

#ifdef __KERNEL__
#include <linux/build_bug.h>	/* static_assert */
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <assert.h>		/* static_assert */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/cdefs.h>		/* __always_inline */
#endif

/* Neither environment has libm available here: use compiler builtins. */
#define kinfer_fabsf(x)		__builtin_fabsf(x)
#define kinfer_isnan(x)		__builtin_isnan(x)
#define kinfer_isinf(x)		__builtin_isinf(x)
#define kinfer_inff()		__builtin_inff()
#define kinfer_nanf()		__builtin_nanf("")

#define KINFER_U32_MAX		0xffffffffU

/* Overflow-checked arithmetic; true on overflow (as check_*_overflow). */
#define kinfer_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#define kinfer_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)

static inline uint64_t kinfer_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t kinfer_max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

#endif /* _KINFER_MATH_PLATFORM_H */
