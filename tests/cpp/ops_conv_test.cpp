// SPDX-License-Identifier: GPL-2.0
// Convolution and pooling: the CONV, CONV_TRANSPOSE, MAXPOOL, AVERAGEPOOL
// and LPPOOL kernel ops (prepare refusals on hand-built nodes, eval split
// into arbitrary unit ranges, edge values), the ONNX operators lowered to
// them against plain loops written here from the ONNX formulas (in double),
// and the passes that fuse an activation into Conv and fold a
// BatchNormalization into Conv or Gemm.
#include "error.h"
#include "onnx_builders.h"

extern "C" {
#include "kinfer_math.h"
#include "ops/exec.h"
}

#include <catch2/catch.hpp>

#include <ctime>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- reference implementations (plain loops, double accumulators) ----

int64_t numel(const Shape &s)
{
	int64_t n = 1;
	for (int64_t d : s)
		n *= d;
	return n;
}

// Multi-index of flat element `f` of shape `s`.
std::vector<int64_t> unflatten(int64_t f, const Shape &s)
{
	std::vector<int64_t> idx(s.size());
	for (size_t i = s.size(); i-- > 0;) {
		idx[i] = f % s[i];
		f /= s[i];
	}
	return idx;
}

// One window geometry per spatial axis.
struct Win {
	std::vector<int64_t> k, s, d, pb, pe;
	std::vector<int64_t> op;	// ConvTranspose output_padding
	bool ceil = false;
};

int64_t eff(const Win &w, size_t i)
{
	return (w.k[i] - 1) * w.d[i] + 1;
}

// Conv and pools: floor or ceil of (in + pads - eff) / s, plus 1; with
// ceil_mode the last window must start inside the input or left padding.
Shape sliding_out(const Shape &in, const Win &w)
{
	Shape o;
	for (size_t i = 0; i < in.size(); i++) {
		double span = (double)(in[i] + w.pb[i] + w.pe[i] - eff(w, i));
		int64_t n = (int64_t)(w.ceil ? std::ceil(span / (double)w.s[i]) : std::floor(span / (double)w.s[i])) + 1;
		if (w.ceil && (n - 1) * w.s[i] >= in[i] + w.pb[i])
			n--;
		o.push_back(n);
	}
	return o;
}

Shape transpose_out(const Shape &in, const Win &w)
{
	Shape o;
	for (size_t i = 0; i < in.size(); i++)
		o.push_back(w.s[i] * (in[i] - 1) + w.op[i] + eff(w, i) - w.pb[i] - w.pe[i]);
	return o;
}

Shape cat(int64_t a, int64_t b, const Shape &rest)
{
	Shape s{a, b};
	s.insert(s.end(), rest.begin(), rest.end());
	return s;
}

// Y[n, m, o] = B[m] + sum_{c in m's group, t} X[n, c, o * s - pb + t * d] W[m, c', t]
std::vector<float> ref_conv(const std::vector<float> &x, const Shape &xs, const std::vector<float> &w,
			    const Shape &ws, const std::vector<float> &b, int64_t group, const Win &win,
			    Shape &ys)
{
	size_t ns = xs.size() - 2;
	Shape in(xs.begin() + 2, xs.end()), k(ws.begin() + 2, ws.end());
	Shape out = sliding_out(in, win);
	ys = cat(xs[0], ws[0], out);
	int64_t cg = xs[1] / group, mg = ws[0] / group;
	std::vector<float> y(numel(ys));
	for (int64_t f = 0; f < numel(ys); f++) {
		std::vector<int64_t> yi = unflatten(f, ys);
		int64_t n = yi[0], m = yi[1];
		double acc = b.empty() ? 0.0 : b[m];
		for (int64_t cl = 0; cl < cg; cl++) {
			int64_t c = m / mg * cg + cl;
			for (int64_t t = 0; t < numel(k); t++) {
				std::vector<int64_t> ti = unflatten(t, k);
				int64_t xoff = n * xs[1] + c;
				bool inside = true;
				for (size_t i = 0; i < ns; i++) {
					int64_t pos = yi[2 + i] * win.s[i] - win.pb[i] + ti[i] * win.d[i];
					inside = inside && pos >= 0 && pos < in[i];
					xoff = xoff * in[i] + pos;
				}
				if (inside)
					acc += (double)x[xoff] * w[(m * cg + cl) * numel(k) + t];
			}
		}
		y[f] = (float)acc;
	}
	return y;
}

// Scatter form: X[n, c, i] W[c, m', t] lands on o = i * s + t * d - pb.
std::vector<float> ref_conv_transpose(const std::vector<float> &x, const Shape &xs,
				      const std::vector<float> &w, const Shape &ws,
				      const std::vector<float> &b, int64_t group, const Win &win,
				      Shape &ys)
{
	size_t ns = xs.size() - 2;
	Shape in(xs.begin() + 2, xs.end()), k(ws.begin() + 2, ws.end());
	Shape out = transpose_out(in, win);
	int64_t cg = xs[1] / group, mg = ws[1], m = mg * group;
	ys = cat(xs[0], m, out);
	std::vector<double> acc(numel(ys));
	for (int64_t f = 0; f < numel(ys); f++)
		acc[f] = b.empty() ? 0.0 : b[unflatten(f, ys)[1]];
	for (int64_t f = 0; f < numel(xs); f++) {
		std::vector<int64_t> xi = unflatten(f, xs);
		int64_t n = xi[0], c = xi[1];
		for (int64_t ml = 0; ml < mg; ml++)
			for (int64_t t = 0; t < numel(k); t++) {
				std::vector<int64_t> ti = unflatten(t, k);
				int64_t yoff = n * m + c / cg * mg + ml;
				bool inside = true;
				for (size_t i = 0; i < ns; i++) {
					int64_t o = xi[2 + i] * win.s[i] + ti[i] * win.d[i] - win.pb[i];
					inside = inside && o >= 0 && o < out[i];
					yoff = yoff * out[i] + o;
				}
				if (inside)
					acc[yoff] += (double)x[f] * w[(c * mg + ml) * numel(k) + t];
			}
	}
	return std::vector<float>(acc.begin(), acc.end());
}

enum class Pool { max, avg, lp };

struct PoolRef {
	std::vector<float> y;
	std::vector<int64_t> idx;
};

PoolRef ref_pool(Pool kind, const std::vector<float> &x, const Shape &xs, const Win &win, bool include_pad,
		 int p, bool col_major, Shape &ys)
{
	size_t ns = xs.size() - 2;
	Shape in(xs.begin() + 2, xs.end());
	ys = cat(xs[0], xs[1], sliding_out(in, win));
	PoolRef r;
	for (int64_t f = 0; f < numel(ys); f++) {
		std::vector<int64_t> yi = unflatten(f, ys);
		double best = -kInf, sum = 0;
		int64_t count = 0, at = -1;
		bool nan = false;
		for (int64_t t = 0; t < numel(win.k); t++) {
			std::vector<int64_t> ti = unflatten(t, win.k);
			bool inside = true, in_pads = true;
			int64_t off = 0, ioff = 0, istride = 1;
			for (size_t i = 0; i < ns; i++) {
				int64_t pos = yi[2 + i] * win.s[i] - win.pb[i] + ti[i] * win.d[i];
				inside = inside && pos >= 0 && pos < in[i];
				in_pads = in_pads && pos >= -win.pb[i] && pos < in[i] + win.pe[i];
				off = off * in[i] + pos;
			}
			// Column-major: the first spatial axis varies fastest.
			for (size_t i = 0; i < ns; i++) {
				int64_t pos = yi[2 + i] * win.s[i] - win.pb[i] + ti[i] * win.d[i];
				ioff += pos * (col_major ? istride : numel(Shape(in.begin() + i + 1, in.end())));
				istride *= in[i];
			}
			count += include_pad ? in_pads : inside;
			if (!inside)
				continue;
			double v = x[(yi[0] * xs[1] + yi[1]) * numel(in) + off];
			int64_t flat = (yi[0] * xs[1] + yi[1]) * numel(in) + ioff;
			if (std::isnan(v) && !nan) {
				nan = true;
				at = flat;
			} else if (!nan && (v > best || at < 0)) {
				best = v;
				at = flat;
			}
			sum += kind == Pool::lp ? std::pow(std::fabs(v), p) : v;
		}
		if (kind == Pool::max)
			r.y.push_back(nan ? kNaN : (float)best);
		else if (kind == Pool::avg)
			r.y.push_back((float)(sum / (double)count));
		else
			r.y.push_back((float)std::pow(sum, 1.0 / p));
		r.idx.push_back(at);
	}
	return r;
}

