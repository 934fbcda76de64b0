// SPDX-License-Identifier: GPL-2.0
/*
 * CONV, by the path kmod/ops/conv.c planned (enum kinfer_conv_path).  The
 * order in which each output's sum is taken is fixed by the path and the
 * instruction-set variant (math/isa.h), never by how the units are split
 * into sections:
 *
 * GEMM (1x1, stride 1, no padding): Y[m, p] = W[m, c] . X[c, p] per image
 * and group by the variant's GEMM kernel, over the input channels in
 * increasing order, then plus the bias, then the activation.  With 16 or
 * more positions every output is one chain of multiply-adds (the GEMM
 * vector columns: the last tile of a plane is moved back to end at its
 * last position, so no position falls in the GEMM's scalar columns; the
 * outputs the moved tile shares with the one before are computed again,
 * to the same bits), continued from chunk to chunk of k_block channels.
 * With fewer positions, each chunk's products go into isa.h's 8 chains and
 * tree, added to the chunks before (one chunk unless a channel's K exceeds
 * a section).
 *
 * DEPTHWISE, and DIRECT with no kernel depth, dilation 1 and stride 1
 * or 2 along the row: the variant's kinfer_convrow_fn, from the bias, one
 * chain of the products of the taps inside X in (input channel, kernel
 * row, kernel column) order, then Relu or Clip as the row kernel's clamp
 * (any other activation after it).  Multiply-adds are separately rounded
 * in the generic variant, fused in the AVX2 and AVX-512 ones; the vector
 * lanes, 4-wide lanes and scalar border columns of a variant take the
 * same steps.  A DEPTHWISE unit's rows whose kernels lie wholly inside X
 * go to the row kernel in one call.
 *
 * DIRECT otherwise: the bias, then the products over (input channel, kd,
 * kh, kw) in that order, taps outside X skipped, one chain, in SSE2 code
 * (no FMA, in every variant), then the activation.  A DIRECT unit is a
 * run of output columns of one output row (n, od, oh) of up to
 * KINFER_CONV_MB output channels of one group.
 *
 * The rest of this comment is about the SSE2 DIRECT code.  Columns go in
 * tiles of 8, for 4 output channels at a time (then one at a time), held
 * in SSE registers: each input vector loaded serves 4 channels, each
 * weight 8 columns.  A tile whose windows all lie inside X loads its inputs
 * directly (contiguous for stride 1).  A tile at the border or at the end
 * of the run gathers its lanes from precomputed offsets and masks out the
 * taps in the padding and the lanes past the run.  Kernel rows wider than
 * KW_MAX take kinfer_math_conv_row(), one channel and one kernel row at a
 * time.
 */
#include "kinfer_math.h"
#include "math/isa.h"
#include "window.h"

#define TILE	8	/* output columns of a register tile */
#define KW_MAX	12	/* widest kernel row a border tile handles */

/* Four floats, or four lane masks, in one SSE register (GCC vectors). */
#define V4F	float __attribute__((vector_size(16)))
#define V4I	int32_t __attribute__((vector_size(16)))

/* __always_inline: from the kernel's compiler headers, or glibc's cdefs.h. */

/* Four elements s apart; s == 1 is one unaligned load. */
static inline V4F v4_load(const float *p, int64_t s)
{
	V4F v;

	if (s == 1) {
		memcpy(&v, p, sizeof(v));
		return v;
	}
	v = (V4F){ p[0], p[s], p[2 * s], p[3 * s] };
	return v;
}

static inline void v4_store(float *p, V4F v)
{
	memcpy(p, &v, sizeof(v));
}

static inline V4F v4_gather(const float *x, const uint32_t *o)
{
	return (V4F){ x[o[0]], x[o[1]], x[o[2]], x[o[3]] };
}

/* a where m is set, else b: a masked-out lane keeps b bit for bit. */
static inline V4F v4_blend(V4I m, V4F a, V4F b)
{
	return (V4F)(((V4I)a & m) | ((V4I)b & ~m));
}

