// SPDX-License-Identifier: GPL-2.0
//
// kinfer_math (kmod/math) against Eigen and libm.
//
// The scalar functions are checked in ulps against the double-precision
// libm result rounded to float; the kernels against Eigen (dense) or a
// double reference (softmax).  NaN handling is part of the contract
// documented in kinfer_math.h: NaN in -> NaN out, and a softmax row holding
// NaN or +Inf becomes all-NaN.

#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kinfer_math.h"
#include "onnx_builders.h"

namespace {

using RowMatrix =
	Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kDenormMin = std::numeric_limits<float>::denorm_min();

// Distance in representable floats; works across zero and denormals.
int64_t ulp_distance(float a, float b)
{
	auto ordered = [](float f) {
		int32_t i;
		std::memcpy(&i, &f, sizeof(i));
		return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
	};
	int64_t d = ordered(a) - ordered(b);
	return d < 0 ? -d : d;
}

// Worst ulp error of f against ref (double libm) over xs.
template <typename F, typename R>
int64_t max_ulp(const std::vector<float> &xs, F f, R ref, float *worst_x)
{
	int64_t worst = 0;

	for (float x : xs) {
		float want = static_cast<float>(ref(static_cast<double>(x)));
		int64_t d = ulp_distance(f(x), want);
		if (d > worst) {
			worst = d;
			*worst_x = x;
		}
	}
	return worst;
}

// A dense grid over [lo, hi] plus uniform random points.
std::vector<float> sweep(float lo, float hi, size_t n, uint32_t seed)
{
	std::vector<float> xs;
	std::mt19937 rng(seed);
	std::uniform_real_distribution<float> u(lo, hi);

	xs.reserve(2 * n);
	for (size_t i = 0; i < n; i++)
		xs.push_back(lo + (hi - lo) * static_cast<float>(i) /
					  static_cast<float>(n - 1));
	for (size_t i = 0; i < n; i++)
		xs.push_back(u(rng));
	return xs;
}

std::vector<float> random_vec(size_t n, std::mt19937 &rng, float scale = 1.0f)
{
	std::normal_distribution<float> d(0.0f, scale);
	std::vector<float> v(n);

	for (auto &x : v)
		x = d(rng);
	return v;
}

double ref_sigmoid(double x)
{
	return 1.0 / (1.0 + std::exp(-x));
}

} // namespace

TEST_CASE("expf is within 2 ulp of libm over its whole range", "[math][expf]")
{
	float worst_x = 0;
	// -103.97 .. 88.72 covers denormal results through overflow.
	auto xs = sweep(-103.9f, 88.72f, 1 << 20, 1);
	auto small = sweep(-1.0f, 1.0f, 1 << 18, 2);

	xs.insert(xs.end(), small.begin(), small.end());
	int64_t worst = max_ulp(xs, kinfer_expf,
				[](double x) { return std::exp(x); }, &worst_x);
	INFO("worst x = " << worst_x);
	CHECK(worst <= 2);
}

TEST_CASE("expf edge cases", "[math][expf]")
{
	CHECK(kinfer_expf(0.0f) == 1.0f);
	CHECK(kinfer_expf(-0.0f) == 1.0f);
	CHECK(kinfer_expf(kDenormMin) == 1.0f);
	CHECK(kinfer_expf(-kDenormMin) == 1.0f);
	CHECK(kinfer_expf(1.0f) == Approx(2.7182817f).epsilon(1e-7));
	CHECK(kinfer_expf(kInf) == kInf);
	CHECK(kinfer_expf(-kInf) == 0.0f);
	CHECK(kinfer_expf(89.0f) == kInf);
	CHECK(kinfer_expf(1000.0f) == kInf);
	CHECK(kinfer_expf(-105.0f) == 0.0f);
	CHECK(kinfer_expf(-1000.0f) == 0.0f);
	CHECK(std::isfinite(kinfer_expf(88.72f)));
	// Denormal results are produced, not flushed to zero.
	CHECK(kinfer_expf(-100.0f) > 0.0f);
	CHECK(kinfer_expf(-100.0f) < std::numeric_limits<float>::min());
	CHECK(std::isnan(kinfer_expf(kNaN)));
	CHECK(std::isnan(kinfer_expf(-kNaN)));
}

