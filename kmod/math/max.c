// SPDX-License-Identifier: GPL-2.0
/* Max of two: a NaN operand gives NaN, as numpy's maximum does. */
#include "binary.h"

KINFER_BINARY_OP(max, a > b || kinfer_isnan(a) ? a : b,
		 a > b ? a : b,
		 a > b ? a : b)
