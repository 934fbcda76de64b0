// SPDX-License-Identifier: GPL-2.0
//
// The vector kernels of kmod/math/vmath.h (erf, gelu, softmax and layer
// norm rows), in every instruction-set variant this CPU has, against
// float64 references: erf and gelu in ulps over a dense sweep and their
// special values, softmax and layer norm rows of every length up to 70;
// and results that do not depend on where a unit range starts.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

extern "C" {
#include "math/isa.h"
}

namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Floats in the order of their values, as integers (-0 next to +0).
int64_t ordered(float f)
{
	int32_t i;
	std::memcpy(&i, &f, sizeof(i));
	return i < 0 ? -(int64_t)(i & 0x7fffffff) : (int64_t)i;
}

// The distance in ulps between `got` and the double `want`, rounded.
int64_t ulps(float got, double want)
{
	return std::llabs(ordered(got) - ordered((float)want));
}

bool same_bits(float a, float b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

std::vector<const struct kinfer_isa_ops *> variants()
{
	std::vector<const struct kinfer_isa_ops *> v;
	for (int isa = KINFER_ISA_GENERIC; isa <= (int)kinfer_isa_best(); isa++)
		v.push_back(kinfer_isa_table((enum kinfer_isa)isa));
	return v;
}

// Every float in [lo, hi] `step` apart in its bit pattern, both signs.
std::vector<float> sweep(float hi, uint32_t step)
{
	std::vector<float> xs;
	for (uint32_t b = 0;; b += step) {
		float x;
		std::memcpy(&x, &b, sizeof(x));
		if (!(x <= hi))
			break;
		xs.push_back(x);
		xs.push_back(-x);
	}
	return xs;
}

double gelu_ref(double x)
{
	return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}

// The worst error in ulps of kernel f over xs against ref; at: where.
template <typename R>
int64_t worst(kinfer_vmap_fn f, const std::vector<float> &xs, R ref, float &at)
{
	std::vector<float> y(xs.size());
	f(y.data(), xs.data(), xs.size());
	int64_t w = 0;
	for (size_t i = 0; i < xs.size(); i++) {
		int64_t e = ulps(y[i], ref((double)xs[i]));
		if (e > w) {
			w = e;
			at = xs[i];
		}
	}
	return w;
}

float one(kinfer_vmap_fn f, float x)
{
	float y;
	f(&y, &x, 1);
	return y;
}

} // namespace

TEST_CASE("vector erf and gelu against double in ulps, every variant", "[vmath]")
{
	// Every 97th float up to 20 (about 11 million), then the tails.
	std::vector<float> xs = sweep(20.0f, 97);
	for (float x : {1e-30f, 1e-38f, 1e-45f, 0.75f, 3.92f, 10.0f, 14.9f, 15.0f, 15.1f, 30.0f, 1e10f,
			std::numeric_limits<float>::max()}) {
		xs.push_back(x);
		xs.push_back(-x);
	}
	for (const struct kinfer_isa_ops *ops : variants()) {
		float at = 0;
		INFO(ops->name);
		int64_t e = worst(ops->erf, xs, [](double x) { return std::erf(x); }, at);
		INFO("erf worst " << e << " ulp at " << at);
		CHECK(e <= 2);
		at = 0;
		int64_t g = worst(ops->gelu, xs, gelu_ref, at);
		INFO("gelu worst " << g << " ulp at " << at);
		CHECK(g <= 6);
	}
}

TEST_CASE("vector erf and gelu special values, every variant", "[vmath]")
{
	for (const struct kinfer_isa_ops *ops : variants()) {
		INFO(ops->name);
		CHECK(same_bits(one(ops->erf, 0.0f), 0.0f));
		CHECK(same_bits(one(ops->erf, -0.0f), -0.0f));
		CHECK(one(ops->erf, kInf) == 1.0f);
		CHECK(one(ops->erf, -kInf) == -1.0f);
		CHECK(std::isnan(one(ops->erf, kNaN)));
		CHECK(same_bits(one(ops->gelu, 0.0f), 0.0f));
		CHECK(same_bits(one(ops->gelu, -0.0f), -0.0f));
		CHECK(one(ops->gelu, kInf) == kInf);
		CHECK(same_bits(one(ops->gelu, -kInf), -0.0f));
		CHECK(std::isnan(one(ops->gelu, kNaN)));
		CHECK(std::isnan(one(ops->gelu, -kNaN)));
		// Kept in the denormals, not flushed: gelu(-13) = -2.0e-37.
		CHECK(ulps(one(ops->gelu, -13.0f), gelu_ref(-13.0)) <= 6);
		CHECK(ulps(one(ops->gelu, -13.9f), gelu_ref(-13.9)) <= 1);
		CHECK(one(ops->gelu, 1e30f) == 1e30f);
		CHECK(same_bits(one(ops->gelu, -1e30f), -0.0f));
	}
}

TEST_CASE("vector erf and gelu do not depend on the split of a range", "[vmath]")
{
	std::mt19937 rng(7);
	std::normal_distribution<float> val(0.0f, 4.0f);
	std::vector<float> x(1000);
	for (float &v : x)
		v = val(rng);
	for (const struct kinfer_isa_ops *ops : variants()) {
		for (kinfer_vmap_fn f : {ops->erf, ops->gelu}) {
			std::vector<float> whole(x.size()), parts(x.size());
			f(whole.data(), x.data(), x.size());
			for (size_t b = 0; b < x.size();) {
				size_t e = std::min(x.size(), b + 1 + rng() % 37);
				f(parts.data() + b, x.data() + b, e - b);
				b = e;
			}
			INFO(ops->name);
			REQUIRE(std::memcmp(whole.data(), parts.data(), x.size() * sizeof(float)) == 0);
		}
	}
}

