// SPDX-License-Identifier: GPL-2.0
//
// MATMUL_I8 and QUANTIZE's row kernels (kmod/math/isa.h, uapi/kinfer.h):
// the generic MATMUL_I8 kernel against an int64 sum and float64 epilogue
// computed here from a row-major int8 matrix packed by a packer written
// here; every variant this CPU has against the generic one bit for bit,
// on shapes with tails (K % 4, N % 16, odd rows and column ranges); the
// op through its prepare and eval (any split of the units gives the same
// bytes) and the prepare's refusals; QUANTIZE's row kernels against the
// scalar rule on edge values.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "math/isa.h"
#include "math/quantize.h"
#include "ops/exec.h"
}

namespace {

// A row-major int8 W [K, N] and everything MATMUL_I8 takes besides X.
struct QMat {
	size_t k, n;
	std::vector<int8_t> w;		// [k][n]
	std::vector<int8_t> packed;	// [ceil(n / 16)][ceil(k / 4)][64]
	std::vector<float> scale, bias;
	std::vector<int32_t> wsum;
};

// The uapi layout: W(k, n) at [n / 16][k / 4][(n % 16) * 4 + k % 4];
// padding bytes get @pad (the kernels must never use them).
std::vector<int8_t> pack(const std::vector<int8_t> &w, size_t k, size_t n, int8_t pad)
{
	size_t groups = (k + 3) / 4, panels = (n + 15) / 16;
	std::vector<int8_t> p(panels * groups * 64, pad);
	for (size_t l = 0; l < k; l++)
		for (size_t j = 0; j < n; j++)
			p[(j / 16 * groups + l / 4) * 64 + (j % 16) * 4 + l % 4] = w[l * n + j];
	return p;
}

QMat random_qmat(std::mt19937 &rng, size_t k, size_t n)
{
	std::uniform_int_distribution<int> i8(-128, 127);
	std::uniform_real_distribution<float> sc(1e-5f, 1e-2f), bi(-3.0f, 3.0f);
	QMat q;
	q.k = k;
	q.n = n;
	q.w.resize(k * n);
	for (auto &v : q.w)
		v = (int8_t)i8(rng);
	q.packed = pack(q.w, k, n, (int8_t)i8(rng));
	q.wsum.assign(n, 0);
	for (size_t l = 0; l < k; l++)
		for (size_t j = 0; j < n; j++)
			q.wsum[j] += q.w[l * n + j];
	for (size_t j = 0; j < n; j++) {
		q.scale.push_back(sc(rng));
		q.bias.push_back(bi(rng));
	}
	return q;
}

std::vector<int8_t> random_x(std::mt19937 &rng, size_t count)
{
	std::uniform_int_distribution<int> i8(-128, 127);
	std::vector<int8_t> x(count);
	for (auto &v : x)
		v = (int8_t)i8(rng);
	return x;
}

// The uapi formula: the exact sum of X * W in int64, float(acc) rounded
// to nearest, then the product and the sum each rounded to float (a
// float64 product or sum of two floats, rounded once to float, is the
// correctly rounded float result).
std::vector<float> reference(const QMat &q, const std::vector<int8_t> &x, size_t m, bool bias, bool relu)
{
	std::vector<float> y(m * q.n);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < q.n; j++) {
			int64_t acc = 0;
			for (size_t l = 0; l < q.k; l++)
				acc += (int64_t)x[i * q.k + l] * q.w[l * q.n + j];
			float p = (float)((double)(float)acc * q.scale[j]);
			float v = (float)((double)p + (bias ? q.bias[j] : 0.0));
			if (relu && v < 0.0f)
				v = 0.0f;
			y[i * q.n + j] = v;
		}
	return y;
}

kinfer_qgemm args(const QMat &q, const std::vector<int8_t> &x, std::vector<float> &y, bool bias, bool relu)
{
	kinfer_qgemm a{};
	a.x = x.data();
	a.ldx = q.k;
	a.w = q.packed.data();
	a.scale = q.scale.data();
	a.wsum = q.wsum.data();
	a.bias = bias ? q.bias.data() : nullptr;
	a.y = y.data();
	a.ldy = q.n;
	a.k = q.k;
	a.relu = relu;
	return a;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b)
{
	return a.size() == b.size() && !std::memcmp(a.data(), b.data(), a.size() * sizeof(float));
}

