// SPDX-License-Identifier: GPL-2.0
// The int8 kernel ops with TensorFlow Lite's quantised semantics
// (QFULLY_CONNECTED, QCONV, QDEPTHWISE_CONV, QADD, QMUL, QMAXPOOL,
// QAVERAGEPOOL) on hand-built nodes: each against a plain reimplementation
// of TFLite's reference kernel written here (its fixed-point multiply
// formulated independently of kmod/int8/qmath.h), on random shapes and
// values; any split of the units gives the same bytes; the prepares refuse
// every bad attribute, shape and dtype; bad per-channel multipliers fail
// eval.  Also the dtype audit: ops that cannot handle INT8 refuse it.
extern "C" {
#include "int8/qmath.h"
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace {

using Dims = std::vector<uint32_t>;

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();

// ---- TFLite's fixed-point multiply, formulated on its own ----

// gemmlowp's SaturatingRoundingDoublingHighMul: its nudge (2^30, or
// 1 - 2^30 for a negative product) before a truncating division is
// floor(a * b / 2^31 + 1/2): ties round up.
int32_t ref_high_mul(int32_t a, int32_t b)
{
	if (a == kI32Min && b == kI32Min)
		return kI32Max;
	int64_t ab = (int64_t)a * b;
	return (int32_t)((ab + (int64_t(1) << 30)) >> 31);	// arithmetic: floor
}

// RoundingDivideByPOT: x / 2^e rounded half away from zero.
int32_t ref_div_pot(int32_t x, int e)
{
	int64_t m = x < 0 ? -(int64_t)x : x;
	int64_t r = e ? (m + (int64_t(1) << (e - 1))) >> e : m;
	return (int32_t)(x < 0 ? -r : r);
}

int32_t sat32(int64_t v)
{
	return (int32_t)std::min<int64_t>(std::max<int64_t>(v, kI32Min), kI32Max);
}

// MultiplyByQuantizedMultiplier (x * 2^left saturating, as the uapi says).
int32_t ref_requant(int32_t x, int32_t mult, int32_t shift)
{
	int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
	return ref_div_pot(ref_high_mul(sat32((int64_t)x * (int64_t(1) << left)), mult), right);
}

// QFULLY_CONNECTED's single rounding: x * mult / 2^(31 - shift) rounded to
// nearest, ties up, saturated; in 128-bit arithmetic with a floor division.
int32_t ref_requant_half_up(int32_t x, int32_t mult, int32_t shift)
{
	__int128 num = (__int128)x * mult, den = (__int128)1 << (31 - shift);
	__int128 twice = 2 * num + den;	// floor((2 num + den) / (2 den))
	__int128 q = twice / (2 * den);
	if (twice % (2 * den) < 0)
		q -= 1;
	return sat32((int64_t)q);
}

int8_t ref_out(int64_t v, int32_t lo, int32_t hi)
{
	return (int8_t)std::min<int64_t>(std::max<int64_t>(v, lo), hi);
}

// ---- hand-built nodes in a 4 MiB arena ----

kinfer_tensor omitted()
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	return t;
}

struct Node {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint64_t> arena = std::vector<uint64_t>(1 << 19);
	uint32_t top = 0;
	kinfer_exec ex;

	kinfer_tensor add(uint8_t dtype, const Dims &dims)
	{
		static const uint32_t esize[] = {0, 4, 4, 8, 1, 1, 1};
		kinfer_tensor t = omitted();
		uint64_t n = 1;
		t.dtype = dtype;
		t.off = top;
		t.rank = (uint8_t)dims.size();
		for (size_t i = 0; i < dims.size(); i++) {
			t.dims[i] = dims[i];
			n *= dims[i];
		}
		top += (uint32_t)((n * esize[dtype] + 7) / 8 * 8);
		REQUIRE(top <= arena.size() * 8);
		return t;
	}
	uint8_t *at(const kinfer_tensor &t) { return reinterpret_cast<uint8_t *>(arena.data()) + t.off; }
	template <typename T> void put(const kinfer_tensor &t, const std::vector<T> &v)
	{
		std::memcpy(at(t), v.data(), v.size() * sizeof(T));
	}
	std::vector<int8_t> get(const kinfer_tensor &t, size_t n)
	{
		std::vector<int8_t> v(n);
		std::memcpy(v.data(), at(t), n);
		return v;
	}

	template <typename A>
	int prepare(uint16_t op, const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out,
		    const A &attr)
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
		for (const kinfer_tensor &t : in) {
			std::memcpy(p, &t, sizeof(t));
			p += sizeof(t);
		}
		for (const kinfer_tensor &t : out) {
			std::memcpy(p, &t, sizeof(t));
			p += sizeof(t);
		}
		std::memcpy(p, &attr, sizeof(A));
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena.data = arena.data();
		b.arena.size = (uint32_t)(arena.size() * 8);
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}

	int eval() { return ex.desc->eval(&ex, 0, ex.units); }

	// Eval in random pieces; the output must equal @want.
	void check_split(const kinfer_tensor &y, size_t n, const std::vector<int8_t> &want, std::mt19937 &rng)
	{
		std::memset(at(y), 0x5a, n);
		for (uint64_t u = 0; u < ex.units;) {
			uint64_t e = std::min<uint64_t>(ex.units, u + 1 + rng() % 4);
			REQUIRE(ex.desc->eval(&ex, u, e) == 0);
			u = e;
		}
		REQUIRE(get(y, n) == want);
	}
};

