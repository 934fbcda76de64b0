// SPDX-License-Identifier: GPL-2.0
/*
 * GATHER_ELEMENTS: ONNX GatherElements.  y has the indices' shape; each
 * element is data at its own position with the coordinate along axis
 * replaced by its index.  No FPU.
 *
 *	t[0] data (any dtype; arena or bound), t[1] indices (int32 or int64,
 *	same rank, no larger than data off the axis; arena or bound)
 *	-> t[2] y in the arena
 *
 * Indices in [-n, n) (n = data's dims[axis]) wrap as in Gather; any other
 * fails the run with -ERANGE before anything is read at it.  Units of
 * KINFER_COPY_ELEMS elements of y.
 */
#include "ops/exec.h"

int kinfer_prepare_gather_elements(struct kinfer_exec *ex)
{
	const struct kinfer_attr_axis *a = ex->attr;
	const struct kinfer_view *data = kinfer_in(ex, 0);
	const struct kinfer_view *idx = kinfer_in(ex, 1);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_gather_plan *p = &ex->s.gather;
	uint64_t stride = 1;
	uint32_t k;
	int ret;

	ret = kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	if (y->dtype != data->dtype || (idx->dtype != KINFER_DTYPE_INT32 &&
					idx->dtype != KINFER_DTYPE_INT64))
		return -EINVAL;
	if (a->reserved || a->axis >= data->rank || idx->rank != data->rank ||
	    !kinfer_same_shape(idx, y))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	for (k = data->rank; k-- > 0;) {
		if (k != a->axis && idx->dims[k] > data->dims[k])
			return -EINVAL;
		p->stride[k] = stride;
		stride *= data->dims[k];
	}
	p->n = data->dims[a->axis];
	p->total = y->numel;
	ex->fpu = false;
	if (p->total <= KINFER_COPY_ELEMS)
		return kinfer_plan_units(ex, 1, p->total * ex->desc->cost);
	return kinfer_plan_units(ex, (p->total + KINFER_COPY_ELEMS - 1) /
				 KINFER_COPY_ELEMS,
				 (uint64_t)KINFER_COPY_ELEMS * ex->desc->cost);
}

int kinfer_eval_gather_elements(const struct kinfer_exec *ex, uint64_t begin,
				uint64_t end)
{
	const struct kinfer_attr_axis *a = ex->attr;
	const struct kinfer_gather_plan *p = &ex->s.gather;
	const struct kinfer_view *data = &ex->t[0], *idx = &ex->t[1];
	const struct kinfer_view *y = &ex->t[2];
	uint32_t es = data->esize, r = idx->rank, ax = a->axis, k;
	uint64_t e = begin * KINFER_COPY_ELEMS;
	uint64_t stop = kinfer_min_u64(end * KINFER_COPY_ELEMS, p->total);
	uint64_t c[KINFER_MAX_RANK], rem = e, base = 0;

	if (e >= stop)
		return 0;
	/* base: data's offset of y's element e with the axis coordinate 0 */
	for (k = r; k-- > 0;) {
		c[k] = rem % idx->dims[k];
		rem /= idx->dims[k];
		if (k != ax)
			base += c[k] * p->stride[k];
	}
	for (; e < stop; e++) {
		int64_t v;
		uint64_t row;

		if (idx->dtype == KINFER_DTYPE_INT32) {
			int32_t v32;

			memcpy(&v32, idx->data + e * 4, 4);
			v = v32;
		} else {
			memcpy(&v, idx->data + e * 8, 8);
		}
		/* -v as unsigned: also right for INT64_MIN */
		if (v < 0 ? 0 - (uint64_t)v > p->n : (uint64_t)v >= p->n)
			return -ERANGE;
		row = v < 0 ? p->n - (0 - (uint64_t)v) : (uint64_t)v;
		memcpy(y->data + e * es,
		       data->data + (base + row * p->stride[ax]) * es, es);
		/* Next element of y: carry through the coordinates. */
		for (k = r; k-- > 0;) {
			if (k != ax)
				base += p->stride[k];
			if (++c[k] < idx->dims[k])
				break;
			if (k != ax)
				base -= idx->dims[k] * p->stride[k];
			c[k] = 0;
		}
	}
	return 0;
}
