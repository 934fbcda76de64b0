// SPDX-License-Identifier: GPL-2.0
// The int8 ops QSOFTMAX, QLUT, QUANTIZE, DEQUANTIZE and QMEAN: prepare
// refusals on hand-built nodes, results where TFLite's own is undefined
// (documented in uapi/kinfer.h), splits into sections, and the loader's
// quantisation parameters against their defining formulas.  Results
// against the TFLite interpreter: tests/python/test_int8_kernels.py.
#include "quant/qparams.h"

extern "C" {
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace kinfer;

namespace {

constexpr uint8_t F32 = KINFER_DTYPE_FLOAT32, I8 = KINFER_DTYPE_INT8, I32 = KINFER_DTYPE_INT32;
constexpr uint32_t kOut = 1 << 20;	// output offset in the arena

kinfer_tensor tensor(uint8_t dtype, std::vector<uint32_t> dims, uint32_t off)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = dtype;
	t.buf = KINFER_BUF_ARENA;
	t.off = off;
	t.rank = (uint8_t)dims.size();
	for (size_t i = 0; i < dims.size(); i++)
		t.dims[i] = dims[i];
	return t;
}

struct Node {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint64_t> arena = std::vector<uint64_t>(1 << 18);	// 2 MiB
	kinfer_exec ex;

	template <typename A>
	int prepare(uint16_t op, std::vector<kinfer_tensor> in, std::vector<kinfer_tensor> out,
		    const A &attr)
	{
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(A);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) +
				    sizeof(A));
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
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}

	uint8_t *at(uint32_t off) { return reinterpret_cast<uint8_t *>(arena.data()) + off; }

	// eval in sections of `section` units
	void eval(uint64_t section)
	{
		for (uint64_t u = 0; u < ex.units; u += section)
			REQUIRE(ex.desc->eval(&ex, u, std::min(ex.units, u + section)) == 0);
	}
};

kinfer_attr_qsoftmax softmax_attr(double beta, double scale)
{
	SoftmaxParams p = softmax_params(beta, scale);
	kinfer_attr_qsoftmax a{};
	a.input = {p.multiplier, p.left_shift};
	a.diff_min = p.diff_min;
	a.output_offset = -128;
	return a;
}

kinfer_attr_qconvert convert_attr(float scale, int32_t zp)
{
	kinfer_attr_qconvert a{};
	a.scale.f = scale;
	a.zero_point = zp;
	return a;
}

double real_of(QMul q)
{
	return std::ldexp((double)q.multiplier, q.shift - 31);
}

} // namespace

// ------------------------------------------------- loader parameters

TEST_CASE("quantize_multiplier is TFLite's frexp rounding", "[int8][qparams]")
{
	std::mt19937_64 g(3);
	std::uniform_real_distribution<double> e(-31.0, 20.0);
	for (int i = 0; i < 10000; i++) {
		double real = std::exp2(e(g));
		QMul q = quantize_multiplier(real);
		REQUIRE(q.multiplier >= (1 << 30));
		// rounded to 31 bits: within half a unit of the last place
		CHECK(std::fabs(real_of(q) - real) <= std::ldexp(1.0, q.shift - 32));
	}
	CHECK(quantize_multiplier(0.0).multiplier == 0);
	// a fraction that rounds up to 1 becomes 1/2 with the next shift
	QMul up = quantize_multiplier(std::nextafter(1.0, 0.0));
	CHECK(up.multiplier == (1 << 30));
	CHECK(up.shift == 1);
	// below 2^-32 the multiplier flushes to zero
	CHECK(quantize_multiplier(std::ldexp(1.0, -33)).multiplier == 0);
	CHECK_THROWS(quantize_multiplier(-1.0));
	CHECK_THROWS(quantize_multiplier(std::nan("")));
	CHECK_THROWS(quantize_multiplier_greater_than_one(1.0));
	CHECK(quantize_multiplier_greater_than_one(1.5).shift >= 0);
}