int rnd(std::mt19937 &rng, int lo, int hi)
{
	return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::vector<int8_t> rnd_i8(std::mt19937 &rng, size_t n)
{
	std::vector<int8_t> v(n);
	for (auto &x : v)
		x = (int8_t)rnd(rng, -128, 127);
	return v;
}

// A fused activation range: the whole of int8, or a ReLU/ReLU6-like part.
void rnd_act(std::mt19937 &rng, int32_t &lo, int32_t &hi)
{
	lo = -128;
	hi = 127;
	if (rng() % 2) {
		lo = rnd(rng, -128, 20);
		hi = rnd(rng, lo, 127);
	}
}

// A multiplier scaling sums of `terms` products of int8 values to int8:
// about 2^-(7 + log2(terms) / 2), jittered.
void rnd_mult(std::mt19937 &rng, int terms, int32_t &mult, int32_t &shift)
{
	int bits = 0;
	while ((1 << bits) < terms)
		bits++;
	mult = (int32_t)std::uniform_int_distribution<int64_t>(int64_t(1) << 30, kI32Max)(rng);
	shift = -(7 + bits / 2) + rnd(rng, -2, 2);
}

// ====================================================================
// The fixed-point multiply itself
// ====================================================================

TEST_CASE("qmath's requantisation equals TFLite's formula", "[int8]")
{
	std::mt19937 rng(7);
	const int32_t xs[] = {0, 1, -1, kI32Max, kI32Min, 1 << 30, -(1 << 30), 12345, -12345};
	const int32_t ms[] = {1 << 30, kI32Max, (1 << 30) + 1, 0, 1518500250};
	for (int32_t x : xs)
		for (int32_t m : ms)
			for (int32_t s = -31; s <= 30; s++)
				REQUIRE(kinfer_q_requant(x, m, s) == ref_requant(x, m, s));
	for (int32_t x : xs)
		for (int32_t m : ms)
			for (int32_t s = -31; s <= 30; s++)
				REQUIRE(kinfer_q_requant_half_up(x, m, s) == ref_requant_half_up(x, m, s));
	for (int i = 0; i < 200000; i++) {
		int32_t x = (int32_t)rng();
		if (i % 2)
			x >>= rnd(rng, 0, 30);
		int32_t m = (int32_t)std::uniform_int_distribution<int64_t>(int64_t(1) << 30, kI32Max)(rng);
		int32_t s = rnd(rng, -31, 30);
		REQUIRE(kinfer_q_requant(x, m, s) == ref_requant(x, m, s));
		REQUIRE(kinfer_q_requant_half_up(x, m, s) == ref_requant_half_up(x, m, s));
	}
	// Exact ties of the high multiply: TFLite rounds them up, not away.
	REQUIRE(kinfer_q_doubling_high_mul(-1, 1 << 30) == 0);	// -0.5
	REQUIRE(kinfer_q_doubling_high_mul(-3, 1 << 30) == -1);	// -1.5
	REQUIRE(kinfer_q_doubling_high_mul(1, 1 << 30) == 1);	// 0.5
	REQUIRE(ref_high_mul(-1, 1 << 30) == 0);
	// The rounding division QSOFTMAX's fixed point uses: half away from 0.
	for (int i = 0; i < 100000; i++) {
		int32_t x = (int32_t)rng();
		int e = rnd(rng, 0, 31);
		REQUIRE(kinfer_q_div_pot(x, e) == ref_div_pot(x, e));
	}
	// RoundingDivideByPOT does round half away from zero.
	REQUIRE(kinfer_q_div_pot(-3, 1) == -2);
	REQUIRE(kinfer_q_div_pot(3, 1) == 2);
	REQUIRE(kinfer_q_doubling_high_mul(kI32Min, kI32Min) == kI32Max);
}

// ====================================================================
// QFULLY_CONNECTED
// ====================================================================

struct FcCase {
	uint32_t m, k, n;
	bool bias, per_channel;
	kinfer_attr_qmatmul a{};
	std::vector<int8_t> x, w;
	std::vector<int32_t> b, mult, shift;
};

std::vector<int8_t> ref_fc(const FcCase &c)
{
	std::vector<int8_t> y(c.m * c.n);
	for (uint32_t i = 0; i < c.m; i++)
		for (uint32_t j = 0; j < c.n; j++) {
			int64_t acc = 0;
			for (uint32_t l = 0; l < c.k; l++)
				acc += (int64_t)(c.x[i * c.k + l] + c.a.input_offset) *
				       (c.w[j * c.k + l] + c.a.filter_offset);
			if (c.bias)
				acc += c.b[j];
			size_t q = c.per_channel ? j : 0;
			y[i * c.n + j] = ref_out((int64_t)ref_requant_half_up(sat32(acc), c.mult[q], c.shift[q]) +
							 c.a.output_offset,
						 c.a.act_min, c.a.act_max);
		}
	return y;
}

FcCase rnd_fc(std::mt19937 &rng)
{
	FcCase c;
	c.m = rnd(rng, 1, 5);
	c.k = rnd(rng, 1, 70);
	c.n = rnd(rng, 1, 12);
	c.bias = rng() % 3 != 0;
	c.per_channel = rng() % 2;
	c.a.input_offset = rnd(rng, -127, 128);
	c.a.filter_offset = rng() % 4 ? 0 : rnd(rng, -255, 255);
	c.a.output_offset = rnd(rng, -128, 127);
	rnd_act(rng, c.a.act_min, c.a.act_max);
	c.x = rnd_i8(rng, c.m * c.k);
	c.w = rnd_i8(rng, c.n * c.k);
	for (uint32_t j = 0; j < c.n; j++)
		c.b.push_back(rnd(rng, -40000, 40000));
	for (uint32_t j = 0; j < (c.per_channel ? c.n : 1); j++) {
		int32_t m, s;
		rnd_mult(rng, (int)c.k, m, s);
		c.mult.push_back(m);
		c.shift.push_back(s);
	}
	return c;
}

struct FcNode {
	Node h;
	kinfer_tensor x, w, b, mult, shift, y;
	int prepare(const FcCase &c)
	{
		x = h.add(KINFER_DTYPE_INT8, {c.m, c.k});
		w = h.add(KINFER_DTYPE_INT8, {c.n, c.k});
		b = c.bias ? h.add(KINFER_DTYPE_INT32, {c.n}) : omitted();
		uint32_t q = c.per_channel ? c.n : 1;
		mult = h.add(KINFER_DTYPE_INT32, {q});
		shift = h.add(KINFER_DTYPE_INT32, {q});
		y = h.add(KINFER_DTYPE_INT8, {c.m, c.n});
		h.put(x, c.x);
		h.put(w, c.w);
		if (c.bias)
			h.put(b, c.b);
		h.put(mult, c.mult);
		h.put(shift, c.shift);
		return h.prepare(KINFER_OP_QFULLY_CONNECTED, {x, w, b, mult, shift}, {y}, c.a);
	}
};

TEST_CASE("QFULLY_CONNECTED equals TFLite's FullyConnected", "[int8]")
{
	std::mt19937 rng(130);
	for (int it = 0; it < 300; it++) {
		FcCase c = rnd_fc(rng);
		FcNode f;
		REQUIRE(f.prepare(c) == 0);
		REQUIRE_FALSE(f.h.ex.fpu);
		REQUIRE(f.h.ex.work >= (uint64_t)c.m * c.n * c.k);
		REQUIRE(f.h.eval() == 0);
		std::vector<int8_t> want = ref_fc(c);
		REQUIRE(f.h.get(f.y, want.size()) == want);
		f.h.check_split(f.y, want.size(), want, rng);
	}
}

TEST_CASE("QFULLY_CONNECTED splits a long row into bounded units", "[int8]")
{
	std::mt19937 rng(131);
	FcCase c = rnd_fc(rng);
	c.m = 2;
	c.k = 3000;
	c.n = 300;	// 300 * 3001 > one section: several units per row
	c.x = rnd_i8(rng, c.m * c.k);
	c.w = rnd_i8(rng, c.n * c.k);
	c.b.assign(c.n, 7);
	c.per_channel = true;
	c.mult.clear();
	c.shift.clear();
	for (uint32_t j = 0; j < c.n; j++) {
		int32_t m, s;
		rnd_mult(rng, (int)c.k, m, s);
		c.mult.push_back(m);
		c.shift.push_back(s);
	}
	FcNode f;
	REQUIRE(f.prepare(c) == 0);
	REQUIRE(f.h.ex.units > c.m);
	REQUIRE(f.h.ex.unit_work <= KINFER_FPU_CHUNK);
	REQUIRE(f.h.eval() == 0);
	std::vector<int8_t> want = ref_fc(c);
	REQUIRE(f.h.get(f.y, want.size()) == want);
	f.h.check_split(f.y, want.size(), want, rng);
}

TEST_CASE("QFULLY_CONNECTED prepare refuses bad nodes", "[int8]")
{
	std::mt19937 rng(132);
	FcCase c = rnd_fc(rng);
	c.m = 2;
	c.k = 5;
	c.n = 3;
	c.bias = true;
	c.per_channel = true;
	c.x = rnd_i8(rng, 10);
	c.w = rnd_i8(rng, 15);
	c.b = {1, 2, 3};
	c.mult = {1 << 30, 1 << 30, 1 << 30};
	c.shift = {-3, -3, -3};
	FcNode f;
	REQUIRE(f.prepare(c) == 0);
	Node &h = f.h;
	auto x = f.x, w = f.w, b = f.b, m = f.mult, s = f.shift, y = f.y;
	auto prep = [&](const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out,
			const kinfer_attr_qmatmul &a) { return h.prepare(KINFER_OP_QFULLY_CONNECTED, in, out, a); };
	const kinfer_attr_qmatmul a = c.a;
	REQUIRE(prep({x, w, omitted(), m, s}, {y}, a) == 0);
	auto m1 = h.add(KINFER_DTYPE_INT32, {1}), s1 = h.add(KINFER_DTYPE_INT32, {1});
	REQUIRE(prep({x, w, b, m1, s1}, {y}, a) == 0);

	SECTION("arity") {
		REQUIRE(prep({x, w, b, m}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, omitted()}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, omitted(), s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, omitted(), b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {y, y}, a) == -EINVAL);
	}
	SECTION("dtypes") {
		auto f32 = [&](kinfer_tensor t) { t.dtype = KINFER_DTYPE_FLOAT32; return t; };
		auto u8 = [&](kinfer_tensor t) { t.dtype = KINFER_DTYPE_UINT8; return t; };
		auto i8 = [&](kinfer_tensor t) { t.dtype = KINFER_DTYPE_INT8; return t; };
		auto i64 = [&](kinfer_tensor t) { t.dtype = KINFER_DTYPE_INT64; return t; };
		REQUIRE(prep({u8(x), w, b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, u8(w), b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {u8(y)}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {f32(h.add(KINFER_DTYPE_INT8, {2, 3}))}, a) == -EINVAL);
		REQUIRE(prep({x, w, i8(b), m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, f32(b), m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, f32(m), s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, f32(s)}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, i64(h.add(KINFER_DTYPE_INT64, {3})), s}, {y}, a) == -EINVAL);
	}
	SECTION("shapes") {
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {2, 4}), w, b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {1, 2, 5}), w, b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {10}), w, b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {5, 3}), b, m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {h.add(KINFER_DTYPE_INT8, {3, 2})}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {h.add(KINFER_DTYPE_INT8, {1, 3})}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, m, s}, {h.add(KINFER_DTYPE_INT8, {2, 3, 1})}, a) == -EINVAL);
		REQUIRE(prep({x, w, h.add(KINFER_DTYPE_INT32, {2}), m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, h.add(KINFER_DTYPE_INT32, {1, 3}), m, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, h.add(KINFER_DTYPE_INT32, {2}), h.add(KINFER_DTYPE_INT32, {2})}, {y}, a) ==
			-EINVAL);
		REQUIRE(prep({x, w, b, h.add(KINFER_DTYPE_INT32, {4}), h.add(KINFER_DTYPE_INT32, {4})}, {y}, a) ==
			-EINVAL);
		REQUIRE(prep({x, w, b, m, s1}, {y}, a) == -EINVAL);	// one [3], one [1]
		REQUIRE(prep({x, w, b, m1, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, h.add(KINFER_DTYPE_INT32, {1, 3}), h.add(KINFER_DTYPE_INT32, {1, 3})},
			     {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, b, h.add(KINFER_DTYPE_INT32, {}), h.add(KINFER_DTYPE_INT32, {})}, {y}, a) ==
			-EINVAL);
	}
	SECTION("attributes") {
		auto bad = [&](std::function<void(kinfer_attr_qmatmul &)> f) {
			kinfer_attr_qmatmul t = a;
			f(t);
			return prep({x, w, b, m, s}, {y}, t);
		};
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.reserved = 1; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.input_offset = 256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.input_offset = -256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.input_offset = 255; }) == 0);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.filter_offset = 256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.filter_offset = -256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.output_offset = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.output_offset = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.act_min = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.act_max = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.act_min = 5, t.act_max = 4; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qmatmul &t) { t.act_min = 5, t.act_max = 5; }) == 0);
	}
	SECTION("a row longer than one section") {
		Node big;
		uint32_t k = KINFER_FPU_CHUNK;
		auto bx = big.add(KINFER_DTYPE_INT8, {1, k}), bw = big.add(KINFER_DTYPE_INT8, {1, k});
		auto bm = big.add(KINFER_DTYPE_INT32, {1}), bs = big.add(KINFER_DTYPE_INT32, {1});
		REQUIRE(big.prepare(KINFER_OP_QFULLY_CONNECTED, {bx, bw, omitted(), bm, bs},
				    {big.add(KINFER_DTYPE_INT8, {1, 1})}, a) == -E2BIG);
	}
}

