// SPDX-License-Identifier: GPL-2.0
// The layout passes (passes_layout.cc) on models built the way the Flax
// exporter writes them: NHWC activations, Transpose around each Conv,
// BatchNormalization as Sub/Mul/Add over the last axis, ReLU6 as Relu
// then Min.  Each test checks what the passes left (node and kernel op
// lists) and the output: against a double-precision reference of the
// formula, and against the same model compiled without these passes.
#include "onnx_builders.h"

#include <uapi/kinfer.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace kinfer;
using namespace kinfer_test;

namespace {

std::vector<float> uniform(size_t n, std::mt19937 &rng, float lo = -1.0f, float hi = 1.0f)
{
	std::uniform_real_distribution<float> u(lo, hi);
	std::vector<float> v(n);
	for (float &f : v)
		f = u(rng);
	return v;
}

void require_close(const std::vector<float> &got, const std::vector<float> &want, double tol = 1e-4)
{
	REQUIRE(got.size() == want.size());
	for (size_t i = 0; i < got.size(); i++) {
		INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
		if (!std::isfinite(want[i])) {
			REQUIRE((got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))));
			continue;
		}
		REQUIRE(std::fabs((double)got[i] - want[i]) <= tol + tol * std::fabs((double)want[i]));
	}
}

// BatchNormalization's parameters for m channels (var > 0).
struct Bn {
	std::vector<float> scale, bias, mean, var;
};

Bn random_bn(int64_t m, std::mt19937 &rng)
{
	return {uniform(m, rng, 0.5f, 1.5f), uniform(m, rng), uniform(m, rng), uniform(m, rng, 0.1f, 2.0f)};
}

constexpr float kEps = 1e-3f;
const std::vector<int64_t> kToNchw{0, 3, 1, 2}, kToNhwc{0, 2, 3, 1};

// One NHWC block as the Flax exporter writes it: x [1, H, W, C] ->
// Transpose -> Conv 3x3 (pads 1, kernel an HWIO initializer transposed to
// OIHW, `group`) -> Transpose -> (y - mean) * (scale / sqrt(var + eps)) +
// bias -> Relu -> Min(6).  Returns the output's name.
std::string nhwc_block(ModelBuilder &b, const std::string &p, const std::string &x, int64_t c, int64_t m,
		       int64_t group, const std::vector<float> &hwio, const Bn &bn)
{
	b.init(p + "/kernel", {3, 3, c / group, m}, hwio);
	b.init(p + "/mean", {m}, bn.mean).init(p + "/var", {m}, bn.var);
	b.init(p + "/scale", {m}, bn.scale).init(p + "/bias", {m}, bn.bias);
	ModelBuilder::attr_ints(b.node("Transpose", {x}, {p + "/xt"}, p + "/Transpose"), "perm", kToNchw);
	ModelBuilder::attr_ints(b.node("Transpose", {p + "/kernel"}, {p + "/w"}, p + "/Transpose_1"), "perm",
				{3, 2, 0, 1});
	auto &conv = b.node("Conv", {p + "/xt", p + "/w"}, {p + "/y"}, p + "/Conv");
	ModelBuilder::attr_ints(conv, "pads", {1, 1, 1, 1});
	ModelBuilder::attr_int(conv, "group", group);
	ModelBuilder::attr_ints(b.node("Transpose", {p + "/y"}, {p + "/yt"}, p + "/Transpose_2"), "perm", kToNhwc);
	b.node("Sub", {p + "/yt", p + "/mean"}, {p + "/centred"}, p + "/Sub");
	b.node("Add", {p + "/var", "eps"}, {p + "/ve"}, p + "/Add");
	b.node("Sqrt", {p + "/ve"}, {p + "/sd"}, p + "/Sqrt");
	b.node("Reciprocal", {p + "/sd"}, {p + "/inv"}, p + "/Reciprocal");
	b.node("Mul", {p + "/inv", p + "/scale"}, {p + "/f"}, p + "/Mul");
	b.node("Mul", {p + "/centred", p + "/f"}, {p + "/scaled"}, p + "/Mul_1");
	b.node("Add", {p + "/scaled", p + "/bias"}, {p + "/bn"}, p + "/Add_1");
	b.node("Relu", {p + "/bn"}, {p + "/relu"}, p + "/Relu");
	b.node("Min", {p + "/relu", "six"}, {p + "/out"}, p + "/Min");
	return p + "/out";
}

