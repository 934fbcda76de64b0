// SPDX-License-Identifier: GPL-2.0
// Data movement and gather: the COPY, PAD, GATHER and GATHER_ELEMENTS
// kernel ops (prepare refusals on hand-built nodes, eval against values
// worked out by hand or by plain index loops written here), and the ONNX
// operators lowered to them.
#include "error.h"
#include "onnx_builders.h"

extern "C" {
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <climits>
#include <cstring>
#include <numeric>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

namespace {

// ---- hand-built nodes for the kernel's prepare ----

kinfer_tensor tensor(uint8_t dtype, std::vector<uint32_t> dims, uint32_t off, uint8_t buf = KINFER_BUF_ARENA)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = dtype;
	t.buf = buf;
	t.off = off;
	t.rank = (uint8_t)dims.size();
	for (size_t i = 0; i < dims.size(); i++)
		t.dims[i] = dims[i];
	return t;
}

struct HandNode {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint64_t> arena = std::vector<uint64_t>(1024);	// 8 KiB
	std::vector<uint64_t> bound = std::vector<uint64_t>(1024);
	kinfer_exec ex;

	// 0 or the prepare's error.
	template <typename A>
	int prepare(uint16_t op, std::vector<kinfer_tensor> in, std::vector<kinfer_tensor> out,
		    const A &attr, bool bind = false)
	{
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(A);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) + sizeof(A));
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
		if (bind) {
			b.bind[0] = {bound.data(), (uint32_t)(bound.size() * 8)};
			b.n_binds = 1;
		}
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}

	float *f32(uint32_t off) { return reinterpret_cast<float *>(reinterpret_cast<uint8_t *>(arena.data()) + off); }
};

kinfer_attr_copy copy1(uint32_t n, int64_t is = 1, int64_t os = 1, uint64_t i0 = 0, uint64_t o0 = 0)
{
	kinfer_attr_copy a{};
	a.rank = 1;
	a.dims[0] = n;
	a.in_stride[0] = is;
	a.out_stride[0] = os;
	a.in_start = i0;
	a.out_start = o0;
	return a;
}

const uint8_t F32 = KINFER_DTYPE_FLOAT32, I64 = KINFER_DTYPE_INT64, I32 = KINFER_DTYPE_INT32;

// ---- models ----

void set_output_type(ModelBuilder &b, int i, int32_t t)
{
	b.model().mutable_graph()->mutable_output(i)->mutable_type()->mutable_tensor_type()->set_elem_type(t);
}

std::vector<float> iota_f(size_t n, float from = 0)
{
	std::vector<float> v(n);
	std::iota(v.begin(), v.end(), from);
	return v;
}

std::vector<float> run1(const ModelBuilder &b, const HostTensor &x)
{
	return run_model(b, {x})[0].floats();
}

// Row-major index of a multi-index.
size_t at(const Shape &s, std::vector<int64_t> i)
{
	size_t o = 0;
	for (size_t k = 0; k < s.size(); k++)
		o = o * s[k] + i[k];
	return o;
}

} // namespace

// ---------------------------------------------------------------- COPY

TEST_CASE("COPY prepare proves both sides stay in their tensors", "[movement][copy]")
{
	HandNode h;
	auto in = tensor(F32, {8}, 0), out = tensor(F32, {8}, 64);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(8)) == 0);
	REQUIRE_FALSE(h.ex.fpu);
	// One element past the end, on either side.
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(8, 1, 1, 1, 0)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(8, 1, 1, 0, 1)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(5, 2, 1)) == -EINVAL);	// reaches 8
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(4, 2, 1)) == 0);		// reaches 6
	// Negative strides: the lowest element must be >= 0.
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(8, -1, 1, 7)) == 0);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(8, -1, 1, 6)) == -EINVAL);
	// Extremes: spans that overflow 64 bits are refused, not wrapped.
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(2, INT64_MIN, 1, 0)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(3, INT64_MAX, 1, 0)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(2, 1, 1, UINT64_MAX)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, copy1(2, -1, 1, UINT64_MAX)) == -EINVAL);
	{
		// Two axes whose spans are each fine but whose sum wraps.
		kinfer_attr_copy a = copy1(2, INT64_MAX);
		a.rank = 2;
		a.dims[1] = 2;
		a.in_stride[1] = INT64_MAX;
		REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	}
	// Stride 0 on a long axis is a broadcast: fine.
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {1}, 0)}, {out}, copy1(8, 0, 1)) == 0);
}

