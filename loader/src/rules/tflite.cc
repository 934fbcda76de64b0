// SPDX-License-Identifier: GPL-2.0
// The int8 operators of .tflite models (domain ai.kinfer.tflite, made by
// tflite/translate.cc) lowered to the int8 kernel ops.  Nodes carry
// TFLite's quantisation parameters (x_scale, x_zero_point, w_scales,
// y_scale, ...) as attributes; here they become the integer parameters
// of TFLite's kernels, computed as TFLite's Prepare steps compute them
// (their double or float arithmetic included: a multiplier one bit off
// changes results), so the kernel gives the interpreter's answers.
// Activations are NHWC.  The same nodes in a hand-written ONNX file get
// the same checks: every attribute is validated here.
#include "quant/qparams.h"
#include "rules.h"

extern "C" {
#include <int8/qmath.h>
}

#include <cmath>
#include <limits>

namespace kinfer {

namespace {

struct QParam {
	float scale = 1.0f;
	int32_t zero_point = 0;
};

QParam qparam(const NodeAttrs &c, const std::string &prefix)
{
	std::string s = prefix + "_scale", z = prefix + "_zero_point";
	if (!c.has_attr(s.c_str()) || !c.has_attr(z.c_str()))
		c.fail("needs the attributes " + s + " and " + z);
	QParam q{c.attr_float(s.c_str(), 0.0f), (int32_t)c.attr_int(z.c_str(), 0)};
	if (!(std::isnormal(q.scale) && q.scale > 0.0f))
		c.fail(s + " must be positive, finite and normal");
	int64_t zp = c.attr_int(z.c_str(), 0);
	if (zp < -128 || zp > 127)
		c.fail(z + " " + std::to_string(zp) + " is outside -128..127");
	return q;
}

// TFLite's Quantize of a real value into q's int8 range (its
// CalculateActivationRangeQuantized arithmetic: float division, rounding
// half away from zero), clamped first so a huge ratio cannot overflow.
int32_t quantize_real(const QParam &q, float f)
{
	float r = std::round(f / q.scale);
	if (!(r > -1e6f))
		r = -1e6f;
	if (r > 1e6f)
		r = 1e6f;
	return q.zero_point + (int32_t)r;
}

// The fused activation as an int8 range, as TFLite computes it.
void act_range(const NodeAttrs &c, const QParam &y, int32_t &lo, int32_t &hi)
{
	std::string a = c.attr_string("activation", "NONE");
	lo = -128;
	hi = 127;
	if (a == "NONE")
		return;
	if (a == "RELU") {
		lo = std::max(lo, quantize_real(y, 0.0f));
	} else if (a == "RELU6") {
		lo = std::max(lo, quantize_real(y, 0.0f));
		hi = std::min(hi, quantize_real(y, 6.0f));
	} else if (a == "RELU_N1_TO_1") {
		lo = std::max(lo, quantize_real(y, -1.0f));
		hi = std::min(hi, quantize_real(y, 1.0f));
	} else {
		c.fail("activation '" + a + "' is not NONE, RELU, RELU6 or RELU_N1_TO_1");
	}
	if (lo > hi)
		c.fail("the activation's range is empty at this output quantisation");
}

kinfer_qmul qmul(const NodeAttrs &c, double real, const char *what)
{
	if (!(real >= 0.0) || !std::isfinite(real))
		c.fail(std::string(what) + " multiplier is not a finite non-negative number");
	QMul q = quantize_multiplier(real);
	if (!kinfer_q_mul_valid(q.multiplier, q.shift))
		c.fail(std::string(what) + " multiplier " + std::to_string(real) +
		       " is out of the range int8 kernels represent");
	return kinfer_qmul{q.multiplier, q.shift};
}

std::vector<int64_t> ints_attr(const NodeAttrs &c, const char *name, size_t n)
{
	std::vector<int64_t> v = c.attr_ints(name);
	if (v.size() != n)
		c.fail(std::string("attribute ") + name + " must have " + std::to_string(n) + " values");
	for (int64_t x : v)
		if (x < 0 || x > (1 << 20))
			c.fail(std::string("attribute ") + name + " has a value outside 0..2^20");
	return v;
}

// The weight's scales: one, or one per output channel.
std::vector<float> weight_scales(const NodeAttrs &c, int64_t channels)
{
	std::vector<float> s = c.attr_floats("w_scales");
	if (s.size() != 1 && (int64_t)s.size() != channels)
		c.fail("w_scales has " + std::to_string(s.size()) + " values for " + std::to_string(channels) +
		       " output channels");
	for (float x : s)
		if (!(std::isnormal(x) && x > 0.0f))
			c.fail("w_scales must be positive, finite and normal");
	return s;
}

void check_int8_const(const NodeCtx &c, size_t i, size_t rank)
{
	const Value &v = c.in(i, {DType::i8});
	if (!v.constant || v.shape.size() != rank)
		c.fail(c.what(i) + " must be a constant of rank " + std::to_string(rank));
}

void check_bias(const NodeCtx &c, size_t i, int64_t channels)
{
	if (!c.has_in(i))
		return;
	const Value &b = c.in(i, {DType::i32});
	if (!b.constant || b.shape != Shape{channels})
		c.fail(c.what(i) + " must be a constant int32 [" + std::to_string(channels) + "]");
}

// Multiplier and shift per output channel as the two int32 weights the
// kernel op binds.
std::pair<LRef, LRef> channel_multipliers(const LowerCtx &c, const std::vector<kinfer_qmul> &m)
{
	std::vector<int64_t> mult, shift;
	for (const kinfer_qmul &q : m) {
		mult.push_back(q.multiplier);
		shift.push_back(q.shift);
	}
	Shape s{(int64_t)m.size()};
	std::string base = c.n.name.empty() ? c.n.op + std::to_string(c.n.index) : c.n.name;
	return {c.weight(base + "/multiplier", HostTensor::from_ints(DType::i32, s, mult)),
		c.weight(base + "/shift", HostTensor::from_ints(DType::i32, s, shift))};
}

Shape declared_shape(const NodeCtx &c, const Shape &computed)
{
	if (!c.has_attr("y_shape"))
		return computed;
	std::vector<int64_t> d = c.attr_ints("y_shape");
	if (Shape(d.begin(), d.end()) != computed)
		c.fail("the file says the output is " + shape_str(Shape(d.begin(), d.end())) + " but it is " +
		       shape_str(computed));
	return computed;
}

// Output length of a window along one axis, TFLite's explicit padding.
int64_t window_out(const NodeAttrs &c, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe)
{
	int64_t eff = (k - 1) * d + 1;
	if (k < 1 || s < 1 || d < 1 || in + pb + pe < eff || pb >= eff)
		c.fail("the window does not fit the input");
	return (in + pb + pe - eff) / s + 1;
}

} // namespace

// ---- FullyConnected ----

void infer_tfl_fully_connected(NodeCtx &c)
{
	c.arity(2, 3);
	const Value &x = c.in(0, {DType::i8});
	check_int8_const(c, 1, 2);
	const Shape &w = c.in(1).shape;
	int64_t n = w[0], k = w[1];
	if (x.shape.empty() || x.numel() % (uint64_t)k)
		c.fail(c.what(0) + " " + shape_str(x.shape) + " does not divide into rows of " + std::to_string(k));
	check_bias(c, 2, n);
	weight_scales(c, n);
	qparam(c, "x");
	qparam(c, "y");
	int64_t m = (int64_t)(x.numel() / (uint64_t)k);
	Shape y{m, n};
	if (c.has_attr("y_shape")) {
		std::vector<int64_t> d = c.attr_ints("y_shape");
		Shape ys(d.begin(), d.end());
		if (ys.empty() || ys.back() != n || shape_numel(ys) != (uint64_t)(m * n))
			c.fail("the file's output shape " + shape_str(ys) + " does not hold " + std::to_string(m) +
			       " rows of " + std::to_string(n));
		y = ys;
	}
	c.define(0, DType::i8, y);
}

void lower_tfl_fully_connected(LowerCtx &c)
{
	QParam x = qparam(c, "x"), y = qparam(c, "y");
	const Shape &w = c.value(1).shape;
	int64_t n = w[0], k = w[1];
	std::vector<float> ws = weight_scales(c, n);
	std::vector<kinfer_qmul> m;
	for (float s : ws) {
		// Per-tensor: TFLite multiplies the two scales in float first.
		double real = ws.size() == 1 ? (double)(x.scale * s) / (double)y.scale
					     : (double)x.scale * (double)s / (double)y.scale;
		m.push_back(qmul(c, real, "the output"));
	}
	kinfer_attr_qmatmul a{};
	a.input_offset = -x.zero_point;
	a.output_offset = y.zero_point;
	act_range(c, y, a.act_min, a.act_max);
	auto [mult, shift] = channel_multipliers(c, m);
	LRef in = c.in(0);
	int64_t rows = (int64_t)(shape_numel(in.shape) / (uint64_t)k);
	c.emit(KINFER_OP_QFULLY_CONNECTED, {in.reshaped({rows, k}), c.in(1), c.has_in(2) ? c.in(2) : LRef{}, mult, shift},
	       {c.out(0).reshaped({rows, n})}, a);
}

// ---- Conv2D, DepthwiseConv2D ----

void infer_tfl_conv(NodeCtx &c)
{
	c.arity(2, 3);
	bool dw = c.n.op == "DepthwiseConv2D";
	const Value &x = c.in(0, {DType::i8});
	if (x.shape.size() != 4)
		c.fail(c.what(0) + " must be NHWC");
	check_int8_const(c, 1, 4);
	const Shape &w = c.in(1).shape;
	int64_t ch = dw ? w[3] : w[0];
	if (dw) {
		int64_t dm = c.attr_int("depth_multiplier", 0);
		if (w[0] != 1 || dm < 1 || x.shape[3] * dm != ch)
			c.fail("the weight " + shape_str(w) + " does not fit " + std::to_string(x.shape[3]) +
			       " input channels with depth_multiplier " + std::to_string(dm));
	} else if (w[3] != x.shape[3]) {
		c.fail("the weight " + shape_str(w) + " does not fit " + std::to_string(x.shape[3]) + " input channels");
	}
	check_bias(c, 2, ch);
	weight_scales(c, ch);
	qparam(c, "x");
	qparam(c, "y");
	std::vector<int64_t> s = ints_attr(c, "strides", 2), d = ints_attr(c, "dilations", 2);
	std::vector<int64_t> p = ints_attr(c, "pads", 4);
	int64_t oh = window_out(c, x.shape[1], w[1], s[0], d[0], p[0], p[2]);
	int64_t ow = window_out(c, x.shape[2], w[2], s[1], d[1], p[1], p[3]);
	c.define(0, DType::i8, declared_shape(c, {x.shape[0], oh, ow, ch}));
}

void lower_tfl_conv(LowerCtx &c)
{
	bool dw = c.n.op == "DepthwiseConv2D";
	QParam x = qparam(c, "x"), y = qparam(c, "y");
	const Shape &w = c.value(1).shape;
	int64_t ch = dw ? w[3] : w[0];
	std::vector<float> ws = weight_scales(c, ch);
	std::vector<kinfer_qmul> m;
	for (float s : ws)	// TFLite's per-channel arithmetic: double throughout
		m.push_back(qmul(c, (double)x.scale * (double)s / (double)y.scale, "the output"));
	std::vector<int64_t> s = c.attr_ints("strides"), d = c.attr_ints("dilations"), p = c.attr_ints("pads");
	kinfer_attr_qconv a{};
	a.stride_h = (uint32_t)s[0];
	a.stride_w = (uint32_t)s[1];
	a.dilation_h = (uint32_t)d[0];
	a.dilation_w = (uint32_t)d[1];
	a.pad_top = (uint32_t)p[0];
	a.pad_left = (uint32_t)p[1];
	a.depth_multiplier = dw ? (uint32_t)c.attr_int("depth_multiplier", 1) : 0;
	a.input_offset = -x.zero_point;
	a.output_offset = y.zero_point;
	act_range(c, y, a.act_min, a.act_max);
	auto [mult, shift] = channel_multipliers(c, m);
	c.emit(dw ? KINFER_OP_QDEPTHWISE_CONV : KINFER_OP_QCONV,
	       {c.in(0), c.in(1), c.has_in(2) ? c.in(2) : LRef{}, mult, shift}, {c.out(0)}, a);
}

// ---- AveragePool2D, MaxPool2D ----

void infer_tfl_pool(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::i8});
	if (x.shape.size() != 4)
		c.fail(c.what(0) + " must be NHWC");
	QParam xq = qparam(c, "x"), yq = qparam(c, "y");
	if (xq.scale != yq.scale || xq.zero_point != yq.zero_point)
		c.fail("input and output must have one quantisation (as TFLite requires)");
	std::vector<int64_t> k = ints_attr(c, "kernel_shape", 2), s = ints_attr(c, "strides", 2);
	std::vector<int64_t> p = ints_attr(c, "pads", 4);
	int64_t oh = window_out(c, x.shape[1], k[0], s[0], 1, p[0], p[2]);
	int64_t ow = window_out(c, x.shape[2], k[1], s[1], 1, p[1], p[3]);
	c.define(0, DType::i8, declared_shape(c, {x.shape[0], oh, ow, x.shape[3]}));
}

