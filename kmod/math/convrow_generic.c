// SPDX-License-Identifier: GPL-2.0
/*
 * A convolution's output row for the x86-64 baseline (SSE2, no
 * FMA): 4 floats per vector.
 */
#define KINFER_VEC	4
#define KINFER_CONVROW	kinfer_convrow_generic
#include "convrow_tile.h"
