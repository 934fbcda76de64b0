// SPDX-License-Identifier: GPL-2.0
#include "naming.h"
#include "onnx_builders.h"

#include <catch2/catch.hpp>

using namespace kinfer;
using namespace kinfer_test;

static std::vector<std::string> op_names(const Lowered &l)
{
	std::vector<std::string> r;
	for (const LOp &op : l.ops)
		r.push_back(op_name(op.op));
	return r;
}

TEST_CASE("MatMul + Add(bias) fuse into DENSE", "[lower]")
{
	Lowered l = mlp(4, 8, 3).lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "DENSE", "RELU", "DENSE", "OUTPUT"});
	const LOp &d0 = l.ops[1];
	REQUIRE(d0.dims[0] == 1);
	REQUIRE(d0.dims[1] == 4);
	REQUIRE(d0.dims[2] == 8);
	REQUIRE(l.weights[d0.w0].name == "params/Dense_0/kernel");
	REQUIRE(l.weights[d0.w1].name == "params/Dense_0/bias");
	REQUIRE(d0.onnx_nodes == std::vector<std::string>{"Dense_0/MatMul", "Dense_0/Add"});
	REQUIRE(l.ops[2].onnx_nodes == std::vector<std::string>{"act"});
	REQUIRE(l.weights.size() == 4);
	REQUIRE(l.inputs.size() == 1);
	REQUIRE(l.outputs.size() == 1);
	REQUIRE(l.outputs[0].bytes == 12);
}

TEST_CASE("MatMul whose output has two readers is not fused", "[lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 3}).output("h", {1, 3});
	b.init("W", {2, 3}, std::vector<float>(6, 1.0f));
	b.init("b", {3}, {1, 2, 3});
	b.node("MatMul", {"x", "W"}, {"h"}, "mm");
	b.node("Add", {"h", "b"}, {"y"}, "add");
	Lowered l = b.lowered();
	REQUIRE(op_names(l) ==
		std::vector<std::string>{"INPUT", "MATMUL", "ADD_CONST", "OUTPUT", "OUTPUT"});
	REQUIRE(l.ops[2].dims[0] == 3);
	REQUIRE(l.ops[2].dims[1] == 3);
}

TEST_CASE("Add/Mul with constants and activations", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 4}).input("z", {4}).output("y", {2, 4});
	b.init("s", {1}, {2.0f});
	b.node("Mul", {"s", "x"}, {"a"}, "scale");	// constant first: still MUL_CONST
	b.node("Add", {"z", "a"}, {"c"}, "addz");	// smaller first: swapped
	b.node("Sigmoid", {"c"}, {"d"});
	b.node("Tanh", {"d"}, {"e"});
	b.node("Mul", {"e", "e"}, {"y"}, "sq");
	Lowered l = b.lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "INPUT", "MUL_CONST", "ADD", "SIGMOID",
							 "TANH", "MUL", "OUTPUT"});
	const LOp &add = l.ops[3];
	REQUIRE(l.tensors[add.in0].name == "a");
	REQUIRE(l.tensors[add.in1].name == "z");
	REQUIRE(add.dims[0] == 8);
	REQUIRE(add.dims[1] == 4);
	REQUIRE(l.ops[2].dims[1] == 1);
}

TEST_CASE("layout-only ops alias their input", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {6});
	b.init_i64("shape", {1}, {6});
	b.node("Identity", {"x"}, {"a"});
	b.node("Flatten", {"a"}, {"f"});
	b.node("Reshape", {"f", "shape"}, {"r"});
	b.node("Relu", {"r"}, {"y"});
	Lowered l = b.lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "RELU", "OUTPUT"});
	REQUIRE(l.ops[1].in0 == l.ops[0].out);
	REQUIRE(l.tensors.size() == 2);
}

TEST_CASE("Gemm with transB, alpha and a bias row lowers to DENSE", "[lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 3});
	b.init("W", {3, 2}, {1, 2, 3, 4, 5, 6});	// [N,K]
	b.init("C", {3}, {1, 1, 1});
	auto &g = b.node("Gemm", {"x", "W", "C"}, {"y"}, "gemm");
	ModelBuilder::attr_int(g, "transB", 1);
	ModelBuilder::attr_float(g, "alpha", 2.0f);
	Lowered l = b.lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "DENSE", "OUTPUT"});
	const LWeight &w = l.weights[l.ops[1].w0];
	REQUIRE(w.name == "W.T.scaled");
	REQUIRE(w.shape == Shape{2, 3});
	REQUIRE(w.data == std::vector<float>{2, 6, 10, 4, 8, 12});
	REQUIRE(l.weights[l.ops[1].w1].name == "C");
}

