// SPDX-License-Identifier: GPL-2.0
#include "validate.h"

#include "error.h"
#include "onnx_reader.h"

#include <algorithm>
#include <unordered_set>

#include <uapi/kinfer.h>

namespace kinfer {

std::string node_label(const std::string &file, const Node &n)
{
	std::string s = file + ": node " + std::to_string(n.index) + " ";
	if (!n.name.empty())
		s += "'" + n.name + "' ";
	return s + "(" + n.op + ")";
}

std::string supported_ops()
{
	return "Add, Constant, Flatten, Gemm, Identity, MatMul, Mul, Relu, Reshape, "
	       "Sigmoid, Softmax, Tanh";
}

namespace {

struct Validator {
	Graph &g;
	const onnx::NodeProto *proto = nullptr;
	Node *node = nullptr;

	[[noreturn]] void fail(const std::string &cause) const
	{
		if (node)
			throw ModelError(node_label(g.file, *node) + ": " + cause);
		throw ModelError(g.file + ": " + cause);
	}

	const onnx::AttributeProto *attr(const char *name) const
	{
		for (const auto &a : proto->attribute())
			if (a.name() == name)
				return &a;
		return nullptr;
	}
	int64_t attr_int(const char *name, int64_t def) const
	{
		const auto *a = attr(name);
		return a ? a->i() : def;
	}
	float attr_float(const char *name, float def) const
	{
		const auto *a = attr(name);
		return a ? a->f() : def;
	}

	// Describe a tensor the way messages talk about it.
	std::string what(const std::string &name) const
	{
		const TensorInfo &t = g.tensor(name);
		if (t.kind != TensorKind::constant)
			return "input '" + name + "'";
		if (!t.source.empty() && t.source != name)
			return "weight '" + t.source + "'";
		return "weight '" + name + "'";
	}

	const TensorInfo &operand(size_t i) const
	{
		if (i >= node->in.size() || node->in[i].empty())
			fail("missing input " + std::to_string(i));
		const std::string &name = node->in[i];
		auto it = g.tensors.find(name);
		if (it == g.tensors.end())
			fail("input '" + name + "' is not a graph input, an initializer or the "
			     "output of an earlier node (missing initializer?)");
		return it->second;
	}

	const TensorInfo &float_operand(size_t i) const
	{
		const TensorInfo &t = operand(i);
		if (!t.error.empty())
			fail(what(node->in[i]) + " " + t.error);
		if (t.dtype != onnx::TensorProto::FLOAT)
			fail(what(node->in[i]) + " has data type " + dtype_name(t.dtype) +
			     "; only float32 is supported");
		return t;
	}

	void check_arity(size_t min_in, size_t max_in) const
	{
		if (node->in.size() < min_in || node->in.size() > max_in)
			fail("expected " + (min_in == max_in ? std::to_string(min_in) :
					    std::to_string(min_in) + ".." + std::to_string(max_in)) +
			     " inputs, got " + std::to_string(node->in.size()));
		if (node->out.size() != 1 || node->out[0].empty())
			fail("expected 1 output, got " + std::to_string(node->out.size()));
	}

	void define(const std::string &name, TensorInfo t)
	{
		if (g.tensors.count(name))
			fail("output '" + name + "' is already defined (tensor names must be unique)");
		if (t.kind != TensorKind::constant && shape_numel(t.shape) == 0)
			fail("output '" + name + "' with shape " + shape_str(t.shape) +
			     " is empty or larger than " + std::to_string(kMaxTensorBytes >> 20) + " MiB");
		t.producer = node->index;
		g.tensors.emplace(name, std::move(t));
	}

	void define_activation(const Shape &shape)
	{
		TensorInfo t;
		t.kind = TensorKind::activation;
		t.shape = shape;
		define(node->out[0], std::move(t));
	}

	// Layout-only ops (Identity, Flatten, Reshape): row-major data is
	// unchanged, only the shape differs.
	void define_view(const TensorInfo &in, const Shape &shape)
	{
		if (in.kind == TensorKind::constant) {
			TensorInfo t = in;
			t.shape = shape;
			node->folded = true;
			define(node->out[0], std::move(t));
			return;
		}
		define_activation(shape);
	}

	void check_matmul_k(const std::string &wname, const Shape &w, int64_t k_w, int64_t k_in) const
	{
		if (k_w != k_in)
			fail(what(wname) + " has shape " + shape_str(w) + " but input has " +
			     std::to_string(k_in) + " columns");
	}

