// SPDX-License-Identifier: GPL-2.0
// Import and the graph passes, each on its own: shapes and errors of the
// infer pass, constant folding, the fusions, dead-node removal.
#include "error.h"
#include "onnx_builders.h"

#include <uapi/kinfer.h>

#include <catch2/catch.hpp>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

static Graph inferred(const ModelBuilder &b)
{
	Graph g = b.imported();
	infer_graph(g);
	return g;
}

static const Node &live(const Graph &g, const std::string &op)
{
	for (const Node &n : g.nodes)
		if (!n.dead && n.op == op)
			return n;
	throw std::runtime_error("no live " + op);
}

static size_t live_count(const Graph &g)
{
	size_t k = 0;
	for (const Node &n : g.nodes)
		k += !n.dead;
	return k;
}

TEST_CASE("a well-formed MLP infers its shapes", "[passes][infer]")
{
	Graph g = inferred(mlp(4, 8, 3));
	REQUIRE(g.inputs == std::vector<std::string>{"x"});
	REQUIRE(g.outputs == std::vector<std::string>{"y"});
	REQUIRE(g.value("h0").shape == Shape{1, 8});
	REQUIRE(g.value("y").shape == Shape{1, 3});
	REQUIRE(g.value("y").dtype == DType::f32);
	REQUIRE(g.opset == 17);
}

TEST_CASE("wrong weight dims name the node, the weight and the cause", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 32}).output("y", {1, 10});
	b.init("params/Dense_1/kernel", {64, 10}, std::vector<float>(640, 0.0f));
	b.node("Relu", {"x"}, {"a"}, "r0");
	b.node("MatMul", {"a", "params/Dense_1/kernel"}, {"y"}, "Dense_1/MatMul");
	REQUIRE_THROWS_WITH(inferred(b), "model.onnx: node 1 'Dense_1/MatMul' (MatMul): operands "
					 "[1,32] and [64,10] do not multiply (inner dimensions 32 and 64)");
}

TEST_CASE("unknown operators are named with the supported list", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 4});
	b.node("Relu", {"x"}, {"a"}, "first");
	b.node("NoSuchOp", {"a"}, {"y"}, "mystery");
	REQUIRE_THROWS_WITH(inferred(b), StartsWith("model.onnx: node 1 'mystery' (NoSuchOp): "
						    "unsupported operator 'NoSuchOp'") &&
						 Contains("MatMul"));
	try {
		inferred(b);
	} catch (const Error &e) {
		REQUIRE(e.code() == Exit::invalid);
	}
}

TEST_CASE("a missing initializer names the node and the tensor", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 2});
	b.node("MatMul", {"x", "params/W"}, {"y"}, "mm");
	REQUIRE_THROWS_WITH(inferred(b), StartsWith("model.onnx: node 0 'mm' (MatMul): input "
						    "'params/W' is not") &&
						 Contains("missing initializer"));
}

TEST_CASE("data types a node does not take are refused", "[passes][infer]")
{
	SECTION("an int32 weight for MatMul")
	{
		ModelBuilder b;
		b.input("x", {1, 2}).output("y", {1, 2});
		b.init_i32("W", {2, 2}, {1, 2, 3, 4});
		b.node("MatMul", {"x", "W"}, {"y"}, "mm");
		REQUIRE_THROWS_WITH(inferred(b), Contains("node 0 'mm' (MatMul)") &&
							 Contains("constant 'W' is int32") &&
							 Contains("float32"));
	}
	SECTION("a double input")
	{
		ModelBuilder b;
		b.input("x", {1, 2}, onnx::TensorProto::DOUBLE).output("y", {1, 2});
		b.node("Relu", {"x"}, {"y"});
		REQUIRE_THROWS_WITH(b.imported(), Contains("graph input 'x'") && Contains("DOUBLE"));
	}
	SECTION("mixed operand types")
	{
		ModelBuilder b;
		b.input("x", {2}).output("y", {2});
		b.init_i64("c", {2}, {1, 2});
		b.node("Add", {"x", "c"}, {"y"}, "add");
		REQUIRE_THROWS_WITH(inferred(b), Contains("'add' (Add)") && Contains("float32") &&
							 Contains("int64"));
	}
}