TEST_CASE("MATMUL_I8's generic kernel equals the int64 sum and the float epilogue", "[isa][int8]")
{
	std::mt19937 rng(142);
	std::uniform_int_distribution<size_t> rows(1, 33), ks(1, 300), ns(1, 70);
	for (int it = 0; it < 120; it++) {
		size_t m = rows(rng), k = it % 10 == 0 ? 1536 - it % 4 : ks(rng), n = ns(rng);
		bool bias = rng() % 2, relu = rng() % 2;
		QMat q = random_qmat(rng, k, n);
		std::vector<int8_t> x = random_x(rng, m * k);
		std::vector<float> y(m * n, NAN);
		kinfer_qgemm a = args(q, x, y, bias, relu);
		kinfer_qgemm_generic(&a, 0, m, 0, n);
		INFO("m " << m << " k " << k << " n " << n << " bias " << bias << " relu " << relu);
		REQUIRE(same_bits(y, reference(q, x, m, bias, relu)));
	}
}

TEST_CASE("MATMUL_I8's generic kernel: extreme values, -0.0 and NaN through the epilogue", "[isa][int8]")
{
	std::mt19937 rng(143);
	QMat q = random_qmat(rng, 7, 5);
	for (auto &v : q.w)
		v = -128;
	q.packed = pack(q.w, 7, 5, 127);
	q.wsum.assign(5, -128 * 7);
	std::vector<int8_t> x(2 * 7, -128);
	std::fill(x.begin() + 7, x.end(), 0);	// row 1: acc 0
	q.scale = {1.0f, -1.0f, INFINITY, NAN, 3e38f};
	q.bias = {0.0f, 0.0f, 0.0f, 0.0f, -3e38f};
	for (bool bias : {false, true})
		for (bool relu : {false, true}) {
			std::vector<float> y(10);
			kinfer_qgemm a = args(q, x, y, bias, relu);
			kinfer_qgemm_generic(&a, 0, 2, 0, 5);
			std::vector<float> want = reference(q, x, 2, bias, relu);
			REQUIRE(same_bits(y, want));
		}
}

// The MATMUL_I8 kernels this CPU can run besides the generic one: every
// table's, and the VNNI kernel by itself (the avx512 table runs it only
// where the CPU has AVX512_VNNI).
std::vector<std::pair<std::string, kinfer_qgemm_fn>> qgemm_variants()
{
	std::vector<std::pair<std::string, kinfer_qgemm_fn>> v;
	for (int isa = KINFER_ISA_GENERIC + 1; isa < KINFER_ISA_COUNT; isa++) {
		const struct kinfer_isa_ops *ops = kinfer_isa_table((kinfer_isa)isa);
		if (isa > kinfer_isa_best())
			WARN("this CPU lacks " << ops->name << ": not checked");
		else
			v.push_back({ops->name, ops->qgemm});
	}
	__builtin_cpu_init();
	bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
	REQUIRE(kinfer_isa_vnni() == vnni);
	if (vnni) {
		v.push_back({"avx512vnni", kinfer_qgemm_avx512vnni});
		v.push_back({"avx2 (AVX-512 without VNNI)", kinfer_qgemm_avx2});
	} else {
		WARN("this CPU lacks AVX512_VNNI: its kernel is not checked");
	}
	return v;
}