void lower_tfl_pool(LowerCtx &c)
{
	std::vector<int64_t> k = c.attr_ints("kernel_shape"), s = c.attr_ints("strides"), p = c.attr_ints("pads");
	kinfer_attr_qpool a{};
	a.filter_h = (uint32_t)k[0];
	a.filter_w = (uint32_t)k[1];
	a.stride_h = (uint32_t)s[0];
	a.stride_w = (uint32_t)s[1];
	a.pad_top = (uint32_t)p[0];
	a.pad_left = (uint32_t)p[1];
	act_range(c, qparam(c, "y"), a.act_min, a.act_max);
	c.emit(c.n.op == "MaxPool2D" ? KINFER_OP_QMAXPOOL : KINFER_OP_QAVERAGEPOOL, {c.in(0)}, {c.out(0)}, a);
}

// ---- Add, Mul ----

void infer_tfl_binary(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &a = c.in(0, {DType::i8}), &b = c.in(1, {DType::i8});
	qparam(c, "a");
	qparam(c, "b");
	qparam(c, "y");
	Shape y;
	if (!broadcast_shapes(a.shape, b.shape, y))
		c.fail("shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not broadcast");
	c.define(0, DType::i8, y);
}

void lower_tfl_binary(LowerCtx &c)
{
	QParam qa = qparam(c, "a"), qb = qparam(c, "b"), qy = qparam(c, "y");
	kinfer_attr_qbinary a{};
	a.input1_offset = -qa.zero_point;
	a.input2_offset = -qb.zero_point;
	a.output_offset = qy.zero_point;
	act_range(c, qy, a.act_min, a.act_max);
	uint32_t op = KINFER_OP_QMUL;
	if (c.n.op == "Add") {
		// TFLite's ADD Prepare: both inputs scaled against twice the larger
		// scale, after a left shift of 20 that keeps their precision.
		a.left_shift = 20;
		double twice_max = (double)(2 * std::max(qa.scale, qb.scale));
		a.input1 = qmul(c, qa.scale / twice_max, "input 1's");
		a.input2 = qmul(c, qb.scale / twice_max, "input 2's");
		a.output = qmul(c, twice_max / ((1 << a.left_shift) * (double)qy.scale), "the output");
		op = KINFER_OP_QADD;
	} else {
		// MUL's: the real multiplier in float, as TFLite computes it.
		float real = qa.scale * qb.scale / qy.scale;
		a.output = qmul(c, (double)real, "the output");
	}
	c.emit(op, {c.in(0), c.in(1)}, {c.out(0)}, a);
}

