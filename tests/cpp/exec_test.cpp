// SPDX-License-Identifier: GPL-2.0
// Whole models through the userspace executor (the kernel's checks and
// math in kinfer_core), against values computed by hand.
#include "error.h"
#include "onnx_builders.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

TEST_CASE("2-layer network against values computed by hand", "[exec]")
{
	// x = [1, 2]
	// W0 = [[1, -1, 0.5], [0, 1, -2]], b0 = [0.5, 0, 1]
	//   x.W0 = [1*1 + 2*0, 1*-1 + 2*1, 1*0.5 + 2*-2] = [1, 1, -3.5]
	//   + b0 = [1.5, 1, -2.5];  relu -> [1.5, 1, 0]
	// W1 = [[2, 0], [1, 1], [5, -5]], b1 = [-1, 0.25]
	//   h.W1 = [1.5*2 + 1*1 + 0, 0 + 1*1 + 0] = [4, 1]
	//   + b1 = [3, 1.25]
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("W0", {2, 3}, {1, -1, 0.5f, 0, 1, -2});
	b.init_raw("b0", {3}, {0.5f, 0, 1});
	b.init("W1", {3, 2}, {2, 0, 1, 1, 5, -5});
	b.init("b1", {2}, {-1, 0.25f});
	b.node("MatMul", {"x", "W0"}, {"h0"});
	b.node("Add", {"h0", "b0"}, {"h1"});
	b.node("Relu", {"h1"}, {"h2"});
	b.node("MatMul", {"h2", "W1"}, {"h3"});
	b.node("Add", {"h3", "b1"}, {"y"});
	std::vector<HostTensor> y = run_model(b, {F({1, 2}, {1, 2})});
	REQUIRE(y.size() == 1);
	REQUIRE(y[0].shape == Shape{1, 2});
	REQUIRE(y[0].floats() == std::vector<float>{3.0f, 1.25f});
}

TEST_CASE("softmax, sigmoid and tanh by hand", "[exec]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("s", {2, 2}).output("g", {2, 2}).output("t", {2, 2});
	b.node("Softmax", {"x"}, {"s"});
	b.node("Sigmoid", {"x"}, {"g"});
	b.node("Tanh", {"x"}, {"t"});
	std::vector<HostTensor> y = run_model(b, {F({2, 2}, {0, std::log(3.0f), 1, 1})});
	// Row 0: e^0 : e^ln3 = 1 : 3 -> [0.25, 0.75]; row 1 equal -> [0.5, 0.5].
	std::vector<float> s = y[0].floats(), g = y[1].floats(), t = y[2].floats();
	REQUIRE(s[0] == Approx(0.25f));
	REQUIRE(s[1] == Approx(0.75f));
	REQUIRE(s[2] == Approx(0.5f));
	REQUIRE(g[0] == Approx(0.5f));
	REQUIRE(g[2] == Approx(1.0f / (1.0f + std::exp(-1.0f))));
	REQUIRE(t[1] == Approx(0.8f));	// tanh(ln 3) = (9 - 1) / (9 + 1)
}

TEST_CASE("softmax along a middle axis, and opset 11's 2-D coercion", "[exec]")
{
	// x[1,2,2]; opset 13 axis=1 normalises pairs x[0,:,j].
	ModelBuilder b(13);
	b.input("x", {1, 2, 2}).output("y", {1, 2, 2});
	ModelBuilder::attr_int(b.node("Softmax", {"x"}, {"y"}), "axis", 1);
	std::vector<float> y = run_model(b, {F({1, 2, 2}, {0, 0, std::log(3.0f), 0})})[0].floats();
	REQUIRE(y[0] == Approx(0.25f));
	REQUIRE(y[2] == Approx(0.75f));
	REQUIRE(y[1] == Approx(0.5f));
	REQUIRE(y[3] == Approx(0.5f));

	// Opset 11, axis=1 of [1,2,2]: one row of all 4 elements.
	ModelBuilder o(11);
	o.input("x", {1, 2, 2}).output("y", {1, 2, 2});
	o.node("Softmax", {"x"}, {"y"});
	y = run_model(o, {F({1, 2, 2}, {0, 0, 0, 0})})[0].floats();
	REQUIRE(y == std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f});
}

TEST_CASE("numpy broadcasting of add and mul, both ways", "[exec]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).input("r", {2, 1}).output("y", {2, 3});
	b.init("c", {3}, {1, 2, 3});
	b.init("k", {1}, {10});
	b.node("Mul", {"x", "c"}, {"a"});	// [1,2,3,4,5,6] * [1,2,3]
	b.node("Add", {"a", "r"}, {"bb"});	// + [[1],[2]]
	b.node("Mul", {"k", "bb"}, {"y"});	// * 10, the constant first
	std::vector<HostTensor> y =
		run_model(b, {F({2, 3}, {1, 2, 3, 4, 5, 6}), F({2, 1}, {1, 2})});
	REQUIRE(y[0].floats() == std::vector<float>{20, 50, 100, 60, 120, 200});
}

TEST_CASE("an activation broadcast up to a constant's shape", "[exec]")
{
	// Was refused before ABI 2: the constant is the larger operand.
	ModelBuilder b;
	b.input("x", {3}).output("y", {2, 3});
	b.init("C", {2, 3}, {1, 2, 3, 4, 5, 6});
	b.node("Add", {"x", "C"}, {"y"}, "add");
	std::vector<HostTensor> y = run_model(b, {F({3}, {10, 20, 30})});
	REQUIRE(y[0].shape == Shape{2, 3});
	REQUIRE(y[0].floats() == std::vector<float>{11, 22, 33, 14, 25, 36});
}