// Every variant this CPU has against the generic one, over row and column
// ranges that start and end anywhere.
TEST_CASE("every MATMUL_I8 variant equals the generic one bit for bit", "[isa][int8]")
{
	for (const auto &[name, fn] : qgemm_variants()) {
		std::mt19937 rng(144 + name.size());
		std::uniform_int_distribution<size_t> rows(1, 33), ks(1, 200), ns(1, 90);
		for (int it = 0; it < 150; it++) {
			size_t m = rows(rng), k = it % 8 == 0 ? 1536 - it % 4 : ks(rng), n = ns(rng);
			bool bias = rng() % 2, relu = rng() % 2;
			QMat q = random_qmat(rng, k, n);
			std::vector<int8_t> x = random_x(rng, m * k);
			size_t m0 = it % 3 ? 0 : rng() % m, n0 = it % 4 ? 0 : rng() % n;
			size_t m1 = m0 + 1 + rng() % (m - m0), n1 = it % 5 ? n : n0 + 1 + rng() % (n - n0);
			std::vector<float> want(m * n, -1.0f), got(m * n, -1.0f);
			kinfer_qgemm a = args(q, x, want, bias, relu);
			kinfer_qgemm_generic(&a, m0, m1, n0, n1);
			a.y = got.data();
			fn(&a, m0, m1, n0, n1);
			INFO(name << " m " << m << " k " << k << " n " << n << " rows [" << m0 << ", " << m1
				  << ") cols [" << n0 << ", " << n1 << ") bias " << bias << " relu " << relu);
			REQUIRE(same_bits(got, want));
		}
	}
}

// Sums at the int32 edge: K = 65535 of x = -128 (x + 128 = 0) or 127
// (255) times W = -128 or 127, and a wsum that is not W's, where acc
// wraps modulo 2^32: every variant must still give the generic bits.
TEST_CASE("every MATMUL_I8 variant agrees at K = 65535 and on a wrapping acc", "[isa][int8]")
{
	std::mt19937 rng(147);
	const size_t k = KINFER_MATMUL_I8_MAX_K, n = 20, m = 3;
	QMat q = random_qmat(rng, 1, n);
	q.k = k;
	q.w.assign(k * n, 0);
	for (size_t l = 0; l < k; l++)
		for (size_t j = 0; j < n; j++)
			q.w[l * n + j] = j % 3 == 0 ? -128 : j % 3 == 1 ? 127 : (int8_t)(l * 7 + j);
	q.packed = pack(q.w, k, n, 99);
	q.wsum.assign(n, 0);
	for (size_t l = 0; l < k; l++)
		for (size_t j = 0; j < n; j++)
			q.wsum[j] += q.w[l * n + j];
	std::vector<int8_t> x(m * k);
	for (size_t l = 0; l < k; l++) {
		x[l] = 127;
		x[k + l] = -128;
		x[2 * k + l] = (int8_t)(l * 13);
	}
	for (bool bogus : {false, true}) {
		if (bogus)
			for (size_t j = 0; j < n; j++)
				q.wsum[j] = (int32_t)(0x7fffffffU - (uint32_t)j * 0x12345679U);
		std::vector<float> want(m * n);
		kinfer_qgemm a = args(q, x, want, true, false);
		kinfer_qgemm_generic(&a, 0, m, 0, n);
		if (!bogus)
			REQUIRE(same_bits(want, reference(q, x, m, true, false)));
		for (const auto &[name, fn] : qgemm_variants()) {
			std::vector<float> got(m * n);
			a.y = got.data();
			fn(&a, 0, m, 0, n);
			INFO(name << (bogus ? ", wsum not W's" : ""));
			REQUIRE(same_bits(got, want));
		}
	}
}

// ---- QUANTIZE's row kernels ----

std::vector<float> quantize_edges()
{
	std::vector<float> v = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 1e30f, -1e30f,
				std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
				1e-39f, -1e-39f, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
				255.5f, -255.5f, 256.0f, -256.0f, 2147483648.0f, -2147483648.0f, 16777217.0f};
	for (int h = -300; h <= 300; h++) {
		float half = (float)h + 0.5f;
		v.push_back(half);
		v.push_back(std::nextafter(half, 0.0f));
		v.push_back(std::nextafter(half, half * 2));
		v.push_back((float)h);
	}
	return v;
}

