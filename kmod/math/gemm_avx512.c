// SPDX-License-Identifier: GPL-2.0
/*
 * The GEMM micro-kernel for AVX-512F (built with -mavx512f -mfma): tiles of
 * 8 rows by 4 zmm vectors.  Their 32 accumulators outnumber the registers
 * left beside b and the broadcast, so GCC keeps a few in the stack frame;
 * still faster here than 6 x 4 or 4 x 4 tiles (kinfer_bench gemm).
 */
#define KINFER_VEC	16
#define KINFER_NV	4
#define KINFER_MR	8
#define KINFER_GEMM	kinfer_gemm_avx512
#include "gemm_tile.h"
