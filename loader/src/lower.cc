// SPDX-License-Identifier: GPL-2.0
#include "lower.h"

#include "error.h"
#include "onnx_ops.h"
#include "ops.h"
#include "panels.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace kinfer {

int op_inplace_input(const LOp &op)
{
	const KernelOp *k = kernel_op(op.op);
	if (!k || op.out.empty())
		return -1;
	std::string cls = k->op_class;
	if (cls == "unary" || cls == "softmax" || cls == "norm" || cls == "batch_norm")
		return 0;
	if (cls == "binary") {
		for (int i = 0; i < 2 && i < (int)op.in.size(); i++)
			if (op.in[i].shape == op.out[0].shape)
				return i;
	}
	return -1;
}

struct LowerCtx::Impl {
	const Graph &g;
	Lowered l;
	std::unordered_map<std::string, LRef> refs;	// activation value -> its view
	std::unordered_map<std::string, int> weight_of;	// constant value -> weight
	std::unordered_map<std::string, int> panels_of;	// (value, transposed) -> weight
	std::unordered_set<std::string> weight_names;

	int new_storage(const std::string &name, uint64_t bytes)
	{
		l.storages.push_back(LStorage{name, bytes});
		return (int)l.storages.size() - 1;
	}

	LRef storage_ref(const std::string &name, DType t, const Shape &s)
	{
		LRef r;
		r.kind = LRef::Kind::arena;
		r.dtype = t;
		r.shape = s;
		r.index = new_storage(name, r.bytes());
		return r;
	}

	// A weight name no initializer and no other weight has.
	std::string unused_name(const std::string &base)
	{
		std::string name = base;
		for (int k = 2; weight_names.count(name) || (name != base && g.has(name)); k++)
			name = base + "." + std::to_string(k);
		return name;
	}

	LRef add_weight(const std::string &name, const std::string &source, HostTensor t)
	{
		LRef r;
		r.kind = LRef::Kind::weight;
		r.dtype = t.dtype;
		r.shape = t.shape;
		std::string unique = unused_name(name);
		weight_names.insert(unique);
		l.weights.push_back(LWeight{unique, source, std::move(t), {}});
		r.index = (int)l.weights.size() - 1;
		return r;
	}

	// One weight per constant value, shared by every op reading it.
	LRef const_weight(const std::string &value)
	{
		const Value &v = g.value(value);
		auto it = weight_of.find(value);
		if (it == weight_of.end()) {
			std::string name = v.source.empty() ? value : v.source;
			LRef r = add_weight(name, name, v.data);
			weight_of[value] = r.index;
			return r;
		}
		LRef r;
		r.kind = LRef::Kind::weight;
		r.index = it->second;
		r.dtype = v.dtype;
		r.shape = v.shape;
		return r;
	}

	// The constant matrix @value (transposed first with @transpose) in the
	// GEMM kernels' panels, shared by every MatMul that reads it so.
	LRef panel_weight(const std::string &value, bool transpose)
	{
		const Value &v = g.value(value);
		std::string name = (v.source.empty() ? value : v.source) + (transpose ? ".T" : "");
		auto it = panels_of.find(value + (transpose ? "\nT" : "\n"));
		if (it == panels_of.end()) {
			HostTensor m = transpose ? transpose2d(v.data) : v.data;
			Shape matrix = m.shape;
			LRef r = add_weight(name, v.source.empty() ? value : v.source, to_panels(m));
			l.weights[r.index].matrix = matrix;
			panels_of[value + (transpose ? "\nT" : "\n")] = r.index;
			return r;
		}
		LRef r;
		r.kind = LRef::Kind::weight;
		r.index = it->second;
		r.dtype = DType::f32;
		r.shape = l.weights[it->second].t.shape;
		return r;
	}
};

LRef LowerCtx::in(size_t i) const
{
	const std::string &name = n.in.at(i);
	const Value &v = g.value(name);
	if (v.constant)
		return impl_.const_weight(name);
	auto it = impl_.refs.find(name);
	if (it == impl_.refs.end())
		fail("internal error: input '" + name + "' has no storage");
	return it->second;
}

