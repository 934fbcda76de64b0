// SPDX-License-Identifier: GPL-2.0
// The ONNX operators kinfer compiles, one rule each: which attributes it
// takes, how it infers (or folds) its outputs, and how it lowers to kernel
// ops.  Rules live in loader/src/rules/; the table is rules/table.cc.
#pragma once

#include "graph.h"
#include "lower.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kinfer {

class NodeCtx;
class LowerCtx;

// An ONNX attribute that becomes one of a kernel op's float parameters.
struct OnnxParam {
	const char *attr = nullptr;	// ONNX attribute name; nullptr: unused slot
	float def = 0.0f;		// its default
};

struct OnnxRule {
	const char *op;			// op_type
	const char *attrs;		// accepted attributes, comma separated
	void (*infer)(NodeCtx &);	// check attributes and inputs, define outputs
	void (*lower)(LowerCtx &);	// emit kernel ops; nullptr: always folded
	uint32_t kop = KINFER_OP_INVALID;	// the kernel op of class rules
	OnnxParam params[2] = {};	// alpha, beta of unary kernel ops
};

// The rule for a node, or nullptr.
const OnnxRule *find_rule(const Node &n);
// Operator types kinfer compiles, sorted, comma separated.
std::string supported_ops();
std::vector<std::string> supported_op_list();

// A node's attributes, read with their types checked ("attribute 'alpha'
// must be FLOAT, not INT"), and failures that name the node.
class NodeAttrs {
public:
	NodeAttrs(const Graph &g, const Node &n) : g_(g), n_(n) {}

	[[noreturn]] void fail(const std::string &cause) const;

	bool has_attr(const char *name) const { return n_.attrs.count(name) != 0; }
	int64_t attr_int(const char *name, int64_t def) const;
	float attr_float(const char *name, float def) const;
	std::string attr_string(const char *name, const std::string &def) const;
	std::vector<int64_t> attr_ints(const char *name) const;
	std::vector<float> attr_floats(const char *name) const;
	const onnx::TensorProto &attr_tensor(const char *name) const;

private:
	const Graph &g_;
	const Node &n_;
};

// Infer-time view of one node.
class NodeCtx : public NodeAttrs {
public:
	NodeCtx(Graph &g, Node &n, const OnnxRule &rule) : NodeAttrs(g, n), g(g), n(n), rule(rule) {}
	Graph &g;
	Node &n;
	const OnnxRule &rule;

	size_t n_in() const { return n.in.size(); }
	size_t n_out() const { return n.out.size(); }
	bool has_in(size_t i) const { return i < n.in.size() && !n.in[i].empty(); }
	bool has_out(size_t i) const { return i < n.out.size() && !n.out[i].empty(); }
	// Input i; fails when it is missing or unusable.
	const Value &in(size_t i) const;
	// Input i, which must have one of `types`.
	const Value &in(size_t i, std::initializer_list<DType> types) const;
	const Value &in_f32(size_t i) const { return in(i, {DType::f32}); }
	bool in_const(size_t i) const { return has_in(i) && in(i).constant; }
	// A constant integer input (shapes, axes); fails when not constant.
	std::vector<int64_t> const_ints(size_t i, const char *what) const;
	// "input 'x'" or "weight 'params/Dense_0/kernel'".
	std::string what(size_t i) const;

	void arity(size_t min_in, size_t max_in, size_t min_out = 1, size_t max_out = 1) const;

	// Normalise a possibly negative axis of a rank-`rank` tensor.
	int64_t axis(int64_t a, size_t rank, const char *what = "axis") const;

	void define(size_t i, DType t, const Shape &s) const;
	void define_const(size_t i, HostTensor t) const;
	// Output i is input 0 with another shape (or the same): a view.
	void define_view(size_t i, const Shape &s) const;
};

// Lower-time view of one node.
class LowerCtx : public NodeAttrs {
public:
	struct Impl;
	LowerCtx(Impl &impl, const Graph &g, const Node &n, const OnnxRule &rule)
		: NodeAttrs(g, n), g(g), n(n), rule(rule), impl_(impl) {}
	const Graph &g;
	const Node &n;
	const OnnxRule &rule;
	bool has_in(size_t i) const { return i < n.in.size() && !n.in[i].empty(); }
	bool has_out(size_t i) const { return i < n.out.size() && !n.out[i].empty(); }
	const Value &value(size_t i) const { return g.value(n.in[i]); }
	const Value &out_value(size_t i) const { return g.value(n.out[i]); }
	// Operand for input i: its storage view, or its weight (constants).
	LRef in(size_t i) const;
	// A fresh storage for output i, shaped as the graph says.
	LRef out(size_t i) const;
	// Output i is `r` (a view of an input's storage).
	void alias(size_t i, const LRef &r) const;
	// A weight of data computed at compile time (a transformed constant).
	LRef weight(const std::string &name, HostTensor t) const;
	// Constant matrix input i ([K, N], or [N, K] with @transpose) in the
	// GEMM kernels' panels (KINFER_MATMUL_B_PANELS): one weight per
	// (input, transpose), as for in().
	LRef panel_weight(size_t i, bool transpose) const;
	// A temporary storage for an intermediate result.
	LRef scratch(DType t, const Shape &s, const std::string &name) const;

	LOp &emit(uint32_t op, std::vector<LRef> in, std::vector<LRef> out, const void *attr,
		  size_t attr_bytes) const;
	template <typename A>
	LOp &emit(uint32_t op, std::vector<LRef> in, std::vector<LRef> out, const A &attr) const
	{
		return emit(op, std::move(in), std::move(out), &attr, sizeof(attr));
	}
	LOp &emit(uint32_t op, std::vector<LRef> in, std::vector<LRef> out) const
	{
		return emit(op, std::move(in), std::move(out), nullptr, 0);
	}

private:
	Impl &impl_;
};

} // namespace kinfer
