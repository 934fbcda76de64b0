// SPDX-License-Identifier: GPL-2.0
/*
 * Mish: x * tanh(softplus(x)).  With n = e^x, tanh(ln(1 + n)) =
 * n(n + 2) / (n(n + 2) + 2): no tanh, no log, and no cancellation for
 * very negative x, where it tends to n.  In double.  From x = 20 on the
 * factor is 1 in float (and n^2 would overflow later): y = x.
 * mish(-Inf) = -0, the limit.  Within 1 ulp of x * tanh(log1p(e^x)) in
 * glibc double (every 7th float of [-120, 120]).
 */
#include "ops/exec.h"
#include "kinfer_math.h"
#include "logexp.h"

static inline float mishf(float x)
{
	double e, t;

	if (!(x < 20.0f))	/* large, +Inf or NaN */
		return x;
	if (kinfer_isinf(x))	/* the limit of x * e^x */
		return -0.0f;
	e = kinfer_exp_d(x);
	t = e * (e + 2.0);
	return (float)((double)x * (t / (t + 2.0)));
}

float kinfer_mishf(float x)
{
	return mishf(x);
}

void kinfer_math_mish(float *out, const float *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = mishf(in[i]);
}

KINFER_UNARY_OP0(mish)
