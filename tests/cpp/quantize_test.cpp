// SPDX-License-Identifier: GPL-2.0
//
// --quantize int8 (loader/src/quantize.h): the per-column weight quantiser
// and MATMUL_I8's packing against float64 references computed here, which
// MatMuls the pass rewrites and how (the smoothed weights within half a
// step of the float ones, one QUANTIZE per shared input,
// attention products stay float), the calibration directory's errors, and
// the calibrated ranges against the float64 activations.
#include "onnx_builders.h"
#include "error.h"
#include "ops.h"
#include "quantize.h"
#include "tensor_io.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>

using namespace kinfer;
using namespace kinfer_test;
namespace fs = std::filesystem;

namespace {

std::vector<float> random_floats(size_t n, std::mt19937 &rng, float sd = 1.0f)
{
	std::normal_distribution<float> val(0.0f, sd);
	std::vector<float> v(n);
	for (float &x : v)
		x = val(rng);
	return v;
}

// Round half to even in float64, spelled out (not the library's rint).
double round_half_even(double x)
{
	double f = std::floor(x), d = x - f;
	if (d > 0.5 || (d == 0.5 && std::fmod(f, 2.0) != 0))
		return f + 1;
	return f;
}

size_t count_ops(const Lowered &l, uint32_t op)
{
	size_t n = 0;
	for (const LOp &o : l.ops)
		n += o.op == op;
	return n;
}

// A scratch directory removed on destruction.
struct TempDir {
	fs::path path;
	TempDir()
	{
		char tmpl[] = "/tmp/kinfer_quant_XXXXXX";
		path = mkdtemp(tmpl);
	}
	~TempDir() { fs::remove_all(path); }
};

void write_sample(const fs::path &dir, const std::string &name, const HostTensor &t)
{
	fs::create_directories(dir);
	write_npy((dir / name).string(), t);
}

std::string error_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const InputError &e) {
		return e.what();
	}
	return "";
}

} // namespace

TEST_CASE("quantize_matrix: per-column symmetric scales, half-even rounding, column sums", "[quantize]")
{
	std::mt19937 rng(11);
	const int64_t k = 37, n = 21;
	std::vector<float> w = random_floats(k * n, rng);
	for (int64_t i = 0; i < k; i++)
		w[i * n + 3] = 0.0f;		// an all-zero column
	QuantMatrix m = quantize_matrix(F({k, n}, w));
	REQUIRE(m.k == k);
	REQUIRE(m.n == n);
	for (int64_t j = 0; j < n; j++) {
		double amax = 0;
		for (int64_t i = 0; i < k; i++)
			amax = std::max(amax, std::fabs((double)w[i * n + j]));
		double scale = amax == 0 ? 1.0 : (double)(float)(amax / 127.0);
		REQUIRE(m.scale[j] == (float)scale);
		int64_t sum = 0;
		int peak = 0;
		for (int64_t i = 0; i < k; i++) {
			double want = std::clamp(round_half_even(w[i * n + j] / scale), -127.0, 127.0);
			int q = m.q[i * n + j];
			REQUIRE(q == (int)want);
			// dequantised within half a step of the float weight
			REQUIRE(std::fabs(q * scale - w[i * n + j]) <= scale * 0.5 + 1e-12);
			sum += q;
			peak = std::max(peak, std::abs(q));
		}
		REQUIRE(m.wsum[j] == sum);
		REQUIRE(peak == (amax == 0 ? 0 : 127));
	}
}

TEST_CASE("quantize_matrix rounds ties to even", "[quantize]")
{
	// amax 127 makes the scale exactly 1, so w / scale are the ties themselves.
	std::vector<float> w{127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f, 126.5f};
	QuantMatrix m = quantize_matrix(F({(int64_t)w.size(), 1}, w));
	REQUIRE(m.scale[0] == 1.0f);
	for (size_t i = 0; i < w.size(); i++)
		REQUIRE(m.q[i] == (int)round_half_even(w[i]));
}