TEST_CASE("COPY prepare refuses malformed attributes", "[movement][copy]")
{
	HandNode h;
	auto in = tensor(F32, {8}, 0), out = tensor(F32, {8}, 64);
	kinfer_attr_copy a = copy1(8);
	a.reserved = 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	a = copy1(8);
	a.dims[1] = 1;	// beyond the rank
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	a = copy1(8);
	a.out_stride[3] = 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	a = copy1(8);
	a.rank = KINFER_MAX_RANK + 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	a = copy1(0);	// a zero dimension
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {out}, a) == -EINVAL);
	// dtypes must match; sizes need not (only the elements reached count).
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {tensor(I32, {8}, 64)}, copy1(8)) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {tensor(F32, {2, 2, 2}, 64)}, copy1(8)) == 0);
	// Overlapping input and output in the arena.
	REQUIRE(h.prepare(KINFER_OP_COPY, {in}, {tensor(F32, {8}, 16)}, copy1(4)) == -EINVAL);
	// Rank 0: one element.
	kinfer_attr_copy one{};
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {}, 0)}, {tensor(F32, {}, 64)}, one) == 0);
	REQUIRE(h.ex.units == 1);
}

TEST_CASE("COPY eval: a transpose, a reversal and a broadcast", "[movement][copy]")
{
	HandNode h;
	// x = 0..5 as [2,3] at 0; y = x^T [3,2] at 64: y[i][j] = x[j][i].
	for (int i = 0; i < 6; i++)
		h.f32(0)[i] = (float)i;
	kinfer_attr_copy a{};
	a.rank = 2;
	a.dims[0] = 3;
	a.dims[1] = 2;
	a.in_stride[0] = 1;
	a.in_stride[1] = 3;
	a.out_stride[0] = 2;
	a.out_stride[1] = 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {2, 3}, 0)}, {tensor(F32, {3, 2}, 64)}, a) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	REQUIRE(std::vector<float>(h.f32(64), h.f32(64) + 6) == std::vector<float>{0, 3, 1, 4, 2, 5});

	// Reversed: y[i] = x[5 - i].
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {6}, 0)}, {tensor(F32, {6}, 64)}, copy1(6, -1, 1, 5)) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	REQUIRE(std::vector<float>(h.f32(64), h.f32(64) + 6) == std::vector<float>{5, 4, 3, 2, 1, 0});

	// Broadcast of x[2] into every other slot of y.
	for (int i = 0; i < 6; i++)
		h.f32(64)[i] = -1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {6}, 0)}, {tensor(F32, {6}, 64)}, copy1(3, 0, 2, 2, 1)) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	REQUIRE(std::vector<float>(h.f32(64), h.f32(64) + 6) == std::vector<float>{-1, 2, -1, 2, -1, 2});
}

TEST_CASE("COPY from a bound buffer of int64, bool and int32", "[movement][copy]")
{
	HandNode h;
	int64_t *w = reinterpret_cast<int64_t *>(h.bound.data());
	w[0] = INT64_MIN;
	w[1] = 7;
	w[2] = INT64_MAX;
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(I64, {3}, 0, KINFER_BUF_BIND0)}, {tensor(I64, {3}, 0)},
			  copy1(3, -1, 1, 2), true) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	REQUIRE(reinterpret_cast<int64_t *>(h.arena.data())[0] == INT64_MAX);
	REQUIRE(reinterpret_cast<int64_t *>(h.arena.data())[2] == INT64_MIN);
	// A COPY may not write into a bound buffer.
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(I64, {3}, 0)}, {tensor(I64, {3}, 0, KINFER_BUF_BIND0)},
			  copy1(3), true) == -EINVAL);
	uint8_t *bytes = reinterpret_cast<uint8_t *>(h.bound.data());
	bytes[0] = 1;
	bytes[1] = 0;
	bytes[2] = 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(KINFER_DTYPE_BOOL, {3}, 0, KINFER_BUF_BIND0)},
			  {tensor(KINFER_DTYPE_BOOL, {6}, 8)}, copy1(6, 0, 1, 2), true) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	const uint8_t *y = reinterpret_cast<uint8_t *>(h.arena.data()) + 8;
	REQUIRE(std::vector<uint8_t>(y, y + 6) == std::vector<uint8_t>(6, 1));
}

TEST_CASE("COPY results do not depend on how units are split", "[movement][copy]")
{
	// A [37, 300] transpose: 11100 elements, 3 units of 4096.
	HandNode h;
	h.arena.assign(2 * 11100 / 2 + 64, 0);
	for (int i = 0; i < 11100; i++)
		h.f32(0)[i] = (float)i;
	kinfer_attr_copy a{};
	a.rank = 2;
	a.dims[0] = 300;
	a.dims[1] = 37;
	a.in_stride[0] = 1;
	a.in_stride[1] = 300;
	a.out_stride[0] = 37;
	a.out_stride[1] = 1;
	const uint32_t off = 11100 * 4;
	REQUIRE(h.prepare(KINFER_OP_COPY, {tensor(F32, {37, 300}, 0)}, {tensor(F32, {300, 37}, off)}, a) == 0);
	REQUIRE(h.ex.units == 3);
	for (uint64_t u = h.ex.units; u-- > 0;)	// backwards, one unit at a time
		REQUIRE(h.ex.desc->eval(&h.ex, u, u + 1) == 0);
	for (int i = 0; i < 300; i++)
		for (int j = 0; j < 37; j++)
			REQUIRE(h.f32(off)[i * 37 + j] == (float)(j * 300 + i));
}