TEST_CASE("vector softmax rows against double, every variant", "[vmath]")
{
	std::mt19937 rng(11);
	std::normal_distribution<float> val(0.0f, 6.0f);
	for (const struct kinfer_isa_ops *ops : variants()) {
		INFO(ops->name);
		for (size_t n = 1; n <= 70; n++) {
			std::vector<float> x(n), y(n);
			for (float &v : x)
				v = val(rng);
			if (n > 3)
				x[n / 2] = -kInf;	// exp gives 0
			ops->softmax(y.data(), x.data(), n, 1);
			double m = -INFINITY, s = 0;
			for (float v : x)
				m = std::max(m, (double)v);
			for (float v : x)
				s += std::exp((double)v - m);
			for (size_t i = 0; i < n; i++) {
				double want = std::exp((double)x[i] - m) / s;
				INFO("n=" << n << " i=" << i);
				// x - max rounds to float first: exp's argument
				// is off by up to half an ulp of it.
				double arg = std::fabs((double)x[i] - m);
				if (want == 0.0)
					CHECK(y[i] == 0.0f);
				else
					CHECK(std::fabs(y[i] - want) <= (4e-7 + 6e-8 * arg) * want + 1e-44);
			}
			// In place, the same bits.
			std::vector<float> z = x;
			ops->softmax(z.data(), z.data(), n, 1);
			CHECK(std::memcmp(y.data(), z.data(), n * sizeof(float)) == 0);
			// Strided (a softmax over a non-last axis): the same bits.
			std::vector<float> xs(3 * n, 7.0f), ys(3 * n, 5.0f);
			for (size_t i = 0; i < n; i++)
				xs[3 * i + 1] = x[i];
			ops->softmax(ys.data() + 1, xs.data() + 1, n, 3);
			for (size_t i = 0; i < n; i++) {
				CHECK(std::memcmp(&ys[3 * i + 1], &y[i], sizeof(float)) == 0);
				CHECK(ys[3 * i] == 5.0f);
			}
		}
		// A row with NaN or +Inf, or of -Inf only, is all-NaN.
		for (float bad : {kNaN, kInf}) {
			std::vector<float> x(19, 1.0f), y(19);
			x[17] = bad;
			ops->softmax(y.data(), x.data(), x.size(), 1);
			for (float v : y)
				CHECK(std::isnan(v));
		}
		std::vector<float> x(5, -kInf), y(5);
		ops->softmax(y.data(), x.data(), x.size(), 1);
		for (float v : y)
			CHECK(std::isnan(v));
	}
}

TEST_CASE("vector layer norm rows against double, every variant", "[vmath]")
{
	std::mt19937 rng(13);
	std::normal_distribution<float> val(0.0f, 1.0f);
	for (const struct kinfer_isa_ops *ops : variants()) {
		INFO(ops->name);
		for (size_t n = 1; n <= 70; n++) {
			std::vector<float> x(n), y(n), sc(n), b(n);
			float offset = 100.0f * val(rng);	// the mean must not cancel
			for (size_t i = 0; i < n; i++) {
				x[i] = offset + val(rng);
				sc[i] = val(rng);
				b[i] = val(rng);
			}
			bool bias = n % 2;
			double eps = 1e-5, mean, inv;
			ops->layer_norm(y.data(), x.data(), n, sc.data(), bias ? b.data() : nullptr, eps, &mean,
					&inv);
			double m = 0, v = 0;
			for (float e : x)
				m += e;
			m /= (double)n;
			for (float e : x)
				v += (e - m) * (e - m);
			double want_inv = 1.0 / std::sqrt(v / (double)n + eps);
			INFO("n=" << n);
			CHECK(std::fabs(mean - m) <= 1e-12 * std::fabs(m) + 1e-12);
			CHECK(std::fabs(inv - want_inv) <= 1e-12 * want_inv);
			for (size_t i = 0; i < n; i++) {
				double nv = (x[i] - m) * want_inv;
				double want = nv * sc[i] + (bias ? b[i] : 0.0);
				// The normalised value and two float roundings.
				double tol = 2e-7 * (std::fabs(nv * sc[i]) + std::fabs(want)) + 1e-30;
				INFO("i=" << i);
				CHECK(std::fabs(y[i] - want) <= tol);
			}
		}
	}
}

TEST_CASE("vector bias rows: one float sum each, relu as kinfer_math_relu, every variant", "[vmath]")
{
	std::mt19937 rng(11);
	std::uniform_real_distribution<float> u(-4, 4);
	const float specials[] = {kNaN, -kNaN, kInf, -kInf, -0.0f, 0.0f, 1e-40f, -1e-40f};
	for (const struct kinfer_isa_ops *ops : variants())
		for (size_t n = 0; n <= 70; n++)
			for (bool relu : {false, true}) {
				std::vector<float> y(n), c(n);
				for (size_t i = 0; i < n; i++) {
					y[i] = i % 5 == 0 ? specials[i / 5 % 8] : u(rng);
					c[i] = i % 7 == 0 ? specials[i / 7 % 8] : u(rng);
				}
				std::vector<float> got = y;
				ops->add_bias(got.data(), c.data(), n, relu);
				for (size_t i = 0; i < n; i++) {
					float want = y[i] + c[i];	// one IEEE sum
					if (relu && want < 0.0f)
						want = 0.0f;
					INFO(ops->name << " n " << n << " i " << i << " relu " << relu);
					if (std::isnan(want))
						REQUIRE(std::isnan(got[i]));
					else
						REQUIRE(std::memcmp(&got[i], &want, sizeof(float)) == 0);
				}
			}
}