// An invalid (multiplier, shift) in a tensor fails eval; 0 is valid.
template <typename Setup>
void check_bad_multipliers(Setup setup)
{
	const int32_t bad[][2] = {{(1 << 30) - 1, -3}, {-(1 << 30), -3}, {1, 0}, {kI32Min, 0},
				  {1 << 30, 31},       {1 << 30, -32}, {1 << 30, kI32Min}, {0, 31}};
	for (const auto &p : bad) {
		std::vector<int8_t> out;
		REQUIRE(setup(p[0], p[1], out) == -EINVAL);
	}
	std::vector<int8_t> out;
	REQUIRE(setup(0, 0, out) == 0);
	REQUIRE(setup(1 << 30, 30, out) == 0);
	REQUIRE(setup(kI32Max, -31, out) == 0);
}

TEST_CASE("QFULLY_CONNECTED fails eval on a bad multiplier", "[int8]")
{
	std::mt19937 rng(133);
	FcCase base = rnd_fc(rng);
	base.per_channel = true;
	base.n = 4;
	base.w = rnd_i8(rng, base.n * base.k);
	base.b.assign(4, 0);
	base.mult.assign(4, 1 << 30);
	base.shift.assign(4, -8);
	check_bad_multipliers([&](int32_t m, int32_t s, std::vector<int8_t> &) {
		FcCase c = base;
		c.mult[2] = m;
		c.shift[2] = s;
		FcNode f;
		REQUIRE(f.prepare(c) == 0);
		int r = f.h.eval();
		if (!r)
			REQUIRE(f.h.get(f.y, c.m * c.n) == ref_fc(c));
		return r;
	});
	// Per tensor too.
	FcCase c = base;
	c.per_channel = false;
	c.mult = {(1 << 30) - 1};
	c.shift = {0};
	FcNode f;
	REQUIRE(f.prepare(c) == 0);
	REQUIRE(f.h.eval() == -EINVAL);
}

} // namespace

