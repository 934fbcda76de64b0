/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kinfer's math library meets its environment.
 *
 * The primitives in this directory are plain C over caller-supplied memory:
 * no allocation, no locking, no libm, no validation.  They build unchanged
 * in the kernel (kinfer.ko, inside kernel_fpu_begin()/kernel_fpu_end()) and
 * in userspace (the kinfer_math static library used by the tests).
 */
#ifndef _KINFER_MATH_PLATFORM_H
#define _KINFER_MATH_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

/* Neither environment has libm available here: use compiler builtins. */
#define kinfer_fabsf(x)		__builtin_fabsf(x)
#define kinfer_isnan(x)		__builtin_isnan(x)
#define kinfer_inff()		__builtin_inff()

#endif /* _KINFER_MATH_PLATFORM_H */