LRef LowerCtx::out(size_t i) const
{
	const std::string &name = n.out.at(i);
	const Value &v = g.value(name);
	LRef r = impl_.storage_ref(name, v.dtype, v.shape);
	impl_.refs[name] = r;
	return r;
}

void LowerCtx::alias(size_t i, const LRef &r) const
{
	impl_.refs[n.out.at(i)] = r;
}

LRef LowerCtx::panel_weight(size_t i, bool transpose) const
{
	return impl_.panel_weight(n.in.at(i), transpose);
}

LRef LowerCtx::weight(const std::string &name, HostTensor t) const
{
	return impl_.add_weight(name, name, std::move(t));
}

LRef LowerCtx::scratch(DType t, const Shape &s, const std::string &name) const
{
	return impl_.storage_ref(name, t, s);
}

LOp &LowerCtx::emit(uint32_t op, std::vector<LRef> in, std::vector<LRef> out, const void *attr,
		    size_t attr_bytes) const
{
	LOp o;
	o.op = op;
	o.in = std::move(in);
	o.out = std::move(out);
	if (attr_bytes) {
		o.attr.resize(attr_bytes);
		std::memcpy(o.attr.data(), attr, attr_bytes);
	}
	o.onnx_nodes.push_back(node_short(n));
	for (const std::string &f : n.fused)
		o.onnx_nodes.push_back(f);
	impl_.l.ops.push_back(std::move(o));
	return impl_.l.ops.back();
}

namespace {

LRef io_ref(int port, DType t, const Shape &s)
{
	LRef r;
	r.kind = LRef::Kind::io;
	r.index = port;
	r.dtype = t;
	r.shape = s;
	return r;
}

LOp io_op(uint32_t op, LRef in, LRef out)
{
	LOp o;
	o.op = op;
	o.in.push_back(std::move(in));
	o.out.push_back(std::move(out));
	return o;
}

// A node is lowered unless a pass removed it or it only produced
// constants (folded at compile time).
bool needs_lowering(const Graph &g, const Node &n)
{
	if (n.dead)
		return false;
	for (const std::string &o : n.out)
		if (!o.empty() && !g.value(o).constant)
			return true;
	return false;
}

// A graph output known at compile time (Shape, a folded subgraph): OUTPUT
// reads the arena, so the weight is copied into a storage first.
LRef constant_output(LowerCtx::Impl &impl, const std::string &name)
{
	const Value &v = impl.g.value(name);
	LRef w = impl.const_weight(name);
	LRef r = impl.storage_ref(name, v.dtype, v.shape);
	kinfer_attr_copy a{};
	a.rank = 1;
	a.dims[0] = (uint32_t)v.numel();
	a.in_stride[0] = 1;
	a.out_stride[0] = 1;
	LOp o = io_op(KINFER_OP_COPY, w.reshaped({(int64_t)v.numel()}),
		      r.reshaped({(int64_t)v.numel()}));
	o.attr.resize(sizeof(a));
	std::memcpy(o.attr.data(), &a, sizeof(a));
	o.onnx_nodes.push_back("output " + name);
	impl.l.ops.push_back(std::move(o));
	return r;
}

// The state's weight (its initial value), copied into the arena first.
void lower_state_input(LowerCtx::Impl &impl, const StateVar &s)
{
	const Value &v = impl.g.value(s.value);
	LRef w = impl.add_weight(s.value, s.value, v.data);
	LRef r = impl.storage_ref(s.value, v.dtype, v.shape);
	impl.refs[s.value] = r;
	LOp o = io_op(KINFER_OP_INPUT, w, r);
	o.onnx_nodes.push_back("state " + s.value);
	impl.l.ops.push_back(std::move(o));
	impl.l.state.push_back(LState{s.value, s.next, w.index});
}

// The next value, written over the state's weight last.
void lower_state_output(LowerCtx::Impl &impl, const LState &s)
{
	const Graph &g = impl.g;
	const Value &v = g.value(s.next), &was = g.value(s.name);
	if (v.dtype != was.dtype || v.shape != was.shape)
		throw ModelError(g.file + ": state '" + s.name + "' is " + dtype_str(was.dtype) +
				 shape_str(was.shape) + " but its next value '" + s.next + "' is " +
				 dtype_str(v.dtype) + shape_str(v.shape));
	if (v.constant && !impl.refs.count(s.next))
		impl.refs[s.next] = constant_output(impl, s.next);
	LRef w;
	w.kind = LRef::Kind::weight;
	w.index = s.weight;
	w.dtype = was.dtype;
	w.shape = was.shape;
	LOp o = io_op(KINFER_OP_OUTPUT, impl.refs.at(s.next), w);
	o.onnx_nodes.push_back("state " + s.name);
	impl.l.ops.push_back(std::move(o));
}

} // namespace

