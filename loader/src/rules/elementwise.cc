// SPDX-License-Identifier: GPL-2.0
// Elementwise operators beyond the plain unary and binary rows: Gelu,
// Neg, Reciprocal, Clip, Pow, PRelu, the variadic Max/Min/Sum/Mean,
// comparisons, logic, Where, Cast and CastLike.
#include "rules.h"

#include "onnx_reader.h"

#include <cmath>
#include <limits>

namespace kinfer {

namespace {

const std::initializer_list<DType> kArith = {DType::f32, DType::i32, DType::i64};
const std::initializer_list<DType> kAll = {DType::f32, DType::i32, DType::i64, DType::boolean};

// A scalar weight of dtype t holding v (exact for the small values used).
LRef scalar(const LowerCtx &c, DType t, double v, const char *what)
{
	HostTensor h = t == DType::f32 ? HostTensor::from_floats({}, {(float)v})
				       : HostTensor::from_ints(t, {}, {(int64_t)v});
	return c.weight(c.n.out[0] + "." + what, std::move(h));
}

// Broadcast of inputs [0, n), all of one dtype from `types`.
Shape broadcast_inputs(NodeCtx &c, size_t n, std::initializer_list<DType> types)
{
	const Value &first = c.in(0, types);
	Shape out = first.shape;
	for (size_t i = 1; i < n; i++) {
		const Value &v = c.in(i, types);
		if (v.dtype != first.dtype)
			c.fail(c.what(0) + " is " + dtype_str(first.dtype) + " but " + c.what(i) + " is " +
			       dtype_str(v.dtype));
		Shape next;
		if (!broadcast_shapes(out, v.shape, next))
			c.fail("operands " + shape_str(out) + " and " + shape_str(v.shape) +
			       " do not broadcast");
		out = next;
	}
	return out;
}

// A cast of `r` into a fresh scratch storage of dtype t.
LRef cast_to(const LowerCtx &c, const LRef &r, DType t, const char *what)
{
	LRef s = c.scratch(t, r.shape, c.n.out[0] + "." + what);
	c.emit(KINFER_OP_CAST, {r}, {s});
	return s;
}

} // namespace

// Gelu (opset 20): approximate "none" (erf) or "tanh".
void infer_gelu(NodeCtx &c)
{
	std::string a = c.attr_string("approximate", "none");
	if (a != "none" && a != "tanh")
		c.fail("approximate=" + a + " is not supported (none or tanh)");
	infer_unary(c);
}

void lower_gelu(LowerCtx &c)
{
	uint32_t op = c.attr_string("approximate", "none") == "tanh" ? KINFER_OP_GELU_TANH : KINFER_OP_GELU;
	c.emit(op, {c.in(0)}, {c.out(0)});
}

// Neg: x * -1 (exact, -0 included; integers wrap like numpy).
void infer_neg(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, kArith);
	c.define(0, x.dtype, x.shape);
}

void lower_neg(LowerCtx &c)
{
	c.emit(KINFER_OP_MUL, {c.in(0), scalar(c, c.value(0).dtype, -1.0, "minus_one")}, {c.out(0)});
}

// Reciprocal: 1 / x.
void lower_reciprocal(LowerCtx &c)
{
	c.emit(KINFER_OP_DIV, {scalar(c, DType::f32, 1.0, "one"), c.in(0)}, {c.out(0)});
}

// Clip: bounds are attributes before opset 11 (float only), optional
// scalar inputs from 11 on (and any numeric dtype from 12).  Constant
// bounds of a float32 x become the CLIP op's parameters; other cases are
// MAX with the lower bound, then MIN with the upper one.  An omitted
// bound does not clip (numpy's clip with None).
namespace {

bool clip_no_bounds(const Graph &g, const Node &n)
{
	if (g.opset < 11)
		return false;
	return (n.in.size() < 2 || n.in[1].empty()) && (n.in.size() < 3 || n.in[2].empty());
}

bool clip_const_bounds(const Graph &g, const Node &n)
{
	if (g.value(n.in[0]).dtype != DType::f32)
		return false;
	for (size_t i = 1; i < n.in.size(); i++)
		if (!n.in[i].empty() && !g.value(n.in[i]).constant)
			return false;
	return true;
}

float clip_bound(const Graph &g, const Node &n, size_t i, float def)
{
	if (i >= n.in.size() || n.in[i].empty())
		return def;
	return (float)g.value(n.in[i]).data.get(0);
}

} // namespace

