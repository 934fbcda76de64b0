// SPDX-License-Identifier: GPL-2.0
//
// The elementwise, comparison, logic, Where and Cast ops (ids 13..49):
// their scalar math against libm in ulps, edge cases (NaN, Inf, -0,
// saturation) against values from the C++ standard library or worked out
// by hand, whole ONNX nodes through the userspace executor, the kernel
// prepare steps' refusals on hand-built nodes, and the loader's errors.

#include <catch2/catch.hpp>

#include "error.h"
#include "kinfer_math.h"
#include "onnx_builders.h"
#include "ops.h"

extern "C" {
#include "ops/exec.h"
}

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kMax = std::numeric_limits<float>::max();
constexpr float kDenormMin = std::numeric_limits<float>::denorm_min();

int64_t ulps(float a, float b)
{
	auto ordered = [](float f) {
		int32_t i;
		std::memcpy(&i, &f, sizeof(i));
		return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
	};
	if (std::isnan(a) || std::isnan(b))
		return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
	int64_t d = ordered(a) - ordered(b);
	return d < 0 ? -d : d;
}

// Bit-identical, or both NaN.
bool same(float a, float b)
{
	return std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof(a)) == 0;
}

// Dense grid plus random points in [lo, hi], and exponentially spaced
// magnitudes (both signs) between 1e-38 and hi when `wide`.
std::vector<float> points(float lo, float hi, size_t n, bool wide = false)
{
	std::vector<float> xs;
	std::mt19937 rng(7);
	std::uniform_real_distribution<float> u(lo, hi);
	for (size_t i = 0; i < n; i++) {
		xs.push_back(lo + (hi - lo) * (float)i / (float)(n - 1));
		xs.push_back(u(rng));
	}
	if (wide)
		for (double e = -38; e < std::log10((double)hi); e += 0.01) {
			xs.push_back((float)std::pow(10.0, e));
			xs.push_back((float)-std::pow(10.0, e));
		}
	return xs;
}

template <typename F, typename R>
int64_t worst_ulps(const std::vector<float> &xs, F f, R ref, float &at)
{
	int64_t worst = 0;
	for (float x : xs) {
		int64_t d = ulps(f(x), (float)ref((double)x));
		if (d > worst) {
			worst = d;
			at = x;
		}
	}
	return worst;
}

// A unary primitive applied to one value.
template <typename F> float one(F prim, float x)
{
	float y;
	prim(&y, &x, 1);
	return y;
}

double gelu_ref(double x)
{
	return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}

double softplus_ref(double x)
{
	return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

} // namespace

TEST_CASE("log, erf, gelu, softplus, mish against libm in ulps", "[elt]")
{
	float at = 0;
	std::vector<float> pos = points(1e-6f, 100.0f, 20000, true);
	std::vector<float> logs;
	for (float x : pos)
		if (x > 0)
			logs.push_back(x);
	logs.push_back(kDenormMin);
	logs.push_back(kMax);
	logs.push_back(1.0f);
	logs.push_back(std::nextafter(1.0f, 2.0f));
	logs.push_back(std::nextafter(1.0f, 0.0f));
	INFO("log worst at " << at);
	CHECK(worst_ulps(logs, kinfer_logf, [](double x) { return std::log(x); }, at) <= 1);

	std::vector<float> xs = points(-12.0f, 12.0f, 20000, true);
	// erf and gelu are float vector kernels (vmath.h): 2 and 6 ulp.
	CHECK(worst_ulps(xs, kinfer_erff, [](double x) { return std::erf(x); }, at) <= 2);
	INFO("gelu worst at " << at);
	CHECK(worst_ulps(points(-20.0f, 20.0f, 20000, true), kinfer_geluf, gelu_ref, at) <= 6);
	CHECK(worst_ulps(points(-120.0f, 120.0f, 20000, true), kinfer_softplusf, softplus_ref, at) <= 1);
	auto mish_ref = [](double x) { return x * std::tanh(softplus_ref(x)); };
	CHECK(worst_ulps(points(-100.0f, 100.0f, 20000, true), kinfer_mishf, mish_ref, at) <= 1);
	auto gelu_tanh_ref = [](double x) {
		return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
	};
	// 1 + tanh cancels in the reference below -5; compare where it does not.
	CHECK(worst_ulps(points(-5.0f, 20.0f, 20000), kinfer_gelu_tanhf, gelu_tanh_ref, at) <= 1);
}

