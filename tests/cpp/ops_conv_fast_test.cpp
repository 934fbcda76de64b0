// SPDX-License-Identifier: GPL-2.0
// The CONV kernel's fast paths (kmod/math/conv.c): 1x1 convolutions as
// GEMMs, depthwise convolutions vectorised along the output row, and the
// direct path for the rest.  Each is run as the module runs it (prepare,
// then eval over unit ranges) for every instruction-set variant this CPU
// has, against a float64 loop written here from the ONNX Conv formula,
// and split into different unit ranges, which must not change one bit.
#include <catch2/catch.hpp>

extern "C" {
#include "kinfer_math.h"
#include "math/isa.h"
#include "ops/exec.h"
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr float kLeak = 0.1f, kClipLo = -0.5f, kClipHi = 0.75f;

// One convolution: shapes and attributes, all 2-D (N, C, H, W).
struct Geo {
	int64_t n, c, h, w;	// X
	int64_t m, kh, kw;	// W [m, c / group, kh, kw]
	int64_t group;
	int64_t sh, sw, dh, dw;
	int64_t pt, pl, pb, pr;	// pads: top, left, bottom, right
	bool bias;
	uint32_t act;		// 0 or KINFER_OP_RELU ...
	int64_t oh() const { return (h + pt + pb - (kh - 1) * dh - 1) / sh + 1; }
	int64_t ow() const { return (w + pl + pr - (kw - 1) * dw - 1) / sw + 1; }
	int64_t xn() const { return n * c * h * w; }
	int64_t wn() const { return m * (c / group) * kh * kw; }
	int64_t yn() const { return n * m * oh() * ow(); }
};

kinfer_tensor f32(const std::vector<uint32_t> &dims, uint32_t off)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	t.dtype = KINFER_DTYPE_FLOAT32;
	t.off = off;
	t.rank = (uint8_t)dims.size();
	for (size_t i = 0; i < dims.size(); i++)
		t.dims[i] = dims[i];
	return t;
}

// A CONV node over an arena holding X, W, B and Y (in that order, each
// 64-byte aligned), prepared as kinfer_node_prepare() does for the module.
struct ConvNode {
	Geo g;
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<float> arena;
	uint32_t ox = 0, ow = 0, ob = 0, oy = 0;	// float offsets
	kinfer_exec ex;

	static uint32_t up(int64_t v) { return (uint32_t)((v + 15) / 16 * 16); }

	explicit ConvNode(const Geo &geo) : g(geo)
	{
		ow = ox + up(g.xn());
		ob = ow + up(g.wn());
		oy = ob + up(g.m);
		arena.assign(oy + up(g.yn()), 0.0f);
	}
	float *x() { return arena.data() + ox; }
	float *w() { return arena.data() + ow; }
	float *b() { return arena.data() + ob; }
	float *y() { return arena.data() + oy; }