TEST_CASE("every QUANTIZE row variant equals the scalar rule", "[isa][int8]")
{
	std::mt19937 rng(139);
	std::vector<float> base = quantize_edges();
	std::uniform_real_distribution<float> wide(-400.0f, 400.0f);
	for (int i = 0; i < 2000; i++)
		base.push_back(wide(rng));
	const float scales[] = {1.0f, 0.5f, 0.1f, 3.0f, 1e-3f, 1.17549435e-38f, 3e38f, 0.0078125f};
	for (int isa = KINFER_ISA_GENERIC; isa < KINFER_ISA_COUNT; isa++) {
		const struct kinfer_isa_ops *ops = kinfer_isa_table((kinfer_isa)isa);
		if (isa > kinfer_isa_best()) {
			WARN("this CPU lacks " << ops->name << ": not checked");
			continue;
		}
		for (float scale : scales)
			for (int32_t zp : {0, -128, 127, 5, -37}) {
				std::vector<float> x = base;
				std::shuffle(x.begin(), x.end(), rng);
				for (size_t off : {(size_t)0, (size_t)1, (size_t)3}) {
					size_t n = x.size() - off - rng() % 70;
					std::vector<int8_t> got(n + 2, 0x5a), want(n + 2, 0x5a);
					for (size_t i = 0; i < n; i++)
						want[i + 1] = kinfer_quantize_one(x[off + i], scale, zp);
					ops->quantize(got.data() + 1, x.data() + off, n, scale, zp);
					INFO(ops->name << " scale " << scale << " zero point " << zp << " n " << n);
					REQUIRE(got == want);
				}
			}
	}
}

// The scalar rule itself against round-half-away in double.
TEST_CASE("QUANTIZE's scalar rule rounds half away from zero and saturates", "[int8]")
{
	for (float v : quantize_edges())
		for (int32_t zp : {0, -128, 127, 3}) {
			float r = v / 0.5f;
			int32_t want;
			if (std::isnan(r))
				want = zp;
			else {
				double q = std::round((double)r) + zp;
				want = (int32_t)std::min(127.0, std::max(-128.0, q));
			}
			INFO("x " << v << " zero point " << zp);
			REQUIRE(kinfer_quantize_one(v, 0.5f, zp) == want);
		}
}

// ---- the op: prepare, plan, eval ----

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

	kinfer_tensor add(uint8_t dtype, const std::vector<uint32_t> &dims)
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
		top += (uint32_t)((n * esize[dtype] + 63) / 64 * 64);
		REQUIRE(top <= arena.size() * 8);
		return t;
	}
	uint8_t *at(const kinfer_tensor &t) { return reinterpret_cast<uint8_t *>(arena.data()) + t.off; }
	template <typename T> void put(const kinfer_tensor &t, const std::vector<T> &v)
	{
		std::memcpy(at(t), v.data(), v.size() * sizeof(T));
	}
	int prepare(const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out,
		    const kinfer_attr_matmul_i8 &attr)
	{
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = KINFER_OP_MATMUL_I8;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(attr);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) + sizeof(attr));
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
		std::memcpy(p, &attr, sizeof(attr));
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena.data = arena.data();
		b.arena.size = (uint32_t)(arena.size() * 8);
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}
};

struct MmI8 {
	Node h;
	kinfer_tensor x, w, scale, wsum, bias, y;
	std::vector<kinfer_tensor> in() const { return {x, w, scale, wsum, bias}; }
	// X [lead..., k], Y [lead..., n]
	int prepare(const QMat &q, const std::vector<int8_t> &xv, std::vector<uint32_t> lead, bool with_bias,
		    const kinfer_attr_matmul_i8 &a)
	{
		std::vector<uint32_t> xd = lead, yd = lead;
		xd.push_back((uint32_t)q.k);
		yd.push_back((uint32_t)q.n);
		x = h.add(KINFER_DTYPE_INT8, xd);
		w = h.add(KINFER_DTYPE_INT8, {(uint32_t)(q.n + 15) / 16, (uint32_t)(q.k + 3) / 4, 64});
		scale = h.add(KINFER_DTYPE_FLOAT32, {(uint32_t)q.n});
		wsum = h.add(KINFER_DTYPE_INT32, {(uint32_t)q.n});
		bias = with_bias ? h.add(KINFER_DTYPE_FLOAT32, {(uint32_t)q.n}) : omitted();
		y = h.add(KINFER_DTYPE_FLOAT32, yd);
		h.put(x, xv);
		h.put(w, q.packed);
		h.put(scale, q.scale);
		h.put(wsum, q.wsum);
		if (with_bias)
			h.put(bias, q.bias);
		return h.prepare({x, w, scale, wsum, bias}, {y}, a);
	}
	std::vector<float> get(size_t count)
	{
		std::vector<float> v(count);
		std::memcpy(v.data(), h.at(y), count * sizeof(float));
		return v;
	}
};