TEST_CASE("special values of the transcendental ops", "[elt]")
{
	CHECK(kinfer_logf(0.0f) == -kInf);
	CHECK(kinfer_logf(-0.0f) == -kInf);
	CHECK(std::isnan(kinfer_logf(-1.0f)));
	CHECK(std::isnan(kinfer_logf(kNaN)));
	CHECK(kinfer_logf(kInf) == kInf);
	CHECK(same(kinfer_erff(-0.0f), -0.0f));
	CHECK(kinfer_erff(kInf) == 1.0f);
	CHECK(kinfer_erff(-kInf) == -1.0f);
	CHECK(std::isnan(kinfer_erff(kNaN)));
	CHECK(kinfer_geluf(kInf) == kInf);
	CHECK(kinfer_geluf(-kInf) == 0.0f);
	CHECK(std::isnan(kinfer_geluf(kNaN)));
	// gelu(-10) = -5 * erfc(7.07...) = -7.6e-23: kept, not flushed to 0.
	CHECK(ulps(kinfer_geluf(-10.0f), (float)gelu_ref(-10.0)) <= 6);
	CHECK(kinfer_gelu_tanhf(-kInf) == 0.0f);
	CHECK(kinfer_softplusf(kInf) == kInf);
	CHECK(kinfer_softplusf(-kInf) == 0.0f);
	CHECK(kinfer_softplusf(1000.0f) == 1000.0f);
	CHECK(kinfer_softplusf(-100.0f) == (float)std::exp(-100.0));
	CHECK(kinfer_mishf(kInf) == kInf);
	CHECK(kinfer_mishf(-kInf) == 0.0f);
	CHECK(std::isnan(kinfer_mishf(kNaN)));
}

TEST_CASE("pow against C99 pow on special and ordinary values", "[elt]")
{
	const float v[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f, 2.5f,
			   -2.5f, 1e20f, -1e20f, 16777216.0f, 16777217.0f * 2, kInf, -kInf, kNaN,
			   1e-30f, 7.0f, -7.0f};
	for (float x : v)
		for (float y : v) {
			float want = (float)std::pow((double)x, (double)y);
			INFO("pow(" << x << ", " << y << ") = " << kinfer_powf(x, y) << ", want " << want);
			CHECK(same(kinfer_powf(x, y), want));
		}
	std::mt19937 rng(3);
	std::uniform_real_distribution<float> base(0.0f, 50.0f), ex(-25.0f, 25.0f);
	int64_t worst = 0;
	for (int i = 0; i < 200000; i++) {
		float x = base(rng), y = ex(rng);
		worst = std::max(worst, ulps(kinfer_powf(x, y), (float)std::pow((double)x, (double)y)));
		float k = std::round(y);	// negative bases take integer exponents
		worst = std::max(worst, ulps(kinfer_powf(-x, k), (float)std::pow(-(double)x, (double)k)));
	}
	CHECK(worst <= 1);
	// Exact where the result is a float.
	CHECK(kinfer_powf(2.0f, 10.0f) == 1024.0f);
	CHECK(kinfer_powf(3.0f, 4.0f) == 81.0f);
	CHECK(kinfer_powf(-2.0f, 3.0f) == -8.0f);
	CHECK(kinfer_powf(10.0f, -2.0f) == 0.01f);
}

TEST_CASE("rounding ops are exact and keep the sign of zero", "[elt]")
{
	std::vector<float> xs = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f,
				 -0.49999997f, 0.3f, -0.3f, 1.0f, -1.0f, 8388607.5f, -8388607.5f,
				 8388608.0f, 16777215.0f, 1e30f, -1e30f, kInf, -kInf, kNaN, kDenormMin,
				 -kDenormMin};
	for (float x : points(-100.0f, 100.0f, 5000))
		xs.push_back(x);
	for (float x : xs) {
		INFO("x = " << x);
		CHECK(same(one(kinfer_math_floor, x), std::floor(x)));
		CHECK(same(one(kinfer_math_ceil, x), std::ceil(x)));
		CHECK(same(one(kinfer_math_round, x), std::nearbyint(x)));	// ties to even
		CHECK(same(one(kinfer_math_sqrt, x), std::sqrt(x)));
		CHECK(same(one(kinfer_math_abs, x), std::fabs(x)));
	}
	CHECK(one(kinfer_math_round, 2.5f) == 2.0f);
	CHECK(one(kinfer_math_round, -3.5f) == -4.0f);
	CHECK(same(one(kinfer_math_sign, -0.0f), -0.0f));
	CHECK(one(kinfer_math_sign, -3.0f) == -1.0f);
	CHECK(one(kinfer_math_sign, kInf) == 1.0f);
	CHECK(std::isnan(one(kinfer_math_sign, kNaN)));
}

