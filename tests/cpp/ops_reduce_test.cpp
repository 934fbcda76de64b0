// SPDX-License-Identifier: GPL-2.0
// Reductions and normalisation: the reduce, arg, norm, batch_norm and
// softmax-class kernel ops (prepare refusals on hand-built nodes; results
// against double-precision references computed here with std:: and libm,
// or worked out by hand), and the ONNX operators lowered to them.
#include "error.h"
#include "onnx_builders.h"
#include "ops.h"

extern "C" {
#include "ops/exec.h"
}
#include "kinfer_math.h"

#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- models ----

void set_output_type(ModelBuilder &b, int i, int32_t onnx_type)
{
	b.model().mutable_graph()->mutable_output(i)->mutable_type()->mutable_tensor_type()->set_elem_type(
		onnx_type);
}

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f)
{
	std::mt19937 g(seed);
	std::uniform_real_distribution<float> d(lo, hi);
	std::vector<float> v(n);
	for (float &f : v)
		f = d(g);
	return v;
}

// ---- a reference reduction, in double ----

struct Ref {
	std::function<double(double, double)> step;	// acc, x -> acc
	double init;
	std::function<double(double, size_t)> final;	// acc, count -> y
};

// x of `shape` reduced over `mask` with keepdims, in row-major order.
std::vector<double> reduce_ref(const Shape &shape, uint32_t mask, const std::vector<float> &x, const Ref &r)
{
	size_t rank = shape.size();
	Shape out = shape;
	for (size_t k = 0; k < rank; k++)
		if (mask >> k & 1)
			out[k] = 1;
	std::vector<double> acc(shape_numel(out), r.init);
	std::vector<size_t> cnt(acc.size(), 0);
	for (size_t e = 0; e < x.size(); e++) {
		size_t rem = e, o = 0, ostride = 1;
		for (size_t k = rank; k-- > 0;) {
			size_t i = rem % (size_t)shape[k];
			rem /= (size_t)shape[k];
			o += (mask >> k & 1 ? 0 : i) * ostride;
			ostride *= (size_t)out[k];
		}
		acc[o] = r.step(acc[o], x[e]);
		cnt[o]++;
	}
	for (size_t o = 0; o < acc.size(); o++)
		acc[o] = r.final(acc[o], cnt[o]);
	return acc;
}

double id_final(double a, size_t) { return a; }

const std::map<std::string, Ref> &refs()
{
	static const std::map<std::string, Ref> m = {
		{"ReduceSum", {[](double a, double x) { return a + x; }, 0.0, id_final}},
		{"ReduceMean", {[](double a, double x) { return a + x; }, 0.0,
				[](double a, size_t n) { return a / (double)n; }}},
		{"ReduceMax", {[](double a, double x) { return std::max(a, x); }, -HUGE_VAL, id_final}},
		{"ReduceMin", {[](double a, double x) { return std::min(a, x); }, HUGE_VAL, id_final}},
		{"ReduceProd", {[](double a, double x) { return a * x; }, 1.0, id_final}},
		{"ReduceL1", {[](double a, double x) { return a + std::fabs(x); }, 0.0, id_final}},
		{"ReduceL2", {[](double a, double x) { return a + x * x; }, 0.0,
			      [](double a, size_t) { return std::sqrt(a); }}},
		{"ReduceSumSquare", {[](double a, double x) { return a + x * x; }, 0.0, id_final}},
		{"ReduceLogSum", {[](double a, double x) { return a + x; }, 0.0,
				  [](double a, size_t) { return std::log(a); }}},
		{"ReduceLogSumExp", {[](double a, double x) { return a + std::exp(x); }, 0.0,
				     [](double a, size_t) { return std::log(a); }}},
	};
	return m;
}

std::vector<int64_t> mask_axes(uint32_t mask, size_t rank)
{
	std::vector<int64_t> axes;
	for (size_t k = 0; k < rank; k++)
		if (mask >> k & 1)
			axes.push_back((int64_t)k);
	return axes;
}

Shape keep_shape(const Shape &s, uint32_t mask, bool keepdims)
{
	Shape out;
	for (size_t k = 0; k < s.size(); k++)
		if (!(mask >> k & 1))
			out.push_back(s[k]);
		else if (keepdims)
			out.push_back(1);
	return out;
}

// One Reduce* node at `opset` over `mask` (0: noop_with_empty_axes).
ModelBuilder reduce_model(const std::string &op, int opset, const Shape &shape, uint32_t mask,
			  bool keepdims = true)
{
	ModelBuilder b(opset);
	b.input("x", shape).output("y", keep_shape(shape, mask, keepdims));
	bool from_input = opset >= (op == "ReduceSum" ? 13 : 18);
	std::vector<int64_t> axes = mask_axes(mask, shape.size());
	onnx::NodeProto *n;
	if (from_input && mask) {
		b.init_i64("axes", {(int64_t)axes.size()}, axes);
		n = &b.node(op, {"x", "axes"}, {"y"}, "red");
	} else {
		n = &b.node(op, {"x"}, {"y"}, "red");
		if (mask)
			ModelBuilder::attr_ints(*n, "axes", axes);
	}
	if (!mask)
		ModelBuilder::attr_int(*n, "noop_with_empty_axes", 1);
	if (!keepdims)
		ModelBuilder::attr_int(*n, "keepdims", 0);
	return b;
}

// ---- hand-built nodes for the kernel's prepare ----

kinfer_tensor tensor(uint8_t dtype, std::vector<uint32_t> dims, uint32_t off)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = dtype;
	t.buf = KINFER_BUF_ARENA;
	t.off = off;
	t.rank = (uint8_t)dims.size();
	for (size_t i = 0; i < dims.size(); i++)
		t.dims[i] = dims[i];
	return t;
}

kinfer_tensor omitted()
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	return t;
}

struct RedNode {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint64_t> arena = std::vector<uint64_t>(1 << 18);	// 2 MiB
	kinfer_exec ex;