/* What the tiles of one unit share. */
struct conv_rows {
	const struct kinfer_window_plan *p;
	const float *x;		/* X[n, first channel of the group] */
	const float *w;		/* W[first channel of the tile] */
	int64_t ldw;		/* elements between two channels' weights */
	int64_t plane;		/* elements between two input channels */
	int64_t sd, sh;		/* position of tap 0 along depth, height */
	int64_t kd0, kd1, kh0, kh1;	/* the taps inside X */
};

/* X's row that tap (kd, kh) of input channel c reads. */
static inline const float *x_row(const struct conv_rows *r, int64_t c,
				 int64_t kd, int64_t kh)
{
	const struct kinfer_window_plan *p = r->p;
	int64_t id = r->sd + kd * p->d[0], ih = r->sh + kh * p->d[1];

	return r->x + c * r->plane + (id * p->in[1] + ih) * p->in[2];
}

static inline const float *w_row(const struct conv_rows *r, int64_t c,
				 int64_t kd, int64_t kh)
{
	const struct kinfer_window_plan *p = r->p;

	return r->w + c * p->taps + (kd * p->k[1] + kh) * p->k[2];
}

/*
 * Run the body for every (c, kd, kh, kw) in order, with xr X's row and w
 * the weights of kernel row (c, kd, kh) of the tile's first channel.
 * Pointers step by strides: no index arithmetic per kernel row.
 */
#define FOR_TAPS(r, ...)						\
	do {								\
		const struct conv_rows *r_ = (r);			\
		const struct kinfer_window_plan *p_ = r_->p;		\
		const int64_t xsd_ = p_->d[0] * p_->in[1] * p_->in[2];	\
		const int64_t xsh_ = p_->d[1] * p_->in[2];		\
		const int64_t wsd_ = p_->k[1] * p_->k[2], k2_ = p_->k[2];	\
		const int64_t nd_ = r_->kd1 - r_->kd0;		\
		const int64_t nh_ = r_->kh1 - r_->kh0;		\
		const float *xc_, *wc_;					\
		int64_t c_, kd_, kh_, kw;				\
									\
		if (nd_ <= 0 || nh_ <= 0)				\
			break;						\
		xc_ = x_row(r_, 0, r_->kd0, r_->kh0);			\
		wc_ = w_row(r_, 0, r_->kd0, r_->kh0);			\
		for (c_ = 0; c_ < p_->cg;				\
		     c_++, xc_ += r_->plane, wc_ += p_->taps) {	\
			const float *xd_ = xc_, *wd_ = wc_;		\
									\
			for (kd_ = 0; kd_ < nd_;			\
			     kd_++, xd_ += xsd_, wd_ += wsd_) {		\
				const float *xr = xd_, *w = wd_;	\
									\
				for (kh_ = 0; kh_ < nh_;		\
				     kh_++, xr += xsh_, w += k2_) {	\
					for (kw = 0; kw < k2_; kw++) {	\
						__VA_ARGS__;		\
					}				\
				}					\
			}						\
		}							\
	} while (0)

/*
 * 4 channels (rows ys apart) x TILE columns from column ow, every window
 * inside X.  Inlined with s == 1 (contiguous loads) and with any stride.
 */