// The same block by the formula, in double: x [H, W, C] -> [H, W, M].
std::vector<float> ref_block(const std::vector<float> &x, int64_t h, int64_t w, int64_t c, int64_t m,
			     int64_t group, const std::vector<float> &hwio, const Bn &bn)
{
	int64_t cg = c / group, mg = m / group;
	std::vector<float> y(h * w * m);
	for (int64_t i = 0; i < h; i++)
		for (int64_t j = 0; j < w; j++)
			for (int64_t o = 0; o < m; o++) {
				double acc = 0;
				for (int64_t ki = 0; ki < 3; ki++)
					for (int64_t kj = 0; kj < 3; kj++) {
						int64_t si = i + ki - 1, sj = j + kj - 1;
						if (si < 0 || si >= h || sj < 0 || sj >= w)
							continue;
						for (int64_t q = 0; q < cg; q++) {
							int64_t ci = o / mg * cg + q;
							acc += (double)x[(si * w + sj) * c + ci] *
							       hwio[((ki * 3 + kj) * cg + q) * m + o];
						}
					}
				double v = (acc - bn.mean[o]) * bn.scale[o] / std::sqrt((double)bn.var[o] + kEps) +
					   bn.bias[o];
				y[(i * w + j) * m + o] = (float)std::min(std::max(v, 0.0), 6.0);
			}
	return y;
}

// Sum over H and W: [H, W, M] -> [M].
std::vector<float> ref_spatial_sum(const std::vector<float> &y, int64_t m)
{
	std::vector<double> s(m, 0.0);
	for (size_t i = 0; i < y.size(); i++)
		s[i % m] += y[i];
	return std::vector<float>(s.begin(), s.end());
}

// The model's output compiled without the layout passes: every node as
// written, each its own kernel op (fold_batchnorm and the other fusions
// still run; they find nothing here to fuse but Relu).
std::vector<float> run_without_layout_passes(const ModelBuilder &mb, const std::vector<HostTensor> &in)
{
	Graph g = mb.imported();
	infer_graph(g);
	remove_dead(g);
	fold_batchnorm(g);
	fuse_matmul_add(g);
	fuse_activation(g);
	remove_dead(g);
	Lowered l = lower_graph(g);
	Plan p = plan_model(l);
	plan_check(l, p);
	return plan_run(l, p, in)[0].floats();
}

std::vector<uint32_t> kernel_ops(const ModelBuilder &mb)
{
	std::vector<uint32_t> ops;
	for (const LOp &op : mb.lowered().ops)
		ops.push_back(op.op);
	return ops;
}

size_t count(const std::vector<uint32_t> &ops, uint32_t op)
{
	return (size_t)std::count(ops.begin(), ops.end(), op);
}

size_t live(const Graph &g, const std::string &op)
{
	size_t k = 0;
	for (const Node &n : g.nodes)
		k += !n.dead && n.op == op;
	return k;
}

const Node &live_node(const Graph &g, const std::string &op)
{
	for (const Node &n : g.nodes)
		if (!n.dead && n.op == op)
			return n;
	throw std::runtime_error("no live " + op);
}

onnx::NodeProto &proto_node(ModelBuilder &b, const std::string &name)
{
	for (auto &n : *b.model().mutable_graph()->mutable_node())
		if (n.name() == name)
			return n;
	throw std::runtime_error("no node " + name);
}

// Output 0 of the model with every pass matches it without the layout
// passes; the kernel ops of the model with every pass.
std::vector<uint32_t> check_same_output(const ModelBuilder &mb, const std::vector<HostTensor> &in)
{
	require_close(run_model(mb, in)[0].floats(), run_without_layout_passes(mb, in));
	return kernel_ops(mb);
}

// Two blocks (a 3 -> 4 conv, then a depthwise 4 -> 4 one) over an 6x5 NHWC
// image, then a sum over H and W, as the MobileNet benchmark ends.
struct TwoBlocks {
	int64_t h = 6, w = 5, c = 3, m = 4;
	std::vector<float> x, k1, k2;
	Bn bn1, bn2;