	int prepare()
	{
		kinfer_attr_conv a{};
		a.n_spatial = 2;
		a.group = (uint32_t)g.group;
		a.strides[0] = (uint32_t)g.sh;
		a.strides[1] = (uint32_t)g.sw;
		a.dilations[0] = (uint32_t)g.dh;
		a.dilations[1] = (uint32_t)g.dw;
		a.pads_begin[0] = (uint32_t)g.pt;
		a.pads_begin[1] = (uint32_t)g.pl;
		a.pads_end[0] = (uint32_t)g.pb;
		a.pads_end[1] = (uint32_t)g.pr;
		a.act = g.act;
		if (g.act == KINFER_OP_LEAKY_RELU)
			a.act_attr.alpha.f = kLeak;
		if (g.act == KINFER_OP_CLIP) {
			a.act_attr.alpha.f = kClipLo;
			a.act_attr.beta.f = kClipHi;
		}
		std::vector<kinfer_tensor> t{
			f32({(uint32_t)g.n, (uint32_t)g.c, (uint32_t)g.h, (uint32_t)g.w}, ox * 4),
			f32({(uint32_t)g.m, (uint32_t)(g.c / g.group), (uint32_t)g.kh, (uint32_t)g.kw},
			    ow * 4)};
		if (g.bias)
			t.push_back(f32({(uint32_t)g.m}, ob * 4));
		t.push_back(f32({(uint32_t)g.n, (uint32_t)g.m, (uint32_t)g.oh(), (uint32_t)g.ow()},
				oy * 4));
		kinfer_node nd;
		std::memset(&nd, 0, sizeof(nd));
		nd.op = KINFER_OP_CONV;
		nd.n_in = (uint8_t)(t.size() - 1);
		nd.n_out = 1;
		nd.attr_bytes = sizeof(a);
		nd.size = (uint16_t)(sizeof(nd) + t.size() * sizeof(kinfer_tensor) + sizeof(a));
		uint8_t *p = bytes;
		std::memcpy(p, &nd, sizeof(nd));
		p += sizeof(nd);
		std::memcpy(p, t.data(), t.size() * sizeof(kinfer_tensor));
		p += t.size() * sizeof(kinfer_tensor);
		std::memcpy(p, &a, sizeof(a));
		kinfer_buffers bufs;
		std::memset(&bufs, 0, sizeof(bufs));
		bufs.arena.data = arena.data();
		bufs.arena.size = (uint32_t)(arena.size() * 4);
		return kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &bufs);
	}

	// Units [0, units) in sections as the module cuts them, or in random
	// ranges of 1..max_run units when rng is given.
	std::vector<float> run(std::mt19937 *rng = nullptr, uint64_t max_run = 1)
	{
		std::fill(y(), y() + g.yn(), std::nanf(""));
		uint64_t per = std::max<uint64_t>(1, KINFER_FPU_CHUNK / ex.unit_work);
		for (uint64_t u = 0; u < ex.units;) {
			uint64_t step = rng ? 1 + (*rng)() % max_run : per;
			uint64_t e = std::min(ex.units, u + step);
			REQUIRE(ex.desc->eval(&ex, u, e) == 0);
			u = e;
		}
		return std::vector<float>(y(), y() + g.yn());
	}
};

// The activations as the unary ops define them (float in, float out).
float act_f(uint32_t act, float v)
{
	switch (act) {
	case KINFER_OP_RELU:
		return v < 0.0f ? 0.0f : v;
	case KINFER_OP_CLIP:
		v = v < kClipLo ? kClipLo : v;
		return v > kClipHi ? kClipHi : v;
	case KINFER_OP_LEAKY_RELU:
		return v < 0.0f ? kLeak * v : v;
	default:
		return v;
	}
}

double act_d(uint32_t act, double v)
{
	switch (act) {
	case KINFER_OP_RELU:
		return std::max(v, 0.0);
	case KINFER_OP_CLIP:
		return std::min(std::max(v, (double)kClipLo), (double)kClipHi);
	case KINFER_OP_LEAKY_RELU:
		return v < 0.0 ? (double)kLeak * v : v;
	default:
		return v;
	}
}

// The float64 reference: Y[n, m, i, j] = act(B[m] + sum over c of m's
// group and taps (t, u) inside X of X[n, c, i * sh - pt + t * dh,
// j * sw - pl + u * dw] W[m, c', t, u]), and the sum of the terms'
// magnitudes (what a float sum's error scales with).
struct Ref {
	std::vector<double> y, mag;
};

