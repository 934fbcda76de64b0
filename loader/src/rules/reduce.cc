// SPDX-License-Identifier: GPL-2.0
// Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp;
// GlobalAveragePool and GlobalMaxPool (means and maxima over the spatial
// axes); ArgMax and ArgMin.
//
// The kernel's reduce ops take any set of axes as a bitmask and write the
// keepdims shape; without keepdims the ONNX output is a view of the same
// bytes.  Axes are an attribute until ReduceSum's opset 13 and the other
// reductions' opset 18, then an optional constant input; no axes (or an
// empty list) reduces every axis, or none with noop_with_empty_axes=1.
#include "rules.h"

#include <uapi/kinfer.h>

#include <set>

namespace kinfer {

namespace {

// The opset from which a reduction takes its axes as an input.
int64_t axes_input_opset(const std::string &op)
{
	return op == "ReduceSum" ? 13 : 18;
}

// Input 0 with a dtype the reduction takes (the kernel's reduce_dtype_ok()).
const Value &reduce_input(const NodeCtx &c)
{
	switch (c.rule.kop) {
	case KINFER_OP_REDUCE_MAX:
	case KINFER_OP_REDUCE_MIN:
		return c.in(0, {DType::f32, DType::i32, DType::i64, DType::boolean});
	case KINFER_OP_REDUCE_SUM:
	case KINFER_OP_REDUCE_PROD:
	case KINFER_OP_REDUCE_L1:
	case KINFER_OP_REDUCE_SUM_SQUARE:
		return c.in(0, {DType::f32, DType::i32, DType::i64});
	default:
		return c.in_f32(0);
	}
}

struct ReduceSpec {
	uint32_t mask = 0;	// reduced axes
	bool keepdims = true;
};

// Axes, keepdims and noop_with_empty_axes of a Reduce* node; `axes` is
// the axes input's value when the node has one.
template <typename Ctx>
ReduceSpec reduce_spec(const Ctx &c, size_t rank, const std::vector<int64_t> *axes_in)
{
	bool from_input = c.g.opset >= axes_input_opset(c.n.op);
	ReduceSpec r;
	r.keepdims = c.attr_int("keepdims", 1) != 0;
	if (c.has_attr("noop_with_empty_axes") && !from_input)
		c.fail("attribute 'noop_with_empty_axes' is not supported before opset " +
		       std::to_string(axes_input_opset(c.n.op)));
	bool noop = c.attr_int("noop_with_empty_axes", 0) != 0;
	if (from_input && c.has_attr("axes"))
		c.fail("attribute 'axes' is not supported from opset " +
		       std::to_string(axes_input_opset(c.n.op)) + " (axes is an input)");
	std::vector<int64_t> axes = from_input ? (axes_in ? *axes_in : std::vector<int64_t>{})
					       : c.attr_ints("axes");
	if (axes.empty()) {
		r.mask = noop ? 0 : (uint32_t)((1ULL << rank) - 1);
		return r;
	}
	r.mask = axes_mask(c, axes, rank);
	return r;
}

// x reduced over `mask`, keeping the reduced axes as 1 or dropping them.
Shape reduced_shape(const Shape &x, uint32_t mask, bool keepdims)
{
	Shape out;
	for (size_t i = 0; i < x.size(); i++) {
		if (!(mask >> i & 1))
			out.push_back(x[i]);
		else if (keepdims)
			out.push_back(1);
	}
	return out;
}

// The axes input's value, when the node has one (lower: checked by infer).
const std::vector<int64_t> *axes_input(const LowerCtx &c, std::vector<int64_t> &buf)
{
	if (!c.has_in(1))
		return nullptr;
	buf = c.value(1).data.ints();
	return &buf;
}

void emit_reduce(LowerCtx &c, uint32_t kop, uint32_t mask)
{
	LRef x = c.in(0);
	kinfer_attr_reduce attr{};
	attr.axes = mask;
	c.emit(kop, {x}, {c.out(0).reshaped(reduced_shape(x.shape, mask, true))}, attr);
}

} // namespace

uint32_t axes_mask(const NodeAttrs &c, const std::vector<int64_t> &axes, size_t rank)
{
	uint32_t mask = 0;
	for (int64_t a : axes) {
		int64_t r = (int64_t)rank;
		if (a < -r || a >= r)
			c.fail("axis " + std::to_string(a) + " is out of range for rank " +
			       std::to_string(rank));
		uint32_t bit = 1U << (a < 0 ? a + r : a);
		if (mask & bit)
			c.fail("axis " + std::to_string(a) + " is given twice");
		mask |= bit;
	}
	return mask;
}

void infer_reduce(NodeCtx &c)
{
	bool from_input = c.g.opset >= axes_input_opset(c.n.op);
	c.arity(1, from_input ? 2 : 1);
	const Value &x = reduce_input(c);
	std::vector<int64_t> axes;
	if (c.has_in(1)) {
		axes = c.const_ints(1, "axes");
		if (c.in(1).shape.size() > 1)
			c.fail("the axes input '" + c.n.in[1] + "' must be 1-D");
	}
	ReduceSpec r = reduce_spec(c, x.shape.size(), c.has_in(1) ? &axes : nullptr);
	c.define(0, x.dtype, reduced_shape(x.shape, r.mask, r.keepdims));
}

void lower_reduce(LowerCtx &c)
{
	std::vector<int64_t> buf;
	ReduceSpec r = reduce_spec(c, c.value(0).shape.size(), axes_input(c, buf));
	emit_reduce(c, c.rule.kop, r.mask);
}

// GlobalAveragePool, GlobalMaxPool: x [N, C, D1, ...] -> [N, C, 1, ...].
void infer_global_pool(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in_f32(0);
	if (x.shape.size() < 2)
		c.fail("the input has shape " + shape_str(x.shape) + "; " + c.n.op +
		       " takes [N, C, D1, ...]");
	uint32_t mask = (uint32_t)((1ULL << x.shape.size()) - 1) & ~3U;
	c.define(0, DType::f32, reduced_shape(x.shape, mask, true));
}

void lower_global_pool(LowerCtx &c)
{
	size_t rank = c.value(0).shape.size();
	emit_reduce(c, c.rule.kop, (uint32_t)((1ULL << rank) - 1) & ~3U);
}

// ArgMax, ArgMin: int64 indices along `axis`.
void infer_arg(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0, {DType::f32, DType::i32, DType::i64});
	if (x.shape.empty())
		c.fail("the input is a scalar");
	int64_t axis = c.axis(c.attr_int("axis", 0), x.shape.size());
	int64_t last = c.attr_int("select_last_index", 0);
	if (last != 0 && last != 1)
		c.fail("select_last_index=" + std::to_string(last) + " is not supported (0 or 1)");
	if (c.has_attr("select_last_index") && c.g.opset < 12)
		c.fail("attribute 'select_last_index' is not supported before opset 12");
	bool keep = c.attr_int("keepdims", 1) != 0;
	c.define(0, DType::i64, reduced_shape(x.shape, 1U << axis, keep));
}

void lower_arg(LowerCtx &c)
{
	LRef x = c.in(0);
	int64_t axis = c.attr_int("axis", 0);
	if (axis < 0)
		axis += (int64_t)x.shape.size();
	kinfer_attr_arg attr{};
	attr.axis = (uint32_t)axis;
	attr.select_last = (uint32_t)c.attr_int("select_last_index", 0);
	Shape keep = reduced_shape(x.shape, 1U << axis, true);
	c.emit(c.rule.kop, {x}, {c.out(0).reshaped(keep)}, attr);
}

} // namespace kinfer
