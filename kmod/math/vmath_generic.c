// SPDX-License-Identifier: GPL-2.0
/* The vmath.h kernels for the x86-64 baseline (SSE2, no FMA). */
#define KINFER_VEC	4
#define KINFER_VM(f)	kinfer_vm_##f##_generic
#include "vmath.h"
