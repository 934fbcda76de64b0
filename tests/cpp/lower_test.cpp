// SPDX-License-Identifier: GPL-2.0
#include "naming.h"
#include "onnx_builders.h"
#include "ops.h"

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

static kinfer_attr_matmul matmul_attr(const LOp &op)
{
	kinfer_attr_matmul a;
	REQUIRE(op.attr.size() == sizeof(a));
	std::memcpy(&a, op.attr.data(), sizeof(a));
	return a;
}

TEST_CASE("MatMul + Add(bias) + Relu lower to one MATMUL", "[lower]")
{
	Lowered l = mlp(4, 8, 3).lowered();
	REQUIRE(op_names(l) == std::vector<std::string>{"INPUT", "MATMUL", "MATMUL", "OUTPUT"});
	const LOp &d0 = l.ops[1];
	REQUIRE(d0.in.size() == 3);
	REQUIRE(d0.in[0].kind == LRef::Kind::arena);
	REQUIRE(d0.in[0].shape == Shape{1, 4});
	REQUIRE(l.weights[d0.in[1].index].name == "params/Dense_0/kernel");
	REQUIRE(l.weights[d0.in[2].index].name == "params/Dense_0/bias");
	REQUIRE(d0.out[0].shape == Shape{1, 8});
	REQUIRE(matmul_attr(d0).act == KINFER_OP_RELU);
	REQUIRE(matmul_attr(d0).beta.f == 1.0f);
	REQUIRE(d0.onnx_nodes == std::vector<std::string>{"Dense_0/MatMul", "Dense_0/Add", "act"});
	REQUIRE(matmul_attr(l.ops[2]).act == 0);
	REQUIRE(l.weights.size() == 4);
	REQUIRE(l.outputs[0].bytes == 12);
	// Bind order: the kernel's map, then the bias's.
	Plan p = plan_model(l);
	std::vector<BindRef> binds = node_binds(d0, p);
	REQUIRE(binds.size() == 2);
	REQUIRE(binds[0].index == p.wmap_of[d0.in[1].index]);
	REQUIRE(node_binds(l.ops[0], p).size() == 1);	// INPUT binds io
	REQUIRE(node_binds(l.ops[0], p)[0].kind == LRef::Kind::io);
}

TEST_CASE("elementwise ops keep both operands and their shapes", "[lower]")
{
	ModelBuilder b;
	b.input("x", {2, 4}).input("z", {4}).output("y", {2, 4});
	b.init("s", {1}, {2.0f});
	b.node("Mul", {"s", "x"}, {"a"}, "scale");	// constant first
	b.node("Add", {"z", "a"}, {"c"}, "addz");	// smaller first
	b.node("Sigmoid", {"c"}, {"y"});
	Lowered l = b.lowered();
	REQUIRE(op_names(l) ==
		std::vector<std::string>{"INPUT", "INPUT", "MUL", "ADD", "SIGMOID", "OUTPUT"});
	const LOp &mul = l.ops[2];
	REQUIRE(mul.in[0].kind == LRef::Kind::weight);
	REQUIRE(mul.in[0].shape == Shape{1});
	REQUIRE(mul.in[1].shape == Shape{2, 4});
	REQUIRE(l.ops[3].in[0].shape == Shape{4});
	REQUIRE(op_inplace_input(l.ops[3]) == 1);	// y replaces the [2,4] operand
}

TEST_CASE("a constant B^T is stored transposed", "[lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 3});
	b.init("W", {3, 2}, {1, 2, 3, 4, 5, 6});
	ModelBuilder::attr_int(b.node("Gemm", {"x", "W"}, {"y"}, "g"), "transB", 1);
	Lowered l = b.lowered();
	REQUIRE(l.weights.size() == 1);
	REQUIRE(l.weights[0].name == "W.T");
	REQUIRE(l.weights[0].source == "W.T");
	REQUIRE(l.weights[0].t.shape == Shape{2, 3});
	REQUIRE(l.weights[0].t.floats() == std::vector<float>{1, 3, 5, 2, 4, 6});
	REQUIRE(matmul_attr(l.ops[1]).trans_b == 0);
}

TEST_CASE("shared initializers get one weight", "[lower]")
{
	ModelBuilder b;
	b.input("x", {1, 2}).output("y", {1, 2});
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.node("MatMul", {"x", "W"}, {"h"});
	b.node("Tanh", {"h"}, {"t"});
	b.node("MatMul", {"t", "W"}, {"y"});
	Lowered l = b.lowered();
	REQUIRE(l.weights.size() == 1);
	REQUIRE(l.ops[1].in[1].index == l.ops[2].in[1].index);
}

TEST_CASE("the registry names every op and its kfunc", "[lower][registry]")
{
	std::vector<KernelOp> ops = kernel_ops();
	REQUIRE(!ops.empty());
	for (const KernelOp &k : ops) {
		INFO(k.name);
		REQUIRE(kernel_op(k.id) != nullptr);
		REQUIRE(op_kfunc(k.id) == std::string("kinfer_") + k.name);
		REQUIRE(op_name(k.id).size() == std::string(k.name).size());
	}
	REQUIRE(op_name(KINFER_OP_MATMUL) == "MATMUL");
	REQUIRE(kernel_op(3) == nullptr);	// DENSE, retired with ABI 1
	REQUIRE(kernel_op(KINFER_OP_LIMIT) == nullptr);
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
	REQUIRE(valid_model_name("mlp-1_v2"));
	REQUIRE_FALSE(valid_model_name("mlp.v2"));	// bpffs reserves dots
	REQUIRE_FALSE(valid_model_name(""));
	REQUIRE_FALSE(valid_model_name(".."));
	REQUIRE_FALSE(valid_model_name("a/b"));
	REQUIRE_FALSE(valid_model_name(std::string(32, 'a')));
	REQUIRE(model_name_from_path("/x/my model.onnx") == "my_model");
	REQUIRE(model_name_from_path("/x/resnet.v2.onnx") == "resnet_v2");

	Lowered l;
	auto add = [&](const std::string &n) {
		l.weights.push_back(LWeight{n, n, HostTensor::from_floats({1}, {0.0f}), {}});
	};
	add("params/Dense_0/kernel");
	add("../etc/passwd");
	add("a");
	add("a/b");	// "a" is already a file
	add("x:0");
	add("x_0");	// sanitizes to the same path
	add("conv/kernel.bn");	// bpffs refuses a dot in any path component
	Plan p;
	for (size_t w = 0; w < l.weights.size(); w++)
		p.wmaps.push_back(WeightMap{{(int)w}, {0}, 4, false});
	std::vector<WeightNames> n = weight_names(l, p);
	REQUIRE(n[0].pin_rel == "weights/params/Dense_0/kernel");
	REQUIRE(n[1].pin_rel == "weights/__/etc/passwd");
	REQUIRE(n[2].pin_rel == "weights/a");
	REQUIRE(n[3].pin_rel == "weights/a_b");
	REQUIRE(n[4].pin_rel == "weights/x_0");
	REQUIRE(n[5].pin_rel == "weights/x_0~1");
	REQUIRE(n[6].pin_rel == "weights/conv/kernel_bn");
	REQUIRE(n[6].map_name == "conv.kernel.bn");
	for (const WeightNames &w : n)
		REQUIRE(w.pin_rel.find('.') == std::string::npos);
}