TEST_CASE("activations with parameters against double formulas", "[elt]")
{
	std::vector<float> xs = points(-30.0f, 30.0f, 4000, true);
	xs.push_back(-1e-7f);	// expm1 must not cancel near 0
	xs.push_back(-3e-5f);
	for (float x : xs) {
		INFO("x = " << x);
		double d = x;
		float y;
		kinfer_math_elu(&y, &x, 1, 0.7f);
		CHECK(ulps(y, (float)(x > 0 ? d : 0.7f * std::expm1(d))) <= 1);
		kinfer_math_selu(&y, &x, 1, 1.6732632f, 1.0507010f);
		CHECK(ulps(y, (float)(1.0507010f * (x > 0 ? d : 1.6732632f * std::expm1(d)))) <= 1);
		kinfer_math_celu(&y, &x, 1, 2.0f);
		CHECK(ulps(y, (float)(x > 0 ? d : 2.0 * std::expm1(d / 2.0))) <= 1);
		kinfer_math_leaky_relu(&y, &x, 1, 0.1f);
		CHECK(y == (x < 0 ? 0.1f * x : x));
		kinfer_math_hard_sigmoid(&y, &x, 1, 0.2f, 0.5f);
		CHECK(y == std::fmax(0.0f, std::fmin(1.0f, 0.2f * x + 0.5f)));
		kinfer_math_hard_swish(&y, &x, 1);
		CHECK(std::fabs(y - d * std::fmax(0.0, std::fmin(1.0, d / 6 + 0.5))) <=
		      1e-6 * std::fabs(d) + 1e-30);
		kinfer_math_softsign(&y, &x, 1);
		CHECK(ulps(y, (float)(d / (1 + std::fabs(d)))) <= 1);
		kinfer_math_thresholded_relu(&y, &x, 1, 1.5f);
		CHECK(y == (x > 1.5f ? x : 0.0f));
	}
	float y, x = kInf;
	kinfer_math_softsign(&y, &x, 1);
	CHECK(y == 1.0f);
	x = -kInf;
	kinfer_math_softsign(&y, &x, 1);
	CHECK(y == -1.0f);
	kinfer_math_elu(&y, &x, 1, 2.0f);
	CHECK(y == -2.0f);
	x = kNaN;
	for (auto f : {kinfer_math_hard_swish, kinfer_math_softsign, kinfer_math_sign}) {
		f(&y, &x, 1);
		CHECK(std::isnan(y));
	}
	kinfer_math_thresholded_relu(&y, &x, 1, 1.0f);
	CHECK(std::isnan(y));
	// Clip: lo > hi gives hi everywhere (ONNX); NaN passes.
	float in[3] = {-5.0f, 0.5f, kNaN}, out[3];
	kinfer_math_clip(out, in, 3, 2.0f, 1.0f);
	CHECK(out[0] == 1.0f);
	CHECK(out[1] == 1.0f);
	CHECK(std::isnan(out[2]));
}

TEST_CASE("cast: saturating float to int, NaN to 0, wrapping int to int", "[elt]")
{
	const float f[] = {1.9f, -1.9f, 3e9f, -3e9f, 2147483520.0f, kInf, -kInf, kNaN, -0.0f, 1e19f,
			   -1e19f};
	int32_t i32[11];
	int64_t i64[11];
	uint8_t b[11];
	kinfer_math_cast(i32, KINFER_DTYPE_INT32, f, KINFER_DTYPE_FLOAT32, 11);
	kinfer_math_cast(i64, KINFER_DTYPE_INT64, f, KINFER_DTYPE_FLOAT32, 11);
	kinfer_math_cast(b, KINFER_DTYPE_BOOL, f, KINFER_DTYPE_FLOAT32, 11);
	CHECK(std::vector<int32_t>(i32, i32 + 11) ==
	      std::vector<int32_t>{1, -1, INT32_MAX, INT32_MIN, 2147483520, INT32_MAX, INT32_MIN, 0,
				   0, INT32_MAX, INT32_MIN});
	CHECK(std::vector<int64_t>(i64, i64 + 11) ==
	      std::vector<int64_t>{1, -1, 3000000000LL, -3000000000LL, 2147483520LL, INT64_MAX,
				   INT64_MIN, 0, 0, INT64_MAX, INT64_MIN});
	CHECK(std::vector<uint8_t>(b, b + 11) == std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1});

	const int64_t l[] = {INT64_MIN, -1, 0x100000005LL, (1LL << 24) + 1, 0};
	float lf[5];
	kinfer_math_cast(i32, KINFER_DTYPE_INT32, l, KINFER_DTYPE_INT64, 5);
	kinfer_math_cast(lf, KINFER_DTYPE_FLOAT32, l, KINFER_DTYPE_INT64, 5);
	CHECK(std::vector<int32_t>(i32, i32 + 5) == std::vector<int32_t>{0, -1, 5, (1 << 24) + 1, 0});
	CHECK(lf[0] == -9223372036854775808.0f);
	CHECK(lf[3] == 16777216.0f);	// rounds to even
	const uint8_t bb[] = {0, 1, 2};
	float bf[3];
	kinfer_math_cast(bf, KINFER_DTYPE_FLOAT32, bb, KINFER_DTYPE_BOOL, 3);
	CHECK(std::vector<float>(bf, bf + 3) == std::vector<float>{0, 1, 1});
	// In place when the sizes match.
	float inplace[2] = {-2.5f, 7.0f};
	kinfer_math_cast(inplace, KINFER_DTYPE_INT32, inplace, KINFER_DTYPE_FLOAT32, 2);
	int32_t got[2];
	std::memcpy(got, inplace, sizeof(got));
	CHECK(got[0] == -2);
	CHECK(got[1] == 7);
}

