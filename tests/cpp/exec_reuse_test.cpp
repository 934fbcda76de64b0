// SPDX-License-Identifier: GPL-2.0
// kinfer_node_reuse(): a run context keeps a node as prepared and takes it
// again only while the plan holds the same bytes and the node is given the
// same buffers; anything else prepares afresh, as the first run did.
extern "C" {
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

namespace {

kinfer_tensor f32_tensor(uint32_t n, uint32_t off)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = KINFER_DTYPE_FLOAT32;
	t.buf = KINFER_BUF_ARENA;
	t.off = off;
	t.rank = 1;
	t.dims[0] = n;
	return t;
}

// A plan's node bytes: one COPY of n floats from arena 0 to arena 64,
// reversed when `reverse`.
std::vector<uint8_t> copy_node(uint32_t n, bool reverse)
{
	kinfer_attr_copy a{};
	a.rank = 1;
	a.dims[0] = n;
	a.in_stride[0] = reverse ? -1 : 1;
	a.out_stride[0] = 1;
	a.in_start = reverse ? n - 1 : 0;
	kinfer_node node;
	std::memset(&node, 0, sizeof(node));
	node.op = KINFER_OP_COPY;
	node.n_in = 1;
	node.n_out = 1;
	node.attr_bytes = sizeof(a);
	node.size = (uint16_t)(sizeof(node) + 2 * sizeof(kinfer_tensor) + sizeof(a));
	std::vector<uint8_t> bytes(node.size);
	kinfer_tensor in = f32_tensor(n, 0), out = f32_tensor(n, 64);
	uint8_t *p = bytes.data();
	std::memcpy(p, &node, sizeof(node));
	std::memcpy(p + sizeof(node), &in, sizeof(in));
	std::memcpy(p + sizeof(node) + sizeof(in), &out, sizeof(out));
	std::memcpy(p + sizeof(node) + 2 * sizeof(in), &a, sizeof(a));
	return bytes;
}

struct Context {
	std::vector<uint64_t> arena = std::vector<uint64_t>(64);	// 512 bytes
	std::unique_ptr<kinfer_kept> kept = std::make_unique<kinfer_kept>();
	kinfer_buffers bufs;

	Context()
	{
		std::memset(kept.get(), 0, sizeof(*kept));
		std::memset(&bufs, 0, sizeof(bufs));
		bufs.arena = {arena.data(), (uint32_t)(arena.size() * 8)};
		for (int i = 0; i < 4; i++)
			x()[i] = (float)(i + 1);
	}
	float *x() { return reinterpret_cast<float *>(arena.data()); }
	float *y() { return x() + 16; }

	int reuse(const std::vector<uint8_t> &plan, uint32_t op = KINFER_OP_COPY)
	{
		uint32_t cursor = 0;
		int err = kinfer_node_reuse(kept.get(), plan.data(), (uint32_t)plan.size(), &cursor, &bufs, op);
		if (!err)
			REQUIRE(cursor == plan.size());
		return err;
	}
	std::vector<float> run(const std::vector<uint8_t> &plan)
	{
		REQUIRE(reuse(plan) == 0);
		REQUIRE(kept->exec.desc->eval(&kept->exec, 0, kept->exec.units) == 0);
		return {y(), y() + 4};
	}
	// Marks the kept exec so that a fresh prepare is told from a reuse.
	void mark() { kept->exec.work = ~0ULL; }
	bool reused() const { return kept->exec.work == ~0ULL; }
};

} // namespace

TEST_CASE("a kept node is reused while plan bytes and buffers are the same", "[exec][reuse]")
{
	Context c;
	std::vector<uint8_t> plan = copy_node(4, false);
	REQUIRE(c.run(plan) == std::vector<float>{1, 2, 3, 4});
	REQUIRE(c.kept->size == plan.size());
	c.mark();
	REQUIRE(c.run(plan) == std::vector<float>{1, 2, 3, 4});
	REQUIRE(c.reused());
}

TEST_CASE("a node whose prepare read a buffer's contents is prepared every run", "[exec][reuse]")
{
	// TOKENIZE's prepare reads max_tokens, a live knob, and says so.
	Context c;
	std::vector<uint8_t> plan = copy_node(4, false);
	c.run(plan);
	c.kept->exec.per_run = true;
	c.mark();
	REQUIRE(c.run(plan) == std::vector<float>{1, 2, 3, 4});
	REQUIRE_FALSE(c.reused());
	REQUIRE_FALSE(c.kept->exec.per_run);	// COPY's prepare reads no contents
}