static __always_inline void
tile4(float *y, int64_t ys, const struct conv_rows *r, int64_t ow, int64_t s)
{
	const int64_t ld = r->ldw, d2 = r->p->d[2];
	const int64_t first = ow * s - r->p->pb[2];	/* >= 0: inside */
	V4F a0 = v4_load(y + ow, 1), a1 = v4_load(y + ow + 4, 1);
	V4F b0 = v4_load(y + ys + ow, 1), b1 = v4_load(y + ys + ow + 4, 1);
	V4F c0 = v4_load(y + 2 * ys + ow, 1);
	V4F c1 = v4_load(y + 2 * ys + ow + 4, 1);
	V4F e0 = v4_load(y + 3 * ys + ow, 1);
	V4F e1 = v4_load(y + 3 * ys + ow + 4, 1);

	FOR_TAPS(r, {
		const float *xp = xr + first + kw * d2;
		V4F x0 = v4_load(xp, s);
		V4F x1 = v4_load(xp + 4 * s, s);

		a0 += w[kw] * x0;
		a1 += w[kw] * x1;
		b0 += w[ld + kw] * x0;
		b1 += w[ld + kw] * x1;
		c0 += w[2 * ld + kw] * x0;
		c1 += w[2 * ld + kw] * x1;
		e0 += w[3 * ld + kw] * x0;
		e1 += w[3 * ld + kw] * x1;
	});
	v4_store(y + ow, a0);
	v4_store(y + ow + 4, a1);
	v4_store(y + ys + ow, b0);
	v4_store(y + ys + ow + 4, b1);
	v4_store(y + 2 * ys + ow, c0);
	v4_store(y + 2 * ys + ow + 4, c1);
	v4_store(y + 3 * ys + ow, e0);
	v4_store(y + 3 * ys + ow + 4, e1);
}

/* tile4() for one channel. */
static __always_inline void
tile1(float *y, const struct conv_rows *r, int64_t ow, int64_t s)
{
	const int64_t d2 = r->p->d[2], first = ow * s - r->p->pb[2];
	V4F a0 = v4_load(y + ow, 1), a1 = v4_load(y + ow + 4, 1);

	FOR_TAPS(r, {
		const float *xp = xr + first + kw * d2;

		a0 += w[kw] * v4_load(xp, s);
		a1 += w[kw] * v4_load(xp + 4 * s, s);
	});
	v4_store(y + ow, a0);
	v4_store(y + ow + 4, a1);
}

static void tile4_s1(float *y, int64_t ys, const struct conv_rows *r,
		     int64_t ow)
{
	tile4(y, ys, r, ow, 1);
}

static void tile4_any(float *y, int64_t ys, const struct conv_rows *r,
		      int64_t ow)
{
	tile4(y, ys, r, ow, r->p->s[2]);
}

static void tile1_s1(float *y, const struct conv_rows *r, int64_t ow)
{
	tile1(y, r, ow, 1);
}

static void tile1_any(float *y, const struct conv_rows *r, int64_t ow)
{
	tile1(y, r, ow, r->p->s[2]);
}

/*
 * A border or short tile.  For kernel column kw, lane i reads X's row at
 * off[kw][i] and adds its product only where m[kw] is set: its tap lies
 * inside X and its column inside the run (a masked lane reads element 0,
 * which exists).  The tile's rows are staged in yb.
 */
struct border {
	uint32_t off[KW_MAX][TILE];
	V4I m[KW_MAX][2];
	float yb[4][TILE];
};

static void border_init(struct border *bd, const struct kinfer_window_plan *p,
			int64_t ow, int64_t ncols)
{
	int64_t kw, i;

	for (kw = 0; kw < p->k[2]; kw++) {
		for (i = 0; i < TILE; i++) {
			int64_t pos = (ow + i) * p->s[2] - p->pb[2] +
				      kw * p->d[2];
			bool in = i < ncols && pos >= 0 && pos < p->in[2];

			bd->off[kw][i] = in ? (uint32_t)pos : 0;
			bd->m[kw][i / 4][i % 4] = in ? -1 : 0;
		}
	}
}

/* acc0, acc1 += w * (x0, x1) in the lanes of m0, m1. */
static __always_inline void masked(V4F *acc0, V4F *acc1, float w,
				   V4F x0, V4F x1, V4I m0, V4I m1)
{
	*acc0 = v4_blend(m0, *acc0 + w * x0, *acc0);
	*acc1 = v4_blend(m1, *acc1 + w * x1, *acc1);
}