namespace {

// ====================================================================
// QCONV, QDEPTHWISE_CONV
// ====================================================================

struct ConvCase {
	bool depthwise;
	uint32_t n, h, w, c, m, kh, kw, oh, ow;
	bool bias, per_channel;
	kinfer_attr_qconv a{};
	std::vector<int8_t> x, f;
	std::vector<int32_t> b, mult, shift;
};

// TFLite's ConvPerChannel / DepthwiseConvPerChannel, NHWC.
std::vector<int8_t> ref_conv(const ConvCase &c)
{
	std::vector<int8_t> y((size_t)c.n * c.oh * c.ow * c.m);
	for (uint32_t b = 0; b < c.n; b++)
		for (uint32_t oy = 0; oy < c.oh; oy++)
			for (uint32_t ox = 0; ox < c.ow; ox++)
				for (uint32_t oc = 0; oc < c.m; oc++) {
					int64_t acc = 0;
					for (uint32_t ky = 0; ky < c.kh; ky++)
						for (uint32_t kx = 0; kx < c.kw; kx++) {
							int64_t iy = (int64_t)oy * c.a.stride_h - c.a.pad_top +
								     (int64_t)ky * c.a.dilation_h;
							int64_t ix = (int64_t)ox * c.a.stride_w - c.a.pad_left +
								     (int64_t)kx * c.a.dilation_w;
							if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w)
								continue;
							size_t xo = ((b * c.h + iy) * c.w + ix) * c.c;
							if (c.depthwise) {
								uint32_t ic = oc / c.a.depth_multiplier;
								acc += (int64_t)(c.x[xo + ic] + c.a.input_offset) *
								       c.f[(ky * c.kw + kx) * c.m + oc];
							} else {
								for (uint32_t ic = 0; ic < c.c; ic++)
									acc += (int64_t)(c.x[xo + ic] +
											 c.a.input_offset) *
									       c.f[((oc * c.kh + ky) * c.kw + kx) * c.c + ic];
							}
						}
					if (c.bias)
						acc += c.b[oc];
					size_t q = c.per_channel ? oc : 0;
					y[((b * c.oh + oy) * c.ow + ox) * c.m + oc] =
						ref_out((int64_t)ref_requant(sat32(acc), c.mult[q], c.shift[q]) +
								c.a.output_offset,
							c.a.act_min, c.a.act_max);
				}
	return y;
}

// One axis: TFLite's SAME or VALID padding, or any legal one.
void rnd_axis(std::mt19937 &rng, uint32_t in, uint32_t k, uint32_t s, uint32_t d, uint32_t &pad, uint32_t &out)
{
	uint32_t eff = (k - 1) * d + 1;
	switch (rng() % 3) {
	case 0:	// SAME
		out = (in + s - 1) / s;
		pad = (uint32_t)std::max<int64_t>(((int64_t)out - 1) * s + eff - in, 0) / 2;
		return;
	case 1:	// VALID, when the window fits
		if (eff <= in) {
			pad = 0;
			out = (in - eff) / s + 1;
			return;
		}
		/* fall through */
	default:
		pad = rnd(rng, 0, (int)eff - 1);
		out = rnd(rng, 1, (int)((in - 1 + pad) / s + 1));
	}
}

ConvCase rnd_conv(std::mt19937 &rng, bool depthwise)
{
	ConvCase c;
	c.depthwise = depthwise;
	c.n = rnd(rng, 1, 2);
	c.h = rnd(rng, 1, 9);
	c.w = rnd(rng, 1, 9);
	c.c = rnd(rng, 1, 6);
	c.kh = rnd(rng, 1, 4);
	c.kw = rnd(rng, 1, 4);
	c.a.stride_h = rnd(rng, 1, 3);
	c.a.stride_w = rnd(rng, 1, 3);
	c.a.dilation_h = rnd(rng, 1, 2);
	c.a.dilation_w = rnd(rng, 1, 2);
	if (depthwise) {
		c.a.depth_multiplier = rnd(rng, 1, 3);
		c.m = c.c * c.a.depth_multiplier;
	} else {
		c.m = rnd(rng, 1, 7);
	}
	rnd_axis(rng, c.h, c.kh, c.a.stride_h, c.a.dilation_h, c.a.pad_top, c.oh);
	rnd_axis(rng, c.w, c.kw, c.a.stride_w, c.a.dilation_w, c.a.pad_left, c.ow);
	c.bias = rng() % 3 != 0;
	c.per_channel = rng() % 2;
	c.a.input_offset = rnd(rng, -127, 128);
	c.a.output_offset = rnd(rng, -128, 127);
	rnd_act(rng, c.a.act_min, c.a.act_max);
	c.x = rnd_i8(rng, (size_t)c.n * c.h * c.w * c.c);
	c.f = rnd_i8(rng, (size_t)(depthwise ? 1 : c.m) * c.kh * c.kw * (depthwise ? c.m : c.c));
	for (uint32_t j = 0; j < c.m; j++)
		c.b.push_back(rnd(rng, -20000, 20000));
	int terms = (int)(c.kh * c.kw * (depthwise ? 1 : c.c));
	for (uint32_t j = 0; j < (c.per_channel ? c.m : 1); j++) {
		int32_t m, s;
		rnd_mult(rng, terms, m, s);
		c.mult.push_back(m);
		c.shift.push_back(s);
	}
	return c;
}

struct ConvNode {
	Node h;
	kinfer_tensor x, f, b, mult, shift, y;
	int prepare(const ConvCase &c)
	{
		x = h.add(KINFER_DTYPE_INT8, {c.n, c.h, c.w, c.c});
		f = c.depthwise ? h.add(KINFER_DTYPE_INT8, {1, c.kh, c.kw, c.m})
				: h.add(KINFER_DTYPE_INT8, {c.m, c.kh, c.kw, c.c});
		b = c.bias ? h.add(KINFER_DTYPE_INT32, {c.m}) : omitted();
		uint32_t q = c.per_channel ? c.m : 1;
		mult = h.add(KINFER_DTYPE_INT32, {q});
		shift = h.add(KINFER_DTYPE_INT32, {q});
		y = h.add(KINFER_DTYPE_INT8, {c.n, c.oh, c.ow, c.m});
		h.put(x, c.x);
		h.put(f, c.f);
		if (c.bias)
			h.put(b, c.b);
		h.put(mult, c.mult);
		h.put(shift, c.shift);
		return h.prepare(c.depthwise ? KINFER_OP_QDEPTHWISE_CONV : KINFER_OP_QCONV, {x, f, b, mult, shift},
				 {y}, c.a);
	}
	size_t out_size(const ConvCase &c) const { return (size_t)c.n * c.oh * c.ow * c.m; }
};

TEST_CASE("QCONV and QDEPTHWISE_CONV equal TFLite's per-channel convolutions", "[int8]")
{
	std::mt19937 rng(131);
	for (bool dw : {false, true})
		for (int it = 0; it < 400; it++) {
			ConvCase c = rnd_conv(rng, dw);
			ConvNode cn;
			INFO("depthwise " << dw << " case " << it);
			REQUIRE(cn.prepare(c) == 0);
			REQUIRE_FALSE(cn.h.ex.fpu);
			REQUIRE(cn.h.ex.work >= cn.out_size(c) * c.kh * c.kw * (dw ? 1 : c.c));
			REQUIRE(cn.h.eval() == 0);
			std::vector<int8_t> want = ref_conv(c);
			REQUIRE(cn.h.get(cn.y, want.size()) == want);
			cn.h.check_split(cn.y, want.size(), want, rng);
		}
}