	template <typename A>
	int prepare(uint16_t op, std::vector<kinfer_tensor> in, std::vector<kinfer_tensor> out,
		    const A &attr)
	{
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(A);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) +
				    sizeof(A));
		uint8_t *p = bytes;
		std::memcpy(p, &n, sizeof(n));
		p += sizeof(n);
		for (auto *v : {&in, &out})
			for (const kinfer_tensor &t : *v) {
				std::memcpy(p, &t, sizeof(t));
				p += sizeof(t);
			}
		std::memcpy(p, &attr, sizeof(A));
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena = {arena.data(), (uint32_t)(arena.size() * 8)};
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}
};

constexpr uint8_t F32 = KINFER_DTYPE_FLOAT32, I32 = KINFER_DTYPE_INT32, I64 = KINFER_DTYPE_INT64,
		  BOOL = KINFER_DTYPE_BOOL;

kinfer_attr_reduce red_attr(uint32_t axes)
{
	kinfer_attr_reduce a{};
	a.axes = axes;
	return a;
}

kinfer_attr_norm norm_attr(uint32_t axes, float eps)
{
	kinfer_attr_norm a{};
	a.axes = axes;
	a.epsilon.f = eps;
	return a;
}

} // namespace

// ------------------------------------------------------------ the math

TEST_CASE("kinfer_logd agrees with libm's log", "[reduce][math]")
{
	std::mt19937_64 g(1);
	std::uniform_real_distribution<double> e(-700.0, 700.0), m(1.0, 2.0);
	double worst = 0;
	for (int i = 0; i < 200000; i++) {
		double x = std::ldexp(m(g), (int)e(g));
		double want = std::log(x);
		double err = std::fabs(kinfer_logd(x) - want) / std::max(std::fabs(want), 1e-300);
		worst = std::max(worst, err);
	}
	INFO("worst relative error " << worst);
	CHECK(worst < 1e-15);
	// Near 1, where log(x) is small: relative error still tiny.
	for (double x : {1.0 + 1e-12, 1.0 - 1e-12, 0.9999, 1.0001, 0.70710678, 1.41421356}) {
		INFO("x = " << x);
		CHECK(std::fabs(kinfer_logd(x) - std::log(x)) <= 4e-16 * std::fabs(std::log(x)));
	}
	// Every 61st positive float: rounded to float, libm's logf within 1 ulp.
	int64_t off = 0;
	for (uint32_t bits = 1; bits < 0x7f800000U; bits += 61) {
		float f;
		std::memcpy(&f, &bits, 4);
		float got = (float)kinfer_logd(f), want = (float)std::log((double)f);
		if (got != want && std::nextafter(got, want) != want)
			off++;
	}
	CHECK(off == 0);
}

