// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "exec.h"
#include "onnx_builders.h"
#include "ops.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

// Independent exhaustive check: walk the ops in order and, at each op, make
// sure every storage alive there occupies a byte range no other live one
// uses (an op's output 0 may coincide exactly with its dying in-place input).
static void check_no_overlap(const Lowered &l, const Plan &p)
{
	for (size_t i = 0; i < l.ops.size(); i++) {
		std::vector<int> live;
		for (size_t t = 0; t < l.storages.size(); t++)
			if (p.first[t] <= (int)i && (int)i <= p.last[t])
				live.push_back((int)t);
		for (size_t a = 0; a < live.size(); a++)
			for (size_t b = a + 1; b < live.size(); b++) {
				int x = live[a], y = live[b];
				uint64_t xs = p.offset[x], xe = xs + l.storages[x].bytes;
				uint64_t ys = p.offset[y], ye = ys + l.storages[y].bytes;
				if (xs >= ye || ys >= xe)
					continue;
				const LOp &op = l.ops[i];
				int k = op_inplace_input(op);
				bool in_place = k >= 0 && xs == ys && !op.out.empty() &&
						((op.in[k].index == x && op.out[0].index == y) ||
						 (op.in[k].index == y && op.out[0].index == x));
				INFO("op " << i << ": " << l.storages[x].name << " and " << l.storages[y].name);
				REQUIRE(in_place);
			}
	}
}

static void check_plan(const Lowered &l, const Plan &p)
{
	REQUIRE(plan_verify(l, p).empty());
	check_no_overlap(l, p);
	for (size_t t = 0; t < l.storages.size(); t++) {
		REQUIRE(p.offset[t] % 16 == 0);
		REQUIRE(p.offset[t] + l.storages[t].bytes <= p.arena_bytes);
	}
	REQUIRE(p.arena_bytes % 16 == 0);
	REQUIRE(p.node_off.size() == l.ops.size());
	REQUIRE(p.arena_bytes <= p.naive_bytes + 16);
}

TEST_CASE("MLP plan: buffer reuse, alignment, the kernel accepts it", "[plan]")
{
	Compiled c = mlp(4, 8, 3, "Tanh", 5).compiled();
	check_plan(c.lowered, c.plan);
	// x [5,4] dies at the first MATMUL; the second MATMUL's output reuses it.
	const Lowered &l = c.lowered;
	REQUIRE(c.plan.offset[l.ops[2].out[0].index] == c.plan.offset[l.ops[0].out[0].index]);
}

TEST_CASE("in-place elementwise ops share their input's bytes", "[plan]")
{
	ModelBuilder b;
	b.input("x", {2, 8}).output("y", {2, 8});
	b.init("W", {8, 8}, std::vector<float>(64, 0.5f));
	b.node("MatMul", {"x", "W"}, {"h"}, "mm");
	b.node("Sigmoid", {"h"}, {"s"}, "sig");	// fused into the MATMUL
	b.node("Tanh", {"s"}, {"y"}, "tanh");	// in place
	Compiled c = b.compiled();
	check_plan(c.lowered, c.plan);
	const LOp &t = c.lowered.ops[2];
	REQUIRE(op_name(t.op) == "TANH");
	REQUIRE(c.plan.offset[t.in[0].index] == c.plan.offset[t.out[0].index]);
}

TEST_CASE("plan bytes: header, nodes, tensors and attributes", "[plan]")
{
	Compiled c = mlp(4, 8, 3).compiled();
	const Plan &p = c.plan;
	std::vector<uint8_t> buf = plan_config(p, 7);
	REQUIRE(buf.size() == plan_config_bytes(p));
	kinfer_plan hdr;
	std::memcpy(&hdr, buf.data(), sizeof(hdr));
	REQUIRE(hdr.magic == KINFER_PLAN_MAGIC);
	REQUIRE(hdr.abi_version == KINFER_ABI_VERSION);
	REQUIRE(hdr.model_id == 7);
	REQUIRE(hdr.n_nodes == c.lowered.ops.size());
	REQUIRE(hdr.nodes_bytes == p.nodes.size());
	REQUIRE(hdr.arena_bytes == p.arena_bytes);
	REQUIRE(hdr.work == p.work);

	// Node 1: MATMUL, 3 inputs, 1 output, the matmul attribute block.
	kinfer_node n;
	std::memcpy(&n, p.nodes.data() + p.node_off[1], sizeof(n));
	REQUIRE(n.op == KINFER_OP_MATMUL);
	REQUIRE(n.n_in == 3);
	REQUIRE(n.n_out == 1);
	REQUIRE(n.attr_bytes == sizeof(kinfer_attr_matmul));
	REQUIRE(n.size == sizeof(n) + 4 * sizeof(kinfer_tensor) + sizeof(kinfer_attr_matmul));
	kinfer_tensor t[4];
	std::memcpy(t, p.nodes.data() + p.node_off[1] + sizeof(n), sizeof(t));
	REQUIRE(t[0].buf == KINFER_BUF_ARENA);
	REQUIRE(t[0].dtype == KINFER_DTYPE_FLOAT32);
	REQUIRE(t[0].rank == 2);
	REQUIRE(t[0].dims[1] == 4);
	REQUIRE(t[1].buf == KINFER_BUF_BIND0);		// the kernel
	REQUIRE(t[2].buf == KINFER_BUF_BIND0 + 1);	// the bias
	REQUIRE(t[1].off == 0);
	REQUIRE(t[3].buf == KINFER_BUF_ARENA);
	REQUIRE(t[3].off == p.offset[c.lowered.ops[1].out[0].index]);

	// INPUT reads the io buffer at the input's io offset.
	std::memcpy(&n, p.nodes.data(), sizeof(n));
	std::memcpy(t, p.nodes.data() + sizeof(n), 2 * sizeof(kinfer_tensor));
	REQUIRE(n.op == KINFER_OP_INPUT);
	REQUIRE(t[0].buf == KINFER_BUF_BIND0);
	REQUIRE(t[0].off == p.input_io_off[0]);
}

