// SPDX-License-Identifier: GPL-2.0
// Stage 2 output: the ONNX graph after validation.  Every tensor has a
// static shape; constants (initializers, Constant nodes and layout-only ops
// applied to them) carry their values.
#pragma once

#include "shape.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace kinfer {

enum class TensorKind { input, activation, constant };

struct TensorInfo {
	TensorKind kind = TensorKind::activation;
	Shape shape;
	int32_t dtype = 1;		// onnx::TensorProto::FLOAT
	std::vector<float> f;		// float constant values
	std::vector<int64_t> i;		// int64 constant values (Reshape shapes)
	std::string source;		// initializer (or Constant output) the values came from
	std::string error;		// set when a constant cannot be used
	int producer = -1;		// index of the producing node, -1 if none
};

struct Node {
	int index = 0;			// position in graph.node
	std::string name;		// may be empty
	std::string op;			// op_type
	std::vector<std::string> in;	// "" for an omitted optional input
	std::vector<std::string> out;
	bool folded = false;		// all inputs constant: evaluated at validation
	// Normalized attributes.
	bool trans_b = false;		// Gemm
	float alpha = 1.0f, beta = 1.0f;	// Gemm
	uint64_t rows = 0, cols = 0;	// Softmax: rows of `cols` elements
};

struct Graph {
	std::string file;		// path as given, for messages
	int64_t opset = 0;
	std::vector<Node> nodes;	// topological order (as in the file)
	std::unordered_map<std::string, TensorInfo> tensors;
	std::vector<std::string> inputs;	// graph inputs that are not initializers
	std::vector<std::string> outputs;

	const TensorInfo &tensor(const std::string &name) const { return tensors.at(name); }
};

// "model.onnx: node 3 'Dense_1/MatMul' (MatMul)"
std::string node_label(const std::string &file, const Node &n);

} // namespace kinfer