TEST_CASE("pack_matrix_i8 holds W(k, n) at [n / 16][k / 4][(n % 16) * 4 + k % 4]", "[quantize]")
{
	std::mt19937 rng(3);
	for (auto [k, n] : {std::pair<int64_t, int64_t>{5, 20}, {8, 16}, {1, 1}, {33, 47}}) {
		QuantMatrix m = quantize_matrix(F({k, n}, random_floats(k * n, rng)));
		HostTensor p = pack_matrix_i8(m);
		int64_t np = (n + 15) / 16, kp = (k + 3) / 4;
		REQUIRE(p.dtype == DType::i8);
		REQUIRE(p.shape == Shape{np, kp, 64});
		const int8_t *b = p.as<int8_t>();
		size_t nonpad = 0;
		for (int64_t a = 0; a < np; a++)
			for (int64_t g = 0; g < kp; g++)
				for (int64_t e = 0; e < 64; e++) {
					int64_t j = a * 16 + e / 4, i = g * 4 + e % 4;
					int8_t v = b[(a * kp + g) * 64 + e];
					if (i < k && j < n) {
						REQUIRE(v == m.q[i * n + j]);
						nonpad++;
					} else {
						REQUIRE(v == 0);
					}
				}
		REQUIRE(nonpad == (size_t)(k * n));
	}
}

namespace {

// The rewritten MatMul's effective weight, inv[k] * Wq[k, n] * w_scale[n]
// (w_scale = scale / x_scale), is W within half a quantisation step, and
// the calibrated range of A / s fills [-127, 127] * x_scale.
void check_rewrite(const Lowered &l, const LOp &mul, const LOp &quant, const LOp &mm, const HostTensor &w,
		   const std::vector<float> &amax)
{
	const float *inv = l.weights[mul.in[1].index].t.as<float>();
	kinfer_attr_qconvert qa;
	std::memcpy(&qa, quant.attr.data(), sizeof(qa));
	REQUIRE(qa.zero_point == 0);
	double top = 0;
	for (size_t k = 0; k < amax.size(); k++)
		top = std::max(top, (double)amax[k] * inv[k]);
	REQUIRE(top == Approx(127.0 * qa.scale.f).epsilon(1e-6));
	int64_t k = w.shape[0], n = w.shape[1], kp = (k + 3) / 4;
	const int8_t *wq = l.weights[mm.in[1].index].t.as<int8_t>();
	const float *scale = l.weights[mm.in[2].index].t.as<float>();
	const int32_t *wsum = l.weights[mm.in[3].index].t.as<int32_t>();
	for (int64_t j = 0; j < n; j++) {
		double ws = (double)scale[j] / qa.scale.f;
		int64_t sum = 0;
		for (int64_t i = 0; i < k; i++) {
			int q = wq[((j / 16) * kp + i / 4) * 64 + (j % 16) * 4 + i % 4];
			sum += q;
			double eff = q * ws * inv[i], want = w.as<float>()[i * n + j];
			REQUIRE(std::fabs(eff - want) <= 0.5 * ws * inv[i] * (1 + 1e-5) + 1e-12);
		}
		REQUIRE(wsum[j] == sum);
	}
}

} // namespace

