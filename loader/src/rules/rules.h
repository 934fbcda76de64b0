// SPDX-License-Identifier: GPL-2.0
// Infer and lower functions shared by the rows of the rule table
// (table.cc).  A family of ONNX operators shares one pair.
#pragma once

#include "onnx_ops.h"
#include "ops.h"

namespace kinfer {

// numpy (ONNX multidirectional) broadcast of two shapes; false if they do not.
bool broadcast_shapes(const Shape &a, const Shape &b, Shape &out);

#define KINFER_RULE(name)                  \
	void infer_##name(NodeCtx &c);     \
	void lower_##name(LowerCtx &c);

// unary.cc: y = f(x), float32, kernel op rule.kop with rule.params
KINFER_RULE(unary)
// binary.cc: y = a (op) b, numpy broadcast, kernel op rule.kop
KINFER_RULE(binary)
// linear.cc: MatMul, Gemm and the passes' kinfer.Linear
KINFER_RULE(matmul)
KINFER_RULE(gemm)
KINFER_RULE(linear)
// softmax.cc: Softmax
KINFER_RULE(softmax)
// layout.cc: views and compile-time values
KINFER_RULE(view)
void infer_identity(NodeCtx &c);
void infer_flatten(NodeCtx &c);
void infer_reshape(NodeCtx &c);
void infer_squeeze(NodeCtx &c);
void infer_unsqueeze(NodeCtx &c);
void infer_dropout(NodeCtx &c);
void infer_constant(NodeCtx &c);
void infer_shape(NodeCtx &c);
void infer_size(NodeCtx &c);

#undef KINFER_RULE

} // namespace kinfer