TEST_CASE("Gemm with a full C matrix lowers to MATMUL + ADD_CONST", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("y", {2, 2});
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.init("C", {2, 1}, {10, 20});
	b.node("Gemm", {"x", "W", "C"}, {"y"}, "gemm");
	Lowered l = b.lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "MATMUL", "ADD_CONST", "OUTPUT"});
	const LWeight &c = l.weights[l.ops[2].w0];
	REQUIRE(c.data == std::vector<float>{10, 10, 20, 20});
	REQUIRE(l.ops[1].onnx_nodes == l.ops[2].onnx_nodes);
}

TEST_CASE("batched MatMul flattens leading dimensions into rows", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 3, 4}).output("y", {2, 3, 5});
	b.init("W", {4, 5}, std::vector<float>(20, 0.5f));
	b.node("MatMul", {"x", "W"}, {"y"});
	Lowered l = b.lowered();
	REQUIRE(l.ops[1].op == KINFER_OP_MATMUL);
	REQUIRE(l.ops[1].dims[0] == 6);
	REQUIRE(l.ops[1].dims[1] == 4);
	REQUIRE(l.ops[1].dims[2] == 5);
	REQUIRE(l.ops[1].onnx_nodes == std::vector<std::string>{"MatMul#0"});
}

TEST_CASE("shared initializers get one weight", "[lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("W", {2, 2}, {1, 2, 3, 4});
	b.node("MatMul", {"x", "W"}, {"a"});
	b.node("MatMul", {"a", "W"}, {"y"});
	REQUIRE(b.lowered().weights.size() == 1);
}

TEST_CASE("Constant nodes feed Reshape and constant operands", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 2}).output("y", {4});
	auto &shape = b.node("Constant", {}, {"shape"}, "c_shape");
	auto *a = shape.add_attribute();
	a->set_name("value_ints");
	a->set_type(onnx::AttributeProto::INTS);
	a->add_ints(4);
	auto &k = b.node("Constant", {}, {"k"}, "c_k");
	auto *f = k.add_attribute();
	f->set_name("value_float");
	f->set_type(onnx::AttributeProto::FLOAT);
	f->set_f(3.0f);
	b.node("Reshape", {"x", "shape"}, {"r"});
	b.node("Mul", {"r", "k"}, {"y"});
	Lowered l = b.lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "MUL_CONST", "OUTPUT"});
	REQUIRE(l.weights.size() == 1);
	REQUIRE(l.weights[0].name == "k");
	REQUIRE(l.weights[0].data == std::vector<float>{3.0f});
}

TEST_CASE("kernel map names and pin paths derive from initializer names", "[lower][naming]")
{
	REQUIRE(weight_map_name("params/Dense_0/kernel") == "Dense_0.kernel");
	REQUIRE(weight_map_name("params/Encoder/Layer_11/attention/query/kernel") ==
		"on.query.kernel");	// the last 15 chars
	REQUIRE(weight_map_name("dense/kernel:0") == "dense.kernel_0");
	REQUIRE(weight_map_name("params/Dense_0/kernel").size() <= 15);
	REQUIRE(own_map_name(kConfigMap, "mlp_relu") == "cfg.mlp_relu");
	REQUIRE(own_map_name(kMetaMap, "my-model-with-a-long-name") == "meta.my_model_w");
	REQUIRE(prog_name("mlp") == "kinfer_mlp");
	REQUIRE(prog_name("a-very-long-model-name") == "kinfer_a_very_l");
	REQUIRE(valid_model_name("mlp-1.v2_x"));
	REQUIRE_FALSE(valid_model_name(""));
	REQUIRE_FALSE(valid_model_name(".."));
	REQUIRE_FALSE(valid_model_name("a/b"));
	REQUIRE_FALSE(valid_model_name(std::string(32, 'a')));
	REQUIRE(model_name_from_path("/x/my model.onnx") == "my_model");

	Lowered l;
	auto add = [&](const std::string &n) { l.weights.push_back(LWeight{n, n, {1}, {0.0f}}); };
	add("params/Dense_0/kernel");
	add("../etc/passwd");
	add("a");
	add("a/b");	// "a" is already a file
	add("x:0");
	add("x_0");	// sanitizes to the same path
	std::vector<WeightNames> n = weight_names(l);
	REQUIRE(n[0].pin_rel == "weights/params/Dense_0/kernel");
	REQUIRE(n[1].pin_rel == "weights/_/etc/passwd");
	REQUIRE(n[2].pin_rel == "weights/a");
	REQUIRE(n[3].pin_rel == "weights/a.b");
	REQUIRE(n[4].pin_rel == "weights/x_0");
	REQUIRE(n[5].pin_rel == "weights/x_0~1");
}