// ---------------------------------------------------------------- PAD

TEST_CASE("PAD prepare refuses malformed attributes", "[movement][pad]")
{
	HandNode h;
	auto x = tensor(F32, {2, 3}, 0), y = tensor(F32, {4, 5}, 64);
	kinfer_attr_pad a{};
	a.begin[0] = 1;
	a.begin[1] = 1;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, a) == 0);
	REQUIRE_FALSE(h.ex.fpu);
	kinfer_attr_pad b = a;
	b.mode = KINFER_PAD_MODES;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b = a;
	b.begin[2] = 1;	// beyond the rank
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b = a;
	b.begin[0] = (int64_t)1 << 32;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b = a;
	b.begin[0] = INT64_MIN;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b = a;
	b.value = (uint64_t)1 << 32;	// more than a float32's bytes
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b = a;
	b.mode = KINFER_PAD_EDGE;
	b.value = 1;	// only CONSTANT has a value
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	b.reserved = 1;
	b.value = 0;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {tensor(F32, {20}, 64)}, a) == -EINVAL);	// rank
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {tensor(I32, {4, 5}, 64)}, a) == -EINVAL);	// dtype
	// The constant as a second input: one element of x's dtype, and then
	// the attribute's value is 0; only for CONSTANT.
	auto v = tensor(F32, {1}, 256);
	REQUIRE(h.prepare(KINFER_OP_PAD, {x, v}, {y}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_PAD, {x, tensor(F32, {2}, 256)}, {y}, a) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_PAD, {x, tensor(I32, {1}, 256)}, {y}, a) == -EINVAL);
	b = a;
	b.value = 1;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x, v}, {y}, b) == -EINVAL);
	b = a;
	b.mode = KINFER_PAD_EDGE;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x, v}, {y}, b) == -EINVAL);
	// A begin far outside x is fine: every element is the constant.
	b = a;
	b.begin[1] = -(int64_t)UINT32_MAX;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {y}, b) == 0);
}

TEST_CASE("PAD eval: every mode along a row, by hand", "[movement][pad]")
{
	// x = [1 2 3], begin 4, y of 10: positions -4..5 relative to x.
	HandNode h;
	h.f32(0)[0] = 1;
	h.f32(0)[1] = 2;
	h.f32(0)[2] = 3;
	struct Case {
		uint32_t mode;
		std::vector<float> want;
	} cases[] = {
		{KINFER_PAD_CONSTANT, {9, 9, 9, 9, 1, 2, 3, 9, 9, 9}},
		{KINFER_PAD_EDGE, {1, 1, 1, 1, 1, 2, 3, 3, 3, 3}},
		// reflect: ... 2 1 2 3 2 1 2 3 ...: index -4 -> 2 (period 4: 0)
		{KINFER_PAD_REFLECT, {1, 2, 3, 2, 1, 2, 3, 2, 1, 2}},
		{KINFER_PAD_WRAP, {3, 1, 2, 3, 1, 2, 3, 1, 2, 3}},
	};
	for (const Case &c : cases) {
		kinfer_attr_pad a{};
		a.mode = c.mode;
		a.begin[0] = 4;
		if (c.mode == KINFER_PAD_CONSTANT) {
			float nine = 9;
			std::memcpy(&a.value, &nine, 4);
		}
		REQUIRE(h.prepare(KINFER_OP_PAD, {tensor(F32, {3}, 0)}, {tensor(F32, {10}, 64)}, a) == 0);
		REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
		INFO("mode " << c.mode);
		REQUIRE(std::vector<float>(h.f32(64), h.f32(64) + 10) == c.want);
	}
}

// ------------------------------------------------------------- GATHER

