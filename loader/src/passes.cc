// SPDX-License-Identifier: GPL-2.0
// The graph passes after inference: fusions and dead-node removal.
#include "passes.h"

#include "error.h"
#include "onnx_ops.h"
#include "ops.h"
#include "pass_util.h"

#include <cmath>
#include <map>
#include <set>

namespace kinfer {

// The helpers passes_layout.cc shares (pass_util.h).
namespace pass {

// Readers of each value: live nodes, plus one per graph output (or state's
// next value) naming it.
std::map<std::string, int> count_readers(const Graph &g)
{
	std::map<std::string, int> n;
	for (const Node &node : g.nodes)
		if (!node.dead)
			for (const std::string &in : node.in)
				if (!in.empty())
					n[in]++;
	for (const std::string &o : g.roots())
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

bool is_conv(const Node &n)
{
	return (n.domain == "" || n.domain == "kinfer") && (n.op == "Conv" || n.op == "ConvTranspose");
}

// Nodes whose kernel op applies a fused activation: MatMul, Gemm (as
// kinfer.Linear), Conv and ConvTranspose (as kinfer.Conv, kinfer.ConvTranspose).
bool takes_activation(const Node &n)
{
	if (n.domain == "kinfer" && n.op == "Linear")
		return true;
	return is_conv(n) || (n.domain == "" && (n.op == "MatMul" || n.op == "Gemm"));
}

// The passes' own form of n, which takes the attributes act, act_alpha
// and act_beta (never accepted from a model file).
void to_internal(Node &n)
{
	if (is_conv(n))
		n.domain = "kinfer";
	else
		to_linear(n);
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

} // namespace pass

using namespace pass;

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
		if (n.dead || !takes_activation(n) || !is_runtime(g, n) || n.attrs.count("act"))
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
		to_internal(n);
		set_attr(n, "act", make_attr("act", (int64_t)rule->kop));
		set_attr(n, "act_alpha", make_attr("act_alpha", params[0]));
		set_attr(n, "act_beta", make_attr("act_beta", params[1]));
		absorb(n, *act);
	}
}

namespace pass {

// A constant float32 value of shape `s`.
bool const_f32(const Graph &g, const std::string &name, const Shape &s)
{
	if (name.empty() || !g.has(name))
		return false;
	const Value &v = g.value(name);
	return v.constant && v.dtype == DType::f32 && v.shape == s;
}

// A new constant value named after `base`, unique in the graph.
std::string add_const(Graph &g, const std::string &base, HostTensor t)
{
	std::string name = base;
	for (int k = 2; g.has(name); k++)
		name = base + "." + std::to_string(k);
	Value v;
	v.dtype = t.dtype;
	v.shape = t.shape;
	v.constant = true;
	v.data = std::move(t);
	v.source = name;
	g.values.emplace(name, std::move(v));
	return name;
}

std::string source_of(const Graph &g, const std::string &value)
{
	const Value &v = g.value(value);
	return v.source.empty() ? value : v.source;
}

// BatchNormalization as y = x * f[ch] + o[ch] per channel (axis 1), in
// double: f = scale / sqrt(var + eps), o = B - mean * f.  Empty unless its
// parameters are constant [ch] (and spatial, the default).
struct BnAffine {
	std::vector<double> f, o;
};

BnAffine bn_affine(const Graph &g, const Node &bn, int64_t ch)
{
	BnAffine a;
	NodeAttrs attrs(g, bn);
	if (bn.in.size() != 5 || attrs.attr_int("spatial", 1) != 1 ||
	    attrs.attr_int("training_mode", 0) != 0)
		return a;
	for (size_t i = 1; i < 5; i++)
		if (!const_f32(g, bn.in[i], {ch}))
			return a;
	for (size_t i = 1; i < bn.out.size(); i++)
		if (!bn.out[i].empty())
			return a;
	double eps = attrs.attr_float("epsilon", 1e-5f);
	std::vector<float> s = g.value(bn.in[1]).data.floats(), b = g.value(bn.in[2]).data.floats();
	std::vector<float> m = g.value(bn.in[3]).data.floats(), v = g.value(bn.in[4]).data.floats();
	for (int64_t k = 0; k < ch; k++) {
		double f = (double)s[k] / std::sqrt((double)v[k] + eps);
		a.f.push_back(f);
		a.o.push_back((double)b[k] - (double)m[k] * f);
	}
	return a;
}

// Conv (W [M, C/g, k...]) or ConvTranspose (W [C, M/g, k...]) with
// constant weights: scale output channel m's weights by f[m]; the bias
// (b or 0) becomes b * f + o.
bool fold_affine_into_conv(Graph &g, Node &conv, const std::vector<double> &f, const std::vector<double> &o)
{
	if (conv.in.size() < 2 || !g.value(conv.in[1]).constant || g.value(conv.in[1]).dtype != DType::f32)
		return false;
	const Value &w = g.value(conv.in[1]);
	const Value &y = g.value(conv.out[0]);
	int64_t m = y.shape[1];
	bool has_b = conv.in.size() > 2 && !conv.in[2].empty();
	if (has_b && !const_f32(g, conv.in[2], {m}))
		return false;
	if ((int64_t)f.size() != m || (int64_t)o.size() != m)
		return false;
	BnAffine a{f, o};
	HostTensor nw = w.data;
	float *pw = nw.as<float>();
	bool transpose = conv.op == "ConvTranspose";
	int64_t group = NodeAttrs(g, conv).attr_int("group", 1);
	int64_t rows = w.shape[0], per = (int64_t)w.numel() / (w.shape[0] * w.shape[1]);
	for (int64_t r = 0; r < rows; r++)
		for (int64_t col = 0; col < w.shape[1]; col++) {
			// ConvTranspose: row r is input channel r of group r / (C/g).
			int64_t ch = transpose ? r / (rows / group) * w.shape[1] + col : r;
			for (int64_t i = 0; i < per; i++) {
				float &e = pw[(r * w.shape[1] + col) * per + i];
				e = (float)((double)e * a.f[ch]);
			}
		}
	std::vector<float> b = has_b ? g.value(conv.in[2]).data.floats() : std::vector<float>(m, 0.0f);
	std::vector<float> nb(m);
	for (int64_t k = 0; k < m; k++)
		nb[k] = (float)((double)b[k] * a.f[k] + a.o[k]);
	std::string base = source_of(g, conv.in[1]);
	conv.in[1] = add_const(g, base + ".bn", std::move(nw));
	conv.in.resize(3);
	conv.in[2] = add_const(g, base + ".bn_bias", HostTensor::from_floats({m}, nb));
	return true;
}

} // namespace pass

namespace {

bool fold_into_conv(Graph &g, Node &conv, Node &bn)
{
	BnAffine a = bn_affine(g, bn, g.value(conv.out[0]).shape[1]);
	return !a.f.empty() && fold_affine_into_conv(g, conv, a.f, a.o);
}

// Gemm (B constant, C absent or constant) or MatMul of 2-D operands (B
// constant), followed by a BatchNormalization over Y's columns: scale
// column j of op(B) by f[j]; C becomes f * beta * C + o, and beta 1.
bool fold_into_linear(Graph &g, Node &n, Node &bn)
{
	const Value &y = g.value(n.out[0]);
	if (y.shape.size() != 2 || n.in.size() < 2 || !g.value(n.in[1]).constant ||
	    g.value(n.in[1]).dtype != DType::f32 || g.value(n.in[1]).shape.size() != 2)
		return false;
	if (n.op == "MatMul" && g.value(n.in[0]).shape.size() != 2)
		return false;
	int64_t rows = y.shape[0], cols = y.shape[1];
	NodeAttrs attrs(g, n);
	bool tb = attrs.attr_int("transB", 0) != 0;
	float beta = attrs.attr_float("beta", 1.0f);
	bool has_c = n.in.size() > 2 && !n.in[2].empty();
	Shape cs{1, 1};
	if (has_c) {
		const Value &c = g.value(n.in[2]);
		if (!c.constant || c.dtype != DType::f32 || c.shape.size() > 2)
			return false;
		cs = c.shape.size() == 2 ? c.shape : c.shape.size() == 1 ? Shape{1, c.shape[0]} : cs;
		if ((cs[0] != 1 && cs[0] != rows) || (cs[1] != 1 && cs[1] != cols))
			return false;
	}
	BnAffine a = bn_affine(g, bn, cols);
	if (a.f.empty())
		return false;
	const Value &w = g.value(n.in[1]);
	HostTensor nw = w.data;
	float *pw = nw.as<float>();
	for (int64_t i = 0; i < w.shape[0]; i++)
		for (int64_t j = 0; j < w.shape[1]; j++) {
			float &e = pw[i * w.shape[1] + j];
			e = (float)((double)e * a.f[tb ? i : j]);
		}
	// New C: [cols], or [rows, cols] when C varies along the rows.
	std::vector<float> c = has_c ? g.value(n.in[2]).data.floats() : std::vector<float>{0.0f};
	int64_t cr = cs[0];
	std::vector<float> nc(cr * cols);
	for (int64_t i = 0; i < cr; i++)
		for (int64_t j = 0; j < cols; j++) {
			double cv = c[i * cs[1] + (cs[1] == 1 ? 0 : j)];
			nc[i * cols + j] = (float)(((double)beta * cv) * a.f[j] + a.o[j]);
		}
	std::string base = source_of(g, n.in[1]);
	n.in[1] = add_const(g, base + ".bn", std::move(nw));
	n.in.resize(3);
	n.in[2] = add_const(g, base + ".bn_bias",
			   HostTensor::from_floats(cr == 1 ? Shape{cols} : Shape{cr, cols}, nc));
	if (n.op == "MatMul")
		to_linear(n);
	set_attr(n, "beta", make_attr("beta", 1.0f));
	return true;
}

} // namespace

void fold_batchnorm(Graph &g)
{
	for (Node &n : g.nodes) {
		bool conv = n.domain == "" && (n.op == "Conv" || n.op == "ConvTranspose");
		bool linear = n.domain == "" && (n.op == "Gemm" || n.op == "MatMul");
		if (n.dead || !(conv || linear) || !is_runtime(g, n))
			continue;
		auto readers = count_readers(g);
		Node *bn = sole_reader(g, readers, n.out[0]);
		if (!bn || bn->domain != "" || bn->op != "BatchNormalization" || bn->in[0] != n.out[0])
			continue;
		if (conv ? fold_into_conv(g, n, *bn) : fold_into_linear(g, n, *bn))
			absorb(n, *bn);
	}
}

void remove_dead(Graph &g)
{
	std::vector<std::string> roots = g.roots();
	std::set<std::string> needed(roots.begin(), roots.end());
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
	fuse_gelu(g);
	fuse_layer_norm(g);
	sink_transposes(g);
	fold_batchnorm(g);
	fold_conv_affine(g);
	fuse_matmul_add(g);
	fuse_activation(g);
	fuse_clip(g);
	remove_dead(g);
}

} // namespace kinfer