TEST_CASE("softmax_params follow PreprocessSoftmaxScaling and CalculateInputRadius",
	  "[int8][qparams]")
{
	for (double scale : {1.0 / 256, 0.01, 0.1, 0.5, 3.0, 1000.0}) {
		SoftmaxParams p = softmax_params(1.0, scale);
		double real = std::min(scale * std::ldexp(1.0, 26), std::ldexp(1.0, 31) - 1);
		QMul q = quantize_multiplier(real);
		CHECK(p.multiplier == q.multiplier);
		CHECK(p.left_shift == q.shift);
		CHECK(p.diff_min == -(int32_t)std::floor(31.0 * std::ldexp(1.0, 26 - p.left_shift)));
		CHECK(p.diff_min <= 0);
	}
	CHECK_THROWS(softmax_params(1.0, 1e-9));	// the multiplier would be <= 1
}

TEST_CASE("mean_multiplier folds 1/count in by integer division", "[int8][qparams]")
{
	for (int64_t count : {1, 2, 3, 7, 30, 49, 1000, 1 << 20}) {
		QMul m = mean_multiplier(0.05, 0.02, count);
		QMul base = quantize_multiplier(0.05 / 0.02);
		int s = 0;
		while ((2LL << s) <= count)
			s++;
		CHECK(m.shift == base.shift - s);
		CHECK(m.multiplier == (int32_t)(((int64_t)base.multiplier << s) / count));
		// what it stands for: in/out / count, truncated at 31 bits
		CHECK(real_of(m) == Approx(2.5 / (double)count).epsilon(1e-8));
	}
	CHECK_THROWS(mean_multiplier(1.0, 1.0, 0));
}

// --------------------------------------------------------- QSOFTMAX

TEST_CASE("QSOFTMAX prepare refuses what it cannot run", "[int8][qsoftmax]")
{
	Node n;
	auto x = tensor(I8, {4, 10}, 0), y = tensor(I8, {4, 10}, kOut);
	kinfer_attr_qsoftmax ok = softmax_attr(1.0, 0.1);
	REQUIRE(n.prepare(KINFER_OP_QSOFTMAX, {x}, {y}, ok) == 0);
	CHECK(n.ex.units == 4);
	CHECK_FALSE(n.ex.fpu);
	CHECK(n.prepare(KINFER_OP_QSOFTMAX, {x}, {tensor(I8, {4, 9}, kOut)}, ok) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QSOFTMAX, {tensor(F32, {4, 10}, 0)}, {y}, ok) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QSOFTMAX, {tensor(I8, {}, 0)}, {tensor(I8, {}, kOut)}, ok) ==
	      -EINVAL);
	CHECK(n.prepare(KINFER_OP_QSOFTMAX, {x, x}, {y}, ok) == -EINVAL);
	auto bad = [&](auto edit) {
		kinfer_attr_qsoftmax a = ok;
		edit(a);
		return n.prepare(KINFER_OP_QSOFTMAX, {x}, {y}, a);
	};
	CHECK(bad([](auto &a) { a.output_offset = 0; }) == -EINVAL);
	CHECK(bad([](auto &a) { a.diff_min = 1; }) == -EINVAL);
	CHECK(bad([](auto &a) { a.input.shift = -1; }) == -EINVAL);
	CHECK(bad([](auto &a) { a.input.shift = 31; }) == -EINVAL);
	CHECK(bad([](auto &a) { a.input.multiplier = 0; }) == -EINVAL);
	CHECK(bad([](auto &a) { a.input.multiplier = (1 << 30) - 1; }) == -EINVAL);
	// a row must fit one section
	CHECK(n.prepare(KINFER_OP_QSOFTMAX, {tensor(I8, {1, 1 << 16}, 0)},
			{tensor(I8, {1, 1 << 16}, kOut)}, ok) == -E2BIG);
}