TEST_CASE("GATHER prepare checks shapes and index dtypes", "[movement][gather]")
{
	HandNode h;
	kinfer_attr_axis a{};
	auto data = tensor(F32, {4, 3}, 0);
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(I64, {2}, 64)}, {tensor(F32, {2, 3}, 128)}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(I64, {2}, 64)}, {tensor(F32, {3, 2}, 128)}, a) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(F32, {2}, 64)}, {tensor(F32, {2, 3}, 128)}, a) == -EINVAL);
	a.axis = 2;
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(I64, {2}, 64)}, {tensor(F32, {4, 2}, 128)}, a) == -EINVAL);
	a.axis = 1;
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(I32, {}, 64)}, {tensor(F32, {4}, 128)}, a) == 0);
	a.reserved = 1;
	REQUIRE(h.prepare(KINFER_OP_GATHER, {data, tensor(I32, {}, 64)}, {tensor(F32, {4}, 128)}, a) == -EINVAL);
	kinfer_attr_axis e{};
	// GATHER_ELEMENTS: indices may not be larger than data off the axis.
	REQUIRE(h.prepare(KINFER_OP_GATHER_ELEMENTS, {data, tensor(I64, {5, 3}, 64)}, {tensor(F32, {5, 3}, 256)}, e) == 0);
	REQUIRE(h.prepare(KINFER_OP_GATHER_ELEMENTS, {data, tensor(I64, {2, 4}, 64)}, {tensor(F32, {2, 4}, 256)}, e) == -EINVAL);
	REQUIRE(h.prepare(KINFER_OP_GATHER_ELEMENTS, {data, tensor(I64, {2}, 64)}, {tensor(F32, {2}, 256)}, e) == -EINVAL);
}

TEST_CASE("GATHER eval: negative indices wrap, out of range is ERANGE", "[movement][gather]")
{
	HandNode h;
	for (int i = 0; i < 12; i++)
		h.f32(0)[i] = (float)i;	// data [4,3]
	int64_t *idx = reinterpret_cast<int64_t *>(reinterpret_cast<uint8_t *>(h.arena.data()) + 64);
	kinfer_attr_axis a{};
	auto run = [&](std::vector<int64_t> v) {
		std::copy(v.begin(), v.end(), idx);
		REQUIRE(h.prepare(KINFER_OP_GATHER, {tensor(F32, {4, 3}, 0), tensor(I64, {(uint32_t)v.size()}, 64)},
				  {tensor(F32, {(uint32_t)v.size(), 3}, 128)}, a) == 0);
		return h.ex.desc->eval(&h.ex, 0, h.ex.units);
	};
	REQUIRE(run({-1, 0, -4}) == 0);
	REQUIRE(std::vector<float>(h.f32(128), h.f32(128) + 9) ==
		std::vector<float>{9, 10, 11, 0, 1, 2, 0, 1, 2});
	REQUIRE(run({4}) == -ERANGE);
	REQUIRE(run({-5}) == -ERANGE);
	REQUIRE(run({INT64_MIN}) == -ERANGE);
	REQUIRE(run({INT64_MAX}) == -ERANGE);
	// GATHER_ELEMENTS with INT64_MIN too.
	kinfer_attr_axis e{};
	idx[0] = INT64_MIN;
	REQUIRE(h.prepare(KINFER_OP_GATHER_ELEMENTS, {tensor(F32, {4, 3}, 0), tensor(I64, {1, 1}, 64)},
			  {tensor(F32, {1, 1}, 128)}, e) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == -ERANGE);
}

// ------------------------------------------------------------- models

TEST_CASE("Transpose against an index loop", "[movement][onnx]")
{
	Shape xs{2, 3, 4};
	ModelBuilder b;
	b.input("x", xs).output("y", {4, 2, 3});
	ModelBuilder::attr_ints(b.node("Transpose", {"x"}, {"y"}), "perm", {2, 0, 1});
	std::vector<float> x = iota_f(24), y = run1(b, F(xs, x));
	for (int64_t i = 0; i < 4; i++)
		for (int64_t j = 0; j < 2; j++)
			for (int64_t k = 0; k < 3; k++)
				REQUIRE(y[at({4, 2, 3}, {i, j, k})] == x[at(xs, {j, k, i})]);
	// Default perm reverses the axes.
	ModelBuilder d;
	d.input("x", {2, 3}).output("y", {3, 2});
	d.node("Transpose", {"x"}, {"y"});
	REQUIRE(run1(d, F({2, 3}, iota_f(6))) == std::vector<float>{0, 3, 1, 4, 2, 5});
	// Moving only unit axes is a view: no kernel op.
	ModelBuilder v;
	v.input("x", {1, 3}).output("y", {3, 1});
	v.node("Transpose", {"x"}, {"y"});
	Lowered l = v.lowered();
	for (const LOp &op : l.ops)
		REQUIRE(op.op != KINFER_OP_COPY);
	REQUIRE(run1(v, F({1, 3}, {1, 2, 3})) == std::vector<float>{1, 2, 3});
}

