// SPDX-License-Identifier: GPL-2.0
// Recurrent layers: the LSTM, GRU and RNN kernel ops (prepare refusals on
// hand-built nodes; eval against a double-precision reference written
// here from the ONNX equations, with std::exp and std::tanh; the split of
// a step into blocks and of units into sections) and the ONNX operators'
// loader errors.
#include "error.h"
#include "onnx_builders.h"

extern "C" {
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <cstring>
#include <limits>
#include <random>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

namespace {

// ---- a hand-built recurrent node over a test arena ----

struct Geo {
	uint32_t T, B, I, H, D;
};

uint32_t gates_of(uint16_t op)
{
	return op == KINFER_OP_LSTM ? 4 : op == KINFER_OP_GRU ? 3 : 1;
}

kinfer_tensor tensor(uint8_t dtype, std::vector<uint32_t> dims, uint32_t off)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = dtype;
	t.off = off;
	t.rank = (uint8_t)dims.size();
	for (size_t i = 0; i < dims.size(); i++)
		t.dims[i] = dims[i];
	return t;
}

kinfer_rnn_act act(uint32_t op)
{
	kinfer_rnn_act a{};
	a.op = op;
	return a;
}

// Tensors laid out one after the other; `virt` makes the arena a size
// only (prepare never reads it), for shapes too large to allocate.
struct RnnNode {
	uint16_t op;
	Geo g;
	bool virt;
	std::vector<kinfer_tensor> in, out;
	kinfer_attr_rnn attr{};
	uint64_t used = 0;
	std::vector<uint64_t> mem;
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	kinfer_exec ex;

	RnnNode(uint16_t op_, Geo g_, bool virt_ = false) : op(op_), g(g_), virt(virt_)
	{
		uint32_t G = gates_of(op), D = g.D;
		attr.hidden_size = g.H;
		attr.direction = D == 2 ? KINFER_RNN_BIDIRECTIONAL : KINFER_RNN_FORWARD;
		const uint32_t defaults[3][3] = {
			{KINFER_OP_SIGMOID, KINFER_OP_TANH, KINFER_OP_TANH},
			{KINFER_OP_SIGMOID, KINFER_OP_TANH, 0},
			{KINFER_OP_TANH, 0, 0}};
		int k = op == KINFER_OP_LSTM ? 0 : op == KINFER_OP_GRU ? 1 : 2;
		for (uint32_t d = 0; d < D; d++)
			for (int i = 0; i < 3; i++)
				if (defaults[k][i])
					attr.act[d][i] = act(defaults[k][i]);
		in = {f32({g.T, g.B, g.I}), f32({D, G * g.H, g.I}), f32({D, G * g.H, g.H})};
		out = {f32({g.T, D, g.B, g.H}), f32({D, g.B, g.H})};
		if (op == KINFER_OP_LSTM)
			out.push_back(f32({D, g.B, g.H}));
		out.push_back(f32({D, g.B, (G == 1 ? 1 : 4) * g.H}));
	}

	kinfer_tensor f32(std::vector<uint32_t> dims) { return alloc(KINFER_DTYPE_FLOAT32, dims); }

	kinfer_tensor alloc(uint8_t dtype, std::vector<uint32_t> dims)
	{
		uint64_t n = 4;
		for (uint32_t d : dims)
			n *= d;
		kinfer_tensor t = tensor(dtype, dims, (uint32_t)used);
		used = (used + n + 15) / 16 * 16;
		return t;
	}

	// Optional input i (3..7), growing the input list with omitted ones.
	kinfer_tensor &input(size_t i, kinfer_tensor t)
	{
		while (in.size() <= i)
			in.push_back(tensor(KINFER_DTYPE_NONE, {}, 0));
		return in[i] = t;
	}
	kinfer_tensor &state() { return out[1]; }
	kinfer_tensor &work() { return out.back(); }

	int prepare()
	{
		if (!virt && mem.size() * 8 < used)
			mem.assign(used / 8 + 1, 0);
		kinfer_node n;
		std::memset(&n, 0, sizeof(n));
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(attr);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) +
				    sizeof(attr));
		uint8_t *p = bytes;
		std::memcpy(p, &n, sizeof(n));
		p += sizeof(n);
		for (auto *v : {&in, &out})
			for (const kinfer_tensor &t : *v) {
				std::memcpy(p, &t, sizeof(t));
				p += sizeof(t);
			}
		std::memcpy(p, &attr, sizeof(attr));
		static uint64_t dummy[2];
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena.data = virt ? (void *)dummy : (void *)mem.data();
		b.arena.size = virt ? UINT32_MAX : (uint32_t)(mem.size() * 8);
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &b);
	}

	float *at(const kinfer_tensor &t) { return reinterpret_cast<float *>(reinterpret_cast<uint8_t *>(mem.data()) + t.off); }
	int32_t *i32(const kinfer_tensor &t) { return reinterpret_cast<int32_t *>(at(t)); }
	size_t numel(const kinfer_tensor &t)
	{
		size_t n = 1;
		for (int i = 0; i < t.rank; i++)
			n *= t.dims[i];
		return n;
	}
	std::vector<float> get(const kinfer_tensor &t) { return std::vector<float>(at(t), at(t) + numel(t)); }
	void fill(const kinfer_tensor &t, std::mt19937 &rng, float scale)
	{
		std::uniform_real_distribution<float> u(-scale, scale);
		for (size_t i = 0; i < numel(t); i++)
			at(t)[i] = u(rng);
	}
};

