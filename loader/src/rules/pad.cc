// SPDX-License-Identifier: GPL-2.0
// Pad (kernel op PAD): modes constant, edge, reflect and wrap; negative
// pads crop.  Before opset 11 pads and value are attributes; from 11 pads
// and constant_value are inputs (constants), from 18 also axes.
#include "rules.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace kinfer {

namespace {

struct PadSpec {
	uint32_t mode = KINFER_PAD_CONSTANT;
	std::vector<int64_t> begin, end;	// per axis of x
	uint64_t value = 0;			// the fill element's bytes
	Shape out;
};

uint32_t pad_mode(const NodeAttrs &c)
{
	std::string m = c.attr_string("mode", "constant");
	if (m == "constant")
		return KINFER_PAD_CONSTANT;
	if (m == "edge")
		return KINFER_PAD_EDGE;
	if (m == "reflect")
		return KINFER_PAD_REFLECT;
	if (m == "wrap")
		return KINFER_PAD_WRAP;
	c.fail("mode=" + m + " is not supported (constant, edge, reflect or wrap)");
}

// The bytes of `v` as one element of dtype t.
uint64_t element_bits(DType t, double v)
{
	uint64_t bits = 0;
	if (t == DType::f32) {
		float f = (float)v;
		std::memcpy(&bits, &f, 4);
	} else if (t == DType::i32) {
		bits = (uint32_t)(int32_t)v;
	} else if (t == DType::i64) {
		bits = (uint64_t)(int64_t)v;
	} else {
		bits = v != 0;
	}
	return bits;
}

// pads and axes as given (attribute or constant inputs) -> per-axis spec.
PadSpec pad_spec(const NodeAttrs &c, const Shape &x, const std::vector<int64_t> &pads,
		 std::vector<int64_t> axes)
{
	int64_t r = (int64_t)x.size();
	if (axes.empty())
		for (int64_t k = 0; k < r; k++)
			axes.push_back(k);
	if (pads.size() != 2 * axes.size())
		c.fail("pads has " + std::to_string(pads.size()) + " entries; " + shape_str(x) +
		       " needs " + std::to_string(2 * axes.size()));
	PadSpec s;
	s.mode = pad_mode(c);
	s.begin.assign(x.size(), 0);
	s.end.assign(x.size(), 0);
	std::set<int64_t> seen;
	for (size_t i = 0; i < axes.size(); i++) {
		int64_t a = axes[i];
		if (a < -r || a >= r)
			c.fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
		if (a < 0)
			a += r;
		if (!seen.insert(a).second)
			c.fail("axis " + std::to_string(axes[i]) + " is given twice");
		s.begin[a] = pads[i];
		s.end[a] = pads[axes.size() + i];
	}
	s.out = x;
	for (size_t k = 0; k < x.size(); k++) {
		int64_t lim = (int64_t)kMaxTensorBytes;
		if (s.begin[k] < -lim || s.begin[k] > lim || s.end[k] < -lim || s.end[k] > lim)
			c.fail("pads for axis " + std::to_string(k) + " are too large");
		s.out[k] = x[k] + s.begin[k] + s.end[k];
		if (s.out[k] < 0)
			c.fail("pads for axis " + std::to_string(k) + " crop more than its " +
			       std::to_string(x[k]) + " elements");
		// Padding reflects or wraps x itself, not x cropped on the other side.
		if (s.mode != KINFER_PAD_CONSTANT && std::min(s.begin[k], s.end[k]) < 0 &&
		    std::max(s.begin[k], s.end[k]) > 0)
			c.fail("pads for axis " + std::to_string(k) +
			       " crop one side and pad the other; mode=" + c.attr_string("mode", "") +
			       " is not supported then");
	}
	return s;
}

// The spec from a node: attributes before opset 11, inputs from 11.
template <typename Ctx, typename Ints>
PadSpec pad_of(const Ctx &c, const Value &x, Ints ints)
{
	if (c.g.opset < 11) {
		PadSpec s = pad_spec(c, x.shape, c.attr_ints("pads"), {});
		s.value = element_bits(x.dtype, c.attr_float("value", 0.0f));
		return s;
	}
	PadSpec s = pad_spec(c, x.shape, ints(1), ints(3));
	if (c.has_in(2) && c.g.value(c.n.in[2]).constant) {
		const Value &v = c.g.value(c.n.in[2]);
		std::memcpy(&s.value, v.data.data.data(), dtype_size(v.dtype));
	}
	return s;
}

} // namespace

void infer_pad(NodeCtx &c)
{
	const Value &x = c.in(0);
	if (c.g.opset < 11) {
		c.arity(1, 1);
		if (!c.has_attr("pads"))
			c.fail("the pads attribute is missing");
	} else {
		c.arity(2, c.g.opset >= 18 ? 4 : 3);
		for (const char *a : {"pads", "value"})
			if (c.has_attr(a))
				c.fail(std::string("attribute '") + a +
				       "' is not supported from opset 11 (it is an input)");
		if (c.has_in(2)) {
			const Value &v = c.in(2, {x.dtype});
			if (v.numel() != 1)
				c.fail("the constant_value " + shape_str(v.shape) + " is not one element");
		}
	}
	auto ints = [&](size_t i) {
		return c.has_in(i) ? c.const_ints(i, i == 1 ? "pads" : "axes") : std::vector<int64_t>{};
	};
	c.define(0, x.dtype, pad_of(c, x, ints).out);
}

void lower_pad(LowerCtx &c)
{
	LRef x = c.in(0);
	auto ints = [&](size_t i) {
		return c.has_in(i) ? c.value(i).data.ints() : std::vector<int64_t>{};
	};
	PadSpec s = pad_of(c, c.value(0), ints);
	if (s.out == x.shape && std::all_of(s.begin.begin(), s.begin.end(), [](int64_t b) { return !b; })) {
		c.alias(0, x);
		return;
	}
	kinfer_attr_pad a{};
	a.mode = s.mode;
	a.value = s.mode == KINFER_PAD_CONSTANT ? s.value : 0;
	for (size_t k = 0; k < s.begin.size(); k++)
		a.begin[k] = s.begin[k];
	std::vector<LRef> in{x};
	// A constant known only at run time is the op's second input.
	if (s.mode == KINFER_PAD_CONSTANT && c.has_in(2) && !c.value(2).constant)
		in.push_back(c.in(2).reshaped({}));
	c.emit(KINFER_OP_PAD, in, {c.out(0)}, a);
}

} // namespace kinfer