// ---- Softmax ----

void infer_tfl_softmax(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::i8});
	if (x.shape.empty())
		c.fail("the input is a scalar");
	qparam(c, "x");
	QParam y = qparam(c, "y");
	if (y.scale != 1.0f / 256 || y.zero_point != -128)
		c.fail("an int8 softmax's output must have scale 1/256 and zero point -128 (as TFLite requires)");
	float beta = c.attr_float("beta", 1.0f);
	if (!(std::isfinite(beta) && beta > 0.0f))
		c.fail("beta must be positive and finite");
	c.define(0, DType::i8, x.shape);
}

void lower_tfl_softmax(LowerCtx &c)
{
	QParam x = qparam(c, "x");
	SoftmaxParams p = softmax_params(c.attr_float("beta", 1.0f), x.scale);
	kinfer_attr_qsoftmax a{};
	a.input.multiplier = p.multiplier;
	a.input.shift = p.left_shift;
	a.diff_min = p.diff_min;
	a.output_offset = -128;
	c.emit(KINFER_OP_QSOFTMAX, {c.in(0)}, {c.out(0)}, a);
}

// ---- Logistic, Tanh, Relu, Relu6, Quantize (int8 to int8): a table ----

namespace {

// TFLite's LUTPopulate: dequantise, transform, requantise, all in float.
kinfer_attr_qlut float_table(const QParam &x, const QParam &y, float (*f)(float))
{
	kinfer_attr_qlut t{};
	float inverse = 1.0f / y.scale;
	for (int32_t v = -128; v <= 127; v++) {
		float real = x.scale * (float)(v - x.zero_point);
		float r = std::round(f(real) * inverse);
		float q = r + (float)y.zero_point;
		int32_t i = std::isnan(q) ? y.zero_point : q < -128.0f ? -128 : q > 127.0f ? 127 : (int32_t)q;
		t.table[v + 128] = (int8_t)i;
	}
	return t;
}

float logistic(float v)
{
	return 1.0f / (1.0f + std::exp(-v));
}

float tanh_f(float v)
{
	return std::tanh(v);
}

float relu(float v)
{
	return std::max(v, 0.0f);
}

float relu6(float v)
{
	return std::min(std::max(v, 0.0f), 6.0f);
}

} // namespace

