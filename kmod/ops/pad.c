// SPDX-License-Identifier: GPL-2.0
/*
 * PAD: y is x padded (or cropped) along every axis; struct kinfer_attr_pad
 * gives the pads before each axis and the mode; y's dims imply the pads
 * after.  Any dtype.  No FPU: elements are copied as bytes, and the
 * constant is an element's bytes.
 *
 *	t[0] x, [t[1] the constant: one element of x's dtype] (each in the
 *	arena or a bound buffer) -> y in the arena
 *
 * The constant is the attribute's value, or (for a value known only at
 * run time) the optional input; then the attribute's value is 0.
 * A unit is a chunk of at most KINFER_COPY_ELEMS elements of one row of y
 * (its last axis): the part of the row that lies over x is one memcpy.
 */
#include "ops/exec.h"

/* |begin| bound: indices stay far inside int64. */
#define KINFER_PAD_MAX	0xffffffffLL

int kinfer_prepare_pad(struct kinfer_exec *ex)
{
	const struct kinfer_attr_pad *a = ex->attr;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *v = ex->n_in > 1 ? kinfer_in(ex, 1) : NULL;
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_pad_plan *p = &ex->s.pad;
	uint64_t stride = 1;
	uint32_t k;
	int ret;

	ret = kinfer_check_arity(ex, 1, 2, 1, 1);
	if (ret)
		return ret;
	if (x->dtype != y->dtype || x->rank != y->rank || !x->rank)
		return -EINVAL;
	if (a->reserved || a->mode >= KINFER_PAD_MODES)
		return -EINVAL;
	/* The constant fits the element; other modes have none. */
	if (a->mode != KINFER_PAD_CONSTANT ? a->value != 0 :
	    x->esize < 8 && a->value >> (8 * x->esize))
		return -EINVAL;
	if (v && v->data &&
	    (a->mode != KINFER_PAD_CONSTANT || a->value ||
	     v->dtype != x->dtype || v->numel != 1))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	for (k = KINFER_MAX_RANK; k-- > 0;) {
		if (k >= x->rank ? a->begin[k] != 0 :
		    a->begin[k] < -KINFER_PAD_MAX || a->begin[k] > KINFER_PAD_MAX)
			return -EINVAL;
		p->begin[k] = a->begin[k];
		if (k < x->rank) {
			p->in_stride[k] = stride;
			stride *= x->dims[k];
		}
	}
	p->mode = a->mode;
	p->value = a->value;
	p->row = y->dims[y->rank - 1];
	p->chunk = kinfer_min_u64(p->row, KINFER_COPY_ELEMS);
	p->chunks = (p->row + p->chunk - 1) / p->chunk;
	ex->fpu = false;
	return kinfer_plan_units(ex, y->numel / p->row * p->chunks,
				 p->chunk * ex->desc->cost);
}

/*
 * The element of an axis of n that index t (relative to x's first element)
 * takes, or -1 for the constant.  |t| < 2^33 and n < 2^32: no overflow.
 */
static int64_t pad_source(uint32_t mode, int64_t t, int64_t n)
{
	int64_t period;

	if (t >= 0 && t < n)
		return t;
	switch (mode) {
	case KINFER_PAD_EDGE:
		return t < 0 ? 0 : n - 1;
	case KINFER_PAD_WRAP:
		t %= n;
		return t < 0 ? t + n : t;
	case KINFER_PAD_REFLECT:
		/* 0 1 .. n-1 n-2 .. 1 0 1 ..: period 2(n - 1). */
		if (n == 1)
			return 0;
		period = 2 * (n - 1);
		t %= period;
		if (t < 0)
			t += period;
		return t < n ? t : period - t;
	default:
		return -1;
	}
}

static void pad_fill(uint8_t *dst, uint64_t n, uint64_t value, uint32_t esize)
{
	for (; n; n--, dst += esize)
		memcpy(dst, &value, esize);
}

/* One chunk of one row of y. */
static void pad_unit(const struct kinfer_exec *ex, uint64_t u, uint64_t value)
{
	const struct kinfer_pad_plan *p = &ex->s.pad;
	const struct kinfer_view *x = &ex->t[0], *y = &ex->t[ex->n_in];
	uint32_t es = x->esize, last = x->rank - 1, k;
	uint64_t row = u / p->chunks, j = u % p->chunks * p->chunk;
	uint64_t j_end = kinfer_min_u64(j + p->chunk, p->row);
	uint8_t *dst = y->data + (row * p->row + j) * es;
	const uint8_t *src = x->data;
	int64_t n = x->dims[last], lo, hi;

	/* The source row: map each outer index of y to x's. */
	for (k = last; k-- > 0;) {
		int64_t s = pad_source(p->mode,
				       (int64_t)(row % y->dims[k]) - p->begin[k],
				       x->dims[k]);

		row /= y->dims[k];
		if (s < 0) {
			pad_fill(dst, j_end - j, value, es);
			return;
		}
		src += (uint64_t)s * p->in_stride[k] * es;
	}
	/* y[lo, hi) of this row lies over x: one memcpy. */
	lo = p->begin[last];
	hi = lo + n;
	for (; j < j_end; j++, dst += es) {
		int64_t t = (int64_t)j - lo, s;

		if ((int64_t)j >= lo && (int64_t)j < hi) {
			uint64_t run = kinfer_min_u64((uint64_t)hi, j_end) - j;

			memcpy(dst, src + (uint64_t)t * es, run * es);
			j += run - 1;
			dst += (run - 1) * es;
			continue;
		}
		s = pad_source(p->mode, t, n);
		if (s < 0)
			memcpy(dst, &value, es);
		else
			memcpy(dst, src + (uint64_t)s * es, es);
	}
}

int kinfer_eval_pad(const struct kinfer_exec *ex, uint64_t begin, uint64_t end)
{
	uint64_t value = ex->s.pad.value;

	if (ex->n_in > 1 && ex->t[1].data)
		memcpy(&value, ex->t[1].data, ex->t[1].esize);
	for (; begin < end; begin++)
		pad_unit(ex, begin, value);
	return 0;
}
