// SPDX-License-Identifier: GPL-2.0
// Passes for transformer models whose exporter (jax2onnx, tf2onnx, torch
// before opset 17/20) spells GELU and LayerNormalization as chains of
// elementwise nodes and reductions.  Each chain is a dozen kernel ops over
// the whole activation; these passes turn it into the one GELU or
// LAYER_NORM op that computes the same function.  A chain is rewritten only
// when it is exactly the function: constants equal within float rounding,
// the reduction axes the trailing ones the statistics broadcast back onto,
// and every intermediate value read by the chain alone.
#include "passes.h"

#include "onnx_ops.h"
#include "pass_util.h"

#include <cmath>
#include <map>
#include <set>

namespace kinfer {

namespace {

// Constants match their exact value to within a few float roundings
// (exporters write 1/sqrt(2) or 384 as float32).
constexpr double kRelTol = 1.0 / (1 << 21);

struct Matcher {
	Graph &g;
	std::map<std::string, Node *> producer;
	std::map<std::string, int> readers;
	std::vector<Node *> inner;	// the chain's nodes but the last

	explicit Matcher(Graph &graph) : g(graph)
	{
		for (Node &n : g.nodes)
			for (const std::string &o : n.out)
				if (!o.empty())
					producer[o] = &n;
		readers = pass::count_readers(g);
	}

	// The live ONNX node of type `op` (one output) computing v, noted as
	// part of the chain; null otherwise.
	Node *take(const std::string &v, const char *op)
	{
		auto it = producer.find(v);
		if (it == producer.end())
			return nullptr;
		Node *n = it->second;
		if (n->dead || !n->domain.empty() || n->op != op || n->out.size() != 1)
			return nullptr;
		inner.push_back(n);
		return n;
	}

	// Matching is speculative: a failed branch forgets the nodes it took.
	size_t mark() const { return inner.size(); }
	bool undo(size_t m)
	{
		inner.resize(m);
		return false;
	}

	bool scalar(const std::string &v, double &out) const
	{
		if (v.empty() || !g.has(v))
			return false;
		const Value &c = g.value(v);
		if (!c.constant || c.dtype != DType::f32 || c.numel() != 1)
			return false;
		out = c.data.get(0);
		return std::isfinite(out);
	}

	bool scalar_near(const std::string &v, double want) const
	{
		double c;
		return scalar(v, c) && std::fabs(c - want) <= kRelTol * std::fabs(want);
	}

	// Every value the chain's inner nodes compute is read only inside the
	// chain (whose last node is `last`), and no leaf comes from it.
	bool closed(const Node &last, const std::vector<std::string> &leaves) const
	{
		// A node can be reached twice (the mean feeds both the centring
		// and the variance): count its reads once.
		std::set<const Node *> nodes(inner.begin(), inner.end());
		std::map<std::string, int> inside;
		for (const Node *n : nodes)
			for (const std::string &in : n->in)
				inside[in]++;
		for (const std::string &in : last.in)
			inside[in]++;
		for (const Node *n : nodes) {
			if (n == &last)
				return false;
			const std::string &o = n->out[0];
			auto r = readers.find(o);
			if (r == readers.end() || r->second != inside[o])
				return false;
			for (const std::string &l : leaves)
				if (l == o)
					return false;
		}
		return true;
	}