void infer_tfl_unary(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::i8});
	qparam(c, "x");
	qparam(c, "y");
	c.define(0, DType::i8, x.shape);
}

void lower_tfl_unary(LowerCtx &c)
{
	QParam x = qparam(c, "x"), y = qparam(c, "y");
	const std::string &op = c.n.op;
	float (*f)(float) = op == "Logistic" ? logistic : op == "Tanh" ? tanh_f : op == "Relu" ? relu : relu6;
	c.emit(KINFER_OP_QLUT, {c.in(0)}, {c.out(0)}, float_table(x, y, f));
}

// ---- Quantize, Dequantize ----

void infer_tfl_quantize(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::f32, DType::i8});
	if (x.dtype == DType::i8)
		qparam(c, "x");
	qparam(c, "y");
	c.define(0, DType::i8, x.shape);
}

void lower_tfl_quantize(LowerCtx &c)
{
	QParam y = qparam(c, "y");
	if (c.value(0).dtype == DType::f32) {
		kinfer_attr_qconvert a{};
		a.scale.f = y.scale;
		a.zero_point = y.zero_point;
		c.emit(KINFER_OP_QUANTIZE, {c.in(0)}, {c.out(0)}, a);
		return;
	}
	// int8 to int8 is TFLite's Requantize: (x - zp) * in/out + zp', with
	// the fixed-point multiplier; as a table of its 256 results.
	QParam x = qparam(c, "x");
	kinfer_qmul m = qmul(c, (double)x.scale / (double)y.scale, "the requantisation");
	kinfer_attr_qlut t{};
	for (int32_t v = -128; v <= 127; v++) {
		int32_t q = kinfer_q_requant(v - x.zero_point, m.multiplier, m.shift) + y.zero_point;
		t.table[v + 128] = (int8_t)kinfer_q_clamp(q, -128, 127);
	}
	c.emit(KINFER_OP_QLUT, {c.in(0)}, {c.out(0)}, t);
}