	explicit TwoBlocks(unsigned seed)
	{
		std::mt19937 rng(seed);
		x = uniform(h * w * c, rng, -2.0f, 2.0f);
		k1 = uniform(9 * c * m, rng);
		k2 = uniform(9 * m, rng);
		bn1 = random_bn(m, rng);
		bn2 = random_bn(m, rng);
	}
	ModelBuilder model() const
	{
		ModelBuilder b;
		b.input("x", {1, h, w, c}).output("y", {1, m});
		b.init("eps", {}, {kEps}).init("six", {}, {6.0f});
		b.init_i64("axes", {2}, {1, 2});
		std::string o = nhwc_block(b, "b1", "x", c, m, 1, k1, bn1);
		o = nhwc_block(b, "b2", o, m, m, m, k2, bn2);
		ModelBuilder::attr_int(b.node("ReduceSum", {o, "axes"}, {"y"}, "gap"), "keepdims", 0);
		return b;
	}
	std::vector<float> want() const
	{
		std::vector<float> y1 = ref_block(x, h, w, c, m, 1, k1, bn1);
		return ref_spatial_sum(ref_block(y1, h, w, m, m, m, k2, bn2), m);
	}
	std::vector<HostTensor> inputs() const { return {F({1, h, w, c}, x)}; }
};

} // namespace

TEST_CASE("NHWC conv-BatchNorm-ReLU6 blocks compile to one CONV each", "[passes][layout]")
{
	TwoBlocks t(31);
	ModelBuilder mb = t.model();
	// The input's Transpose stays (nothing before it to cancel it); the
	// others cancel or fold into the ReduceSum; Sub, Mul and Add fold into
	// the weights, Relu and Min become the CONV's CLIP activation.
	REQUIRE(kernel_ops(mb) == std::vector<uint32_t>{KINFER_OP_INPUT, KINFER_OP_COPY, KINFER_OP_CONV,
							KINFER_OP_CONV, KINFER_OP_REDUCE_SUM, KINFER_OP_OUTPUT});
	Graph g = mb.graph();
	for (const Node &n : g.nodes)
		if (!n.dead && n.op == "Conv") {
			REQUIRE(n.attrs.at("act").i() == KINFER_OP_CLIP);
			REQUIRE(n.attrs.at("act_alpha").f() == 0.0f);
			REQUIRE(n.attrs.at("act_beta").f() == 6.0f);
			std::string p = n.name.substr(0, 2);
			REQUIRE(n.fused == std::vector<std::string>{p + "/Sub", p + "/Mul_1", p + "/Add_1",
								    p + "/Relu", p + "/Min"});
		}
	std::vector<float> want = t.want();
	require_close(run_model(mb, t.inputs())[0].floats(), want);
	require_close(run_without_layout_passes(mb, t.inputs()), want);
}

TEST_CASE("sink_transposes: constants move with the Transpose", "[passes][layout]")
{
	// x [1, 2, 3, 4] -> Transpose(0, 2, 3, 1) -> Mul by [3, 1, 2] varying on
	// two axes -> Add of a scalar -> Transpose(0, 3, 1, 2): the Transposes
	// cancel, the Mul's constant becomes [1, 2, 3, 1].
	std::mt19937 rng(32);
	std::vector<float> x = uniform(24, rng), c = uniform(6, rng);
	ModelBuilder mb;
	mb.input("x", {1, 2, 3, 4}).output("y", {1, 2, 3, 4});
	mb.init("c", {3, 1, 2}, c).init("one", {}, {1.0f});
	ModelBuilder::attr_ints(mb.node("Transpose", {"x"}, {"t"}), "perm", kToNhwc);
	mb.node("Mul", {"t", "c"}, {"p"});
	mb.node("Add", {"one", "p"}, {"q"});
	ModelBuilder::attr_ints(mb.node("Transpose", {"q"}, {"y"}), "perm", kToNchw);
	Graph g = mb.graph();
	REQUIRE(live(g, "Transpose") == 0);
	REQUIRE(g.value(live_node(g, "Mul").in[1]).shape == Shape{1, 2, 3, 1});
	// y[0, a, b, d] = 1 + x[0, a, b, d] * c[b, 0, a] (t = x moved to [0, b, d, a]).
	std::vector<float> want(24);
	for (int a = 0; a < 2; a++)
		for (int bi = 0; bi < 3; bi++)
			for (int d = 0; d < 4; d++) {
				int i = (a * 3 + bi) * 4 + d;
				want[i] = 1.0f + x[i] * c[bi * 2 + a];
			}
	REQUIRE(kernel_ops(mb) ==
		std::vector<uint32_t>{KINFER_OP_INPUT, KINFER_OP_MUL, KINFER_OP_ADD, KINFER_OP_OUTPUT});
	require_close(run_model(mb, {F({1, 2, 3, 4}, x)})[0].floats(), want, 1e-6);
}