TEST_CASE("kinfer_logd edge cases", "[reduce][math]")
{
	CHECK(kinfer_logd(1.0) == 0.0);
	CHECK(std::isinf(kinfer_logd(0.0)));
	CHECK(kinfer_logd(0.0) < 0);
	CHECK(kinfer_logd(-0.0) == -HUGE_VAL);
	CHECK(std::isnan(kinfer_logd(-1.0)));
	CHECK(std::isnan(kinfer_logd(-HUGE_VAL)));
	CHECK(std::isnan(kinfer_logd(std::nan(""))));
	CHECK(kinfer_logd(HUGE_VAL) == HUGE_VAL);
	double dmin = std::numeric_limits<double>::denorm_min();
	CHECK(kinfer_logd(dmin) == Approx(std::log(dmin)).epsilon(1e-15));
	CHECK(kinfer_logd(2.2250738585072014e-308) == Approx(std::log(2.2250738585072014e-308)).epsilon(1e-15));
	CHECK(kinfer_logd(1.7976931348623157e308) == Approx(std::log(1.7976931348623157e308)).epsilon(1e-15));
	CHECK(kinfer_logd(M_E) == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("float sums accumulate in double", "[reduce][math]")
{
	// In float, 1e8 + 1 rounds back to 1e8 and the sum would be 0.
	float x[] = {1e8f, 1.0f, -1e8f};
	CHECK(kinfer_math_sum(x, 3, 1) == 1.0);
	// Strided rows read every stride-th element.
	float y[] = {1, 100, 2, 100, 3, 100};
	CHECK(kinfer_math_sum(y, 3, 2) == 6.0);
	CHECK(kinfer_math_sum_abs(x, 3, 1) == 200000001.0);
	CHECK(kinfer_math_sum_sq(y, 3, 2) == 14.0);
	float big[] = {3e38f, 3e38f};
	CHECK(kinfer_math_sum_sq(big, 2, 1) == Approx(1.8e77));
}

// ------------------------------------------------------- reductions

TEST_CASE("every reduction over every set of axes matches a double reference", "[reduce]")
{
	const Shape shape{2, 3, 4, 5};
	std::vector<float> x = random_floats(120, 7);
	std::vector<float> pos = random_floats(120, 8, 0.5f, 1.5f);
	for (const auto &kv : refs()) {
		const std::string &op = kv.first;
		const std::vector<float> &in = (op == "ReduceLogSum" || op == "ReduceProd") ? pos : x;
		for (uint32_t mask = 0; mask < 16; mask++)
			for (int opset : {11, 18}) {
				if (!mask && opset == 11)
					continue;	// noop_with_empty_axes is newer
				INFO(op << " mask " << mask << " opset " << opset);
				std::vector<double> want = reduce_ref(shape, mask, in, kv.second);
				std::vector<float> got =
					run_model(reduce_model(op, opset, shape, mask), {F(shape, in)})[0].floats();
				REQUIRE(got.size() == want.size());
				for (size_t i = 0; i < got.size(); i++)
					CHECK(got[i] == Approx(want[i]).epsilon(1e-6).margin(1e-6));
			}
	}
}

TEST_CASE("keepdims=0, negative and unordered axes, ReduceSum from opset 13", "[reduce]")
{
	// x[2,3]: rows [1,2,3], [4,5,6].
	std::vector<float> x{1, 2, 3, 4, 5, 6};
	ModelBuilder b(13);
	b.input("x", {2, 3}).output("y", {3});
	b.init_i64("axes", {1}, {-2});
	ModelBuilder::attr_int(b.node("ReduceSum", {"x", "axes"}, {"y"}), "keepdims", 0);
	CHECK(run_model(b, {F({2, 3}, x)})[0].floats() == std::vector<float>{5, 7, 9});

	ModelBuilder all(18);
	all.input("x", {2, 3}).output("y", {});
	all.init_i64("axes", {2}, {1, -2});
	ModelBuilder::attr_int(all.node("ReduceMean", {"x", "axes"}, {"y"}), "keepdims", 0);
	HostTensor y = run_model(all, {F({2, 3}, x)})[0];
	CHECK(y.shape.empty());
	CHECK(y.floats() == std::vector<float>{3.5f});

	// No axes: every axis (opset 7 attribute form).
	ModelBuilder o7(7);
	o7.input("x", {2, 3}).output("y", {1, 1});
	o7.node("ReduceMax", {"x"}, {"y"});
	CHECK(run_model(o7, {F({2, 3}, x)})[0].floats() == std::vector<float>{6});
}

TEST_CASE("integer reductions wrap like numpy; bool max and min", "[reduce]")
{
	ModelBuilder b(13);
	b.input("x", {2, 2}, onnx::TensorProto::INT32).output("y", {2});
	set_output_type(b, 0, onnx::TensorProto::INT32);
	b.init_i64("axes", {1}, {1});
	ModelBuilder::attr_int(b.node("ReduceSum", {"x", "axes"}, {"y"}), "keepdims", 0);
	HostTensor y = run_model(b, {HostTensor::from_ints(DType::i32, {2, 2}, {INT32_MAX, 1, -7, 3})})[0];
	CHECK(y.dtype == DType::i32);
	CHECK(y.ints() == std::vector<int64_t>{INT32_MIN, -4});

	ModelBuilder p(18);
	p.input("x", {3}, onnx::TensorProto::INT64).output("y", {1});
	set_output_type(p, 0, onnx::TensorProto::INT64);
	p.node("ReduceProd", {"x"}, {"y"});
	// 2^40 * 2^30 * 3 wraps modulo 2^64 to 3 * 2^70 mod 2^64 = 3 * 2^6 * 2^64... = 0 mod 2^64
	// plus the exact product's low bits: (2^70 * 3) mod 2^64 = 0.
	CHECK(run_model(p, {HostTensor::from_ints(DType::i64, {3}, {1LL << 40, 1LL << 30, 3})})[0].ints() ==
	      std::vector<int64_t>{0});
	CHECK(run_model(p, {HostTensor::from_ints(DType::i64, {3}, {-3, 5, -7})})[0].ints() ==
	      std::vector<int64_t>{105});

	ModelBuilder l1(18);
	l1.input("x", {3}, onnx::TensorProto::INT64).output("y", {1});
	set_output_type(l1, 0, onnx::TensorProto::INT64);
	l1.node("ReduceL1", {"x"}, {"y"});
	CHECK(run_model(l1, {HostTensor::from_ints(DType::i64, {3}, {-3, 5, -7})})[0].ints() ==
	      std::vector<int64_t>{15});

	for (const char *op : {"ReduceMax", "ReduceMin"}) {
		ModelBuilder m(20);
		m.input("x", {2, 2}, onnx::TensorProto::BOOL).output("y", {2, 1});
		set_output_type(m, 0, onnx::TensorProto::BOOL);
		m.init_i64("axes", {1}, {1});
		m.node(op, {"x", "axes"}, {"y"});
		HostTensor r = run_model(m, {HostTensor::from_ints(DType::boolean, {2, 2}, {0, 1, 1, 1})})[0];
		CHECK(r.dtype == DType::boolean);
		bool is_max = std::string(op) == "ReduceMax";
		CHECK(r.ints() == (is_max ? std::vector<int64_t>{1, 1} : std::vector<int64_t>{0, 1}));
	}
}

TEST_CASE("NaN, infinities and large values in reductions", "[reduce]")
{
	auto run1 = [](const std::string &op, std::vector<float> v) {
		ModelBuilder b(18);
		b.input("x", {(int64_t)v.size()}).output("y", {1});
		b.node(op, {"x"}, {"y"});
		return run_model(b, {F({(int64_t)v.size()}, v)})[0].floats()[0];
	};
	CHECK(std::isnan(run1("ReduceMax", {1, kNaN, 3})));
	CHECK(std::isnan(run1("ReduceMin", {1, 2, kNaN})));
	CHECK(run1("ReduceMax", {-kInf, -kInf}) == -kInf);
	CHECK(run1("ReduceMin", {-0.0f, 5, kInf}) == 0.0f);
	// logsumexp(1000, 1000) = 1000 + ln 2 with no overflow; shifted down too.
	CHECK(run1("ReduceLogSumExp", {1000, 1000}) == Approx(1000.0 + std::log(2.0)).epsilon(1e-7));
	CHECK(run1("ReduceLogSumExp", {-1000, -1000}) == Approx(-1000.0 + std::log(2.0)).epsilon(1e-7));
	CHECK(run1("ReduceLogSumExp", {-kInf, -kInf}) == -kInf);
	CHECK(run1("ReduceLogSumExp", {kInf, 1}) == kInf);
	CHECK(std::isnan(run1("ReduceLogSumExp", {kNaN, 1})));
	CHECK(run1("ReduceLogSum", {0, 0}) == -kInf);
	CHECK(std::isnan(run1("ReduceLogSum", {-1, 0.5f})));
	CHECK(run1("ReduceL2", {3e30f, 4e30f}) == Approx(5e30).epsilon(1e-7));	// no overflow
	CHECK(run1("ReduceSumSquare", {2e19f, 2e19f}) == kInf);			// 8e38 > FLT_MAX
	CHECK(run1("ReduceSum", {1e8f, 1, -1e8f}) == 1.0f);
	CHECK(run1("ReduceMean", {1e8f, 3, -1e8f}) == 1.0f);
	CHECK(run1("ReduceProd", {1e30f, 1e30f, 1e-30f}) == Approx(1e30).epsilon(1e-7));
}

TEST_CASE("GlobalAveragePool and GlobalMaxPool reduce the spatial axes", "[reduce]")
{
	std::vector<float> x = random_floats(2 * 3 * 4 * 5, 3);
	for (const char *op : {"GlobalAveragePool", "GlobalMaxPool"}) {
		ModelBuilder b(22);
		b.input("x", {2, 3, 4, 5}).output("y", {2, 3, 1, 1});
		b.node(op, {"x"}, {"y"});
		bool avg = std::string(op) == "GlobalAveragePool";
		std::vector<double> want =
			reduce_ref({2, 3, 4, 5}, 12, x, refs().at(avg ? "ReduceMean" : "ReduceMax"));
		std::vector<float> got = run_model(b, {F({2, 3, 4, 5}, x)})[0].floats();
		REQUIRE(got.size() == 6);
		for (size_t i = 0; i < 6; i++)
			CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
	}
}

TEST_CASE("ArgMax and ArgMin: ties, select_last_index, NaN, integers", "[reduce][arg]")
{
	auto arg = [](const char *op, int64_t axis, bool keep, int64_t last, const HostTensor &x,
		      const Shape &out) {
		ModelBuilder b(13);
		int32_t t = x.dtype == DType::f32 ? onnx::TensorProto::FLOAT : dtype_to_onnx(x.dtype);
		b.input("x", x.shape, t).output("y", out);
		set_output_type(b, 0, onnx::TensorProto::INT64);
		auto &n = b.node(op, {"x"}, {"y"});
		ModelBuilder::attr_int(n, "axis", axis);
		ModelBuilder::attr_int(n, "keepdims", keep);
		ModelBuilder::attr_int(n, "select_last_index", last);
		HostTensor y = run_model(b, {x})[0];
		REQUIRE(y.dtype == DType::i64);
		REQUIRE(y.shape == out);
		return y.ints();
	};
	// x[2,3] = [[1, 3, 3], [2, 2, 0]]
	HostTensor x = F({2, 3}, {1, 3, 3, 2, 2, 0});
	CHECK(arg("ArgMax", 1, true, 0, x, {2, 1}) == std::vector<int64_t>{1, 0});
	CHECK(arg("ArgMax", -1, false, 1, x, {2}) == std::vector<int64_t>{2, 1});
	CHECK(arg("ArgMin", 0, false, 0, x, {3}) == std::vector<int64_t>{0, 1, 1});
	CHECK(arg("ArgMin", 1, false, 1, x, {2}) == std::vector<int64_t>{0, 2});
	// numpy: the first NaN wins both ways; select_last: the last NaN.
	HostTensor n = F({4}, {1, kNaN, 5, kNaN});
	CHECK(arg("ArgMax", 0, false, 0, n, {}) == std::vector<int64_t>{1});
	CHECK(arg("ArgMin", 0, false, 0, n, {}) == std::vector<int64_t>{1});
	CHECK(arg("ArgMax", 0, false, 1, n, {}) == std::vector<int64_t>{3});
	HostTensor i = HostTensor::from_ints(DType::i64, {3}, {INT64_MIN, INT64_MAX, INT64_MAX});
	CHECK(arg("ArgMax", 0, false, 0, i, {}) == std::vector<int64_t>{1});
	CHECK(arg("ArgMin", 0, true, 1, i, {1}) == std::vector<int64_t>{0});
	HostTensor i32 = HostTensor::from_ints(DType::i32, {2, 2}, {-5, 7, 7, -5});
	CHECK(arg("ArgMax", 0, false, 1, i32, {2}) == std::vector<int64_t>{1, 0});
}

// ---------------------------------------------------- softmax class

TEST_CASE("LogSoftmax matches a double reference, with huge values too", "[reduce][softmax]")
{
	std::vector<float> x = random_floats(24, 11, -30, 30);
	x[5] = 80;	// exp(80) overflows float without the max shift
	x[17] = -1e30f;
	ModelBuilder b(13);
	b.input("x", {2, 3, 4}).output("y", {2, 3, 4});
	ModelBuilder::attr_int(b.node("LogSoftmax", {"x"}, {"y"}), "axis", 1);
	std::vector<float> y = run_model(b, {F({2, 3, 4}, x)})[0].floats();
	for (int o = 0; o < 2; o++)
		for (int in = 0; in < 4; in++) {
			double m = -HUGE_VAL, s = 0;
			for (int k = 0; k < 3; k++)
				m = std::max(m, (double)x[o * 12 + k * 4 + in]);
			for (int k = 0; k < 3; k++)
				s += std::exp(x[o * 12 + k * 4 + in] - m);
			for (int k = 0; k < 3; k++) {
				int e = o * 12 + k * 4 + in;
				CHECK(y[e] == Approx(x[e] - m - std::log(s)).epsilon(1e-6).margin(1e-6));
			}
		}
	// Opset 11 coerces [1, 2, 2] at axis 1 to one row of 4.
	ModelBuilder o(11);
	o.input("x", {1, 2, 2}).output("y", {1, 2, 2});
	o.node("LogSoftmax", {"x"}, {"y"});
	std::vector<float> z = run_model(o, {F({1, 2, 2}, {0, 0, 0, 0})})[0].floats();
	for (float v : z)
		CHECK(v == Approx(-std::log(4.0)));
}

TEST_CASE("LpNormalization p=1 and p=2, a zero row stays 0", "[reduce][softmax]")
{
	for (int64_t p : {1, 2}) {
		ModelBuilder b(22);
		b.input("x", {2, 3}).output("y", {2, 3});
		auto &n = b.node("LpNormalization", {"x"}, {"y"});
		ModelBuilder::attr_int(n, "axis", 0);
		ModelBuilder::attr_int(n, "p", p);
		// Columns along axis 0: (3, -4), (0, 0), (1, 1).
		std::vector<float> y = run_model(b, {F({2, 3}, {3, 0, 1, -4, 0, 1})})[0].floats();
		double n0 = p == 1 ? 7 : 5, n2 = p == 1 ? 2 : std::sqrt(2.0);
		CHECK(y[0] == Approx(3 / n0));
		CHECK(y[3] == Approx(-4 / n0));
		CHECK(y[1] == 0.0f);
		CHECK(y[4] == 0.0f);
		CHECK(y[2] == Approx(1 / n2));
	}
}

// ------------------------------------------------------ norm class

TEST_CASE("LayerNormalization with its Mean and InvStdDev outputs", "[reduce][norm]")
{
	const Shape s{2, 3, 4};
	std::vector<float> x = random_floats(24, 21, -3, 5), w = random_floats(12, 22), bias = random_floats(12, 23);
	ModelBuilder b(17);
	b.input("x", s).input("w", {3, 4}).input("b", {4}).output("y", s).output("mean", {2, 1, 1}).output(
		"inv", {2, 1, 1});
	auto &n = b.node("LayerNormalization", {"x", "w", "b"}, {"y", "mean", "inv"}, "ln");
	ModelBuilder::attr_int(n, "axis", 1);
	ModelBuilder::attr_float(n, "epsilon", 0.01f);
	std::vector<HostTensor> out = run_model(b, {F(s, x), F({3, 4}, w), F({4}, {bias.begin(), bias.begin() + 4})});
	std::vector<float> y = out[0].floats(), mean = out[1].floats(), inv = out[2].floats();
	for (int r = 0; r < 2; r++) {
		double m = 0, v = 0;
		for (int i = 0; i < 12; i++)
			m += x[r * 12 + i] / 12.0;
		for (int i = 0; i < 12; i++)
			v += (x[r * 12 + i] - m) * (x[r * 12 + i] - m) / 12.0;
		double is = 1 / std::sqrt(v + (double)0.01f);
		CHECK(mean[r] == Approx(m).epsilon(1e-6));
		CHECK(inv[r] == Approx(is).epsilon(1e-6));
		for (int i = 0; i < 12; i++)
			CHECK(y[r * 12 + i] == Approx((x[r * 12 + i] - m) * is * w[i] + bias[i % 4]).margin(1e-5));
	}
}

TEST_CASE("RMS, instance, group and mean-variance normalisation", "[reduce][norm]")
{
	const Shape s{2, 4, 3};
	std::vector<float> x = random_floats(24, 31, -2, 6), sc = random_floats(4, 32), bi = random_floats(4, 33);
	auto group_ref = [&](int groups, bool per_channel, bool rms, double eps, int i) {
		int n = i / 12, c = i / 3 % 4, g = c / (4 / groups), per = 12 / groups;
		double m = 0, v = 0;
		for (int k = 0; k < per; k++)
			m += x[n * 12 + g * per + k] / per;
		for (int k = 0; k < per; k++) {
			double d = x[n * 12 + g * per + k] - (rms ? 0 : m);
			v += d * d / per;
		}
		double y = (x[i] - (rms ? 0 : m)) / std::sqrt(v + eps);
		int p = per_channel ? c : g;
		return y * sc[p] + bi[p];
	};
	SECTION("InstanceNormalization: groups of one channel")
	{
		ModelBuilder b(22);
		b.input("x", s).input("s", {4}).input("b", {4}).output("y", s);
		b.node("InstanceNormalization", {"x", "s", "b"}, {"y"});
		std::vector<float> y = run_model(b, {F(s, x), F({4}, sc), F({4}, bi)})[0].floats();
		for (int i = 0; i < 24; i++)
			CHECK(y[i] == Approx(group_ref(4, true, false, 1e-5, i)).margin(1e-5));
	}
	for (int opset : {18, 21}) {
		SECTION("GroupNormalization, opset " + std::to_string(opset))
		{
			ModelBuilder b(opset);
			int64_t pn = opset >= 21 ? 4 : 2;
			b.input("x", s).input("s", {pn}).input("b", {pn}).output("y", s);
			auto &n = b.node("GroupNormalization", {"x", "s", "b"}, {"y"});
			ModelBuilder::attr_int(n, "num_groups", 2);
			ModelBuilder::attr_float(n, "epsilon", 1e-3f);
			std::vector<float> y = run_model(b, {F(s, x), F({pn}, {sc.begin(), sc.begin() + pn}),
							     F({pn}, {bi.begin(), bi.begin() + pn})})[0]
						       .floats();
			for (int i = 0; i < 24; i++)
				CHECK(y[i] == Approx(group_ref(2, opset >= 21, false, (double)1e-3f, i)).margin(1e-5));
		}
	}
	SECTION("RMSNormalization over the last two axes")
	{
		ModelBuilder b(23);
		b.input("x", s).input("s", {4, 3}).output("y", s);
		ModelBuilder::attr_int(b.node("RMSNormalization", {"x", "s"}, {"y"}), "axis", 1);
		std::vector<float> w = random_floats(12, 34);
		std::vector<float> y = run_model(b, {F(s, x), F({4, 3}, w)})[0].floats();
		for (int n = 0; n < 2; n++) {
			double ms = 0;
			for (int k = 0; k < 12; k++)
				ms += (double)x[n * 12 + k] * x[n * 12 + k] / 12;
			for (int k = 0; k < 12; k++)
				CHECK(y[n * 12 + k] == Approx(x[n * 12 + k] / std::sqrt(ms + 1e-5) * w[k]).margin(1e-5));
		}
	}
	SECTION("MeanVarianceNormalization over axes 0 and 2 (not neighbours)")
	{
		ModelBuilder b(13);
		b.input("x", s).output("y", s);
		ModelBuilder::attr_ints(b.node("MeanVarianceNormalization", {"x"}, {"y"}), "axes", {0, 2});
		std::vector<float> y = run_model(b, {F(s, x)})[0].floats();
		for (int c = 0; c < 4; c++) {
			double m = 0, v = 0;
			for (int n = 0; n < 2; n++)
				for (int k = 0; k < 3; k++)
					m += x[n * 12 + c * 3 + k] / 6;
			for (int n = 0; n < 2; n++)
				for (int k = 0; k < 3; k++)
					v += std::pow(x[n * 12 + c * 3 + k] - m, 2) / 6;
			for (int n = 0; n < 2; n++)
				for (int k = 0; k < 3; k++) {
					int i = n * 12 + c * 3 + k;
					CHECK(y[i] == Approx((x[i] - m) / (std::sqrt(v) + 1e-9)).margin(1e-5));
				}
		}
	}
}

TEST_CASE("a constant group normalises to 0, not NaN", "[reduce][norm]")
{
	ModelBuilder b(17);
	b.input("x", {1, 4}).output("y", {1, 4});
	b.init("w", {4}, {1, 1, 1, 1});
	b.node("LayerNormalization", {"x", "w"}, {"y"});
	CHECK(run_model(b, {F({1, 4}, {7, 7, 7, 7})})[0].floats() == std::vector<float>{0, 0, 0, 0});
}

// ---------------------------------------------------- batch_norm

TEST_CASE("BatchNormalization: runtime parameters, folded constants, spatial=0", "[reduce][batchnorm]")
{
	const Shape s{2, 3, 2};
	std::vector<float> x = random_floats(12, 41), sc{0.5f, -2, 1}, bi{1, 0, -1}, mu{0.1f, -0.2f, 0.3f},
			   var{1, 0.25f, 4};
	auto want = [&](int i) {
		int c = i / 2 % 3;
		return (x[i] - mu[c]) * sc[c] / std::sqrt((double)var[c] + (double)1e-5f) + bi[c];
	};
	SECTION("all runtime, opset 15")
	{
		ModelBuilder b(15);
		b.input("x", s).input("s", {3}).input("b", {3}).input("m", {3}).input("v", {3}).output("y", s);
		b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"});
		std::vector<float> y =
			run_model(b, {F(s, x), F({3}, sc), F({3}, bi), F({3}, mu), F({3}, var)})[0].floats();
		for (int i = 0; i < 12; i++)
			CHECK(y[i] == Approx(want(i)).epsilon(1e-6));
	}
	SECTION("constant parameters fold into one scale and shift, opset 9")
	{
		ModelBuilder b(9);
		b.input("x", s).output("y", s);
		b.init("s", {3}, sc).init("b", {3}, bi).init("m", {3}, mu).init("v", {3}, var);
		b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, "bn");
		Compiled c = b.compiled();
		REQUIRE(c.lowered.ops.size() == 3);
		CHECK(c.lowered.ops[1].in.size() == 3);
		std::vector<float> y = plan_run(c.lowered, c.plan, {F(s, x)})[0].floats();
		for (int i = 0; i < 12; i++)
			CHECK(y[i] == Approx(want(i)).epsilon(1e-6));
	}
	SECTION("opset 7 spatial=0: parameters per (channel, position)")
	{
		ModelBuilder b(7);
		b.input("x", {2, 3}).output("y", {2, 3});
		b.init("s", {3}, sc).init("b", {3}, bi).init("m", {3}, mu).init("v", {3}, var);
		ModelBuilder::attr_int(b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}), "spatial", 0);
		std::vector<float> y = run_model(b, {F({2, 3}, {x.begin(), x.begin() + 6})})[0].floats();
		for (int i = 0; i < 6; i++) {
			int c = i % 3;
			CHECK(y[i] == Approx((x[i] - mu[c]) * sc[c] / std::sqrt(var[c] + 1e-5) + bi[c]).epsilon(1e-6));
		}
	}
}