TEST_CASE("Slice: negative steps, clamped ends, axes (opset 13 and 9)", "[movement][onnx]")
{
	// x [3,4] = 0..11; rows 2..0 step -2 -> rows 2, 0; cols from -3 to INT64_MAX -> 1..3.
	ModelBuilder b(13);
	b.input("x", {3, 4}).output("y", {2, 3});
	b.init_i64("s", {2}, {-1, -3});
	b.init_i64("e", {2}, {INT64_MIN, INT64_MAX});
	b.init_i64("a", {2}, {0, -1});
	b.init_i64("st", {2}, {-2, 1});
	b.node("Slice", {"x", "s", "e", "a", "st"}, {"y"});
	REQUIRE(run1(b, F({3, 4}, iota_f(12))) == std::vector<float>{9, 10, 11, 1, 2, 3});

	ModelBuilder o(9);
	o.input("x", {3, 4}).output("y", {3, 2});
	auto &n = o.node("Slice", {"x"}, {"y"});
	ModelBuilder::attr_ints(n, "starts", {1});
	ModelBuilder::attr_ints(n, "ends", {-1});
	ModelBuilder::attr_ints(n, "axes", {1});
	REQUIRE(run1(o, F({3, 4}, iota_f(12))) == std::vector<float>{1, 2, 5, 6, 9, 10});
}

TEST_CASE("Concat and Split round trip; several ops write one storage", "[movement][onnx][plan]")
{
	ModelBuilder b(18);
	b.input("a", {2, 1}).input("b", {2, 3}).output("y", {2, 4}).output("p", {2, 2}).output("q", {2, 2});
	b.node("Relu", {"b"}, {"rb"});
	auto &cat = b.node("Concat", {"a", "rb"}, {"ab"});
	ModelBuilder::attr_int(cat, "axis", -1);
	b.node("Relu", {"ab"}, {"y"});
	auto &sp = b.node("Split", {"ab"}, {"p", "q"});
	ModelBuilder::attr_int(sp, "axis", 1);
	ModelBuilder::attr_int(sp, "num_outputs", 2);
	std::vector<HostTensor> y = run_model(b, {F({2, 1}, {1, 2}), F({2, 3}, {3, 4, 5, 6, 7, 8})});
	REQUIRE(y[0].floats() == std::vector<float>{1, 3, 4, 5, 2, 6, 7, 8});
	REQUIRE(y[1].floats() == std::vector<float>{1, 3, 2, 6});
	REQUIRE(y[2].floats() == std::vector<float>{4, 5, 7, 8});
	Compiled c = b.compiled();
	REQUIRE(plan_verify(c.lowered, c.plan).empty());
	// The concat storage's life starts at its first writer.
	int writes = 0, first = -1;
	for (size_t i = 0; i < c.lowered.ops.size(); i++)
		for (const LRef &r : c.lowered.ops[i].out)
			if (r.kind == LRef::Kind::arena && c.lowered.storages[r.index].name == "ab") {
				writes++;
				if (first < 0)
					first = (int)i;
				REQUIRE(c.plan.first[r.index] == first);
			}
	REQUIRE(writes == 2);
}

TEST_CASE("Split: attribute (opset 11), input (13), uneven num_outputs (18)", "[movement][onnx]")
{
	ModelBuilder a(11);
	a.input("x", {5}).output("p", {2}).output("q", {3});
	ModelBuilder::attr_ints(a.node("Split", {"x"}, {"p", "q"}), "split", {2, 3});
	std::vector<HostTensor> y = run_model(a, {F({5}, iota_f(5))});
	REQUIRE(y[1].floats() == std::vector<float>{2, 3, 4});

	ModelBuilder b(13);
	b.input("x", {5}).output("p", {4}).output("q", {1});
	b.init_i64("s", {2}, {4, 1});
	b.node("Split", {"x", "s"}, {"p", "q"});
	REQUIRE(run_model(b, {F({5}, iota_f(5))})[1].floats() == std::vector<float>{4});

	ModelBuilder c(18);
	c.input("x", {5}).output("p", {2}).output("q", {2}).output("r", {1});
	ModelBuilder::attr_int(c.node("Split", {"x"}, {"p", "q", "r"}), "num_outputs", 3);
	y = run_model(c, {F({5}, iota_f(5))});
	REQUIRE(y[2].floats() == std::vector<float>{4});
}