void infer_clip(NodeCtx &c)
{
	if (c.g.opset < 11) {
		c.arity(1, 1);
		c.in_f32(0);
	} else {
		if (c.has_attr("min") || c.has_attr("max"))
			c.fail("attribute 'min'/'max' is not supported from opset 11 (the bounds are inputs)");
		c.arity(1, 3);
		const Value &x = c.in(0, kArith);
		for (size_t i = 1; i < 3; i++) {
			if (!c.has_in(i))
				continue;
			const Value &b = c.in(i, kArith);
			if (b.dtype != x.dtype)
				c.fail(c.what(i) + " is " + dtype_str(b.dtype) + " but " + c.what(0) + " is " +
				       dtype_str(x.dtype));
			if (b.numel() != 1 || b.shape.size() > 1)
				c.fail(std::string(i == 1 ? "min " : "max ") + c.what(i) + " must be a scalar, not " +
				       shape_str(b.shape));
		}
	}
	const Value &x = c.in(0);
	if (clip_no_bounds(c.g, c.n))
		c.define_view(0, x.shape);
	else
		c.define(0, x.dtype, x.shape);
}

void lower_clip(LowerCtx &c)
{
	const float inf = std::numeric_limits<float>::infinity();
	if (clip_no_bounds(c.g, c.n)) {
		lower_view(c);
		return;
	}
	if (c.g.opset < 11 || clip_const_bounds(c.g, c.n)) {
		kinfer_attr_alpha_beta attr{};
		attr.alpha.f = c.g.opset < 11 ? c.attr_float("min", -inf) : clip_bound(c.g, c.n, 1, -inf);
		attr.beta.f = c.g.opset < 11 ? c.attr_float("max", inf) : clip_bound(c.g, c.n, 2, inf);
		c.emit(KINFER_OP_CLIP, {c.in(0)}, {c.out(0)}, attr);
		return;
	}
	bool lo = c.has_in(1), hi = c.has_in(2);
	LRef x = c.in(0);
	LRef out = c.out(0);
	if (lo) {
		LRef t = hi ? c.scratch(x.dtype, x.shape, c.n.out[0] + ".lo") : out;
		c.emit(KINFER_OP_MAX, {x, c.in(1).reshaped({})}, {t});
		x = t;
	}
	if (hi)
		c.emit(KINFER_OP_MIN, {x, c.in(2).reshaped({})}, {out});
}

// Pow: base and exponent may differ in dtype (opset 12+); y has the
// base's dtype.  Mixed operands are cast first: an integer exponent of
// a float base to float32 (exact below 2^24), a float exponent of an
// integer base makes the power float32 and the result is cast back
// (truncated, saturating), integer exponents to the base's dtype.
void infer_pow(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in(0, kArith);
	const Value &y = c.in(1, kArith);
	Shape out;
	if (!broadcast_shapes(x.shape, y.shape, out))
		c.fail("operands " + shape_str(x.shape) + " and " + shape_str(y.shape) + " do not broadcast");
	c.define(0, x.dtype, out);
}

void lower_pow(LowerCtx &c)
{
	LRef x = c.in(0), y = c.in(1), out = c.out(0);
	if (x.dtype == y.dtype) {
		c.emit(KINFER_OP_POW, {x, y}, {out});
	} else if (x.dtype == DType::f32 || y.dtype != DType::f32) {
		c.emit(KINFER_OP_POW, {x, cast_to(c, y, x.dtype, "exponent")}, {out});
	} else {
		LRef xf = cast_to(c, x, DType::f32, "base");
		LRef p = c.scratch(DType::f32, out.shape, c.n.out[0] + ".power");
		c.emit(KINFER_OP_POW, {xf, y}, {p});
		c.emit(KINFER_OP_CAST, {p}, {out});
	}
}

// PRelu: the slope broadcasts onto x (unidirectionally).
void infer_prelu(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in(0, kArith);
	const Value &s = c.in(1, kArith);
	Shape out;
	if (s.dtype != x.dtype)
		c.fail(c.what(1) + " is " + dtype_str(s.dtype) + " but " + c.what(0) + " is " +
		       dtype_str(x.dtype));
	if (!broadcast_shapes(x.shape, s.shape, out) || out != x.shape)
		c.fail("slope " + shape_str(s.shape) + " does not broadcast onto x " + shape_str(x.shape));
	c.define(0, x.dtype, x.shape);
}

// Max, Min, Sum, Mean of one or more inputs: a chain of binary ops
// (rule.kop), Mean then divided by the count.
void infer_variadic(NodeCtx &c)
{
	c.arity(1, 255);
	bool arith = c.rule.kop == KINFER_OP_MAX || c.rule.kop == KINFER_OP_MIN;
	Shape out = arith ? broadcast_inputs(c, c.n_in(), kArith)
			  : broadcast_inputs(c, c.n_in(), {DType::f32});
	if (c.n_in() == 1)
		c.define_view(0, out);
	else
		c.define(0, c.in(0).dtype, out);
}

