// SPDX-License-Identifier: GPL-2.0
/*
 * The conv class: CONV, an ONNX Conv (cross-correlation) over 1 to 3
 * spatial axes with groups, an optional bias and a fused activation.
 *
 *	X [N, C, in...]		float32
 *	W [M, C / group, k...]	float32 (a weight or an activation)
 *	B [M]			float32, optional
 *	Y [N, M, out...]	out = (in + pads - eff) / stride + 1
 *
 * Three eval paths (enum kinfer_conv_path, kmod/math/conv.c):
 *
 *	GEMM		a 1x1 kernel, stride 1, no padding: per image and group
 *			Y[m, p] = W[m, c] . X[c, p] over the flattened
 *			positions p.  A unit is a tile of up to mb channels by
 *			ow_block positions over one chunk of k_block input
 *			channels; a tile's chunks are consecutive units, and
 *			its channel blocks the innermost (the chunk of X they
 *			share stays in the cache).
 *	DEPTHWISE	one input and one output channel per group, no kernel
 *			depth, dilation 1 and stride 1 or 2 along the row: a
 *			unit is oh_block output rows of one channel.
 *	DIRECT		the rest: a unit is ow_block output columns of one
 *			output row (n, m, od, oh) of up to mb channels, C /
 *			group * k0 * k1 * k2 multiply-adds per column.
 *
 * Every unit fits one section.  Taps that fall into the padding are
 * skipped, never read.
 */
#include "math/isa.h"
#include "ops/window.h"

/* GEMM tiles: channels by positions (4 AVX-512 vectors, 4 * 16). */
#define KINFER_CONV_GEMM_ROWS	32U
#define KINFER_CONV_GEMM_COLS	64U

/* Channels, groups and the shapes of W, B and Y's leading axes. */
static int check_channels(struct kinfer_window_plan *p, uint32_t group,
			  const struct kinfer_view *x,
			  const struct kinfer_view *w,
			  const struct kinfer_view *b,
			  const struct kinfer_view *y)
{
	/* W's spatial dims are the kernel: kinfer_window_axes() took them. */
	if (!group || x->dims[1] % group || w->dims[0] % group)
		return -EINVAL;
	p->n = x->dims[0];
	p->c = x->dims[1];
	p->m = w->dims[0];
	p->cg = p->c / group;
	p->mg = p->m / group;
	if (w->rank != x->rank || w->dims[1] != p->cg ||
	    y->dims[0] != p->n || y->dims[1] != p->m)
		return -EINVAL;
	if (b && (b->rank != 1 || b->dims[0] != p->m))
		return -EINVAL;
	return 0;
}

/*
 * A 1x1 convolution with stride 1 and no padding maps every input
 * position to the same output position: its spatial axes are one long row
 * (the same elements in the same order), which eval walks with fewer,
 * longer runs.
 */
static bool flatten_pointwise(struct kinfer_window_plan *p)
{
	int64_t i, len = 1;

	for (i = 0; i < 3; i++) {
		if (p->k[i] != 1 || p->s[i] != 1 || p->pb[i] || p->pe[i])
			return false;
		len *= p->in[i];
	}
	for (i = 0; i < 2; i++) {
		p->in[i] = 1;
		p->out[i] = 1;
	}
	p->in[2] = len;
	p->out[2] = len;
	p->d[2] = 1;
	return true;
}

/*
 * Tiles of up to KINFER_CONV_GEMM_ROWS channels by ow_block positions, a
 * multiple of KINFER_GEMM_ALIGN when there are that many (eval moves the
 * last tile back to end at the last position: every position is then in
 * a whole vector of the GEMM).  Fewer positions: channels so few that all
 * of K fits one chunk, unless a single channel's K does not.
 */
static int plan_gemm(struct kinfer_exec *ex, struct kinfer_window_plan *p)
{
	uint64_t hw = (uint64_t)p->out[2], k = (uint64_t)p->cg;
	uint64_t cost = kinfer_max_u64(ex->desc->cost, 1), tile, units;
	uint64_t rows = kinfer_min_u64((uint64_t)p->mg, KINFER_CONV_GEMM_ROWS);
	uint64_t cols = hw;

	if (hw >= KINFER_GEMM_ALIGN) {
		cols = kinfer_min_u64(hw, KINFER_CONV_GEMM_COLS);
		cols -= cols % KINFER_GEMM_ALIGN;
	} else {
		/* hw < 16 and cost < 2^16: no overflow */
		rows = kinfer_min_u64(rows, KINFER_FPU_CHUNK / (hw * cost) / k);
		rows = kinfer_max_u64(rows, 1);
	}
	/* rows * cols * cost <= 32 * 64 * 2^16 < KINFER_FPU_CHUNK * 2^13 */
	tile = rows * cols * cost;
	if (tile > KINFER_FPU_CHUNK)
		return -E2BIG;
	p->path = KINFER_CONV_GEMM;
	p->mb = (int64_t)rows;
	p->mb_per_group = (int64_t)((p->mg + rows - 1) / rows);
	p->ow_block = (int64_t)cols;
	p->ow_blocks = (int64_t)((hw + cols - 1) / cols);
	p->k_block = (int64_t)kinfer_min_u64(k, KINFER_FPU_CHUNK / tile);
	p->k_blocks = (p->cg + p->k_block - 1) / p->k_block;
	/* Each factor but k_blocks is at most Y's element count (< 2^32). */
	units = (uint64_t)p->n * (uint64_t)(p->m / p->mg) *
		(uint64_t)p->ow_blocks * (uint64_t)p->mb_per_group;
	if (kinfer_mul_overflow(units, (uint64_t)p->k_blocks, &units))
		return -E2BIG;
	return kinfer_plan_units(ex, units, tile * (uint64_t)p->k_block);
}