TEST_CASE("Expand and Tile against index loops", "[movement][onnx]")
{
	ModelBuilder e;
	e.input("x", {3, 1}).output("y", {2, 3, 4});
	e.init_i64("s", {3}, {2, 1, 4});
	e.node("Expand", {"x", "s"}, {"y"});
	std::vector<float> y = run1(e, F({3, 1}, {1, 2, 3}));
	for (int64_t i = 0; i < 2; i++)
		for (int64_t j = 0; j < 3; j++)
			for (int64_t k = 0; k < 4; k++)
				REQUIRE(y[at({2, 3, 4}, {i, j, k})] == (float)(j + 1));

	Shape xs{2, 3};
	ModelBuilder t;
	t.input("x", xs).output("y", {6, 6});
	t.init_i64("r", {2}, {3, 2});
	t.node("Tile", {"x", "r"}, {"y"});
	std::vector<float> x = iota_f(6);
	y = run1(t, F(xs, x));
	for (int64_t i = 0; i < 6; i++)
		for (int64_t j = 0; j < 6; j++)
			REQUIRE(y[at({6, 6}, {i, j})] == x[at(xs, {i % 2, j % 3})]);
}

TEST_CASE("Tile of rank 5 needs more than 8 copy axes", "[movement][onnx]")
{
	Shape xs{2, 3, 2, 3, 2};
	ModelBuilder t;
	t.input("x", xs).output("y", {4, 6, 4, 6, 4});
	t.init_i64("r", {5}, {2, 2, 2, 2, 2});
	t.node("Tile", {"x", "r"}, {"y"});
	std::vector<float> x = iota_f(72), y = run1(t, F(xs, x));
	Shape ys{4, 6, 4, 6, 4};
	for (int64_t a = 0; a < 4; a++)
		for (int64_t b = 0; b < 6; b++)
			for (int64_t c = 0; c < 4; c++)
				for (int64_t d = 0; d < 6; d++)
					for (int64_t e = 0; e < 4; e++)
						REQUIRE(y[at(ys, {a, b, c, d, e})] ==
							x[at(xs, {a % 2, b % 3, c % 2, d % 3, e % 2})]);
}

TEST_CASE("DepthToSpace and SpaceToDepth invert each other", "[movement][onnx]")
{
	for (const char *mode : {"DCR", "CRD"}) {
		ModelBuilder b(28);	// SpaceToDepth takes a mode from opset 28
		b.input("x", {1, 8, 2, 3}).output("y", {1, 8, 2, 3});
		auto &d = b.node("DepthToSpace", {"x"}, {"s"});
		ModelBuilder::attr_int(d, "blocksize", 2);
		ModelBuilder::attr_string(d, "mode", mode);
		auto &s = b.node("SpaceToDepth", {"s"}, {"y"});
		ModelBuilder::attr_int(s, "blocksize", 2);
		ModelBuilder::attr_string(s, "mode", mode);
		std::vector<float> x = iota_f(48), y = run1(b, F({1, 8, 2, 3}, x));
		INFO(mode);
		REQUIRE(y == x);
		REQUIRE(b.lowered().ops.size() == 4);	// INPUT, 2 COPY, OUTPUT
	}
	// DCR by hand, C = 4, b = 2: y[0][0][h*2+i][w*2+j] = x[0][i*2+j][h][w].
	ModelBuilder b(13);
	b.input("x", {1, 4, 1, 2}).output("y", {1, 1, 2, 4});
	ModelBuilder::attr_int(b.node("DepthToSpace", {"x"}, {"y"}), "blocksize", 2);
	std::vector<float> x = iota_f(8), y = run1(b, F({1, 4, 1, 2}, x));
	for (int64_t i = 0; i < 2; i++)
		for (int64_t w = 0; w < 2; w++)
			for (int64_t j = 0; j < 2; j++)
				REQUIRE(y[at({1, 1, 2, 4}, {0, 0, i, w * 2 + j})] == x[at({1, 4, 1, 2}, {0, i * 2 + j, 0, w})]);
}