// ---- model building ----

std::vector<float> random_vec(size_t n, std::mt19937 &rng, float lo = -1.0f, float hi = 1.0f)
{
	std::uniform_real_distribution<float> u(lo, hi);
	std::vector<float> v(n);
	for (float &f : v)
		f = u(rng);
	return v;
}

std::vector<int64_t> concat(const std::vector<int64_t> &a, const std::vector<int64_t> &b)
{
	std::vector<int64_t> r = a;
	r.insert(r.end(), b.begin(), b.end());
	return r;
}

// |got - want| <= atol + rtol * |want|, NaN where NaN, per element.
void require_close(const std::vector<float> &got, const std::vector<float> &want, double tol = 1e-5)
{
	REQUIRE(got.size() == want.size());
	for (size_t i = 0; i < got.size(); i++) {
		INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
		if (std::isnan(want[i])) {
			REQUIRE(std::isnan(got[i]));
			continue;
		}
		if (std::isinf(want[i])) {
			REQUIRE(got[i] == want[i]);
			continue;
		}
		REQUIRE(std::fabs((double)got[i] - want[i]) <= tol + tol * std::fabs((double)want[i]));
	}
}

void set_window(onnx::NodeProto &n, const Win &w, bool kernel_shape)
{
	if (kernel_shape)
		ModelBuilder::attr_ints(n, "kernel_shape", w.k);
	ModelBuilder::attr_ints(n, "strides", w.s);
	ModelBuilder::attr_ints(n, "dilations", w.d);
	ModelBuilder::attr_ints(n, "pads", concat(w.pb, w.pe));
}

// ---- hand-built kernel nodes ----

kinfer_tensor tensor(uint8_t dtype, const std::vector<uint32_t> &dims, uint32_t off)
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

kinfer_tensor f32(const std::vector<uint32_t> &dims, uint32_t off)
{
	return tensor(KINFER_DTYPE_FLOAT32, dims, off);
}

// A node in an arena of 64 KiB: tensors are placed by byte offset.
struct HandNode {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	std::vector<uint64_t> arena = std::vector<uint64_t>(8192);
	kinfer_exec ex;

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
	float *f(uint32_t off) { return reinterpret_cast<float *>(reinterpret_cast<uint8_t *>(arena.data()) + off); }
};

kinfer_attr_conv conv2d_attr()
{
	kinfer_attr_conv a{};
	a.n_spatial = 2;
	a.group = 1;
	for (int i = 0; i < 2; i++)
		a.strides[i] = a.dilations[i] = 1;
	return a;
}

kinfer_attr_pool pool2d_attr(uint32_t k)
{
	kinfer_attr_pool a{};
	a.n_spatial = 2;
	for (int i = 0; i < 2; i++) {
		a.kernel[i] = k;
		a.strides[i] = a.dilations[i] = 1;
	}
	return a;
}

} // namespace

// ====================================================================
// Kernel prepare: every geometry relation is checked
// ====================================================================

TEST_CASE("conv prepare accepts the formula and refuses everything else", "[conv][prepare]")
{
	// X [1,2,5,5] @0, W [4,2,3,3] @4096, B [4] @8192, Y [1,4,3,3] @12288.
	HandNode h;
	auto x = f32({1, 2, 5, 5}, 0), w = f32({4, 2, 3, 3}, 4096), b = f32({4}, 8192);
	auto y = f32({1, 4, 3, 3}, 12288);
	kinfer_attr_conv a = conv2d_attr();
	REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_CONV, {x, w}, {y}, a) == 0);
	REQUIRE(h.ex.units == 3);	// one unit per output row of 4 channels
	REQUIRE(h.ex.unit_work == 4 * 2 * 9 * 3);

	SECTION("output dims must follow the pads, strides and dilations")
	{
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 3, 4}, 12288)}, a) == -EINVAL);
		kinfer_attr_conv p = a;
		p.pads_end[1] = 1;	// 5 + 1 - 3 + 1 = 4 columns
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 3, 4}, 12288)}, p) == 0);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, p) == -EINVAL);
		kinfer_attr_conv s = a;
		s.strides[0] = 2;	// (5 - 3) / 2 + 1 = 2 rows
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 2, 3}, 12288)}, s) == 0);
		kinfer_attr_conv d = a;
		d.dilations[0] = d.dilations[1] = 2;	// eff 5: 1x1
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 1, 1}, 12288)}, d) == 0);
		d.dilations[0] = 3;	// eff 7 > 5
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 1, 1}, 12288)}, d) == -EINVAL);
	}
	SECTION("zero strides or dilations, and entries past n_spatial")
	{
		for (int k = 0; k < 5; k++) {
			kinfer_attr_conv bad = a;
			if (k == 0)
				bad.strides[1] = 0;
			if (k == 1)
				bad.dilations[0] = 0;
			if (k == 2)
				bad.strides[2] = 1;
			if (k == 3)
				bad.pads_begin[2] = 1;
			if (k == 4)
				bad.output_padding[0] = 1;	// conv has none
			REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, bad) == -EINVAL);
		}
	}
	SECTION("groups must divide channels; W and B must fit")
	{
		kinfer_attr_conv g = a;
		g.group = 2;	// W [4, 1, 3, 3]
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, f32({4, 1, 3, 3}, 4096), b}, {y}, g) == 0);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, g) == -EINVAL);
		g.group = 3;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, f32({3, 1, 3, 3}, 4096)}, {f32({1, 3, 3, 3}, 12288)}, g) ==
			-EINVAL);
		g.group = 0;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, g) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, f32({3}, 8192)}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, f32({1, 4}, 8192)}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, f32({4, 2, 3}, 4096), b}, {y}, a) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 3, 3, 3}, 12288)}, a) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({2, 4, 3, 3}, 12288)}, a) == -EINVAL);
	}
	SECTION("dtypes, ranks, arity, act and reserved")
	{
		REQUIRE(h.prepare(KINFER_OP_CONV, {tensor(KINFER_DTYPE_INT32, {1, 2, 5, 5}, 0), w, b}, {y}, a) ==
			-EINVAL);
		REQUIRE(h.prepare(KINFER_OP_CONV, {x}, {y}, a) == -EINVAL);
		kinfer_attr_conv r = a;
		r.reserved = 1;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == -EINVAL);
		r = a;
		r.n_spatial = 3;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == -EINVAL);
		r.n_spatial = 0;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == -EINVAL);
		r = a;
		r.act = KINFER_OP_RELU;
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == 0);
		r.act_attr.alpha.f = 1.0f;	// relu has no parameter
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == -EINVAL);
		r = a;
		r.act = KINFER_OP_SOFTMAX;	// not a unary op
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, r) == -EINVAL);
	}
	SECTION("the output may not overlap an input")
	{
		REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {f32({1, 4, 3, 3}, 64)}, a) == -EINVAL);
	}
}

TEST_CASE("conv prepare: a column beyond one section is E2BIG", "[conv][prepare]")
{
	// C = 8192 input channels x 33 taps > 256K multiply-adds per column.
	HandNode h;
	kinfer_attr_conv a{};
	a.n_spatial = 1;
	a.group = 1;
	a.strides[0] = a.dilations[0] = 1;
	auto x = f32({1, 128, 33}, 0), w = f32({1, 128, 33}, 16896), y = f32({1, 1, 1}, 33792);
	REQUIRE(h.prepare(KINFER_OP_CONV, {x, w}, {y}, a) == 0);
	HandNode big;
	big.arena.resize(1 << 20);
	auto bx = f32({1, 8192, 33}, 0), bw = f32({1, 8192, 33}, 1081344);
	REQUIRE(big.prepare(KINFER_OP_CONV, {bx, bw}, {f32({1, 1, 1}, 2162688)}, a) == -E2BIG);
}