// ---- whole nodes through the executor ----

namespace {

void set_out_type(ModelBuilder &b, int i, int32_t t)
{
	b.model().mutable_graph()->mutable_output(i)->mutable_type()->mutable_tensor_type()->set_elem_type(t);
}

HostTensor I32(const Shape &s, const std::vector<int64_t> &v)
{
	return HostTensor::from_ints(DType::i32, s, v);
}

HostTensor I64(const Shape &s, const std::vector<int64_t> &v)
{
	return HostTensor::from_ints(DType::i64, s, v);
}

HostTensor B(const Shape &s, const std::vector<int64_t> &v)
{
	return HostTensor::from_ints(DType::boolean, s, v);
}

// One node `op` on inputs of the given ONNX types and shapes; output of
// type `out_type` and shape `out_shape`.
struct OneNode {
	ModelBuilder b;
	onnx::NodeProto *n = nullptr;
	OneNode(const std::string &op, std::vector<std::pair<Shape, int32_t>> ins, const Shape &out_shape,
		int32_t out_type, int64_t opset = 17)
		: b(opset)
	{
		std::vector<std::string> names;
		for (size_t i = 0; i < ins.size(); i++) {
			names.push_back("i" + std::to_string(i));
			b.input(names.back(), ins[i].first, ins[i].second);
		}
		b.output("y", out_shape);
		set_out_type(b, 0, out_type);
		n = &b.node(op, {}, {"y"}, "node");
		for (const std::string &s : names)
			n->add_input(s);
	}
	HostTensor run(const std::vector<HostTensor> &in) { return run_model(b, in).at(0); }
};

constexpr int32_t kF = onnx::TensorProto::FLOAT;
constexpr int32_t kI32 = onnx::TensorProto::INT32;
constexpr int32_t kI64 = onnx::TensorProto::INT64;
constexpr int32_t kB = onnx::TensorProto::BOOL;

} // namespace

TEST_CASE("Div truncates integers toward zero; a zero divisor fails the run", "[elt]")
{
	OneNode d("Div", {{{5}, kI32}, {{5}, kI32}}, {5}, kI32);
	HostTensor y = d.run({I32({5}, {7, -7, 7, -7, INT32_MIN}), I32({5}, {2, 2, -2, -2, -1})});
	CHECK(y.ints() == std::vector<int64_t>{3, -3, -3, 3, INT32_MIN});
	REQUIRE_THROWS_WITH(d.run({I32({5}, {1, 1, 1, 1, 1}), I32({5}, {1, 0, 1, 1, 1})}),
			    Contains("EDOM"));
	OneNode f("Div", {{{3}, kF}, {{1}, kF}}, {3}, kF);
	std::vector<float> v = f.run({F({3}, {1, -1, 0}), F({1}, {0})}).floats();
	CHECK(v[0] == kInf);
	CHECK(v[1] == -kInf);
	CHECK(std::isnan(v[2]));
}

