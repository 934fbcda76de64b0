// SPDX-License-Identifier: GPL-2.0
// Passes for models exported channels-last (Flax, TensorFlow): the
// exporter wraps every Conv in Transpose(NHWC -> NCHW) ... Transpose(NCHW
// -> NHWC) and spells BatchNormalization and ReLU6 as Sub, Mul, Add over
// the last axis, Relu and Min.  Unchanged, each is a kernel op over the
// whole activation; these passes leave one CONV per convolution.  Each
// rewrite is exact algebra (up to float rounding where constants fold)
// and leaves the graph alone unless every precondition holds.
#include "passes.h"

#include "onnx_ops.h"
#include "ops.h"
#include "pass_util.h"

#include <uapi/kinfer.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace kinfer {

using namespace pass;

namespace {

bool is_op(const Node &n, const char *op)
{
	return !n.dead && n.domain.empty() && n.op == op;
}

// Transpose's perm: out axis i is in axis perm[i] (reversed by default).
std::vector<int64_t> perm_of(const Graph &g, const Node &t)
{
	size_t r = g.value(t.in[0]).shape.size();
	NodeAttrs a(g, t);
	if (a.has_attr("perm"))
		return a.attr_ints("perm");
	std::vector<int64_t> p(r);
	for (size_t i = 0; i < r; i++)
		p[i] = (int64_t)(r - 1 - i);
	return p;
}

// Operators that act element by element (with numpy broadcasting of
// their other operands): they commute with a Transpose of their one
// runtime operand once constant operands are transposed alike.
bool elementwise(const Node &n)
{
	static const std::set<std::string> ops{"Add", "Sub", "Mul", "Div", "Pow", "Min",
					       "Max", "Sum", "PRelu", "Clip"};
	if (ops.count(n.op))
		return true;
	const OnnxRule *rule = find_rule(n);
	const KernelOp *k = rule ? kernel_op(rule->kop) : nullptr;
	return k && std::string(k->op_class) == "unary" && n.in.size() == 1;
}

// r reads `v` (the transposed value) and only constants besides, and its
// one output has v's shape: sinking the Transpose below it moves no more
// data than before.
bool commutes(const Graph &g, const Node &r, const std::string &v)
{
	if (r.dead || !r.domain.empty() || r.out.size() != 1 || !elementwise(r))
		return false;
	if (g.value(r.out[0]).shape != g.value(v).shape)
		return false;
	for (const std::string &in : r.in) {
		if (in.empty() || in == v)
			continue;
		const Value &c = g.value(in);
		if (!c.constant || !dtype_size(c.dtype) || c.shape.size() > g.value(v).shape.size())
			return false;
	}
	return true;
}

bool inverse_of(const std::vector<int64_t> &p, const std::vector<int64_t> &q)
{
	if (p.size() != q.size())
		return false;
	for (size_t i = 0; i < q.size(); i++)
		if (q[i] < 0 || q[i] >= (int64_t)p.size() || p[q[i]] != (int64_t)i)
			return false;
	return true;
}

// A reduction with keepdims=0 over constant axes.  Reducing t = T(x) over
// `axes` is reducing x over perm[axes] when the axes left keep their
// order; the new axes are returned in `moved`.
bool reduce_absorbs(const Graph &g, const Node &r, const std::vector<int64_t> &perm,
		    std::vector<int64_t> &moved)
{
	if (r.dead || !r.domain.empty() || r.op.rfind("Reduce", 0) != 0 || r.out.size() != 1)
		return false;
	NodeAttrs a(g, r);
	if (a.attr_int("keepdims", 1) != 0)
		return false;
	std::vector<int64_t> axes;
	if (a.has_attr("axes"))
		axes = a.attr_ints("axes");
	else if (r.in.size() > 1 && !r.in[1].empty() && g.value(r.in[1]).constant)
		axes = g.value(r.in[1]).data.ints();
	if (axes.empty())
		return false;
	int64_t rank = (int64_t)perm.size();
	std::vector<bool> reduced(rank, false);
	moved.clear();
	for (int64_t ax : axes) {
		int64_t k = ax < 0 ? ax + rank : ax;
		if (k < 0 || k >= rank || reduced[k])
			return false;
		reduced[k] = true;
		moved.push_back(perm[k]);
	}
	int64_t last = -1;
	for (int64_t i = 0; i < rank; i++)
		if (!reduced[i]) {
			if (perm[i] < last)
				return false;
			last = perm[i];
		}
	return true;
}

// Where a Transpose's output flows: through `path` (elementwise nodes,
// each the sole reader of the one before), to `end`, which undoes it (an
// inverse Transpose) or absorbs it (a reduction, `axes` its new axes).
struct SinkPath {
	std::vector<Node *> path;
	Node *end = nullptr;
	std::vector<int64_t> axes;	// for a reduction
};

bool find_sink_path(Graph &g, const Node &t, SinkPath &s)
{
	auto readers = count_readers(g);
	std::vector<int64_t> perm = perm_of(g, t);
	std::string v = t.out[0];
	for (;;) {
		Node *r = sole_reader(g, readers, v);
		if (!r)
			return false;
		if (is_op(*r, "Transpose") && inverse_of(perm, perm_of(g, *r))) {
			s.end = r;
			// Without a node between them, the readers of r's output
			// must be able to read x instead: not a graph output.
			std::vector<std::string> roots = g.roots();
			return !s.path.empty() || std::find(roots.begin(), roots.end(), r->out[0]) == roots.end();
		}
		if (reduce_absorbs(g, *r, perm, s.axes) && r->in[0] == v) {
			s.end = r;
			return true;
		}
		if (!commutes(g, *r, v))
			return false;
		s.path.push_back(r);
		v = r->out[0];
	}
}

// c broadcast against a rank-`rank` operand of T(x), as an operand of x:
// its dims padded to `rank` and moved by the inverse of perm.
HostTensor untranspose(const HostTensor &c, const std::vector<int64_t> &perm)
{
	size_t rank = perm.size(), es = dtype_size(c.dtype);
	Shape s(rank - c.shape.size(), 1);
	s.insert(s.end(), c.shape.begin(), c.shape.end());
	std::vector<uint64_t> stride(rank, 1);
	for (size_t i = rank - 1; i > 0; i--)
		stride[i - 1] = stride[i] * (uint64_t)s[i];
	HostTensor out;
	out.dtype = c.dtype;
	out.shape.assign(rank, 1);
	for (size_t i = 0; i < rank; i++)
		out.shape[perm[i]] = s[i];
	out.data.resize(c.data.size());
	std::vector<int64_t> j(rank, 0);	// index into out
	for (uint64_t k = 0; k < c.numel(); k++) {
		uint64_t off = 0;
		for (size_t i = 0; i < rank; i++)
			off += (uint64_t)j[perm[i]] * stride[i];
		std::copy_n(c.data.begin() + off * es, es, out.data.begin() + k * es);
		for (size_t a = rank; a-- > 0 && ++j[a] == out.shape[a];)
			j[a] = 0;
	}
	return out;
}

// Drop Transpose t: the path's nodes read x's layout (their constants
// moved alike), and the end reads the last of them (a reduction, over the
// moved axes) or is bypassed (an inverse Transpose).
void sink(Graph &g, Node &t, SinkPath &s)
{
	std::vector<int64_t> perm = perm_of(g, t);
	std::string x = t.in[0], v = t.out[0];
	const Shape xs = g.value(x).shape;
	for (Node *r : s.path) {
		for (std::string &in : r->in) {
			if (in == v) {
				in = x;
			} else if (!in.empty() && g.value(in).numel() > 1) {
				HostTensor c = untranspose(g.value(in).data, perm);
				in = add_const(g, source_of(g, in) + ".untransposed", std::move(c));
			}
		}
		g.value(r->out[0]).shape = xs;
		x = v = r->out[0];
	}
	Node &end = *s.end;
	t.dead = true;
	if (end.op != "Transpose") {
		end.in[0] = x;
		if (end.attrs.count("axes"))
			end.attrs["axes"].mutable_ints()->Assign(s.axes.begin(), s.axes.end());
		else
			end.in[1] = add_const(g, source_of(g, end.in[1]) + ".untransposed",
					      HostTensor::from_ints(DType::i64, {(int64_t)s.axes.size()}, s.axes));
		return;
	}
	end.dead = true;
	if (!s.path.empty()) {
		// The last node now computes what the inverse Transpose did.
		s.path.back()->out[0] = end.out[0];
		return;
	}
	for (Node &n : g.nodes)
		if (!n.dead)
			for (std::string &in : n.in)
				if (in == end.out[0])
					in = x;
}

// y (Conv's output, [N, M, ...]) op c, with c constant float32, finite and
// the same for every element of a channel, as y * f[m] + o[m].
bool channel_affine(const Graph &g, const Node &r, const std::string &y, std::vector<double> &f,
		    std::vector<double> &o)
{
	static const std::set<std::string> ops{"Add", "Sub", "Mul", "Div"};
	if (r.dead || !r.domain.empty() || !ops.count(r.op) || r.in.size() != 2 || r.out.size() != 1)
		return false;
	bool first = r.in[0] == y;
	if (first == (r.in[1] == y))
		return false;
	const Value &yv = g.value(y), &c = g.value(r.in[first ? 1 : 0]);
	if (!c.constant || c.dtype != DType::f32 || g.value(r.out[0]).shape != yv.shape ||
	    c.shape.size() > yv.shape.size())
		return false;
	int64_t m = yv.shape[1];
	size_t pad = yv.shape.size() - c.shape.size();
	for (size_t i = 0; i < c.shape.size(); i++)
		if (c.shape[i] != 1 && !(i + pad == 1 && c.shape[i] == m))
			return false;
	std::vector<float> cv = c.data.floats();
	std::vector<double> ch(m);
	for (int64_t k = 0; k < m; k++) {
		ch[k] = cv[cv.size() == 1 ? 0 : k];
		if (!std::isfinite(ch[k]) || (r.op == "Div" && ch[k] == 0.0))
			return false;
	}
	if (r.op == "Div" && !first)
		return false;
	// Add: y + c; Sub: y - c or c - y; Mul: y * c; Div: y * (1 / c).
	f.assign(m, r.op == "Sub" && !first ? -1.0 : 1.0);
	o.assign(m, 0.0);
	for (int64_t k = 0; k < m; k++) {
		if (r.op == "Add" || r.op == "Sub")
			o[k] = r.op == "Sub" && first ? -ch[k] : ch[k];
		else
			f[k] = r.op == "Mul" ? ch[k] : 1.0 / ch[k];
	}
	return true;
}

bool is_plain_conv(const Node &n)
{
	return !n.dead && (n.domain.empty() || n.domain == "kinfer") && !n.attrs.count("act") &&
	       (n.op == "Conv" || n.op == "ConvTranspose");
}

// A constant float32 scalar input (numel 1, rank at most y's).
bool scalar_f32(const Graph &g, const std::string &name, size_t rank, float &v)
{
	if (name.empty())
		return false;
	const Value &c = g.value(name);
	if (!c.constant || c.dtype != DType::f32 || c.numel() != 1 || c.shape.size() > rank)
		return false;
	v = c.data.floats()[0];
	return true;
}

// The Clip that node r applies to n's output y, as CLIP's bounds: Min(y,
// c >= 0) after a fused Relu, or a Clip of constant bounds.
bool clip_of(const Graph &g, const Node &n, const Node &r, float &lo, float &hi)
{
	const std::string &y = n.out[0];
	if (!r.domain.empty() || r.out.size() != 1 || g.value(r.out[0]).shape != g.value(y).shape ||
	    g.value(y).dtype != DType::f32)
		return false;
	size_t rank = g.value(y).shape.size();
	if (r.op == "Min" && r.in.size() == 2 && n.attrs.count("act") &&
	    n.attrs.at("act").i() == KINFER_OP_RELU) {
		bool first = r.in[0] == y;
		if (first == (r.in[1] == y) || !scalar_f32(g, r.in[first ? 1 : 0], rank, hi))
			return false;
		lo = 0.0f;
		// relu then min(., NaN) is NaN; CLIP never applies a NaN bound.
		return hi >= 0.0f;
	}
	if (r.op != "Clip" || n.attrs.count("act") || r.in.empty() || r.in[0] != y)
		return false;
	const float inf = std::numeric_limits<float>::infinity();
	if (g.opset < 11) {
		NodeAttrs a(g, r);
		lo = a.attr_float("min", -inf);
		hi = a.attr_float("max", inf);
		return true;
	}
	lo = -inf;
	hi = inf;
	for (size_t i = 1; i < r.in.size(); i++)
		if (!r.in[i].empty() && !scalar_f32(g, r.in[i], rank, i == 1 ? lo : hi))
			return false;
	return true;
}

} // namespace