TEST_CASE("int64 add wraps like numpy and keeps its dtype", "[exec]")
{
	ModelBuilder b;
	b.input("x", {2}, onnx::TensorProto::INT64);
	b.output("y", {2});
	b.model().mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
		onnx::TensorProto::INT64);
	b.init_i64("c", {1}, {INT64_MAX});
	b.node("Add", {"x", "c"}, {"y"});
	std::vector<HostTensor> y =
		run_model(b, {HostTensor::from_ints(DType::i64, {2}, {1, -1})});
	REQUIRE(y[0].dtype == DType::i64);
	REQUIRE(y[0].ints() == std::vector<int64_t>{INT64_MIN, INT64_MAX - 1});
}

TEST_CASE("Gemm with transB, alpha, beta and a C column by hand", "[exec]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("y", {2, 2});
	b.init("W", {2, 2}, {1, 2, 3, 4});	// transB: x . W^T
	b.init("C", {2, 1}, {100, 200});
	auto &g = b.node("Gemm", {"x", "W", "C"}, {"y"});
	ModelBuilder::attr_int(g, "transB", 1);
	ModelBuilder::attr_float(g, "alpha", 2.0f);
	ModelBuilder::attr_float(g, "beta", 0.5f);
	// x = I -> 2 * W^T = [[2,6],[4,8]]; + 0.5*C = [[50],[100]]
	std::vector<HostTensor> y = run_model(b, {F({2, 2}, {1, 0, 0, 1})});
	REQUIRE(y[0].floats() == std::vector<float>{52, 56, 104, 108});
}

TEST_CASE("Gemm with transA on an activation", "[exec]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {3, 1});
	b.init("W", {2, 1}, {1, 10});
	ModelBuilder::attr_int(b.node("Gemm", {"x", "W"}, {"y"}), "transA", 1);
	// x^T [3,2] . W: rows (1,4),(2,5),(3,6) -> 41, 52, 63
	std::vector<HostTensor> y = run_model(b, {F({2, 3}, {1, 2, 3, 4, 5, 6})});
	REQUIRE(y[0].floats() == std::vector<float>{41, 52, 63});
}

TEST_CASE("batched MatMul of two activations with broadcast batch", "[exec]")
{
	// a[2,1,2] . b[2,1]: per batch [1x2].[2x1].
	ModelBuilder b;
	b.input("a", {2, 1, 2}).input("b", {2, 1}).output("y", {2, 1, 1});
	b.node("MatMul", {"a", "b"}, {"y"});
	std::vector<HostTensor> y = run_model(b, {F({2, 1, 2}, {1, 2, 3, 4}), F({2, 1}, {10, 1})});
	REQUIRE(y[0].shape == Shape{2, 1, 1});
	REQUIRE(y[0].floats() == std::vector<float>{12, 34});
}

TEST_CASE("1-D MatMul operands follow numpy", "[exec]")
{
	ModelBuilder b;
	b.input("v", {3}).output("y", {2});
	b.init("W", {3, 2}, {1, 0, 0, 1, 1, 1});
	b.node("MatMul", {"v", "W"}, {"y"});
	std::vector<HostTensor> y = run_model(b, {F({3}, {1, 2, 3})});
	REQUIRE(y[0].shape == Shape{2});
	REQUIRE(y[0].floats() == std::vector<float>{4, 5});
}

TEST_CASE("wrong inputs are input errors naming the input", "[exec]")
{
	ModelBuilder b = mlp(4, 8, 3);
	REQUIRE_THROWS_AS(run_model(b, {}), InputError);
	REQUIRE_THROWS_WITH(run_model(b, {F({1, 3}, {1, 2, 3})}),
			    Contains("input 'x' is float32[1,4], got float32[1,3]"));
}

TEST_CASE("Gemms sharing a weight with different alpha", "[exec][lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("B", {2, 2}, {1, 0, 0, 1});
	ModelBuilder::attr_float(b.node("Gemm", {"x", "B"}, {"h"}, "g2"), "alpha", 2.0f);
	ModelBuilder::attr_float(b.node("Gemm", {"h", "B"}, {"y"}, "g3"), "alpha", 3.0f);
	// y = 3 * (2 * x . I) . I = 6x; alpha stays in the op, so B is shared.
	REQUIRE(run_model(b, {F({1, 2}, {1, 2})})[0].floats() == std::vector<float>{6, 12});
	REQUIRE(b.lowered().weights.size() == 1);
}

TEST_CASE("a transformed weight never takes an initializer's name", "[exec][lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("B", {2, 2}, {1, 2, 3, 4});
	b.init("B.T", {2}, {10, 20});
	ModelBuilder::attr_int(b.node("Gemm", {"x", "B"}, {"h"}, "g"), "transB", 1);
	b.node("Add", {"h", "B.T"}, {"y"}, "add");
	Lowered l = b.lowered();
	std::vector<std::string> names;
	for (const LWeight &w : l.weights)
		names.push_back(w.name);
	REQUIRE(std::count(names.begin(), names.end(), "B.T") == 1);
	REQUIRE(names.size() == 2);
	// x . B^T + [10,20] with x = [1,1]: [1+2, 3+4] + [10, 20]
	REQUIRE(run_model(b, {F({1, 2}, {1, 1})})[0].floats() == std::vector<float>{13, 27});
}

TEST_CASE("the plan's work is what the kernel will charge", "[exec]")
{
	// MATMUL [1,4]x[4,8]: 32 multiply-adds; RELU fused; [1,8]x[8,3]: 24;
	// INPUT/OUTPUT one 4 KiB block each (64 units); arena clear / 16.
	Compiled c = mlp(4, 8, 3).compiled();
	REQUIRE(c.lowered.ops.size() == 4);
	REQUIRE(c.plan.work == 64 + 32 + 24 + 64 + c.plan.arena_bytes / KINFER_CLEAR_BYTES_PER_WORK);
}
