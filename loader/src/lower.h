// SPDX-License-Identifier: GPL-2.0
// Stage 3: ONNX nodes -> kinfer ops (one op per plan node, kmod/uapi/kinfer.h).
//
//	MatMul(x, W) [+ Add(., b)]	-> DENSE (fused) or MATMUL
//	Gemm(x, W, C)			-> DENSE, or MATMUL + ADD_CONST for a 2-D C
//	Add/Mul(x, const)		-> ADD_CONST / MUL_CONST
//	Add/Mul(x, y)			-> ADD / MUL (y broadcast along x)
//	Relu, Sigmoid, Tanh, Softmax	-> the op of the same name
//	Identity, Flatten, Reshape	-> nothing: the output aliases the input
//
// plus one INPUT op per graph input and one OUTPUT op per graph output.
#pragma once

#include "graph.h"

#include <uapi/kinfer.h>

#include <string>
#include <vector>

namespace kinfer {

// An activation buffer in the arena.
struct LTensor {
	std::string name;		// first ONNX tensor name that denotes it
	Shape shape;
	uint64_t bytes = 0;
};

// A weight map: float32 values of one initializer (possibly transformed).
struct LWeight {
	std::string name;		// initializer name, plus ".T"/".scaled"/".bcast" if transformed
	std::string source;		// initializer (or Constant output) name
	Shape shape;
	std::vector<float> data;

	uint64_t bytes() const { return data.size() * sizeof(float); }
};

struct LOp {
	uint32_t op = KINFER_OP_INVALID;	// enum kinfer_op
	int in0 = -1, in1 = -1, out = -1;	// LTensor indices
	int w0 = -1, w1 = -1;			// LWeight indices
	int io = -1;				// INPUT/OUTPUT: port index
	uint32_t dims[4] = {0, 0, 0, 0};	// as in struct kinfer_node
	std::vector<std::string> onnx_nodes;	// the ONNX nodes this op implements
};

// A graph input or output.
struct LPort {
	std::string name;
	Shape shape;
	int tensor = -1;
	uint64_t bytes = 0;
};

struct Lowered {
	std::string file;
	std::vector<LTensor> tensors;
	std::vector<LWeight> weights;
	std::vector<LOp> ops;
	std::vector<LPort> inputs, outputs;
};

Lowered lower_graph(const Graph &g);

// "DENSE", "RELU", ...
const char *op_name(uint32_t op);
// Elementwise ops may write their output over in0 (kinfer.h).
bool op_in_place_ok(uint32_t op);

} // namespace kinfer