// ------------------------------------------- the loader's checks

TEST_CASE("reduction and normalisation errors name the node", "[reduce][infer]")
{
	auto fails = [](ModelBuilder &b, const std::string &what) {
		REQUIRE_THROWS_WITH(b.compiled(), Contains("'n'") && Contains(what));
	};
	{
		ModelBuilder b(11);
		b.input("x", {2, 3}).output("y", {1, 1});
		ModelBuilder::attr_ints(b.node("ReduceSum", {"x"}, {"y"}, "n"), "axes", {1, -1});
		fails(b, "axis -1 is given twice");
	}
	{
		ModelBuilder b(18);
		b.input("x", {2, 3}).output("y", {1, 1});
		ModelBuilder::attr_ints(b.node("ReduceMean", {"x"}, {"y"}, "n"), "axes", {1});
		fails(b, "attribute 'axes' is not supported from opset 18");
	}
	{
		ModelBuilder b(18);
		b.input("x", {2, 3}).input("a", {1}, onnx::TensorProto::INT64).output("y", {2, 1});
		b.node("ReduceMean", {"x", "a"}, {"y"}, "n");
		fails(b, "must be a constant");
	}
	{
		ModelBuilder b(18);
		b.input("x", {2, 3}, onnx::TensorProto::INT32).output("y", {1, 1});
		b.node("ReduceMean", {"x"}, {"y"}, "n");
		fails(b, "is int32; ReduceMean takes float32");
	}
	{
		ModelBuilder b(13);
		b.input("x", {2, 3}).output("y", {2, 1});
		b.init_i64("axes", {1}, {2});
		b.node("ReduceSum", {"x", "axes"}, {"y"}, "n");
		fails(b, "axis 2 is out of range for rank 2");
	}
	{
		ModelBuilder b(15);
		b.input("x", {1, 2}).output("y", {1, 2});
		b.init("s", {2}, {1, 1}).init("b", {2}, {0, 0}).init("m", {2}, {0, 0}).init("v", {2}, {1, 1});
		ModelBuilder::attr_int(b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, "n"),
				       "training_mode", 1);
		fails(b, "training_mode=1 is not supported");
	}
	{
		ModelBuilder b(22);
		b.input("x", {2, 3}).output("y", {2, 3});
		ModelBuilder::attr_int(b.node("LpNormalization", {"x"}, {"y"}, "n"), "p", 3);
		fails(b, "p=3 is not supported");
	}
	{
		ModelBuilder b(17);
		b.input("x", {2, 3}).input("w", {3}).output("y", {2, 3});
		ModelBuilder::attr_int(b.node("LayerNormalization", {"x", "w"}, {"y"}, "n"), "stash_type", 11);
		fails(b, "stash_type=11 is not supported");
	}
	{
		ModelBuilder b(17);
		b.input("x", {2, 3}).input("w", {2}).output("y", {2, 3});
		b.node("LayerNormalization", {"x", "w"}, {"y"}, "n");
		fails(b, "does not broadcast to [2,3]");
	}
	{
		ModelBuilder b(17);
		b.input("x", {2, 3}).input("w", {3}).output("y", {2, 3});
		ModelBuilder::attr_float(b.node("LayerNormalization", {"x", "w"}, {"y"}, "n"), "epsilon", -1.0f);
		fails(b, "must be finite and >= 0");
	}
	{
		ModelBuilder b(21);
		b.input("x", {1, 6, 2}).input("s", {6}).input("b", {6}).output("y", {1, 6, 2});
		ModelBuilder::attr_int(b.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "n"), "num_groups", 4);
		fails(b, "num_groups=4 does not divide the 6 channels");
	}
	{
		ModelBuilder b(18);
		b.input("x", {1, 6, 2}).input("s", {6}).input("b", {6}).output("y", {1, 6, 2});
		ModelBuilder::attr_int(b.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "n"), "num_groups", 3);
		fails(b, "(scale, per group) has shape [6], expected [3]");
	}
	{
		ModelBuilder b(13);
		b.input("x", {2, 3}).output("y", {2, 1});
		ModelBuilder::attr_int(b.node("ArgMax", {"x"}, {"y"}, "n"), "axis", 2);
		fails(b, "axis 2 is out of range");
	}
}