// ---- a double-precision reference from the ONNX equations (layout 0) ----

double sigm(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct RefIn {
	Geo g;
	std::vector<float> X, W, R, B, h0, c0, P;
	std::vector<int32_t> seq;
	bool lbr = false;
	double clip = 0;	// 0: none
};

struct RefOut {
	std::vector<double> Y, Yh, Yc;
};

double clipped(const RefIn &in, double v)
{
	return in.clip > 0 ? std::max(-in.clip, std::min(in.clip, v)) : v;
}

// Row `row` of a [rows, n] matrix of direction d dotted with v.
double dotrow(const std::vector<float> &m, size_t base, size_t row, size_t n, const std::vector<double> &v)
{
	double s = 0;
	for (size_t l = 0; l < n; l++)
		s += (double)m[base + row * n + l] * v[l];
	return s;
}

// op: 4 LSTM, 3 GRU, 1 RNN; default activations.
RefOut reference(const RefIn &in, int G)
{
	const Geo &g = in.g;
	size_t H = g.H, I = g.I;
	RefOut o;
	o.Y.assign((size_t)g.T * g.D * g.B * H, 0.0);
	o.Yh.assign((size_t)g.D * g.B * H, 0.0);
	o.Yc.assign(o.Yh.size(), 0.0);
	for (size_t d = 0; d < g.D; d++)
		for (size_t b = 0; b < g.B; b++) {
			size_t len = in.seq.empty() ? g.T : (size_t)in.seq[b];
			size_t so = (d * g.B + b) * H;
			std::vector<double> h(H, 0.0), c(H, 0.0), x(I);
			for (size_t j = 0; j < H && len; j++) {
				h[j] = in.h0.empty() ? 0.0 : in.h0[so + j];
				c[j] = in.c0.empty() ? 0.0 : in.c0[so + j];
			}
			size_t wb = d * G * H * I, rb = d * G * H * H, bb = d * 2 * G * H;
			auto bias = [&](size_t row, bool w) {
				return in.B.empty() ? 0.0 : (double)in.B[bb + (w ? 0 : G * H) + row];
			};
			for (size_t s = 0; s < len; s++) {
				size_t t = d == 1 ? len - 1 - s : s;
				for (size_t l = 0; l < I; l++)
					x[l] = in.X[(t * g.B + b) * I + l];
				std::vector<double> nh(H), nc(H), z(H), r(H), rh(H);
				auto pre = [&](size_t row) {
					return dotrow(in.W, wb, row, I, x) + dotrow(in.R, rb, row, H, h) +
					       bias(row, true) + bias(row, false);
				};
				if (G == 3)
					for (size_t j = 0; j < H; j++) {
						z[j] = sigm(clipped(in, pre(j)));
						r[j] = sigm(clipped(in, pre(H + j)));
						rh[j] = r[j] * h[j];
					}
				for (size_t j = 0; j < H; j++) {
					if (G == 4) {
						auto peep = [&](int k, double cell) {
							return in.P.empty() ? 0.0 : in.P[d * 3 * H + k * H + j] * cell;
						};
						double i = sigm(clipped(in, pre(j) + peep(0, c[j])));
						double f = sigm(clipped(in, pre(2 * H + j) + peep(2, c[j])));
						double cc = std::tanh(clipped(in, pre(3 * H + j)));
						nc[j] = f * c[j] + i * cc;
						double og = sigm(clipped(in, pre(H + j) + peep(1, nc[j])));
						nh[j] = og * std::tanh(nc[j]);
					} else if (G == 3) {
						size_t row = 2 * H + j;
						double n = dotrow(in.W, wb, row, I, x) + bias(row, true);
						if (in.lbr)
							n += r[j] * (dotrow(in.R, rb, row, H, h) + bias(row, false));
						else
							n += dotrow(in.R, rb, row, H, rh) + bias(row, false);
						n = std::tanh(clipped(in, n));
						nh[j] = (1 - z[j]) * n + z[j] * h[j];
					} else {
						nh[j] = std::tanh(clipped(in, pre(j)));
					}
				}
				h = nh;
				c = nc;
				for (size_t j = 0; j < H; j++)
					o.Y[((t * g.D + d) * g.B + b) * H + j] = h[j];
			}
			for (size_t j = 0; j < H && len; j++) {
				o.Yh[so + j] = h[j];
				o.Yc[so + j] = c[j];
			}
		}
	return o;
}

void require_near(const std::vector<float> &got, const std::vector<double> &want, double tol)
{
	REQUIRE(got.size() == want.size());
	double worst = 0;
	for (size_t i = 0; i < got.size(); i++)
		worst = std::max(worst, std::fabs((double)got[i] - want[i]));
	INFO("max abs err " << worst);
	REQUIRE(worst <= tol);
}

// Fill a node's inputs at random, run it, compare with the reference.
void run_against_reference(RnnNode &n, RefIn &ri, double tol, std::mt19937 &rng)
{
	REQUIRE(n.prepare() == 0);
	n.fill(n.in[0], rng, 1.0f);
	float ws = 1.0f / std::sqrt((float)(n.g.I + n.g.H));
	n.fill(n.in[1], rng, ws);
	n.fill(n.in[2], rng, ws);
	for (size_t i = 3; i < n.in.size(); i++)
		if (n.in[i].dtype == KINFER_DTYPE_FLOAT32)
			n.fill(n.in[i], rng, 0.5f);
	// Garbage in the outputs: the op must not read what it did not write.
	for (const kinfer_tensor &t : n.out)
		std::fill(n.at(t), n.at(t) + n.numel(t), std::numeric_limits<float>::quiet_NaN());
	REQUIRE(n.ex.desc->eval(&n.ex, 0, n.ex.units) == 0);
	ri.g = n.g;
	ri.X = n.get(n.in[0]);
	ri.W = n.get(n.in[1]);
	ri.R = n.get(n.in[2]);
	auto opt = [&](size_t i) {
		return i < n.in.size() && n.in[i].dtype == KINFER_DTYPE_FLOAT32 ? n.get(n.in[i]) : std::vector<float>{};
	};
	ri.B = opt(3);
	ri.h0 = opt(5);
	ri.c0 = opt(6);
	ri.P = opt(7);
	if (n.in.size() > 4 && n.in[4].dtype == KINFER_DTYPE_INT32)
		ri.seq.assign(n.i32(n.in[4]), n.i32(n.in[4]) + n.g.B);
	RefOut o = reference(ri, (int)gates_of(n.op));
	require_near(n.get(n.out[0]), o.Y, tol);
	require_near(n.get(n.out[1]), o.Yh, tol);
	if (n.op == KINFER_OP_LSTM)
		require_near(n.get(n.out[2]), o.Yc, tol);
}

} // namespace

