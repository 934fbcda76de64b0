// SPDX-License-Identifier: GPL-2.0
#include "quant/qparams.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace kinfer {

QMul quantize_multiplier(double real)
{
	if (!std::isfinite(real) || real < 0.0)
		throw ModelError("quantisation multiplier " + std::to_string(real) +
				 " is not a finite non-negative number");
	QMul q;
	if (real == 0.0)
		return q;
	int shift = 0;
	double fraction = std::frexp(real, &shift);	// in [1/2, 1)
	auto fixed = static_cast<int64_t>(std::round(fraction * (1LL << 31)));
	if (fixed == (1LL << 31)) {
		fixed /= 2;
		shift++;
	}
	if (shift < -31)	// below what 32 bits can scale to: 0
		return q;
	q.multiplier = static_cast<int32_t>(fixed);
	q.shift = shift;
	return q;
}

QMul quantize_multiplier_greater_than_one(double real)
{
	if (!(real > 1.0))
		throw ModelError("quantisation multiplier " + std::to_string(real) +
				 " is not greater than 1");
	return quantize_multiplier(real);
}

SoftmaxParams softmax_params(double beta, double input_scale)
{
	constexpr int kIntegerBits = 5;	// the exp's input is Q5.26
	double real = std::min(beta * input_scale * (double)(1LL << (31 - kIntegerBits)),
			       (double)((1LL << 31) - 1));
	QMul q = quantize_multiplier_greater_than_one(real);
	SoftmaxParams p;
	p.multiplier = q.multiplier;
	p.left_shift = q.shift;
	// The largest diff whose rescaled value stays within Q5.26, floored.
	double radius = (double)((1 << kIntegerBits) - 1) *
			(double)(1LL << (31 - kIntegerBits)) / (double)(1LL << q.shift);
	p.diff_min = -static_cast<int32_t>(std::floor(radius));
	return p;
}

QMul mean_multiplier(double in_scale, double out_scale, int64_t count)
{
	if (count < 1)
		throw ModelError("a mean over " + std::to_string(count) + " elements");
	QMul q = quantize_multiplier(in_scale / out_scale);
	int s = 63 - __builtin_clzll(static_cast<uint64_t>(count));
	s = std::min(s, 32);
	s = std::min(s, 31 + q.shift);
	q.multiplier = static_cast<int32_t>((static_cast<int64_t>(q.multiplier) << s) / count);
	q.shift -= s;
	return q;
}

} // namespace kinfer
