// SPDX-License-Identifier: GPL-2.0
/*
 * CONV: direct convolution, no im2col buffer.  A unit is a run of output
 * columns of one output row (n, od, oh) of up to KINFER_CONV_MB output
 * channels of one group.  Every output element is its bias plus the
 * products over (input channel, kd, kh, kw) in that order, taps outside
 * X skipped, whichever path below computes it: the result does not depend
 * on how the units are split.
 *
 * Columns go in tiles of 8, for 4 output channels at a time (then one at
 * a time), held in SSE registers: each input vector loaded serves 4
 * channels, each weight 8 columns.  A tile whose windows all lie inside X
 * loads its inputs directly (contiguous for stride 1).  A tile at the
 * border or at the end of the run gathers its lanes from precomputed
 * offsets and masks out the taps in the padding and the lanes past the
 * run.  Kernel rows wider than KW_MAX take kinfer_math_conv_row(), one
 * channel and one kernel row at a time.
 */
#include "kinfer_math.h"
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
			act(yr + q * ys + u.ow0, yr + q * ys + u.ow0, u.nw,
			    &a->act_attr);
	}
	return 0;
}
