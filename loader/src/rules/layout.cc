// SPDX-License-Identifier: GPL-2.0
// Operators that only change how bytes are viewed (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout at inference) and ones whose
// result is known at compile time (Constant, Shape, Size).
#include "rules.h"

#include "onnx_reader.h"

#include <algorithm>
#include <set>

namespace kinfer {

void lower_view(LowerCtx &c)
{
	c.alias(0, c.in(0).reshaped(c.out_value(0).shape));
}

void infer_view(NodeCtx &c)
{
	c.fail("internal error: no view shape");
}

void infer_identity(NodeCtx &c)
{
	c.arity(1, 1);
	c.define_view(0, c.in(0).shape);
}

void infer_dropout(NodeCtx &c)
{
	c.arity(1, 3, 1, 2);
	const Value &x = c.in(0);
	if (c.has_in(2)) {
		const Value &t = c.in(2, {DType::boolean});
		if (!t.constant)
			c.fail("the training_mode input must be a constant false (kinfer runs inference)");
		if (t.data.get_int(0))
			c.fail("training_mode=true is not supported (kinfer runs inference)");
	}
	if (c.attr_int("is_test", 1) == 0 && c.g.opset < 7)
		c.fail("is_test=0 is not supported (kinfer runs inference)");
	c.define_view(0, x.shape);
	if (c.has_out(1))	// the mask keeps every element
		c.define_const(1, HostTensor::from_ints(DType::boolean, x.shape,
							std::vector<int64_t>(x.numel(), 1)));
}

void infer_flatten(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0);
	int64_t rank = (int64_t)x.shape.size();
	int64_t axis = c.attr_int("axis", 1);
	if (axis < -rank || axis > rank)
		c.fail("axis " + std::to_string(axis) + " is out of range for shape " + shape_str(x.shape));
	if (axis < 0)
		axis += rank;
	int64_t rows = 1, cols = 1;
	for (int64_t i = 0; i < rank; i++)
		(i < axis ? rows : cols) *= x.shape[i];
	c.define_view(0, Shape{rows, cols});
}

void infer_reshape(NodeCtx &c)
{
	const Value &x = c.in(0);
	Shape out;
	if (c.g.opset < 5) {
		c.arity(1, 1);
		out = c.attr_ints("shape");
	} else {
		c.arity(2, 2);
		out = c.const_ints(1, "target shape");
		if (c.in(1).shape.size() != 1)
			c.fail("the target shape '" + c.n.in[1] + "' must be 1-D");
	}
	bool allowzero = c.attr_int("allowzero", 0) != 0;
	int infer = -1;
	uint64_t known = 1;
	for (size_t i = 0; i < out.size(); i++) {
		if (out[i] == 0 && !allowzero) {
			if (i >= x.shape.size())
				c.fail("target shape " + shape_str(out) + " copies dimension " + std::to_string(i) +
				       " which " + shape_str(x.shape) + " lacks");
			out[i] = x.shape[i];
		}
		if (out[i] == -1) {
			if (infer >= 0)
				c.fail("target shape " + shape_str(out) + " has more than one -1");
			infer = (int)i;
			continue;
		}
		if (out[i] <= 0)
			c.fail("target shape " + shape_str(out) + " has a dimension that is not positive");
		// Checked before multiplying: the product must not wrap.
		if ((uint64_t)out[i] > kMaxTensorBytes / known)
			c.fail("target shape " + shape_str(out) + " is too large");
		known *= (uint64_t)out[i];
	}
	uint64_t n = x.numel();
	if (infer >= 0) {
		if (n % known)
			c.fail("cannot reshape " + shape_str(x.shape) + " to " + shape_str(out));
		out[infer] = (int64_t)(n / known);
	}
	if (shape_numel(out) != n)
		c.fail("cannot reshape " + shape_str(x.shape) + " (" + std::to_string(n) + " elements) to " +
		       shape_str(out));
	c.define_view(0, out);
}

