// SPDX-License-Identifier: GPL-2.0
// The transformer passes (passes_nlp.cc) on GELU and LayerNormalization as
// exporters spell them (jax2onnx, tf2onnx, torch): each spelling must
// become one GELU or LAYER_NORM kernel op computing the formula (checked
// against a double-precision reference), and near misses (another
// constant, other axes, an intermediate read elsewhere) must be left as
// they are, still computing what they say.
#include "onnx_builders.h"

#include <uapi/kinfer.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

using namespace kinfer;
using namespace kinfer_test;

namespace {

std::vector<float> normal(size_t n, std::mt19937 &rng, float mean = 0.0f, float sd = 2.0f)
{
	std::normal_distribution<float> d(mean, sd);
	std::vector<float> v(n);
	for (float &f : v)
		f = d(rng);
	return v;
}

std::vector<uint32_t> kernel_ops(const ModelBuilder &mb)
{
	std::vector<uint32_t> ops;
	for (const LOp &op : mb.lowered().ops)
		if (op.op != KINFER_OP_INPUT && op.op != KINFER_OP_OUTPUT)
			ops.push_back(op.op);
	return ops;
}

void require_close(const std::vector<float> &got, const std::vector<double> &want, double tol)
{
	REQUIRE(got.size() == want.size());
	for (size_t i = 0; i < got.size(); i++) {
		INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
		REQUIRE(std::fabs(got[i] - want[i]) <= tol * (1.0 + std::fabs(want[i])));
	}
}

const float kSqrt2 = 1.41421356f, kSqrt1_2 = 0.70710678f;
const Shape kGeluShape{3, 37};

double gelu_ref(double x)
{
	return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}

// x [3, 37] -> the spelling `build` writes, its last node's output y.
ModelBuilder gelu_model(const std::function<void(ModelBuilder &)> &build)
{
	ModelBuilder b;
	b.input("x", kGeluShape).output("y", kGeluShape);
	b.init("half", {}, {0.5f});
	b.init("one", {1, 1}, {1.0f});
	b.init("two", {}, {2.0f});
	b.init("sqrt2", {}, {kSqrt2});
	b.init("rsqrt2", {}, {kSqrt1_2});
	b.init("neg_rsqrt2", {}, {-kSqrt1_2});
	build(b);
	return b;
}

void check_gelu_runs(const ModelBuilder &b)
{
	std::mt19937 rng(5);
	std::vector<float> x = normal(3 * 37, rng, 0.0f, 3.0f);
	std::vector<double> want;
	for (float v : x)
		want.push_back(gelu_ref(v));
	require_close(run_model(b, {F(kGeluShape, x)})[0].floats(), want, 1e-6);
}

} // namespace

