// SPDX-License-Identifier: GPL-2.0
//
// The instruction-set variants of the compute kernels (kmod/math/isa.h)
// against the order of sums isa.h promises, on the same inputs: the FMA
// variants (AVX2, AVX-512) must equal std::fmaf chains bit for bit, and
// the generic one chains of separately rounded products and sums.  Every variant this
// CPU has is checked; the ones it lacks are listed in the test's output.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "math/isa.h"
}

namespace {

struct Gemm {
	size_t m, k, n, lda, ldb, ldy;
	bool acc;		// continue the chains from y0
	bool panels;		// pass B packed in 16-column panels
	std::vector<float> a, b, y0;	// b row-major, ldb apart
};

Gemm random_gemm(std::mt19937 &rng)
{
	std::uniform_int_distribution<size_t> dim(1, 40), wide(1, 150), pad(0, 5);
	std::normal_distribution<float> val(0.0f, 1.0f);
	Gemm g;
	g.m = dim(rng);
	g.k = wide(rng);
	g.n = wide(rng);
	g.lda = g.k + pad(rng);
	g.ldb = g.n + pad(rng);
	g.ldy = g.n + pad(rng);
	g.acc = rng() % 2;
	g.panels = rng() % 2;
	g.a.resize(g.m * g.lda);
	g.b.resize(g.k * g.ldb);
	g.y0.resize(g.m * g.ldy);
	for (float &x : g.a)
		x = val(rng);
	for (float &x : g.b)
		x = val(rng);
	for (float &x : g.y0)
		x = val(rng);
	return g;
}

// One multiply-add step; fused: one rounding (fmaf), else two.
float step(float sum, float x, float w, bool fused)
{
	if (fused)
		return std::fma(x, w, sum);
	volatile float p = x * w;	// rounded on its own
	return sum + p;
}

// The order of sums isa.h promises: one chain per element, or 8 chains
// and a fixed tree for the columns past the last multiple of 16.
std::vector<float> chain(const Gemm &g, bool fused)
{
	std::vector<float> y = g.y0;
	size_t vec_end = g.n - g.n % KINFER_GEMM_ALIGN;
	for (size_t i = 0; i < g.m; i++)
		for (size_t j = 0; j < g.n; j++) {
			float init = g.acc ? y[i * g.ldy + j] : 0.0f, s[8] = {};
			for (size_t l = 0; l < g.k; l++) {
				float x = g.a[i * g.lda + l], w = g.b[l * g.ldb + j];
				if (j < vec_end)
					init = step(init, x, w, fused);
				else
					s[l % 8] = step(s[l % 8], x, w, fused);
			}
			if (j >= vec_end)
				init += ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
			y[i * g.ldy + j] = init;
		}
	return y;
}

// B as KINFER_MATMUL_B_PANELS lays it out: [ceil(n / 16)][k][16], the
// columns past n zero.
std::vector<float> to_panels(const Gemm &g)
{
	const size_t w = KINFER_GEMM_ALIGN, panels = (g.n + w - 1) / w;
	std::vector<float> p(panels * g.k * w, 0.0f);
	for (size_t l = 0; l < g.k; l++)
		for (size_t j = 0; j < g.n; j++)
			p[(j / w * g.k + l) * w + j % w] = g.b[l * g.ldb + j];
	return p;
}

std::vector<float> run(const struct kinfer_isa_ops *ops, const Gemm &g)
{
	std::vector<float> y = g.y0;	// padding must survive
	if (g.panels) {
		std::vector<float> p = to_panels(g);
		ops->gemm(y.data(), g.ldy, g.a.data(), g.lda, p.data(), KINFER_GEMM_ALIGN,
			  KINFER_GEMM_ALIGN * g.k, g.m, g.k, g.n, g.acc);
	} else {
		ops->gemm(y.data(), g.ldy, g.a.data(), g.lda, g.b.data(), g.ldb, KINFER_GEMM_ALIGN,
			  g.m, g.k, g.n, g.acc);
	}
	return y;
}

} // namespace

TEST_CASE("every GEMM variant equals its multiply-add chain bit for bit, B row-major or in panels",
	  "[isa]")
{
	std::mt19937 rng(20261130);
	for (int isa = KINFER_ISA_GENERIC; isa < KINFER_ISA_COUNT; isa++) {
		const struct kinfer_isa_ops *ops = kinfer_isa_table((kinfer_isa)isa);
		if (isa > kinfer_isa_best()) {
			WARN("this CPU has no " << ops->name << ": its GEMM is not checked here");
			continue;
		}
		for (int t = 0; t < 200; t++) {
			Gemm g = random_gemm(rng);
			std::vector<float> want = chain(g, isa != KINFER_ISA_GENERIC);
			std::vector<float> got = run(ops, g);
			INFO(ops->name << " m=" << g.m << " k=" << g.k << " n=" << g.n << " acc=" << g.acc
				       << " panels=" << g.panels);
			REQUIRE(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
		}
	}
}

TEST_CASE("the ISA table: names round-trip, unknown ones are refused", "[isa]")
{
	for (int isa = KINFER_ISA_GENERIC; isa < KINFER_ISA_COUNT; isa++) {
		const char *name = kinfer_isa_table((kinfer_isa)isa)->name;
		CHECK(kinfer_isa_parse(name, std::strlen(name)) == isa);
		std::string line = std::string(name) + "\n";
		CHECK(kinfer_isa_parse(line.data(), line.size()) == isa);
	}
	CHECK(kinfer_isa_parse("avx", 3) == -EINVAL);
	CHECK(kinfer_isa_parse("avx5120", 7) == -EINVAL);
	CHECK(kinfer_isa_parse("", 0) == -EINVAL);
	CHECK(kinfer_isa_set(KINFER_ISA_COUNT) == -EINVAL);

	enum kinfer_isa before = kinfer_isa_get();
	REQUIRE(kinfer_isa_set(KINFER_ISA_GENERIC) == 0);
	CHECK(kinfer_isa_ops() == kinfer_isa_table(KINFER_ISA_GENERIC));
	REQUIRE(kinfer_isa_set(before) == 0);
	CHECK(kinfer_isa_get() <= kinfer_isa_best());
}