TEST_CASE("MATMUL_I8 equals the reference through its prepare and eval, in any split", "[int8]")
{
	std::mt19937 rng(145);
	const std::vector<std::vector<uint32_t>> leads = {{}, {3}, {2, 5}, {1, 2, 3}, {17}};
	for (int it = 0; it < 40; it++) {
		std::vector<uint32_t> lead = leads[it % leads.size()];
		size_t m = 1;
		for (uint32_t d : lead)
			m *= d;
		size_t k = it == 7 ? 20000 : 1 + rng() % 400, n = it == 7 ? 40 : 1 + rng() % 100;
		bool bias = rng() % 2;
		kinfer_attr_matmul_i8 a{};
		a.act = rng() % 2 ? KINFER_OP_RELU : 0;
		QMat q = random_qmat(rng, k, n);
		std::vector<int8_t> x = random_x(rng, m * k);
		MmI8 op;
		REQUIRE(op.prepare(q, x, lead, bias, a) == 0);
		REQUIRE(op.h.ex.fpu);
		REQUIRE(op.h.ex.unit_work <= KINFER_FPU_CHUNK);
		// A work unit is one output's 4-k group (a vpdpbusd lane).
		REQUIRE(op.h.ex.work >= (uint64_t)m * n * ((k + 3) / 4));
		std::vector<float> want = reference(q, x, m, bias, a.act != 0);
		std::vector<float> before(m * n, 7.0f);
		op.h.put(op.y, before);
		for (uint64_t u = 0; u < op.h.ex.units;) {
			uint64_t e = std::min<uint64_t>(op.h.ex.units, u + 1 + rng() % 3);
			REQUIRE(op.h.ex.desc->eval(&op.h.ex, u, e) == 0);
			u = e;
		}
		INFO("m " << m << " k " << k << " n " << n << " units " << op.h.ex.units);
		REQUIRE(same_bits(op.get(m * n), want));
	}
}