TEST_CASE("attribute types are checked", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 4});
	b.init("W", {3, 4}, std::vector<float>(12, 1.0f));
	ModelBuilder::attr_int(b.node("Gemm", {"x", "W"}, {"y"}, "g"), "alpha", 2);
	REQUIRE_THROWS_WITH(inferred(b), "model.onnx: node 0 'g' (Gemm): attribute 'alpha' must be "
					 "FLOAT, not INT");

	ModelBuilder u;
	u.input("x", {2, 3}).output("y", {2, 3});
	ModelBuilder::attr_int(u.node("Relu", {"x"}, {"y"}, "r"), "alpha", 1);
	REQUIRE_THROWS_WITH(inferred(u), Contains("'r' (Relu)") &&
					 Contains("attribute 'alpha' is not supported (Relu takes none)"));
}

TEST_CASE("dynamic dimensions are refused unless given", "[passes][import]")
{
	ModelBuilder b;
	b.input_dynamic("x", {1, 4}, 0, "batch").output("y", {1, 4});
	b.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(b.imported(), Contains("model.onnx") && Contains("'x'") &&
						  Contains("dynamic dimension 0 ('batch')") &&
						  Contains("--shape x="));
	Graph g = import_model(b.model(), "model.onnx", {{"x", {3, 4}}});
	REQUIRE(g.value("x").shape == Shape{3, 4});
	REQUIRE_THROWS_WITH(import_model(b.model(), "m.onnx", {{"x", {3, 5}}}),
			    Contains("sets dimension 1 to 5 but the model fixes it to 4"));
	REQUIRE_THROWS_WITH(import_model(b.model(), "m.onnx", {{"z", {3}}}),
			    Contains("--shape names 'z', which is not a graph input"));
	REQUIRE(parse_shape_override("x=1,32") == std::make_pair(std::string("x"), Shape{1, 32}));
	REQUIRE_THROWS_AS(parse_shape_override("x=1,,2"), UsageError);
	REQUIRE_THROWS_AS(parse_shape_override("x=0"), UsageError);
	REQUIRE_THROWS_AS(parse_shape_override("=3"), UsageError);
}

TEST_CASE("initializer data must match its dims", "[passes][import]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("W", {2, 2}, {1, 2, 3});
	b.node("MatMul", {"x", "W"}, {"y"});
	REQUIRE_THROWS_WITH(b.imported(), Contains("initializer 'W'") && Contains("holds 3 values") &&
						  Contains("needs 4"));
}

TEST_CASE("opset and domain checks", "[passes][import]")
{
	ModelBuilder old(5);
	old.input("x", {1}).output("y", {1});
	old.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(old.imported(), Contains("opset 5 is not supported"));

	ModelBuilder b;
	b.input("x", {1}).output("y", {1});
	b.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
	REQUIRE_THROWS_WITH(inferred(b), Contains("node 0 'r' (Relu)") && Contains("com.microsoft"));

	ModelBuilder k;
	k.input("x", {1}).output("y", {1});
	k.node("Linear", {"x", "x"}, {"y"}, "l").set_domain("kinfer");
	REQUIRE_THROWS_WITH(inferred(k), Contains("internal operator kinfer.Linear"));
}

TEST_CASE("softmax axis is checked against the rank", "[passes][infer]")
{
	ModelBuilder b(13);
	b.input("x", {2, 3}).output("y", {2, 3});
	ModelBuilder::attr_int(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 2);
	REQUIRE_THROWS_WITH(inferred(b), Contains("'sm' (Softmax)") &&
					 Contains("axis 2 is out of range for rank 2"));
}

TEST_CASE("broadcasting that numpy refuses is refused", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 3});
	b.init("c", {2, 2}, {1, 2, 3, 4});
	b.node("Add", {"x", "c"}, {"y"}, "add");
	REQUIRE_THROWS_WITH(inferred(b), Contains("'add' (Add)") &&
					 Contains("operands [2,3] and [2,2] do not broadcast"));
}

