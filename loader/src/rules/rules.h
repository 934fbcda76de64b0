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

// recurrent.cc: LSTM, GRU, RNN, kernel op rule.kop
KINFER_RULE(recurrent)

// movement.cc: data movement as strided copies (kernel op COPY)
KINFER_RULE(transpose)
KINFER_RULE(slice)
KINFER_RULE(reverse_sequence)
KINFER_RULE(concat)
KINFER_RULE(split)
KINFER_RULE(expand)
KINFER_RULE(tile)
KINFER_RULE(depth_to_space)
KINFER_RULE(space_to_depth)
// pad.cc: Pad (kernel op PAD)
KINFER_RULE(pad)
// gather.cc: Gather, GatherElements
KINFER_RULE(gather)
KINFER_RULE(gather_elements)
// generate.cc: compile time only
void infer_range(NodeCtx &c);
void infer_constant_of_shape(NodeCtx &c);

// elementwise.cc: elementwise ops beyond the unary/binary rows
KINFER_RULE(gelu)
KINFER_RULE(neg)
void lower_reciprocal(LowerCtx &c);
KINFER_RULE(clip)
KINFER_RULE(pow)
void infer_prelu(NodeCtx &c);
KINFER_RULE(variadic)
KINFER_RULE(compare)
KINFER_RULE(logic)
KINFER_RULE(where)
KINFER_RULE(cast)

// conv.cc: Conv, ConvTranspose (and the passes' kinfer.Conv,
// kinfer.ConvTranspose with a fused activation), MaxPool, AveragePool, LpPool
KINFER_RULE(conv)
KINFER_RULE(conv_transpose)
KINFER_RULE(pool)
void infer_conv_fused(NodeCtx &c);

// text.cc: ai.kinfer.WordPieceTokenizer (kernel op TOKENIZE)
KINFER_RULE(wordpiece)

// reduce.cc: Reduce* (kernel op rule.kop), GlobalAveragePool and
// GlobalMaxPool (REDUCE_MEAN, REDUCE_MAX), ArgMax and ArgMin (rule.kop)
KINFER_RULE(reduce)
KINFER_RULE(global_pool)
// ONNX axes (negative counting from the end) of a rank-`rank` tensor as a
// bitmask; fails naming the node on an axis out of range or given twice.
uint32_t axes_mask(const NodeAttrs &c, const std::vector<int64_t> &axes, size_t rank);
KINFER_RULE(arg)
// norm.cc: LayerNormalization, RMSNormalization, InstanceNormalization,
// GroupNormalization, MeanVarianceNormalization, BatchNormalization,
// LpNormalization
KINFER_RULE(layer_norm)
KINFER_RULE(rms_norm)
KINFER_RULE(instance_norm)
KINFER_RULE(group_norm)
KINFER_RULE(mvn)
KINFER_RULE(batch_norm)
KINFER_RULE(lp_norm)

// tflite.cc: the int8 operators of .tflite models (domain ai.kinfer.tflite)
KINFER_RULE(tfl_fully_connected)
KINFER_RULE(tfl_conv)
KINFER_RULE(tfl_pool)
KINFER_RULE(tfl_binary)
KINFER_RULE(tfl_softmax)
KINFER_RULE(tfl_unary)
KINFER_RULE(tfl_quantize)
KINFER_RULE(tfl_dequantize)
KINFER_RULE(tfl_mean)

#undef KINFER_RULE

} // namespace kinfer
