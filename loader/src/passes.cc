// SPDX-License-Identifier: GPL-2.0
// The graph passes after inference: fusions and dead-node removal.
#include "passes.h"

#include "error.h"
#include "onnx_ops.h"
#include "ops.h"

#include <map>
#include <set>

namespace kinfer {

namespace {

// Readers of each value: live nodes, plus one per graph output naming it.
std::map<std::string, int> count_readers(const Graph &g)
{
	std::map<std::string, int> n;
	for (const Node &node : g.nodes)
		if (!node.dead)
			for (const std::string &in : node.in)
				if (!in.empty())
					n[in]++;
	for (const std::string &o : g.outputs)
		n[o] += 1;
	return n;
}

// The one live node reading `value`, if it has exactly one reader.
Node *sole_reader(Graph &g, const std::map<std::string, int> &readers, const std::string &value)
{
	auto it = readers.find(value);
	if (it == readers.end() || it->second != 1)
		return nullptr;
	for (Node &n : g.nodes)
		if (!n.dead)
			for (const std::string &in : n.in)
				if (in == value)
					return &n;
	return nullptr;	// read by a graph output
}

bool is_runtime(const Graph &g, const Node &n)
{
	for (const std::string &o : n.out)
		if (!o.empty() && !g.value(o).constant)
			return true;
	return false;
}

onnx::AttributeProto make_attr(const std::string &name, int64_t i)
{
	onnx::AttributeProto a;
	a.set_name(name);
	a.set_type(onnx::AttributeProto::INT);
	a.set_i(i);
	return a;
}

onnx::AttributeProto make_attr(const std::string &name, float f)
{
	onnx::AttributeProto a;
	a.set_name(name);
	a.set_type(onnx::AttributeProto::FLOAT);
	a.set_f(f);
	return a;
}

void set_attr(Node &n, const std::string &name, onnx::AttributeProto a)
{
	n.attrs[name] = std::move(a);
}

// Turn a MatMul or Gemm into the passes' kinfer.Linear (same semantics,
// plus an optional fused activation); attributes keep Gemm's names.
void to_linear(Node &n)
{
	if (n.domain == "kinfer")
		return;
	n.domain = "kinfer";
	n.op = "Linear";
}

// Absorb `next` (a single-input node reading n's only output) into n.
void absorb(Node &n, Node &next)
{
	n.out = next.out;
	n.fused.push_back(node_short(next));
	for (const std::string &f : next.fused)
		n.fused.push_back(f);
	next.dead = true;
}

} // namespace

void fuse_matmul_add(Graph &g)
{
	for (Node &n : g.nodes) {
		if (n.dead || n.domain != "" || (n.op != "MatMul" && n.op != "Gemm") || !is_runtime(g, n))
			continue;
		if (n.op == "Gemm" && n.in.size() > 2 && !n.in[2].empty())
			continue;
		const Value &y = g.value(n.out[0]);
		if (y.shape.size() < 2)
			continue;
		auto readers = count_readers(g);
		Node *add = sole_reader(g, readers, n.out[0]);
		if (!add || add->op != "Add" || add->domain != "" || add->in.size() != 2)
			continue;
		const std::string &bias = add->in[0] == n.out[0] ? add->in[1] : add->in[0];
		const Value &b = g.value(bias);
		// The bias must broadcast onto y without widening it.
		if (!b.constant || b.dtype != DType::f32 || g.value(add->out[0]).shape != y.shape)
			continue;
		to_linear(n);
		n.in.resize(2);
		n.in.push_back(bias);
		absorb(n, *add);
	}
}

void fuse_activation(Graph &g)
{
	for (Node &n : g.nodes) {
		bool linear = n.domain == "kinfer" && n.op == "Linear";
		if (n.dead || !(linear || (n.domain == "" && (n.op == "MatMul" || n.op == "Gemm"))) ||
		    !is_runtime(g, n) || n.attrs.count("act"))
			continue;
		auto readers = count_readers(g);
		Node *act = sole_reader(g, readers, n.out[0]);
		if (!act || act->dead)
			continue;
		const OnnxRule *rule = find_rule(*act);
		const KernelOp *k = rule ? kernel_op(rule->kop) : nullptr;
		if (!k || std::string(k->op_class) != "unary" || act->in.size() != 1)
			continue;
		if (g.value(act->out[0]).shape != g.value(n.out[0]).shape)
			continue;
		// The activation's parameters, as its own lowering would set them.
		float params[2] = {0.0f, 0.0f};
		NodeAttrs ac(g, *act);
		for (int i = 0; i < 2; i++)
			if (rule->params[i].attr)
				params[i] = ac.attr_float(rule->params[i].attr, rule->params[i].def);
		to_linear(n);
		set_attr(n, "act", make_attr("act", (int64_t)rule->kop));
		set_attr(n, "act_alpha", make_attr("act_alpha", params[0]));
		set_attr(n, "act_beta", make_attr("act_beta", params[1]));
		absorb(n, *act);
	}
}

void fold_batchnorm(Graph &g)
{
	(void)g;	// Conv and Gemm followed by BatchNormalization: with Conv.
}

void remove_dead(Graph &g)
{
	std::set<std::string> needed(g.outputs.begin(), g.outputs.end());
	for (size_t i = g.nodes.size(); i-- > 0;) {
		Node &n = g.nodes[i];
		if (n.dead)
			continue;
		bool used = false;
		for (const std::string &o : n.out)
			used = used || (!o.empty() && needed.count(o));
		if (!used) {
			n.dead = true;
			continue;
		}
		for (const std::string &in : n.in)
			if (!in.empty())
				needed.insert(in);
	}
}

void run_passes(Graph &g)
{
	infer_graph(g);
	remove_dead(g);
	fold_batchnorm(g);
	fuse_matmul_add(g);
	fuse_activation(g);
	remove_dead(g);
}

} // namespace kinfer
