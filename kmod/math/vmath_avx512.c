// SPDX-License-Identifier: GPL-2.0
/* The vmath.h kernels for AVX-512F + FMA (built with -mavx512f -mfma). */
#define KINFER_VEC	16
#define KINFER_VM(f)	kinfer_vm_##f##_avx512
#include "vmath.h"
