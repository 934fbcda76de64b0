// SPDX-License-Identifier: GPL-2.0
/*
 * PRelu: x < 0 ? slope * x : x, a = x, b = slope (broadcast onto x; the
 * loader checks that y has x's shape).  Integer products wrap.
 */
#include "binary.h"

KINFER_BINARY_OP(prelu, a < 0.0f ? b * a : a,
		 a < 0 ? (uint32_t)b * (uint32_t)a : (uint32_t)a,
		 a < 0 ? (uint64_t)b * (uint64_t)a : (uint64_t)a)