TEST_CASE("Pow: integers by squaring, mixed operand types cast", "[elt]")
{
	OneNode p("Pow", {{{5}, kI64}, {{5}, kI64}}, {5}, kI64);
	CHECK(p.run({I64({5}, {2, -3, 2, -1, 3}), I64({5}, {10, 3, -1, -3, 40})}).ints() ==
	      std::vector<int64_t>{1024, -27, 0, -1, (int64_t)12157665459056928801ULL});
	REQUIRE_THROWS_WITH(p.run({I64({5}, {1, 1, 0, 1, 1}), I64({5}, {1, 1, -1, 1, 1})}), Contains("EDOM"));
	OneNode fi("Pow", {{{3}, kF}, {{3}, kI32}}, {3}, kF);
	CHECK(fi.run({F({3}, {-2, 0.5f, 3}), I32({3}, {3, -2, 0})}).floats() ==
	      std::vector<float>{-8, 4, 1});
	OneNode iff("Pow", {{{3}, kI32}, {{3}, kF}}, {3}, kI32);
	// 9^0.5 = 3; 2^-1 = 0.5 truncates to 0; 10^10 saturates.
	CHECK(iff.run({I32({3}, {9, 2, 10}), F({3}, {0.5f, -1, 10})}).ints() ==
	      std::vector<int64_t>{3, 0, INT32_MAX});
}

TEST_CASE("variadic Max, Min, Sum, Mean broadcast and propagate NaN", "[elt]")
{
	OneNode mx("Max", {{{2, 1}, kF}, {{3}, kF}, {{1}, kF}}, {2, 3}, kF);
	CHECK(mx.run({F({2, 1}, {0, 10}), F({3}, {-1, 5, 20}), F({1}, {4})}).floats() ==
	      std::vector<float>{4, 5, 20, 10, 10, 20});
	OneNode mn("Min", {{{2}, kF}, {{2}, kF}}, {2}, kF);
	std::vector<float> v = mn.run({F({2}, {kNaN, 1}), F({2}, {0, kNaN})}).floats();
	CHECK(std::isnan(v[0]));
	CHECK(std::isnan(v[1]));
	OneNode mi("Min", {{{3}, kI64}, {{3}, kI64}}, {3}, kI64);
	CHECK(mi.run({I64({3}, {INT64_MIN, 5, -1}), I64({3}, {0, 4, -2})}).ints() ==
	      std::vector<int64_t>{INT64_MIN, 4, -2});
	OneNode me("Mean", {{{2}, kF}, {{2}, kF}, {{2}, kF}}, {2}, kF);
	CHECK(me.run({F({2}, {1, 2}), F({2}, {2, 4}), F({2}, {3, 3})}).floats() ==
	      std::vector<float>{2, 3});
	OneNode s("Sum", {{{2}, kF}}, {2}, kF);
	CHECK(s.run({F({2}, {1.5f, -2})}).floats() == std::vector<float>{1.5f, -2});
}

TEST_CASE("comparisons, Greater as swapped Less, NaN compares false", "[elt]")
{
	struct {
		const char *op;
		std::vector<int64_t> want;
	} cases[] = {
		{"Equal", {0, 1, 0, 0}},	   {"Less", {1, 0, 0, 0}},
		{"LessOrEqual", {1, 1, 0, 0}},	   {"Greater", {0, 0, 1, 0}},
		{"GreaterOrEqual", {0, 1, 1, 0}},
	};
	for (auto &c : cases) {
		INFO(c.op);
		OneNode n(c.op, {{{4}, kF}, {{4}, kF}}, {4}, kB);
		HostTensor y = n.run({F({4}, {1, 2, 3, kNaN}), F({4}, {2, 2, 2, kNaN})});
		CHECK(y.dtype == DType::boolean);
		CHECK(y.ints() == c.want);
	}
	OneNode g("Greater", {{{2, 1}, kI64}, {{3}, kI64}}, {2, 3}, kB);
	CHECK(g.run({I64({2, 1}, {1, 5}), I64({3}, {0, 1, 6})}).ints() ==
	      std::vector<int64_t>{1, 0, 0, 1, 1, 0});
	OneNode e("Equal", {{{3}, kB}, {{1}, kB}}, {3}, kB);
	CHECK(e.run({B({3}, {1, 0, 1}), B({1}, {1})}).ints() == std::vector<int64_t>{1, 0, 1});
}

TEST_CASE("Not, And, Or, Xor with broadcasting", "[elt]")
{
	OneNode n("Not", {{{3}, kB}}, {3}, kB);
	CHECK(n.run({B({3}, {1, 0, 1})}).ints() == std::vector<int64_t>{0, 1, 0});
	const std::vector<std::pair<const char *, std::vector<int64_t>>> ops = {
		{"And", {0, 0, 0, 1}}, {"Or", {0, 1, 1, 1}}, {"Xor", {0, 1, 1, 0}}};
	for (const auto &o : ops) {
		INFO(o.first);
		OneNode l(o.first, {{{2, 1}, kB}, {{2}, kB}}, {2, 2}, kB);
		CHECK(l.run({B({2, 1}, {0, 1}), B({2}, {0, 1})}).ints() == o.second);
	}
}