TEST_CASE("QCONV splits wide layers into bounded units", "[int8]")
{
	std::mt19937 rng(134);
	ConvCase c = rnd_conv(rng, false);
	c.n = 1;
	c.h = 6;
	c.w = 40;
	c.c = 300;
	c.m = 40;
	c.kh = c.kw = 3;
	c.a.stride_h = c.a.stride_w = c.a.dilation_h = c.a.dilation_w = 1;
	c.a.pad_top = c.a.pad_left = 1;
	c.oh = 6;
	c.ow = 40;
	c.x = rnd_i8(rng, (size_t)c.h * c.w * c.c);
	c.f = rnd_i8(rng, (size_t)c.m * 9 * c.c);
	c.bias = false;
	c.per_channel = true;
	c.mult.clear();
	c.shift.clear();
	for (uint32_t j = 0; j < c.m; j++) {
		int32_t m, s;
		rnd_mult(rng, 2700, m, s);
		c.mult.push_back(m);
		c.shift.push_back(s);
	}
	ConvNode cn;
	REQUIRE(cn.prepare(c) == 0);
	REQUIRE(cn.h.ex.units > c.oh);
	REQUIRE(cn.h.ex.unit_work <= KINFER_FPU_CHUNK);
	std::vector<int8_t> want = ref_conv(c);
	cn.h.check_split(cn.y, want.size(), want, rng);
}

TEST_CASE("QCONV and QDEPTHWISE_CONV prepare refuse bad nodes", "[int8]")
{
	std::mt19937 rng(135);
	for (bool dw : {false, true}) {
		ConvCase c;
		c.depthwise = dw;
		c.n = 1;
		c.h = c.w = 5;
		c.c = 2;
		c.m = 4;
		c.kh = c.kw = 3;
		c.oh = c.ow = 3;
		c.bias = true;
		c.per_channel = true;
		c.a.stride_h = c.a.stride_w = c.a.dilation_h = c.a.dilation_w = 1;
		c.a.depth_multiplier = dw ? 2 : 0;
		c.a.act_min = -128;
		c.a.act_max = 127;
		c.x = rnd_i8(rng, 50);
		c.f = rnd_i8(rng, dw ? 36 : 72);
		c.b.assign(4, 0);
		c.mult.assign(4, 1 << 30);
		c.shift.assign(4, -5);
		ConvNode cn;
		INFO("depthwise " << dw);
		REQUIRE(cn.prepare(c) == 0);
		Node &h = cn.h;
		uint16_t op = dw ? KINFER_OP_QDEPTHWISE_CONV : KINFER_OP_QCONV;
		auto x = cn.x, f = cn.f, b = cn.b, m = cn.mult, s = cn.shift, y = cn.y;
		auto prep = [&](const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out,
				const kinfer_attr_qconv &a) { return h.prepare(op, in, out, a); };
		auto bad = [&](std::function<void(kinfer_attr_qconv &)> fn) {
			kinfer_attr_qconv t = c.a;
			fn(t);
			return prep({x, f, b, m, s}, {y}, t);
		};
		auto i8 = [&](const Dims &d) { return h.add(KINFER_DTYPE_INT8, d); };
		auto retype = [](kinfer_tensor t, uint8_t dt) { t.dtype = dt; return t; };

		REQUIRE(prep({x, f, omitted(), m, s}, {y}, c.a) == 0);
		// Arity and dtypes.
		REQUIRE(prep({x, f, b, m}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, omitted(), s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({retype(x, KINFER_DTYPE_UINT8), f, b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, retype(f, KINFER_DTYPE_BOOL), b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, retype(h.add(KINFER_DTYPE_INT32, {4}), KINFER_DTYPE_FLOAT32), m, s}, {y},
			     c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, s}, {retype(i8({1, 3, 3, 4}), KINFER_DTYPE_UINT8)}, c.a) == -EINVAL);
		// Shapes.
		REQUIRE(prep({i8({1, 5, 5, 3}), f, b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({i8({5, 5, 2}), f, b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, i8({4, 3, 3, 1}), b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, i8({2, 3, 3, 4}), b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, i8({3, 3, 4}), b, m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 3, 3, 5})}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, s}, {i8({2, 3, 3, 4})}, c.a) == -EINVAL);
		// Windows may run past X's end (those taps are left out), not start there.
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 5, 3, 4})}, c.a) == 0);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 6, 3, 4})}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 3, 6, 4})}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, h.add(KINFER_DTYPE_INT32, {3}), m, s}, {y}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, h.add(KINFER_DTYPE_INT32, {2}), h.add(KINFER_DTYPE_INT32, {2})}, {y},
			     c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, h.add(KINFER_DTYPE_INT32, {1})}, {y}, c.a) == -EINVAL);
		// Attributes.
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.reserved = 1; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.stride_h = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.stride_w = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.dilation_h = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.dilation_w = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.input_offset = 256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.input_offset = -256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.output_offset = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.output_offset = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.act_min = 1, t.act_max = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.act_min = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.act_max = 128; }) == -EINVAL);
		REQUIRE(bad([&](kinfer_attr_qconv &t) { t.depth_multiplier = dw ? 0 : 1; }) == -EINVAL);
		if (dw)
			REQUIRE(bad([](kinfer_attr_qconv &t) { t.depth_multiplier = 1; }) == -EINVAL);
		// Windows: padding must leave the first window a tap in X.
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.pad_top = 2; }) == 0);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.pad_top = 3; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.pad_left = 3; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.pad_left = 5, t.dilation_w = 3; }) == 0);
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.pad_left = 7, t.dilation_w = 3; }) == -EINVAL);
		// Every window starts before X ends: with stride 2, 3 rows need pad >= 0 and
		// 5 rows need (5 - 1) * 2 <= 4 + pad.
		REQUIRE(bad([](kinfer_attr_qconv &t) { t.stride_h = 2; }) == 0);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 5, 3, 4})}, c.a) == 0);	// last window at row 4
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 6, 3, 4})}, c.a) == -EINVAL);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 3, 6, 4})}, c.a) == -EINVAL);
		kinfer_attr_qconv s2 = c.a;
		s2.stride_h = 2;
		s2.pad_top = 2;
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 4, 3, 4})}, s2) == 0);
		REQUIRE(prep({x, f, b, m, s}, {i8({1, 5, 3, 4})}, s2) == -EINVAL);
	}
}

TEST_CASE("QCONV and QDEPTHWISE_CONV fail eval on a bad multiplier", "[int8]")
{
	std::mt19937 rng(136);
	for (bool dw : {false, true}) {
		ConvCase base = rnd_conv(rng, dw);
		base.per_channel = true;
		base.mult.assign(base.m, 1 << 30);
		base.shift.assign(base.m, -9);
		check_bad_multipliers([&](int32_t m, int32_t s, std::vector<int8_t> &) {
			ConvCase c = base;
			c.mult[c.m - 1] = m;
			c.shift[c.m - 1] = s;
			ConvNode cn;
			REQUIRE(cn.prepare(c) == 0);
			int r = cn.h.eval();
			if (!r)
				REQUIRE(cn.h.get(cn.y, cn.out_size(c)) == ref_conv(c));
			return r;
		});
	}
}

} // namespace