TEST_CASE("a reduction group beyond one section is refused naming the node", "[reduce][infer]")
{
	ModelBuilder b(13);
	const int64_t n = (int64_t)KINFER_FPU_CHUNK + 1;
	b.input("x", {1, n}).output("y", {1, 1});
	b.init_i64("axes", {1}, {1});
	b.node("ReduceSum", {"x", "axes"}, {"y"}, "big");
	REQUIRE_THROWS_WITH(b.compiled(),
			    Contains("(REDUCE_SUM) for ONNX node 'big'") && Contains("E2BIG"));
	// The same elements in groups that fit: accepted.
	ModelBuilder ok(13);
	ok.input("x", {2, n / 2}).output("y", {2, 1});
	ok.init_i64("axes", {1}, {1});
	ok.node("ReduceSum", {"x", "axes"}, {"y"}, "fits");
	CHECK_NOTHROW(ok.compiled());
}

// ------------------------------------------- the kernel's prepare

TEST_CASE("reduce prepare: plans non-neighbouring axes and refuses bad nodes", "[reduce][prepare]")
{
	RedNode h;
	// x[2,3,4,5] over axes 1 and 3 -> y[2,1,4,1]: 8 groups of 15.
	kinfer_tensor x = tensor(F32, {2, 3, 4, 5}, 0), y = tensor(F32, {2, 1, 4, 1}, 4096);
	REQUIRE(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {y}, red_attr(0xa)) == 0);
	CHECK(h.ex.units == 8);
	CHECK(h.ex.s.reduce.count == 15);
	CHECK(h.ex.s.reduce.n_keep == 2);
	CHECK(h.ex.s.reduce.n_red == 2);
	// Neighbouring axes merge: [2,3,4,5] over 2 and 3 is one reduced axis.
	REQUIRE(h.prepare(KINFER_OP_REDUCE_MAX, {x}, {tensor(F32, {2, 3, 1, 1}, 4096)}, red_attr(0xc)) == 0);
	CHECK(h.ex.s.reduce.n_red == 1);
	CHECK(h.ex.s.reduce.n_keep == 1);
	CHECK(h.ex.s.reduce.red_dims[0] == 20);
	// axes 0: every element alone.
	REQUIRE(h.prepare(KINFER_OP_REDUCE_L1, {x}, {tensor(F32, {2, 3, 4, 5}, 4096)}, red_attr(0)) == 0);
	CHECK(h.ex.units == 120);

	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {y}, red_attr(0x1a)) == -EINVAL);	// axis 4
	kinfer_attr_reduce r = red_attr(0xa);
	r.reserved = 1;
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {y}, r) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {tensor(F32, {2, 4}, 4096)}, red_attr(0xa)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {tensor(F32, {2, 1, 4, 5}, 4096)}, red_attr(0xa)) ==
	      -EINVAL);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x}, {tensor(I32, {2, 1, 4, 1}, 4096)}, red_attr(0xa)) ==
	      -EINVAL);
	// Dtypes per op: MEAN only float32, MAX bool too, SUM not bool.
	kinfer_tensor xi = tensor(I32, {2, 3, 4, 5}, 0), yi = tensor(I32, {2, 1, 4, 1}, 4096);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {xi}, {yi}, red_attr(0xa)) == 0);
	CHECK(h.prepare(KINFER_OP_REDUCE_MEAN, {xi}, {yi}, red_attr(0xa)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_REDUCE_LOG_SUM_EXP, {xi}, {yi}, red_attr(0xa)) == -EINVAL);
	kinfer_tensor xb = tensor(BOOL, {2, 3, 4, 5}, 0), yb = tensor(BOOL, {2, 1, 4, 1}, 4096);
	CHECK(h.prepare(KINFER_OP_REDUCE_MAX, {xb}, {yb}, red_attr(0xa)) == 0);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {xb}, {yb}, red_attr(0xa)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {x, x}, {y}, red_attr(0xa)) == -EINVAL);
	// A group of more than one section: -E2BIG (LOG_SUM_EXP costs 10 per element).
	kinfer_tensor big = tensor(F32, {1, 30000}, 0), one = tensor(F32, {1, 1}, 131072);
	CHECK(h.prepare(KINFER_OP_REDUCE_SUM, {big}, {one}, red_attr(2)) == 0);
	CHECK(h.prepare(KINFER_OP_REDUCE_LOG_SUM_EXP, {big}, {one}, red_attr(2)) == -E2BIG);
}

