// SPDX-License-Identifier: GPL-2.0
/* ArgMax along one axis (kmod/math/arg.h): exact, no rounding. */
#include "arg.h"

int kinfer_eval_argmax(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	return kinfer_arg_eval(ex, begin, end, true);
}