TEST_CASE("the layout passes leave the graph alone when a precondition fails", "[passes][layout]")
{
	TwoBlocks t(33);
	ModelBuilder mb = t.model();
	std::mt19937 rng(34);

	SECTION("a BatchNorm value that is also a graph output")
	{
		mb.output("b1/centred", {1, t.h, t.w, t.m});
		std::vector<uint32_t> ops = check_same_output(mb, t.inputs());
		// Block 1 keeps its Transposes and its Sub, Mul, Add, Min;
		// block 2 folds as before.
		REQUIRE(count(ops, KINFER_OP_COPY) == 3);
		REQUIRE(count(ops, KINFER_OP_SUB) == 1);
		REQUIRE(count(ops, KINFER_OP_MIN) == 1);
		REQUIRE(live(mb.graph(), "Conv") == 2);
	}
	SECTION("a Mul that is not per channel")
	{
		mb.init("spatial", {t.h, t.w, 1}, uniform(t.h * t.w, rng));
		proto_node(mb, "b2/Mul_1").set_input(1, "spatial");
		std::vector<uint32_t> ops = check_same_output(mb, t.inputs());
		// The Transposes still cancel (the Mul commutes with them); only
		// the Sub before the Mul folds into the Conv.
		REQUIRE(count(ops, KINFER_OP_COPY) == 1);
		REQUIRE(count(ops, KINFER_OP_SUB) == 0);
		REQUIRE(count(ops, KINFER_OP_MUL) == 1);
		REQUIRE(count(ops, KINFER_OP_ADD) == 1);
		REQUIRE(count(ops, KINFER_OP_RELU) == 1);
		REQUIRE(count(ops, KINFER_OP_MIN) == 1);
		Graph g = mb.graph();
		REQUIRE(g.value(live_node(g, "Mul").in[1]).shape == Shape{1, 1, t.h, t.w});
	}
	SECTION("a BatchNorm scale computed at run time")
	{
		mb.input("f", {t.m});
		proto_node(mb, "b2/Mul_1").set_input(1, "f");
		std::vector<float> f = uniform(t.m, rng);
		std::vector<HostTensor> in{F({1, t.h, t.w, t.c}, t.x), F({t.m}, f)};
		std::vector<uint32_t> ops = check_same_output(mb, in);
		// Block 2's output Transpose cannot sink past the Mul: its Sub,
		// Mul and Add stay where they were.
		REQUIRE(count(ops, KINFER_OP_COPY) == 2);
		REQUIRE(count(ops, KINFER_OP_SUB) == 1);
		REQUIRE(count(ops, KINFER_OP_MUL) == 1);
	}
	SECTION("Transposes that do not undo each other")
	{
		auto *perm = proto_node(mb, "b2/Transpose").mutable_attribute(0)->mutable_ints();
		perm->Set(1, 3);
		perm->Set(2, 2);
		perm->Set(3, 1);	// [0, 3, 2, 1]: block 2 runs on the image transposed
		std::vector<uint32_t> ops = check_same_output(mb, t.inputs());
		REQUIRE(count(ops, KINFER_OP_COPY) == 3);
		REQUIRE(count(ops, KINFER_OP_SUB) == 1);
	}
	SECTION("a Min that is not ReLU6's")
	{
		mb.init("minus_one", {}, {-1.0f}).init("per_channel", {t.m}, uniform(t.m, rng, 1.0f, 5.0f));
		proto_node(mb, "b1/Min").set_input(1, "minus_one");
		proto_node(mb, "b2/Min").set_input(1, "per_channel");
		std::vector<uint32_t> ops = check_same_output(mb, t.inputs());
		REQUIRE(count(ops, KINFER_OP_MIN) == 2);
		for (const Node &n : mb.graph().nodes)
			if (!n.dead && n.op == "Conv")
				REQUIRE(n.attrs.at("act").i() == KINFER_OP_RELU);
	}
	SECTION("conv weights that are a graph input")
	{
		std::vector<float> w(t.m * t.c * 9);
		for (int64_t o = 0; o < t.m; o++)
			for (int64_t q = 0; q < t.c; q++)
				for (int64_t k = 0; k < 9; k++)
					w[(o * t.c + q) * 9 + k] = t.k1[(k * t.c + q) * t.m + o];
		mb.input("w", {t.m, t.c, 3, 3});
		proto_node(mb, "b1/Conv").set_input(1, "w");
		std::vector<HostTensor> in{F({1, t.h, t.w, t.c}, t.x), F({t.m, t.c, 3, 3}, w)};
		require_close(run_model(mb, in)[0].floats(), t.want());
		std::vector<uint32_t> ops = check_same_output(mb, in);
		// The Transposes cancel, but block 1's BatchNorm stays, per channel.
		REQUIRE(count(ops, KINFER_OP_COPY) == 1);
		REQUIRE(count(ops, KINFER_OP_SUB) == 1);
		REQUIRE(count(ops, KINFER_OP_MUL) == 1);
		REQUIRE(count(ops, KINFER_OP_ADD) == 1);
		Graph g = mb.graph();
		REQUIRE(g.value(live_node(g, "Sub").in[1]).shape == Shape{1, t.m, 1, 1});
	}
	SECTION("a reduction that keeps its dims")
	{
		proto_node(mb, "gap").mutable_attribute(0)->set_i(1);
		mb.model().mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
		std::vector<uint32_t> ops = check_same_output(mb, t.inputs());
		REQUIRE(count(ops, KINFER_OP_COPY) == 2);
		REQUIRE(count(ops, KINFER_OP_CONV) == 2);
		REQUIRE(count(ops, KINFER_OP_SUB) == 1);
	}
}

