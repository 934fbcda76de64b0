// SPDX-License-Identifier: GPL-2.0
/*
 * LayerNormalization over a group of x (kmod/ops/norm.c):
 *
 *	mean = sum x / n,  var = sum (x - mean)^2 / n	(two passes)
 *	y = (x - mean) / sqrt(var + epsilon) * scale + bias
 *
 * The sums are in double (each within n * 2^-53 relative of its terms'
 * magnitudes, n <= 2^18), the two-pass variance does not cancel, and
 * (x - mean) * inv is formed in double and rounded once: the normalised
 * value is within ~1 ulp of float before scale and bias (two more float
 * roundings).  Mean and InvStdDev are those doubles rounded to float.
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "reduce_eval.h"
#include "math/isa.h"

/* sum (x - mean)^2 in double. */
double kinfer_math_sum_sqdev(const float *x, size_t n, size_t stride,
			     double mean)
{
	double s = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double d = x[i * stride] - mean;

		s += d * d;
	}
	return s;
}

void kinfer_math_norm_row(float *y, const float *x, size_t n, size_t stride,
			  double mean, double inv, const float *scale,
			  size_t sstride, const float *bias, size_t bstride)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float v = (float)((x[i * stride] - mean) * inv);

		if (scale)
			v *= scale[i * sstride];
		if (bias)
			v += bias[i * bstride];
		y[i * stride] = v;
	}
}

/**
 * kinfer_norm_group() - write one group of a norm-class op's y
 * @ex: the node (kmod/ops/norm.c)
 * @u: the group
 * @mean: subtracted from x
 * @inv: then multiplied in, before scale and bias
 */
void kinfer_norm_group(const struct kinfer_exec *ex, uint64_t u, double mean,
		       double inv)
{
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const float *x = (const float *)ex->t[0].data;
	const float *scale = ex->n_in > 1 ? (const float *)ex->t[1].data : NULL;
	const float *bias = ex->n_in > 2 ? (const float *)ex->t[2].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;
	struct kinfer_group g;

	for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g))
		kinfer_math_norm_row(y + g.off[0], x + g.off[0], g.n,
				     g.stride[0], mean,
				     inv, scale ? scale + g.off[1] : NULL,
				     g.stride[1], bias ? bias + g.off[2] : NULL,
				     g.stride[2]);
}

/*
 * A group that is one contiguous row, its scale and bias contiguous along
 * it too (the usual normalisation over the last axis): the running
 * variant's vector kernel, same sums in double.  False for other groups.
 */
static bool layer_norm_row(const struct kinfer_exec *ex,
			   const struct kinfer_group *g, double *mean,
			   double *inv)
{
	const struct kinfer_attr_norm *a = ex->attr;
	const float *x = (const float *)ex->t[0].data;
	const float *scale = ex->n_in > 1 ? (const float *)ex->t[1].data : NULL;
	const float *bias = ex->n_in > 2 ? (const float *)ex->t[2].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;

	if (!scale || g->rows != 1 || g->stride[0] != 1 || g->stride[1] != 1 ||
	    (bias && g->stride[2] != 1))
		return false;
	kinfer_isa_ops()->layer_norm(y + g->off[0], x + g->off[0], g->n,
				     scale + g->off[1],
				     bias ? bias + g->off[2] : NULL,
				     (double)a->epsilon.f, mean, inv);
	return true;
}

int kinfer_eval_layer_norm(const struct kinfer_exec *ex, uint64_t begin,
			   uint64_t end)
{
	const struct kinfer_attr_norm *a = ex->attr;
	const struct kinfer_reduce_plan *p = &ex->s.reduce;
	const float *x = (const float *)ex->t[0].data;
	const struct kinfer_view *mean_out = &ex->t[ex->n_in + 1];
	const struct kinfer_view *inv_out = &ex->t[ex->n_in + 2];
	struct kinfer_group g;
	uint64_t u;

	for (u = begin; u < end; u++) {
		double s = 0.0, v = 0.0, mean, inv;

		kinfer_group_first(&g, p, u);
		if (layer_norm_row(ex, &g, &mean, &inv))
			goto stats;
		for (; g.rows; kinfer_group_next(&g))
			s += kinfer_math_sum(x + g.off[0], g.n, g.stride[0]);
		mean = s / (double)p->count;
		for (kinfer_group_first(&g, p, u); g.rows; kinfer_group_next(&g))
			v += kinfer_math_sum_sqdev(x + g.off[0], g.n,
						   g.stride[0], mean);
		inv = 1.0 / __builtin_sqrt(v / (double)p->count +
					   (double)a->epsilon.f);
		kinfer_norm_group(ex, u, mean, inv);
stats:
		if (ex->n_out > 1 && mean_out->data)
			((float *)mean_out->data)[u] = (float)mean;
		if (ex->n_out > 2 && inv_out->data)
			((float *)inv_out->data)[u] = (float)inv;
	}
	return 0;
}