	// Replace the chain by `last`, now computing `op` (inputs, attributes
	// set by the caller); the inner nodes become its fused labels.
	void commit(Node &last)
	{
		std::set<Node *> seen;
		for (Node *n : inner) {
			if (!seen.insert(n).second)
				continue;
			last.fused.push_back(node_short(*n));
			for (const std::string &f : n->fused)
				last.fused.push_back(f);
			n->dead = true;
		}
		inner.clear();
		readers = pass::count_readers(g);
	}
};

// ---- GELU: x * 0.5 * (1 + erf(x / sqrt 2)), in any of its spellings ----

// v = coef * x through Neg and Mul or Div by scalar constants.
bool linear_of(Matcher &m, const std::string &v, std::string &x, double &coef, int depth = 0)
{
	size_t k = m.mark();
	double c;
	auto it = m.readers.find(v);
	if (depth < 3 && it != m.readers.end() && it->second == 1) {
		if (Node *n = m.take(v, "Neg")) {
			if (linear_of(m, n->in[0], x, coef, depth + 1)) {
				coef = -coef;
				return true;
			}
		}
		m.undo(k);
		if (Node *n = m.take(v, "Mul")) {
			for (int i = 0; i < 2; i++)
				if (m.scalar(n->in[1 - i], c) &&
				    linear_of(m, n->in[i], x, coef, depth + 1)) {
					coef *= c;
					return true;
				}
		}
		m.undo(k);
		if (Node *n = m.take(v, "Div")) {
			if (m.scalar(n->in[1], c) && c != 0.0 &&
			    linear_of(m, n->in[0], x, coef, depth + 1)) {
				coef /= c;
				return true;
			}
		}
		m.undo(k);
	}
	x = v;
	coef = 1.0;
	return true;
}

// v = 1 + erf(x / sqrt 2), or its equal 1 - erf(-x / sqrt 2) (erfc as jax
// writes it): x, else "".
std::string one_plus_erf(Matcher &m, const std::string &v)
{
	size_t k = m.mark();
	std::string x;
	double coef;
	if (Node *add = m.take(v, "Add")) {
		for (int i = 0; i < 2; i++) {
			size_t k2 = m.mark();
			Node *erf = m.take(add->in[i], "Erf");
			if (erf && m.scalar_near(add->in[1 - i], 1.0) &&
			    linear_of(m, erf->in[0], x, coef) && std::fabs(coef - M_SQRT1_2) <= kRelTol * M_SQRT1_2)
				return x;
			m.undo(k2);
		}
	}
	m.undo(k);
	if (Node *sub = m.take(v, "Sub")) {
		Node *erf = m.take(sub->in[1], "Erf");
		if (erf && m.scalar_near(sub->in[0], 1.0) && linear_of(m, erf->in[0], x, coef) &&
		    std::fabs(coef + M_SQRT1_2) <= kRelTol * M_SQRT1_2)
			return x;
	}
	m.undo(k);
	return "";
}

// The factors of product v: the runtime ones into `rt`, the constant ones
// multiplied into `k`, through Mul nodes and Div by constants that only
// this product reads.
void factors(Matcher &m, const std::string &v, bool top, std::vector<std::string> &rt, double &k)
{
	double c;
	auto it = m.readers.find(v);
	bool own = top || (it != m.readers.end() && it->second == 1);
	if (own && rt.size() < 4) {
		if (Node *n = m.take(v, "Mul")) {
			factors(m, n->in[0], false, rt, k);
			factors(m, n->in[1], false, rt, k);
			return;
		}
		if (Node *n = m.take(v, "Div")) {
			if (m.scalar(n->in[1], c) && c != 0.0) {
				factors(m, n->in[0], false, rt, k);
				k /= c;
				return;
			}
			m.undo(m.mark() - 1);
		}
	}
	if (m.scalar(v, c))
		k *= c;
	else
		rt.push_back(v);
}

// `last` computes gelu(x): x, else "".
std::string match_gelu(Matcher &m, Node &last)
{
	if (last.dead || !last.domain.empty() || (last.op != "Mul" && last.op != "Div") || last.out.size() != 1)
		return "";
	std::vector<std::string> rt;
	double k = 1.0;
	factors(m, last.out[0], true, rt, k);
	// The last node itself is not inner.
	if (m.inner.empty() || m.inner[0] != &last)
		return "";
	m.inner.erase(m.inner.begin());
	if (rt.size() != 2 || std::fabs(k - 0.5) > kRelTol * 0.5)
		return "";
	for (int i = 0; i < 2; i++) {
		size_t mk = m.mark();
		std::string x = one_plus_erf(m, rt[1 - i]);
		if (!x.empty() && x == rt[i])
			return x;
		m.undo(mk);
	}
	return "";
}

// ---- LayerNormalization ----

struct Stats {
	std::string x;	// the normalised value
	uint32_t axes = 0;	// bitmask of its reduced axes
};

bool is_view(const Node *n)
{
	return n && !n->dead && n->domain.empty() && n->out.size() == 1 &&
	       (n->op == "Reshape" || n->op == "Squeeze" || n->op == "Unsqueeze" || n->op == "Identity");
}

// Through views (which keep the order of the elements).
std::string through_views(Matcher &m, std::string v)
{
	for (int i = 0; i < 4; i++) {
		auto it = m.producer.find(v);
		if (it == m.producer.end() || !is_view(it->second))
			break;
		m.inner.push_back(it->second);
		v = it->second->in[0];
	}
	return v;
}

// The reduced axes of a ReduceSum/ReduceMean of rank-r input; 0 if unknown.
uint32_t reduce_axes(const Matcher &m, const Node &n, size_t r)
{
	std::vector<int64_t> axes;
	if (n.in.size() > 1 && !n.in[1].empty()) {
		const Value &a = m.g.value(n.in[1]);
		if (!a.constant)
			return 0;
		axes = a.data.ints();
	} else if (n.attrs.count("axes")) {
		axes = NodeAttrs(m.g, n).attr_ints("axes");
	}
	if (axes.empty())
		return NodeAttrs(m.g, n).attr_int("noop_with_empty_axes", 0) ? 0 : (uint32_t)((1ULL << r) - 1);
	uint32_t mask = 0;
	for (int64_t a : axes) {
		if (a < 0)
			a += (int64_t)r;
		if (a < 0 || a >= (int64_t)r)
			return 0;
		mask |= 1u << a;
	}
	return mask;
}

// v, read as a statistic of x over `axes`, has the shape that broadcasts
// it back onto x (x's with the reduced axes 1, leading 1s optional).
bool stat_shape(const Graph &g, const std::string &v, const Stats &s)
{
	Shape want = g.value(s.x).shape, got = g.value(v).shape;
	for (size_t i = 0; i < want.size(); i++)
		if (s.axes >> i & 1)
			want[i] = 1;
	if (got.size() > want.size())
		return false;
	got.insert(got.begin(), want.size() - got.size(), 1);
	return got == want;
}

// v = the mean of some x over trailing axes: ReduceMean, or ReduceSum
// divided by (or multiplied by the inverse of) the count, with views
// around; when `shaped`, shaped to broadcast back onto x.
bool mean_of(Matcher &m, const std::string &v, Stats &s, bool shaped = true)
{
	size_t k = m.mark();
	std::string u = through_views(m, v);
	double scale = 1.0, c;
	if (Node *n = m.take(u, "Div")) {
		if (!m.scalar(n->in[1], c) || c == 0.0)
			return m.undo(k);
		scale = 1.0 / c;
		u = through_views(m, n->in[0]);
	} else if (Node *n = m.take(u, "Mul")) {
		int i = m.scalar(n->in[1], c) ? 0 : m.scalar(n->in[0], c) ? 1 : -1;
		if (i < 0)
			return m.undo(k);
		scale = c;
		u = through_views(m, n->in[i]);
	}
	Node *r = m.take(u, "ReduceMean");
	bool sum = false;
	if (!r) {
		r = m.take(u, "ReduceSum");
		sum = true;
	}
	if (!r)
		return m.undo(k);
	const Value &x = m.g.value(r->in[0]);
	size_t rank = x.shape.size();
	s.x = r->in[0];
	s.axes = reduce_axes(m, *r, rank);
	uint32_t trailing = s.axes ? (uint32_t)((1ULL << rank) - (s.axes & -s.axes)) : 0;
	if (!s.axes || s.axes != trailing || x.dtype != DType::f32)
		return m.undo(k);
	double n = 1.0;
	for (size_t i = 0; i < rank; i++)
		if (s.axes >> i & 1)
			n *= (double)x.shape[i];
	double want = sum ? 1.0 / n : 1.0;
	if (std::fabs(scale - want) > kRelTol * want || (shaped && !stat_shape(m.g, v, s)))
		return m.undo(k);
	return true;
}

// v = x * x or x ^ 2: x, else "".
std::string square_of(Matcher &m, const std::string &v)
{
	size_t k = m.mark();
	if (Node *p = m.take(v, "Mul")) {
		if (p->in[0] == p->in[1])
			return p->in[0];
	} else if (Node *p = m.take(v, "Pow")) {
		if (m.scalar_near(p->in[1], 2.0))
			return p->in[0];
	}
	m.undo(k);
	return "";
}

// v = mean(x^2) - mean(x)^2, optionally through Relu (Flax's LayerNorm):
// the variance, in exact arithmetic.
bool var_moments(Matcher &m, const std::string &v, Stats &s)
{
	size_t k = m.mark();
	std::string u = through_views(m, v);
	if (Node *r = m.take(u, "Relu"))
		u = through_views(m, r->in[0]);
	Node *sub = m.take(u, "Sub");
	Stats sq, mean;
	if (!sub || !mean_of(m, sub->in[0], sq, false))
		return m.undo(k);
	std::string x = square_of(m, sq.x), mv = square_of(m, sub->in[1]);
	if (x.empty() || mv.empty() || !mean_of(m, mv, mean, false) || mean.x != x || mean.axes != sq.axes ||
	    m.g.value(mv).shape != m.g.value(sub->in[0]).shape)
		return m.undo(k);
	s = mean;
	if (!stat_shape(m.g, v, s))
		return m.undo(k);
	return true;
}

// v = x - mean(x): the centred x.
bool centred(Matcher &m, const std::string &v, Stats &s)
{
	size_t k = m.mark();
	Node *sub = m.take(v, "Sub");
	if (!sub || !mean_of(m, sub->in[1], s) || s.x != sub->in[0])
		return m.undo(k);
	return true;
}

// v = var(x) + epsilon: the mean of a centred x squared, plus a constant.
bool var_eps(Matcher &m, const std::string &v, Stats &s, double &eps)
{
	size_t k = m.mark();
	Node *add = m.take(through_views(m, v), "Add");
	if (!add)
		return m.undo(k);
	for (int i = 0; i < 2; i++) {
		size_t k2 = m.mark();
		Stats sq, d;
		if (!m.scalar(add->in[1 - i], eps) || !(eps >= 0.0) || !mean_of(m, add->in[i], sq)) {
			m.undo(k2);
			continue;
		}
		// sq.x is d * d or d ^ 2, d centred.
		std::string dv = square_of(m, sq.x);
		if (!dv.empty() && centred(m, dv, d) && d.axes == sq.axes) {
			s = d;
			return true;
		}
		m.undo(k2);
	}
	for (int i = 0; i < 2; i++) {
		size_t k2 = m.mark();
		if (m.scalar(add->in[1 - i], eps) && eps >= 0.0 && var_moments(m, add->in[i], s))
			return true;
		m.undo(k2);
	}
	return m.undo(k);
}

// v = sqrt(var(x) + epsilon).
bool stddev(Matcher &m, const std::string &v, Stats &s, double &eps)
{
	size_t k = m.mark();
	Node *sq = m.take(through_views(m, v), "Sqrt");
	if (!sq || !var_eps(m, sq->in[0], s, eps))
		return m.undo(k);
	return true;
}

// v = 1 / sqrt(var(x) + epsilon): Reciprocal, 1 / ..., or ^ -0.5.
bool inv_stddev(Matcher &m, const std::string &v, Stats &s, double &eps)
{
	size_t k = m.mark();
	std::string u = through_views(m, v);
	if (Node *r = m.take(u, "Reciprocal")) {
		if (stddev(m, r->in[0], s, eps))
			return true;
		return m.undo(k);
	}
	if (Node *d = m.take(u, "Div")) {
		if (m.scalar_near(d->in[0], 1.0) && stddev(m, d->in[1], s, eps))
			return true;
		return m.undo(k);
	}
	if (Node *p = m.take(u, "Pow")) {
		if (m.scalar_near(p->in[1], -0.5) && var_eps(m, p->in[0], s, eps))
			return true;
	}
	return m.undo(k);
}

struct LayerNorm {
	Stats s;
	double eps = 0.0;
	std::string scale, bias;
};

// v = (x - mean) / stddev, or (x - mean) * inv_stddev.
bool normalised(Matcher &m, const std::string &v, LayerNorm &ln)
{
	size_t k = m.mark();
	Stats a, b;
	if (Node *d = m.take(v, "Div")) {
		if (centred(m, d->in[0], a) && stddev(m, d->in[1], b, ln.eps) && a.x == b.x && a.axes == b.axes) {
			ln.s = a;
			return true;
		}
		return m.undo(k);
	}
	if (Node *p = m.take(v, "Mul")) {
		for (int i = 0; i < 2; i++) {
			size_t k2 = m.mark();
			if (centred(m, p->in[i], a) && inv_stddev(m, p->in[1 - i], b, ln.eps) && a.x == b.x &&
			    a.axes == b.axes) {
				ln.s = a;
				return true;
			}
			m.undo(k2);
		}
	}
	return m.undo(k);
}

// v = normalised * scale, also as (x - mean) * (inv_stddev * scale); or
// normalised alone.
bool scaled(Matcher &m, const std::string &v, LayerNorm &ln)
{
	size_t k = m.mark();
	if (normalised(m, v, ln))
		return true;
	Node *p = m.take(v, "Mul");
	if (!p)
		return m.undo(k);
	for (int i = 0; i < 2; i++) {
		size_t k2 = m.mark();
		if (normalised(m, p->in[i], ln)) {
			ln.scale = p->in[1 - i];
			return true;
		}
		m.undo(k2);
		Stats a, b;
		Node *q = nullptr;
		if (centred(m, p->in[i], a) && (q = m.take(p->in[1 - i], "Mul"))) {
			for (int j = 0; j < 2; j++) {
				size_t k3 = m.mark();
				if (inv_stddev(m, q->in[j], b, ln.eps) && a.x == b.x && a.axes == b.axes) {
					ln.s = a;
					ln.scale = q->in[1 - j];
					return true;
				}
				m.undo(k3);
			}
		}
		m.undo(k2);
	}
	return m.undo(k);
}

// A float32 value that broadcasts onto shape x without widening it.
bool onto(const Graph &g, const std::string &v, const Shape &x)
{
	const Value &p = g.value(v);
	if (p.dtype != DType::f32 || p.shape.size() > x.size())
		return false;
	size_t off = x.size() - p.shape.size();
	for (size_t i = 0; i < p.shape.size(); i++)
		if (p.shape[i] != 1 && p.shape[i] != x[off + i])
			return false;
	return true;
}

bool match_layer_norm(Matcher &m, Node &last, LayerNorm &ln)
{
	if (last.dead || !last.domain.empty() || last.out.size() != 1)
		return false;
	m.inner.clear();
	bool ok = false;
	if (last.op == "Add") {
		for (int i = 0; i < 2 && !ok; i++) {
			ln = LayerNorm{};
			ok = scaled(m, last.in[i], ln);
			if (ok)
				ln.bias = last.in[1 - i];
		}
	} else if (last.op == "Mul" || last.op == "Div") {
		// The last node is the one being replaced: match it as if inner,
		// then drop it from the list.
		ok = scaled(m, last.out[0], ln);
		if (ok && (m.inner.empty() || m.inner[0] != &last))
			ok = false;
		if (ok)
			m.inner.erase(m.inner.begin());
	}
	if (!ok)
		return false;
	const Shape &x = m.g.value(ln.s.x).shape;
	if (!std::isfinite(ln.eps) || (float)ln.eps != (float)ln.eps || m.g.value(last.out[0]).shape != x)
		return false;
	for (const std::string *p : {&ln.scale, &ln.bias})
		if (!p->empty() && !onto(m.g, *p, x))
			return false;
	return m.closed(last, {ln.s.x, ln.scale, ln.bias});
}

// The first reduced axis (the axes are [axis, rank)).
int64_t first_axis(uint32_t axes)
{
	int64_t a = 0;
	while (!(axes >> a & 1))
		a++;
	return a;
}

void rewrite_layer_norm(Matcher &m, Node &last, const LayerNorm &ln)
{
	const Shape &x = m.g.value(ln.s.x).shape;
	int64_t axis = first_axis(ln.s.axes);
	std::string scale = ln.scale;
	if (scale.empty()) {
		Shape s(x.begin() + axis, x.end());
		std::vector<float> ones(shape_numel(s), 1.0f);
		scale = pass::add_const(m.g, last.out[0] + ".ones", HostTensor::from_floats(s, ones));
	}
	last.op = "LayerNormalization";
	last.in = {ln.s.x, scale};
	if (!ln.bias.empty())
		last.in.push_back(ln.bias);
	last.attrs.clear();
	pass::set_attr(last, "axis", pass::make_attr("axis", (int64_t)axis));
	pass::set_attr(last, "epsilon", pass::make_attr("epsilon", (float)ln.eps));
	m.commit(last);
}

} // namespace

void fuse_gelu(Graph &g)
{
	Matcher m(g);
	for (Node &n : g.nodes) {
		m.inner.clear();
		std::string x = match_gelu(m, n);
		if (x.empty() || g.value(x).dtype != DType::f32 || g.value(n.out[0]).shape != g.value(x).shape ||
		    !m.closed(n, {x}))
			continue;
		n.op = "Gelu";
		n.in = {x};
		n.attrs.clear();
		m.commit(n);
	}
}

void fuse_layer_norm(Graph &g)
{
	Matcher m(g);
	// Last nodes first, so the bias Add is seen before the scale Mul.
	for (size_t i = g.nodes.size(); i-- > 0;) {
		LayerNorm ln;
		if (match_layer_norm(m, g.nodes[i], ln))
			rewrite_layer_norm(m, g.nodes[i], ln);
	}
}

} // namespace kinfer
