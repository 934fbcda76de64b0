// SPDX-License-Identifier: GPL-2.0
// The ONNX operators kinfer compiles: one row each.
//
//	{op_type, accepted attributes, infer, lower, kernel op, {alpha, beta}}
//
// Class rules (unary, binary) take the kernel op and, for unary ops, the
// ONNX attributes that become its alpha and beta with their defaults.
#include "rules.h"

#include <algorithm>

namespace kinfer {

namespace {

const OnnxRule kRules[] = {
	// Elementwise, one input
	{"Relu", "", infer_unary, lower_unary, KINFER_OP_RELU},
	{"Sigmoid", "", infer_unary, lower_unary, KINFER_OP_SIGMOID},
	{"Tanh", "", infer_unary, lower_unary, KINFER_OP_TANH},

	// Elementwise, two inputs, numpy broadcasting
	{"Add", "", infer_binary, lower_binary, KINFER_OP_ADD},
	{"Mul", "", infer_binary, lower_binary, KINFER_OP_MUL},

	// Products
	{"MatMul", "", infer_matmul, lower_linear},
	{"Gemm", "alpha,beta,transA,transB", infer_gemm, lower_linear},

	// Normalisation
	{"Softmax", "axis", infer_softmax, lower_softmax, KINFER_OP_SOFTMAX},

	// Layout: views of their input, no kernel op
	{"Identity", "", infer_identity, lower_view},
	{"Flatten", "axis", infer_flatten, lower_view},
	{"Reshape", "allowzero", infer_reshape, lower_view},
	{"Squeeze", "axes", infer_squeeze, lower_view},
	{"Unsqueeze", "axes", infer_unsqueeze, lower_view},
	{"Dropout", "ratio,seed,is_test", infer_dropout, lower_view},

	// Elementwise, comparison, logic, where, cast (more)
	{"LeakyRelu", "alpha", infer_unary, lower_unary, KINFER_OP_LEAKY_RELU, {{"alpha", 0.01f}}},
	{"Elu", "alpha", infer_unary, lower_unary, KINFER_OP_ELU, {{"alpha", 1.0f}}},
	{"Selu", "alpha,gamma", infer_unary, lower_unary, KINFER_OP_SELU,
	 {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}}},
	{"Celu", "alpha", infer_unary, lower_unary, KINFER_OP_CELU, {{"alpha", 1.0f}}},
	{"ThresholdedRelu", "alpha", infer_unary, lower_unary, KINFER_OP_THRESHOLDED_RELU, {{"alpha", 1.0f}}},
	{"HardSigmoid", "alpha,beta", infer_unary, lower_unary, KINFER_OP_HARD_SIGMOID,
	 {{"alpha", 0.2f}, {"beta", 0.5f}}},
	{"HardSwish", "", infer_unary, lower_unary, KINFER_OP_HARD_SWISH},
	{"Softplus", "", infer_unary, lower_unary, KINFER_OP_SOFTPLUS},
	{"Softsign", "", infer_unary, lower_unary, KINFER_OP_SOFTSIGN},
	{"Mish", "", infer_unary, lower_unary, KINFER_OP_MISH},
	{"Erf", "", infer_unary, lower_unary, KINFER_OP_ERF},
	{"Gelu", "approximate", infer_gelu, lower_gelu},
	{"Sqrt", "", infer_unary, lower_unary, KINFER_OP_SQRT},
	{"Exp", "", infer_unary, lower_unary, KINFER_OP_EXP},
	{"Log", "", infer_unary, lower_unary, KINFER_OP_LOG},
	{"Abs", "", infer_unary, lower_unary, KINFER_OP_ABS},
	{"Sign", "", infer_unary, lower_unary, KINFER_OP_SIGN},
	{"Floor", "", infer_unary, lower_unary, KINFER_OP_FLOOR},
	{"Ceil", "", infer_unary, lower_unary, KINFER_OP_CEIL},
	{"Round", "", infer_unary, lower_unary, KINFER_OP_ROUND},
	{"Neg", "", infer_neg, lower_neg},
	{"Reciprocal", "", infer_unary, lower_reciprocal},
	{"Clip", "min,max", infer_clip, lower_clip},
	{"Sub", "", infer_binary, lower_binary, KINFER_OP_SUB},
	{"Div", "", infer_binary, lower_binary, KINFER_OP_DIV},
	{"Pow", "", infer_pow, lower_pow},
	{"PRelu", "", infer_prelu, lower_binary, KINFER_OP_PRELU},
	{"Max", "", infer_variadic, lower_variadic, KINFER_OP_MAX},
	{"Min", "", infer_variadic, lower_variadic, KINFER_OP_MIN},
	{"Sum", "", infer_variadic, lower_variadic, KINFER_OP_ADD},
	{"Mean", "", infer_variadic, lower_variadic, KINFER_OP_ADD},
	{"Equal", "", infer_compare, lower_compare, KINFER_OP_EQUAL},
	{"Less", "", infer_compare, lower_compare, KINFER_OP_LESS},
	{"LessOrEqual", "", infer_compare, lower_compare, KINFER_OP_LESS_OR_EQUAL},
	{"Greater", "", infer_compare, lower_compare, KINFER_OP_LESS},
	{"GreaterOrEqual", "", infer_compare, lower_compare, KINFER_OP_LESS_OR_EQUAL},
	{"Not", "", infer_logic, lower_logic, KINFER_OP_NOT},
	{"And", "", infer_logic, lower_logic, KINFER_OP_AND},
	{"Or", "", infer_logic, lower_logic, KINFER_OP_OR},
	{"Xor", "", infer_logic, lower_logic, KINFER_OP_XOR},
	{"Where", "", infer_where, lower_where},
	{"Cast", "to,saturate,round_mode", infer_cast, lower_cast},
	{"CastLike", "saturate,round_mode", infer_cast, lower_cast},