TEST_CASE("tanh is within 2 ulp of libm, also near 0", "[math][tanh]")
{
	float worst_x = 0;
	auto xs = sweep(-10.0f, 10.0f, 1 << 20, 3);
	auto small = sweep(-0.7f, 0.7f, 1 << 18, 4);
	auto tiny = sweep(-1e-3f, 1e-3f, 1 << 16, 5);

	xs.insert(xs.end(), small.begin(), small.end());
	xs.insert(xs.end(), tiny.begin(), tiny.end());
	for (float x : { 1e-20f, 1e-30f, 1e-38f, kDenormMin, 3e-42f })
		for (float s : { 1.0f, -1.0f })
			xs.push_back(s * x);
	int64_t worst = max_ulp(xs, kinfer_tanhf,
				[](double x) { return std::tanh(x); }, &worst_x);
	INFO("worst x = " << worst_x);
	CHECK(worst <= 2);
}

TEST_CASE("tanh edge cases", "[math][tanh]")
{
	CHECK(kinfer_tanhf(0.0f) == 0.0f);
	CHECK(std::signbit(kinfer_tanhf(-0.0f)));
	CHECK(kinfer_tanhf(kInf) == 1.0f);
	CHECK(kinfer_tanhf(-kInf) == -1.0f);
	CHECK(kinfer_tanhf(50.0f) == 1.0f);
	CHECK(kinfer_tanhf(-50.0f) == -1.0f);
	CHECK(kinfer_tanhf(kDenormMin) == kDenormMin);
	CHECK(std::isnan(kinfer_tanhf(kNaN)));
}

TEST_CASE("sigmoid is within 3 ulp of 1/(1+exp(-x))", "[math][sigmoid]")
{
	float worst_x = 0;
	// Above -87 the result is a normal float.
	auto xs = sweep(-87.0f, 30.0f, 1 << 20, 6);
	int64_t worst = max_ulp(xs, kinfer_sigmoidf, ref_sigmoid, &worst_x);

	INFO("worst x = " << worst_x);
	CHECK(worst <= 3);
}

TEST_CASE("sigmoid edge cases", "[math][sigmoid]")
{
	CHECK(kinfer_sigmoidf(0.0f) == 0.5f);
	CHECK(kinfer_sigmoidf(kInf) == 1.0f);
	CHECK(kinfer_sigmoidf(-kInf) == 0.0f);
	CHECK(kinfer_sigmoidf(100.0f) == 1.0f);
	// Deep negative inputs keep going as denormals, then reach 0.
	CHECK(kinfer_sigmoidf(-100.0f) > 0.0f);
	CHECK(kinfer_sigmoidf(-100.0f) ==
	      Approx(static_cast<float>(ref_sigmoid(-100.0))).epsilon(1e-3));
	CHECK(kinfer_sigmoidf(-200.0f) == 0.0f);
	CHECK(std::isnan(kinfer_sigmoidf(kNaN)));
}

TEST_CASE("vector activations apply the scalar functions", "[math]")
{
	std::mt19937 rng(7);
	auto x = random_vec(1031, rng, 5.0f);
	std::vector<float> y(x.size());

	kinfer_math_sigmoid(y.data(), x.data(), x.size());
	for (size_t i = 0; i < x.size(); i++)
		REQUIRE(y[i] == kinfer_sigmoidf(x[i]));
	kinfer_math_tanh(y.data(), x.data(), x.size());
	for (size_t i = 0; i < x.size(); i++)
		REQUIRE(y[i] == kinfer_tanhf(x[i]));

	// In place.
	y = x;
	kinfer_math_tanh(y.data(), y.data(), y.size());
	for (size_t i = 0; i < x.size(); i++)
		REQUIRE(y[i] == kinfer_tanhf(x[i]));
}

TEST_CASE("relu", "[math][relu]")
{
	std::vector<float> x = { -2.0f, -0.0f, 0.0f, 1.5f, -kInf, kInf,
				 kNaN, -kDenormMin, kDenormMin };
	std::vector<float> y(x.size());

	kinfer_math_relu(y.data(), x.data(), x.size());
	CHECK(y[0] == 0.0f);
	CHECK(y[1] == 0.0f);
	CHECK(y[2] == 0.0f);
	CHECK(y[3] == 1.5f);
	CHECK(y[4] == 0.0f);
	CHECK(y[5] == kInf);
	CHECK(std::isnan(y[6]));	// NaN propagates
	CHECK(y[7] == 0.0f);
	CHECK(y[8] == kDenormMin);

	kinfer_math_relu(x.data(), x.data(), x.size());	// in place
	CHECK(x[0] == 0.0f);
	CHECK(x[3] == 1.5f);
}