static void border4(struct border *bd, const struct conv_rows *r)
{
	const int64_t ld = r->ldw;
	V4F a0 = v4_load(bd->yb[0], 1), a1 = v4_load(bd->yb[0] + 4, 1);
	V4F b0 = v4_load(bd->yb[1], 1), b1 = v4_load(bd->yb[1] + 4, 1);
	V4F c0 = v4_load(bd->yb[2], 1), c1 = v4_load(bd->yb[2] + 4, 1);
	V4F e0 = v4_load(bd->yb[3], 1), e1 = v4_load(bd->yb[3] + 4, 1);

	FOR_TAPS(r, {
		const V4I m0 = bd->m[kw][0], m1 = bd->m[kw][1];
		V4F x0 = v4_gather(xr, bd->off[kw]);
		V4F x1 = v4_gather(xr, bd->off[kw] + 4);

		masked(&a0, &a1, w[kw], x0, x1, m0, m1);
		masked(&b0, &b1, w[ld + kw], x0, x1, m0, m1);
		masked(&c0, &c1, w[2 * ld + kw], x0, x1, m0, m1);
		masked(&e0, &e1, w[3 * ld + kw], x0, x1, m0, m1);
	});
	v4_store(bd->yb[0], a0);
	v4_store(bd->yb[0] + 4, a1);
	v4_store(bd->yb[1], b0);
	v4_store(bd->yb[1] + 4, b1);
	v4_store(bd->yb[2], c0);
	v4_store(bd->yb[2] + 4, c1);
	v4_store(bd->yb[3], e0);
	v4_store(bd->yb[3] + 4, e1);
}

static void border1(struct border *bd, const struct conv_rows *r, float *yb)
{
	V4F a0 = v4_load(yb, 1), a1 = v4_load(yb + 4, 1);

	FOR_TAPS(r, {
		const V4I m0 = bd->m[kw][0], m1 = bd->m[kw][1];
		V4F x0 = v4_gather(xr, bd->off[kw]);
		V4F x1 = v4_gather(xr, bd->off[kw] + 4);

		masked(&a0, &a1, w[kw], x0, x1, m0, m1);
	});
	v4_store(yb, a0);
	v4_store(yb + 4, a1);
}

/* Columns [ow, ow + ncols), ncols <= TILE, of nq <= 4 channels. */
static void border_tile(float *y, int64_t ys, int64_t nq, struct conv_rows *r,
			int64_t ow, int64_t ncols)
{
	const float *w0 = r->w;
	struct border bd;
	int64_t q, j;

	border_init(&bd, r->p, ow, ncols);
	for (q = 0; q < nq; q++)
		for (j = 0; j < TILE; j++)
			bd.yb[q][j] = j < ncols ? y[q * ys + ow + j] : 0.0f;
	if (nq == 4) {
		border4(&bd, r);
	} else {
		for (q = 0; q < nq; q++) {
			r->w = w0 + q * r->ldw;
			border1(&bd, r, bd.yb[q]);
		}
		r->w = w0;
	}
	for (q = 0; q < nq; q++)
		for (j = 0; j < ncols; j++)
			y[q * ys + ow + j] = bd.yb[q][j];
}

void kinfer_math_conv_row(float *restrict y, size_t n,
			  const float *restrict x, size_t xlen,
			  const float *restrict w, size_t k, size_t stride,
			  size_t dil, ptrdiff_t start)
{
	size_t t, j;

	for (t = 0; t < k; t++) {
		int64_t pos = (int64_t)start + (int64_t)(t * dil), j0, j1;
		const float wt = w[t];
		const float *xt;

		kinfer_window_range(pos, (int64_t)stride, (int64_t)n, 0,
				    (int64_t)xlen, &j0, &j1);
		if (j0 == j1)
			continue;
		/* The first tap read is inside x: pos + j0 * stride >= 0. */
		xt = x + (pos + j0 * (int64_t)stride);
		for (j = 0; j < (size_t)(j1 - j0); j++)
			y[j0 + j] += wt * xt[j * stride];
	}
}