TEST_CASE("MATMUL_I8 prepare refuses bad nodes", "[int8]")
{
	std::mt19937 rng(146);
	QMat q = random_qmat(rng, 10, 20);	// W [2, 3, 64]
	std::vector<int8_t> xv = random_x(rng, 30);
	MmI8 op;
	kinfer_attr_matmul_i8 a{};
	REQUIRE(op.prepare(q, xv, {3}, true, a) == 0);
	Node &h = op.h;
	auto x = op.x, w = op.w, s = op.scale, ws = op.wsum, b = op.bias, y = op.y;
	auto prep = [&](const std::vector<kinfer_tensor> &in, const std::vector<kinfer_tensor> &out,
			const kinfer_attr_matmul_i8 &t) { return h.prepare(in, out, t); };
	auto dt = [](kinfer_tensor t, uint8_t d) { t.dtype = d; return t; };
	REQUIRE(prep({x, w, s, ws}, {y}, a) == 0);
	REQUIRE(prep({x, w, s, ws, omitted()}, {y}, a) == 0);

	SECTION("arity") {
		REQUIRE(prep({x, w, s}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, omitted(), b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {y, y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {}, a) == -EINVAL);
	}
	SECTION("dtypes") {
		REQUIRE(prep({dt(x, KINFER_DTYPE_UINT8), w, s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, dt(w, KINFER_DTYPE_UINT8), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, dt(s, KINFER_DTYPE_INT32), ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, dt(ws, KINFER_DTYPE_FLOAT32), b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, dt(b, KINFER_DTYPE_INT32)}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {dt(y, KINFER_DTYPE_INT32)}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_INT8, {3, 20})}, a) == -EINVAL);
	}
	SECTION("W's panels") {
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {1, 3, 64}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {3, 3, 64}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {2, 2, 64}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {2, 4, 64}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {2, 3, 16}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {2, 3, 64, 1}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {384}), s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, h.add(KINFER_DTYPE_INT8, {20, 10}), s, ws, b}, {y}, a) == -EINVAL);
	}
	SECTION("scale, wsum, bias [N]") {
		auto f19 = h.add(KINFER_DTYPE_FLOAT32, {19}), f21 = h.add(KINFER_DTYPE_FLOAT32, {21});
		auto f1x20 = h.add(KINFER_DTYPE_FLOAT32, {1, 20}), f1 = h.add(KINFER_DTYPE_FLOAT32, {1});
		auto i19 = h.add(KINFER_DTYPE_INT32, {19}), i1x20 = h.add(KINFER_DTYPE_INT32, {1, 20});
		REQUIRE(prep({x, w, f19, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, f21, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, f1x20, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, f1, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, i19, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, i1x20, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, f19}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, f1x20}, {y}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, f1}, {y}, a) == -EINVAL);
	}
	SECTION("X and Y") {
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {3, 8}), w, s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {3, 13}), w, s, ws, b}, {y}, a) == -EINVAL);
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {3, 9}), w, s, ws, b}, {y}, a) == 0);	// K 9..12: 3 groups
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {3, 0}), h.add(KINFER_DTYPE_INT8, {2, 0, 64}), s, ws, b}, {y},
			     a) == -EINVAL);
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {1, 1, 1, 3, 10}), w, s, ws, b},
			     {h.add(KINFER_DTYPE_FLOAT32, {1, 1, 1, 3, 20})}, a) == -EINVAL);	// rank 5
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {1, 1, 3, 10}), w, s, ws, b},
			     {h.add(KINFER_DTYPE_FLOAT32, {1, 1, 3, 20})}, a) == 0);		// rank 4
		REQUIRE(prep({h.add(KINFER_DTYPE_INT8, {10}), w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {20})}, a) ==
			0);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {2, 20})}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {3, 1, 20})}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {60})}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {3, 19})}, a) == -EINVAL);
		REQUIRE(prep({x, w, s, ws, b}, {h.add(KINFER_DTYPE_FLOAT32, {3, 0})}, a) == -EINVAL);
	}
	SECTION("attributes") {
		auto with = [&](std::function<void(kinfer_attr_matmul_i8 &)> f) {
			kinfer_attr_matmul_i8 t = a;
			f(t);
			return prep({x, w, s, ws, b}, {y}, t);
		};
		REQUIRE(with([](kinfer_attr_matmul_i8 &t) { t.act = KINFER_OP_RELU; }) == 0);
		REQUIRE(with([](kinfer_attr_matmul_i8 &t) { t.act = KINFER_OP_TANH; }) == -EINVAL);
		REQUIRE(with([](kinfer_attr_matmul_i8 &t) { t.act = 0xffffffffU; }) == -EINVAL);
		REQUIRE(with([](kinfer_attr_matmul_i8 &t) { t.reserved = 1; }) == -EINVAL);
	}
	SECTION("K at its bound") {
		for (uint32_t k : {KINFER_MATMUL_I8_MAX_K, KINFER_MATMUL_I8_MAX_K + 1}) {
			Node big;
			auto bx = big.add(KINFER_DTYPE_INT8, {2, k});
			auto bw = big.add(KINFER_DTYPE_INT8, {2, (k + 3) / 4, 64});
			auto bs = big.add(KINFER_DTYPE_FLOAT32, {20}), bws = big.add(KINFER_DTYPE_INT32, {20});
			int ret = big.prepare({bx, bw, bs, bws}, {big.add(KINFER_DTYPE_FLOAT32, {2, 20})}, a);
			REQUIRE(ret == (k == KINFER_MATMUL_I8_MAX_K ? 0 : -E2BIG));
			if (!ret) {
				REQUIRE(big.ex.unit_work <= KINFER_FPU_CHUNK);
				// A unit holds the outputs whose groups fit a section.
				uint64_t per_unit = KINFER_FPU_CHUNK / ((k + 3) / 4 + 1);
				REQUIRE(big.ex.units * per_unit >= 2 * 20);
			}
		}
	}
}

} // namespace
