// SPDX-License-Identifier: GPL-2.0
// Elementwise ops of two inputs with numpy broadcasting: Add, Mul, ...
#include "rules.h"

#include <algorithm>

namespace kinfer {

bool broadcast_shapes(const Shape &a, const Shape &b, Shape &out)
{
	size_t r = std::max(a.size(), b.size());
	out.assign(r, 1);
	for (size_t i = 0; i < r; i++) {
		int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
		int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
		if (da != db && da != 1 && db != 1)
			return false;
		out[i] = std::max(da, db);
	}
	return true;
}

void infer_binary(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &a = c.in(0, {DType::f32, DType::i32, DType::i64});
	const Value &b = c.in(1, {DType::f32, DType::i32, DType::i64});
	if (a.dtype != b.dtype)
		c.fail(c.what(0) + " is " + dtype_str(a.dtype) + " but " + c.what(1) + " is " +
		       dtype_str(b.dtype));
	Shape out;
	if (!broadcast_shapes(a.shape, b.shape, out))
		c.fail("operands " + shape_str(a.shape) + " and " + shape_str(b.shape) +
		       " do not broadcast");
	c.define(0, a.dtype, out);
}

void lower_binary(LowerCtx &c)
{
	c.emit(c.rule.kop, {c.in(0), c.in(1)}, {c.out(0)});
}

} // namespace kinfer