// ---------------------------------------------------------------- prepare

TEST_CASE("recurrent prepare accepts a well-formed node and plans steps", "[recurrent]")
{
	RnnNode n(KINFER_OP_LSTM, {5, 3, 4, 6, 2});
	REQUIRE(n.prepare() == 0);
	// One block per step: 4 * (4 + 6) multiply-adds per hidden unit.
	REQUIRE(n.ex.s.rnn.blocks == 1);
	REQUIRE(n.ex.s.rnn.phases == 1);
	REQUIRE(n.ex.units == 5 * 2 * 3);
	REQUIRE(n.ex.unit_work >= 6 * 4 * 10);

	RnnNode gru(KINFER_OP_GRU, {5, 3, 4, 6, 1});
	REQUIRE(gru.prepare() == 0);
	REQUIRE(gru.ex.s.rnn.phases == 2);	// (r (.) h) R_h^T needs all of r
	gru.attr.flags = KINFER_RNN_LINEAR_BEFORE_RESET;
	REQUIRE(gru.prepare() == 0);
	REQUIRE(gru.ex.s.rnn.phases == 1);
}

TEST_CASE("recurrent prepare refuses bad shapes", "[recurrent]")
{
	auto bad = [](auto edit) {
		RnnNode n(KINFER_OP_LSTM, {5, 3, 4, 6, 1});
		edit(n);
		return n.prepare();
	};
	REQUIRE(bad([](RnnNode &n) { n.in[1] = n.f32({1, 23, 4}); }) == -EINVAL);	// W rows
	REQUIRE(bad([](RnnNode &n) { n.in[2] = n.f32({1, 24, 5}); }) == -EINVAL);	// R cols vs hidden_size
	REQUIRE(bad([](RnnNode &n) { n.in[0] = n.f32({5, 3}); }) == -EINVAL);	// X rank
	REQUIRE(bad([](RnnNode &n) { n.input(3, n.f32({1, 24})); }) == -EINVAL);	// B is 8H
	REQUIRE(bad([](RnnNode &n) { n.input(4, n.f32({3})); }) == -EINVAL);	// seq not int32
	REQUIRE(bad([](RnnNode &n) { n.input(4, n.alloc(KINFER_DTYPE_INT32, {4})); }) == -EINVAL);
	REQUIRE(bad([](RnnNode &n) { n.input(5, n.f32({3, 1, 6})); }) == -EINVAL);	// h0 in layout 1
	REQUIRE(bad([](RnnNode &n) { n.input(7, n.f32({1, 12})); }) == -EINVAL);	// P is 3H
	REQUIRE(bad([](RnnNode &n) { n.out[0] = n.f32({5, 1, 3, 7}); }) == -EINVAL);	// Y
	REQUIRE(bad([](RnnNode &n) { n.state() = tensor(KINFER_DTYPE_NONE, {}, 0); }) == -EINVAL);
	REQUIRE(bad([](RnnNode &n) { n.work() = n.f32({1, 3, 23}); }) == -EINVAL);
	REQUIRE(bad([](RnnNode &n) { n.out.pop_back(); }) == -EINVAL);	// no work
	REQUIRE(bad([](RnnNode &n) { n.input(8, n.f32({1})); }) == -EINVAL);	// 9 inputs
	REQUIRE(bad([](RnnNode &n) { n.attr.hidden_size = 7; }) == -EINVAL);
	// Y is optional; the layout-1 shapes are accepted with layout 1.
	REQUIRE(bad([](RnnNode &n) { n.out[0] = tensor(KINFER_DTYPE_NONE, {}, 0); }) == 0);
	REQUIRE(bad([](RnnNode &n) {
			n.attr.layout = 1;
			n.in[0] = n.f32({3, 5, 4});
			n.out[0] = n.f32({3, 5, 1, 6});
			n.out[1] = n.f32({3, 1, 6});
			n.out[2] = n.f32({3, 1, 6});
		}) == 0);
	// GRU and RNN take no c0, P or Y_c.
	RnnNode g(KINFER_OP_GRU, {5, 3, 4, 6, 1});
	g.input(6, g.f32({1, 3, 6}));
	REQUIRE(g.prepare() == -EINVAL);
}

