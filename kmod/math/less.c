// SPDX-License-Identifier: GPL-2.0
/* Less; Greater is Less with its operands swapped (the loader does it). */
#include "compare.h"

KINFER_COMPARE_OP(less, sizeof(a) == 1 ? !a > !b : a < b)