TEST_CASE("QSOFTMAX of a row whose exps sum past 512 is -128 everywhere", "[int8][qsoftmax]")
{
	// TFLite's reference aborts there (its shift exceeds 31); every
	// quotient is below 1/512 of a unit, so it rounds to 0.
	Node n;
	const uint32_t d = 600;
	REQUIRE(n.prepare(KINFER_OP_QSOFTMAX, {tensor(I8, {2, d}, 0)}, {tensor(I8, {2, d}, kOut)},
			  softmax_attr(1.0, 0.1)) == 0);
	int8_t *x = reinterpret_cast<int8_t *>(n.at(0));
	for (uint32_t i = 0; i < 2 * d; i++)
		x[i] = i < d ? 5 : (int8_t)(i % 2 ? 100 : -100);
	n.eval(1);
	int8_t *y = reinterpret_cast<int8_t *>(n.at(kOut));
	for (uint32_t i = 0; i < d; i++)
		REQUIRE(y[i] == -128);
	// the second row (300 maxima, sum < 512) is not: exp(0)/300 * 256 rounds to 1
	CHECK(y[d + 1] == -127);
}

// ------------------------------------------------------------- QLUT

TEST_CASE("QLUT looks every value up, in place too", "[int8][qlut]")
{
	Node n;
	kinfer_attr_qlut a;
	for (int i = 0; i < 256; i++)
		a.table[i] = (int8_t)(127 - i);		// y = -1 - x
	auto x = tensor(I8, {2, 128}, 0);
	REQUIRE(n.prepare(KINFER_OP_QLUT, {x}, {x}, a) == 0);
	int8_t *p = reinterpret_cast<int8_t *>(n.at(0));
	for (int i = 0; i < 256; i++)
		p[i] = (int8_t)(i - 128);
	n.eval(5);
	for (int i = 0; i < 256; i++)
		REQUIRE(p[i] == (int8_t)(-1 - (i - 128)));
	CHECK(n.prepare(KINFER_OP_QLUT, {x}, {tensor(I8, {256}, kOut)}, a) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QLUT, {x}, {tensor(F32, {2, 128}, kOut)}, a) == -EINVAL);
}

// ---------------------------------------------- QUANTIZE, DEQUANTIZE

TEST_CASE("QUANTIZE and DEQUANTIZE prepare check scale, zero point and dtypes",
	  "[int8][qconvert]")
{
	Node n;
	auto f = tensor(F32, {3, 5}, 0), q = tensor(I8, {3, 5}, kOut);
	CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {q}, convert_attr(0.1f, 3)) == 0);
	CHECK(n.ex.fpu);
	CHECK(n.prepare(KINFER_OP_DEQUANTIZE, {tensor(I8, {3, 5}, 0)}, {tensor(F32, {3, 5}, kOut)},
			convert_attr(0.1f, 3)) == 0);
	CHECK(n.prepare(KINFER_OP_DEQUANTIZE, {f}, {q}, convert_attr(0.1f, 3)) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {tensor(I8, {15}, kOut)}, convert_attr(0.1f, 3)) ==
	      -EINVAL);
	CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {tensor(I32, {3, 5}, kOut)},
			convert_attr(0.1f, 3)) == -EINVAL);
	for (float s : {0.0f, -0.1f, std::numeric_limits<float>::infinity(),
			std::numeric_limits<float>::quiet_NaN(),
			std::numeric_limits<float>::denorm_min()})
		CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {q}, convert_attr(s, 0)) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {q}, convert_attr(0.1f, 128)) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QUANTIZE, {f}, {q}, convert_attr(0.1f, -129)) == -EINVAL);
}