TEST_CASE("recurrent prepare refuses bad attributes", "[recurrent]")
{
	auto bad = [](uint16_t op, auto edit) {
		RnnNode n(op, {5, 3, 4, 6, 1});
		edit(n.attr);
		return n.prepare();
	};
	const uint16_t L = KINFER_OP_LSTM, G = KINFER_OP_GRU, R = KINFER_OP_RNN;
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.direction = KINFER_RNN_BIDIRECTIONAL; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.direction = 3; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.direction = KINFER_RNN_REVERSE; }) == 0);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.layout = 2; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.reserved = 1; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.flags = 1U << 5; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.flags = KINFER_RNN_LINEAR_BEFORE_RESET; }) == -EINVAL);
	REQUIRE(bad(G, [](kinfer_attr_rnn &a) { a.flags = KINFER_RNN_INPUT_FORGET; }) == -EINVAL);
	REQUIRE(bad(R, [](kinfer_attr_rnn &a) { a.flags = KINFER_RNN_LINEAR_BEFORE_RESET; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.flags = KINFER_RNN_INPUT_FORGET; }) == 0);
	// clip: > 0 and not NaN with the flag, 0 without.
	auto clip = [&](uint32_t flags, uint32_t bits) {
		return bad(G, [=](kinfer_attr_rnn &a) {
			a.flags = flags;
			a.clip.bits = bits;
		});
	};
	REQUIRE(clip(KINFER_RNN_CLIP, 0x3f800000U) == 0);	// 1.0
	REQUIRE(clip(KINFER_RNN_CLIP, 0x7f800000U) == 0);	// +Inf
	REQUIRE(clip(KINFER_RNN_CLIP, 0) == -EINVAL);
	REQUIRE(clip(KINFER_RNN_CLIP, 0xbf800000U) == -EINVAL);	// -1.0
	REQUIRE(clip(KINFER_RNN_CLIP, 0x7fc00000U) == -EINVAL);	// NaN
	REQUIRE(clip(0, 0x3f800000U) == -EINVAL);
	// Activations: unary-class ops in the used slots, zero elsewhere.
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[0][1].op = KINFER_OP_MATMUL; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[0][1].op = 0; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[0][1].op = 999; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[0][1].op = KINFER_OP_RELU; }) == 0);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[0][0].attr.alpha.f = 0.5f; }) == -EINVAL);
	REQUIRE(bad(L, [](kinfer_attr_rnn &a) { a.act[1][0].op = KINFER_OP_TANH; }) == -EINVAL);
	REQUIRE(bad(G, [](kinfer_attr_rnn &a) { a.act[0][2].op = KINFER_OP_TANH; }) == -EINVAL);
	REQUIRE(bad(R, [](kinfer_attr_rnn &a) { a.act[0][1].op = KINFER_OP_TANH; }) == -EINVAL);
}

