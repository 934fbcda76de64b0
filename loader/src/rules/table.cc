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

	// Reductions and normalisation (more)

	// Data movement and gather

	// Convolution and pooling

	// Recurrent layers

	// Compile time only
	{"Constant", "value,value_float,value_floats,value_int,value_ints", infer_constant, nullptr},
	{"Shape", "start,end", infer_shape, nullptr},
	{"Size", "", infer_size, nullptr},
};

// The passes' own operators (domain "kinfer"), never read from a file.
const OnnxRule kInternal[] = {
	{"Linear", "alpha,beta,transA,transB,act,act_alpha,act_beta", infer_linear, lower_linear},
};

} // namespace

const OnnxRule *find_rule(const Node &n)
{
	const OnnxRule *begin = n.domain.empty() ? std::begin(kRules) : std::begin(kInternal);
	const OnnxRule *end = n.domain.empty() ? std::end(kRules) : std::end(kInternal);
	if (!n.domain.empty() && n.domain != "kinfer")
		return nullptr;
	auto it = std::find_if(begin, end, [&](const OnnxRule &r) { return n.op == r.op; });
	return it == end ? nullptr : it;
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
