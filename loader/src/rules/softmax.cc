// SPDX-License-Identifier: GPL-2.0
// Softmax along an axis.  Before opset 13 the input is coerced to 2-D at
// `axis` (default 1) and normalised along the second dimension; from 13 on
// it is normalised along `axis` (default -1) itself.
#include "rules.h"

namespace kinfer {

void infer_softmax(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in_f32(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	c.axis(c.attr_int("axis", c.g.opset >= 13 ? -1 : 1), x.shape.size());
	c.define(0, DType::f32, x.shape);
}

void lower_softmax(LowerCtx &c)
{
	LRef x = c.in(0), y = c.out(0);
	size_t rank = x.shape.size();
	int64_t axis = c.attr_int("axis", c.g.opset >= 13 ? -1 : 1);
	if (axis < 0)
		axis += (int64_t)rank;
	if (c.g.opset < 13) {
		int64_t outer = 1, inner = 1;
		for (size_t i = 0; i < rank; i++)
			((int64_t)i < axis ? outer : inner) *= x.shape[i];
		x = x.reshaped({outer, inner});
		y = y.reshaped({outer, inner});
		axis = 1;
	}
	kinfer_attr_axis attr{};
	attr.axis = (uint32_t)axis;
	c.emit(c.rule.kop, {x}, {y}, attr);
}

} // namespace kinfer