// Calls f(y index, m, c, x index, w index) for every term of every output,
// in (c, t, u) order, taps outside X left out.
template <typename F>
void for_terms(const Geo &g, F f)
{
	int64_t cg = g.c / g.group, mg = g.m / g.group, oh = g.oh(), ow = g.ow();
	for (int64_t n = 0; n < g.n; n++)
		for (int64_t m = 0; m < g.m; m++)
			for (int64_t i = 0; i < oh; i++)
				for (int64_t j = 0; j < ow; j++) {
					size_t yi = (size_t)(((n * g.m + m) * oh + i) * ow + j);
					for (int64_t cl = 0; cl < cg; cl++) {
						int64_t c = m / mg * cg + cl;
						for (int64_t t = 0; t < g.kh; t++)
							for (int64_t u = 0; u < g.kw; u++) {
								int64_t r = i * g.sh - g.pt + t * g.dh;
								int64_t q = j * g.sw - g.pl + u * g.dw;
								if (r < 0 || r >= g.h || q < 0 || q >= g.w)
									continue;
								f(yi, m, cl, ((n * g.c + c) * g.h + r) * g.w + q,
								  ((m * cg + cl) * g.kh + t) * g.kw + u);
							}
					}
				}
}

Ref ref_conv(const Geo &g, const float *x, const float *w, const float *b)
{
	Ref r{std::vector<double>((size_t)g.yn(), 0.0), std::vector<double>((size_t)g.yn(), 0.0)};
	for_terms(g, [&](size_t yi, int64_t, int64_t, int64_t xi, int64_t wi) {
		double t = (double)x[xi] * w[wi];
		r.y[yi] += t;
		r.mag[yi] += std::fabs(t);
	});
	int64_t plane = g.oh() * g.ow();
	for (size_t i = 0; i < r.y.size(); i++) {
		int64_t m = (int64_t)i / plane % g.m;
		if (g.bias) {
			r.y[i] += b[m];
			r.mag[i] += std::fabs(b[m]);
		}
		r.y[i] = act_d(g.act, r.y[i]);
	}
	return r;
}

// One multiply-add in float: fused (one rounding) or not (two).
float step(float sum, float x, float w, bool fused)
{
	if (fused)
		return std::fma(x, w, sum);
	volatile float p = x * w;
	return sum + p;
}

// The DIRECT and DEPTHWISE order conv.c documents: from the bias, one
// chain over (c, t, u), then the activation.
std::vector<float> chain_direct(const Geo &g, const float *x, const float *w, const float *b,
				bool fused)
{
	std::vector<float> y((size_t)g.yn());
	int64_t plane = g.oh() * g.ow();
	for (size_t i = 0; i < y.size(); i++)
		y[i] = g.bias ? b[(int64_t)i / plane % g.m] : 0.0f;
	for_terms(g, [&](size_t yi, int64_t, int64_t, int64_t xi, int64_t wi) {
		y[yi] = step(y[yi], x[xi], w[wi], fused);
	});
	for (float &v : y)
		v = act_f(g.act, v);
	return y;
}

// The GEMM order: with 16 or more positions one chain over c from 0; with
// fewer, per chunk of k_block channels isa.h's 8 chains and tree, added to
// the chunks before.  Then the bias, then the activation.
std::vector<float> chain_gemm(const Geo &g, const float *x, const float *w, const float *b,
			      bool fused, int64_t k_block)
{
	std::vector<float> y((size_t)g.yn()), s((size_t)g.yn() * 8);
	int64_t plane = g.oh() * g.ow(), cg = g.c / g.group;
	bool tree = plane < KINFER_GEMM_ALIGN;
	auto flush = [&](size_t yi) {
		float *c = &s[yi * 8];
		y[yi] += ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
		std::fill(c, c + 8, 0.0f);
	};
	for_terms(g, [&](size_t yi, int64_t, int64_t cl, int64_t xi, int64_t wi) {
		if (!tree) {
			y[yi] = step(y[yi], w[wi], x[xi], fused);
			return;
		}
		float &c = s[yi * 8 + (size_t)(cl % k_block % 8)];
		c = step(c, w[wi], x[xi], fused);
		if ((cl + 1) % k_block == 0 || cl + 1 == cg)
			flush(yi);
	});
	for (size_t i = 0; i < y.size(); i++) {
		if (g.bias)
			y[i] += b[(int64_t)i / plane % g.m];
		y[i] = act_f(g.act, y[i]);
	}
	return y;
}