namespace {

// Axes from the attribute (before opset 13) or the second input.
std::vector<int64_t> axes_of(NodeCtx &c, bool required)
{
	if (c.g.opset < 13) {
		c.arity(1, 1);
		if (required && !c.has_attr("axes"))
			c.fail("the axes attribute is missing");
		return c.attr_ints("axes");
	}
	if (c.has_attr("axes"))
		c.fail("attribute 'axes' is not supported from opset 13 (axes is an input)");
	c.arity(required ? 2 : 1, 2);
	return c.has_in(1) ? c.const_ints(1, "axes") : std::vector<int64_t>{};
}

} // namespace

void infer_squeeze(NodeCtx &c)
{
	const Value &x = c.in(0);
	std::vector<int64_t> axes = axes_of(c, false);
	std::set<int64_t> drop;
	for (int64_t a : axes) {
		int64_t ax = c.axis(a, x.shape.size(), "axis");
		if (x.shape[ax] != 1)
			c.fail("cannot squeeze axis " + std::to_string(a) + " of " + shape_str(x.shape) +
			       ": it is not 1");
		if (!drop.insert(ax).second)
			c.fail("axis " + std::to_string(a) + " is given twice");
	}
	Shape out;
	for (size_t i = 0; i < x.shape.size(); i++)
		if (axes.empty() ? x.shape[i] != 1 : !drop.count((int64_t)i))
			out.push_back(x.shape[i]);
	c.define_view(0, out);
}

void infer_unsqueeze(NodeCtx &c)
{
	const Value &x = c.in(0);
	std::vector<int64_t> axes = axes_of(c, true);
	size_t rank = x.shape.size() + axes.size();
	std::set<int64_t> add;
	for (int64_t a : axes)
		if (!add.insert(c.axis(a, rank, "axis")).second)
			c.fail("axis " + std::to_string(a) + " is given twice");
	Shape out;
	size_t k = 0;
	for (size_t i = 0; i < rank; i++)
		out.push_back(add.count((int64_t)i) ? 1 : x.shape[k++]);
	c.define_view(0, out);
}

void infer_constant(NodeCtx &c)
{
	c.arity(0, 0);
	if (c.n.attrs.size() != 1)
		c.fail("a Constant takes exactly one value attribute");
	if (c.has_attr("value")) {
		Decoded d = decode_tensor(c.attr_tensor("value"));
		if (!d.error.empty())
			c.fail("its value " + d.error);
		c.define_const(0, std::move(d.t));
	} else if (c.has_attr("value_float")) {
		c.define_const(0, HostTensor::from_floats({}, {c.attr_float("value_float", 0.0f)}));
	} else if (c.has_attr("value_floats")) {
		std::vector<float> v = c.attr_floats("value_floats");
		c.define_const(0, HostTensor::from_floats({(int64_t)v.size()}, v));
	} else if (c.has_attr("value_int")) {
		c.define_const(0, HostTensor::from_ints(DType::i64, {}, {c.attr_int("value_int", 0)}));
	} else {
		std::vector<int64_t> v = c.attr_ints("value_ints");
		c.define_const(0, HostTensor::from_ints(DType::i64, {(int64_t)v.size()}, v));
	}
	c.g.value(c.n.out[0]).source = c.n.out[0];
}

void infer_shape(NodeCtx &c)
{
	c.arity(1, 1);
	const Shape &s = c.in(0).shape;
	int64_t r = (int64_t)s.size();
	auto clamp = [&](int64_t v) { return std::min(std::max(v < 0 ? v + r : v, (int64_t)0), r); };
	int64_t start = clamp(c.attr_int("start", 0)), end = clamp(c.attr_int("end", r));
	if (start >= end)
		c.fail("start " + std::to_string(start) + " and end " + std::to_string(end) +
		       " select no dimension");
	std::vector<int64_t> dims(s.begin() + start, s.begin() + end);
	c.define_const(0, HostTensor::from_ints(DType::i64, {(int64_t)dims.size()}, dims));
}

void infer_size(NodeCtx &c)
{
	c.arity(1, 1);
	c.define_const(0, HostTensor::from_ints(DType::i64, {}, {(int64_t)c.in(0).numel()}));
}

} // namespace kinfer