void sink_transposes(Graph &g)
{
	for (size_t i = 0; i < g.nodes.size(); i++) {
		Node &t = g.nodes[i];
		if (!is_op(t, "Transpose") || !is_runtime(g, t))
			continue;
		SinkPath s;
		if (find_sink_path(g, t, s))
			sink(g, t, s);
	}
}

void fold_conv_affine(Graph &g)
{
	for (Node &n : g.nodes) {
		if (!is_plain_conv(n) || !is_runtime(g, n))
			continue;
		// The whole chain composes into one map, rounded once.
		auto readers = count_readers(g);
		int64_t m = g.value(n.out[0]).shape[1];
		std::vector<double> f(m, 1.0), o(m, 0.0), fk, ok;
		std::vector<Node *> chain;
		std::string y = n.out[0];
		for (Node *r; (r = sole_reader(g, readers, y)) && channel_affine(g, *r, y, fk, ok);) {
			for (int64_t k = 0; k < m; k++) {
				f[k] *= fk[k];
				o[k] = o[k] * fk[k] + ok[k];
			}
			chain.push_back(r);
			y = r->out[0];
		}
		if (chain.empty() || !fold_affine_into_conv(g, n, f, o))
			continue;
		for (Node *r : chain)
			absorb(n, *r);
	}
}

void fuse_clip(Graph &g)
{
	for (Node &n : g.nodes) {
		if (n.dead || !takes_activation(n) || !is_runtime(g, n))
			continue;
		auto readers = count_readers(g);
		Node *r = sole_reader(g, readers, n.out[0]);
		float lo = 0.0f, hi = 0.0f;
		if (!r || !clip_of(g, n, *r, lo, hi))
			continue;
		to_internal(n);
		set_attr(n, "act", make_attr("act", (int64_t)KINFER_OP_CLIP));
		set_attr(n, "act_alpha", make_attr("act_alpha", lo));
		set_attr(n, "act_beta", make_attr("act_beta", hi));
		absorb(n, *r);
	}
}

} // namespace kinfer