TEST_CASE("quantize_lowered: each constant MatMul becomes MUL + QUANTIZE + MATMUL_I8", "[quantize]")
{
	std::mt19937 rng(4);
	const int64_t in = 24, hidden = 40, out = 10;
	std::vector<float> w1 = random_floats(in * hidden, rng), w2 = random_floats(hidden * out, rng);
	ModelBuilder b;
	b.input("x", {2, in}).output("y", {2, out});
	b.init("w1", {in, hidden}, w1).init("b1", {hidden}, random_floats(hidden, rng));
	b.init("w2", {hidden, out}, w2);
	b.node("MatMul", {"x", "w1"}, {"h0"}, "d0");
	b.node("Add", {"h0", "b1"}, {"h1"}, "d0_add");
	b.node("Relu", {"h1"}, {"h2"}, "act");
	b.node("MatMul", {"h2", "w2"}, {"y"}, "d1");
	Compiled c = b.compiled();
	std::vector<size_t> ops = quant_candidates(c.lowered);
	REQUIRE(ops.size() == 2);
	size_t weights_before = c.lowered.weights.size();
	std::vector<std::vector<float>> amax{random_floats(in, rng), random_floats(hidden, rng)};
	for (auto &a : amax)
		for (float &v : a)
			v = std::fabs(v) + 0.1f;
	amax[0][3] = 40.0f;	// an outlier channel
	QuantCounts n = quantize_lowered(c.lowered, ops, amax);
	REQUIRE(n.matmuls == 2);
	REQUIRE(n.quantizes == 2);
	REQUIRE(count_ops(c.lowered, KINFER_OP_MATMUL) == 0);
	REQUIRE(count_ops(c.lowered, KINFER_OP_MATMUL_I8) == 2);
	REQUIRE(count_ops(c.lowered, KINFER_OP_QUANTIZE) == 2);
	REQUIRE(count_ops(c.lowered, KINFER_OP_MUL) == 2);
	// The float kernels are gone: 1 / s, W, scale and wsum per MatMul; the bias stays.
	REQUIRE(c.lowered.weights.size() == weights_before - 2 + 8);
	std::vector<const LOp *> seq;
	for (const LOp &op : c.lowered.ops)
		if (op.op == KINFER_OP_MUL || op.op == KINFER_OP_QUANTIZE || op.op == KINFER_OP_MATMUL_I8)
			seq.push_back(&op);
	REQUIRE(seq.size() == 6);
	for (int m = 0; m < 2; m++) {
		const LOp &mul = *seq[3 * m], &q = *seq[3 * m + 1], &mm = *seq[3 * m + 2];
		REQUIRE(mul.op == KINFER_OP_MUL);
		REQUIRE(q.op == KINFER_OP_QUANTIZE);
		REQUIRE(mm.op == KINFER_OP_MATMUL_I8);
		REQUIRE(q.out[0].dtype == DType::i8);
		REQUIRE(mm.in[0].index == q.out[0].index);
		REQUIRE(mm.in.size() == (m == 0 ? 5u : 4u));	// d0 has a bias
		REQUIRE(mm.out[0].dtype == DType::f32);
		check_rewrite(c.lowered, mul, q, mm, F({m ? hidden : in, m ? out : hidden}, m ? w2 : w1), amax[m]);
	}
	Plan p = plan_model(c.lowered);
	REQUIRE(plan_verify(c.lowered, p) == "");
}

TEST_CASE("MatMuls reading one input share its QUANTIZE; activation products stay float", "[quantize]")
{
	std::mt19937 rng(5);
	ModelBuilder b;
	b.input("x", {4, 16}).output("y", {4, 4});
	b.init("wq", {16, 16}, random_floats(256, rng));
	b.init("wk", {16, 16}, random_floats(256, rng));
	b.node("MatMul", {"x", "wq"}, {"q"}, "q");
	b.node("MatMul", {"x", "wk"}, {"k"}, "k");
	b.node("Transpose", {"k"}, {"kt"}, "kt");
	b.node("MatMul", {"q", "kt"}, {"y"}, "scores");
	Compiled c = b.compiled();
	std::vector<size_t> ops = quant_candidates(c.lowered);
	REQUIRE(ops.size() == 2);
	QuantCounts n = quantize_lowered(c.lowered, ops, {std::vector<float>(16, 2.0f), std::vector<float>(16, 2.0f)});
	REQUIRE(n.matmuls == 2);
	REQUIRE(n.quantizes == 1);
	REQUIRE(count_ops(c.lowered, KINFER_OP_MATMUL) == 1);
	REQUIRE(count_ops(c.lowered, KINFER_OP_QUANTIZE) == 1);
	REQUIRE(count_ops(c.lowered, KINFER_OP_MUL) == 1);
}

