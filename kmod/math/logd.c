// SPDX-License-Identifier: GPL-2.0
/* Out-of-line log() in double for callers outside the math library. */
#include "kinfer_math.h"
#include "logd.h"

double kinfer_logd(double x)
{
	return kinfer_logd_inline(x);
}