TEST_CASE("sink_transposes: an inverse pair cancels unless its result is a graph output", "[passes][layout]")
{
	std::mt19937 rng(35);
	std::vector<HostTensor> in{F({1, 2, 3, 4}, uniform(24, rng))};
	ModelBuilder out;
	out.input("x", {1, 2, 3, 4}).output("y", {1, 2, 3, 4});
	ModelBuilder::attr_ints(out.node("Transpose", {"x"}, {"t"}), "perm", kToNhwc);
	ModelBuilder::attr_ints(out.node("Transpose", {"t"}, {"y"}), "perm", kToNchw);
	REQUIRE(count(kernel_ops(out), KINFER_OP_COPY) == 2);
	REQUIRE(run_model(out, in)[0].floats() == in[0].floats());

	ModelBuilder mid;
	mid.input("x", {1, 2, 3, 4}).output("y", {1, 2, 3, 4});
	ModelBuilder::attr_ints(mid.node("Transpose", {"x"}, {"t"}), "perm", kToNhwc);
	ModelBuilder::attr_ints(mid.node("Transpose", {"t"}, {"u"}), "perm", kToNchw);
	mid.node("Relu", {"u"}, {"y"});
	REQUIRE(kernel_ops(mid) == std::vector<uint32_t>{KINFER_OP_INPUT, KINFER_OP_RELU, KINFER_OP_OUTPUT});
	std::vector<float> want = in[0].floats();
	for (float &v : want)
		v = std::max(v, 0.0f);
	REQUIRE(run_model(mid, in)[0].floats() == want);
}

