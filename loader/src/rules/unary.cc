// SPDX-License-Identifier: GPL-2.0
// Elementwise ops of one float32 input: Relu, Sigmoid, Tanh, ...
#include "rules.h"

namespace kinfer {

void infer_unary(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in_f32(0);
	c.define(0, x.dtype, x.shape);
}

void lower_unary(LowerCtx &c)
{
	const KernelOp *k = kernel_op(c.rule.kop);
	kinfer_attr_alpha_beta attr{};
	union kinfer_f32 *slots[2] = {&attr.alpha, &attr.beta};
	for (int i = 0; i < 2; i++)
		if (c.rule.params[i].attr)
			slots[i]->f = c.attr_float(c.rule.params[i].attr, c.rule.params[i].def);
	c.emit(c.rule.kop, {c.in(0)}, {c.out(0)}, &attr, k->attr_bytes);
}

} // namespace kinfer
