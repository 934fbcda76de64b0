// SPDX-License-Identifier: GPL-2.0
/*
 * QUANTIZE: float32 -> int8, q = clamp(round(x / scale) + zero_point),
 * struct kinfer_attr_qconvert; the rule is math/quantize.h's, run by the
 * running variant's row kernel (math/isa.h).  A unit is an element.
 */
#include "ops/exec.h"
#include "math/isa.h"

int kinfer_eval_quantize(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	const struct kinfer_attr_qconvert *a = ex->attr;
	const float *x = (const float *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;

	if (begin < end)
		kinfer_isa_ops()->quantize(y + begin, x + begin, end - begin,
					   a->scale.f, a->zero_point);
	return 0;
}