	void op_matmul()
	{
		check_arity(2, 2);
		const TensorInfo &a = float_operand(0);
		const TensorInfo &b = float_operand(1);
		if (a.kind == TensorKind::constant)
			fail("the left operand is a constant: only activation x weight "
			     "products are supported");
		if (b.kind != TensorKind::constant)
			fail("operand B '" + node->in[1] + "' is not a constant: only products "
			     "with a weight initializer are supported");
		if (a.shape.empty())
			fail("input '" + node->in[0] + "' is a scalar");
		if (b.shape.size() != 1 && b.shape.size() != 2)
			fail(what(node->in[1]) + " has shape " + shape_str(b.shape) +
			     ": only 1-D or 2-D weights are supported");
		check_matmul_k(node->in[1], b.shape, b.shape[0], a.shape.back());
		Shape out(a.shape.begin(), a.shape.end() - 1);
		if (b.shape.size() == 2)
			out.push_back(b.shape[1]);
		define_activation(out);
	}

	void op_gemm()
	{
		check_arity(2, 3);
		Node &n = *node;
		const TensorInfo &a = float_operand(0);
		const TensorInfo &b = float_operand(1);
		if (attr_int("transA", 0))
			fail("transA=1 is not supported");
		n.trans_b = attr_int("transB", 0) != 0;
		n.alpha = attr_float("alpha", 1.0f);
		n.beta = attr_float("beta", 1.0f);
		if (a.kind == TensorKind::constant)
			fail("operand A is a constant: only activation x weight products are supported");
		if (b.kind != TensorKind::constant)
			fail("operand B '" + node->in[1] + "' is not a constant: only products "
			     "with a weight initializer are supported");
		if (a.shape.size() != 2)
			fail("input '" + node->in[0] + "' has shape " + shape_str(a.shape) +
			     "; Gemm needs a 2-D input");
		if (b.shape.size() != 2)
			fail(what(node->in[1]) + " has shape " + shape_str(b.shape) +
			     "; Gemm needs a 2-D weight");
		int64_t k = n.trans_b ? b.shape[1] : b.shape[0];
		int64_t nn = n.trans_b ? b.shape[0] : b.shape[1];
		if (k != a.shape[1])
			fail(what(node->in[1]) + " has shape " + shape_str(b.shape) +
			     (n.trans_b ? " (transB=1)" : "") + " but input has " +
			     std::to_string(a.shape[1]) + " columns");
		Shape out{a.shape[0], nn};
		if (node->in.size() == 3 && !node->in[2].empty()) {
			const TensorInfo &c = float_operand(2);
			if (c.kind != TensorKind::constant)
				fail("bias C '" + node->in[2] + "' is not a constant");
			if (!unidirectional(c.shape, out))
				fail(what(node->in[2]) + " has shape " + shape_str(c.shape) +
				     " which does not broadcast to " + shape_str(out));
		}
		define_activation(out);
	}

	// ONNX unidirectional broadcasting of `c` onto `out`.
	static bool unidirectional(const Shape &c, const Shape &out)
	{
		if (c.size() > out.size())
			return false;
		size_t off = out.size() - c.size();
		for (size_t i = 0; i < c.size(); i++)
			if (c[i] != 1 && c[i] != out[off + i])
				return false;
		return true;
	}

	// numpy broadcasting; empty result on mismatch.
	static bool broadcast(const Shape &a, const Shape &b, Shape &out)
	{
		size_t r = std::max(a.size(), b.size());
		out.assign(r, 1);
		for (size_t i = 0; i < r; i++) {
			int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
			int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
			if (da != db && da != 1 && db != 1)
				return false;
			out[i] = std::max(da, db);
		}
		return true;
	}

	void op_binary()
	{
		check_arity(2, 2);
		const TensorInfo &a = float_operand(0);
		const TensorInfo &b = float_operand(1);
		if (a.kind == TensorKind::constant && b.kind == TensorKind::constant)
			fail("both operands are constants (constant folding is not supported)");
		Shape out;
		if (!broadcast(a.shape, b.shape, out))
			fail("operands " + shape_str(a.shape) + " and " + shape_str(b.shape) +
			     " do not broadcast");
		uint64_t na = shape_numel(a.shape), nb = shape_numel(b.shape), no = shape_numel(out);
		// The kernel op repeats the smaller operand along the flattened
		// larger one: the larger must already have the output's size and
		// the smaller must be a trailing suffix of it.
		// The kernel op writes over the activation operand's extent, so a
		// constant may be repeated but never be the larger operand.
		if ((a.kind == TensorKind::constant && na > nb) ||
		    (b.kind == TensorKind::constant && nb > na))
			fail("the constant operand " + shape_str(na > nb ? a.shape : b.shape) +
			     " is larger than the activation " + shape_str(na > nb ? b.shape : a.shape) +
			     " (broadcasting an activation up to a constant is not supported)");
		const Shape &big = na >= nb ? a.shape : b.shape;
		const Shape &small = na >= nb ? b.shape : a.shape;
		if (std::max(na, nb) != no || !shape_is_suffix(small, big))
			fail("broadcasting " + shape_str(a.shape) + " with " + shape_str(b.shape) +
			     " is not supported (the smaller operand must match the trailing "
			     "dimensions of the larger)");
		define_activation(out);
	}