TEST_CASE("read_calibration: sample directories, one flat sample, and errors naming the file",
	  "[quantize]")
{
	TempDir d;
	std::vector<LPort> in{LPort{"x", DType::f32, {1, 3}, 12}, LPort{"ids/0", DType::i32, {1, 2}, 8}};
	HostTensor x = F({1, 3}, {1, 2, 3});
	HostTensor ids = HostTensor::from_ints(DType::i32, {1, 2}, {4, 5});
	SECTION("two samples in name order") {
		write_sample(d.path / "b", "x.npy", x);
		write_sample(d.path / "b", "ids_0.npy", ids);
		write_sample(d.path / "a", "x.npy", F({1, 3}, {7, 8, 9}));
		write_sample(d.path / "a", "ids_0.npy", ids);
		std::vector<CalibSample> s = read_calibration(d.path.string(), in);
		REQUIRE(s.size() == 2);
		REQUIRE(s[0].inputs[0].as<float>()[0] == 7.0f);
		REQUIRE(s[1].inputs[0].as<float>()[0] == 1.0f);
		REQUIRE(s[1].inputs[1].get_int(1) == 5);
	}
	SECTION("flat files: one sample") {
		write_sample(d.path, "x.npy", x);
		write_sample(d.path, "ids_0.npy", ids);
		REQUIRE(read_calibration(d.path.string(), in).size() == 1);
	}
	SECTION("errors") {
		REQUIRE_THAT(error_of([&] { read_calibration((d.path / "nope").string(), in); }),
			     Catch::Contains("no such directory"));
		REQUIRE_THAT(error_of([&] { read_calibration(d.path.string(), in); }),
			     Catch::Contains("no samples"));
		write_sample(d.path / "s0", "x.npy", x);
		REQUIRE_THAT(error_of([&] { read_calibration(d.path.string(), in); }),
			     Catch::Contains("no ids_0.npy for input 'ids/0'"));
		write_sample(d.path / "s0", "ids_0.npy", F({1, 2}, {4, 5}));
		REQUIRE_THAT(error_of([&] { read_calibration(d.path.string(), in); }),
			     Catch::Contains("ids_0.npy: float32" + shape_str({1, 2}) +
					     " does not match input 'ids/0' int32"));
		write_sample(d.path / "s0", "ids_0.npy", ids);
		write_sample(d.path / "s0", "y.npy", x);
		REQUIRE_THAT(error_of([&] { read_calibration(d.path.string(), in); }),
			     Catch::Contains("y.npy: not an input of the model"));
	}
}

TEST_CASE("calibrate_ranges: max |A[.., k]| of each quantised MatMul over the samples", "[quantize]")
{
	const int64_t in = 24, hidden = 40, out = 10;
	std::mt19937 rng(9);
	std::vector<float> w1 = random_floats(in * hidden, rng, 0.3f), b1 = random_floats(hidden, rng);
	ModelBuilder b;
	b.input("x", {1, in}).output("y", {1, out});
	b.init("w1", {in, hidden}, w1).init("b1", {hidden}, b1);
	b.init("w2", {hidden, out}, random_floats(hidden * out, rng));
	b.node("MatMul", {"x", "w1"}, {"h0"}, "d0");
	b.node("Add", {"h0", "b1"}, {"h1"}, "d0_add");
	b.node("Relu", {"h1"}, {"h2"}, "act");
	b.node("MatMul", {"h2", "w2"}, {"y"}, "d1");
	Compiled c = b.compiled();
	std::vector<size_t> ops = quant_candidates(c.lowered);
	REQUIRE(ops.size() == 2);
	std::vector<CalibSample> samples;
	std::vector<double> want0(in, 0.0), want1(hidden, 0.0);
	for (int s = 0; s < 3; s++) {
		std::vector<float> x = random_floats(in, rng, 2.0f);
		samples.push_back(CalibSample{"s" + std::to_string(s), {F({1, in}, x)}});
		for (int64_t k = 0; k < in; k++)
			want0[k] = std::max(want0[k], std::fabs((double)x[k]));
		for (int64_t j = 0; j < hidden; j++) {
			double h = b1[j];
			for (int64_t i = 0; i < in; i++)
				h += (double)x[i] * w1[i * hidden + j];
			want1[j] = std::max(want1[j], std::max(h, 0.0));
		}
	}
	std::vector<std::vector<float>> amax = calibrate_ranges(c.lowered, c.plan, ops, samples);
	REQUIRE(amax[0].size() == (size_t)in);
	REQUIRE(amax[1].size() == (size_t)hidden);
	for (int64_t k = 0; k < in; k++)
		REQUIRE(amax[0][k] == (float)want0[k]);
	for (int64_t j = 0; j < hidden; j++)
		REQUIRE(amax[1][j] == Approx(want1[j]).epsilon(1e-5).margin(1e-6));
}

