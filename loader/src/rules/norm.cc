// SPDX-License-Identifier: GPL-2.0
// Normalisation: LayerNormalization, RMSNormalization,
// InstanceNormalization, GroupNormalization and MeanVarianceNormalization
// (all the kernel's norm class: statistics over a set of axes, then an
// optional scale and bias broadcast onto x), BatchNormalization at
// inference (BATCH_NORM), and LpNormalization (L1_NORMALIZE,
// L2_NORMALIZE along an axis).
#include "rules.h"

#include <uapi/kinfer.h>

#include <cmath>

namespace kinfer {

namespace {

// ONNX unidirectional broadcast of p onto x.
bool broadcasts_onto(const Shape &p, const Shape &x)
{
	if (p.size() > x.size())
		return false;
	size_t off = x.size() - p.size();
	for (size_t i = 0; i < p.size(); i++)
		if (p[i] != 1 && p[i] != x[off + i])
			return false;
	return true;
}

// Bits [from, rank) set.
uint32_t axes_from(size_t from, size_t rank)
{
	return (uint32_t)((1ULL << rank) - (1ULL << from));
}

float checked_epsilon(const NodeAttrs &c, float def)
{
	float eps = c.attr_float("epsilon", def);
	if (!(eps >= 0.0f) || std::isinf(eps))
		c.fail("epsilon=" + std::to_string(eps) + " is not supported (it must be finite and >= 0)");
	return eps;
}

void check_stash_type(const NodeAttrs &c)
{
	int64_t t = c.attr_int("stash_type", 1);
	if (t != 1)
		c.fail("stash_type=" + std::to_string(t) +
		       " is not supported (statistics are computed in float32 or better)");
}

// Input i is a float32 that broadcasts onto x (scale, bias).
void check_onto(const NodeCtx &c, size_t i, const Shape &x)
{
	const Value &v = c.in_f32(i);
	if (!broadcasts_onto(v.shape, x))
		c.fail(c.what(i) + " has shape " + shape_str(v.shape) + ", which does not broadcast to " +
		       shape_str(x));
}

// Input i is a float32 of exactly `want`.
void check_shape(const NodeCtx &c, size_t i, const Shape &want, const char *what)
{
	const Value &v = c.in_f32(i);
	if (v.shape != want)
		c.fail(c.what(i) + " (" + what + ") has shape " + shape_str(v.shape) + ", expected " +
		       shape_str(want));
}

LRef opt_in(const LowerCtx &c, size_t i)
{
	return c.has_in(i) ? c.in(i) : LRef{};
}

kinfer_attr_norm norm_attr(uint32_t axes, float eps)
{
	kinfer_attr_norm a{};
	a.axes = axes;
	a.epsilon.f = eps;
	return a;
}

Shape spatial_x(const Shape &x)
{
	if (x.size() < 3)
		return x;
	int64_t s = 1;
	for (size_t i = 2; i < x.size(); i++)
		s *= x[i];
	return {x[0], x[1], s};
}

} // namespace

// LayerNormalization: over axes [axis, rank); Mean and InvStdDev outputs.
void infer_layer_norm(NodeCtx &c)
{
	c.arity(2, 3, 1, 3);
	const Value &x = c.in_f32(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	int64_t axis = c.axis(c.attr_int("axis", -1), x.shape.size());
	checked_epsilon(c, 1e-5f);
	check_stash_type(c);
	check_onto(c, 1, x.shape);
	if (c.has_in(2))
		check_onto(c, 2, x.shape);
	c.define(0, DType::f32, x.shape);
	Shape stats(x.shape.begin(), x.shape.begin() + axis);
	stats.resize(x.shape.size(), 1);
	c.define(1, DType::f32, stats);
	c.define(2, DType::f32, stats);
}

void lower_layer_norm(LowerCtx &c)
{
	size_t rank = c.value(0).shape.size();
	int64_t axis = c.attr_int("axis", -1);
	if (axis < 0)
		axis += (int64_t)rank;
	LRef mean = c.has_out(1) ? c.out(1) : LRef{};
	LRef inv = c.has_out(2) ? c.out(2) : LRef{};
	c.emit(KINFER_OP_LAYER_NORM, {c.in(0), c.in(1), opt_in(c, 2)}, {c.out(0), mean, inv},
	       norm_attr(axes_from((size_t)axis, rank), c.attr_float("epsilon", 1e-5f)));
}

// RMSNormalization (opset 23): x / sqrt(mean(x^2) + epsilon) * scale.
void infer_rms_norm(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in_f32(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	c.axis(c.attr_int("axis", -1), x.shape.size());
	checked_epsilon(c, 1e-5f);
	check_stash_type(c);
	check_onto(c, 1, x.shape);
	c.define(0, DType::f32, x.shape);
}

void lower_rms_norm(LowerCtx &c)
{
	size_t rank = c.value(0).shape.size();
	int64_t axis = c.attr_int("axis", -1);
	if (axis < 0)
		axis += (int64_t)rank;
	c.emit(KINFER_OP_RMS_NORM, {c.in(0), c.in(1)}, {c.out(0)},
	       norm_attr(axes_from((size_t)axis, rank), c.attr_float("epsilon", 1e-5f)));
}

// InstanceNormalization: x [N, C, D...] over D..., scale and B [C].
void infer_instance_norm(NodeCtx &c)
{
	c.arity(3, 3);
	const Value &x = c.in_f32(0);
	if (x.shape.size() < 3)
		c.fail("the input has shape " + shape_str(x.shape) + "; InstanceNormalization takes "
		       "[N, C, D1, ...]");
	checked_epsilon(c, 1e-5f);
	check_shape(c, 1, {x.shape[1]}, "scale");
	check_shape(c, 2, {x.shape[1]}, "B");
	c.define(0, DType::f32, x.shape);
}

void lower_instance_norm(LowerCtx &c)
{
	LRef x = c.in(0);
	Shape xs = spatial_x(x.shape);	// [N, C, D]
	Shape ps{xs[1], 1};		// scale and B onto [N, C, D]
	c.emit(KINFER_OP_LAYER_NORM, {x.reshaped(xs), c.in(1).reshaped(ps), c.in(2).reshaped(ps)},
	       {c.out(0).reshaped(xs)}, norm_attr(1U << 2, c.attr_float("epsilon", 1e-5f)));
}

// GroupNormalization: x [N, C, D...] in num_groups groups of channels;
// scale and bias per group (opset 18) or per channel (opset 21).
void infer_group_norm(NodeCtx &c)
{
	c.arity(3, 3);
	const Value &x = c.in_f32(0);
	if (x.shape.size() < 2)
		c.fail("the input has shape " + shape_str(x.shape) + "; GroupNormalization takes "
		       "[N, C, D1, ...]");
	if (!c.has_attr("num_groups"))
		c.fail("the num_groups attribute is missing");
	int64_t g = c.attr_int("num_groups", 1), ch = x.shape[1];
	if (g <= 0 || ch % g)
		c.fail("num_groups=" + std::to_string(g) + " does not divide the " + std::to_string(ch) +
		       " channels");
	checked_epsilon(c, 1e-5f);
	if (c.g.opset < 21 && c.has_attr("stash_type"))
		c.fail("attribute 'stash_type' is not supported before opset 21");
	check_stash_type(c);
	int64_t per = c.g.opset >= 21 ? ch : g;
	check_shape(c, 1, {per}, c.g.opset >= 21 ? "scale, per channel" : "scale, per group");
	check_shape(c, 2, {per}, c.g.opset >= 21 ? "bias, per channel" : "bias, per group");
	c.define(0, DType::f32, x.shape);
}

void lower_group_norm(LowerCtx &c)
{
	LRef x = c.in(0);
	int64_t g = c.attr_int("num_groups", 1), ch = x.shape[1], d = 1;
	for (size_t i = 2; i < x.shape.size(); i++)
		d *= x.shape[i];
	Shape xs{x.shape[0], g, ch / g, d};
	Shape ps = c.g.opset >= 21 ? Shape{g, ch / g, 1} : Shape{g, 1, 1};
	c.emit(KINFER_OP_LAYER_NORM, {x.reshaped(xs), c.in(1).reshaped(ps), c.in(2).reshaped(ps)},
	       {c.out(0).reshaped(xs)}, norm_attr(3U << 2, c.attr_float("epsilon", 1e-5f)));
}

namespace {

// MeanVarianceNormalization's axes: the attribute from opset 9 (default
// [0, 2, 3]); before, across_channels=1 takes every axis and 0 every axis
// but the channels (as ONNX Runtime reads opset 1, and as opset 9's
// default continues it).
uint32_t mvn_axes(const NodeAttrs &c, int opset, size_t rank)
{
	if (opset < 9) {
		if (c.has_attr("axes"))
			c.fail("attribute 'axes' is not supported before opset 9");
		if (c.attr_int("normalize_variance", 1) == 0)
			c.fail("normalize_variance=0 is not supported");
		if (rank < 2)
			c.fail("the input has rank " + std::to_string(rank) +
			       "; MeanVarianceNormalization takes [N, C, ...]");
		return axes_from(0, rank) & ~(c.attr_int("across_channels", 0) ? 0U : 2U);
	}
	if (c.has_attr("across_channels") || c.has_attr("normalize_variance"))
		c.fail(std::string("attribute '") +
		       (c.has_attr("across_channels") ? "across_channels" : "normalize_variance") +
		       "' is not supported from opset 9 (use axes)");
	return axes_mask(c, c.has_attr("axes") ? c.attr_ints("axes") : std::vector<int64_t>{0, 2, 3},
			 rank);
}

// ONNX defines MeanVarianceNormalization as (x - mean) / (sqrt(var) +
// 1e-9); the kernel computes (x - mean) / sqrt(var + eps).  With eps =
// 1e-18 the two agree to a relative 1e-9 / sqrt(var) and both give 0 for
// a constant group.
constexpr float kMvnEpsilon = 1e-18f;

} // namespace

void infer_mvn(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in_f32(0);
	mvn_axes(c, c.g.opset, x.shape.size());
	c.define(0, DType::f32, x.shape);
}

void lower_mvn(LowerCtx &c)
{
	uint32_t mask = mvn_axes(c, c.g.opset, c.value(0).shape.size());
	c.emit(KINFER_OP_LAYER_NORM, {c.in(0)}, {c.out(0)}, norm_attr(mask, kMvnEpsilon));
}

// BatchNormalization at inference: per channel (axis 1) with the running
// mean and variance; opset 7-8's spatial=0 takes parameters of x's shape
// without N.
void infer_batch_norm(NodeCtx &c)
{
	c.arity(5, 5, 1, 5);
	if (c.attr_int("training_mode", 0) != 0)
		c.fail("training_mode=1 is not supported (kinfer runs inference)");
	for (size_t i = 1; i < c.n_out(); i++)
		if (c.has_out(i))
			c.fail("output " + std::to_string(i) + " ('" + c.n.out[i] +
			       "') exists only in training_mode, which kinfer does not support");
	if (c.has_attr("spatial") && c.g.opset >= 9)
		c.fail("attribute 'spatial' is not supported from opset 9");
	if (c.has_attr("training_mode") && c.g.opset < 14)
		c.fail("attribute 'training_mode' is not supported before opset 14");
	const Value &x = c.in_f32(0);
	if (x.shape.size() < 2)
		c.fail("the input has shape " + shape_str(x.shape) + "; BatchNormalization takes "
		       "[N, C, D1, ...]");
	checked_epsilon(c, 1e-5f);
	bool spatial = c.attr_int("spatial", 1) != 0;
	Shape ps = spatial ? Shape{x.shape[1]} : Shape(x.shape.begin() + 1, x.shape.end());
	const char *names[] = {"", "scale", "B", "mean", "var"};
	for (size_t i = 1; i < 5; i++)
		check_shape(c, i, ps, names[i]);
	c.define(0, DType::f32, x.shape);
}

void lower_batch_norm(LowerCtx &c)
{
	LRef x = c.in(0), y = c.out(0);
	float eps = c.attr_float("epsilon", 1e-5f);
	if (c.attr_int("spatial", 1) == 0) {
		Shape flat{x.shape[0], (int64_t)shape_numel(x.shape) / x.shape[0]};
		x = x.reshaped(flat);
		y = y.reshaped(flat);
	}
	int64_t ch = x.shape[1];
	bool folded = true;
	for (size_t i = 1; i < 5; i++)
		folded = folded && c.value(i).constant;
	if (!folded) {
		kinfer_attr_epsilon attr{};
		attr.epsilon.f = eps;
		std::vector<LRef> in{x};
		for (size_t i = 1; i < 5; i++)
			in.push_back(c.in(i).reshaped({ch}));
		c.emit(KINFER_OP_BATCH_NORM, std::move(in), {y}, attr);
		return;
	}
	// Constant parameters: y = x * a + b with a = scale / sqrt(var + eps)
	// and b = B - mean * a, computed here in double.
	std::vector<float> s = c.value(1).data.floats(), b = c.value(2).data.floats();
	std::vector<float> m = c.value(3).data.floats(), v = c.value(4).data.floats();
	std::vector<float> a(ch), o(ch);
	for (int64_t k = 0; k < ch; k++) {
		double ak = (double)s[k] / std::sqrt((double)v[k] + (double)eps);
		a[k] = (float)ak;
		o[k] = (float)((double)b[k] - (double)m[k] * ak);
	}
	const std::string &src = c.value(1).source.empty() ? c.n.in[1] : c.value(1).source;
	LRef wa = c.weight(src + ".bn_scale", HostTensor::from_floats({ch}, a));
	LRef wb = c.weight(src + ".bn_shift", HostTensor::from_floats({ch}, o));
	c.emit(KINFER_OP_BATCH_NORM, {x, wa, wb}, {y}, kinfer_attr_epsilon{});
}

// LpNormalization: x / ||x||_p along axis, p = 1 or 2.
void infer_lp_norm(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in_f32(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	c.axis(c.attr_int("axis", -1), x.shape.size());
	int64_t p = c.attr_int("p", 2);
	if (p != 1 && p != 2)
		c.fail("p=" + std::to_string(p) + " is not supported (1 or 2)");
	c.define(0, DType::f32, x.shape);
}

void lower_lp_norm(LowerCtx &c)
{
	LRef x = c.in(0);
	int64_t axis = c.attr_int("axis", -1);
	if (axis < 0)
		axis += (int64_t)x.shape.size();
	kinfer_attr_axis attr{};
	attr.axis = (uint32_t)axis;
	uint32_t op = c.attr_int("p", 2) == 1 ? KINFER_OP_L1_NORMALIZE : KINFER_OP_L2_NORMALIZE;
	c.emit(op, {x}, {c.out(0)}, attr);
}

} // namespace kinfer