TEST_CASE("dense computed in tiles is bit-identical to one call", "[math][dense]")
{
	// Rows may be computed in tiles (column blocks of MATMUL units, k
	// blocks): the same sum order for every element.
	std::mt19937 rng(5);
	const size_t k = 37, n = 23, kbs[] = { 1, 5, 37 }, nbs[] = { 1, 4, 23 };
	auto x = random_vec(k, rng);
	auto w = random_vec(k * n, rng, 0.1f);
	auto b = random_vec(n, rng);
	std::vector<float> whole(n);

	kinfer_math_dense(whole.data(), x.data(), w.data(), b.data(), 1, k, n);
	for (size_t kb : kbs)
		for (size_t nb : nbs) {
			std::vector<float> y(b);

			for (size_t l0 = 0; l0 < k; l0 += kb)
				for (size_t j0 = 0; j0 < n; j0 += nb)
					kinfer_math_dense_acc(y.data() + j0, x.data() + l0, 1,
							      w.data() + l0 * n + j0,
							      std::min(kb, k - l0),
							      std::min(nb, n - j0), n);
			INFO("kb=" << kb << " nb=" << nb);
			REQUIRE(std::memcmp(y.data(), whole.data(), n * sizeof(float)) == 0);
		}
}

TEST_CASE("dense matches Eigen", "[math][dense]")
{
	std::mt19937 rng(11);
	const size_t shapes[][3] = {
		{ 1, 1, 1 }, { 1, 784, 128 }, { 4, 128, 10 }, { 3, 7, 5 },
		{ 16, 33, 17 }, { 2, 1, 9 }, { 5, 64, 1 },
	};

	for (const auto &s : shapes) {
		size_t m = s[0], k = s[1], n = s[2];
		auto x = random_vec(m * k, rng);
		auto w = random_vec(k * n, rng, 0.1f);
		auto b = random_vec(n, rng);
		std::vector<float> y(m * n), y0(m * n);

		kinfer_math_dense(y.data(), x.data(), w.data(), b.data(), m, k, n);
		kinfer_math_dense(y0.data(), x.data(), w.data(), nullptr, m, k, n);

		Eigen::Map<const RowMatrix> X(x.data(), m, k), W(w.data(), k, n);
		Eigen::Map<const Eigen::RowVectorXf> B(b.data(), n);
		RowMatrix ref0 = X * W;
		RowMatrix ref = ref0.rowwise() + B;
		// Scale for the tolerance: sum of |terms| per output.
		RowMatrix mag = (X.cwiseAbs() * W.cwiseAbs()).rowwise() +
				B.cwiseAbs();

		INFO("m=" << m << " k=" << k << " n=" << n);
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < n; j++) {
				float tol = 1e-5f * (mag(i, j) + 1e-30f);
				REQUIRE(std::fabs(y[i * n + j] - ref(i, j)) <= tol);
				REQUIRE(std::fabs(y0[i * n + j] - ref0(i, j)) <= tol);
			}
	}
}

TEST_CASE("dense propagates NaN and Inf", "[math][dense]")
{
	float x[2] = { 1.0f, kNaN }, w[4] = { 1, 2, 3, 4 }, b[2] = { 0, kInf };
	float y[2];

	kinfer_math_dense(y, x, w, b, 1, 2, 2);
	CHECK(std::isnan(y[0]));
	CHECK(std::isnan(y[1]));
	x[1] = 1.0f;
	kinfer_math_dense(y, x, w, b, 1, 2, 2);
	CHECK(y[0] == 4.0f);
	CHECK(y[1] == kInf);
}

TEST_CASE("softmax matches a double reference", "[math][softmax]")
{
	std::mt19937 rng(13);
	const size_t shapes[][2] = { { 1, 1 }, { 1, 10 }, { 4, 7 }, { 3, 1000 } };

	for (const auto &s : shapes) {
		size_t m = s[0], n = s[1];
		auto x = random_vec(m * n, rng, 4.0f);
		std::vector<float> y(m * n);

		for (size_t r = 0; r < m; r++)
			kinfer_math_softmax(y.data() + r * n, x.data() + r * n, n, 1);
		for (size_t r = 0; r < m; r++) {
			double max = x[r * n], sum = 0, ysum = 0;

			for (size_t i = 1; i < n; i++)
				max = std::max(max, double(x[r * n + i]));
			for (size_t i = 0; i < n; i++)
				sum += std::exp(x[r * n + i] - max);
			for (size_t i = 0; i < n; i++) {
				double want = std::exp(x[r * n + i] - max) / sum;
				REQUIRE(y[r * n + i] ==
					Approx(want).epsilon(1e-5).margin(1e-12));
				ysum += y[r * n + i];
			}
			REQUIRE(ysum == Approx(1.0).epsilon(1e-5));
		}
	}
}