TEST_CASE("reshape, flatten, squeeze and unsqueeze infer shapes", "[passes][infer]")
{
	ModelBuilder b(13);
	b.input("x", {2, 3, 4}).output("y", {1, 6, 4});
	b.init_i64("shape", {2}, {-1, 4});
	b.init_i64("axes0", {1}, {0});
	b.node("Identity", {"x"}, {"a"});
	b.node("Flatten", {"a"}, {"f"});
	b.node("Reshape", {"f", "shape"}, {"r"});
	b.node("Unsqueeze", {"r", "axes0"}, {"u"});
	b.node("Squeeze", {"u", "axes0"}, {"s"});
	b.node("Unsqueeze", {"s", "axes0"}, {"y"});
	Graph g = inferred(b);
	REQUIRE(g.value("f").shape == Shape{2, 12});
	REQUIRE(g.value("r").shape == Shape{6, 4});
	REQUIRE(g.value("u").shape == Shape{1, 6, 4});
	REQUIRE(g.value("s").shape == Shape{6, 4});
	// Views emit no kernel op: INPUT then OUTPUT of the same storage.
	Lowered l = b.lowered();
	REQUIRE(l.ops.size() == 2);
	REQUIRE(l.ops[1].in[0].index == l.ops[0].out[0].index);
	REQUIRE(l.ops[1].in[0].shape == Shape{1, 6, 4});
}

TEST_CASE("declared output shapes and types must match", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 5});
	b.node("Relu", {"x"}, {"y"});
	REQUIRE_THROWS_WITH(inferred(b), Contains("graph output 'y' is declared as [1,5] but computes [1,4]"));
}

TEST_CASE("tensor names must be unique", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 4});
	b.node("Relu", {"x"}, {"y"}, "a");
	b.node("Relu", {"x"}, {"y"}, "b");
	REQUIRE_THROWS_WITH(inferred(b), Contains("node 1 'b' (Relu)") && Contains("already defined"));
}

TEST_CASE("gemm shapes with transB", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 4});
	b.init("W", {4, 3}, std::vector<float>(12, 1.0f));
	ModelBuilder::attr_int(b.node("Gemm", {"x", "W"}, {"y"}, "g"), "transB", 1);
	REQUIRE(inferred(b).value("y").shape == Shape{2, 4});

	ModelBuilder bad;
	bad.input("x", {2, 3}).output("y", {2, 4});
	bad.init("W", {4, 3}, std::vector<float>(12, 1.0f));
	bad.node("Gemm", {"x", "W"}, {"y"}, "g");
	REQUIRE_THROWS_WITH(inferred(bad), Contains("'g' (Gemm)") && Contains("has shape [4,3]") &&
						   Contains("A provides 3 columns"));
}

TEST_CASE("a Reshape target whose size product would wrap is refused", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 3});
	b.init_i64("s", {3}, {4, int64_t(1) << 62, -1});
	b.node("Reshape", {"x", "s"}, {"y"}, "r");
	REQUIRE_THROWS_WITH(inferred(b), Contains("node 0 'r' (Reshape)") && Contains("too large"));
}

TEST_CASE("a Reshape whose shape is not constant names the input", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).input("s", {2}, onnx::TensorProto::INT64).output("y", {3, 2});
	b.node("Reshape", {"x", "s"}, {"y"}, "r");
	REQUIRE_THROWS_WITH(inferred(b), Contains("node 0 'r' (Reshape)") &&
					 Contains("target shape (input 's') must be a constant"));
}

TEST_CASE("an unusable constant is refused where it is used", "[passes][infer]")
{
	ModelBuilder b;
	b.input("x", {1, 1}).output("y", {1, 1});
	b.init_i32("W", {int64_t(1) << 40, int64_t(1) << 40}, {});
	b.node("Flatten", {"W"}, {"f"}, "flat");
	b.node("Relu", {"x"}, {"y"}, "r");
	REQUIRE_THROWS_WITH(inferred(b), Contains("node 0 'flat' (Flatten)") &&
					 Contains("constant 'W' is larger than"));
}