	void op_unary()
	{
		check_arity(1, 1);
		const TensorInfo &a = float_operand(0);
		if (a.kind == TensorKind::constant)
			fail("the input is a constant (constant folding is not supported)");
		define_activation(a.shape);
	}

	void op_softmax()
	{
		check_arity(1, 1);
		Node &n = *node;
		const TensorInfo &a = float_operand(0);
		if (a.kind == TensorKind::constant)
			fail("the input is a constant (constant folding is not supported)");
		int64_t rank = (int64_t)a.shape.size();
		if (rank == 0)
			fail("input '" + node->in[0] + "' is a scalar");
		int64_t axis = attr_int("axis", g.opset >= 13 ? -1 : 1);
		if (axis < -rank || axis >= rank)
			fail("axis " + std::to_string(axis) + " is out of range for shape " +
			     shape_str(a.shape));
		if (axis < 0)
			axis += rank;
		if (g.opset >= 13 && axis != rank - 1)
			fail("softmax over axis " + std::to_string(axis) + " of " + shape_str(a.shape) +
			     " is not supported (only the last axis)");
		// Before opset 13 the input is coerced to 2-D at `axis`.
		n.rows = 1;
		n.cols = 1;
		for (int64_t i = 0; i < rank; i++)
			(i < axis ? n.rows : n.cols) *= (uint64_t)a.shape[i];
		if (n.cols > KINFER_MAX_SOFTMAX_N)
			fail("softmax rows of " + std::to_string(n.cols) + " elements are longer than the kernel's " +
			     std::to_string(KINFER_MAX_SOFTMAX_N) + " (KINFER_MAX_SOFTMAX_N)");
		define_activation(a.shape);
	}

	void op_identity()
	{
		check_arity(1, 1);
		const TensorInfo &a = float_operand(0);
		define_view(a, a.shape);
	}

	void op_flatten()
	{
		check_arity(1, 1);
		const TensorInfo &a = float_operand(0);
		int64_t rank = (int64_t)a.shape.size();
		int64_t axis = attr_int("axis", 1);
		if (axis < -rank || axis > rank)
			fail("axis " + std::to_string(axis) + " is out of range for shape " +
			     shape_str(a.shape));
		if (axis < 0)
			axis += rank;
		int64_t rows = 1, cols = 1;
		for (int64_t i = 0; i < rank; i++)
			(i < axis ? rows : cols) *= a.shape[i];
		define_view(a, Shape{rows, cols});
	}

	void op_reshape()
	{
		check_arity(2, 2);
		const TensorInfo &a = float_operand(0);
		const TensorInfo &s = operand(1);
		if (s.kind != TensorKind::constant || s.dtype != onnx::TensorProto::INT64 ||
		    !s.error.empty())
			fail("the target shape '" + node->in[1] + "' must be a constant int64 tensor");
		if (s.shape.size() != 1)
			fail("the target shape '" + node->in[1] + "' must be 1-D");
		bool allowzero = attr_int("allowzero", 0) != 0;
		Shape out(s.i.begin(), s.i.end());
		int infer = -1;
		uint64_t known = 1;
		for (size_t i = 0; i < out.size(); i++) {
			if (out[i] == 0 && !allowzero) {
				if (i >= a.shape.size())
					fail("target shape " + shape_str(out) + " copies dimension " +
					     std::to_string(i) + " which " + shape_str(a.shape) + " lacks");
				out[i] = a.shape[i];
			}
			if (out[i] == -1) {
				if (infer >= 0)
					fail("target shape " + shape_str(out) + " has more than one -1");
				infer = (int)i;
				continue;
			}
			if (out[i] <= 0)
				fail("target shape " + shape_str(out) + " has a dimension that is not positive");
			// Checked before multiplying: the product must not wrap.
			if ((uint64_t)out[i] > kMaxTensorBytes / known)
				fail("target shape " + shape_str(out) + " is too large");
			known *= (uint64_t)out[i];
		}
		uint64_t n = shape_numel(a.shape);
		if (infer >= 0) {
			if (n % known)
				fail("cannot reshape " + shape_str(a.shape) + " to " + shape_str(out));
			out[infer] = (int64_t)(n / known);
		}
		if (shape_numel(out) != n)
			fail("cannot reshape " + shape_str(a.shape) + " (" + std::to_string(n) +
			     " elements) to " + shape_str(out));
		define_view(a, out);
	}