/* Columns [a, b) of one channel, one kernel row at a time (wide kernels). */
static void wide_cols(float *y, const struct conv_rows *r, int64_t a,
		      int64_t b)
{
	const struct kinfer_window_plan *p = r->p;
	int64_t c, kd, kh;

	for (c = 0; c < p->cg; c++)
		for (kd = r->kd0; kd < r->kd1; kd++)
			for (kh = r->kh0; kh < r->kh1; kh++)
				kinfer_math_conv_row(y + a, b - a,
						     x_row(r, c, kd, kh),
						     p->in[2],
						     w_row(r, c, kd, kh),
						     p->k[2], p->s[2], p->d[2],
						     a * p->s[2] - p->pb[2]);
}

/* Output columns [*lo, *hi) whose taps along the row all lie inside X. */
static void inner_cols(const struct kinfer_window_plan *p, int64_t *lo,
		       int64_t *hi)
{
	int64_t last = p->in[2] - 1 + p->pb[2] - (p->k[2] - 1) * p->d[2];

	*lo = (p->pb[2] + p->s[2] - 1) / p->s[2];
	*hi = last < 0 ? 0 : last / p->s[2] + 1;
}

/* Channels [q, q + nq) of a unit, columns [j, j + TILE) (or fewer). */
static void tile(float *y, int64_t ys, int64_t nq, struct conv_rows *r,
		 int64_t j, int64_t ncols, bool inner)
{
	bool s1 = r->p->s[2] == 1;

	if (!inner || ncols < TILE)
		border_tile(y, ys, nq, r, j, ncols);
	else if (nq == 4)
		s1 ? tile4_s1(y, ys, r, j) : tile4_any(y, ys, r, j);
	else if (s1)
		tile1_s1(y, r, j);
	else
		tile1_any(y, r, j);
}

/* One unit's channels and columns [ow0, ow0 + nw), biases already in y. */
static void conv_unit(float *y, int64_t ys, struct conv_rows *r,
		      const struct kinfer_window_unit *u)
{
	const float *w0 = r->w;
	int64_t end = u->ow0 + u->nw, lo, hi, j, q, nq;

	if (r->p->k[2] > KW_MAX) {
		for (q = 0; q < u->nch; q++) {
			r->w = w0 + q * r->ldw;
			wide_cols(y + q * ys, r, u->ow0, end);
		}
		return;
	}
	inner_cols(r->p, &lo, &hi);
	/* Channels inside: a tile's inputs stay cached for all of them. */
	for (j = u->ow0; j < end; j += TILE) {
		int64_t n = end - j < TILE ? end - j : TILE;

		for (q = 0; q < u->nch; q += nq) {
			nq = u->nch - q >= 4 ? 4 : 1;
			r->w = w0 + q * r->ldw;
			tile(y + q * ys, ys, nq, r, j, n,
			     j >= lo && j + n <= hi);
		}
	}
	r->w = w0;
}

/* The inputs, output and activation every path reads. */
struct conv_args {
	const struct kinfer_window_plan *p;
	const float *x, *w, *b;
	float *y;
	uint32_t act_op;		/* 0 or a unary-class op */
	kinfer_row_fn act;
	const struct kinfer_attr_alpha_beta *act_attr;
};

/*
 * y[0..n) = act(y + bias) (without @add: act(y)).  Relu and Clip, the
 * activations of most CNNs, in SSE registers here: the same selections as
 * kinfer_math_relu() and kinfer_math_clip(), so the same bits, without a
 * branch per element.  Any other activation by its row function.
 */
