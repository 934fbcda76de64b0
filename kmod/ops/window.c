// SPDX-License-Identifier: GPL-2.0
/*
 * Geometry shared by the sliding-window classes (conv, conv_transpose,
 * pool).  Integer-only: runs before any FPU section.
 *
 * The attribute arrays hold one entry per spatial axis (at most
 * KINFER_MAX_SPATIAL); the plan always has three, the missing leading
 * ones of size 1 with kernel 1, stride 1, dilation 1 and no padding, so
 * that eval walks 1-D, 2-D and 3-D alike.  Every plan value is a u32 from
 * the node, or bounded by the tensors' dims once the class prepare checked
 * its output formula, so eval computes positions in int64 without
 * overflow.
 */
#include "ops/window.h"

#define KINFER_AXES	3

/**
 * kinfer_window_axes() - check the spatial attributes and lay them out
 * @p: the plan; its spatial fields are filled
 * @a: the node's spatial attributes
 * @x: the input, [N, C, in...]
 * @y: the output, [N, C or M, out...]
 *
 * Checks 1 <= n_spatial <= KINFER_MAX_SPATIAL, the ranks of @x and @y
 * (2 + n_spatial), kernel, strides and dilations >= 1, and every entry
 * from n_spatial on 0.  The output formula is the class's to check.
 *
 * Return: 0 or -EINVAL.
 */
int kinfer_window_axes(struct kinfer_window_plan *p,
		       const struct kinfer_window_attr *a,
		       const struct kinfer_view *x,
		       const struct kinfer_view *y)
{
	uint32_t ns = a->n_spatial, rest, i;
	uint64_t taps = 1;

	if (ns < 1 || ns > KINFER_MAX_SPATIAL || KINFER_MAX_SPATIAL != KINFER_AXES)
		return -EINVAL;
	if (x->rank != 2 + ns || y->rank != 2 + ns)
		return -EINVAL;
	rest = KINFER_MAX_SPATIAL - ns;
	if (!kinfer_all_zero(a->kernel + ns, rest) ||
	    !kinfer_all_zero(a->strides + ns, rest) ||
	    !kinfer_all_zero(a->dilations + ns, rest) ||
	    !kinfer_all_zero(a->pads_begin + ns, rest) ||
	    !kinfer_all_zero(a->pads_end + ns, rest))
		return -EINVAL;
	for (i = 0; i < KINFER_AXES - ns; i++) {
		p->in[i] = 1;
		p->out[i] = 1;
		p->k[i] = 1;
		p->s[i] = 1;
		p->d[i] = 1;
		p->pb[i] = 0;
		p->pe[i] = 0;
	}
	for (; i < KINFER_AXES; i++) {
		uint32_t j = i - (KINFER_AXES - ns);	/* attribute index */

		if (!a->kernel[j] || !a->strides[j] || !a->dilations[j])
			return -EINVAL;
		p->in[i] = x->dims[2 + j];
		p->out[i] = y->dims[2 + j];
		p->k[i] = a->kernel[j];
		p->s[i] = a->strides[j];
		p->d[i] = a->dilations[j];
		p->pb[i] = a->pads_begin[j];
		p->pe[i] = a->pads_end[j];
		/* A product of two u32 fits in u64. */
		taps *= a->kernel[j];
		if (taps > KINFER_U32_MAX)
			return -EINVAL;
	}
	p->taps = (int64_t)taps;
	return 0;
}

/**
 * kinfer_window_span() - room for the window's slides along one axis
 * @p: a plan filled by kinfer_window_axes()
 * @axis: 0..2
 * @span: in + pads_begin + pads_end - eff, with eff = (k - 1) * d + 1
 *
 * Return: 0, or -EINVAL when the window is larger than the padded input.
 */
int kinfer_window_span(const struct kinfer_window_plan *p, uint32_t axis,
		       uint64_t *span)
{
	/* Each term is below 2^32: neither sum nor product overflows. */
	uint64_t padded = (uint64_t)p->in[axis] + p->pb[axis] + p->pe[axis];
	uint64_t eff = (uint64_t)(p->k[axis] - 1) * p->d[axis] + 1;

	if (eff > padded)
		return -EINVAL;
	*span = padded - eff;
	return 0;
}

/**
 * kinfer_window_units() - plan units of output columns
 * @ex: the node
 * @p: its plan, spatial fields and channels filled and checked
 * @col_work: work of one output column (one element of the last axis) of
 *	one output channel
 * @mb: output channels a unit should compute together (at most)
 *
 * A unit is ow_block columns of one output row of up to @mb output
 * channels of one group; ow_block is as large as one section allows, and
 * @mb is reduced if one column of @mb channels would not fit.
 *
 * Return: 0, or -E2BIG when a single column is more than one section's
 * work.
 */
int kinfer_window_units(struct kinfer_exec *ex, struct kinfer_window_plan *p,
			uint64_t col_work, uint64_t mb)
{
	uint64_t ow = (uint64_t)p->out[2], rows;

	if (!col_work)
		col_work = 1;
	if (col_work > KINFER_FPU_CHUNK)
		return -E2BIG;
	/*
	 * As many channels as leave room for a run of KINFER_WINDOW_RUN
	 * columns (or the whole row), in multiples of 4 from 4 on.
	 */
	mb = kinfer_min_u64(mb, (uint64_t)p->mg);
	mb = kinfer_min_u64(mb, KINFER_FPU_CHUNK /
			    (col_work * kinfer_min_u64(ow, KINFER_WINDOW_RUN)));
	if (mb > 4)
		mb &= ~(uint64_t)3;
	p->mb = (int64_t)kinfer_max_u64(mb, 1);
	p->mb_per_group = (p->mg + p->mb - 1) / p->mb;
	col_work *= (uint64_t)p->mb;
	p->ow_block = (int64_t)kinfer_min_u64(ow, KINFER_FPU_CHUNK / col_work);
	p->ow_blocks = (int64_t)((ow + p->ow_block - 1) / p->ow_block);
	/* Each factor is at most the output's element count (< 2^32). */
	rows = (uint64_t)p->n * (uint64_t)(p->m / p->mg * p->mb_per_group) *
	       (uint64_t)p->out[0] * (uint64_t)p->out[1];
	return kinfer_plan_units(ex, rows * (uint64_t)p->ow_blocks,
				 (uint64_t)p->ow_block * col_work);
}

/**
 * kinfer_window_check_act() - check a fused activation
 * @act: 0 or a unary-class op
 * @act_attr: its parameters; those its attribute block lacks must be 0
 *
 * Return: 0 or -EINVAL.
 */
int kinfer_window_check_act(uint32_t act,
			    const struct kinfer_attr_alpha_beta *act_attr)
{
	const struct kinfer_op_desc *d;

	if (!act)
		return act_attr->alpha.bits || act_attr->beta.bits ? -EINVAL : 0;
	d = kinfer_op_desc(act);
	if (!d || d->prepare != kinfer_prepare_unary)
		return -EINVAL;
	if (d->attr_bytes < sizeof(act_attr->alpha) && act_attr->alpha.bits)
		return -EINVAL;
	if (d->attr_bytes < sizeof(*act_attr) && act_attr->beta.bits)
		return -EINVAL;
	return 0;
}