TEST_CASE("fold_conv_affine and fuse_clip on an NCHW Conv", "[passes][layout]")
{
	// Conv -> Sub(c - y) -> Div(by d) -> Clip(-0.5, 2), as a PyTorch export
	// might write it: one CONV, its CLIP activation as the Clip said.
	std::mt19937 rng(36);
	Shape xs{1, 2, 4, 4};
	std::vector<float> x = uniform(32, rng), w = uniform(3 * 2 * 9, rng), b = uniform(3, rng);
	std::vector<float> c = uniform(3, rng), d = uniform(3, rng, 0.5f, 2.0f);
	ModelBuilder mb;
	mb.input("x", xs).output("y", {1, 3, 4, 4});
	mb.init("w", {3, 2, 3, 3}, w).init("b", {3}, b).init("c", {3, 1, 1}, c).init("d", {1, 3, 1, 1}, d);
	mb.init("lo", {}, {-0.5f}).init("hi", {}, {2.0f});
	ModelBuilder::attr_ints(mb.node("Conv", {"x", "w", "b"}, {"h"}, "conv"), "pads", {1, 1, 1, 1});
	mb.node("Sub", {"c", "h"}, {"s"}, "sub");
	mb.node("Div", {"s", "d"}, {"q"}, "div");
	mb.node("Clip", {"q", "lo", "hi"}, {"y"}, "clip");
	REQUIRE(kernel_ops(mb) == std::vector<uint32_t>{KINFER_OP_INPUT, KINFER_OP_CONV, KINFER_OP_OUTPUT});
	const Node conv = live_node(mb.graph(), "Conv");
	REQUIRE(conv.fused == std::vector<std::string>{"sub", "div", "clip"});
	REQUIRE(conv.attrs.at("act").i() == KINFER_OP_CLIP);
	// By the formula, in double.
	std::vector<float> want(48);
	for (int o = 0; o < 3; o++)
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) {
				double acc = b[o];
				for (int q = 0; q < 2; q++)
					for (int ki = 0; ki < 3; ki++)
						for (int kj = 0; kj < 3; kj++) {
							int si = i + ki - 1, sj = j + kj - 1;
							if (si >= 0 && si < 4 && sj >= 0 && sj < 4)
								acc += (double)x[(q * 4 + si) * 4 + sj] *
								       w[((o * 2 + q) * 3 + ki) * 3 + kj];
						}
				double v = (c[o] - acc) / d[o];
				want[(o * 4 + i) * 4 + j] = (float)std::min(std::max(v, -0.5), 2.0);
			}
	require_close(run_model(mb, {F(xs, x)})[0].floats(), want);

	SECTION("a divisor with a zero is not folded")
	{
		d[1] = 0.0f;
		ModelBuilder z;
		z.input("x", xs).output("y", {1, 3, 4, 4});
		z.init("w", {3, 2, 3, 3}, w).init("d", {1, 3, 1, 1}, d);
		ModelBuilder::attr_ints(z.node("Conv", {"x", "w"}, {"h"}), "pads", {1, 1, 1, 1});
		z.node("Div", {"h", "d"}, {"y"});
		REQUIRE(count(check_same_output(z, {F(xs, x)}), KINFER_OP_DIV) == 1);
	}
}

TEST_CASE("sink_transposes: a reduction over axes left in order absorbs the Transpose", "[passes][layout]")
{
	// x [1, 2, 3, 4] -> Transpose(0, 2, 3, 1) -> Relu -> ReduceMean: over
	// axes [1, 2] (opset 13: an attribute) it becomes a mean over x's axes
	// [2, 3]; over axis 1 alone the axes left (0, 2, 3 -> 0, 3, 1) would
	// change order, so the Transpose stays.
	std::mt19937 rng(37);
	std::vector<float> x = uniform(24, rng);
	auto build = [](const std::vector<int64_t> &axes, const Shape &ys) {
		ModelBuilder mb(13);
		mb.input("x", {1, 2, 3, 4}).output("y", ys);
		ModelBuilder::attr_ints(mb.node("Transpose", {"x"}, {"t"}), "perm", kToNhwc);
		mb.node("Relu", {"t"}, {"r"});
		auto &mean = mb.node("ReduceMean", {"r"}, {"y"}, "mean");
		ModelBuilder::attr_ints(mean, "axes", axes);
		ModelBuilder::attr_int(mean, "keepdims", 0);
		return mb;
	};
	ModelBuilder both = build({1, 2}, {1, 2});
	REQUIRE(kernel_ops(both) ==
		std::vector<uint32_t>{KINFER_OP_INPUT, KINFER_OP_RELU, KINFER_OP_REDUCE_MEAN, KINFER_OP_OUTPUT});
	std::vector<float> want(2, 0.0f);
	for (int a = 0; a < 2; a++) {
		double s = 0;
		for (int k = 0; k < 12; k++)
			s += std::max(x[a * 12 + k], 0.0f);
		want[a] = (float)(s / 12);
	}
	require_close(run_model(both, {F({1, 2, 3, 4}, x)})[0].floats(), want, 1e-6);

	ModelBuilder one = build({1}, {1, 4, 2});
	std::vector<uint32_t> ops = check_same_output(one, {F({1, 2, 3, 4}, x)});
	REQUIRE(count(ops, KINFER_OP_COPY) == 1);
}