TEST_CASE("shape subgraphs fold to constants", "[passes][fold]")
{
	// Reshape(x, Shape(x)) and Flatten(Constant) are compile-time values.
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 3});
	b.node("Shape", {"x"}, {"s"}, "shape");
	b.node("Reshape", {"x", "s"}, {"y"}, "r");
	Graph g = inferred(b);
	REQUIRE(g.value("s").constant);
	REQUIRE(g.value("s").data.ints() == std::vector<int64_t>{2, 3});
	REQUIRE(g.value("y").shape == Shape{2, 3});
}

TEST_CASE("nodes of constants are computed with the kernel's code", "[passes][fold]")
{
	ModelBuilder b;
	b.input("x", {2}).output("y", {2});
	b.init("a", {2}, {1, 2});
	b.init("c", {2}, {10, 20});
	b.node("Mul", {"a", "c"}, {"ac"}, "fold_me");
	b.node("Relu", {"ac"}, {"r"}, "and_me");
	b.node("Add", {"x", "r"}, {"y"}, "runtime");
	Graph g = b.graph();
	REQUIRE(g.value("r").constant);
	REQUIRE(g.value("r").data.floats() == std::vector<float>{10, 40});
	Lowered l = lower_graph(g);
	REQUIRE(l.ops.size() == 3);	// INPUT, ADD, OUTPUT
	REQUIRE(l.ops[1].op == KINFER_OP_ADD);
	REQUIRE(l.weights.size() == 1);
}

TEST_CASE("MatMul + Add of a constant bias fuse into one op", "[passes][fuse]")
{
	Graph g = mlp(4, 8, 3).graph();
	const Node &lin = live(g, "Linear");
	REQUIRE(lin.domain == "kinfer");
	REQUIRE(lin.in.size() == 3);
	REQUIRE(lin.in[2] == "params/Dense_0/bias");
	REQUIRE(lin.fused == std::vector<std::string>{"Dense_0/Add", "act"});
	REQUIRE(lin.attrs.at("act").i() == KINFER_OP_RELU);
	REQUIRE(live_count(g) == 2);
}

TEST_CASE("fusions keep values other nodes read", "[passes][fuse]")
{
	// h0 has two readers: MatMul is not fused with either Add.
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2}).output("z", {1, 2});
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.init("c", {2}, {1, 1});
	b.node("MatMul", {"x", "W"}, {"h0"}, "mm");
	b.node("Add", {"h0", "c"}, {"y"}, "add");
	b.node("Relu", {"h0"}, {"z"}, "relu");
	Graph g = b.graph();
	REQUIRE(live(g, "MatMul").fused.empty());
	REQUIRE(live_count(g) == 3);
	std::vector<HostTensor> out = run_model(b, {F({1, 2}, {-1, 2})});
	REQUIRE(out[0].floats() == std::vector<float>{0, 3});
	REQUIRE(out[1].floats() == std::vector<float>{0, 2});
}

TEST_CASE("an activation that is a graph output is not fused away", "[passes][fuse]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("h", {1, 2}).output("y", {1, 2});
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.node("MatMul", {"x", "W"}, {"h"}, "mm");
	b.node("Sigmoid", {"h"}, {"y"}, "sig");
	Graph g = b.graph();
	REQUIRE(live_count(g) == 2);
}

TEST_CASE("nodes no output depends on are removed", "[passes][dce]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.node("Relu", {"x"}, {"y"}, "used");
	b.node("Tanh", {"x"}, {"unused"}, "unused");
	Graph g = b.imported();
	infer_graph(g);
	REQUIRE(live_count(g) == 2);
	remove_dead(g);
	REQUIRE(live_count(g) == 1);
	REQUIRE(b.lowered().ops.size() == 3);
}

TEST_CASE("a softmax row beyond one section is refused naming the node", "[passes]")
{
	ModelBuilder b;
	const int64_t n = (int64_t)kSectionWork;
	b.input("x", {1, n}).output("y", {1, n});
	ModelBuilder::attr_int(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", -1);
	REQUIRE_THROWS_WITH(b.compiled(), Contains("kernel node 1 (SOFTMAX) for ONNX node 'sm'") &&
					  Contains("E2BIG"));
}
