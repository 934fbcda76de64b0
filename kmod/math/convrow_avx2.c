// SPDX-License-Identifier: GPL-2.0
/*
 * A convolution's output row for AVX2 + FMA (built with -mavx2
 * -mfma): 8 floats per vector.
 */
#define KINFER_VEC	8
#define KINFER_CONVROW	kinfer_convrow_avx2
#include "convrow_tile.h"