TEST_CASE("recurrent prepare splits a large step into blocks, or refuses it", "[recurrent]")
{
	// 4 * (2000 + 1000) multiply-adds per hidden unit: ~20 per unit.
	RnnNode big(KINFER_OP_LSTM, {2, 1, 2000, 1000, 1}, true);
	REQUIRE(big.prepare() == 0);
	REQUIRE(big.ex.s.rnn.blocks > 1);
	REQUIRE(big.ex.unit_work <= KINFER_FPU_CHUNK);
	REQUIRE(big.ex.s.rnn.block * big.ex.s.rnn.blocks >= 1000);
	REQUIRE(big.ex.units == 2 * big.ex.s.rnn.blocks);

	// Finishing one step (activations over H) alone is more than a section.
	RnnNode huge(KINFER_OP_LSTM, {1, 1, 1, 8192, 1}, true);
	REQUIRE(huge.prepare() == -E2BIG);
}

// ------------------------------------------------------------------- eval

TEST_CASE("LSTM eval against a double reference: peepholes, biases, states, clip", "[recurrent]")
{
	std::mt19937 rng(1);
	for (uint32_t D : {1u, 2u}) {
		RnnNode n(KINFER_OP_LSTM, {4, 3, 5, 7, D});
		n.input(3, n.f32({D, 56}));
		n.input(5, n.f32({D, 3, 7}));
		n.input(6, n.f32({D, 3, 7}));
		n.input(7, n.f32({D, 21}));
		RefIn ri;
		run_against_reference(n, ri, 2e-6, rng);

		RnnNode c(KINFER_OP_LSTM, {4, 3, 5, 7, D});
		c.attr.flags = KINFER_RNN_CLIP;
		c.attr.clip.f = 0.25f;
		c.input(3, c.f32({D, 56}));
		RefIn rc;
		rc.clip = 0.25;
		run_against_reference(c, rc, 2e-6, rng);
	}
}

