// SPDX-License-Identifier: GPL-2.0
/*
 * LessOrEqual; GreaterOrEqual is LessOrEqual with its operands swapped.
 * Not the negation of Less: both are false when an operand is NaN.
 */
#include "compare.h"

KINFER_COMPARE_OP(less_or_equal, sizeof(a) == 1 ? !a >= !b : a <= b)