static void finish_row(const struct conv_args *c, float *y, int64_t n,
		       bool add, float bias)
{
	const uint32_t op = c->act_op;
	const float lo = op == KINFER_OP_CLIP ? c->act_attr->alpha.f : 0.0f;
	const float hi = c->act_attr->beta.f;
	const V4F vlo = { lo, lo, lo, lo }, vhi = { hi, hi, hi, hi };
	const V4F vb = { bias, bias, bias, bias };
	int64_t j = 0;

	if (op == KINFER_OP_RELU || op == KINFER_OP_CLIP) {
		for (; j + 4 <= n; j += 4) {
			V4F v = v4_load(y + j, 1);

			if (add)
				v += vb;
			v = v4_blend(v < vlo, vlo, v);
			if (op == KINFER_OP_CLIP)
				v = v4_blend(v > vhi, vhi, v);
			v4_store(y + j, v);
		}
		for (; j < n; j++) {
			float v = add ? y[j] + bias : y[j];

			v = v < lo ? lo : v;
			if (op == KINFER_OP_CLIP)
				v = v > hi ? hi : v;
			y[j] = v;
		}
		return;
	}
	if (add)
		for (; j < n; j++)
			y[j] += bias;
	if (c->act)
		c->act(y, y, (size_t)n, c->act_attr);
}

/* Rows [0, nr) of a finished GEMM tile, ys apart: bias, activation. */
static void gemm_finish(const struct conv_args *c, float *y, int64_t ys,
			int64_t ch, int64_t nr, int64_t nb)
{
	int64_t q;

	for (q = 0; q < nr; q++, y += ys)
		finish_row(c, y, nb, c->b, c->b ? c->b[ch + q] : 0.0f);
}

/*
 * Unit u: rows [r0, r0 + nr) of group g's channels by positions [j0, j0 +
 * nb) of image n, over input channels [l0, l0 + nk) of the group.  Units
 * count the channel blocks fastest, then chunks, tiles, groups, images.
 */
static void eval_gemm(const struct conv_args *c, uint64_t begin,
		      uint64_t end)
{
	const struct kinfer_window_plan *p = c->p;
	const struct kinfer_isa_ops *isa = kinfer_isa_ops();
	const int64_t hw = p->out[2], groups = p->m / p->mg;
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t v = u;
		int64_t rb, kb, tb, g, n, r0, nr, l0, nk, j0, nb, ch;

		rb = (int64_t)(v % (uint64_t)p->mb_per_group);
		v /= (uint64_t)p->mb_per_group;
		kb = (int64_t)(v % (uint64_t)p->k_blocks);
		v /= (uint64_t)p->k_blocks;
		tb = (int64_t)(v % (uint64_t)p->ow_blocks);
		v /= (uint64_t)p->ow_blocks;
		g = (int64_t)(v % (uint64_t)groups);
		n = (int64_t)(v / (uint64_t)groups);
		r0 = rb * p->mb;
		nr = p->mg - r0 < p->mb ? p->mg - r0 : p->mb;
		l0 = kb * p->k_block;
		nk = p->cg - l0 < p->k_block ? p->cg - l0 : p->k_block;
		j0 = tb * p->ow_block;
		nb = hw - j0 < p->ow_block ? hw - j0 : p->ow_block;
		if (hw >= KINFER_GEMM_ALIGN && nb % KINFER_GEMM_ALIGN) {
			/* the plan's ow_block: a multiple of 16, <= hw */
			nb += KINFER_GEMM_ALIGN - nb % KINFER_GEMM_ALIGN;
			j0 = hw - nb;
		}
		ch = g * p->mg + r0;
		isa->gemm(c->y + (n * p->m + ch) * hw + j0, hw,
			  c->w + ch * p->cg + l0, p->cg,
			  c->x + (n * p->c + g * p->cg + l0) * hw + j0, hw,
			  KINFER_GEMM_ALIGN, nr, nk, nb, kb > 0);
		if (kb + 1 == p->k_blocks)
			gemm_finish(c, c->y + (n * p->m + ch) * hw + j0, hw,
				    ch, nr, nb);
	}
}

/* What kinfer_convrow_fn computes: rows of taps, stride 1 or 2. */
static bool row_kernel_fits(const struct kinfer_window_plan *p)
{
	return p->k[0] == 1 && p->d[2] == 1 && p->s[2] <= 2;
}