TEST_CASE("arg, norm and batch_norm prepares refuse bad nodes", "[reduce][prepare]")
{
	RedNode h;
	kinfer_tensor x = tensor(F32, {2, 3}, 0);
	kinfer_attr_arg arg{};
	arg.axis = 1;
	CHECK(h.prepare(KINFER_OP_ARGMAX, {x}, {tensor(I64, {2, 1}, 4096)}, arg) == 0);
	CHECK(h.prepare(KINFER_OP_ARGMAX, {x}, {tensor(I32, {2, 1}, 4096)}, arg) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_ARGMAX, {x}, {tensor(I64, {2}, 4096)}, arg) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_ARGMIN, {tensor(BOOL, {2, 3}, 0)}, {tensor(I64, {2, 1}, 4096)}, arg) ==
	      -EINVAL);
	arg.select_last = 2;
	CHECK(h.prepare(KINFER_OP_ARGMAX, {x}, {tensor(I64, {2, 1}, 4096)}, arg) == -EINVAL);
	arg.select_last = 0;
	arg.axis = 2;
	CHECK(h.prepare(KINFER_OP_ARGMAX, {x}, {tensor(I64, {2, 1}, 4096)}, arg) == -EINVAL);

	kinfer_tensor y = tensor(F32, {2, 3}, 4096), stats = tensor(F32, {2, 1}, 8192);
	kinfer_tensor w = tensor(F32, {3}, 12288), wbad = tensor(F32, {2}, 12288);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w, omitted()}, {y, stats, omitted()}, norm_attr(2, 1e-5f)) ==
	      0);
	CHECK(h.ex.inplace == 0);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, wbad}, {y}, norm_attr(2, 1e-5f)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w}, {y, tensor(F32, {2}, 8192)}, norm_attr(2, 1e-5f)) ==
	      -EINVAL);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w}, {y}, norm_attr(4, 1e-5f)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w}, {y}, norm_attr(2, -1e-5f)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w}, {y}, norm_attr(2, kInf)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_LAYER_NORM, {x, w}, {y}, norm_attr(2, kNaN)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_RMS_NORM, {x, w}, {y, stats}, norm_attr(2, 1e-5f)) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_RMS_NORM, {x, tensor(I32, {3}, 12288)}, {y}, norm_attr(2, 1e-5f)) ==
	      -EINVAL);

	kinfer_tensor xb = tensor(F32, {2, 3, 4}, 0), yb = tensor(F32, {2, 3, 4}, 4096);
	kinfer_tensor p3 = tensor(F32, {3}, 8192);
	kinfer_attr_epsilon eps{};
	eps.epsilon.f = 1e-5f;
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3, p3, p3}, {yb}, eps) == 0);
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3, p3}, {yb}, eps) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3, p3, omitted()}, {yb}, eps) == -EINVAL);
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3}, {yb}, eps) == -EINVAL);	// eps unused: 0
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3}, {yb}, kinfer_attr_epsilon{}) == 0);
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, tensor(F32, {4}, 8192), p3}, {yb},
			kinfer_attr_epsilon{}) == -EINVAL);
	eps.reserved = 1;
	CHECK(h.prepare(KINFER_OP_BATCH_NORM, {xb, p3, p3, p3, p3}, {yb}, eps) == -EINVAL);
}