	// Reductions and normalisation (more)
	{"ReduceSum", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_SUM},
	{"ReduceMean", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_MEAN},
	{"ReduceMax", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_MAX},
	{"ReduceMin", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_MIN},
	{"ReduceProd", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_PROD},
	{"ReduceL1", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_L1},
	{"ReduceL2", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_L2},
	{"ReduceSumSquare", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_SUM_SQUARE},
	{"ReduceLogSum", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_LOG_SUM},
	{"ReduceLogSumExp", "axes,keepdims,noop_with_empty_axes", infer_reduce, lower_reduce,
	 KINFER_OP_REDUCE_LOG_SUM_EXP},
	{"GlobalAveragePool", "", infer_global_pool, lower_global_pool, KINFER_OP_REDUCE_MEAN},
	{"GlobalMaxPool", "", infer_global_pool, lower_global_pool, KINFER_OP_REDUCE_MAX},
	{"ArgMax", "axis,keepdims,select_last_index", infer_arg, lower_arg, KINFER_OP_ARGMAX},
	{"ArgMin", "axis,keepdims,select_last_index", infer_arg, lower_arg, KINFER_OP_ARGMIN},
	{"LogSoftmax", "axis", infer_softmax, lower_softmax, KINFER_OP_LOG_SOFTMAX},
	{"LayerNormalization", "axis,epsilon,stash_type", infer_layer_norm, lower_layer_norm},
	{"RMSNormalization", "axis,epsilon,stash_type", infer_rms_norm, lower_rms_norm},
	{"InstanceNormalization", "epsilon", infer_instance_norm, lower_instance_norm},
	{"GroupNormalization", "num_groups,epsilon,stash_type", infer_group_norm, lower_group_norm},
	{"MeanVarianceNormalization", "axes,across_channels,normalize_variance", infer_mvn,
	 lower_mvn},
	{"BatchNormalization", "epsilon,momentum,spatial,training_mode", infer_batch_norm,
	 lower_batch_norm},
	{"LpNormalization", "axis,p", infer_lp_norm, lower_lp_norm},

	// Data movement and gather
	{"Transpose", "perm", infer_transpose, lower_transpose},
	{"Slice", "starts,ends,axes", infer_slice, lower_slice},
	{"ReverseSequence", "batch_axis,time_axis", infer_reverse_sequence, lower_reverse_sequence},
	{"Concat", "axis", infer_concat, lower_concat},
	{"Split", "axis,split,num_outputs", infer_split, lower_split},
	{"Expand", "", infer_expand, lower_expand},
	{"Tile", "", infer_tile, lower_tile},
	{"DepthToSpace", "blocksize,mode", infer_depth_to_space, lower_depth_to_space},
	{"SpaceToDepth", "blocksize,mode", infer_space_to_depth, lower_space_to_depth},
	{"Pad", "mode,pads,value", infer_pad, lower_pad},
	{"Gather", "axis", infer_gather, lower_gather},
	{"GatherElements", "axis", infer_gather_elements, lower_gather_elements},
	{"Range", "stash_type", infer_range, nullptr},
	{"ConstantOfShape", "value", infer_constant_of_shape, nullptr},

	// Convolution and pooling
	{"Conv", "auto_pad,dilations,group,kernel_shape,pads,strides", infer_conv, lower_conv},
	{"ConvTranspose", "auto_pad,dilations,group,kernel_shape,output_padding,output_shape,pads,strides",
	 infer_conv_transpose, lower_conv_transpose},
	{"MaxPool", "auto_pad,ceil_mode,dilations,kernel_shape,pads,storage_order,strides", infer_pool,
	 lower_pool},
	{"AveragePool", "auto_pad,ceil_mode,count_include_pad,dilations,kernel_shape,pads,strides",
	 infer_pool, lower_pool},
	{"LpPool", "auto_pad,ceil_mode,dilations,kernel_shape,p,pads,strides", infer_pool, lower_pool},