TEST_CASE("GRU and RNN eval against a double reference", "[recurrent]")
{
	std::mt19937 rng(2);
	for (bool lbr : {false, true}) {
		RnnNode n(KINFER_OP_GRU, {4, 2, 5, 6, 2});
		n.attr.flags = lbr ? KINFER_RNN_LINEAR_BEFORE_RESET : 0;
		n.input(3, n.f32({2, 36}));
		n.input(5, n.f32({2, 2, 6}));
		RefIn ri;
		ri.lbr = lbr;
		run_against_reference(n, ri, 2e-6, rng);
	}
	RnnNode r(KINFER_OP_RNN, {4, 2, 5, 6, 2});
	r.input(3, r.f32({2, 12}));
	RefIn ri;
	run_against_reference(r, ri, 2e-6, rng);
}

TEST_CASE("varying sequence lengths, 0 included; an invalid one is ERANGE", "[recurrent]")
{
	std::mt19937 rng(3);
	for (uint16_t op : {(uint16_t)KINFER_OP_LSTM, (uint16_t)KINFER_OP_GRU, (uint16_t)KINFER_OP_RNN}) {
		RnnNode n(op, {5, 4, 3, 4, 2});
		kinfer_tensor seq = n.input(4, n.alloc(KINFER_DTYPE_INT32, {4}));
		n.input(5, n.f32({2, 4, 4}));
		REQUIRE(n.prepare() == 0);
		const int32_t lens[4] = {5, 0, 2, 3};
		std::memcpy(n.i32(seq), lens, sizeof(lens));
		RefIn ri;
		run_against_reference(n, ri, 2e-6, rng);
		// Past the end Y is 0; a row of length 0 ends with Y_h = 0.
		std::vector<float> y = n.get(n.out[0]);
		for (size_t j = 0; j < 4; j++) {
			REQUIRE(y[((4 * 2 + 1) * 4 + 2) * 4 + j] == 0.0f);	// t 4, d 1, b 2
			REQUIRE(n.at(n.out[1])[(0 * 4 + 1) * 4 + j] == 0.0f);	// Y_h[0, 1]
		}
		int32_t *s = n.i32(seq);
		s[2] = 6;
		REQUIRE(n.ex.desc->eval(&n.ex, 0, n.ex.units) == -ERANGE);
		s[2] = -1;
		REQUIRE(n.ex.desc->eval(&n.ex, 0, n.ex.units) == -ERANGE);
	}
}

TEST_CASE("a step split into blocks, units split into sections: same bits", "[recurrent]")
{
	std::mt19937 rng(4);
	for (uint16_t op : {(uint16_t)KINFER_OP_LSTM, (uint16_t)KINFER_OP_GRU}) {
		// Blocks of hidden units: G * (I + H) * block + H * elem <= 256K.
		RnnNode n(op, {3, 2, 1200, 260, 2});
		n.input(3, n.f32({2, 2 * gates_of(op) * 260}));
		RefIn ri;
		run_against_reference(n, ri, 2e-5, rng);
		REQUIRE(n.ex.s.rnn.blocks > 1);
		std::vector<float> whole = n.get(n.out[0]);
		// Again, one unit per call, then in uneven sections.
		for (uint64_t step : {(uint64_t)1, (uint64_t)7}) {
			std::fill(n.at(n.out[0]), n.at(n.out[0]) + n.numel(n.out[0]), -1.0f);
			for (uint64_t u = 0; u < n.ex.units; u += step)
				REQUIRE(n.ex.desc->eval(&n.ex, u, std::min(n.ex.units, u + step)) == 0);
			std::vector<float> split = n.get(n.out[0]);
			REQUIRE(std::memcmp(split.data(), whole.data(), whole.size() * 4) == 0);
		}
	}
}

