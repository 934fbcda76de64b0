// SPDX-License-Identifier: GPL-2.0
/* Out-of-line exp() for callers outside the math library (tests). */
#include "kinfer_math.h"
#include "expf.h"

float kinfer_expf(float x)
{
	return kinfer_expf_inline(x);
}