namespace {

// Bound of |int8 - exact| of y = a . W per output n for one rewritten
// MatMul: a (float64, exact) is known to within e_in; X = round(a / s /
// x_scale) is off by half a step (x_scale * s[k] / 2 in a's units) and
// the effective weight by half a step of its column.
std::vector<double> product_bound(const Lowered &l, const LOp &mul, const LOp &quant, const LOp &mm,
				  const std::vector<double> &a, const std::vector<double> &e_in,
				  const std::vector<float> &w, int64_t k, int64_t n)
{
	const float *inv = l.weights[mul.in[1].index].t.as<float>();
	const float *scale = l.weights[mm.in[2].index].t.as<float>();
	kinfer_attr_qconvert qa;
	std::memcpy(&qa, quant.attr.data(), sizeof(qa));
	std::vector<double> e(n, 0.0);
	for (int64_t j = 0; j < n; j++)
		for (int64_t i = 0; i < k; i++) {
			REQUIRE(std::fabs(a[i] * inv[i]) <= 127.0 * qa.scale.f * (1 + 1e-6));	// no clipping
			double ea = e_in[i] + qa.scale.f / inv[i] / 2;
			double ew = (double)scale[j] / qa.scale.f * inv[i] / 2;
			e[j] += ea * std::fabs(w[i * n + j]) + std::fabs(a[i]) * ew + ea * ew;
		}
	return e;
}

} // namespace

TEST_CASE("an int8 MLP stays within the quantisation bound of the float64 product", "[quantize]")
{
	std::mt19937 rng(21);
	const int64_t in = 48, hidden = 64, out = 12;
	std::vector<float> w1 = random_floats(in * hidden, rng, 0.2f), b1 = random_floats(hidden, rng, 0.1f);
	std::vector<float> w2 = random_floats(hidden * out, rng, 0.2f);
	ModelBuilder b;
	b.input("x", {1, in}).output("y", {1, out});
	b.init("w1", {in, hidden}, w1).init("b1", {hidden}, b1).init("w2", {hidden, out}, w2);
	b.node("MatMul", {"x", "w1"}, {"h0"}, "d0");
	b.node("Add", {"h0", "b1"}, {"h1"}, "d0_add");
	b.node("Relu", {"h1"}, {"h2"}, "act");
	b.node("MatMul", {"h2", "w2"}, {"y"}, "d1");
	Compiled c = b.compiled();
	std::vector<CalibSample> samples;
	for (int s = 0; s < 4; s++) {
		std::vector<float> x = random_floats(in, rng);
		x[5] *= 30.0f;	// an outlier channel
		samples.push_back(CalibSample{"s", {F({1, in}, x)}});
	}
	std::vector<size_t> ops = quant_candidates(c.lowered);
	quantize_lowered(c.lowered, ops, calibrate_ranges(c.lowered, c.plan, ops, samples));
	c.plan = plan_model(c.lowered);
	plan_check(c.lowered, c.plan);
	std::vector<const LOp *> seq;
	for (const LOp &op : c.lowered.ops)
		if (op.op == KINFER_OP_MUL || op.op == KINFER_OP_QUANTIZE || op.op == KINFER_OP_MATMUL_I8)
			seq.push_back(&op);
	REQUIRE(seq.size() == 6);
	for (const CalibSample &s : samples) {
		std::vector<HostTensor> got = plan_run(c.lowered, c.plan, s.inputs);
		const float *x = s.inputs[0].as<float>();
		std::vector<double> a(x, x + in), h(hidden, 0.0), y(out, 0.0);
		for (int64_t j = 0; j < hidden; j++) {
			h[j] = b1[j];
			for (int64_t i = 0; i < in; i++)
				h[j] += a[i] * w1[i * hidden + j];
			h[j] = std::max(h[j], 0.0);
		}
		for (int64_t j = 0; j < out; j++)
			for (int64_t i = 0; i < hidden; i++)
				y[j] += h[i] * w2[i * out + j];
		std::vector<double> e1 =
			product_bound(c.lowered, *seq[0], *seq[1], *seq[2], a, std::vector<double>(in, 0.0), w1, in, hidden);
		std::vector<double> e2 = product_bound(c.lowered, *seq[3], *seq[4], *seq[5], h, e1, w2, hidden, out);
		double top = 0, err = 0;
		for (int64_t j = 0; j < out; j++) {
			double d = std::fabs(got[0].as<float>()[j] - y[j]);
			REQUIRE(d <= e2[j] + 1e-4 * (1 + std::fabs(y[j])));
			top = std::max(top, std::fabs(y[j]));
			err = std::max(err, d);
		}
		REQUIRE(err > 0);		// it did run on int8
		REQUIRE(err < 0.05 * top);	// and the bound is not vacuous
	}
}

