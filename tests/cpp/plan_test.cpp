// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "onnx_builders.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

// Independent exhaustive check: walk the ops in order and, at each op, make
// sure every tensor alive there occupies a byte range no other live tensor
// uses (an elementwise op's output may coincide exactly with its dying in0).
static void check_no_overlap(const Lowered &l, const Plan &p)
{
	for (size_t i = 0; i < l.ops.size(); i++) {
		std::vector<int> live;
		for (size_t t = 0; t < l.tensors.size(); t++)
			if (p.first[t] <= (int)i && (int)i <= p.last[t])
				live.push_back((int)t);
		for (size_t a = 0; a < live.size(); a++)
			for (size_t b = a + 1; b < live.size(); b++) {
				int x = live[a], y = live[b];
				uint64_t xs = p.offset[x], xe = xs + l.tensors[x].bytes;
				uint64_t ys = p.offset[y], ye = ys + l.tensors[y].bytes;
				if (xs >= ye || ys >= xe)
					continue;
				const LOp &op = l.ops[i];
				bool in_place = op_in_place_ok(op.op) && op.out >= 0 && xs == ys &&
						((op.in0 == x && op.out == y) || (op.in0 == y && op.out == x)) &&
						op.in1 != op.in0;
				INFO("op " << i << ": " << l.tensors[x].name << " and " << l.tensors[y].name);
				REQUIRE(in_place);
			}
	}
}

static void check_plan(const Lowered &l, const Plan &p)
{
	REQUIRE(plan_verify(l, p).empty());
	check_no_overlap(l, p);
	for (size_t t = 0; t < l.tensors.size(); t++) {
		REQUIRE(p.offset[t] % 16 == 0);
		REQUIRE(p.offset[t] + l.tensors[t].bytes <= p.arena_bytes);
	}
	REQUIRE(p.arena_bytes % 16 == 0);
	REQUIRE(p.nodes.size() == l.ops.size());
}

TEST_CASE("MLP plan: in-place activation, buffer reuse, alignment", "[plan]")
{
	Lowered l = mlp(4, 8, 3, "Relu").lowered();
	Plan p = plan_model(l);
	check_plan(l, p);
	// RELU runs in place over the first DENSE output.
	const LOp &relu = l.ops[2];
	REQUIRE(p.offset[relu.out] == p.offset[relu.in0]);
	// The input buffer is dead after DENSE 0 and reused later.
	const LOp &in = l.ops[0];
	const LOp &d1 = l.ops[3];
	REQUIRE(p.offset[d1.out] == p.offset[in.out]);
	// Arena: x (16) + h (32) = 48 bytes, no more.
	REQUIRE(p.arena_bytes == 48);
}

TEST_CASE("DENSE/SOFTMAX outputs never alias inputs", "[plan]")
{
	ModelBuilder b;
	b.input("x", {1, 4}).output("y", {1, 4});
	b.init("W", {4, 4}, std::vector<float>(16, 0.25f));
	b.node("MatMul", {"x", "W"}, {"a"});
	b.node("Softmax", {"a"}, {"y"});
	Lowered l = b.lowered();
	Plan p = plan_model(l);
	check_plan(l, p);
	for (const LOp &op : l.ops)
		if (op.op == KINFER_OP_MATMUL || op.op == KINFER_OP_SOFTMAX)
			REQUIRE(p.offset[op.out] != p.offset[op.in0]);
}

TEST_CASE("plan nodes carry offsets, dims and io layout", "[plan]")
{
	ModelBuilder b;
	b.input("x", {1, 3}).input("z", {1, 3}).output("y", {1, 3}).output("w", {1, 3});
	b.node("Add", {"x", "z"}, {"y"});
	b.node("Relu", {"z"}, {"w"});
	Lowered l = b.lowered();
	Plan p = plan_model(l);
	check_plan(l, p);
	REQUIRE(p.input_io_off == std::vector<uint32_t>{0, 16});
	REQUIRE(p.output_io_off == std::vector<uint32_t>{32, 48});
	REQUIRE(p.io_bytes == 64);
	REQUIRE(p.nodes[0].op == KINFER_OP_INPUT);
	REQUIRE(p.nodes[0].io_off == 0);
	REQUIRE(p.nodes[0].dims[0] == 12);
	REQUIRE(p.nodes.back().op == KINFER_OP_OUTPUT);
	REQUIRE(p.nodes.back().io_off == 48);
	// z is read by RELU after ADD, so ADD must not write over it.
	const LOp &add = l.ops[2];
	REQUIRE(p.offset[add.out] != p.offset[add.in1]);

	std::vector<uint8_t> cfg = plan_config(p, 7);
	REQUIRE(cfg.size() == sizeof(kinfer_plan) + p.nodes.size() * sizeof(kinfer_node));
	kinfer_plan hdr;
	std::memcpy(&hdr, cfg.data(), sizeof(hdr));
	REQUIRE(hdr.magic == KINFER_PLAN_MAGIC);
	REQUIRE(hdr.abi_version == KINFER_ABI_VERSION);
	REQUIRE(hdr.model_id == 7);
	REQUIRE(hdr.n_nodes == p.nodes.size());
	REQUIRE(hdr.arena_bytes == p.arena_bytes);
	REQUIRE(hdr.io_bytes == p.io_bytes);
}

TEST_CASE("random deep graphs plan without overlap", "[plan]")
{
	// A chain with skip connections of varied widths: many tensors with
	// overlapping lifetimes.  Deterministic pseudo-random choices.
	uint32_t seed = 12345;
	auto rnd = [&](uint32_t n) {
		seed = seed * 1103515245u + 12345u;
		return (seed >> 16) % n;
	};
	for (int trial = 0; trial < 20; trial++) {
		ModelBuilder b;
		int64_t width = 4 + rnd(8);
		b.input("x", {1, width});
		std::vector<std::string> names{"x"};
		int n_nodes = 5 + (int)rnd(30);
		for (int i = 0; i < n_nodes; i++) {
			std::string out = "t" + std::to_string(i);
			const std::string &src = names[rnd((uint32_t)names.size())];
			switch (rnd(4)) {
			case 0:
				b.node("Relu", {src}, {out});
				break;
			case 1:
				b.node("Add", {names.back(), src}, {out});
				break;
			case 2:
				b.node("Softmax", {src}, {out});
				break;
			default: {
				std::string w = "W" + std::to_string(i);
				b.init(w, {width, width}, std::vector<float>(width * width, 0.1f));
				b.node("MatMul", {src, w}, {out});
			}
			}
			names.push_back(out);
		}
		b.output(names.back(), {1, width});
		Lowered l = b.lowered();
		Plan p = plan_model(l);
		INFO("trial " << trial);
		check_plan(l, p);
	}
}

TEST_CASE("inputs and outputs over 2 GiB are a model error", "[plan]")
{
	// Three 1 GiB ports: the io slot's size would not fit the s32
	// immediate the program passes to the kfuncs.
	const int64_t n = (int64_t(1) << 30) / 4;
	ModelBuilder b;
	b.input("a", {n}).input("b", {n}).output("y", {n});
	b.node("Add", {"a", "b"}, {"y"}, "add");
	Lowered l = b.lowered();
	REQUIRE_THROWS_AS(plan_model(l), ModelError);
	REQUIRE_THROWS_WITH(plan_model(l), Contains("model.onnx") &&
					   Contains("inputs and outputs exceed 2 GiB"));
}