void fill(float *p, int64_t n, std::mt19937 &rng)
{
	std::uniform_real_distribution<float> u(-1.0f, 1.0f);
	for (int64_t i = 0; i < n; i++)
		p[i] = u(rng);
}

// |got - want| within a float sum's error bound: its terms' magnitudes
// times (terms + 2) roundings of 2^-24 each, with room.
void require_close(const std::vector<float> &got, const Ref &want, const Geo &g)
{
	double k = (double)(g.c / g.group * g.kh * g.kw + 2);
	REQUIRE(got.size() == want.y.size());
	for (size_t i = 0; i < got.size(); i++) {
		INFO("element " << i << ": got " << got[i] << ", want " << want.y[i]);
		REQUIRE(std::fabs((double)got[i] - want.y[i]) <= 2.0 * k * 0x1p-24 * want.mag[i] + 1e-30);
	}
}

// Every variant this CPU runs, and a restore of the one that ran before.
struct IsaSweep {
	enum kinfer_isa before = kinfer_isa_get();
	~IsaSweep() { kinfer_isa_set(before); }
	std::vector<enum kinfer_isa> variants() const
	{
		std::vector<enum kinfer_isa> v;
		for (int i = KINFER_ISA_GENERIC; i <= (int)kinfer_isa_best(); i++)
			v.push_back((enum kinfer_isa)i);
		return v;
	}
};

double thread_seconds()
{
	timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const uint32_t kActs[] = {0, KINFER_OP_RELU, KINFER_OP_CLIP, KINFER_OP_LEAKY_RELU};

// Runs g on every variant: the path prepare chose, the float64 reference,
// the order of sums conv.c documents (bit for bit), and the same bits from
// a random split into unit ranges.  Returns the path.
int64_t check_conv(const Geo &g, std::mt19937 &rng)
{
	ConvNode c(g);
	fill(c.x(), g.xn(), rng);
	fill(c.w(), g.wn(), rng);
	fill(c.b(), g.m, rng);
	REQUIRE(c.prepare() == 0);
	const kinfer_window_plan &p = c.ex.s.window;
	Ref want = ref_conv(g, c.x(), c.w(), c.b());
	IsaSweep sweep;
	for (enum kinfer_isa isa : sweep.variants()) {
		REQUIRE(kinfer_isa_set(isa) == 0);
		INFO(kinfer_isa_table(isa)->name << " path " << p.path);
		std::vector<float> got = c.run();
		require_close(got, want, g);
		bool fused = isa != KINFER_ISA_GENERIC;
		// DIRECT: the row kernel for row strides 1 and 2 without
		// dilation, the SSE2 tiles (no FMA) for the rest.
		bool rows = p.path != KINFER_CONV_DIRECT || (g.sw <= 2 && g.dw == 1);
		std::vector<float> order =
			p.path == KINFER_CONV_GEMM ? chain_gemm(g, c.x(), c.w(), c.b(), fused, p.k_block) :
			chain_direct(g, c.x(), c.w(), c.b(), fused && rows);
		REQUIRE(std::memcmp(got.data(), order.data(), got.size() * sizeof(float)) == 0);
		std::vector<float> split = c.run(&rng, 1 + rng() % 5);
		REQUIRE(std::memcmp(got.data(), split.data(), got.size() * sizeof(float)) == 0);
	}
	return p.path;
}

std::string geo_str(const Geo &g)
{
	std::ostringstream o;
	o << "x [" << g.n << "," << g.c << "," << g.h << "," << g.w << "] m " << g.m << " k " << g.kh
	  << "x" << g.kw << " group " << g.group << " s " << g.sh << "," << g.sw << " d " << g.dh << ","
	  << g.dw << " pads " << g.pt << "," << g.pl << "," << g.pb << "," << g.pr << " bias "
	  << g.bias << " act " << g.act;
	return o.str();
}

} // namespace