TEST_CASE("conv_transpose prepare checks its own output formula", "[conv][prepare]")
{
	// X [1,2,3,3], W [2,3,3,3] (M = 3), stride 2: out = 2*2 + 3 = 7.
	HandNode h;
	auto x = f32({1, 2, 3, 3}, 0), w = f32({2, 3, 3, 3}, 4096);
	kinfer_attr_conv a = conv2d_attr();
	a.strides[0] = a.strides[1] = 2;
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 7, 7}, 12288)}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 7, 6}, 12288)}, a) == -EINVAL);
	kinfer_attr_conv p = a;
	p.output_padding[1] = 1;
	p.pads_begin[0] = 1;
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 6, 8}, 12288)}, p) == 0);
	p.pads_begin[0] = 8;	// more padding than output
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 6, 8}, 12288)}, p) == -EINVAL);
	kinfer_attr_conv g = a;
	g.group = 2;	// M = 3 * 2
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 6, 7, 7}, 12288)}, g) == 0);
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 7, 7}, 12288)}, g) == -EINVAL);
	// W's first dim must be C.
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, f32({3, 3, 3, 3}, 4096)}, {f32({1, 3, 7, 7}, 12288)},
			  a) == -EINVAL);
	kinfer_attr_conv t = a;
	t.output_padding[2] = 1;	// past n_spatial
	REQUIRE(h.prepare(KINFER_OP_CONV_TRANSPOSE, {x, w}, {f32({1, 3, 7, 7}, 12288)}, t) == -EINVAL);
}

TEST_CASE("pool prepare: formula, ceil_mode and each op's own fields", "[conv][prepare]")
{
	HandNode h;
	auto x = f32({1, 2, 4, 4}, 0), y = f32({1, 2, 2, 2}, 4096);
	kinfer_attr_pool a = pool2d_attr(3);
	a.strides[0] = a.strides[1] = 2;
	// (4 - 3) / 2 + 1 = 1, ceil: 2 (the second window starts at 2 < 4).
	REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {f32({1, 2, 1, 1}, 4096)}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y}, a) == -EINVAL);
	a.ceil_mode = 1;
	REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y}, a) == 0);
	REQUIRE(h.prepare(KINFER_OP_AVERAGEPOOL, {x}, {y}, a) == 0);
	a.ceil_mode = 2;
	REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y}, a) == -EINVAL);

	SECTION("a window of more taps than one section is E2BIG")
	{
		HandNode big;
		big.arena.resize(1 << 19);	// 4 MiB
		kinfer_attr_pool w{};
		w.n_spatial = 1;
		w.kernel[0] = KINFER_FPU_CHUNK + 1;
		w.strides[0] = w.dilations[0] = 1;
		auto bx = f32({1, 1, KINFER_FPU_CHUNK + 1}, 0);
		REQUIRE(big.prepare(KINFER_OP_MAXPOOL, {bx}, {f32({1, 1, 1}, 2u << 20)}, w) == -E2BIG);
		w.kernel[0] = KINFER_FPU_CHUNK;
		REQUIRE(big.prepare(KINFER_OP_MAXPOOL, {bx}, {f32({1, 1, 2}, 2u << 20)}, w) == 0);
		w.p = 1;	// LPPOOL: 8 per tap
		REQUIRE(big.prepare(KINFER_OP_LPPOOL, {bx}, {f32({1, 1, 2}, 2u << 20)}, w) == -E2BIG);
	}
	SECTION("ceil_mode never starts a window in the end padding")
	{
		// x 2x2, k 3, pads 1, stride 3: ceil((2 + 2 - 3) / 3) + 1 = 2, but
		// window 2 would start at 3 - 1 = 2 >= 2: 1.
		kinfer_attr_pool c = pool2d_attr(3);
		c.strides[0] = c.strides[1] = 3;
		c.pads_begin[0] = c.pads_begin[1] = c.pads_end[0] = c.pads_end[1] = 1;
		c.ceil_mode = 1;
		auto x2 = f32({1, 1, 2, 2}, 0);
		REQUIRE(h.prepare(KINFER_OP_AVERAGEPOOL, {x2}, {f32({1, 1, 1, 1}, 4096)}, c) == 0);
		REQUIRE(h.prepare(KINFER_OP_AVERAGEPOOL, {x2}, {f32({1, 1, 2, 2}, 4096)}, c) == -EINVAL);
	}
	SECTION("fields of other ops must be 0")
	{
		kinfer_attr_pool b = pool2d_attr(2);
		auto y3 = f32({1, 2, 3, 3}, 4096);
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, b) == 0);
		b.count_include_pad = 1;
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, b) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_AVERAGEPOOL, {x}, {y3}, b) == 0);
		b.count_include_pad = 0;
		b.p = 2;
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, b) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_LPPOOL, {x}, {y3}, b) == 0);
		b.p = 0;
		REQUIRE(h.prepare(KINFER_OP_LPPOOL, {x}, {y3}, b) == -EINVAL);
		b.p = KINFER_LPPOOL_MAX_P + 1;
		REQUIRE(h.prepare(KINFER_OP_LPPOOL, {x}, {y3}, b) == -EINVAL);
		b.p = 0;
		b.storage_order = 1;	// only with Indices
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, b) == -EINVAL);
		auto ind = tensor(KINFER_DTYPE_INT64, {1, 2, 3, 3}, 8192);
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3, ind}, b) == 0);
		REQUIRE(h.prepare(KINFER_OP_AVERAGEPOOL, {x}, {y3, ind}, pool2d_attr(2)) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3, tensor(KINFER_DTYPE_INT32, {1, 2, 3, 3}, 8192)},
				  pool2d_attr(2)) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3, tensor(KINFER_DTYPE_INT64, {1, 2, 3, 2}, 8192)},
				  pool2d_attr(2)) == -EINVAL);
		kinfer_attr_pool k0 = pool2d_attr(2);
		k0.kernel[1] = 0;
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, k0) == -EINVAL);
		kinfer_attr_pool k3 = pool2d_attr(2);
		k3.kernel[2] = 1;	// past n_spatial
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {y3}, k3) == -EINVAL);
		REQUIRE(h.prepare(KINFER_OP_MAXPOOL, {x}, {f32({1, 3, 3, 3}, 4096)}, pool2d_attr(2)) == -EINVAL);
	}
}

// ====================================================================
// Eval: any split of the units gives the same bytes
// ====================================================================

TEST_CASE("eval over arbitrary unit ranges equals one pass", "[conv][eval]")
{
	std::mt19937 rng(7);
	// X [1,3,9,10] @0 (1080 B), W [4,3,3,3] @2048, B [4] @4096,
	// Y [1,4,5,4] @8192 (320 B, stride 2 rows/cols... see attr).
	HandNode h;
	auto x = f32({1, 3, 9, 10}, 0), w = f32({4, 3, 3, 3}, 2048), b = f32({4}, 4096);
	kinfer_attr_conv a = conv2d_attr();
	a.strides[0] = 2;
	a.strides[1] = 3;
	a.pads_begin[0] = 1;
	a.pads_end[1] = 2;
	a.act = KINFER_OP_TANH;
	// rows: (9 + 1 - 3) / 2 + 1 = 4; cols: (10 + 2 - 3) / 3 + 1 = 4
	auto y = f32({1, 4, 4, 4}, 8192);
	std::vector<float> xv = random_vec(270, rng), wv = random_vec(108, rng), bv = random_vec(4, rng);
	std::memcpy(h.f(0), xv.data(), 270 * 4);
	std::memcpy(h.f(2048), wv.data(), 108 * 4);
	std::memcpy(h.f(4096), bv.data(), 16);
	REQUIRE(h.prepare(KINFER_OP_CONV, {x, w, b}, {y}, a) == 0);
	REQUIRE(h.ex.desc->eval(&h.ex, 0, h.ex.units) == 0);
	std::vector<float> whole(h.f(8192), h.f(8192) + 64);
	std::memset(h.f(8192), 0xff, 256);
	for (uint64_t u = 0; u < h.ex.units;) {
		uint64_t e = std::min<uint64_t>(h.ex.units, u + 1 + rng() % 3);
		REQUIRE(h.ex.desc->eval(&h.ex, u, e) == 0);
		u = e;
	}
	REQUIRE(std::memcmp(whole.data(), h.f(8192), 256) == 0);
	// And it is the convolution, then tanh.
	Win win{{3, 3}, {2, 3}, {1, 1}, {1, 0}, {0, 2}, {0, 0}};
	Shape ys;
	std::vector<float> want = ref_conv(xv, {1, 3, 9, 10}, wv, {4, 3, 3, 3}, bv, 1, win, ys);
	REQUIRE(ys == Shape{1, 4, 4, 4});
	for (float &v : want)
		v = std::tanh(v);
	require_close(whole, want);
}