TEST_CASE("Pad: opset 2 attributes, opset 18 axes, int64 constant", "[movement][onnx]")
{
	ModelBuilder a(7);
	a.input("x", {2, 2}).output("y", {3, 4});
	auto &n = a.node("Pad", {"x"}, {"y"});
	ModelBuilder::attr_ints(n, "pads", {1, 0, 0, 2});
	ModelBuilder::attr_float(n, "value", 7.5f);
	REQUIRE(run1(a, F({2, 2}, {1, 2, 3, 4})) ==
		std::vector<float>{7.5f, 7.5f, 7.5f, 7.5f, 1, 2, 7.5f, 7.5f, 3, 4, 7.5f, 7.5f});

	ModelBuilder b(18);
	b.input("x", {2, 3}, onnx::TensorProto::INT64).output("y", {2, 2});
	set_output_type(b, 0, onnx::TensorProto::INT64);
	b.init_i64("p", {2}, {1, -2});	// axis 1: pad 1 before, crop 2 after
	b.init_i64("v", {}, {-9});
	b.init_i64("ax", {1}, {-1});
	b.node("Pad", {"x", "p", "v", "ax"}, {"y"});
	std::vector<HostTensor> y = run_model(b, {HostTensor::from_ints(DType::i64, {2, 3}, {1, 2, 3, 4, 5, 6})});
	REQUIRE(y[0].ints() == std::vector<int64_t>{-9, 1, -9, 4});

	// A constant_value known only at run time: the op's second input.
	ModelBuilder r(13);
	r.input("x", {2}).input("v", {}).output("y", {4});
	r.init_i64("p", {2}, {1, 1});
	r.node("Pad", {"x", "p", "v"}, {"y"});
	REQUIRE(run_model(r, {F({2}, {1, 2}), F({}, {-0.5f})})[0].floats() ==
		std::vector<float>{-0.5f, 1, 2, -0.5f});

	ModelBuilder e(13);
	e.input("x", {1, 3}).output("y", {1, 7});
	e.init_i64("p", {4}, {0, 2, 0, 2});
	ModelBuilder::attr_string(e.node("Pad", {"x", "p"}, {"y"}), "mode", "reflect");
	REQUIRE(run1(e, F({1, 3}, {1, 2, 3})) == std::vector<float>{3, 2, 1, 2, 3, 2, 1});
}

TEST_CASE("Gather: an embedding table weight, runtime int32 indices", "[movement][onnx]")
{
	ModelBuilder b;
	b.input("ids", {2, 2}, onnx::TensorProto::INT32).output("y", {2, 2, 3});
	std::vector<float> table = iota_f(15);	// [5,3]
	b.init("E", {5, 3}, table);
	b.node("Gather", {"E", "ids"}, {"y"});
	HostTensor ids = HostTensor::from_ints(DType::i32, {2, 2}, {4, 0, -1, 2});
	std::vector<float> y = run_model(b, {ids})[0].floats();
	REQUIRE(y == std::vector<float>{12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8});
	// An index out of range at run time is a run error, not a read.
	HostTensor bad = HostTensor::from_ints(DType::i32, {2, 2}, {0, 5, 0, 0});
	REQUIRE_THROWS_AS(run_model(b, {bad}), InputError);
	REQUIRE_THROWS_WITH(run_model(b, {bad}), Contains("ERANGE"));
	// One GATHER, reading the table from its weight map.
	Lowered l = b.lowered();
	int gathers = 0;
	for (const LOp &op : l.ops)
		gathers += op.op == KINFER_OP_GATHER && op.in[0].kind == LRef::Kind::weight;
	REQUIRE(gathers == 1);
}

TEST_CASE("GatherElements along axis 1 by hand", "[movement][onnx]")
{
	ModelBuilder b;
	b.input("x", {2, 3}).output("y", {2, 2});
	b.init_i64("i", {2, 2}, {2, -3, 1, 1});
	ModelBuilder::attr_int(b.node("GatherElements", {"x", "i"}, {"y"}), "axis", 1);
	REQUIRE(run1(b, F({2, 3}, {1, 2, 3, 4, 5, 6})) == std::vector<float>{3, 1, 5, 5});
}

TEST_CASE("a shape subgraph folds; constant outputs are copied out", "[movement][onnx]")
{
	// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, all folded; the
	// Shape output is also a graph output.
	ModelBuilder b(13);
	b.input("x", {2, 3, 4}).output("y", {2, 12}).output("s", {3});
	set_output_type(b, 1, onnx::TensorProto::INT64);
	b.init_i64("zero", {}, {0});
	b.init_i64("ax", {1}, {0});
	b.init_i64("m1", {1}, {-1});
	b.node("Shape", {"x"}, {"s"});
	b.node("Gather", {"s", "zero"}, {"n"});
	b.node("Unsqueeze", {"n", "ax"}, {"n1"});
	ModelBuilder::attr_int(b.node("Concat", {"n1", "m1"}, {"shape"}), "axis", 0);
	b.node("Reshape", {"x", "shape"}, {"y"});
	Graph g = b.graph();
	REQUIRE(g.value("shape").constant);
	REQUIRE(g.value("shape").data.ints() == std::vector<int64_t>{2, -1});
	std::vector<HostTensor> y = run_model(b, {F({2, 3, 4}, iota_f(24))});
	REQUIRE(y[0].shape == Shape{2, 12});
	REQUIRE(y[1].ints() == std::vector<int64_t>{2, 3, 4});
}