namespace {

// ====================================================================
// QMAXPOOL, QAVERAGEPOOL
// ====================================================================

struct PoolCase {
	bool avg;
	uint32_t n, h, w, c, oh, ow;
	kinfer_attr_qpool a{};
	std::vector<int8_t> x;
};

// TFLite's reference int8 MaxPool and AveragePool (taps inside X only).
std::vector<int8_t> ref_pool(const PoolCase &c)
{
	std::vector<int8_t> y((size_t)c.n * c.oh * c.ow * c.c);
	for (uint32_t b = 0; b < c.n; b++)
		for (uint32_t oy = 0; oy < c.oh; oy++)
			for (uint32_t ox = 0; ox < c.ow; ox++)
				for (uint32_t ch = 0; ch < c.c; ch++) {
					int64_t sum = 0, count = 0, best = -128;
					for (uint32_t ky = 0; ky < c.a.filter_h; ky++)
						for (uint32_t kx = 0; kx < c.a.filter_w; kx++) {
							int64_t iy = (int64_t)oy * c.a.stride_h - c.a.pad_top + ky;
							int64_t ix = (int64_t)ox * c.a.stride_w - c.a.pad_left + kx;
							if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w)
								continue;
							int8_t v = c.x[((b * c.h + iy) * c.w + ix) * c.c + ch];
							sum += v;
							count++;
							best = std::max<int64_t>(best, v);
						}
					REQUIRE(count > 0);
					// Round half away from zero, as exact rationals.
					int64_t q = (2 * std::abs(sum) + count) / (2 * count);
					int64_t v = c.avg ? (sum < 0 ? -q : q) : best;
					y[((b * c.oh + oy) * c.ow + ox) * c.c + ch] = ref_out(v, c.a.act_min, c.a.act_max);
				}
	return y;
}

PoolCase rnd_pool(std::mt19937 &rng, bool avg)
{
	PoolCase c;
	c.avg = avg;
	c.n = rnd(rng, 1, 2);
	c.h = rnd(rng, 1, 9);
	c.w = rnd(rng, 1, 9);
	c.c = rnd(rng, 1, 6);
	c.a.filter_h = rnd(rng, 1, 4);
	c.a.filter_w = rnd(rng, 1, 4);
	c.a.stride_h = rnd(rng, 1, 3);
	c.a.stride_w = rnd(rng, 1, 3);
	rnd_axis(rng, c.h, c.a.filter_h, c.a.stride_h, 1, c.a.pad_top, c.oh);
	rnd_axis(rng, c.w, c.a.filter_w, c.a.stride_w, 1, c.a.pad_left, c.ow);
	rnd_act(rng, c.a.act_min, c.a.act_max);
	c.x = rnd_i8(rng, (size_t)c.n * c.h * c.w * c.c);
	if (rng() % 4 == 0)	// many ties at .5
		for (auto &v : c.x)
			v = (int8_t)(rng() % 2 ? 3 : -4);
	return c;
}

struct PoolNode {
	Node h;
	kinfer_tensor x, y;
	int prepare(const PoolCase &c)
	{
		x = h.add(KINFER_DTYPE_INT8, {c.n, c.h, c.w, c.c});
		y = h.add(KINFER_DTYPE_INT8, {c.n, c.oh, c.ow, c.c});
		h.put(x, c.x);
		return h.prepare(c.avg ? KINFER_OP_QAVERAGEPOOL : KINFER_OP_QMAXPOOL, {x}, {y}, c.a);
	}
};

TEST_CASE("QMAXPOOL and QAVERAGEPOOL equal TFLite's int8 pools", "[int8]")
{
	std::mt19937 rng(135);
	for (bool avg : {false, true})
		for (int it = 0; it < 400; it++) {
			PoolCase c = rnd_pool(rng, avg);
			PoolNode pn;
			INFO("avg " << avg << " case " << it);
			REQUIRE(pn.prepare(c) == 0);
			REQUIRE_FALSE(pn.h.ex.fpu);
			REQUIRE(pn.h.eval() == 0);
			std::vector<int8_t> want = ref_pool(c);
			REQUIRE(pn.h.get(pn.y, want.size()) == want);
			pn.h.check_split(pn.y, want.size(), want, rng);
		}
}

TEST_CASE("QMAXPOOL and QAVERAGEPOOL prepare refuse bad nodes", "[int8]")
{
	for (bool avg : {false, true}) {
		Node h;
		uint16_t op = avg ? KINFER_OP_QAVERAGEPOOL : KINFER_OP_QMAXPOOL;
		auto i8 = [&](const Dims &d) { return h.add(KINFER_DTYPE_INT8, d); };
		auto x = i8({1, 5, 5, 3}), y = i8({1, 3, 3, 3});
		kinfer_attr_qpool a{};
		a.filter_h = a.filter_w = 3;
		a.stride_h = a.stride_w = 1;
		a.act_min = -128;
		a.act_max = 127;
		auto bad = [&](std::function<void(kinfer_attr_qpool &)> fn) {
			kinfer_attr_qpool t = a;
			fn(t);
			return h.prepare(op, {x}, {y}, t);
		};
		auto retype = [](kinfer_tensor t, uint8_t dt) { t.dtype = dt; return t; };
		INFO("avg " << avg);
		REQUIRE(h.prepare(op, {x}, {y}, a) == 0);
		REQUIRE(h.prepare(op, {x, x}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {y, i8({1, 3, 3, 3})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {retype(x, KINFER_DTYPE_UINT8)}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {retype(y, KINFER_DTYPE_BOOL)}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {retype(h.add(KINFER_DTYPE_FLOAT32, {1, 5, 5, 3}), KINFER_DTYPE_FLOAT32)}, {y},
				  a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {i8({1, 3, 3, 2})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {i8({2, 3, 3, 3})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {i8({3, 3, 3})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {i8({5, 5, 3})}, {i8({3, 3, 3})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x}, {i8({1, 5, 3, 3})}, a) == 0);	// windows past the end
		REQUIRE(h.prepare(op, {x}, {i8({1, 6, 3, 3})}, a) == -EINVAL);	// one starting past it
		REQUIRE(h.prepare(op, {x}, {i8({1, 3, 6, 3})}, a) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.filter_h = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.filter_w = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.stride_h = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.stride_w = 0; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.pad_top = 2; }) == 0);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.pad_top = 3; }) == -EINVAL);	// an empty window
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.pad_left = 3; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.act_min = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.act_max = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.act_min = 3, t.act_max = 2; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qpool &t) { t.filter_h = t.filter_w = 1u << 20; }) == -E2BIG);
	}
}

// ====================================================================
// QADD, QMUL
// ====================================================================

struct BinCase {
	bool add;
	Dims as, bs, ys;
	kinfer_attr_qbinary a{};
	std::vector<int8_t> x1, x2;
};

size_t count(const Dims &d)
{
	size_t n = 1;
	for (uint32_t v : d)
		n *= v;
	return n;
}

// Element of an operand of shape @s under output multi-index @idx.
size_t bcast_index(const Dims &s, const std::vector<uint32_t> &idx)
{
	size_t off = 0, lead = idx.size() - s.size();
	for (size_t i = 0; i < s.size(); i++)
		off = off * s[i] + (s[i] == 1 ? 0 : idx[lead + i]);
	return off;
}

