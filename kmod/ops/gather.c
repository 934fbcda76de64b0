// SPDX-License-Identifier: GPL-2.0
/*
 * GATHER: rows of data picked by indices along one axis (ONNX Gather).
 * No FPU: rows are copied as bytes.
 *
 *	t[0] data (any dtype; arena or bound), t[1] indices (int32 or int64;
 *	arena or bound) -> t[2] y in the arena
 *
 * With data as [outer, n, inner] (n = dims[axis]) and m indices, y is
 * [outer, m, inner]; y's shape is data's with dims[axis] replaced by the
 * indices' shape.  An index i in [-n, n) picks row i (i + n if negative);
 * any other index fails the run with -ERANGE before anything is read at
 * it.  A unit copies one chunk (up to KINFER_COPY_ELEMS elements) of one
 * picked row, so a lookup in a large embedding table is one memcpy per
 * index.
 */
#include "ops/exec.h"

static bool index_dtype(uint32_t dtype)
{
	return dtype == KINFER_DTYPE_INT32 || dtype == KINFER_DTYPE_INT64;
}

int kinfer_prepare_gather(struct kinfer_exec *ex)
{
	const struct kinfer_attr_axis *a = ex->attr;
	const struct kinfer_view *data = kinfer_in(ex, 0);
	const struct kinfer_view *idx = kinfer_in(ex, 1);
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_gather_plan *p = &ex->s.gather;
	uint32_t k;
	int ret;

	ret = kinfer_check_arity(ex, 2, 2, 1, 1);
	if (ret)
		return ret;
	if (y->dtype != data->dtype || !index_dtype(idx->dtype))
		return -EINVAL;
	if (a->reserved || a->axis >= data->rank ||
	    y->rank != data->rank - 1 + idx->rank)
		return -EINVAL;
	/* y = data[:axis] + indices + data[axis + 1:] */
	for (k = 0; k < y->rank; k++) {
		uint32_t want;

		if (k < a->axis)
			want = data->dims[k];
		else if (k < a->axis + idx->rank)
			want = idx->dims[k - a->axis];
		else
			want = data->dims[k - idx->rank + 1];
		if (y->dims[k] != want)
			return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->outer = kinfer_dims_product(data->dims, 0, a->axis);
	p->n = data->dims[a->axis];
	p->inner = kinfer_dims_product(data->dims, a->axis + 1, data->rank);
	p->m = idx->numel;
	p->chunk = kinfer_min_u64(p->inner, KINFER_COPY_ELEMS);
	p->chunks = (p->inner + p->chunk - 1) / p->chunk;
	ex->fpu = false;
	return kinfer_plan_units(ex, p->outer * p->m * p->chunks,
				 p->chunk * ex->desc->cost);
}

/*
 * Index i of t, wrapped into [0, n) as ONNX does for negatives; false when
 * it is outside [-n, n).
 */
static bool gather_index(const struct kinfer_view *t, uint64_t i, uint64_t n,
			 uint64_t *out)
{
	int64_t v;

	if (t->dtype == KINFER_DTYPE_INT32) {
		int32_t v32;

		memcpy(&v32, t->data + i * 4, 4);
		v = v32;
	} else {
		memcpy(&v, t->data + i * 8, 8);
	}
	if (v < 0) {
		/* -v as unsigned: also right for INT64_MIN */
		if (0 - (uint64_t)v > n)
			return false;
		*out = n - (0 - (uint64_t)v);
		return true;
	}
	if ((uint64_t)v >= n)
		return false;
	*out = (uint64_t)v;
	return true;
}

int kinfer_eval_gather(const struct kinfer_exec *ex, uint64_t begin,
		       uint64_t end)
{
	const struct kinfer_gather_plan *p = &ex->s.gather;
	const struct kinfer_view *data = &ex->t[0], *y = &ex->t[2];
	uint64_t es = data->esize;

	for (; begin < end; begin++) {
		uint64_t c = begin % p->chunks, q = begin / p->chunks;
		uint64_t j = q % p->m, o = q / p->m, row;
		uint64_t from = c * p->chunk;
		uint64_t len = kinfer_min_u64(p->chunk, p->inner - from);

		if (!gather_index(&ex->t[1], j, p->n, &row))
			return -ERANGE;
		memcpy(y->data + ((o * p->m + j) * p->inner + from) * es,
		       data->data + ((o * p->n + row) * p->inner + from) * es,
		       len * es);
	}
	return 0;
}