TEST_CASE("Where broadcasts condition, x and y three ways", "[elt]")
{
	OneNode w("Where", {{{2, 1}, kB}, {{3}, kI64}, {{2, 3}, kI64}}, {2, 3}, kI64);
	CHECK(w.run({B({2, 1}, {1, 0}), I64({3}, {1, 2, 3}), I64({2, 3}, {-1, -2, -3, -4, -5, -6})})
		      .ints() == std::vector<int64_t>{1, 2, 3, -4, -5, -6});
	OneNode f("Where", {{{3}, kB}, {{1}, kF}, {{1}, kF}}, {3}, kF);
	CHECK(f.run({B({3}, {0, 1, 0}), F({1}, {7}), F({1}, {-0.5f})}).floats() ==
	      std::vector<float>{-0.5f, 7, -0.5f});
	OneNode b("Where", {{{3}, kB}, {{3}, kB}, {{}, kB}}, {3}, kB);
	CHECK(b.run({B({3}, {0, 1, 1}), B({3}, {1, 0, 1}), B({}, {1})}).ints() ==
	      std::vector<int64_t>{1, 0, 1});
}

TEST_CASE("Clip: attributes, constant and runtime bounds, integers", "[elt]")
{
	OneNode a("Clip", {{{4}, kF}}, {4}, kF, 10);
	ModelBuilder::attr_float(*a.n, "min", -1);
	ModelBuilder::attr_float(*a.n, "max", 1);
	CHECK(a.run({F({4}, {-3, 0.5f, 3, -0.0f})}).floats() == std::vector<float>{-1, 0.5f, 1, 0});

	ModelBuilder c(13);	// constant bounds: one CLIP op
	c.input("x", {3}).output("y", {3});
	c.init("lo", {}, {0});
	c.init("hi", {}, {6});
	c.node("Clip", {"x", "lo", "hi"}, {"y"});
	Compiled cc = c.compiled();
	REQUIRE(cc.lowered.ops.size() == 3);
	CHECK(op_name(cc.lowered.ops[1].op) == "CLIP");
	CHECK(run_model(c, {F({3}, {-1, 3, 9})})[0].floats() == std::vector<float>{0, 3, 6});

	OneNode r("Clip", {{{3}, kI32}, {{}, kI32}, {{}, kI32}}, {3}, kI32, 13);
	CHECK(r.run({I32({3}, {-10, 5, 10}), I32({}, {0}), I32({}, {6})}).ints() ==
	      std::vector<int64_t>{0, 5, 6});
	OneNode m("Clip", {{{3}, kF}, {{}, kF}}, {3}, kF, 13);	// only a runtime min
	CHECK(m.run({F({3}, {-10, 5, 10}), F({}, {4})}).floats() == std::vector<float>{4, 5, 10});
}

TEST_CASE("Neg, Reciprocal, PRelu, Gelu and Cast as nodes", "[elt]")
{
	OneNode ng("Neg", {{{3}, kI64}}, {3}, kI64);
	CHECK(ng.run({I64({3}, {INT64_MIN, 0, 5})}).ints() == std::vector<int64_t>{INT64_MIN, 0, -5});
	OneNode nf("Neg", {{{2}, kF}}, {2}, kF);
	std::vector<float> v = nf.run({F({2}, {0, -2})}).floats();
	CHECK(same(v[0], -0.0f));
	CHECK(v[1] == 2);
	OneNode rc("Reciprocal", {{{3}, kF}}, {3}, kF);
	CHECK(rc.run({F({3}, {4, -0.5f, 0})}).floats() == std::vector<float>{0.25f, -2, kInf});
	OneNode p("PRelu", {{{2, 3}, kF}, {{2, 1}, kF}}, {2, 3}, kF);
	CHECK(p.run({F({2, 3}, {-1, 0, 1, -2, -4, 2}), F({2, 1}, {0.5f, 0.25f})}).floats() ==
	      std::vector<float>{-0.5f, 0, 1, -0.5f, -1, 2});
	OneNode g("Gelu", {{{2}, kF}}, {2}, kF, 20);
	ModelBuilder::attr_string(*g.n, "approximate", "tanh");
	v = g.run({F({2}, {1, -1})}).floats();
	// 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411920...
	CHECK(v[0] == Approx(0.841192).epsilon(1e-6));
	CHECK(v[1] == Approx(-0.158808).epsilon(1e-5));
	OneNode ct("Cast", {{{3}, kF}}, {3}, kI64);
	ModelBuilder::attr_int(*ct.n, "to", kI64);
	CHECK(ct.run({F({3}, {-2.7f, kNaN, 1e30f})}).ints() == std::vector<int64_t>{-2, 0, INT64_MAX});
	OneNode cl("CastLike", {{{2}, kB}, {{1}, kI32}}, {2}, kI32);
	CHECK(cl.run({B({2}, {1, 0}), I32({1}, {9})}).ints() == std::vector<int64_t>{1, 0});
}