/* A channel per group, rows of taps: kinfer_convrow_fn computes it. */
static bool is_depthwise(const struct kinfer_window_plan *p)
{
	return p->cg == 1 && p->mg == 1 && p->k[0] == 1 && p->d[2] == 1 &&
	       p->s[2] <= 2;
}

/* Units of oh_block whole output rows of one channel. */
static int plan_depthwise(struct kinfer_exec *ex, struct kinfer_window_plan *p)
{
	uint64_t row, units;

	/* out[2] < 2^32, taps < 2^32, cost < 2^16 */
	if (kinfer_mul_overflow((uint64_t)p->out[2] * (uint64_t)p->taps,
				(uint64_t)kinfer_max_u64(ex->desc->cost, 1),
				&row) || row > KINFER_FPU_CHUNK)
		return -E2BIG;
	p->path = KINFER_CONV_DEPTHWISE;
	p->mb = 1;
	p->mb_per_group = 1;
	p->ow_block = p->out[2];
	p->ow_blocks = 1;
	p->oh_block = (int64_t)kinfer_min_u64((uint64_t)p->out[1],
					      KINFER_FPU_CHUNK / row);
	p->oh_blocks = (p->out[1] + p->oh_block - 1) / p->oh_block;
	/* Each factor is at most Y's element count (< 2^32). */
	units = (uint64_t)p->n * (uint64_t)p->m * (uint64_t)p->out[0] *
		(uint64_t)p->oh_blocks;
	return kinfer_plan_units(ex, units, row * (uint64_t)p->oh_block);
}

int kinfer_prepare_conv(struct kinfer_exec *ex)
{
	const struct kinfer_attr_conv *a = ex->attr;
	struct kinfer_window_plan *p = &ex->s.window;
	const struct kinfer_view *x = kinfer_in(ex, 0);
	const struct kinfer_view *w = kinfer_in(ex, 1);
	const struct kinfer_view *b = ex->n_in == 3 ? kinfer_in(ex, 2) : NULL;
	const struct kinfer_view *y = kinfer_out(ex, 0);
	struct kinfer_window_attr wa;
	uint64_t span, cols;
	uint32_t i;
	int ret;

	ret = kinfer_check_arity(ex, 2, 3, 1, 1);
	if (ret)
		return ret;
	if (b && !b->data)
		b = NULL;
	if (x->dtype != KINFER_DTYPE_FLOAT32 ||
	    w->dtype != KINFER_DTYPE_FLOAT32 ||
	    y->dtype != KINFER_DTYPE_FLOAT32 ||
	    (b && b->dtype != KINFER_DTYPE_FLOAT32))
		return -EINVAL;
	if (a->reserved ||
	    !kinfer_all_zero(a->output_padding, KINFER_MAX_SPATIAL))
		return -EINVAL;
	ret = kinfer_window_check_act(a->act, &a->act_attr);
	if (ret)
		return ret;
	if (w->rank < 3)
		return -EINVAL;
	wa.n_spatial = a->n_spatial;
	wa.kernel = w->dims + 2;	/* dims past the rank are 0 */
	wa.strides = a->strides;
	wa.dilations = a->dilations;
	wa.pads_begin = a->pads_begin;
	wa.pads_end = a->pads_end;
	ret = kinfer_window_axes(p, &wa, x, y);
	if (ret)
		return ret;
	ret = check_channels(p, a->group, x, w, b, y);
	if (ret)
		return ret;
	for (i = 0; i < KINFER_MAX_SPATIAL; i++) {
		ret = kinfer_window_span(p, i, &span);
		if (ret)
			return ret;
		if ((uint64_t)p->out[i] != span / (uint64_t)p->s[i] + 1)
			return -EINVAL;
	}
	p->path = KINFER_CONV_DIRECT;
	if (flatten_pointwise(p) && p->cg && p->mg && p->out[2])
		return plan_gemm(ex, p);
	if (is_depthwise(p) && !plan_depthwise(ex, p))
		return 0;
	p->path = KINFER_CONV_DIRECT;
	/* cg and taps are u32: the product fits. */
	if (kinfer_mul_overflow((uint64_t)p->cg * (uint64_t)p->taps,
				(uint64_t)ex->desc->cost, &cols))
		return -E2BIG;
	return kinfer_window_units(ex, p, cols, KINFER_CONV_MB);
}
