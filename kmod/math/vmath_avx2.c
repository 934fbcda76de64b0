// SPDX-License-Identifier: GPL-2.0
/* The vmath.h kernels for AVX2 + FMA (built with -mavx2 -mfma). */
#define KINFER_VEC	8
#define KINFER_VM(f)	kinfer_vm_##f##_avx2
#include "vmath.h"
