// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "onnx_builders.h"
#include "reference.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

static std::vector<Tensor> run(const ModelBuilder &b, std::vector<Tensor> in)
{
	Lowered l = b.lowered();
	Plan p = plan_model(l);
	return reference_run(l, p, in);
}

TEST_CASE("2-layer network against values computed by hand", "[reference]")
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
	std::vector<Tensor> y = run(b, {Tensor{{1, 2}, {1, 2}}});
	REQUIRE(y.size() == 1);
	REQUIRE(y[0].shape == Shape{1, 2});
	REQUIRE(y[0].data[0] == Approx(3.0f));
	REQUIRE(y[0].data[1] == Approx(1.25f));
}

TEST_CASE("softmax, sigmoid and tanh by hand", "[reference]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("s", {2, 2}).output("g", {2, 2}).output("t", {2, 2});
	b.node("Softmax", {"x"}, {"s"});
	b.node("Sigmoid", {"x"}, {"g"});
	b.node("Tanh", {"x"}, {"t"});
	std::vector<Tensor> y = run(b, {Tensor{{2, 2}, {0, std::log(3.0f), 1, 1}}});
	// Row 0: e^0 : e^ln3 = 1 : 3 -> [0.25, 0.75]; row 1 equal -> [0.5, 0.5].
	REQUIRE(y[0].data[0] == Approx(0.25f));
	REQUIRE(y[0].data[1] == Approx(0.75f));
	REQUIRE(y[0].data[2] == Approx(0.5f));
	REQUIRE(y[1].data[0] == Approx(0.5f));
	REQUIRE(y[1].data[2] == Approx(1.0f / (1.0f + std::exp(-1.0f))));
	REQUIRE(y[2].data[1] == Approx(std::tanh(std::log(3.0f))));	// = 0.8
	REQUIRE(y[2].data[1] == Approx(0.8f));
}

TEST_CASE("broadcast add/mul and constants by hand", "[reference]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).input("r", {3}).output("y", {2, 3});
	b.init("c", {3}, {1, 2, 3});
	b.init("k", {1}, {10});
	b.node("Mul", {"x", "c"}, {"a"});	// [1,2,3,4,5,6] * [1,2,3]
	b.node("Add", {"a", "r"}, {"bb"});	// + [1,1,1]
	b.node("Mul", {"k", "bb"}, {"y"});	// * 10
	std::vector<Tensor> y = run(b, {Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}}, Tensor{{3}, {1, 1, 1}}});
	REQUIRE(y[0].data == std::vector<float>{20, 50, 100, 50, 110, 190});
}

TEST_CASE("Gemm with transB and a C matrix by hand", "[reference]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("y", {2, 2});
	b.init("W", {2, 2}, {1, 2, 3, 4});	// transB: x . W^T
	b.init("C", {2, 1}, {100, 200});
	auto &g = b.node("Gemm", {"x", "W", "C"}, {"y"});
	ModelBuilder::attr_int(g, "transB", 1);
	ModelBuilder::attr_float(g, "beta", 0.5f);
	// x = [[1,0],[0,1]] -> x.W^T = W^T = [[1,3],[2,4]]; + 0.5*C = [[50],[100]]
	std::vector<Tensor> y = run(b, {Tensor{{2, 2}, {1, 0, 0, 1}}});
	REQUIRE(y[0].data == std::vector<float>{51, 53, 102, 104});
}

TEST_CASE("wrong input count or size is an input error", "[reference]")
{
	ModelBuilder b = mlp(4, 8, 3);
	REQUIRE_THROWS_AS(run(b, {}), InputError);
	REQUIRE_THROWS_WITH(run(b, {Tensor{{1, 3}, {1, 2, 3}}}), Contains("'x' needs 4 values"));
}

TEST_CASE("Gemms sharing a weight with different alpha keep their own copies", "[reference][lower]")
{
	// Review finding: transformed weights were deduplicated by initializer
	// name, so the second Gemm reused the first one's alpha-scaled copy.
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("B", {2, 2}, {1, 0, 0, 1});
	ModelBuilder::attr_float(b.node("Gemm", {"x", "B"}, {"h"}, "g2"), "alpha", 2.0f);
	ModelBuilder::attr_float(b.node("Gemm", {"h", "B"}, {"y"}, "g3"), "alpha", 3.0f);
	// y = 3 * (2 * x . I) . I = 6x
	std::vector<Tensor> y = run(b, {Tensor{{1, 2}, {1, 2}}});
	REQUIRE(y[0].data == std::vector<float>{6, 12});
	Lowered l = b.lowered();
	REQUIRE(l.weights.size() == 2);
	REQUIRE(l.weights[0].name != l.weights[1].name);
}

TEST_CASE("a transformed weight never takes an initializer's name", "[lower]")
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
	std::vector<Tensor> y = run(b, {Tensor{{1, 2}, {1, 1}}});
	REQUIRE(y[0].data == std::vector<float>{13, 27});
}