// TFLite's reference int8 Add / Mul (BroadcastAdd4DSlow / BroadcastMul4DSlow).
std::vector<int8_t> ref_binary(const BinCase &c)
{
	std::vector<int8_t> y(count(c.ys));
	std::vector<uint32_t> idx(c.ys.size());
	for (size_t f = 0; f < y.size(); f++) {
		size_t r = f;
		for (size_t i = c.ys.size(); i-- > 0;) {
			idx[i] = (uint32_t)(r % c.ys[i]);
			r /= c.ys[i];
		}
		int32_t va = c.x1[bcast_index(c.as, idx)] + c.a.input1_offset;
		int32_t vb = c.x2[bcast_index(c.bs, idx)] + c.a.input2_offset;
		int64_t v;
		if (c.add) {
			int32_t sa = ref_requant(va * (1 << c.a.left_shift), c.a.input1.multiplier, c.a.input1.shift);
			int32_t sb = ref_requant(vb * (1 << c.a.left_shift), c.a.input2.multiplier, c.a.input2.shift);
			v = ref_requant(sat32((int64_t)sa + sb), c.a.output.multiplier, c.a.output.shift);
		} else {
			v = ref_requant(va * vb, c.a.output.multiplier, c.a.output.shift);
		}
		y[f] = ref_out(v + c.a.output_offset, c.a.act_min, c.a.act_max);
	}
	return y;
}

kinfer_qmul rnd_qmul(std::mt19937 &rng, int lo, int hi)
{
	kinfer_qmul q;
	q.multiplier = (int32_t)std::uniform_int_distribution<int64_t>(int64_t(1) << 30, kI32Max)(rng);
	q.shift = rnd(rng, lo, hi);
	return q;
}

BinCase rnd_binary(std::mt19937 &rng, bool add)
{
	BinCase c;
	c.add = add;
	size_t rank = rnd(rng, 0, 4);
	for (size_t i = 0; i < rank; i++)
		c.ys.push_back(rnd(rng, 1, 5));
	// Each operand: a suffix of the output's axes, some of them 1.
	for (Dims *s : {&c.as, &c.bs}) {
		size_t drop = rnd(rng, 0, (int)rank);
		for (size_t i = drop; i < rank; i++)
			s->push_back(rng() % 3 ? c.ys[i] : 1);
	}
	// The output must be exactly the broadcast: widen where neither has it.
	for (size_t i = 0; i < rank; i++) {
		size_t la = rank - c.as.size(), lb = rank - c.bs.size();
		bool ha = i >= la && c.as[i - la] == c.ys[i], hb = i >= lb && c.bs[i - lb] == c.ys[i];
		if (!ha && !hb && c.ys[i] != 1) {
			if (i >= la)
				c.as[i - la] = c.ys[i];
			else
				c.ys[i] = 1;
		}
	}
	c.a.input1_offset = rnd(rng, -127, 128);
	c.a.input2_offset = rnd(rng, -127, 128);
	c.a.output_offset = rnd(rng, -128, 127);
	rnd_act(rng, c.a.act_min, c.a.act_max);
	bool wild = rng() % 8 == 0;	// shifts beyond TFLite's: saturation
	if (add) {
		c.a.left_shift = rng() % 4 ? 20 : rnd(rng, 0, 20);
		c.a.input1 = rnd_qmul(rng, wild ? -31 : -3, wild ? 30 : -1);
		c.a.input2 = rnd_qmul(rng, wild ? -31 : -3, wild ? 30 : -1);
		c.a.output = rnd_qmul(rng, wild ? -31 : c.a.left_shift - 21, wild ? 30 : c.a.left_shift - 16);
	} else {
		c.a.output = rnd_qmul(rng, wild ? -31 : -11, wild ? 30 : -6);
	}
	c.x1 = rnd_i8(rng, count(c.as));
	c.x2 = rnd_i8(rng, count(c.bs));
	return c;
}

struct BinNode {
	Node h;
	kinfer_tensor x1, x2, y;
	int prepare(const BinCase &c)
	{
		x1 = h.add(KINFER_DTYPE_INT8, c.as);
		x2 = h.add(KINFER_DTYPE_INT8, c.bs);
		y = h.add(KINFER_DTYPE_INT8, c.ys);
		h.put(x1, c.x1);
		h.put(x2, c.x2);
		return h.prepare(c.add ? KINFER_OP_QADD : KINFER_OP_QMUL, {x1, x2}, {y}, c.a);
	}
};

TEST_CASE("QADD and QMUL equal TFLite's int8 Add and Mul, broadcast", "[int8]")
{
	std::mt19937 rng(133);
	for (bool add : {true, false})
		for (int it = 0; it < 600; it++) {
			BinCase c = rnd_binary(rng, add);
			BinNode bn;
			INFO("add " << add << " case " << it);
			REQUIRE(bn.prepare(c) == 0);
			REQUIRE_FALSE(bn.h.ex.fpu);
			REQUIRE(bn.h.eval() == 0);
			std::vector<int8_t> want = ref_binary(c);
			REQUIRE(bn.h.get(bn.y, want.size()) == want);
			bn.h.check_split(bn.y, want.size(), want, rng);
		}
}

TEST_CASE("QADD in place over its first input", "[int8]")
{
	std::mt19937 rng(137);
	BinCase c = rnd_binary(rng, true);
	c.ys = c.as = {3, 4};
	c.bs = {4};
	c.x1 = rnd_i8(rng, 12);
	c.x2 = rnd_i8(rng, 4);
	Node h;
	auto x1 = h.add(KINFER_DTYPE_INT8, c.as), x2 = h.add(KINFER_DTYPE_INT8, c.bs);
	h.put(x1, c.x1);
	h.put(x2, c.x2);
	REQUIRE(h.prepare(KINFER_OP_QADD, {x1, x2}, {x1}, c.a) == 0);
	REQUIRE(h.eval() == 0);
	REQUIRE(h.get(x1, 12) == ref_binary(c));
	REQUIRE(h.prepare(KINFER_OP_QADD, {x1, x2}, {x2}, c.a) == -EINVAL);	// a broadcast operand
}