	// Recurrent layers
	{"LSTM", "activation_alpha,activation_beta,activations,clip,direction,hidden_size,input_forget,layout",
	 infer_recurrent, lower_recurrent, KINFER_OP_LSTM},
	{"GRU", "activation_alpha,activation_beta,activations,clip,direction,hidden_size,layout,linear_before_reset",
	 infer_recurrent, lower_recurrent, KINFER_OP_GRU},
	{"RNN", "activation_alpha,activation_beta,activations,clip,direction,hidden_size,layout",
	 infer_recurrent, lower_recurrent, KINFER_OP_RNN},

	// Compile time only
	{"Constant", "value,value_float,value_floats,value_int,value_ints", infer_constant, nullptr},
	{"Shape", "start,end", infer_shape, nullptr},
	{"Size", "", infer_size, nullptr},
};

// The passes' own operators (domain "kinfer"), never read from a file.
const OnnxRule kInternal[] = {
	{"Linear", "alpha,beta,transA,transB,act,act_alpha,act_beta", infer_linear, lower_linear},
	{"Conv", "auto_pad,dilations,group,kernel_shape,pads,strides,act,act_alpha,act_beta",
	 infer_conv_fused, lower_conv},
	{"ConvTranspose",
	 "auto_pad,dilations,group,kernel_shape,output_padding,output_shape,pads,strides,act,act_alpha,"
	 "act_beta",
	 infer_conv_fused, lower_conv_transpose},
};

// kinfer's own operators for model files (domain "ai.kinfer", docs/nlp.md).
const OnnxRule kCustom[] = {
	{"WordPieceTokenizer", "max_length,tokenizer_json,vocab_txt", infer_wordpiece, lower_wordpiece},
};

// The int8 operators of .tflite models (domain "ai.kinfer.tflite", made by
// tflite/translate.cc): TFLite's quantisation parameters as attributes.
#define KINFER_TFL_Q "x_scale,x_zero_point,y_scale,y_zero_point"
const OnnxRule kTflite[] = {
	{"FullyConnected", KINFER_TFL_Q ",w_scales,y_shape,activation", infer_tfl_fully_connected,
	 lower_tfl_fully_connected},
	{"Conv2D", KINFER_TFL_Q ",w_scales,y_shape,activation,strides,dilations,pads", infer_tfl_conv,
	 lower_tfl_conv},
	{"DepthwiseConv2D", KINFER_TFL_Q ",w_scales,y_shape,activation,strides,dilations,pads,depth_multiplier",
	 infer_tfl_conv, lower_tfl_conv},
	{"AveragePool2D", KINFER_TFL_Q ",y_shape,activation,kernel_shape,strides,pads", infer_tfl_pool,
	 lower_tfl_pool},
	{"MaxPool2D", KINFER_TFL_Q ",y_shape,activation,kernel_shape,strides,pads", infer_tfl_pool, lower_tfl_pool},
	{"Add", "a_scale,a_zero_point,b_scale,b_zero_point,y_scale,y_zero_point,activation", infer_tfl_binary,
	 lower_tfl_binary},
	{"Mul", "a_scale,a_zero_point,b_scale,b_zero_point,y_scale,y_zero_point,activation", infer_tfl_binary,
	 lower_tfl_binary},
	{"Softmax", KINFER_TFL_Q ",beta", infer_tfl_softmax, lower_tfl_softmax},
	{"Logistic", KINFER_TFL_Q, infer_tfl_unary, lower_tfl_unary},
	{"Tanh", KINFER_TFL_Q, infer_tfl_unary, lower_tfl_unary},
	{"Relu", KINFER_TFL_Q, infer_tfl_unary, lower_tfl_unary},
	{"Relu6", KINFER_TFL_Q, infer_tfl_unary, lower_tfl_unary},
	{"Quantize", KINFER_TFL_Q, infer_tfl_quantize, lower_tfl_quantize},
	{"Dequantize", "x_scale,x_zero_point", infer_tfl_dequantize, lower_tfl_dequantize},
	{"Mean", KINFER_TFL_Q ",axes,keepdims", infer_tfl_mean, lower_tfl_mean},
};
#undef KINFER_TFL_Q

template <size_t N>
const OnnxRule *find_in(const OnnxRule (&rules)[N], const std::string &op)
{
	auto it = std::find_if(std::begin(rules), std::end(rules), [&](const OnnxRule &r) { return op == r.op; });
	return it == std::end(rules) ? nullptr : it;
}

} // namespace

const OnnxRule *find_rule(const Node &n)
{
	if (n.domain.empty())
		return find_in(kRules, n.op);
	if (n.domain == "kinfer")
		return find_in(kInternal, n.op);
	if (n.domain == "ai.kinfer")
		return find_in(kCustom, n.op);
	if (n.domain == "ai.kinfer.tflite")
		return find_in(kTflite, n.op);
	return nullptr;
}

std::vector<std::string> supported_op_list()
{
	std::vector<std::string> ops;
	for (const OnnxRule &r : kRules)
		ops.push_back(r.op);
	std::sort(ops.begin(), ops.end());
	return ops;
}

std::string supported_ops()
{
	std::string s;
	for (const std::string &op : supported_op_list())
		s += (s.empty() ? "" : ", ") + op;
	return s;
}

} // namespace kinfer