TEST_CASE("GELU's spellings become one GELU op", "[passes][nlp]")
{
	std::vector<std::pair<const char *, std::function<void(ModelBuilder &)>>> spellings = {
		{"jax: 0.5x * (1 - erf(-x / sqrt 2))",
		 [](ModelBuilder &b) {
			 b.node("Mul", {"half", "x"}, {"h"});
			 b.node("Neg", {"x"}, {"n"});
			 b.node("Mul", {"n", "rsqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Sub", {"one", "e"}, {"s"});
			 b.node("Mul", {"h", "s"}, {"y"});
		 }},
		{"torch: x * (erf(x / sqrt 2) + 1) * 0.5",
		 [](ModelBuilder &b) {
			 b.node("Div", {"x", "sqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"e", "one"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Mul", {"p", "half"}, {"y"});
		 }},
		{"tf: x * (0.5 * (1 + erf(x * (1 / sqrt 2))))",
		 [](ModelBuilder &b) {
			 b.node("Mul", {"x", "rsqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"one", "e"}, {"s"});
			 b.node("Mul", {"half", "s"}, {"p"});
			 b.node("Mul", {"x", "p"}, {"y"});
		 }},
		{"x * (1 + erf(x * -(-1 / sqrt 2))) / 2",
		 [](ModelBuilder &b) {
			 b.node("Mul", {"x", "neg_rsqrt2"}, {"m"});
			 b.node("Neg", {"m"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"one", "e"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Div", {"p", "two"}, {"y"});
		 }},
	};
	for (const auto &s : spellings) {
		SECTION(s.first)
		{
			ModelBuilder b = gelu_model(s.second);
			REQUIRE(kernel_ops(b) == std::vector<uint32_t>{KINFER_OP_GELU});
			check_gelu_runs(b);
		}
	}
}

TEST_CASE("GELU's near misses are left as written", "[passes][nlp]")
{
	std::vector<std::pair<const char *, std::function<void(ModelBuilder &)>>> misses = {
		{"0.6 instead of 0.5",
		 [](ModelBuilder &b) {
			 b.init("c", {}, {0.6f});
			 b.node("Div", {"x", "sqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"e", "one"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Mul", {"p", "c"}, {"y"});
		 }},
		{"x / 1.5 inside erf",
		 [](ModelBuilder &b) {
			 b.init("c", {}, {1.5f});
			 b.node("Div", {"x", "c"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"e", "one"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Mul", {"p", "half"}, {"y"});
		 }},
		{"2 + erf",
		 [](ModelBuilder &b) {
			 b.node("Div", {"x", "sqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"e", "two"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Mul", {"p", "half"}, {"y"});
		 }},
		{"1 - erf(x / sqrt 2): the sign",
		 [](ModelBuilder &b) {
			 b.node("Div", {"x", "sqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Sub", {"one", "e"}, {"s"});
			 b.node("Mul", {"x", "s"}, {"p"});
			 b.node("Mul", {"p", "half"}, {"y"});
		 }},
		{"another x outside",
		 [](ModelBuilder &b) {
			 b.node("Relu", {"x"}, {"r"});
			 b.node("Div", {"x", "sqrt2"}, {"z"});
			 b.node("Erf", {"z"}, {"e"});
			 b.node("Add", {"e", "one"}, {"s"});
			 b.node("Mul", {"r", "s"}, {"p"});
			 b.node("Mul", {"p", "half"}, {"y"});
		 }},
	};
	for (const auto &s : misses) {
		SECTION(s.first)
		{
			ModelBuilder b = gelu_model(s.second);
			std::vector<uint32_t> ops = kernel_ops(b);
			REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_GELU) == 0);
			REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_ERF) == 1);
		}
	}
	SECTION("erf's output is also a graph output")
	{
		ModelBuilder b = gelu_model([](ModelBuilder &m) {
			m.node("Div", {"x", "sqrt2"}, {"z"});
			m.node("Erf", {"z"}, {"e"});
			m.node("Add", {"e", "one"}, {"s"});
			m.node("Mul", {"x", "s"}, {"p"});
			m.node("Mul", {"p", "half"}, {"y"});
		});
		b.output("e", kGeluShape);
		std::vector<uint32_t> ops = kernel_ops(b);
		REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_GELU) == 0);
		REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_ERF) == 1);
	}
}

namespace {

const Shape kLnShape{2, 5, 24};
constexpr float kLnEps = 1e-5f;

// LayerNorm of x over its last axis, then * scale + bias, in double.
std::vector<double> layer_norm_ref(const std::vector<float> &x, const std::vector<float> &scale,
				   const std::vector<float> &bias, size_t n)
{
	std::vector<double> y(x.size());
	for (size_t r = 0; r < x.size() / n; r++) {
		double m = 0, v = 0;
		for (size_t i = 0; i < n; i++)
			m += x[r * n + i];
		m /= (double)n;
		for (size_t i = 0; i < n; i++)
			v += (x[r * n + i] - m) * (x[r * n + i] - m);
		double inv = 1.0 / std::sqrt(v / (double)n + kLnEps);
		for (size_t i = 0; i < n; i++)
			y[r * n + i] = (x[r * n + i] - m) * inv * (scale.empty() ? 1.0 : scale[i]) +
				       (bias.empty() ? 0.0 : bias[i]);
	}
	return y;
}

struct LnModel {
	ModelBuilder b;
	std::vector<float> scale, bias;
};

LnModel ln_model(const std::function<void(ModelBuilder &)> &build, bool affine = true)
{
	std::mt19937 rng(3);
	LnModel m;
	m.b.input("x", kLnShape).output("y", kLnShape);
	if (affine) {
		m.scale = normal(24, rng, 1.0f, 0.3f);
		m.bias = normal(24, rng, 0.0f, 0.3f);
		m.b.init("gamma", {24}, m.scale);
		m.b.init("beta", {24}, m.bias);
	}
	m.b.init("n", {}, {24.0f});
	m.b.init("inv_n", {}, {1.0f / 24.0f});
	m.b.init("eps", {}, {kLnEps});
	m.b.init("two", {}, {2.0f});
	m.b.init("one", {}, {1.0f});
	m.b.init_i64("axis2", {1}, {2});
	m.b.init_i64("stat_shape", {3}, {2, 5, 1});
	build(m.b);
	return m;
}

void check_ln_runs(const LnModel &m)
{
	std::mt19937 rng(9);
	std::vector<float> x = normal(2 * 5 * 24, rng, 3.0f, 2.0f);
	require_close(run_model(m.b, {F(kLnShape, x)})[0].floats(), layer_norm_ref(x, m.scale, m.bias, 24),
		      2e-6);
}

// The jax2onnx spelling (all-MiniLM-L6-v2 as Flax exports it): ReduceSum
// without keepdims, / n, Reshape back, the centring written twice.
void jax_ln(ModelBuilder &b, const char *count)
{
	onnx::NodeProto *r = &b.node("ReduceSum", {"x", "axis2"}, {"s"});
	ModelBuilder::attr_int(*r, "keepdims", 0);
	b.node("Div", {"s", count}, {"mean"});
	b.node("Reshape", {"mean", "stat_shape"}, {"mean_r"});
	b.node("Sub", {"x", "mean_r"}, {"d"});
	b.node("Mul", {"d", "d"}, {"d2"});
	r = &b.node("ReduceSum", {"d2", "axis2"}, {"s2"});
	ModelBuilder::attr_int(*r, "keepdims", 0);
	b.node("Div", {"s2", "n"}, {"var"});
	b.node("Reshape", {"mean", "stat_shape"}, {"mean_r2"});
	b.node("Reshape", {"var", "stat_shape"}, {"var_r"});
	b.node("Sub", {"x", "mean_r2"}, {"d_2"});
	b.node("Add", {"var_r", "eps"}, {"ve"});
	b.node("Sqrt", {"ve"}, {"sd"});
	b.node("Reciprocal", {"sd"}, {"inv"});
	b.node("Mul", {"inv", "gamma"}, {"f"});
	b.node("Mul", {"d_2", "f"}, {"nf"});
	b.node("Add", {"nf", "beta"}, {"y"});
}

// ReduceMean over one axis, keepdims (opset 17: axes an attribute).
void reduce_mean(ModelBuilder &b, const std::string &in, const std::string &out, int64_t axis)
{
	onnx::NodeProto &r = b.node("ReduceMean", {in}, {out});
	ModelBuilder::attr_ints(r, "axes", {axis});
}

// The torch spelling: ReduceMean keepdims, Pow 2, Div by the deviation.
void torch_ln(ModelBuilder &b, bool affine, const char *power = "two")
{
	reduce_mean(b, "x", "mean", -1);
	b.node("Sub", {"x", "mean"}, {"d"});
	b.node("Pow", {"d", power}, {"d2"});
	reduce_mean(b, "d2", "var", -1);
	b.node("Add", {"var", "eps"}, {"ve"});
	b.node("Sqrt", {"ve"}, {"sd"});
	b.node("Div", {"d", "sd"}, {affine ? "nrm" : "y"});
	if (affine) {
		b.node("Mul", {"nrm", "gamma"}, {"sc"});
		b.node("Add", {"sc", "beta"}, {"y"});
	}
}

} // namespace

TEST_CASE("LayerNormalization's spellings become one LAYER_NORM op", "[passes][nlp]")
{
	SECTION("jax2onnx: ReduceSum / n, Reshape, Reciprocal(Sqrt) * gamma")
	{
		LnModel m = ln_model([](ModelBuilder &b) { jax_ln(b, "n"); });
		REQUIRE(kernel_ops(m.b) == std::vector<uint32_t>{KINFER_OP_LAYER_NORM});
		check_ln_runs(m);
	}
	SECTION("ReduceSum * (1 / n)")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			onnx::NodeProto *r = &b.node("ReduceSum", {"x", "axis2"}, {"s"});
			ModelBuilder::attr_int(*r, "keepdims", 1);
			b.node("Mul", {"s", "inv_n"}, {"mean"});
			b.node("Sub", {"x", "mean"}, {"d"});
			b.node("Mul", {"d", "d"}, {"d2"});
			b.node("ReduceSum", {"d2", "axis2"}, {"s2"});
			b.node("Mul", {"inv_n", "s2"}, {"var"});
			b.node("Add", {"eps", "var"}, {"ve"});
			b.node("Sqrt", {"ve"}, {"sd"});
			b.node("Div", {"one", "sd"}, {"inv"});
			b.node("Mul", {"d", "inv"}, {"nrm"});
			b.node("Mul", {"gamma", "nrm"}, {"sc"});
			b.node("Add", {"beta", "sc"}, {"y"});
		});
		REQUIRE(kernel_ops(m.b) == std::vector<uint32_t>{KINFER_OP_LAYER_NORM});
		check_ln_runs(m);
	}
	SECTION("torch: ReduceMean (opset 17 axes attribute), Pow, Div")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			onnx::NodeProto *r = &b.node("ReduceMean", {"x"}, {"mean"});
			ModelBuilder::attr_ints(*r, "axes", {-1});
			b.node("Sub", {"x", "mean"}, {"d"});
			b.node("Pow", {"d", "two"}, {"d2"});
			r = &b.node("ReduceMean", {"d2"}, {"var"});
			ModelBuilder::attr_ints(*r, "axes", {2});
			b.node("Add", {"var", "eps"}, {"ve"});
			b.node("Sqrt", {"ve"}, {"sd"});
			b.node("Div", {"d", "sd"}, {"nrm"});
			b.node("Mul", {"nrm", "gamma"}, {"sc"});
			b.node("Add", {"sc", "beta"}, {"y"});
		});
		REQUIRE(kernel_ops(m.b) == std::vector<uint32_t>{KINFER_OP_LAYER_NORM});
		check_ln_runs(m);
	}
	SECTION("no scale, no bias")
	{
		LnModel m = ln_model(
			[](ModelBuilder &b) {
				onnx::NodeProto *r = &b.node("ReduceMean", {"x"}, {"mean"});
				ModelBuilder::attr_ints(*r, "axes", {2});
				b.node("Sub", {"x", "mean"}, {"d"});
				b.node("Mul", {"d", "d"}, {"d2"});
				r = &b.node("ReduceMean", {"d2"}, {"var"});
				ModelBuilder::attr_ints(*r, "axes", {2});
				b.node("Add", {"var", "eps"}, {"ve"});
				b.node("Sqrt", {"ve"}, {"sd"});
				b.node("Div", {"d", "sd"}, {"y"});
			},
			false);
		REQUIRE(kernel_ops(m.b) == std::vector<uint32_t>{KINFER_OP_LAYER_NORM});
		check_ln_runs(m);
	}
}

