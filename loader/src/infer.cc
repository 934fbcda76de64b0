// SPDX-License-Identifier: GPL-2.0
// The infer pass and NodeCtx, the rules' view of a node at infer time.
#include "error.h"
#include "exec.h"
#include "onnx_ops.h"
#include "onnx_reader.h"
#include "passes.h"
#include "plan.h"

#include <sstream>

namespace kinfer {

void NodeAttrs::fail(const std::string &cause) const
{
	throw ModelError(node_label(g_.file, n_) + ": " + cause);
}

std::string NodeCtx::what(size_t i) const
{
	const std::string &name = n.in.at(i);
	auto it = g.values.find(name);
	if (it == g.values.end() || !it->second.constant)
		return "input '" + name + "'";
	const std::string &src = it->second.source;
	return "constant '" + (src.empty() ? name : src) + "'";
}

const Value &NodeCtx::in(size_t i) const
{
	if (!has_in(i))
		fail("missing input " + std::to_string(i));
	auto it = g.values.find(n.in[i]);
	if (it == g.values.end())
		fail("input '" + n.in[i] + "' is not a graph input, an initializer or the output of an "
		     "earlier node (missing initializer, or nodes out of order?)");
	if (!it->second.error.empty())
		fail(what(i) + " " + it->second.error);
	return it->second;
}

const Value &NodeCtx::in(size_t i, std::initializer_list<DType> types) const
{
	const Value &v = in(i);
	for (DType t : types)
		if (v.dtype == t)
			return v;
	std::string want;
	for (DType t : types)
		want += (want.empty() ? "" : " or ") + dtype_str(t);
	fail(what(i) + " is " + dtype_str(v.dtype) + "; " + n.op + " takes " + want + " here");
}

std::vector<int64_t> NodeCtx::const_ints(size_t i, const char *what_) const
{
	const Value &v = in(i, {DType::i64, DType::i32});
	if (!v.constant)
		fail(std::string("the ") + what_ + " (" + what(i) +
		     ") must be a constant: kinfer compiles static shapes");
	return v.data.ints();
}

void NodeCtx::arity(size_t min_in, size_t max_in, size_t min_out, size_t max_out) const
{
	auto range = [](size_t a, size_t b) {
		return a == b ? std::to_string(a) : std::to_string(a) + ".." + std::to_string(b);
	};
	if (n.in.size() < min_in || n.in.size() > max_in)
		fail("expected " + range(min_in, max_in) + " inputs, got " + std::to_string(n.in.size()));
	if (n.out.size() < min_out || n.out.size() > max_out)
		fail("expected " + range(min_out, max_out) + " outputs, got " +
		     std::to_string(n.out.size()));
	for (size_t i = 0; i < min_in; i++)
		if (n.in[i].empty())
			fail("missing input " + std::to_string(i));
	if (!has_out(0))
		fail("output 0 has no name");
}

namespace {

const char *attr_type_name(int t)
{
	return onnx::AttributeProto_AttributeType_IsValid(t)
		       ? onnx::AttributeProto_AttributeType_Name((onnx::AttributeProto_AttributeType)t).c_str()
		       : "an unknown type";
}

// Files from before attribute types were recorded leave type UNDEFINED;
// the field that is set then says what it is.
bool attr_is(const onnx::AttributeProto &a, onnx::AttributeProto::AttributeType t)
{
	if (a.type() == t)
		return true;
	if (a.type() != onnx::AttributeProto::UNDEFINED)
		return false;
	switch (t) {
	case onnx::AttributeProto::INT:
		return a.has_i();
	case onnx::AttributeProto::FLOAT:
		return a.has_f();
	case onnx::AttributeProto::STRING:
		return a.has_s();
	case onnx::AttributeProto::TENSOR:
		return a.has_t();
	case onnx::AttributeProto::INTS:
		return a.ints_size() > 0;
	case onnx::AttributeProto::FLOATS:
		return a.floats_size() > 0;
	default:
		return false;
	}
}

} // namespace

#define KINFER_ATTR_GET(kind)                                                                     \
	auto it = n_.attrs.find(name);                                                            \
	if (it == n_.attrs.end())                                                                  \
		return def;                                                                       \
	if (!attr_is(it->second, onnx::AttributeProto::kind))                                     \
		fail(std::string("attribute '") + name + "' must be " #kind ", not " +            \
		     attr_type_name(it->second.type()));                                          \
	const onnx::AttributeProto &a = it->second;

int64_t NodeAttrs::attr_int(const char *name, int64_t def) const
{
	KINFER_ATTR_GET(INT)
	return a.i();
}

float NodeAttrs::attr_float(const char *name, float def) const
{
	KINFER_ATTR_GET(FLOAT)
	return a.f();
}

std::string NodeAttrs::attr_string(const char *name, const std::string &def) const
{
	KINFER_ATTR_GET(STRING)
	return a.s();
}

std::vector<int64_t> NodeAttrs::attr_ints(const char *name) const
{
	std::vector<int64_t> def;
	KINFER_ATTR_GET(INTS)
	return std::vector<int64_t>(a.ints().begin(), a.ints().end());
}

std::vector<float> NodeAttrs::attr_floats(const char *name) const
{
	std::vector<float> def;
	KINFER_ATTR_GET(FLOATS)
	return std::vector<float>(a.floats().begin(), a.floats().end());
}

const onnx::TensorProto &NodeAttrs::attr_tensor(const char *name) const
{
	static const onnx::TensorProto def;
	KINFER_ATTR_GET(TENSOR)
	return a.t();
}

#undef KINFER_ATTR_GET

int64_t NodeCtx::axis(int64_t a, size_t rank, const char *what_) const
{
	int64_t r = (int64_t)rank;
	if (a < -r || a >= r)
		fail(std::string(what_) + " " + std::to_string(a) + " is out of range for rank " +
		     std::to_string(rank));
	return a < 0 ? a + r : a;
}

void NodeCtx::define(size_t i, DType t, const Shape &s) const
{
	if (!has_out(i))
		return;
	const std::string &name = n.out[i];
	if (g.has(name))
		fail("output '" + name + "' is already defined (tensor names must be unique)");
	if (s.size() > KINFER_MAX_RANK)
		fail("output '" + name + "' has rank " + std::to_string(s.size()) + " (" + shape_str(s) +
		     "); the kernel takes at most " + std::to_string(KINFER_MAX_RANK));
	if (shape_numel(s) == 0)
		fail("output '" + name + "' with shape " + shape_str(s) + " is empty or larger than " +
		     std::to_string(kMaxTensorBytes >> 20) + " MiB");
	if ((uint64_t)shape_numel(s) * dtype_size(t) > kMaxTensorBytes)
		fail("output '" + name + "' with shape " + shape_str(s) + " is larger than " +
		     std::to_string(kMaxTensorBytes >> 20) + " MiB");
	Value v;
	v.dtype = t;
	v.shape = s;
	v.producer = n.index;
	g.values.emplace(name, std::move(v));
}

void NodeCtx::define_const(size_t i, HostTensor t) const
{
	define(i, t.dtype, t.shape);
	if (!has_out(i))
		return;
	Value &v = g.value(n.out[i]);
	v.constant = true;
	v.data = std::move(t);
}

void NodeCtx::define_view(size_t i, const Shape &s) const
{
	const Value &src = in(0);
	if (shape_numel(s) != src.numel())
		fail("cannot view " + shape_str(src.shape) + " as " + shape_str(s));
	if (!src.constant) {
		define(i, src.dtype, s);
		return;
	}
	HostTensor t = src.data;
	t.shape = s;
	std::string source = src.source;
	define_const(i, std::move(t));
	g.value(n.out[i]).source = source;
}

namespace {

void check_attrs(const NodeCtx &c)
{
	std::string allowed = std::string(",") + c.rule.attrs + ",";
	for (const auto &a : c.n.attrs)
		if (allowed.find("," + a.first + ",") == std::string::npos)
			c.fail("attribute '" + a.first + "' is not supported" +
			       (*c.rule.attrs ? std::string(" (") + c.n.op + " takes: " + c.rule.attrs + ")"
					      : std::string(" (" + c.n.op + " takes none)")));
}

bool all_inputs_constant(const Graph &g, const Node &n)
{
	bool any = false;
	for (const std::string &in : n.in) {
		if (in.empty())
			continue;
		if (!g.value(in).constant)
			return false;
		any = true;
	}
	return any;
}

// Compute a node whose inputs are all constant with the kernel's own code.
void fold(Graph &g, Node &n)
{
	Lowered l = lower_node(g, n);
	Plan p = plan_model(l);
	plan_check(l, p);
	std::vector<HostTensor> out = plan_run(l, p, {});
	size_t k = 0;
	for (const std::string &o : n.out) {
		if (o.empty())
			continue;
		Value &v = g.value(o);
		v.constant = true;
		v.data = std::move(out.at(k++));
	}
}

bool outputs_defined(const Graph &g, const Node &n)
{
	for (const std::string &o : n.out)
		if (!o.empty() && !g.has(o))
			return false;
	return true;
}

// Declared output types are checked; declared dims only where static
// (exporters often leave a symbolic batch dimension on outputs).
void check_output(const Graph &g, size_t i)
{
	const std::string &o = g.outputs[i];
	if (!g.has(o))
		throw ModelError(g.file + ": graph output '" + o + "' is not produced by any node");
	if (i >= g.output_decls.size())
		return;
	const OutputDecl &d = g.output_decls[i];
	const Value &v = g.value(o);
	if (d.onnx_type && dtype_from_onnx(d.onnx_type) != v.dtype)
		throw ModelError(g.file + ": graph output '" + o + "' is declared " +
				 dtype_name(d.onnx_type) + " but computes " + dtype_str(v.dtype));
	if (!d.has_shape)
		return;
	bool match = d.dims.size() == v.shape.size();
	for (size_t k = 0; match && k < d.dims.size(); k++)
		match = d.dims[k] < 0 || d.dims[k] == v.shape[k];
	if (!match)
		throw ModelError(g.file + ": graph output '" + o + "' is declared as " + shape_str(d.dims) +
				 " but computes " + shape_str(v.shape));
}

} // namespace

void infer_graph(Graph &g)
{
	for (Node &n : g.nodes) {
		if (n.dead)
			continue;
		const OnnxRule *rule = find_rule(n);
		if (!rule) {
			std::string where = node_label(g.file, n);
			if (!n.domain.empty())
				throw ModelError(where + ": operator domain '" + n.domain + "' is not supported");
			throw ModelError(where + ": unsupported operator '" + n.op + "' (supported: " +
					 supported_ops() + ")");
		}
		NodeCtx c(g, n, *rule);
		check_attrs(c);
		rule->infer(c);
		if (!outputs_defined(g, n))
			c.fail("internal error: an output was not defined");
		bool folded = true;
		for (const std::string &o : n.out)
			folded = folded && (o.empty() || g.value(o).constant);
		if (!folded && rule->lower && all_inputs_constant(g, n))
			fold(g, n);
	}
	for (size_t i = 0; i < g.outputs.size(); i++)
		check_output(g, i);
}

} // namespace kinfer