TEST_CASE("CONV 1x1 as GEMM: random shapes, every variant, against float64 and its order",
	  "[conv][conv-fast]")
{
	std::mt19937 rng(20261130);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	for (int t = 0; t < 60; t++) {
		Geo g{};
		g.n = pick(1, 2);
		g.group = pick(1, 3);
		// a few K above one chunk (k_block 128 for 32 x 64 tiles)
		int64_t cg = t % 10 == 9 ? pick(129, 300) : pick(1, 40);
		int64_t mg = pick(1, 40);
		g.c = g.group * cg;
		g.m = g.group * mg;
		g.h = pick(1, 12);
		g.w = t % 3 ? pick(1, 40) : pick(1, 5);	// fewer than 16 positions too
		g.kh = g.kw = 1;
		g.sh = g.sw = g.dh = g.dw = 1;
		g.dh = pick(1, 2);	// no effect on a 1x1 kernel
		g.bias = rng() % 2;
		g.act = kActs[rng() % 4];
		INFO("trial " << t << ": " << geo_str(g));
		REQUIRE(check_conv(g, rng) == KINFER_CONV_GEMM);
	}
}

TEST_CASE("CONV depthwise: random shapes, every variant, against float64 and its order",
	  "[conv][conv-fast]")
{
	std::mt19937 rng(4711);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	int done = 0;
	for (int t = 0; done < 80 && t < 1000; t++) {
		Geo g{};
		g.n = pick(1, 2);
		g.c = g.m = g.group = pick(1, 6);
		g.h = pick(1, 12);
		g.w = t % 2 ? pick(1, 70) : pick(1, 12);
		g.kh = pick(1, 4);
		g.kw = pick(1, 5);
		g.sh = pick(1, 3);
		g.sw = pick(1, 3);	// 3: the DIRECT path
		g.dh = pick(1, 2);
		g.dw = t % 8 == 7 ? 2 : 1;	// 2: DIRECT
		g.pt = pick(0, 2);
		g.pl = pick(0, 3);
		g.pb = pick(0, 2);
		g.pr = pick(0, 3);
		g.bias = rng() % 2;
		g.act = kActs[rng() % 4];
		if (g.h + g.pt + g.pb < (g.kh - 1) * g.dh + 1 || g.w + g.pl + g.pr < (g.kw - 1) * g.dw + 1)
			continue;
		done++;
		INFO("trial " << t << ": " << geo_str(g));
		bool fast = g.sw <= 2 && g.dw == 1;
		REQUIRE(check_conv(g, rng) == (fast ? KINFER_CONV_DEPTHWISE : KINFER_CONV_DIRECT));
	}
	REQUIRE(done == 80);
}

TEST_CASE("CONV direct: groups, strides and padding, every variant, against float64 and its order",
	  "[conv][conv-fast]")
{
	std::mt19937 rng(99);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	int done = 0;
	for (int t = 0; done < 40 && t < 1000; t++) {
		Geo g{};
		g.n = pick(1, 2);
		g.group = pick(1, 2);
		g.c = g.group * pick(1, 4);
		g.m = g.group * pick(2, 9);
		g.h = pick(1, 9);
		g.w = pick(1, 50);
		g.kh = pick(1, 3);
		g.kw = pick(1, 4);
		g.sh = pick(1, 2);
		g.sw = pick(1, 3);
		g.dh = pick(1, 2);
		g.dw = t % 5 == 4 ? 2 : 1;
		g.pt = pick(0, 1);
		g.pl = pick(0, 2);
		g.pb = pick(0, 1);
		g.pr = pick(0, 2);
		g.bias = rng() % 2;
		g.act = kActs[rng() % 4];
		if (g.kh * g.kw == 1 || g.h + g.pt + g.pb < (g.kh - 1) * g.dh + 1 ||
		    g.w + g.pl + g.pr < (g.kw - 1) * g.dw + 1)
			continue;
		done++;
		INFO("trial " << t << ": " << geo_str(g));
		REQUIRE(check_conv(g, rng) == KINFER_CONV_DIRECT);
	}
	REQUIRE(done == 40);
}