Lowered lower_graph(const Graph &g)
{
	LowerCtx::Impl impl{g, {}, {}, {}, {}, {}};
	Lowered &l = impl.l;
	l.file = g.file;
	for (size_t i = 0; i < g.inputs.size(); i++) {
		const Value &v = g.value(g.inputs[i]);
		LRef r = impl.storage_ref(g.inputs[i], v.dtype, v.shape);
		impl.refs[g.inputs[i]] = r;
		l.inputs.push_back(LPort{g.inputs[i], v.dtype, v.shape, r.bytes()});
		l.ops.push_back(io_op(KINFER_OP_INPUT, io_ref((int)i, v.dtype, v.shape), r));
	}
	for (const StateVar &s : g.state)
		lower_state_input(impl, s);
	for (const Node &n : g.nodes) {
		if (!needs_lowering(g, n))
			continue;
		const OnnxRule *rule = find_rule(n);
		LowerCtx ctx(impl, g, n, *rule);
		if (!rule->lower)
			ctx.fail("internal error: a compile-time-only operator has a runtime input");
		rule->lower(ctx);
	}
	for (size_t i = 0; i < g.outputs.size(); i++) {
		const std::string &name = g.outputs[i];
		const Value &v = g.value(name);
		if (v.constant && !impl.refs.count(name))
			impl.refs[name] = constant_output(impl, name);
		auto it = impl.refs.find(name);
		if (it == impl.refs.end())
			throw std::logic_error(g.file + ": internal error: graph output '" + name +
					       "' has no storage");
		l.outputs.push_back(LPort{name, v.dtype, v.shape, it->second.bytes()});
		l.ops.push_back(io_op(KINFER_OP_OUTPUT, it->second, io_ref((int)i, v.dtype, v.shape)));
	}
	for (const LState &s : l.state)
		lower_state_output(impl, s);
	check_op_count(l);
	return std::move(impl.l);
}

Lowered lower_node(const Graph &g, const Node &n)
{
	LowerCtx::Impl impl{g, {}, {}, {}, {}, {}};
	Lowered &l = impl.l;
	l.file = g.file;
	const OnnxRule *rule = find_rule(n);
	LowerCtx ctx(impl, g, n, *rule);
	rule->lower(ctx);
	for (size_t i = 0; i < n.out.size(); i++) {
		if (n.out[i].empty())
			continue;
		const Value &v = g.value(n.out[i]);
		auto it = impl.refs.find(n.out[i]);
		if (it == impl.refs.end())
			ctx.fail("internal error: output '" + n.out[i] + "' was not lowered");
		int port = (int)l.outputs.size();
		l.outputs.push_back(LPort{n.out[i], v.dtype, v.shape, it->second.bytes()});
		l.ops.push_back(io_op(KINFER_OP_OUTPUT, it->second, io_ref(port, v.dtype, v.shape)));
	}
	return std::move(impl.l);
}

void check_op_count(const Lowered &l)
{
	if (l.ops.size() > KINFER_MAX_NODES)
		throw ModelError(l.file + ": the model lowers to " + std::to_string(l.ops.size()) +
				 " kernel ops (limit " + std::to_string(KINFER_MAX_NODES) + ")");
}

} // namespace kinfer