/*
 * Columns [j0, j1) of output rows (n, od, oh .. oh + nrows - 1) of
 * channels [ch, ch + nch) of one group, by the variant's row kernel,
 * KINFER_CONVROW_MAXQ channels at a time; then the activation.  The rows
 * take the same kernel rows (see full_rows()).
 */
static void conv_rows(const struct conv_args *c,
		      const struct kinfer_isa_ops *isa, int64_t n, int64_t ch,
		      int64_t nch, int64_t od, int64_t oh, int64_t nrows,
		      int64_t j0, int64_t j1)
{
	const struct kinfer_window_plan *p = c->p;
	const int64_t plane = p->in[0] * p->in[1] * p->in[2];
	const int64_t ys = p->out[0] * p->out[1] * p->out[2];
	int64_t id = od * p->s[0] - p->pb[0], sh = oh * p->s[1] - p->pb[1];
	int64_t kh0 = 0, kh1 = 0, q, i;
	struct kinfer_convrow r;
	float *y;

	if (id >= 0 && id < p->in[0])
		kinfer_window_range(sh, p->d[1], p->k[1], 0, p->in[1], &kh0,
				    &kh1);
	r.x = c->x + (n * p->c + ch / p->mg * p->cg) * plane;
	if (kh1 > kh0)
		r.x += (id * p->in[1] + sh + kh0 * p->d[1]) * p->in[2];
	r.xc = plane;
	r.xs = p->d[1] * p->in[2];
	r.xlen = p->in[2];
	r.wq = p->cg * p->taps;
	r.wc = p->taps;
	r.ys = ys;
	r.nc = p->cg;
	r.nr = kh1 - kh0;
	r.kw = p->k[2];
	r.s = p->s[2];
	r.pad = p->pb[2];
	r.nrows = nrows;
	r.xstep = p->s[1] * p->in[2];
	r.ystep = p->out[2];
	r.lo = -kinfer_inff();
	r.hi = kinfer_inff();
	if (c->act_op == KINFER_OP_RELU || c->act_op == KINFER_OP_CLIP) {
		r.lo = c->act_op == KINFER_OP_CLIP ? c->act_attr->alpha.f : 0.0f;
		r.hi = c->act_op == KINFER_OP_CLIP ? c->act_attr->beta.f : r.hi;
	}
	y = c->y + (((n * p->m + ch) * p->out[0] + od) * p->out[1] + oh) *
		   p->out[2];
	for (q = 0; q < nch; q += KINFER_CONVROW_MAXQ) {
		r.nq = nch - q < KINFER_CONVROW_MAXQ ? nch - q :
						       KINFER_CONVROW_MAXQ;
		r.w = c->w + (ch + q) * r.wq + kh0 * p->k[2];
		r.bias = c->b ? c->b + ch + q : NULL;
		r.y = y + q * ys;
		isa->convrow(&r, j0, j1);
	}
	/* Relu and Clip were the clamp */
	if (!c->act || r.hi != kinfer_inff() || r.lo != -kinfer_inff())
		return;
	for (q = 0; q < nch; q++)
		for (i = 0; i < nrows; i++)
			finish_row(c, y + q * ys + i * p->out[2] + j0, j1 - j0,
				   false, 0.0f);
}

/*
 * Output rows from oh on (before oh1) that take the same kernel rows as
 * oh in one call: those whose whole kernel lies inside X, else just oh.
 */
static int64_t full_rows(const struct kinfer_window_plan *p, int64_t oh,
			 int64_t oh1)
{
	int64_t first = (p->pb[1] + p->s[1] - 1) / p->s[1];
	int64_t last = p->in[1] - 1 + p->pb[1] - (p->k[1] - 1) * p->d[1];

	if (last < 0 || oh < first || oh > last / p->s[1])
		return 1;
	last = last / p->s[1] + 1;
	return (last < oh1 ? last : oh1) - oh;
}

/*
 * Unit u: output rows [oh, oh + oh_block) of channel ch at depth od of
 * image n.  Counted by row block fastest, then depth, channel, image.
 */
