// SPDX-License-Identifier: GPL-2.0
//
// Constant MatMul weights stored in the GEMM kernels' panels
// (KINFER_MATMUL_B_PANELS): when the loader chooses them, that the layout
// is the one uapi/kinfer.h states, and that the product is still A . B
// (float64 reference) for B, B^T, shared weights and batched A.
#include "onnx_builders.h"
#include "panels.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

using namespace kinfer;
using namespace kinfer_test;

namespace {

kinfer_attr_matmul matmul_attr(const LOp &op)
{
	kinfer_attr_matmul a;
	REQUIRE(op.attr.size() == sizeof(a));
	std::memcpy(&a, op.attr.data(), sizeof(a));
	return a;
}

std::vector<float> random_floats(size_t n, std::mt19937 &rng)
{
	std::normal_distribution<float> val(0.0f, 1.0f);
	std::vector<float> v(n);
	for (float &x : v)
		x = val(rng);
	return v;
}

// y = x . W (W [k, n], or [n, k] with @trans) in float64.
std::vector<double> product(const std::vector<float> &x, const std::vector<float> &w, int64_t m,
			    int64_t k, int64_t n, bool trans)
{
	std::vector<double> y(m * n, 0.0);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			for (int64_t l = 0; l < k; l++)
				y[i * n + j] += (double)x[i * k + l] * w[trans ? j * k + l : l * n + j];
	return y;
}

} // namespace

TEST_CASE("panels hold element (k, n) at ((n / 16) * K + k) * 16 + n % 16", "[panels]")
{
	std::mt19937 rng(7);
	for (int64_t n : {16, 20, 33, 64}) {
		const int64_t k = 5;
		HostTensor w = F({k, n}, random_floats(k * n, rng));
		HostTensor p = to_panels(w);
		REQUIRE(p.shape == Shape{(n + 15) / 16, k, 16});
		const float *pf = p.as<float>();
		for (int64_t l = 0; l < k; l++)
			for (int64_t j = 0; j < (n + 15) / 16 * 16; j++) {
				float want = j < n ? w.as<float>()[l * n + j] : 0.0f;
				REQUIRE(pf[((j / 16) * k + l) * 16 + j % 16] == want);
			}
		REQUIRE(from_panels(p, {k, n}).floats() == w.floats());
	}
	REQUIRE_THROWS(from_panels(to_panels(F({2, 16}, random_floats(32, rng))), {2, 17}));
}

TEST_CASE("panels pay from 16 columns when padding adds at most an eighth", "[panels]")
{
	CHECK_FALSE(panels_pay({256, 2}));
	CHECK_FALSE(panels_pay({256, 15}));
	CHECK(panels_pay({256, 16}));
	CHECK_FALSE(panels_pay({256, 17}));	// 15 padded columns
	CHECK(panels_pay({384, 1536}));
	CHECK(panels_pay({8, 120}));		// 8 padded of 120
	CHECK_FALSE(panels_pay({8, 40}));	// 8 padded of 40
	CHECK_FALSE(panels_pay({4, 4, 16}));
}

TEST_CASE("constant MatMul weights run from panels and equal A . B", "[panels][lower]")
{
	std::mt19937 rng(20261130);
	struct Case {
		int64_t m, k, n;
		bool trans;	// Gemm transB=1: W is [n, k]
		bool panels;	// what the loader should choose
	};
	for (Case t : {Case{3, 31, 256, false, true}, Case{5, 70, 40, false, false},
		       Case{33, 300, 80, true, true}, Case{1, 7, 2, false, false},
		       Case{40, 129, 130, false, true}}) {
		INFO("m=" << t.m << " k=" << t.k << " n=" << t.n << " trans=" << t.trans);
		std::vector<float> x = random_floats(t.m * t.k, rng);
		std::vector<float> w = random_floats(t.k * t.n, rng);
		ModelBuilder b;
		b.input("x", {t.m, t.k}).output("y", {t.m, t.n});
		b.init("W", t.trans ? Shape{t.n, t.k} : Shape{t.k, t.n}, w);
		onnx::NodeProto &g = b.node("Gemm", {"x", "W"}, {"y"}, "dense");
		if (t.trans)
			ModelBuilder::attr_int(g, "transB", 1);
		Compiled c = b.compiled();
		const LOp &mm = c.lowered.ops[1];
		REQUIRE(matmul_attr(mm).b_layout ==
			(t.panels ? KINFER_MATMUL_B_PANELS : KINFER_MATMUL_B_ROWS));
		const LWeight &lw = c.lowered.weights[mm.in[1].index];
		if (t.panels) {
			REQUIRE(lw.matrix == Shape{t.k, t.n});
			REQUIRE(lw.t.shape == Shape{(t.n + 15) / 16, t.k, 16});
			REQUIRE(lw.name == (t.trans ? "W.T" : "W"));
		}
		std::vector<float> got = plan_run(c.lowered, c.plan, {F({t.m, t.k}, x)})[0].floats();
		std::vector<double> want = product(x, w, t.m, t.k, t.n, t.trans);
		for (size_t i = 0; i < got.size(); i++)
			REQUIRE(got[i] == Approx(want[i]).margin(1e-4));
	}
}

TEST_CASE("a weight read by two MatMuls is packed once; batched A reads the same panels",
	  "[panels][lower]")
{
	std::mt19937 rng(3);
	const int64_t k = 24, n = 32;
	std::vector<float> w = random_floats(k * n, rng), w2 = random_floats(n * n, rng);
	std::vector<float> x = random_floats(2 * 3 * k, rng);
	ModelBuilder b;
	b.input("x", {2, 3, k}).output("y", {2, 3, n}).output("z", {2, 3, n});
	b.init("W", {k, n}, w);
	b.init("W2", {n, n}, w2);
	b.node("MatMul", {"x", "W"}, {"y"}, "first");
	b.node("MatMul", {"y", "W2"}, {"h"}, "second");
	b.node("Relu", {"h"}, {"r"});
	b.node("MatMul", {"r", "W2"}, {"z"}, "third");
	Compiled c = b.compiled();
	REQUIRE(c.lowered.weights.size() == 2);
	std::vector<HostTensor> out = plan_run(c.lowered, c.plan, {F({2, 3, k}, x)});
	std::vector<double> y = product(x, w, 6, k, n, false);
	std::vector<float> yf(y.begin(), y.end());
	std::vector<double> h = product(yf, w2, 6, n, n, false);
	std::vector<float> r(h.size());
	for (size_t i = 0; i < h.size(); i++)
		r[i] = h[i] > 0 ? (float)h[i] : 0.0f;
	std::vector<double> z = product(r, w2, 6, n, n, false);
	for (size_t i = 0; i < y.size(); i++) {
		REQUIRE(out[0].floats()[i] == Approx(y[i]).margin(1e-4));
		REQUIRE(out[1].floats()[i] == Approx(z[i]).margin(1e-3));
	}
}