TEST_CASE("CONV: the MobileNet layers, every variant", "[conv][conv-fast]")
{
	std::mt19937 rng(3);
	const Geo layers[] = {
		{1, 3, 96, 96, 16, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_CLIP},
		{1, 32, 48, 48, 32, 3, 3, 32, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_CLIP},
		{1, 64, 24, 24, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1, 1, 1, true, KINFER_OP_RELU},
		{1, 128, 6, 6, 256, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_CLIP},
		{1, 256, 3, 3, 40, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, 0},
	};
	const int64_t paths[] = {KINFER_CONV_DIRECT, KINFER_CONV_DEPTHWISE, KINFER_CONV_DEPTHWISE,
				 KINFER_CONV_GEMM, KINFER_CONV_GEMM};
	for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		INFO(geo_str(layers[i]));
		REQUIRE(check_conv(layers[i], rng) == paths[i]);
	}
}

// The convolutions of bench/models/cnn (MobileNetV1, width 0.5, 96x96),
// per variant: run with "[.conv-cnn-bench]".
TEST_CASE("CNN conv layer speed per variant", "[.conv-cnn-bench]")
{
	const Geo layers[] = {
		{1, 3, 96, 96, 16, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_RELU},
		{1, 16, 48, 48, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 1, 1, true, KINFER_OP_RELU},
		{1, 16, 48, 48, 32, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
		{1, 32, 48, 48, 32, 3, 3, 32, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_RELU},
		{1, 32, 24, 24, 64, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
		{1, 64, 24, 24, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1, 1, 1, true, KINFER_OP_RELU},
		{1, 64, 24, 24, 64, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
		{1, 64, 24, 24, 64, 3, 3, 64, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_RELU},
		{1, 64, 12, 12, 128, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
		{1, 128, 12, 12, 128, 3, 3, 128, 1, 1, 1, 1, 1, 1, 1, 1, true, KINFER_OP_RELU},
		{1, 128, 12, 12, 128, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
		{1, 128, 12, 12, 128, 3, 3, 128, 2, 2, 1, 1, 0, 0, 1, 1, true, KINFER_OP_RELU},
		{1, 128, 6, 6, 256, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, KINFER_OP_RELU},
	};
	std::mt19937 rng(1);
	IsaSweep sweep;
	for (enum kinfer_isa isa : sweep.variants()) {
		REQUIRE(kinfer_isa_set(isa) == 0);
		double total = 0;
		for (const Geo &g : layers) {
			ConvNode c(g);
			fill(c.x(), g.xn(), rng);
			fill(c.w(), g.wn(), rng);
			fill(c.b(), g.m, rng);
			REQUIRE(c.prepare() == 0);
			double best = 1e9;
			for (int r = 0; r < 200; r++) {
				double t0 = thread_seconds();
				REQUIRE(c.ex.desc->eval(&c.ex, 0, c.ex.units) == 0);
				best = std::min(best, thread_seconds() - t0);
			}
			total += best;
			double macs = (double)g.yn() * (double)(g.c / g.group * g.kh * g.kw);
			WARN(kinfer_isa_table(isa)->name
			     << " x " << g.c << "x" << g.h << "x" << g.w << " -> " << g.m << " k" << g.kh
			     << " s" << g.sh << " group " << g.group << ": " << best * 1e6 << " us, "
			     << 2.0 * macs / best / 1e9 << " GFLOP/s");
		}
		WARN(kinfer_isa_table(isa)->name << " total: " << total * 1e6 << " us");
	}
}
