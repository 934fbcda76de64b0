// SPDX-License-Identifier: GPL-2.0
/*
 * The GEMM micro-kernel for AVX2 + FMA (built with -mavx2 -mfma): 16 ymm
 * registers hold 6 x 2 accumulators, two rows of b and a broadcast.
 */
#define KINFER_VEC	8
#define KINFER_NV	2
#define KINFER_MR	6
#define KINFER_GEMM	kinfer_gemm_avx2
#include "gemm_tile.h"
