// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "onnx_builders.h"

#include <uapi/kinfer.h>

#include <catch2/catch.hpp>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("a well-formed MLP validates with inferred shapes", "[validate]")
{
	Graph g = mlp(4, 8, 3).graph();
	REQUIRE(g.inputs == std::vector<std::string>{"x"});
	REQUIRE(g.outputs == std::vector<std::string>{"y"});
	REQUIRE(g.tensor("h0").shape == Shape{1, 8});
	REQUIRE(g.tensor("y").shape == Shape{1, 3});
	REQUIRE(g.opset == 17);
}

TEST_CASE("wrong weight dims name the node, the weight and the cause", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 32}).output("y", {1, 10});
	b.init("params/Dense_1/kernel", {64, 10}, std::vector<float>(640, 0.0f));
	b.node("Relu", {"x"}, {"a"}, "r0");
	b.node("Relu", {"a"}, {"b"}, "r1");
	b.node("Relu", {"b"}, {"c"}, "r2");
	b.node("MatMul", {"c", "params/Dense_1/kernel"}, {"y"}, "Dense_1/MatMul");
	REQUIRE_THROWS_WITH(b.graph(), "model.onnx: node 3 'Dense_1/MatMul' (MatMul): weight "
				       "'params/Dense_1/kernel' has shape [64,10] but input has 32 columns");
}

TEST_CASE("unknown operators are named with the supported list", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 4});
	b.node("Relu", {"x"}, {"a"}, "first");
	b.node("Conv", {"a"}, {"y"}, "conv1");
	REQUIRE_THROWS_WITH(b.graph(), StartsWith("model.onnx: node 1 'conv1' (Conv): unsupported "
						  "operator 'Conv'") &&
					       Contains("MatMul"));
	try {
		b.graph();
	} catch (const Error &e) {
		REQUIRE(e.code() == Exit::invalid);
	}
}

TEST_CASE("a missing initializer names the node and the tensor", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 2});
	b.node("MatMul", {"x", "params/W"}, {"y"}, "mm");
	REQUIRE_THROWS_WITH(b.graph(), StartsWith("model.onnx: node 0 'mm' (MatMul): input "
						  "'params/W' is not") &&
					       Contains("missing initializer"));
}

TEST_CASE("non-float data types are refused", "[validate]")
{
	SECTION("an int32 weight")
	{
		ModelBuilder b;
		b.input("x", {1, 2}).output("y", {1, 2});
		b.init_i32("W", {2, 2}, {1, 2, 3, 4});
		b.node("MatMul", {"x", "W"}, {"y"}, "mm");
		REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'mm' (MatMul)") &&
						       Contains("weight 'W'") && Contains("INT32") &&
						       Contains("float32"));
	}
	SECTION("a double input")
	{
		ModelBuilder b;
		b.input("x", {1, 2}, onnx::TensorProto::DOUBLE).output("y", {1, 2});
		b.node("Relu", {"x"}, {"y"});
		REQUIRE_THROWS_WITH(b.graph(), Contains("graph input 'x'") && Contains("DOUBLE"));
	}
}

TEST_CASE("dynamic dimensions are refused", "[validate]")
{
	ModelBuilder b;
	b.input_dynamic("x", {1, 4}, 0, "batch").output("y", {1, 4});
	b.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(b.graph(), Contains("model.onnx") && Contains("'x'") &&
					       Contains("dynamic dimension 0 ('batch')") &&
					       Contains("static"));
}

TEST_CASE("initializer data must match its dims", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("W", {2, 2}, {1, 2, 3});
	b.node("MatMul", {"x", "W"}, {"y"});
	REQUIRE_THROWS_WITH(b.graph(), Contains("initializer 'W'") && Contains("holds 3 values") &&
					       Contains("needs 4"));
}

TEST_CASE("opset and domain checks", "[validate]")
{
	ModelBuilder old(5);
	old.input("x", {1}).output("y", {1});
	old.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(old.graph(), Contains("opset 5 is not supported"));

	ModelBuilder b;
	b.input("x", {1}).output("y", {1});
	b.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'r' (Relu)") && Contains("com.microsoft"));
}

TEST_CASE("softmax axis rules follow the opset", "[validate]")
{
	ModelBuilder b(13);
	b.input("x", {2, 3}).output("y", {2, 3});
	ModelBuilder::attr_int(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 0);
	REQUIRE_THROWS_WITH(b.graph(), Contains("'sm' (Softmax)") && Contains("only the last axis"));

	// Before opset 13, axis=1 of [2,3,4] means rows of 12.
	ModelBuilder o(11);
	o.input("x", {2, 3, 4}).output("y", {2, 3, 4});
	o.node("Softmax", {"x"}, {"y"}, "sm");
	Graph g = o.graph();
	REQUIRE(g.nodes[0].rows == 2);
	REQUIRE(g.nodes[0].cols == 12);
}

