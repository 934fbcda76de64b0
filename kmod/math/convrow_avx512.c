// SPDX-License-Identifier: GPL-2.0
/*
 * A convolution's output row for AVX-512F (built with -mavx512f
 * -mfma): 16 floats per vector.
 */
#define KINFER_VEC	16
#define KINFER_CONVROW	kinfer_convrow_avx512
#include "convrow_tile.h"
