// SPDX-License-Identifier: GPL-2.0
/* Equal; bool operands compare as truth values (any nonzero byte is 1). */
#include "compare.h"

KINFER_COMPARE_OP(equal, sizeof(a) == 1 ? !a == !b : a == b)