	void op_constant()
	{
		check_arity(0, 0);
		TensorInfo t;
		t.kind = TensorKind::constant;
		t.source = node->out[0];
		if (const auto *v = attr("value")) {
			TensorData d = decode_tensor(v->t());
			t.shape = d.shape;
			t.dtype = d.dtype;
			t.f = std::move(d.f);
			t.i = std::move(d.i);
			t.error = d.error;
		} else if (const auto *vf = attr("value_float")) {
			t.f = {vf->f()};
		} else if (const auto *vfs = attr("value_floats")) {
			t.f.assign(vfs->floats().begin(), vfs->floats().end());
			t.shape = {(int64_t)t.f.size()};
		} else if (const auto *vi = attr("value_int")) {
			t.dtype = onnx::TensorProto::INT64;
			t.i = {vi->i()};
		} else if (const auto *vis = attr("value_ints")) {
			t.dtype = onnx::TensorProto::INT64;
			t.i.assign(vis->ints().begin(), vis->ints().end());
			t.shape = {(int64_t)t.i.size()};
		} else {
			fail("only value, value_float(s) and value_int(s) constants are supported");
		}
		node->folded = true;
		define(node->out[0], std::move(t));
	}

	void check_node()
	{
		const std::string &op = node->op;
		if (!proto->domain().empty() && proto->domain() != "ai.onnx")
			fail("operator domain '" + proto->domain() + "' is not supported");
		if (op == "MatMul")
			op_matmul();
		else if (op == "Gemm")
			op_gemm();
		else if (op == "Add" || op == "Mul")
			op_binary();
		else if (op == "Relu" || op == "Sigmoid" || op == "Tanh")
			op_unary();
		else if (op == "Softmax")
			op_softmax();
		else if (op == "Identity")
			op_identity();
		else if (op == "Flatten")
			op_flatten();
		else if (op == "Reshape")
			op_reshape();
		else if (op == "Constant")
			op_constant();
		else
			fail("unsupported operator '" + op + "' (supported: " + supported_ops() + ")");
	}

	void check_opset(const onnx::ModelProto &m)
	{
		for (const auto &o : m.opset_import())
			if (o.domain().empty() || o.domain() == "ai.onnx")
				g.opset = o.version();
		if (g.opset == 0)
			fail("no opset for the default ONNX domain");
		if (g.opset < kMinOpset || g.opset > kMaxOpset)
			fail("opset " + std::to_string(g.opset) + " is not supported (supported: " +
			     std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) + ")");
	}

	void add_initializers(const onnx::GraphProto &gp)
	{
		for (const auto &init : gp.initializer()) {
			const std::string &name = init.name();
			if (name.empty())
				fail("an initializer has no name");
			if (g.tensors.count(name))
				fail("initializer '" + name + "' is defined twice");
			TensorData d = decode_tensor(init);
			// A float weight whose data does not match its dims is a broken
			// file even when no node uses it; other types fail only on use.
			if (d.dtype == onnx::TensorProto::FLOAT && !d.error.empty())
				fail("initializer '" + name + "' " + d.error);
			TensorInfo t;
			t.kind = TensorKind::constant;
			t.shape = d.shape;
			t.dtype = d.dtype;
			t.f = std::move(d.f);
			t.i = std::move(d.i);
			t.error = d.error;
			t.source = name;
			g.tensors.emplace(name, std::move(t));
		}
	}

	static std::string dim_str(const onnx::TensorShapeProto_Dimension &d)
	{
		if (d.has_dim_param())
			return "'" + d.dim_param() + "'";
		if (d.has_dim_value())
			return std::to_string(d.dim_value());
		return "unknown";
	}