static void eval_depthwise(const struct conv_args *c, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_window_plan *p = c->p;
	const struct kinfer_isa_ops *isa = kinfer_isa_ops();
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t v = u / (uint64_t)p->oh_blocks;
		int64_t oh = (int64_t)(u % (uint64_t)p->oh_blocks) * p->oh_block;
		int64_t od = (int64_t)(v % (uint64_t)p->out[0]);
		int64_t ch = (int64_t)(v / (uint64_t)p->out[0] % (uint64_t)p->m);
		int64_t n = (int64_t)(v / (uint64_t)p->out[0] / (uint64_t)p->m);
		int64_t oh1 = oh + p->oh_block < p->out[1] ? oh + p->oh_block :
							     p->out[1];
		int64_t rows;

		for (; oh < oh1; oh += rows) {
			rows = full_rows(p, oh, oh1);
			conv_rows(c, isa, n, ch, 1, od, oh, rows, 0, p->out[2]);
		}
	}
}

/* The DIRECT path's units by the variant's row kernel. */
static void eval_rows(const struct conv_args *c, uint64_t begin,
		      uint64_t end)
{
	const struct kinfer_isa_ops *isa = kinfer_isa_ops();
	struct kinfer_window_unit u;
	uint64_t i;

	for (i = begin; i < end; i++) {
		kinfer_window_unit(c->p, i, &u);
		conv_rows(c, isa, u.n, u.ch, u.nch, u.od, u.oh, 1, u.ow0,
			  u.ow0 + u.nw);
	}
}

int kinfer_eval_conv(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	const struct kinfer_attr_conv *a = ex->attr;
	const struct kinfer_window_plan *p = &ex->s.window;
	const float *x = (const float *)ex->t[0].data;
	const float *w = (const float *)ex->t[1].data;
	const float *b = ex->n_in == 3 ? (const float *)ex->t[2].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;
	kinfer_row_fn act = a->act ? kinfer_unary_row(a->act) : NULL;
	const int64_t ys = p->out[0] * p->out[1] * p->out[2];
	struct kinfer_window_unit u;
	struct conv_rows r;
	uint64_t i;
	int64_t q, j;
	const struct conv_args c = {
		.p = p, .x = x, .w = w, .b = b, .y = y,
		.act_op = a->act, .act = act, .act_attr = &a->act_attr,
	};

	if (p->path == KINFER_CONV_GEMM) {
		eval_gemm(&c, begin, end);
		return 0;
	}
	if (p->path == KINFER_CONV_DEPTHWISE) {
		eval_depthwise(&c, begin, end);
		return 0;
	}
	if (row_kernel_fits(p)) {
		eval_rows(&c, begin, end);
		return 0;
	}
	r.p = p;
	r.ldw = p->cg * p->taps;
	r.plane = p->in[0] * p->in[1] * p->in[2];
	for (i = begin; i < end; i++) {
		float *yr;

		kinfer_window_unit(p, i, &u);
		yr = y + u.row * p->out[2];
		for (q = 0; q < u.nch; q++)
			for (j = u.ow0; j < u.ow0 + u.nw; j++)
				yr[q * ys + j] = b ? b[u.ch + q] : 0.0f;
		r.x = x + (u.n * p->c + u.ch / p->mg * p->cg) * r.plane;
		r.w = w + u.ch * r.ldw;
		r.sd = u.od * p->s[0] - p->pb[0];
		r.sh = u.oh * p->s[1] - p->pb[1];
		kinfer_window_range(r.sd, p->d[0], p->k[0], 0, p->in[0],
				    &r.kd0, &r.kd1);
		kinfer_window_range(r.sh, p->d[1], p->k[1], 0, p->in[1],
				    &r.kh0, &r.kh1);
		conv_unit(yr, ys, &r, &u);
		for (q = 0; act && q < u.nch; q++)
			finish_row(&c, yr + q * ys + u.ow0, u.nw, false, 0.0f);
	}
	return 0;
}