TEST_CASE("a Gemm with transB, beta and a [1, N] bias quantises to its float64 product", "[quantize]")
{
	std::mt19937 rng(33);
	const int64_t m = 3, k = 20, n = 24;	// 24 columns: B in panels, transposed at load
	std::vector<float> wt = random_floats(n * k, rng, 0.3f), bias = random_floats(n, rng);
	ModelBuilder b;
	b.input("x", {m, k}).output("y", {m, n});
	b.init("w", {n, k}, wt).init("c", {1, n}, bias);
	onnx::NodeProto &g = b.node("Gemm", {"x", "w", "c"}, {"y"}, "gemm");
	ModelBuilder::attr_int(g, "transB", 1);
	ModelBuilder::attr_float(g, "beta", 0.5f);
	Compiled c = b.compiled();
	std::vector<float> x = random_floats(m * k, rng);
	std::vector<CalibSample> samples{CalibSample{"s", {F({m, k}, x)}}};
	std::vector<size_t> ops = quant_candidates(c.lowered);
	REQUIRE(ops.size() == 1);
	quantize_lowered(c.lowered, ops, calibrate_ranges(c.lowered, c.plan, ops, samples));
	c.plan = plan_model(c.lowered);
	plan_check(c.lowered, c.plan);
	const LOp *mul = nullptr, *quant = nullptr, *mm = nullptr;
	for (const LOp &op : c.lowered.ops) {
		mul = op.op == KINFER_OP_MUL ? &op : mul;
		quant = op.op == KINFER_OP_QUANTIZE ? &op : quant;
		mm = op.op == KINFER_OP_MATMUL_I8 ? &op : mm;
	}
	REQUIRE((mul && quant && mm));
	REQUIRE(mm->in.size() == 5);
	std::vector<float> w(k * n);	// [K, N]
	for (int64_t i = 0; i < k; i++)
		for (int64_t j = 0; j < n; j++)
			w[i * n + j] = wt[j * k + i];
	std::vector<HostTensor> got = plan_run(c.lowered, c.plan, samples[0].inputs);
	for (int64_t r = 0; r < m; r++) {
		std::vector<double> a(x.begin() + r * k, x.begin() + (r + 1) * k);
		std::vector<double> e = product_bound(c.lowered, *mul, *quant, *mm, a, std::vector<double>(k, 0.0), w, k, n);
		for (int64_t j = 0; j < n; j++) {
			double y = 0.5 * bias[j];
			for (int64_t i = 0; i < k; i++)
				y += a[i] * w[i * n + j];
			REQUIRE(std::fabs(got[0].as<float>()[r * n + j] - y) <= e[j] + 1e-5 * (1 + std::fabs(y)));
		}
	}
}