	// Static float32 shape of a graph input or output; throws otherwise.
	Shape value_shape(const onnx::ValueInfoProto &v, const char *kind)
	{
		std::string label = std::string(kind) + " '" + v.name() + "'";
		if (!v.type().has_tensor_type())
			fail(label + " is not a tensor");
		const auto &tt = v.type().tensor_type();
		if (tt.elem_type() != onnx::TensorProto::FLOAT)
			fail(label + " has data type " + dtype_name(tt.elem_type()) +
			     "; only float32 is supported");
		if (!tt.has_shape())
			fail(label + " has no shape; kinfer needs static shapes");
		Shape s;
		for (int i = 0; i < tt.shape().dim_size(); i++) {
			const auto &d = tt.shape().dim(i);
			if (!d.has_dim_value() || d.dim_value() <= 0)
				fail(label + " has a dynamic dimension " + std::to_string(i) + " (" +
				     dim_str(d) + "); kinfer needs static shapes");
			s.push_back(d.dim_value());
		}
		if (shape_numel(s) == 0)
			fail(label + " with shape " + shape_str(s) + " is too large");
		return s;
	}

	void add_inputs(const onnx::GraphProto &gp)
	{
		for (const auto &v : gp.input()) {
			if (g.tensors.count(v.name())) {
				// Before IR 4 initializers were listed as inputs too.
				if (g.tensors.at(v.name()).kind == TensorKind::constant)
					continue;
				fail("graph input '" + v.name() + "' is listed twice");
			}
			if (v.name().empty())
				fail("a graph input has no name");
			TensorInfo t;
			t.kind = TensorKind::input;
			t.shape = value_shape(v, "graph input");
			g.tensors.emplace(v.name(), std::move(t));
			g.inputs.push_back(v.name());
		}
		if (g.inputs.empty())
			fail("the graph has no inputs");
	}

	// Declared output types are checked; declared dims only where static
	// (exporters often leave a symbolic batch dimension on outputs).
	void check_output_decl(const onnx::ValueInfoProto &v, const Shape &computed)
	{
		if (!v.type().has_tensor_type())
			return;
		const auto &tt = v.type().tensor_type();
		if (tt.elem_type() != onnx::TensorProto::UNDEFINED &&
		    tt.elem_type() != onnx::TensorProto::FLOAT)
			fail("graph output '" + v.name() + "' has data type " +
			     dtype_name(tt.elem_type()) + "; only float32 is supported");
		if (!tt.has_shape())
			return;
		bool match = tt.shape().dim_size() == (int)computed.size();
		Shape declared;
		for (int i = 0; i < tt.shape().dim_size(); i++) {
			const auto &d = tt.shape().dim(i);
			declared.push_back(d.has_dim_value() ? d.dim_value() : -1);
			if (match && d.has_dim_value() && d.dim_value() != computed[i])
				match = false;
		}
		if (!match)
			fail("graph output '" + v.name() + "' is declared as " + shape_str(declared) +
			     " but computes " + shape_str(computed));
	}

	void check_outputs(const onnx::GraphProto &gp)
	{
		for (const auto &v : gp.output()) {
			auto it = g.tensors.find(v.name());
			if (it == g.tensors.end())
				fail("graph output '" + v.name() + "' is not produced by any node");
			if (it->second.kind == TensorKind::constant)
				fail("graph output '" + v.name() + "' is a constant");
			check_output_decl(v, it->second.shape);
			g.outputs.push_back(v.name());
		}
		if (g.outputs.empty())
			fail("the graph has no outputs");
	}

	void run(const onnx::ModelProto &m)
	{
		check_opset(m);
		const onnx::GraphProto &gp = m.graph();
		if ((size_t)gp.node_size() > kMaxOnnxNodes)
			fail("the graph has " + std::to_string(gp.node_size()) + " nodes (limit " +
			     std::to_string(kMaxOnnxNodes) + ")");
		add_initializers(gp);
		add_inputs(gp);
		g.nodes.reserve(gp.node_size());
		for (int i = 0; i < gp.node_size(); i++) {
			const onnx::NodeProto &np = gp.node(i);
			Node n;
			n.index = i;
			n.name = np.name();
			n.op = np.op_type();
			n.in.assign(np.input().begin(), np.input().end());
			n.out.assign(np.output().begin(), np.output().end());
			g.nodes.push_back(std::move(n));
			proto = &np;
			node = &g.nodes.back();
			check_node();
		}
		node = nullptr;
		check_outputs(gp);
	}
};

} // namespace

Graph validate_model(const onnx::ModelProto &model, const std::string &file)
{
	Graph g;
	g.file = file;
	Validator v{g};
	v.run(model);
	return g;
}

} // namespace kinfer