TEST_CASE("QUANTIZE: NaN gives the zero point, infinities and huge values saturate",
	  "[int8][qconvert]")
{
	// TFLite casts these to int32 undefinedly; kinfer's answers are these.
	Node n;
	const float inf = std::numeric_limits<float>::infinity();
	std::vector<float> in = {std::nanf(""), inf, -inf, 1e30f, -1e30f, 3e9f, -3e9f, 0.25f, -0.25f};
	REQUIRE(n.prepare(KINFER_OP_QUANTIZE, {tensor(F32, {(uint32_t)in.size()}, 0)},
			  {tensor(I8, {(uint32_t)in.size()}, kOut)}, convert_attr(0.5f, -7)) == 0);
	std::memcpy(n.at(0), in.data(), in.size() * 4);
	n.eval(2);
	const int8_t *y = reinterpret_cast<const int8_t *>(n.at(kOut));
	std::vector<int8_t> want = {-7, 127, -128, 127, -128, 127, -128,
				    (int8_t)(std::round(0.5) - 7), (int8_t)(std::round(-0.5) - 7)};
	for (size_t i = 0; i < in.size(); i++) {
		INFO("x = " << in[i]);
		CHECK(y[i] == want[i]);
	}
}

// ------------------------------------------------------------- QMEAN

TEST_CASE("QMEAN prepare refusals", "[int8][qmean]")
{
	Node n;
	kinfer_attr_qmean a{};
	a.axes = 0b010;
	QMul m = mean_multiplier(0.1, 0.05, 4);
	a.output = {m.multiplier, m.shift};
	auto x = tensor(I8, {3, 4, 5}, 0), y = tensor(I8, {3, 1, 5}, kOut);
	REQUIRE(n.prepare(KINFER_OP_QMEAN, {x}, {y}, a) == 0);
	CHECK(n.ex.units == 15);
	auto bad = [&](auto edit) {
		kinfer_attr_qmean b = a;
		edit(b);
		return n.prepare(KINFER_OP_QMEAN, {x}, {y}, b);
	};
	CHECK(bad([](auto &b) { b.axes = 0b001; }) == -EINVAL);	// y's shape
	CHECK(bad([](auto &b) { b.axes = 0b1010; }) == -EINVAL);	// beyond the rank
	CHECK(bad([](auto &b) { b.reserved = 1; }) == -EINVAL);
	CHECK(bad([](auto &b) { b.output.multiplier = -1; }) == -EINVAL);
	CHECK(bad([](auto &b) { b.output.shift = 31; }) == -EINVAL);
	CHECK(bad([](auto &b) { b.output.shift = -32; }) == -EINVAL);
	CHECK(bad([](auto &b) { b.input_offset = 129; }) == -EINVAL);
	CHECK(bad([](auto &b) { b.output_offset = 128; }) == -EINVAL);
	CHECK(n.prepare(KINFER_OP_QMEAN, {x}, {tensor(F32, {3, 1, 5}, kOut)}, a) == -EINVAL);
}

TEST_CASE("QMEAN is the same however its outputs are split into sections", "[int8][qmean]")
{
	kinfer_attr_qmean a{};
	a.axes = 0b1010;
	a.input_offset = 5;
	a.output_offset = -3;
	QMul m = mean_multiplier(0.07, 0.03, 6 * 7);
	a.output = {m.multiplier, m.shift};
	std::vector<int8_t> first;
	for (uint64_t section : {1, 4, 1000}) {
		Node n;
		REQUIRE(n.prepare(KINFER_OP_QMEAN, {tensor(I8, {4, 6, 5, 7}, 0)},
				  {tensor(I8, {4, 1, 5, 1}, kOut)}, a) == 0);
		std::mt19937 g(9);
		for (int i = 0; i < 4 * 6 * 5 * 7; i++)
			n.at(0)[i] = (uint8_t)g();
		n.eval(section);
		std::vector<int8_t> y(reinterpret_cast<int8_t *>(n.at(kOut)),
				      reinterpret_cast<int8_t *>(n.at(kOut)) + 20);
		if (first.empty())
			first = y;
		CHECK(y == first);
	}
}
