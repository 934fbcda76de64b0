// SPDX-License-Identifier: GPL-2.0
#include "binary.h"

KINFER_BINARY_OP_VEC(sub, a - b,
		     (uint32_t)a - (uint32_t)b,
		     (uint64_t)a - (uint64_t)b)