void lower_variadic(LowerCtx &c)
{
	size_t n = c.n.in.size();
	bool mean = c.n.op == "Mean";
	if (n == 1) {
		lower_view(c);
		return;
	}
	LRef acc = c.in(0);
	for (size_t i = 1; i < n; i++) {
		Shape s;
		broadcast_shapes(acc.shape, c.value(i).shape, s);
		bool last = i + 1 == n && !mean;
		LRef t = last ? c.out(0) : c.scratch(acc.dtype, s, c.n.out[0] + ".acc" + std::to_string(i));
		c.emit(c.rule.kop, {acc, c.in(i)}, {t});
		acc = t;
	}
	if (mean)
		c.emit(KINFER_OP_DIV, {acc, scalar(c, DType::f32, (double)n, "count")}, {c.out(0)});
}

// Equal, Less, LessOrEqual, Greater, GreaterOrEqual: bool of the
// broadcast shape; Greater(a, b) is Less(b, a).
void infer_compare(NodeCtx &c)
{
	c.arity(2, 2);
	bool equal = c.n.op == "Equal";
	Shape out = equal ? broadcast_inputs(c, 2, kAll) : broadcast_inputs(c, 2, kArith);
	c.define(0, DType::boolean, out);
}

void lower_compare(LowerCtx &c)
{
	bool swap = c.n.op == "Greater" || c.n.op == "GreaterOrEqual";
	LRef a = c.in(0), b = c.in(1);
	c.emit(c.rule.kop, {swap ? b : a, swap ? a : b}, {c.out(0)});
}

// Not; And, Or, Xor with broadcasting.
void infer_logic(NodeCtx &c)
{
	size_t n = c.n.op == "Not" ? 1 : 2;
	c.arity(n, n);
	c.define(0, DType::boolean, broadcast_inputs(c, n, {DType::boolean}));
}

void lower_logic(LowerCtx &c)
{
	std::vector<LRef> in;
	for (size_t i = 0; i < c.n.in.size(); i++)
		in.push_back(c.in(i));
	c.emit(c.rule.kop, in, {c.out(0)});
}

// Where(cond, x, y): three-way broadcast.
void infer_where(NodeCtx &c)
{
	c.arity(3, 3);
	const Value &cond = c.in(0, {DType::boolean});
	const Value &x = c.in(1, kAll);
	const Value &y = c.in(2, kAll);
	if (x.dtype != y.dtype)
		c.fail(c.what(1) + " is " + dtype_str(x.dtype) + " but " + c.what(2) + " is " +
		       dtype_str(y.dtype));
	Shape s1, out;
	if (!broadcast_shapes(cond.shape, x.shape, s1) || !broadcast_shapes(s1, y.shape, out))
		c.fail("condition " + shape_str(cond.shape) + ", x " + shape_str(x.shape) + " and y " +
		       shape_str(y.shape) + " do not broadcast");
	c.define(0, x.dtype, out);
}

void lower_where(LowerCtx &c)
{
	c.emit(KINFER_OP_WHERE, {c.in(0), c.in(1), c.in(2)}, {c.out(0)});
}

// Cast (attribute 'to') and CastLike (the dtype of input 1).  saturate
// and round_mode only concern float8 targets, which kinfer has not.
namespace {

DType cast_target(const NodeAttrs &c, const Graph &g, const Node &n)
{
	if (n.op == "CastLike")
		return g.value(n.in[1]).dtype;
	int64_t to = c.attr_int("to", 0);
	DType t = dtype_from_onnx((int32_t)to);
	if (t == DType::none || t == DType::u8)
		c.fail("casting to data type " + dtype_name((int32_t)to) + " is not supported (kinfer supports "
		       "float32, int32, int64 and bool)");
	return t;
}

} // namespace

void infer_cast(NodeCtx &c)
{
	bool like = c.n.op == "CastLike";
	c.arity(like ? 2 : 1, like ? 2 : 1);
	if (!like && !c.has_attr("to"))
		c.fail("the 'to' attribute is missing");
	const Value &x = c.in(0, kAll);
	if (like)
		c.in(1, kAll);
	DType t = cast_target(c, c.g, c.n);
	if (t == x.dtype)
		c.define_view(0, x.shape);
	else
		c.define(0, t, x.shape);
}

void lower_cast(LowerCtx &c)
{
	if (cast_target(c, c.g, c.n) == c.value(0).dtype) {
		lower_view(c);
		return;
	}
	c.emit(KINFER_OP_CAST, {c.in(0)}, {c.out(0)});
}

} // namespace kinfer
