// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: an N-d strided copy of elements between two tensors of one dtype
 * (any), the byte mover behind Transpose, Slice, Concat, Split, Expand,
 * Tile, DepthToSpace and SpaceToDepth.  No FPU.
 *
 *	t[0] in the arena or a bound buffer -> t[1] in the arena
 *
 * struct kinfer_attr_copy says which element goes where; the tensors'
 * shapes only give their element counts.  The prepare proves that the
 * lowest and highest element each side reaches lies inside its tensor and
 * that the elements written do not overlap those read; eval trusts that.
 */
#include "ops/exec.h"

/* |v|, also for the most negative value. */
static uint64_t abs_s64(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/*
 * The elements one side reaches: [start - neg, start + pos], where pos
 * (neg) sums (dims[k] - 1) * |stride[k]| over the positive (negative)
 * strides.  Checked to lie in [0, numel) without overflow.
 */
static int copy_extent(const struct kinfer_attr_copy *a, const __s64 *stride,
		       uint64_t start, uint64_t numel, uint64_t *lo,
		       uint64_t *hi)
{
	uint64_t pos = 0, neg = 0, span;
	uint32_t k;

	for (k = 0; k < a->rank; k++) {
		uint64_t *sum = stride[k] < 0 ? &neg : &pos;

		if (kinfer_mul_overflow((uint64_t)a->dims[k] - 1,
					abs_s64(stride[k]), &span) ||
		    kinfer_add_overflow(*sum, span, sum))
			return -EINVAL;
	}
	if (neg > start || kinfer_add_overflow(start, pos, hi) || *hi >= numel)
		return -EINVAL;
	*lo = start - neg;
	return 0;
}

static int copy_check_attr(const struct kinfer_attr_copy *a, uint64_t *total)
{
	uint32_t k;

	if (a->reserved || a->rank > KINFER_MAX_RANK)
		return -EINVAL;
	*total = 1;
	for (k = 0; k < KINFER_MAX_RANK; k++) {
		if (k >= a->rank) {
			if (a->dims[k] || a->in_stride[k] || a->out_stride[k])
				return -EINVAL;
			continue;
		}
		if (!a->dims[k] ||
		    kinfer_mul_overflow(*total, (uint64_t)a->dims[k], total))
			return -EINVAL;
	}
	return 0;
}

/*
 * Drop unit axes and merge an axis into the one outside it when both
 * sides step through them as one: fewer, longer runs for eval.
 */
static void copy_plan(struct kinfer_copy_plan *p,
		      const struct kinfer_attr_copy *a, uint64_t total)
{
	uint32_t k, r = 0;

	memset(p, 0, sizeof(*p));
	p->total = total;
	p->in_start = a->in_start;
	p->out_start = a->out_start;
	for (k = 0; k < a->rank; k++) {
		int64_t di, dout;

		if (a->dims[k] == 1)
			continue;
		if (r &&
		    !kinfer_mul_overflow(a->in_stride[k], (int64_t)a->dims[k], &di) &&
		    !kinfer_mul_overflow(a->out_stride[k], (int64_t)a->dims[k], &dout) &&
		    di == p->in_stride[r - 1] && dout == p->out_stride[r - 1]) {
			p->dims[r - 1] *= a->dims[k];
			p->in_stride[r - 1] = a->in_stride[k];
			p->out_stride[r - 1] = a->out_stride[k];
			continue;
		}
		p->dims[r] = a->dims[k];
		p->in_stride[r] = a->in_stride[k];
		p->out_stride[r] = a->out_stride[k];
		r++;
	}
	if (!r) {	/* one element */
		p->dims[0] = 1;
		r = 1;
	}
	p->rank = r;
}

int kinfer_prepare_copy(struct kinfer_exec *ex)
{
	const struct kinfer_attr_copy *a = ex->attr;
	const struct kinfer_view *in = kinfer_in(ex, 0);
	const struct kinfer_view *out = kinfer_out(ex, 0);
	uint64_t total, in_lo, in_hi, out_lo, out_hi;
	int ret;

	ret = kinfer_check_arity(ex, 1, 1, 1, 1);
	if (ret)
		return ret;
	if (in->dtype != out->dtype)
		return -EINVAL;
	ret = copy_check_attr(a, &total);
	if (ret)
		return ret;
	if (copy_extent(a, a->in_stride, a->in_start, in->numel, &in_lo, &in_hi) ||
	    copy_extent(a, a->out_stride, a->out_start, out->numel, &out_lo,
			&out_hi))
		return -EINVAL;
	/*
	 * The byte ranges touched on each side, apart when in one buffer (all
	 * below 2^32 + 2^35: no overflow).
	 */
	if (in->buf == out->buf &&
	    in->off + in_lo * in->esize < out->off + (out_hi + 1) * out->esize &&
	    out->off + out_lo * out->esize < in->off + (in_hi + 1) * in->esize)
		return -EINVAL;
	copy_plan(&ex->s.copy, a, total);
	ex->fpu = false;
	if (total <= KINFER_COPY_ELEMS)
		return kinfer_plan_units(ex, 1, total * ex->desc->cost);
	return kinfer_plan_units(ex, (total + KINFER_COPY_ELEMS - 1) /
				 KINFER_COPY_ELEMS,
				 (uint64_t)KINFER_COPY_ELEMS * ex->desc->cost);
}

/*
 * n elements of size bytes, from element io of src stepping is, to element
 * oo of dst stepping os.  Offsets wrap as unsigned: the prepare proved
 * every element reached is inside its tensor.  Called with a constant size,
 * so each memcpy() is one load and store.
 */
static inline void copy_elems(uint8_t *dst, uint64_t oo, uint64_t os,
			      const uint8_t *src, uint64_t io, uint64_t is,
			      uint64_t n, uint32_t size)
{
	for (; n; n--, io += is, oo += os)
		memcpy(dst + oo * size, src + io * size, size);
}

static void copy_run(uint8_t *dst, uint64_t oo, uint64_t os,
		     const uint8_t *src, uint64_t io, uint64_t is, uint64_t n,
		     uint32_t esize)
{
	if (is == 1 && os == 1) {
		memcpy(dst + oo * esize, src + io * esize, n * esize);
		return;
	}
	switch (esize) {
	case 1:
		copy_elems(dst, oo, os, src, io, is, n, 1);
		break;
	case 4:
		copy_elems(dst, oo, os, src, io, is, n, 4);
		break;
	default:
		copy_elems(dst, oo, os, src, io, is, n, 8);
		break;
	}
}

int kinfer_eval_copy(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	const struct kinfer_copy_plan *p = &ex->s.copy;
	const uint8_t *src = ex->t[0].data;
	uint8_t *dst = ex->t[1].data;
	uint32_t esize = ex->t[0].esize, r = p->rank, k;
	uint64_t e = begin * KINFER_COPY_ELEMS;
	uint64_t stop = kinfer_min_u64(end * KINFER_COPY_ELEMS, p->total);
	uint64_t idx[KINFER_MAX_RANK], rem = e, io, oo;

	if (e >= stop)
		return 0;
	io = p->in_start;
	oo = p->out_start;
	for (k = r; k-- > 0;) {
		idx[k] = rem % p->dims[k];
		rem /= p->dims[k];
		io += idx[k] * (uint64_t)p->in_stride[k];
		oo += idx[k] * (uint64_t)p->out_stride[k];
	}
	while (e < stop) {
		uint64_t is = (uint64_t)p->in_stride[r - 1];
		uint64_t os = (uint64_t)p->out_stride[r - 1];
		uint64_t run = kinfer_min_u64(p->dims[r - 1] - idx[r - 1], stop - e);

		copy_run(dst, oo, os, src, io, is, run, esize);
		e += run;
		idx[r - 1] += run;
		io += run * is;
		oo += run * os;
		/* Carry into the outer axes. */
		for (k = r - 1; k && idx[k] == p->dims[k]; k--) {
			idx[k] = 0;
			io -= p->dims[k] * (uint64_t)p->in_stride[k];
			oo -= p->dims[k] * (uint64_t)p->out_stride[k];
			idx[k - 1]++;
			io += (uint64_t)p->in_stride[k - 1];
			oo += (uint64_t)p->out_stride[k - 1];
		}
	}
	return 0;
}