TEST_CASE("random deep graphs plan without overlap and run", "[plan]")
{
	// A chain with skip connections: many storages with overlapping
	// lifetimes.  Deterministic pseudo-random choices.
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
			switch (rnd(5)) {
			case 0:
				b.node("Relu", {src}, {out});
				break;
			case 1:
				b.node("Add", {names.back(), src}, {out});
				break;
			case 2:
				b.node("Softmax", {src}, {out});
				break;
			case 3:
				b.node("Mul", {src, src}, {out});
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
		INFO("trial " << trial);
		Compiled c = b.compiled();	// plan_check: the kernel's checks pass
		check_plan(c.lowered, c.plan);
		std::vector<float> x(width, 0.5f);
		REQUIRE(plan_run(c.lowered, c.plan, {F({1, width}, x)}).size() == 1);
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

TEST_CASE("beyond 60 weights the smallest share one packed map", "[plan]")
{
	// A BPF program may use at most 64 maps: 70 weights cannot each have one.
	ModelBuilder b;
	b.input("x", {1, 8});
	std::string prev = "x";
	for (int i = 0; i < 35; i++) {
		std::string w = "W" + std::to_string(i), c = "b" + std::to_string(i);
		b.init(w, {8, 8}, std::vector<float>(64, i % 2 ? 0.25f : -0.125f));
		b.init(c, {8}, std::vector<float>(8, 0.01f * (float)i));
		b.node("MatMul", {prev, w}, {"m" + std::to_string(i)});
		b.node("Add", {"m" + std::to_string(i), c}, {"a" + std::to_string(i)});
		b.node("Tanh", {"a" + std::to_string(i)}, {"t" + std::to_string(i)});
		prev = "t" + std::to_string(i);
	}
	b.output(prev, {1, 8});
	Compiled c = b.compiled();
	const Plan &p = c.plan;
	REQUIRE(c.lowered.weights.size() == 70);
	REQUIRE(p.wmaps.size() == kMaxWeightMaps);
	size_t packed = 0;
	uint64_t smallest_own = UINT64_MAX, largest_packed = 0;
	for (const WeightMap &wm : p.wmaps) {
		if (!wm.packed) {
			REQUIRE(wm.weights.size() == 1);
			smallest_own = std::min(smallest_own, wm.bytes);
			continue;
		}
		for (int w : wm.weights)
			largest_packed = std::max(largest_packed, c.lowered.weights[w].bytes());
		packed++;
		REQUIRE(wm.weights.size() == 70 - (kMaxWeightMaps - 1));
		for (size_t k = 0; k < wm.weights.size(); k++) {
			REQUIRE(wm.offsets[k] % 16 == 0);
			REQUIRE(p.woff[wm.weights[k]] == wm.offsets[k]);
		}
	}
	REQUIRE(packed == 1);
	REQUIRE(smallest_own >= largest_packed);	// the largest keep their own maps
	REQUIRE(c.names.size() == p.wmaps.size());
	REQUIRE(c.names.back().pin_rel == "weights/_packed");
	// The packed weights are read at their offsets: same result as numpy
	// would give, computed here layer by layer.
	std::vector<float> x(8, 1.0f), y = x;
	for (int i = 0; i < 35; i++) {
		std::vector<float> z(8, 0.0f);
		for (int j = 0; j < 8; j++) {
			for (int k = 0; k < 8; k++)
				z[j] += y[k] * (i % 2 ? 0.25f : -0.125f);
			z[j] = std::tanh(z[j] + 0.01f * (float)i);
		}
		y = z;
	}
	std::vector<float> got = plan_run(c.lowered, p, {F({1, 8}, x)})[0].floats();
	for (int j = 0; j < 8; j++)
		REQUIRE(got[j] == Approx(y[j]).margin(1e-6));
	// The program references 60 weight maps, the config and the io map.
	size_t maps = 0;
	for (const LOp &op : c.lowered.ops)
		for (const BindRef &r : node_binds(op, p))
			maps = std::max(maps, (size_t)r.index + 1);
	REQUIRE(maps + 2 <= 64);
}
