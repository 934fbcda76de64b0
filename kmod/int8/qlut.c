// SPDX-License-Identifier: GPL-2.0
/* QLUT: y = table[x + 128] (struct kinfer_attr_qlut); a unit is an element. */
#include "ops/exec.h"

int kinfer_eval_qlut(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	const struct kinfer_attr_qlut *a = ex->attr;
	const int8_t *x = (const int8_t *)ex->t[0].data;
	int8_t *y = (int8_t *)ex->t[1].data;
	uint64_t i;

	for (i = begin; i < end; i++)
		y[i] = a->table[x[i] + 128];
	return 0;
}