TEST_CASE("reduce eval: results do not depend on how units are split", "[reduce][prepare]")
{
	RedNode h;
	std::vector<float> xs = random_floats(120, 51);
	std::memcpy(h.arena.data(), xs.data(), xs.size() * 4);
	kinfer_tensor x = tensor(F32, {2, 3, 4, 5}, 0), y = tensor(F32, {1, 3, 1, 5}, 4096);
	REQUIRE(h.prepare(KINFER_OP_REDUCE_LOG_SUM_EXP, {x}, {y}, red_attr(0x5)) == 0);
	REQUIRE(h.ex.units == 15);
	const float *out = reinterpret_cast<const float *>(reinterpret_cast<uint8_t *>(h.arena.data()) + 4096);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	std::vector<float> whole(out, out + 15);
	std::memset(reinterpret_cast<uint8_t *>(h.arena.data()) + 4096, 0, 60);
	for (uint64_t u = 0; u < h.ex.units; u += 4)
		REQUIRE(h.ex.desc->eval(&h.ex, u, std::min<uint64_t>(u + 4, h.ex.units)) == 0);
	CHECK(std::vector<float>(out, out + 15) == whole);
	std::vector<double> want = reduce_ref({2, 3, 4, 5}, 0x5, xs, refs().at("ReduceLogSumExp"));
	for (size_t i = 0; i < 15; i++)
		CHECK(whole[i] == Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("norm and batch_norm run in place over a dying input", "[reduce][norm]")
{
	ModelBuilder b(17);
	b.input("x", {2, 4}).output("y", {2, 4});
	b.init("w", {4}, {1, 2, 3, 4});
	b.init("s", {4}, {2, 2, 2, 2}).init("bb", {4}, {1, 1, 1, 1});
	b.init("m", {4}, {0, 0, 0, 0}).init("v", {4}, {1, 1, 1, 1});
	b.node("Relu", {"x"}, {"r"});
	b.node("BatchNormalization", {"r", "s", "bb", "m", "v"}, {"t"}, "bn");
	b.node("LayerNormalization", {"t", "w"}, {"y"}, "ln");
	Compiled c = b.compiled();
	REQUIRE(c.lowered.ops.size() == 5);
	for (int i : {2, 3}) {
		const LOp &op = c.lowered.ops[i];
		INFO(op_name(op.op));
		CHECK(c.plan.offset[op.in[0].index] == c.plan.offset[op.out[0].index]);
	}
	// Row 0: relu [0, 1, 2, 3] -> bn 2x/sqrt(1+1e-5)+1, an affine map, so the
	// layer norm sees the standardised [0, 1, 2, 3]: (k - 1.5) / sqrt(1.25).
	std::vector<float> y = plan_run(c.lowered, c.plan, {F({2, 4}, {-1, 1, 2, 3, 5, 5, 5, 5})})[0].floats();
	double v = 1.25 * 4 / (1 + 1e-5);
	for (int k = 0; k < 4; k++) {
		double d = 2 * (k - 1.5) / std::sqrt(1 + 1e-5);
		CHECK(y[k] == Approx(d / std::sqrt(v + 1e-5) * (k + 1)).epsilon(1e-5));
	}
	for (int k = 4; k < 8; k++)
		CHECK(y[k] == 0.0f);	// a constant row
}