TEST_CASE("recurrent math at the edges: NaN, infinities, saturation, clip", "[recurrent]")
{
	// One hidden unit, one input, W = 1, R = 0: the gates see x alone.
	RnnNode n(KINFER_OP_LSTM, {4, 1, 1, 1, 1});
	REQUIRE(n.prepare() == 0);
	std::fill(n.at(n.in[1]), n.at(n.in[1]) + 4, 1.0f);
	n.at(n.in[2])[0] = n.at(n.in[2])[1] = n.at(n.in[2])[2] = n.at(n.in[2])[3] = 0.0f;
	const float inf = std::numeric_limits<float>::infinity();
	float *x = n.at(n.in[0]);
	x[0] = 1e30f;	// i = o = f = c = 1: C = 1, h = tanh(1)
	x[1] = inf;	// C = 2, h = tanh(2)
	x[2] = -inf;	// i = o = f = 0, c = -1: C = 0, h = 0
	x[3] = std::numeric_limits<float>::quiet_NaN();
	REQUIRE(n.ex.desc->eval(&n.ex, 0, n.ex.units) == 0);
	std::vector<float> y = n.get(n.out[0]);
	REQUIRE(y[0] == Approx(std::tanh(1.0)).epsilon(1e-6));
	REQUIRE(y[1] == Approx(std::tanh(2.0)).epsilon(1e-6));
	REQUIRE(y[2] == 0.0f);
	REQUIRE(std::isnan(y[3]));
	REQUIRE(std::isnan(n.at(n.out[2])[0]));	// Y_c

	// clip 0.5 bounds every gate input: C = sigm(.5) tanh(.5), h = sigm(.5) tanh(C).
	n.attr.flags = KINFER_RNN_CLIP;
	n.attr.clip.f = 0.5f;
	REQUIRE(n.prepare() == 0);
	x[0] = 1e30f;
	x[3] = -inf;
	REQUIRE(n.ex.desc->eval(&n.ex, 0, n.ex.units) == 0);
	double c0 = sigm(0.5) * std::tanh(0.5);
	REQUIRE(n.at(n.out[0])[0] == Approx(sigm(0.5) * std::tanh(c0)).epsilon(1e-6));

	// input_forget: f = 1 - i; x = 0 gives i = 1/2, f = 1/2, C = 0.
	n.attr.flags = KINFER_RNN_INPUT_FORGET;
	n.attr.clip.bits = 0;
	REQUIRE(n.prepare() == 0);
	x[0] = 0.0f;
	x[1] = 1.0f;	// C = 0.5 * 0 + sigm(1) tanh(1)
	REQUIRE(n.ex.desc->eval(&n.ex, 0, 2) == 0);
	double c1 = sigm(1) * std::tanh(1.0);
	REQUIRE(n.at(n.out[0])[0] == 0.0f);
	REQUIRE(n.at(n.out[0])[1] == Approx(sigm(1) * std::tanh(c1)).epsilon(1e-6));
	// Without input_forget, f = sigm(1) as well.
	n.attr.flags = 0;
	REQUIRE(n.prepare() == 0);
	REQUIRE(n.ex.desc->eval(&n.ex, 0, 2) == 0);
	REQUIRE(n.at(n.out[2])[0] == Approx(c1).epsilon(1e-6));
}

// ------------------------------------------------------------------ loader

namespace {

ModelBuilder lstm_model(const std::function<void(onnx::NodeProto &)> &edit, int64_t opset = 17,
			bool seq_i64 = false)
{
	ModelBuilder b(opset);
	b.input("x", {5, 2, 3}).output("y_h", {1, 2, 4});
	b.init("W", {1, 16, 3}, std::vector<float>(48, 0.1f));
	b.init("R", {1, 16, 4}, std::vector<float>(64, 0.1f));
	if (seq_i64)
		b.init_i64("seq", {2}, {5, 5});
	else
		b.init_i32("seq", {2}, {5, 3});
	onnx::NodeProto &n = b.node("LSTM", {"x", "W", "R", "", "seq"}, {"", "y_h"}, "enc");
	ModelBuilder::attr_int(n, "hidden_size", 4);
	edit(n);
	return b;
}

void strings(onnx::NodeProto &n, const std::string &name, const std::vector<std::string> &v)
{
	auto *a = n.add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::STRINGS);
	for (const auto &s : v)
		a->add_strings(s);
}

} // namespace