void infer_tfl_dequantize(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::i8});
	qparam(c, "x");
	c.define(0, DType::f32, x.shape);
}

void lower_tfl_dequantize(LowerCtx &c)
{
	QParam x = qparam(c, "x");
	kinfer_attr_qconvert a{};
	a.scale.f = x.scale;
	a.zero_point = x.zero_point;
	c.emit(KINFER_OP_DEQUANTIZE, {c.in(0)}, {c.out(0)}, a);
}

// ---- Mean ----

void infer_tfl_mean(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::i8});
	qparam(c, "x");
	qparam(c, "y");
	uint32_t mask = axes_mask(c, c.attr_ints("axes"), x.shape.size());
	Shape y;
	for (size_t i = 0; i < x.shape.size(); i++) {
		if (!(mask >> i & 1))
			y.push_back(x.shape[i]);
		else if (c.attr_int("keepdims", 0))
			y.push_back(1);
	}
	c.define(0, DType::i8, y);
}

void lower_tfl_mean(LowerCtx &c)
{
	QParam x = qparam(c, "x"), y = qparam(c, "y");
	const Shape &xs = c.value(0).shape;
	uint32_t mask = axes_mask(c, c.attr_ints("axes"), xs.size());
	Shape kept;
	int64_t count = 1;
	for (size_t i = 0; i < xs.size(); i++) {
		kept.push_back(mask >> i & 1 ? 1 : xs[i]);
		if (mask >> i & 1)
			count *= xs[i];
	}
	kinfer_attr_qmean a{};
	a.axes = mask;
	a.input_offset = -x.zero_point;
	a.output_offset = y.zero_point;
	// May fall below 2^30 (1/count is folded in by division); QMEAN's
	// prepare checks the range it accepts.
	QMul m = mean_multiplier(x.scale, y.scale, count);
	a.output = kinfer_qmul{m.multiplier, m.shift};
	c.emit(KINFER_OP_QMEAN, {c.in(0)}, {c.out(0).reshaped(kept)}, a);
}

} // namespace kinfer