TEST_CASE("loader errors name the node and the cause", "[elt]")
{
	OneNode g("Gelu", {{{2}, kF}}, {2}, kF, 20);
	ModelBuilder::attr_string(*g.n, "approximate", "fast");
	REQUIRE_THROWS_WITH(g.b.compiled(), Contains("'node' (Gelu)") && Contains("approximate=fast"));
	OneNode p("PRelu", {{{2, 3}, kF}, {{3, 1}, kF}}, {2, 3}, kF);
	REQUIRE_THROWS_WITH(p.b.compiled(), Contains("(PRelu)") && Contains("does not broadcast onto x"));
	OneNode c("Cast", {{{2}, kF}}, {2}, kF);
	ModelBuilder::attr_int(*c.n, "to", onnx::TensorProto::FLOAT16);
	REQUIRE_THROWS_WITH(c.b.compiled(), Contains("(Cast)") && Contains("data type FLOAT16"));
	OneNode w("Where", {{{2}, kF}, {{2}, kF}, {{2}, kF}}, {2}, kF);
	REQUIRE_THROWS_WITH(w.b.compiled(), Contains("(Where)") && Contains("Where takes bool"));
	OneNode x("Xor", {{{2}, kB}, {{3}, kB}}, {2}, kB);
	REQUIRE_THROWS_WITH(x.b.compiled(), Contains("(Xor)") && Contains("do not broadcast"));
	OneNode s("Sub", {{{2}, kF}, {{2}, kI32}}, {2}, kF);
	REQUIRE_THROWS_WITH(s.b.compiled(), Contains("(Sub)") && Contains("is int32"));
	OneNode cm("Clip", {{{2}, kF}, {{2}, kF}}, {2}, kF, 13);
	REQUIRE_THROWS_WITH(cm.b.compiled(), Contains("(Clip)") && Contains("must be a scalar"));
	OneNode ca("Clip", {{{2}, kF}}, {2}, kF, 13);
	ModelBuilder::attr_float(*ca.n, "min", 0);
	REQUIRE_THROWS_WITH(ca.b.compiled(), Contains("(Clip)") && Contains("from opset 11"));
	OneNode lg("Less", {{{2}, kB}, {{2}, kB}}, {2}, kB);
	REQUIRE_THROWS_WITH(lg.b.compiled(), Contains("(Less)") && Contains("is bool"));
}

// ---- kernel prepare steps on hand-built nodes ----

namespace {

struct TSpec {
	uint8_t dtype;
	std::vector<uint32_t> dims;
};

// Node bytes for op with the given tensors (inputs then outputs) packed in
// the arena one after another, 64-byte aligned.
struct HandNode {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint8_t> arena = std::vector<uint8_t>(4096);
	kinfer_buffers bufs{};

	HandNode(uint16_t op, std::vector<TSpec> in, std::vector<TSpec> out)
	{
		kinfer_node n{};
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.size = (uint16_t)(sizeof(n) + sizeof(kinfer_tensor) * (in.size() + out.size()));
		std::memcpy(bytes, &n, sizeof(n));
		uint32_t off = 0;
		size_t k = 0;
		for (const auto *list : {&in, &out})
			for (const TSpec &s : *list) {
				kinfer_tensor t{};
				t.dtype = s.dtype;
				t.rank = (uint8_t)s.dims.size();
				t.off = off;
				for (size_t i = 0; i < s.dims.size(); i++)
					t.dims[i] = s.dims[i];
				std::memcpy(bytes + sizeof(n) + k++ * sizeof(t), &t, sizeof(t));
				off += 256;
			}
		bufs.arena.data = arena.data();
		bufs.arena.size = (uint32_t)arena.size();
	}
	int prepare(kinfer_exec &ex) { return kinfer_node_prepare(&ex, reinterpret_cast<kinfer_node *>(bytes), &bufs); }
	int prepare()
	{
		kinfer_exec ex;
		return prepare(ex);
	}
};

constexpr uint8_t f32 = KINFER_DTYPE_FLOAT32, i32 = KINFER_DTYPE_INT32, i64 = KINFER_DTYPE_INT64,
		  bl = KINFER_DTYPE_BOOL;

} // namespace