TEST_CASE("LayerNormalization's near misses are left as written", "[passes][nlp]")
{
	auto not_fused = [](const LnModel &m) {
		std::vector<uint32_t> ops = kernel_ops(m.b);
		REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_LAYER_NORM) == 0);
		REQUIRE(std::count(ops.begin(), ops.end(), KINFER_OP_SQRT) == 1);
	};
	SECTION("divided by 23, not 24")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			b.init("n23", {}, {23.0f});
			jax_ln(b, "n23");
		});
		not_fused(m);
	}
	SECTION("the variance over another axis")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			reduce_mean(b, "x", "mean", -1);
			b.node("Sub", {"x", "mean"}, {"d"});
			b.node("Mul", {"d", "d"}, {"d2"});
			reduce_mean(b, "d2", "var", 1);
			b.node("Add", {"var", "eps"}, {"ve"});
			b.node("Sqrt", {"ve"}, {"sd"});
			b.node("Div", {"d", "sd"}, {"y"});
		});
		not_fused(m);
	}
	SECTION("the mean over a leading axis")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			onnx::NodeProto *r = &b.node("ReduceMean", {"x"}, {"mean"});
			ModelBuilder::attr_ints(*r, "axes", {1});
			b.node("Sub", {"x", "mean"}, {"d"});
			b.node("Mul", {"d", "d"}, {"d2"});
			r = &b.node("ReduceMean", {"d2"}, {"var"});
			ModelBuilder::attr_ints(*r, "axes", {1});
			b.node("Add", {"var", "eps"}, {"ve"});
			b.node("Sqrt", {"ve"}, {"sd"});
			b.node("Div", {"d", "sd"}, {"nrm"});
			b.node("Mul", {"nrm", "gamma"}, {"sc"});
			b.node("Add", {"sc", "beta"}, {"y"});
		});
		not_fused(m);
	}
	SECTION("the centred x is also a graph output")
	{
		LnModel m = ln_model([](ModelBuilder &b) { torch_ln(b, true); });
		m.b.output("d", kLnShape);
		not_fused(m);
	}
	SECTION("Pow 3")
	{
		LnModel m = ln_model([](ModelBuilder &b) {
			b.init("three", {}, {3.0f});
			torch_ln(b, true, "three");
		});
		not_fused(m);
	}
}
