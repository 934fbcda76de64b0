// SPDX-License-Identifier: GPL-2.0
// Stage 4: the graph as kernel ops (kmod/uapi/kinfer_ops.h): every
// activation lives in an arena *storage*, every constant operand in a
// weight map, and each op names its operands as views (dtype, shape, byte
// offset) of those, or of the io buffer for INPUT and OUTPUT.  Layout-only
// ONNX ops (Reshape, Flatten, ...) emit nothing: their output is another
// view of their input's storage.
#pragma once

#include "dtype.h"
#include "graph.h"

#include <uapi/kinfer.h>

#include <string>
#include <vector>

namespace kinfer {

// An activation buffer in the arena.
struct LStorage {
	std::string name;		// first ONNX value that denotes it
	uint64_t bytes = 0;
};

// A weight map: the values of one constant (possibly transformed).
struct LWeight {
	std::string name;		// initializer name, or a derived one for transformed data
	std::string source;		// the initializer (or node output) it came from
	HostTensor t;
	Shape matrix;			// not empty: t holds this [K, N] in panels (panels.h)

	uint64_t bytes() const { return t.data.size(); }
};

// One operand of a kernel op: a view of a storage, a weight or an io port.
struct LRef {
	enum class Kind : uint8_t { none, arena, weight, io };
	Kind kind = Kind::none;
	int index = -1;			// storage, weight or port (inputs for INPUT, outputs for OUTPUT)
	DType dtype = DType::none;
	Shape shape;
	uint64_t byte_off = 0;		// within the storage or weight

	bool present() const { return kind != Kind::none; }
	uint64_t bytes() const { return shape_numel(shape) * dtype_size(dtype); }
	LRef reshaped(const Shape &s) const
	{
		LRef r = *this;
		r.shape = s;
		return r;
	}
};

struct LOp {
	uint32_t op = KINFER_OP_INVALID;	// enum kinfer_op
	std::vector<LRef> in, out;
	std::vector<uint8_t> attr;		// the op's attribute block
	std::vector<std::string> onnx_nodes;	// the ONNX nodes it implements
};

// A graph input or output.
struct LPort {
	std::string name;
	DType dtype = DType::f32;
	Shape shape;
	uint64_t bytes = 0;
};

// Model state: a weight the program copies into the arena first (INPUT)
// and overwrites with its next value last (OUTPUT).
struct LState {
	std::string name;		// the initializer (and weight) name
	std::string next;		// the ONNX value written back
	int weight = -1;
};

struct Lowered {
	std::string file;
	std::vector<LStorage> storages;
	std::vector<LWeight> weights;
	std::vector<LOp> ops;
	std::vector<LPort> inputs, outputs;
	std::vector<LState> state;
};

// Which input output 0 may replace in place (the kernel's class rule), or -1.
int op_inplace_input(const LOp &op);

Lowered lower_graph(const Graph &g);
// One node whose inputs are all constants, its outputs as output ports:
// what constant folding runs.
Lowered lower_node(const Graph &g, const Node &n);
// Throws ModelError when the plan would have more than KINFER_MAX_NODES.
void check_op_count(const Lowered &l);

} // namespace kinfer