TEST_CASE("changed node bytes or buffers prepare the node afresh", "[exec][reuse]")
{
	Context c;
	std::vector<uint8_t> plan = copy_node(4, false);
	c.run(plan);

	SECTION("another program rewrote the node") {
		c.mark();
		REQUIRE(c.run(copy_node(4, true)) == std::vector<float>{4, 3, 2, 1});
		REQUIRE_FALSE(c.reused());
	}
	SECTION("another arena") {
		std::vector<uint64_t> other(64);
		std::memcpy(other.data(), c.arena.data(), 64 * 8);
		c.bufs.arena.data = other.data();
		c.mark();
		REQUIRE(c.reuse(plan) == 0);
		REQUIRE_FALSE(c.reused());
		REQUIRE(c.kept->exec.t[0].data == reinterpret_cast<uint8_t *>(other.data()));
	}
	SECTION("the same arena, smaller") {
		c.bufs.arena.size = 64;	// too small for the output at 64
		c.mark();
		REQUIRE(c.reuse(plan) == -EINVAL);
		REQUIRE(c.kept->size == 0);
	}
	SECTION("a buffer bound that was not") {
		std::vector<uint64_t> bound(8);
		c.bufs.bind[0] = {bound.data(), 64};
		c.bufs.n_binds = 1;
		c.mark();
		// COPY binds nothing: the fresh prepare refuses the extra buffer.
		REQUIRE(c.reuse(plan) == -EINVAL);
		REQUIRE(c.kept->size == 0);
	}
	SECTION("a plan that ends inside the kept node") {
		std::vector<uint8_t> cut(plan.begin(), plan.end() - 4);
		c.mark();
		REQUIRE(c.reuse(cut) == -EINVAL);
		REQUIRE(c.kept->size == 0);
	}
}

TEST_CASE("a node of another op than the caller's is refused, kept or not", "[exec][reuse]")
{
	Context c;
	std::vector<uint8_t> plan = copy_node(4, false);
	// Fresh: refused before prepare, nothing kept.
	REQUIRE(c.reuse(plan, KINFER_OP_RELU) == -EINVAL);
	REQUIRE(c.kept->size == 0);
	// Kept from a run as COPY: still refused to a RELU caller.
	c.run(plan);
	REQUIRE(c.reuse(plan, KINFER_OP_RELU) == -EINVAL);
	// A node of an op the module does not know, reached by a COPY
	// kfunc: the caller's mismatch (-EINVAL), not prepare's -EOPNOTSUPP.
	kinfer_node n;
	std::memcpy(&n, plan.data(), sizeof(n));
	n.op = KINFER_OP_LIMIT - 1;
	std::memcpy(plan.data(), &n, sizeof(n));
	REQUIRE(c.reuse(plan) == -EINVAL);
	REQUIRE(c.kept->size == 0);
}

TEST_CASE("a refused node is not kept; the next good one is", "[exec][reuse]")
{
	Context c;
	std::vector<uint8_t> bad = copy_node(4, false);
	// in_start past the input's end: the copy would read outside it.
	kinfer_attr_copy a;
	size_t at = bad.size() - sizeof(a);
	std::memcpy(&a, bad.data() + at, sizeof(a));
	a.in_start = 4;
	std::memcpy(bad.data() + at, &a, sizeof(a));
	REQUIRE(c.reuse(bad) == -EINVAL);
	REQUIRE(c.kept->size == 0);
	REQUIRE(c.reuse(bad) == -EINVAL);
	REQUIRE(c.run(copy_node(4, true)) == std::vector<float>{4, 3, 2, 1});
	REQUIRE(c.kept->size != 0);
}

TEST_CASE("the first KINFER_KEPT_NODES nodes have a slot each; the rest share one, emptied", "[exec][reuse]")
{
	std::vector<kinfer_kept> slots(KINFER_KEPT_NODES + 1);
	for (kinfer_kept &k : slots)
		k.size = 1;
	for (uint32_t pc = 0; pc < KINFER_KEPT_NODES; pc++) {
		REQUIRE(kinfer_kept_slot(slots.data(), pc) == &slots[pc]);
		REQUIRE(slots[pc].size == 1);	// kept as it was
	}
	for (uint32_t pc : {KINFER_KEPT_NODES, KINFER_KEPT_NODES + 1, 8191U}) {
		slots[KINFER_KEPT_NODES].size = 1;
		REQUIRE(kinfer_kept_slot(slots.data(), pc) == &slots[KINFER_KEPT_NODES]);
		REQUIRE(slots[KINFER_KEPT_NODES].size == 0);
	}
}