// ====================================================================
// ONNX operators against the plain loops
// ====================================================================

TEST_CASE("Conv: random 1-D, 2-D and 3-D geometries against the plain loop", "[conv][exec]")
{
	std::mt19937 rng(1234);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	int done = 0;
	for (int trial = 0; done < 120 && trial < 2000; trial++) {
		size_t ns = (size_t)pick(1, 3);
		int64_t group = pick(1, 3), cg = pick(1, 3), mg = pick(1, 3), n = pick(1, 2);
		Win win;
		Shape in;
		for (size_t i = 0; i < ns; i++) {
			in.push_back(pick(1, ns == 3 ? 5 : 9));
			win.k.push_back(pick(1, 3));
			win.s.push_back(pick(1, 3));
			win.d.push_back(pick(1, 2));
			win.pb.push_back(pick(0, 2));
			win.pe.push_back(pick(0, 2));
		}
		bool fits = true;
		for (size_t i = 0; i < ns; i++)
			fits = fits && in[i] + win.pb[i] + win.pe[i] >= eff(win, i);
		if (!fits)
			continue;
		done++;
		Shape xs = cat(n, group * cg, in), ws = cat(group * mg, cg, win.k);
		std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
		bool bias = rng() % 2, w_input = rng() % 3 == 0;
		std::vector<float> b = bias ? random_vec(group * mg, rng) : std::vector<float>{};
		Shape ys;
		std::vector<float> want = ref_conv(x, xs, w, ws, b, group, win, ys);

		ModelBuilder mb(rng() % 2 ? 11 : 22);
		mb.input("x", xs).output("y", ys);
		std::vector<HostTensor> inputs{F(xs, x)};
		if (w_input) {
			mb.input("w", ws);
			inputs.push_back(F(ws, w));
		} else {
			mb.init("w", ws, w);
		}
		if (bias)
			mb.init("b", {group * mg}, b);
		auto &node = bias ? mb.node("Conv", {"x", "w", "b"}, {"y"}, "conv") : mb.node("Conv", {"x", "w"}, {"y"}, "conv");
		set_window(node, win, rng() % 2);
		ModelBuilder::attr_int(node, "group", group);
		INFO("trial " << trial << " x " << shape_str(xs) << " w " << shape_str(ws) << " group " << group);
		require_close(run_model(mb, inputs)[0].floats(), want);
	}
	REQUIRE(done == 120);
}

TEST_CASE("Conv: long rows, channel tiles and wide kernels against the plain loop", "[conv][exec]")
{
	// Rows long enough for whole register tiles (8 columns) inside and at
	// both borders, 4-channel tiles with leftovers, strides 1 and 2, and
	// kernel rows wider than the border tile handles (13 > 12).
	std::mt19937 rng(2024);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	for (int trial = 0; trial < 40; trial++) {
		bool wide = trial % 8 == 7;
		int64_t w = pick(17, 45), h = pick(1, 4), group = pick(1, 2), cg = pick(1, 5), mg = pick(1, 9);
		Win win{{pick(1, 3), wide ? 13 : pick(1, 5)}, {1, pick(1, 2)}, {1, pick(1, 2)},
			{pick(0, 1), pick(0, 3)}, {pick(0, 1), pick(0, 3)}, {0, 0}};
		if (h + win.pb[0] + win.pe[0] < eff(win, 0) || w + win.pb[1] + win.pe[1] < eff(win, 1))
			continue;
		Shape xs{1, group * cg, h, w}, ws{group * mg, cg, win.k[0], win.k[1]}, ys;
		std::vector<float> x = random_vec(numel(xs), rng), wv = random_vec(numel(ws), rng);
		std::vector<float> b = random_vec(group * mg, rng);
		std::vector<float> want = ref_conv(x, xs, wv, ws, b, group, win, ys);
		ModelBuilder mb;
		mb.input("x", xs).output("y", ys).init("w", ws, wv).init("b", {group * mg}, b);
		auto &node = mb.node("Conv", {"x", "w", "b"}, {"y"});
		set_window(node, win, false);
		ModelBuilder::attr_int(node, "group", group);
		INFO("trial " << trial << " x " << shape_str(xs) << " w " << shape_str(ws));
		require_close(run_model(mb, {F(xs, x)})[0].floats(), want);
	}
}

TEST_CASE("Conv auto_pad: SAME_UPPER, SAME_LOWER and VALID", "[conv][exec]")
{
	std::mt19937 rng(99);
	for (const char *ap : {"SAME_UPPER", "SAME_LOWER", "VALID"})
		for (int64_t stride : {1, 2, 3})
			for (int64_t in : {4, 5, 7}) {
				Win win{{3, 2}, {stride, stride}, {1, 2}, {0, 0}, {0, 0}, {0, 0}};
				if (std::string(ap) != "VALID")
					for (size_t i = 0; i < 2; i++) {
						// out = ceil(in / s); the extra pad is at the end for UPPER.
						int64_t out = (in + stride - 1) / stride;
						int64_t total = std::max<int64_t>(0, (out - 1) * stride + eff(win, i) - in);
						win.pb[i] = std::string(ap) == "SAME_UPPER" ? total / 2 : total - total / 2;
						win.pe[i] = total - win.pb[i];
					}
				Shape xs{1, 2, in, in}, ws{3, 2, 3, 2}, ys;
				std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
				std::vector<float> want = ref_conv(x, xs, w, ws, {}, 1, win, ys);
				ModelBuilder mb;
				mb.input("x", xs).output("y", ys).init("w", ws, w);
				auto &node = mb.node("Conv", {"x", "w"}, {"y"});
				ModelBuilder::attr_string(node, "auto_pad", ap);
				ModelBuilder::attr_ints(node, "strides", win.s);
				ModelBuilder::attr_ints(node, "dilations", win.d);
				INFO(ap << " stride " << stride << " in " << in);
				require_close(run_model(mb, {F(xs, x)})[0].floats(), want);
			}
}