TEST_CASE("unsupported broadcasting is refused", "[validate]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 3});
	b.init("c", {2, 1}, {1, 2});
	b.node("Add", {"x", "c"}, {"y"}, "add");
	REQUIRE_THROWS_WITH(b.graph(), Contains("'add' (Add)") && Contains("broadcasting [2,3] with [2,1]"));
}

TEST_CASE("reshape, flatten and identity infer shapes", "[validate]")
{
	ModelBuilder b;
	b.input("x", {2, 3, 4}).output("y", {6, 4});
	b.init_i64("shape", {2}, {-1, 4});
	b.node("Identity", {"x"}, {"a"});
	b.node("Flatten", {"a"}, {"f"});
	b.node("Reshape", {"f", "shape"}, {"y"});
	Graph g = b.graph();
	REQUIRE(g.tensor("f").shape == Shape{2, 12});
	REQUIRE(g.tensor("y").shape == Shape{6, 4});
}

TEST_CASE("declared output shapes must match", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 5});
	b.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(b.graph(), Contains("graph output 'y' is declared as [1,5] but computes [1,4]"));
}

TEST_CASE("tensor names must be unique", "[validate]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 4});
	b.node("Relu", {"x"}, {"y"}, "a");
	b.node("Relu", {"x"}, {"y"}, "b");
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 1 'b' (Relu)") && Contains("already defined"));
}

TEST_CASE("gemm shapes with transB", "[validate]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 4});
	b.init("W", {4, 3}, std::vector<float>(12, 1.0f));
	ModelBuilder::attr_int(b.node("Gemm", {"x", "W"}, {"y"}, "g"), "transB", 1);
	REQUIRE(b.graph().tensor("y").shape == Shape{2, 4});

	ModelBuilder bad;
	bad.input("x", {2, 3}).output("y", {2, 4});
	bad.init("W", {4, 3}, std::vector<float>(12, 1.0f));
	bad.node("Gemm", {"x", "W"}, {"y"}, "g");
	REQUIRE_THROWS_WITH(bad.graph(), Contains("'g' (Gemm)") && Contains("has shape [4,3]") &&
						 Contains("3 columns"));
}

TEST_CASE("a Reshape target whose size product would wrap is refused", "[validate]")
{
	// Review finding: 4 * 2^62 wrapped to 0 and the -1 inference divided by it.
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 3});
	b.init_i64("s", {3}, {4, int64_t(1) << 62, -1});
	b.node("Reshape", {"x", "s"}, {"y"}, "r");
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'r' (Reshape)") && Contains("too large"));
}

TEST_CASE("a constant operand larger than the activation is refused", "[validate]")
{
	// Review finding: Add(x[3], C[2,3]) lowered to an op reading 6 floats of x.
	ModelBuilder b;
	b.input("x", {3}).output("y", {2, 3});
	b.init("C", {2, 3}, std::vector<float>(6, 1.0f));
	b.node("Add", {"x", "C"}, {"y"}, "add");
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'add' (Add)") &&
				       Contains("constant operand [2,3] is larger than the activation [3]"));
}

TEST_CASE("Flatten of an unusable constant is refused before shape math", "[validate]")
{
	// Review finding: dims [2^40, 2^40] overflowed int64 in Flatten.
	ModelBuilder b;
	b.input("x", {1, 1}).output("y", {1, 1});
	b.init_i32("W", {int64_t(1) << 40, int64_t(1) << 40}, {});
	b.node("Flatten", {"W"}, {"f"}, "flat");
	b.node("Relu", {"x"}, {"y"}, "r");
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'flat' (Flatten)"));
}

TEST_CASE("a softmax row longer than the kernel's cap is refused by name", "[validate]")
{
	ModelBuilder b;
	const int64_t n = KINFER_MAX_SOFTMAX_N + 1;
	b.input("x", {1, n}).output("y", {1, n});
	ModelBuilder::attr_int(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", -1);
	REQUIRE_THROWS_WITH(b.graph(), Contains("node 0 'sm' (Softmax)") &&
				       Contains("softmax rows of 262145 elements") &&
				       Contains("KINFER_MAX_SOFTMAX_N"));
}
