// SPDX-License-Identifier: GPL-2.0
// Gather and GatherElements (kernel ops GATHER, GATHER_ELEMENTS): data of
// any dtype, from a weight (an embedding table) or an activation; int32 or
// int64 indices, negative ones counting from the end.  Constant indices
// are checked here; runtime ones by the kernel (-ERANGE).
#include "rules.h"

namespace kinfer {

namespace {

// Constant indices must lie in [-n, n).
void check_indices(const NodeCtx &c, size_t i, int64_t n)
{
	const Value &idx = c.in(i);
	if (!idx.constant)
		return;
	for (int64_t v : idx.data.ints())
		if (v < -n || v >= n)
			c.fail("index " + std::to_string(v) + " of " + c.what(i) +
			       " is out of range for a dimension of " + std::to_string(n));
}

uint32_t gather_axis(const NodeAttrs &c, size_t rank)
{
	int64_t r = (int64_t)rank, a = c.attr_int("axis", 0);
	if (a < -r || a >= r)
		c.fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
	return (uint32_t)(a < 0 ? a + r : a);
}

} // namespace

void infer_gather(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &data = c.in(0);
	const Value &idx = c.in(1, {DType::i32, DType::i64});
	if (data.shape.empty())
		c.fail("the data " + c.what(0) + " is a scalar");
	uint32_t axis = gather_axis(c, data.shape.size());
	check_indices(c, 1, data.shape[axis]);
	Shape out(data.shape.begin(), data.shape.begin() + axis);
	out.insert(out.end(), idx.shape.begin(), idx.shape.end());
	out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
	c.define(0, data.dtype, out);
}

void lower_gather(LowerCtx &c)
{
	kinfer_attr_axis a{};
	a.axis = gather_axis(c, c.value(0).shape.size());
	c.emit(KINFER_OP_GATHER, {c.in(0), c.in(1)}, {c.out(0)}, a);
}

void infer_gather_elements(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &data = c.in(0);
	const Value &idx = c.in(1, {DType::i32, DType::i64});
	if (data.shape.empty())
		c.fail("the data " + c.what(0) + " is a scalar");
	uint32_t axis = gather_axis(c, data.shape.size());
	if (idx.shape.size() != data.shape.size())
		c.fail("indices " + shape_str(idx.shape) + " and data " + shape_str(data.shape) +
		       " differ in rank");
	for (size_t k = 0; k < idx.shape.size(); k++)
		if (k != axis && idx.shape[k] > data.shape[k])
			c.fail("indices " + shape_str(idx.shape) + " are larger than data " +
			       shape_str(data.shape) + " along axis " + std::to_string(k));
	check_indices(c, 1, data.shape[axis]);
	c.define(0, data.dtype, idx.shape);
}

void lower_gather_elements(LowerCtx &c)
{
	kinfer_attr_axis a{};
	a.axis = gather_axis(c, c.value(0).shape.size());
	c.emit(KINFER_OP_GATHER_ELEMENTS, {c.in(0), c.in(1)}, {c.out(0)}, a);
}

} // namespace kinfer