TEST_CASE("Range and ConstantOfShape fold at compile time", "[movement][onnx]")
{
	ModelBuilder b(11);
	b.input("x", {3}).output("y", {3});
	b.init("s", {}, {10});
	b.init("l", {}, {4});
	b.init("d", {}, {-2});
	b.node("Range", {"s", "l", "d"}, {"r"});	// 10, 8, 6
	b.node("Add", {"x", "r"}, {"y"});
	REQUIRE(run1(b, F({3}, {1, 1, 1})) == std::vector<float>{11, 9, 7});

	ModelBuilder c(11);
	c.input("x", {2, 3}, onnx::TensorProto::INT32).output("y", {2, 3});
	set_output_type(c, 0, onnx::TensorProto::INT32);
	c.init_i64("shape", {2}, {2, 3});
	auto &n = c.node("ConstantOfShape", {"shape"}, {"k"});
	auto *a = n.add_attribute();
	a->set_name("value");
	a->set_type(onnx::AttributeProto::TENSOR);
	a->mutable_t()->set_data_type(onnx::TensorProto::INT32);
	a->mutable_t()->add_dims(1);
	a->mutable_t()->add_int32_data(5);
	c.node("Add", {"x", "k"}, {"y"});
	std::vector<HostTensor> y = run_model(c, {HostTensor::from_ints(DType::i32, {2, 3}, {0, 1, 2, 3, 4, 5})});
	REQUIRE(y[0].ints() == std::vector<int64_t>{5, 6, 7, 8, 9, 10});
}

TEST_CASE("movement errors name the node and the cause", "[movement][onnx]")
{
	auto fails = [](ModelBuilder &b, const std::string &what) {
		REQUIRE_THROWS_AS(b.compiled(), ModelError);
		REQUIRE_THROWS_WITH(b.compiled(), Contains("'bad'") && Contains(what));
	};
	{
		ModelBuilder b;
		b.input("x", {2, 3}).output("y", {3, 2});
		ModelBuilder::attr_ints(b.node("Transpose", {"x"}, {"y"}, "bad"), "perm", {0, 0});
		fails(b, "is not a permutation");
	}
	{
		ModelBuilder b(13);
		b.input("x", {4}).output("y", {4});
		b.init_i64("s", {1}, {0});
		b.init_i64("e", {1}, {4});
		b.init_i64("a", {1}, {0});
		b.init_i64("st", {1}, {0});
		b.node("Slice", {"x", "s", "e", "a", "st"}, {"y"}, "bad");
		fails(b, "a step is 0");
	}
	{
		ModelBuilder b;
		b.input("x", {2, 3}).input("z", {3, 3}).output("y", {2, 6});
		ModelBuilder::attr_int(b.node("Concat", {"x", "z"}, {"y"}, "bad"), "axis", 1);
		fails(b, "does not concatenate");
	}
	{
		ModelBuilder b(13);
		b.input("x", {5}).output("p", {2}).output("q", {2});
		b.init_i64("s", {2}, {2, 2});
		b.node("Split", {"x", "s"}, {"p", "q"}, "bad");
		fails(b, "does not add up to dimension 5");
	}
	{
		ModelBuilder b;
		b.input("x", {3}).output("y", {1});
		b.init_i64("i", {1}, {3});
		b.node("Gather", {"x", "i"}, {"y"}, "bad");
		fails(b, "index 3");
	}
	{
		ModelBuilder b(13);
		b.input("x", {3}).output("y", {5});
		b.init_i64("p", {2}, {1, 1});
		ModelBuilder::attr_string(b.node("Pad", {"x", "p"}, {"y"}, "bad"), "mode", "mirror");
		fails(b, "mode=mirror is not supported");
	}
	{
		ModelBuilder b(13);
		b.input("x", {3}).input("p", {2}, onnx::TensorProto::INT64).output("y", {5});
		b.node("Pad", {"x", "p"}, {"y"}, "bad");
		fails(b, "must be a constant");
	}
	{
		ModelBuilder b;
		b.input("x", {1, 3, 2, 2}).output("y", {1, 1, 4, 4});
		ModelBuilder::attr_int(b.node("DepthToSpace", {"x"}, {"y"}, "bad"), "blocksize", 2);
		fails(b, "not a multiple of blocksize^2");
	}
}

TEST_CASE("graph outputs that alias an input or each other need no copy", "[movement][onnx]")
{
	// y1 and y2 are both x (via Identity), y3 is x itself.
	ModelBuilder b;
	b.input("x", {2}).output("y1", {2}).output("y2", {2}).output("x", {2});
	b.node("Identity", {"x"}, {"y1"});
	b.node("Identity", {"y1"}, {"y2"});
	std::vector<HostTensor> y = run_model(b, {F({2}, {3, 4})});
	REQUIRE(y.size() == 3);
	for (const HostTensor &t : y)
		REQUIRE(t.floats() == std::vector<float>{3, 4});
	for (const LOp &op : b.lowered().ops)
		REQUIRE((op.op == KINFER_OP_INPUT || op.op == KINFER_OP_OUTPUT));
}
