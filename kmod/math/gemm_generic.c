// SPDX-License-Identifier: GPL-2.0
/*
 * The GEMM micro-kernel for the x86-64 baseline (SSE2, no FMA): what every
 * CPU runs when nothing better is found or allowed.
 */
#define KINFER_VEC	4
#define KINFER_NV	2
#define KINFER_MR	4
#define KINFER_GEMM	kinfer_gemm_generic
#include "gemm_tile.h"