TEST_CASE("QADD and QMUL prepare refuse bad nodes", "[int8]")
{
	for (bool add : {true, false}) {
		Node h;
		uint16_t op = add ? KINFER_OP_QADD : KINFER_OP_QMUL;
		auto i8 = [&](const Dims &d) { return h.add(KINFER_DTYPE_INT8, d); };
		auto retype = [](kinfer_tensor t, uint8_t dt) { t.dtype = dt; return t; };
		auto x1 = i8({2, 3}), x2 = i8({3}), y = i8({2, 3});
		kinfer_attr_qbinary a{};
		a.act_min = -128;
		a.act_max = 127;
		a.output = {1 << 30, -10};
		if (add) {
			a.left_shift = 20;
			a.input1 = {1 << 30, -1};
			a.input2 = {1 << 30, -2};
		}
		auto bad = [&](std::function<void(kinfer_attr_qbinary &)> fn) {
			kinfer_attr_qbinary t = a;
			fn(t);
			return h.prepare(op, {x1, x2}, {y}, t);
		};
		INFO("add " << add);
		REQUIRE(h.prepare(op, {x1, x2}, {y}, a) == 0);
		REQUIRE(h.prepare(op, {x1}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x1, x2, x2}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x1, omitted()}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {retype(x1, KINFER_DTYPE_UINT8), x2}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x1, retype(x2, KINFER_DTYPE_BOOL)}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x1, x2}, {retype(y, KINFER_DTYPE_UINT8)}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {h.add(KINFER_DTYPE_INT32, {2, 3}), h.add(KINFER_DTYPE_INT32, {3})},
				  {h.add(KINFER_DTYPE_INT32, {2, 3})}, a) == -EINVAL);
		REQUIRE(h.prepare(op, {x1, i8({2})}, {y}, a) == -EINVAL);	// not broadcastable
		REQUIRE(h.prepare(op, {x1, x2}, {i8({4, 2, 3})}, a) == -EINVAL);	// larger than the broadcast
		REQUIRE(h.prepare(op, {x1, x2}, {i8({3})}, a) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input1_offset = 256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input2_offset = -256; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output_offset = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output_offset = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.act_min = -129; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.act_max = 128; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.act_min = 0, t.act_max = -1; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output = {(1 << 30) - 1, 0}; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output = {1 << 30, 31}; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output = {1 << 30, -32}; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output = {-5, 0}; }) == -EINVAL);
		REQUIRE(bad([](kinfer_attr_qbinary &t) { t.output = {0, 0}; }) == 0);
		if (add) {
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.left_shift = 21; }) == -EINVAL);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.left_shift = -1; }) == -EINVAL);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.left_shift = 0; }) == 0);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input1 = {1, -1}; }) == -EINVAL);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input2 = {1 << 30, 31}; }) == -EINVAL);
		} else {
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.left_shift = 1; }) == -EINVAL);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input1 = {1 << 30, 0}; }) == -EINVAL);
			REQUIRE(bad([](kinfer_attr_qbinary &t) { t.input2 = {0, -1}; }) == -EINVAL);
		}
	}
}

// ====================================================================
// INT8 in the other ops: refused unless moved as bytes
// ====================================================================

TEST_CASE("ops that cannot handle INT8 refuse it; byte movers carry it", "[int8]")
{
	Node h;
	auto i8 = h.add(KINFER_DTYPE_INT8, {2, 3});
	auto i8b = h.add(KINFER_DTYPE_INT8, {2, 3});
	auto f32 = h.add(KINFER_DTYPE_FLOAT32, {2, 3});
	auto i32 = h.add(KINFER_DTYPE_INT32, {2, 3});
	auto bl = h.add(KINFER_DTYPE_BOOL, {2, 3});
	// A node of an op without attributes.
	auto prep0 = [&](uint16_t op, const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out) {
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor));
		uint8_t *p = h.bytes;
		std::memcpy(p, &n, sizeof(n));
		p += sizeof(n);
		for (const auto &t : in) {
			std::memcpy(p, &t, sizeof(t));
			p += sizeof(t);
		}
		for (const auto &t : out) {
			std::memcpy(p, &t, sizeof(t));
			p += sizeof(t);
		}
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena.data = h.arena.data();
		b.arena.size = (uint32_t)(h.arena.size() * 8);
		return kinfer_node_prepare(&h.ex, reinterpret_cast<const kinfer_node *>(h.bytes), &b);
	};
	// CAST has no INT8 conversion.
	REQUIRE(prep0(KINFER_OP_CAST, {f32}, {i32}) == 0);
	REQUIRE(prep0(KINFER_OP_CAST, {i8}, {f32}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_CAST, {f32}, {i8}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_CAST, {i8}, {i8b}) == -EINVAL);
	// Comparisons, logic, arithmetic, activations.
	REQUIRE(prep0(KINFER_OP_LESS, {i32, i32}, {bl}) == 0);
	REQUIRE(prep0(KINFER_OP_LESS, {i8, i8b}, {bl}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_EQUAL, {i8, i8b}, {bl}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_NOT, {i8}, {i8b}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_ADD, {i8, i8b}, {h.add(KINFER_DTYPE_INT8, {2, 3})}) == -EINVAL);
	REQUIRE(prep0(KINFER_OP_RELU, {i8}, {i8b}) == -EINVAL);
	// WHERE selects bytes: INT8 is moved exactly.
	std::vector<int8_t> xv = {-128, -1, 0, 1, 127, 5}, zv = {9, 9, 9, 9, 9, 9};
	std::vector<uint8_t> cv = {1, 0, 1, 0, 1, 1};
	auto z = h.add(KINFER_DTYPE_INT8, {2, 3}), out = h.add(KINFER_DTYPE_INT8, {2, 3});
	h.put(i8, xv);
	h.put(z, zv);
	h.put(bl, cv);
	REQUIRE(prep0(KINFER_OP_WHERE, {bl, i8, z}, {out}) == 0);
	REQUIRE(h.eval() == 0);
	REQUIRE(h.get(out, 6) == std::vector<int8_t>{-128, 9, 0, 9, 127, 5});
}

TEST_CASE("COPY, PAD and GATHER move INT8 elements", "[int8]")
{
	Node h;
	auto x = h.add(KINFER_DTYPE_INT8, {2, 3}), y = h.add(KINFER_DTYPE_INT8, {3, 2});
	std::vector<int8_t> xv = {-128, -1, 0, 1, 127, 5};
	h.put(x, xv);
	// COPY as a transpose: y[j, i] = x[i, j].
	kinfer_attr_copy c{};
	c.rank = 2;
	c.dims[0] = 3;
	c.dims[1] = 2;
	c.in_stride[0] = 1;
	c.in_stride[1] = 3;
	c.out_stride[0] = 2;
	c.out_stride[1] = 1;
	REQUIRE(h.prepare(KINFER_OP_COPY, {x}, {y}, c) == 0);
	REQUIRE(h.eval() == 0);
	REQUIRE(h.get(y, 6) == std::vector<int8_t>{-128, 1, -1, 127, 0, 5});
	// PAD with the constant -3 (its byte, 0xfd).
	auto p = h.add(KINFER_DTYPE_INT8, {2, 5});
	kinfer_attr_pad pa{};
	pa.mode = KINFER_PAD_CONSTANT;
	pa.begin[1] = 1;
	pa.value = 0xfd;
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {p}, pa) == 0);
	REQUIRE(h.eval() == 0);
	REQUIRE(h.get(p, 10) == std::vector<int8_t>{-3, -128, -1, 0, -3, -3, 1, 127, 5, -3});
	pa.value = 0x1fd;	// wider than an element
	REQUIRE(h.prepare(KINFER_OP_PAD, {x}, {p}, pa) == -EINVAL);
	// GATHER rows 1, 0, 1.
	auto idx = h.add(KINFER_DTYPE_INT64, {3}), g = h.add(KINFER_DTYPE_INT8, {3, 3});
	h.put(idx, std::vector<int64_t>{1, 0, -1});
	kinfer_attr_axis ax{};
	REQUIRE(h.prepare(KINFER_OP_GATHER, {x, idx}, {g}, ax) == 0);
	REQUIRE(h.eval() == 0);
	REQUIRE(h.get(g, 9) == std::vector<int8_t>{1, 127, 5, -128, -1, 0, 1, 127, 5});
}

} // namespace