TEST_CASE("LSTM compiles to one kernel op with its weights bound", "[recurrent][lower]")
{
	Compiled c = lstm_model([](onnx::NodeProto &) {}).compiled();
	const LOp *op = nullptr;
	for (const LOp &o : c.lowered.ops)
		if (o.op == KINFER_OP_LSTM)
			op = &o;
	REQUIRE(op);
	REQUIRE(op->in.size() == 5);	// X, W, R, no B, seq (not all T: kept)
	REQUIRE(op->in[1].kind == LRef::Kind::weight);
	REQUIRE(!op->in[3].present());
	REQUIRE(op->in[4].kind == LRef::Kind::weight);
	REQUIRE(op->out.size() == 4);	// no Y; Y_h; Y_c and work in scratch
	REQUIRE(!op->out[0].present());
	REQUIRE(op->out[3].shape == Shape{1, 2, 16});
}

TEST_CASE("recurrent loader errors name the node and the cause", "[recurrent][lower]")
{
	auto err = [](const ModelBuilder &b) {
		try {
			b.compiled();
		} catch (const ModelError &e) {
			return std::string(e.what());
		}
		return std::string("no error");
	};
	using N = onnx::NodeProto;
	CHECK_THAT(err(lstm_model([](N &n) {
			   n.clear_attribute();
			   ModelBuilder::attr_int(n, "hidden_size", 5);
		   })),
		   Contains("'enc' (LSTM)") && Contains("hidden_size 5 does not match R's shape [1,16,4]"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_string(n, "direction", "sideways"); })),
		   Contains("'enc'") && Contains("direction 'sideways'"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_string(n, "direction", "bidirectional"); })),
		   Contains("W (constant 'W') has shape [1,16,3], expected [2,16,3]"));
	CHECK_THAT(err(lstm_model([](N &n) { strings(n, "activations", {"Sigmoid", "Tanh"}); })),
		   Contains("activations lists 2 functions; LSTM with direction forward takes 3"));
	CHECK_THAT(err(lstm_model([](N &n) { strings(n, "activations", {"Sigmoid", "Foo", "Tanh"}); })),
		   Contains("activation 'Foo' is not one of"));
	CHECK_THAT(err(lstm_model([](N &n) { strings(n, "activations", {"Sigmoid", "Affine", "Tanh"}); })),
		   Contains("activation 'Affine' is not supported"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_float(n, "clip", 0.0f); })),
		   Contains("clip 0.000000 is not > 0"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_int(n, "input_forget", 2); })),
		   Contains("input_forget 2 is not 0 or 1"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_int(n, "layout", 1); }, 13)),
		   Contains("attribute 'layout' needs opset 14"));
	CHECK_THAT(err(lstm_model([](N &n) { ModelBuilder::attr_int(n, "output_sequence", 1); })),
		   Contains("attribute 'output_sequence' is not supported"));
	CHECK_THAT(err(lstm_model([](N &) {}, 17, true)),
		   Contains("constant 'seq' is int64; LSTM takes int32 here"));
	ModelBuilder b = lstm_model([](N &) {});
	b.model().mutable_graph()->mutable_initializer(2)->set_int32_data(1, 6);
	CHECK_THAT(err(b), Contains("sequence_lens has 6, outside [0, 5]"));
}

TEST_CASE("LSTM with all sequence lengths T drops them; by hand", "[recurrent][exec]")
{
	// hidden 1, input 1, W = [1, 1, 1, 1] (i, o, f, c), R = 0, x = 0 then 1:
	// step 0: i = o = f = 1/2, c = 0: C = 0, h = 0
	// step 1: i = o = f = sigm(1), c = tanh(1): C = sigm(1) tanh(1),
	//	   h = sigm(1) tanh(C)
	ModelBuilder b;
	b.input("x", {2, 1, 1}).output("y", {2, 1, 1, 1});
	b.init("W", {1, 4, 1}, {1, 1, 1, 1});
	b.init("R", {1, 4, 1}, {0, 0, 0, 0});
	b.init_i32("seq", {1}, {2});
	ModelBuilder::attr_int(b.node("LSTM", {"x", "W", "R", "", "seq"}, {"y"}, "l"), "hidden_size", 1);
	REQUIRE(b.lowered().ops[1].in.size() == 3);
	std::vector<float> y = run_model(b, {F({2, 1, 1}, {0, 1})})[0].floats();
	double s = sigm(1.0), c = s * std::tanh(1.0);
	REQUIRE(y[0] == 0.0f);
	REQUIRE(y[1] == Approx(s * std::tanh(c)).epsilon(1e-6));
}
