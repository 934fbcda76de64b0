// SPDX-License-Identifier: GPL-2.0
// The model as the passes see it: ONNX nodes over typed values.  Values
// have static shapes once the infer pass ran; constants (initializers,
// Constant nodes and everything folded from them) carry their data.
#pragma once

#include "dtype.h"
#include "shape.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace kinfer {

struct Value {
	DType dtype = DType::none;
	Shape shape;
	bool constant = false;
	HostTensor data;		// when constant
	std::string source;		// initializer the data came from, for weight names
	std::string error;		// a constant kinfer cannot use (said on use)
	int producer = -1;		// node index, -1 for graph inputs and initializers
	bool graph_input = false;

	uint64_t numel() const { return shape_numel(shape); }
};

struct Node {
	int index = 0;			// position in the ONNX graph (passes add none)
	std::string name;		// may be empty
	std::string op;			// op_type
	std::string domain;		// "" (ai.onnx) or "kinfer" for the passes' own
	std::vector<std::string> in;	// "" for an omitted optional input
	std::vector<std::string> out;	// "" for an omitted optional output
	std::map<std::string, onnx::AttributeProto> attrs;
	bool dead = false;		// removed by a pass
	std::vector<std::string> fused;	// labels of ONNX nodes folded into this one
};

// What the file declares for a graph output: checked against inference.
struct OutputDecl {
	int32_t onnx_type = 0;		// 0: not declared
	bool has_shape = false;
	Shape dims;			// -1 where symbolic or unknown
};

// Model state (a Flax mutable collection): `value` is an initializer the
// program reads at the start of each run, `next` the graph output whose
// value is written back into it at the end, so it persists across runs.
// Declared by the model's metadata "kinfer.state" ({"next": "value"}).
struct StateVar {
	std::string value;
	std::string next;
};

struct Graph {
	std::string file;		// path as given, for messages
	int64_t opset = 0;
	std::vector<Node> nodes;	// topological order
	std::unordered_map<std::string, Value> values;
	std::vector<std::string> inputs;	// graph inputs that are not initializers
	std::vector<std::string> outputs;
	std::vector<OutputDecl> output_decls;	// per output
	std::vector<StateVar> state;		// not among inputs and outputs

	// Values the program must compute: the outputs and the state's next values.
	std::vector<std::string> roots() const
	{
		std::vector<std::string> r = outputs;
		for (const StateVar &s : state)
			r.push_back(s.next);
		return r;
	}

	const Value &value(const std::string &name) const { return values.at(name); }
	Value &value(const std::string &name) { return values.at(name); }
	bool has(const std::string &name) const { return values.count(name) != 0; }
};

// "model.onnx: node 3 'Dense_1/MatMul' (MatMul)"
std::string node_label(const std::string &file, const Node &n);
// "Dense_1/MatMul" or "MatMul#3": how manifests name a node.
std::string node_short(const Node &n);

} // namespace kinfer