TEST_CASE("kernel prepare: compare, logic, where, cast refuse bad nodes", "[elt]")
{
	// Accepted shapes first, so the refusals below are about one thing.
	CHECK(HandNode(KINFER_OP_LESS, {{f32, {2, 1}}, {f32, {3}}}, {{bl, {2, 3}}}).prepare() == 0);
	CHECK(HandNode(KINFER_OP_LESS, {{f32, {2}}, {i32, {2}}}, {{bl, {2}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_EQUAL, {{i64, {2}}, {i64, {2}}}, {{i64, {2}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_EQUAL, {{i64, {2}}, {i64, {3}}}, {{bl, {3}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_LESS, {{f32, {2}}, {f32, {2}}}, {{bl, {2, 2}}}).prepare() == -EINVAL);

	CHECK(HandNode(KINFER_OP_NOT, {{bl, {4}}}, {{bl, {4}}}).prepare() == 0);
	CHECK(HandNode(KINFER_OP_NOT, {{bl, {4}}, {bl, {4}}}, {{bl, {4}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_NOT, {{bl, {4}}}, {{bl, {2, 2}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_AND, {{bl, {4}}, {f32, {4}}}, {{bl, {4}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_XOR, {{bl, {4}}}, {{bl, {4}}}).prepare() == -EINVAL);

	CHECK(HandNode(KINFER_OP_WHERE, {{bl, {2, 1}}, {i64, {3}}, {i64, {1}}}, {{i64, {2, 3}}}).prepare() ==
	      0);
	CHECK(HandNode(KINFER_OP_WHERE, {{i32, {3}}, {i64, {3}}, {i64, {3}}}, {{i64, {3}}}).prepare() ==
	      -EINVAL);
	CHECK(HandNode(KINFER_OP_WHERE, {{bl, {3}}, {i64, {3}}, {i32, {3}}}, {{i64, {3}}}).prepare() ==
	      -EINVAL);
	CHECK(HandNode(KINFER_OP_WHERE, {{bl, {2}}, {f32, {3}}, {f32, {3}}}, {{f32, {3}}}).prepare() ==
	      -EINVAL);

	CHECK(HandNode(KINFER_OP_CAST, {{f32, {3}}}, {{i64, {3}}}).prepare() == 0);
	CHECK(HandNode(KINFER_OP_CAST, {{f32, {3}}}, {{i64, {1, 3}}}).prepare() == -EINVAL);

	// Unary and binary classes take the new ops with their dtype rules.
	CHECK(HandNode(KINFER_OP_ERF, {{i32, {3}}}, {{i32, {3}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_POW, {{f32, {3}}, {i32, {3}}}, {{f32, {3}}}).prepare() == -EINVAL);
	CHECK(HandNode(KINFER_OP_DIV, {{bl, {3}}, {bl, {3}}}, {{bl, {3}}}).prepare() == -EINVAL);
}

TEST_CASE("kernel evals: any split of the unit range gives the same bytes", "[elt]")
{
	HandNode w(KINFER_OP_WHERE, {{bl, {3, 1}}, {f32, {4}}, {f32, {3, 4}}}, {{f32, {3, 4}}});
	HandNode l(KINFER_OP_LESS_OR_EQUAL, {{i64, {3, 1}}, {i64, {4}}}, {{bl, {3, 4}}});
	std::mt19937 rng(1);
	for (HandNode *h : {&w, &l}) {
		for (size_t i = 0; i < 768; i++)
			h->arena[i] = (uint8_t)(rng() & 1 ? rng() : 0);
		for (size_t i = 0; i < 3; i++)	// valid bools for the condition
			h->arena[i] &= 1;
		kinfer_exec ex;
		REQUIRE(h->prepare(ex) == 0);
		REQUIRE(ex.units == 12);
		const kinfer_view &y = ex.t[ex.n_in];
		REQUIRE(ex.desc->eval(&ex, 0, ex.units) == 0);
		std::vector<uint8_t> whole(y.data, y.data + y.bytes);
		std::memset(y.data, 0xaa, y.bytes);
		for (uint64_t b = 0; b < ex.units; b += 5)
			REQUIRE(ex.desc->eval(&ex, b, std::min<uint64_t>(b + 5, ex.units)) == 0);
		CHECK(std::vector<uint8_t>(y.data, y.data + y.bytes) == whole);
	}
}
