// SPDX-License-Identifier: GPL-2.0
/* Min of two: a NaN operand gives NaN, as numpy's minimum does. */
#include "binary.h"

KINFER_BINARY_OP(min, a < b || kinfer_isnan(a) ? a : b,
		 a < b ? a : b,
		 a < b ? a : b)