TEST_CASE("Conv: a depthwise layer of a CNN and a wide 1x1 layer", "[conv][exec]")
{
	std::mt19937 rng(5);
	// Depthwise 3x3 over 32 channels of 28x28, stride 2, pads 1 (MobileNet).
	Win dw{{3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {0, 0}};
	Shape xs{1, 32, 28, 28}, ws{32, 1, 3, 3}, ys;
	std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng), b = random_vec(32, rng);
	std::vector<float> want = ref_conv(x, xs, w, ws, b, 32, dw, ys);
	ModelBuilder mb;
	mb.input("x", xs).output("y", ys).init("w", ws, w).init("b", {32}, b);
	auto &node = mb.node("Conv", {"x", "w", "b"}, {"y"});
	set_window(node, dw, true);
	ModelBuilder::attr_int(node, "group", 32);
	require_close(run_model(mb, {F(xs, x)})[0].floats(), want);

	// 1x1, 256 -> 64 channels on 7x7: a column is 256 multiply-adds.
	Win pw{{1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
	Shape xs2{1, 256, 7, 7}, ws2{64, 256, 1, 1}, ys2;
	std::vector<float> x2 = random_vec(numel(xs2), rng), w2 = random_vec(numel(ws2), rng, -0.1f, 0.1f);
	std::vector<float> want2 = ref_conv(x2, xs2, w2, ws2, {}, 1, pw, ys2);
	ModelBuilder m2;
	m2.input("x", xs2).output("y", ys2).init("w", ws2, w2);
	m2.node("Conv", {"x", "w"}, {"y"});
	require_close(run_model(m2, {F(xs2, x2)})[0].floats(), want2, 1e-4);
}

TEST_CASE("ConvTranspose: random geometries against the scatter loop", "[conv][exec]")
{
	std::mt19937 rng(4321);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	int done = 0;
	for (int trial = 0; done < 100 && trial < 2000; trial++) {
		size_t ns = (size_t)pick(1, 3);
		int64_t group = pick(1, 2), cg = pick(1, 3), mg = pick(1, 3), n = pick(1, 2);
		Win win;
		Shape in;
		for (size_t i = 0; i < ns; i++) {
			in.push_back(pick(1, ns == 3 ? 4 : 6));
			win.k.push_back(pick(1, 4));
			win.s.push_back(pick(1, 3));
			win.d.push_back(pick(1, 2));
			win.pb.push_back(pick(0, 2));
			win.pe.push_back(pick(0, 2));
			win.op.push_back(pick(0, (int)std::max(win.s[i], win.d[i]) - 1));
		}
		Shape out = transpose_out(in, win);
		bool fits = true;
		for (int64_t o : out)
			fits = fits && o >= 1;
		if (!fits)
			continue;
		done++;
		Shape xs = cat(n, group * cg, in), ws = cat(group * cg, mg, win.k);
		std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
		bool bias = rng() % 2;
		std::vector<float> b = bias ? random_vec(group * mg, rng) : std::vector<float>{};
		Shape ys;
		std::vector<float> want = ref_conv_transpose(x, xs, w, ws, b, group, win, ys);
		ModelBuilder mb;
		mb.input("x", xs).output("y", ys).init("w", ws, w);
		if (bias)
			mb.init("b", {group * mg}, b);
		auto &node = bias ? mb.node("ConvTranspose", {"x", "w", "b"}, {"y"})
				  : mb.node("ConvTranspose", {"x", "w"}, {"y"});
		set_window(node, win, rng() % 2);
		ModelBuilder::attr_ints(node, "output_padding", win.op);
		ModelBuilder::attr_int(node, "group", group);
		INFO("trial " << trial << " x " << shape_str(xs) << " w " << shape_str(ws));
		require_close(run_model(mb, {F(xs, x)})[0].floats(), want);
	}
	REQUIRE(done == 100);
}

TEST_CASE("ConvTranspose output_shape and auto_pad give the spec's pads", "[conv][exec]")
{
	std::mt19937 rng(17);
	Shape xs{1, 1, 3, 3}, ws{1, 2, 3, 3};
	std::vector<float> x = random_vec(9, rng), w = random_vec(18, rng);
	struct Case {
		const char *auto_pad;
		std::vector<int64_t> output_shape;
		Win win;	// the pads the spec derives
	} cases[] = {
		// full = 2 * 2 + 3 = 7; output 6: total 1, odd one at the start.
		{"NOTSET", {6, 6}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, {0, 0}}},
		// SAME_UPPER: output 3 * 2 = 6, odd one at the end.
		{"SAME_UPPER", {}, {{3, 3}, {2, 2}, {1, 1}, {0, 0}, {1, 1}, {0, 0}}},
		{"SAME_LOWER", {}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, {0, 0}}},
		// output 9 > full 7: zero-extended at the end.
		{"NOTSET", {9, 8}, {{3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {2, 1}}},
		{"VALID", {}, {{3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {0, 0}}},
	};
	for (const Case &c : cases) {
		Shape ys;
		std::vector<float> want = ref_conv_transpose(x, xs, w, ws, {}, 1, c.win, ys);
		ModelBuilder mb;
		mb.input("x", xs).output("y", ys).init("w", ws, w);
		auto &node = mb.node("ConvTranspose", {"x", "w"}, {"y"});
		ModelBuilder::attr_ints(node, "strides", {2, 2});
		ModelBuilder::attr_string(node, "auto_pad", c.auto_pad);
		if (!c.output_shape.empty())
			ModelBuilder::attr_ints(node, "output_shape", c.output_shape);
		INFO(c.auto_pad << " " << shape_str(c.output_shape));
		require_close(run_model(mb, {F(xs, x)})[0].floats(), want);
	}
}

TEST_CASE("MaxPool, AveragePool, LpPool: random geometries against the plain loop", "[conv][exec]")
{
	std::mt19937 rng(777);
	auto pick = [&](int lo, int hi) { return (int64_t)(lo + (int)(rng() % (unsigned)(hi - lo + 1))); };
	int done = 0;
	for (int trial = 0; done < 240 && trial < 4000; trial++) {
		size_t ns = (size_t)pick(1, 3);
		Pool kind = (Pool)(trial % 3);
		Win win;
		Shape in;
		for (size_t i = 0; i < ns; i++) {
			in.push_back(pick(1, ns == 3 ? 5 : 8));
			win.k.push_back(pick(1, 3));
			win.s.push_back(pick(1, 3));
			win.d.push_back(pick(1, 2));
			win.pb.push_back(pick(0, 2));
			win.pe.push_back(pick(0, 2));
		}
		win.ceil = rng() % 2;
		bool fits = true;
		for (size_t i = 0; i < ns; i++)
			fits = fits && in[i] + win.pb[i] + win.pe[i] >= eff(win, i);
		if (!fits)
			continue;
		done++;
		bool include_pad = rng() % 2, indices = kind == Pool::max && rng() % 2, col_major = rng() % 2;
		int p = (int)pick(1, 4);
		Shape xs = cat(pick(1, 2), pick(1, 3), in), ys;
		std::vector<float> x = random_vec(numel(xs), rng);
		PoolRef want = ref_pool(kind, x, xs, win, include_pad, p, col_major, ys);
		const char *op = kind == Pool::max ? "MaxPool" : kind == Pool::avg ? "AveragePool" : "LpPool";
		ModelBuilder mb(22);
		mb.input("x", xs).output("y", ys);
		if (indices) {
			mb.output("i", ys);
			mb.model().mutable_graph()->mutable_output(1)->mutable_type()->mutable_tensor_type()->set_elem_type(
				onnx::TensorProto::INT64);
		}
		auto &node = indices ? mb.node(op, {"x"}, {"y", "i"}) : mb.node(op, {"x"}, {"y"});
		set_window(node, win, true);
		ModelBuilder::attr_int(node, "ceil_mode", win.ceil);
		if (kind == Pool::avg)
			ModelBuilder::attr_int(node, "count_include_pad", include_pad);
		if (kind == Pool::lp)
			ModelBuilder::attr_int(node, "p", p);
		if (indices)
			ModelBuilder::attr_int(node, "storage_order", col_major);
		INFO("trial " << trial << " " << op << " x " << shape_str(xs) << " ceil " << win.ceil);
		std::vector<HostTensor> got = run_model(mb, {F(xs, x)});
		require_close(got[0].floats(), want.y);
		if (indices)
			REQUIRE(got[1].ints() == want.idx);
	}
	REQUIRE(done == 240);
}

TEST_CASE("pools by hand: NaN, infinities, -0 and empty windows", "[conv][exec]")
{
	SECTION("MaxPool propagates NaN and keeps the first largest index")
	{
		ModelBuilder mb(12);
		mb.input("x", {1, 1, 6}).output("y", {1, 1, 3}).output("i", {1, 1, 3});
		mb.model().mutable_graph()->mutable_output(1)->mutable_type()->mutable_tensor_type()->set_elem_type(
			onnx::TensorProto::INT64);
		auto &node = mb.node("MaxPool", {"x"}, {"y", "i"});
		ModelBuilder::attr_ints(node, "kernel_shape", {2});
		ModelBuilder::attr_ints(node, "strides", {2});
		std::vector<HostTensor> y = run_model(mb, {F({1, 1, 6}, {1, kNaN, -kInf, -kInf, 5, 5})});
		std::vector<float> v = y[0].floats();
		REQUIRE(std::isnan(v[0]));
		REQUIRE(v[1] == -kInf);
		REQUIRE(v[2] == 5.0f);
		REQUIRE(y[1].ints() == std::vector<int64_t>{1, 2, 4});
	}
	SECTION("a dilated window with no tap in the input")
	{
		// in 1, k 2, d 3, pads 2/2: output 0's taps at -2 and 1, both outside.
		for (const char *op : {"MaxPool", "AveragePool", "LpPool"}) {
			ModelBuilder mb(19);
			mb.input("x", {1, 1, 1}).output("y", {1, 1, 2});
			auto &node = mb.node(op, {"x"}, {"y"});
			ModelBuilder::attr_ints(node, "kernel_shape", {2});
			ModelBuilder::attr_ints(node, "dilations", {3});
			ModelBuilder::attr_ints(node, "pads", {2, 2});
			std::vector<float> v = run_model(mb, {F({1, 1, 1}, {-4})})[0].floats();
			INFO(op);
			// Window 1's taps at -1 and 2: also none inside.
			if (std::string(op) == "MaxPool")
				REQUIRE((v[0] == -kInf && v[1] == -kInf));
			else if (std::string(op) == "AveragePool")
				REQUIRE((std::isnan(v[0]) && std::isnan(v[1])));	// 0 / 0
			else
				REQUIRE((v[0] == 0.0f && v[1] == 0.0f));
		}
	}
	SECTION("AveragePool and LpPool of infinities and -0")
	{
		ModelBuilder mb(11);
		mb.input("x", {1, 1, 4}).output("a", {1, 1, 2}).output("l", {1, 1, 2});
		for (const char *op : {"AveragePool", "LpPool"}) {
			auto &node = mb.node(op, {"x"}, {op[0] == 'A' ? "a" : "l"});
			ModelBuilder::attr_ints(node, "kernel_shape", {2});
			ModelBuilder::attr_ints(node, "strides", {2});
		}
		std::vector<HostTensor> y = run_model(mb, {F({1, 1, 4}, {kInf, 1, -0.0f, -0.0f})});
		REQUIRE(y[0].floats()[0] == kInf);
		REQUIRE(y[0].floats()[1] == 0.0f);
		REQUIRE(y[1].floats()[0] == kInf);	// sqrt(inf + 1)
		REQUIRE(y[1].floats()[1] == 0.0f);
	}
}

TEST_CASE("kinfer_rootf against long double powl", "[conv][math]")
{
	std::mt19937 rng(3);
	std::uniform_int_distribution<uint32_t> bits(1, 0x7f7fffffU);	// positive finite floats
	int64_t worst = 0;
	for (unsigned p = 1; p <= KINFER_LPPOOL_MAX_P; p++)
		for (int i = 0; i < 20000; i++) {
			uint32_t b = i < 4 ? std::vector<uint32_t>{1, 0x7f7fffff, 0x3f800000, 0x00800000}[i] : bits(rng);
			float s;
			std::memcpy(&s, &b, 4);
			float want = (float)std::pow((long double)s, 1.0L / p);
			float got = kinfer_rootf(s, p);
			int32_t gi, wi;
			std::memcpy(&gi, &got, 4);
			std::memcpy(&wi, &want, 4);
			worst = std::max<int64_t>(worst, std::abs((int64_t)gi - wi));
		}
	REQUIRE(worst <= 1);
	REQUIRE(kinfer_rootf(0.0f, 3) == 0.0f);
	REQUIRE(kinfer_rootf(kInf, 3) == kInf);
	REQUIRE(std::isnan(kinfer_rootf(kNaN, 3)));
	REQUIRE(kinfer_rootf(8.0f, 3) == 2.0f);
	REQUIRE(kinfer_rootf(65536.0f, 16) == 2.0f);
}

// ====================================================================
// Opsets and loader errors
// ====================================================================

TEST_CASE("pool attributes follow the opset that introduced them", "[conv][infer]")
{
	auto model = [](int64_t opset, const char *op, const char *attr) {
		ModelBuilder mb(opset);
		mb.input("x", {1, 1, 4, 4}).output("y", {1, 1, 3, 3});
		auto &node = mb.node(op, {"x"}, {"y"}, "pool");
		ModelBuilder::attr_ints(node, "kernel_shape", {2, 2});
		if (std::string(attr) == "dilations")
			ModelBuilder::attr_ints(node, attr, {1, 1});
		else if (*attr)
			ModelBuilder::attr_int(node, attr, 0);
		return mb;
	};
	REQUIRE_THROWS_WITH(model(9, "MaxPool", "ceil_mode").compiled(),
			    Contains("node 0 'pool' (MaxPool)") && Contains("'ceil_mode' is not part of MaxPool before opset 10"));
	REQUIRE_NOTHROW(model(10, "MaxPool", "ceil_mode").compiled());
	REQUIRE_THROWS_WITH(model(7, "MaxPool", "storage_order").compiled(), Contains("before opset 8"));
	REQUIRE_THROWS_WITH(model(18, "AveragePool", "dilations").compiled(), Contains("before opset 19"));
	REQUIRE_NOTHROW(model(19, "AveragePool", "dilations").compiled());
	REQUIRE_THROWS_WITH(model(17, "LpPool", "dilations").compiled(), Contains("before opset 18"));
	REQUIRE_NOTHROW(model(7, "AveragePool", "count_include_pad").compiled());
	REQUIRE_NOTHROW(model(7, "LpPool", "").compiled());
	for (int64_t opset : {7, 8, 10, 11, 12, 13, 17, 18, 19, 21, 22, 28})
		for (const char *op : {"MaxPool", "AveragePool", "LpPool"}) {
			INFO(op << " opset " << opset);
			REQUIRE_NOTHROW(model(opset, op, "").compiled());
		}
}

TEST_CASE("Conv and pool errors name the node and the cause", "[conv][infer]")
{
	auto conv = [](const Shape &xs, const Shape &ws, std::function<void(onnx::NodeProto &)> attrs) {
		ModelBuilder mb;
		mb.input("x", xs).output("y", {1});
		mb.init("w", ws, std::vector<float>(numel(ws), 0.5f));
		attrs(mb.node("Conv", {"x", "w"}, {"y"}, "c1"));
		return mb;
	};
	auto none = [](onnx::NodeProto &) {};
	REQUIRE_THROWS_WITH(conv({1, 3, 5, 5}, {4, 2, 3, 3}, none).compiled(),
			    Contains("node 0 'c1' (Conv)") && Contains("constant 'w' has shape [4,2,3,3]") &&
				    Contains("[M, 3, k...]"));
	REQUIRE_THROWS_WITH(conv({1, 4, 5, 5}, {4, 2, 3, 3},
				 [](onnx::NodeProto &n) { ModelBuilder::attr_int(n, "group", 3); })
				    .compiled(),
			    Contains("'c1' (Conv): group=3 does not divide the 4 input channels"));
	REQUIRE_THROWS_WITH(conv({1, 3, 2, 5}, {4, 3, 3, 3}, none).compiled(),
			    Contains("the kernel spans 3 elements along spatial axis 0, more than the padded input (2)"));
	REQUIRE_THROWS_WITH(conv({1, 3, 5, 5}, {4, 3, 3, 3},
				 [](onnx::NodeProto &n) { ModelBuilder::attr_ints(n, "strides", {1, 1, 1}); })
				    .compiled(),
			    Contains("attribute 'strides' has 3 values; the input has 2 spatial axes"));
	REQUIRE_THROWS_WITH(conv({1, 3, 5, 5}, {4, 3, 3, 3},
				 [](onnx::NodeProto &n) { ModelBuilder::attr_ints(n, "pads", {0, 0, -1, 0}); })
				    .compiled(),
			    Contains("attribute 'pads' value -1 is out of range"));
	REQUIRE_THROWS_WITH(conv({1, 3, 5, 5}, {4, 3, 3, 3},
				 [](onnx::NodeProto &n) { ModelBuilder::attr_ints(n, "kernel_shape", {2, 2}); })
				    .compiled(),
			    Contains("kernel_shape [2,2] differs from W's spatial dims [3,3]"));
	REQUIRE_THROWS_WITH(conv({1, 3, 5, 5}, {4, 3, 3, 3},
				 [](onnx::NodeProto &n) { ModelBuilder::attr_string(n, "auto_pad", "SAME"); })
				    .compiled(),
			    Contains("auto_pad=SAME is not supported"));
	REQUIRE_THROWS_WITH(conv({1, 3, 2, 2, 2, 2}, {4, 3, 1, 1, 1, 1}, none).compiled(),
			    Contains("1 to 3 spatial axes"));
	REQUIRE_THROWS_WITH(conv({1, 8192, 40}, {1, 8192, 33}, none).compiled(),
			    Contains("one output element takes 270336 multiply-adds"));

	ModelBuilder mp;
	mp.input("x", {1, 1, 4, 4}).output("y", {1});
	auto &n = mp.node("LpPool", {"x"}, {"y"}, "lp");
	ModelBuilder::attr_ints(n, "kernel_shape", {2, 2});
	ModelBuilder::attr_int(n, "p", 17);
	REQUIRE_THROWS_WITH(mp.compiled(), Contains("'lp' (LpPool): p=17 is not supported (1..16)"));

	ModelBuilder mk;
	mk.input("x", {1, 1, 4, 4}).output("y", {1});
	mk.node("MaxPool", {"x"}, {"y"}, "mp");
	REQUIRE_THROWS_WITH(mk.compiled(), Contains("'mp' (MaxPool): attribute 'kernel_shape' is required"));
}

// ====================================================================
// Passes
// ====================================================================

TEST_CASE("fuse_activation: Conv + LeakyRelu becomes one CONV op", "[conv][passes]")
{
	std::mt19937 rng(11);
	Shape xs{1, 2, 6, 6}, ws{3, 2, 3, 3}, ys;
	Win win{{3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}};
	std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng), b = random_vec(3, rng);
	std::vector<float> want = ref_conv(x, xs, w, ws, b, 1, win, ys);
	for (float &v : want)
		v = v < 0 ? 0.2f * v : v;
	ModelBuilder mb;
	mb.input("x", xs).output("y", ys).init("w", ws, w).init("b", {3}, b);
	set_window(mb.node("Conv", {"x", "w", "b"}, {"h"}, "conv"), win, true);
	ModelBuilder::attr_float(mb.node("LeakyRelu", {"h"}, {"y"}, "act"), "alpha", 0.2f);

	Graph g = mb.graph();
	int live = 0;
	for (const Node &n : g.nodes)
		if (!n.dead) {
			live++;
			REQUIRE(n.domain == "kinfer");
			REQUIRE(n.op == "Conv");
			REQUIRE(n.fused == std::vector<std::string>{"act"});
		}
	REQUIRE(live == 1);
	Lowered l = mb.lowered();
	REQUIRE(l.ops.size() == 3);	// INPUT, CONV, OUTPUT
	REQUIRE(l.ops[1].op == KINFER_OP_CONV);
	require_close(run_model(mb, {F(xs, x)})[0].floats(), want);

	// A file may not use the passes' attributes.
	ModelBuilder bad;
	bad.input("x", xs).output("y", ys).init("w", ws, w);
	ModelBuilder::attr_int(bad.node("Conv", {"x", "w"}, {"y"}, "c"), "act", KINFER_OP_RELU);
	REQUIRE_THROWS_WITH(bad.compiled(), Contains("attribute 'act' is not supported"));
}

TEST_CASE("fuse_activation: ConvTranspose + Sigmoid, and not when the output is shared", "[conv][passes]")
{
	std::mt19937 rng(12);
	Shape xs{1, 2, 3, 3}, ws{2, 1, 2, 2}, ys;
	Win win{{2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
	std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
	std::vector<float> want = ref_conv_transpose(x, xs, w, ws, {}, 1, win, ys);
	for (float &v : want)
		v = 1.0f / (1.0f + std::exp(-v));
	ModelBuilder mb;
	mb.input("x", xs).output("y", ys).init("w", ws, w);
	ModelBuilder::attr_ints(mb.node("ConvTranspose", {"x", "w"}, {"h"}), "strides", {2, 2});
	mb.node("Sigmoid", {"h"}, {"y"});
	REQUIRE(mb.lowered().ops.size() == 3);
	require_close(run_model(mb, {F(xs, x)})[0].floats(), want);

	ModelBuilder shared = mb;
	shared.output("h", ys);
	Lowered l = shared.lowered();
	REQUIRE(l.ops.size() == 5);	// INPUT, CONV_TRANSPOSE, SIGMOID, 2 x OUTPUT
}

namespace {

// BatchNormalization per channel, by the formula, in double.
std::vector<float> ref_bn(const std::vector<float> &y, int64_t ch, int64_t inner, const std::vector<float> &s,
			  const std::vector<float> &b, const std::vector<float> &m, const std::vector<float> &v,
			  double eps)
{
	std::vector<float> r(y.size());
	for (size_t i = 0; i < y.size(); i++) {
		int64_t c = (int64_t)i / inner % ch;
		r[i] = (float)(((double)y[i] - m[c]) / std::sqrt((double)v[c] + eps) * s[c] + b[c]);
	}
	return r;
}

// The model's output with every pass, and with fold_batchnorm skipped.
std::pair<std::vector<float>, std::vector<float>> folded_and_not(const ModelBuilder &mb,
								  const std::vector<HostTensor> &in,
								  size_t *live_folded)
{
	Graph g = mb.imported();
	infer_graph(g);
	remove_dead(g);
	fuse_matmul_add(g);
	fuse_activation(g);
	remove_dead(g);
	Lowered l = lower_graph(g);
	Plan p = plan_model(l);
	plan_check(l, p);
	std::vector<float> unfolded = plan_run(l, p, in)[0].floats();
	Graph f = mb.graph();
	*live_folded = 0;
	for (const Node &n : f.nodes)
		*live_folded += !n.dead;
	return {run_model(mb, in)[0].floats(), unfolded};
}

} // namespace

TEST_CASE("fold_batchnorm: Conv + BatchNormalization (+ Relu) into the weights", "[conv][passes]")
{
	std::mt19937 rng(21);
	for (bool bias : {false, true})
		for (int64_t group : {1, 2}) {
			Shape xs{2, 4, 5, 5}, ws{6, 4 / group, 3, 3}, ys;
			Win win{{3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
			std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
			std::vector<float> b = bias ? random_vec(6, rng) : std::vector<float>{};
			std::vector<float> s = random_vec(6, rng), bb = random_vec(6, rng), m = random_vec(6, rng);
			std::vector<float> v = random_vec(6, rng, 0.1f, 2.0f);
			std::vector<float> want = ref_bn(ref_conv(x, xs, w, ws, b, group, win, ys), 6, 9, s, bb, m, v, 1e-3);
			for (float &e : want)
				e = std::max(e, 0.0f);
			ModelBuilder mb;
			mb.input("x", xs).output("y", ys).init("w", ws, w);
			mb.init("s", {6}, s).init("bb", {6}, bb).init("m", {6}, m).init("v", {6}, v);
			if (bias)
				mb.init("b", {6}, b);
			auto &c = bias ? mb.node("Conv", {"x", "w", "b"}, {"h"}) : mb.node("Conv", {"x", "w"}, {"h"});
			ModelBuilder::attr_int(c, "group", group);
			ModelBuilder::attr_float(mb.node("BatchNormalization", {"h", "s", "bb", "m", "v"}, {"n"}, "bn"),
						 "epsilon", 1e-3f);
			mb.node("Relu", {"n"}, {"y"});
			size_t live = 0;
			auto [folded, unfolded] = folded_and_not(mb, {F(xs, x)}, &live);
			INFO("bias " << bias << " group " << group);
			REQUIRE(live == 1);	// Conv with BN folded in and Relu fused
			require_close(folded, want, 1e-4);
			require_close(unfolded, want, 1e-4);
		}
}

TEST_CASE("fold_batchnorm: ConvTranspose with groups, and what is left alone", "[conv][passes]")
{
	std::mt19937 rng(22);
	Shape xs{1, 4, 3, 3}, ws{4, 3, 2, 2}, ys;	// group 2: M = 6
	Win win{{2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
	std::vector<float> x = random_vec(numel(xs), rng), w = random_vec(numel(ws), rng);
	std::vector<float> s = random_vec(6, rng), bb = random_vec(6, rng), m = random_vec(6, rng);
	std::vector<float> v = random_vec(6, rng, 0.1f, 2.0f);
	std::vector<float> want = ref_bn(ref_conv_transpose(x, xs, w, ws, {}, 2, win, ys), 6, 36, s, bb, m, v, 1e-5);
	ModelBuilder mb;
	mb.input("x", xs).output("y", ys).init("w", ws, w);
	mb.init("s", {6}, s).init("bb", {6}, bb).init("m", {6}, m).init("v", {6}, v);
	auto &c = mb.node("ConvTranspose", {"x", "w"}, {"h"});
	ModelBuilder::attr_int(c, "group", 2);
	ModelBuilder::attr_ints(c, "strides", {2, 2});
	mb.node("BatchNormalization", {"h", "s", "bb", "m", "v"}, {"y"});
	size_t live = 0;
	auto [folded, unfolded] = folded_and_not(mb, {F(xs, x)}, &live);
	REQUIRE(live == 1);
	require_close(folded, want, 1e-4);
	require_close(unfolded, want, 1e-4);

	SECTION("weights that are a graph input are not folded")
	{
		Shape ys2;
		Win w1{{2, 2}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}};
		std::vector<float> want2 =
			ref_bn(ref_conv_transpose(x, xs, w, ws, {}, 2, w1, ys2), 6, 16, s, bb, m, v, 1e-5);
		ModelBuilder rt;
		rt.input("x", xs).input("w", ws).output("y", ys2);
		rt.init("s", {6}, s).init("bb", {6}, bb).init("m", {6}, m).init("v", {6}, v);
		ModelBuilder::attr_int(rt.node("ConvTranspose", {"x", "w"}, {"h"}), "group", 2);
		rt.node("BatchNormalization", {"h", "s", "bb", "m", "v"}, {"y"});
		auto [f2, u2] = folded_and_not(rt, {F(xs, x), F(ws, w)}, &live);
		REQUIRE(live == 2);
		require_close(f2, want2, 1e-4);
	}
	SECTION("a Conv output read twice is not folded")
	{
		ModelBuilder two = mb;
		two.output("h", ys);
		Graph g = two.graph();
		size_t n = 0;
		for (const Node &node : g.nodes)
			n += !node.dead;
		REQUIRE(n == 2);
	}
}

TEST_CASE("fold_batchnorm: Gemm and MatMul with a BatchNormalization over columns", "[conv][passes]")
{
	std::mt19937 rng(23);
	std::vector<float> x = random_vec(3 * 4, rng), w = random_vec(4 * 5, rng), c = random_vec(5, rng);
	std::vector<float> s = random_vec(5, rng), bb = random_vec(5, rng), m = random_vec(5, rng);
	std::vector<float> v = random_vec(5, rng, 0.1f, 2.0f);
	// y = 2 * x . W^T + 0.5 * c, by hand (W stored [5, 4]).
	std::vector<float> y(15);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++) {
			double acc = 0;
			for (int k = 0; k < 4; k++)
				acc += (double)x[i * 4 + k] * w[j * 4 + k];
			y[i * 5 + j] = (float)(2.0 * acc + 0.5 * c[j]);
		}
	std::vector<float> want = ref_bn(y, 5, 1, s, bb, m, v, 1e-5);
	ModelBuilder mb;
	mb.input("x", {3, 4}).output("y", {3, 5}).init("w", {5, 4}, w).init("c", {5}, c);
	mb.init("s", {5}, s).init("bb", {5}, bb).init("m", {5}, m).init("v", {5}, v);
	auto &g = mb.node("Gemm", {"x", "w", "c"}, {"h"});
	ModelBuilder::attr_int(g, "transB", 1);
	ModelBuilder::attr_float(g, "alpha", 2.0f);
	ModelBuilder::attr_float(g, "beta", 0.5f);
	mb.node("BatchNormalization", {"h", "s", "bb", "m", "v"}, {"y"});
	size_t live = 0;
	auto [folded, unfolded] = folded_and_not(mb, {F({3, 4}, x)}, &live);
	REQUIRE(live == 1);
	require_close(folded, want, 1e-4);
	require_close(unfolded, want, 1e-4);

	// MatMul [3,4] x [4,5] (W^T of above), then BN: a Linear with a bias.
	std::vector<float> wt(20);
	for (int j = 0; j < 5; j++)
		for (int k = 0; k < 4; k++)
			wt[k * 5 + j] = w[j * 4 + k];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++) {
			double acc = 0;
			for (int k = 0; k < 4; k++)
				acc += (double)x[i * 4 + k] * wt[k * 5 + j];
			y[i * 5 + j] = (float)acc;
		}
	want = ref_bn(y, 5, 1, s, bb, m, v, 1e-5);
	ModelBuilder mm;
	mm.input("x", {3, 4}).output("y", {3, 5}).init("w", {4, 5}, wt);
	mm.init("s", {5}, s).init("bb", {5}, bb).init("m", {5}, m).init("v", {5}, v);
	mm.node("MatMul", {"x", "w"}, {"h"});
	mm.node("BatchNormalization", {"h", "s", "bb", "m", "v"}, {"y"});
	auto [f2, u2] = folded_and_not(mm, {F({3, 4}, x)}, &live);
	REQUIRE(live == 1);
	require_close(f2, want, 1e-4);
	require_close(u2, want, 1e-4);
}

// A rough speed figure for real CNN layers (run with "[.conv-bench]").
TEST_CASE("conv layer speed", "[.conv-bench]")
{
	struct Layer {
		const char *name;
		Shape xs, ws;
		int64_t group, stride, pad;
	} layers[] = {
		{"resnet 3x3 64->64 56x56", {1, 64, 56, 56}, {64, 64, 3, 3}, 1, 1, 1},
		{"resnet 1x1 256->64 56x56", {1, 256, 56, 56}, {64, 256, 1, 1}, 1, 1, 0},
		{"resnet stem 7x7/2 3->64 224", {1, 3, 224, 224}, {64, 3, 7, 7}, 1, 2, 3},
		{"mobilenet dw 3x3 32 112x112", {1, 32, 112, 112}, {32, 1, 3, 3}, 32, 1, 1},
		{"resnet 3x3 512->512 7x7", {1, 512, 7, 7}, {512, 512, 3, 3}, 1, 1, 1},
	};
	std::mt19937 rng(1);
	for (const Layer &L : layers) {
		int64_t k = L.ws[2];
		int64_t out = (L.xs[2] + 2 * L.pad - k) / L.stride + 1;
		Shape ys{1, L.ws[0], out, out};
		ModelBuilder mb;
		mb.input("x", L.xs).output("y", ys).init("w", L.ws, random_vec(numel(L.ws), rng));
		auto &n = mb.node("Conv", {"x", "w"}, {"y"});
		ModelBuilder::attr_int(n, "group", L.group);
		ModelBuilder::attr_ints(n, "strides", {L.stride, L.stride});
		ModelBuilder::attr_ints(n, "pads", {L.pad, L.pad, L.pad, L.pad});
		Compiled c = mb.compiled();
		std::vector<HostTensor> in{F(L.xs, random_vec(numel(L.xs), rng))};
		plan_run(c.lowered, c.plan, in);
		// Thread CPU time, best of 5: the machine may be busy.
		double sec = 1e9;
		for (int r = 0; r < 5; r++) {
			timespec a, b;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
			plan_run(c.lowered, c.plan, in);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
			sec = std::min(sec, (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
		}
		double flops = 2.0 * numel(ys) * (L.xs[1] / L.group) * k * k;
		WARN(L.name << ": " << sec * 1e3 << " ms, " << flops / sec / 1e9 << " GFLOP/s");
	}
	// A decoder's ConvTranspose 64 -> 32, 4x4 stride 2 pads 1: 32x32 -> 64x64.
	ModelBuilder mb;
	Shape xs{1, 64, 32, 32}, ws{64, 32, 4, 4};
	mb.input("x", xs).output("y", {1, 32, 64, 64}).init("w", ws, random_vec(numel(ws), rng));
	auto &n = mb.node("ConvTranspose", {"x", "w"}, {"y"});
	ModelBuilder::attr_ints(n, "strides", {2, 2});
	ModelBuilder::attr_ints(n, "pads", {1, 1, 1, 1});
	Compiled c = mb.compiled();
	std::vector<HostTensor> in{F(xs, random_vec(numel(xs), rng))};
	double sec = 1e9;
	for (int r = 0; r < 3; r++) {
		timespec a, b;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		plan_run(c.lowered, c.plan, in);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		sec = std::min(sec, (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
	}
	double flops = 2.0 * numel(xs) * 32 * 16;
	WARN("convtranspose 4x4/2 64->32 32x32: " << sec * 1e3 << " ms, " << flops / sec / 1e9 << " GFLOP/s");
}