TEST_CASE("softmax edge cases", "[math][softmax]")
{
	float y[3];

	SECTION("large inputs do not overflow") {
		float x[3] = { 1000.0f, 1001.0f, 1002.0f };

		kinfer_math_softmax(y, x, 3, 1);
		CHECK(y[2] == Approx(0.66524096f).epsilon(1e-6));
		CHECK(y[0] == Approx(0.09003057f).epsilon(1e-5));
	}
	SECTION("-Inf entries get 0") {
		float x[3] = { -kInf, 0.0f, 0.0f };

		kinfer_math_softmax(y, x, 3, 1);
		CHECK(y[0] == 0.0f);
		CHECK(y[1] == 0.5f);
	}
	SECTION("a NaN anywhere in the row makes it all NaN") {
		for (int pos = 0; pos < 3; pos++) {
			float x[3] = { 1.0f, 2.0f, 3.0f };

			x[pos] = kNaN;
			kinfer_math_softmax(y, x, 3, 1);
			for (float v : y)
				CHECK(std::isnan(v));
		}
	}
	SECTION("+Inf makes the row NaN, like numpy") {
		float x[3] = { 1.0f, kInf, 3.0f };

		kinfer_math_softmax(y, x, 3, 1);
		for (float v : y)
			CHECK(std::isnan(v));
	}
	SECTION("rows are independent") {
		float x[6] = { 0, 0, 0, 1, kNaN, 1 }, z[6];

		kinfer_math_softmax(z, x, 3, 1);
		kinfer_math_softmax(z + 3, x + 3, 3, 1);
		CHECK(z[0] == Approx(1.0 / 3));
		CHECK(std::isnan(z[4]));
	}
	SECTION("a strided row equals the contiguous one") {
		float x[6] = { 1, 9, 2, 9, 3, 9 }, z[6] = { 0 }, c[3], xc[3] = { 1, 2, 3 };

		kinfer_math_softmax(z, x, 3, 2);
		kinfer_math_softmax(c, xc, 3, 1);
		CHECK(z[0] == c[0]);
		CHECK(z[2] == c[1]);
		CHECK(z[4] == c[2]);
		CHECK(z[1] == 0.0f);	// other rows untouched
	}
}

TEST_CASE("add and mul broadcast like numpy, checked with Eigen", "[math][eltwise]")
{
	// a [r, c] with b [c] (rows) and b [r, 1] (columns), through the
	// binary class's broadcast walk.
	std::mt19937 rng(17);
	const int64_t shapes[][2] = { { 3, 4 }, { 12, 1 }, { 1, 7 }, { 100, 10 } };

	for (const auto &s : shapes) {
		int64_t r = s[0], c = s[1];
		auto a = random_vec(r * c, rng), brow = random_vec(c, rng), bcol = random_vec(r, rng);
		kinfer_test::ModelBuilder m;
		m.input("a", {r, c}).input("br", {c}).input("bc", {r, 1});
		m.output("s", {r, c}).output("p", {r, c});
		m.node("Add", {"a", "br"}, {"s"});
		m.node("Mul", {"bc", "a"}, {"p"});
		auto out = kinfer_test::run_model(m, {kinfer_test::F({r, c}, a), kinfer_test::F({c}, brow),
						      kinfer_test::F({r, 1}, bcol)});
		std::vector<float> sum = out[0].floats(), prod = out[1].floats();

		Eigen::Map<const RowMatrix> A(a.data(), r, c);
		Eigen::Map<const Eigen::RowVectorXf> BR(brow.data(), c);
		Eigen::Map<const Eigen::VectorXf> BC(bcol.data(), r);
		RowMatrix rs = A.rowwise() + BR;
		RowMatrix rp = A.array().colwise() * BC.array();

		INFO("r=" << r << " c=" << c);
		for (int64_t i = 0; i < r * c; i++) {
			REQUIRE(sum[i] == rs(i / c, i % c));
			REQUIRE(prod[i] == rp(i / c, i % c));
		}
	}
}

TEST_CASE("add and mul propagate NaN", "[math][eltwise]")
{
	kinfer_test::ModelBuilder m;
	m.input("a", {2}).output("s", {2}).output("p", {2});
	m.init("b", {1}, {2.0f});
	m.node("Add", {"a", "b"}, {"s"});
	m.node("Mul", {"a", "b"}, {"p"});
	auto out = kinfer_test::run_model(m, {kinfer_test::F({2}, {kNaN, 1.0f})});
	std::vector<float> y = out[0].floats(), z = out[1].floats();
	CHECK(std::isnan(y[0]));
	CHECK(y[1] == 3.0f);
	CHECK(std::isnan(z[0]));
	CHECK(z[1] == 2.0f);
}
