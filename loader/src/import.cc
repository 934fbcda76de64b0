// SPDX-License-Identifier: GPL-2.0
#include "import.h"

#include "error.h"
#include "onnx_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kinfer {

std::string node_label(const std::string &file, const Node &n)
{
	std::string s = file + ": node " + std::to_string(n.index) + " ";
	if (!n.name.empty())
		s += "'" + n.name + "' ";
	return s + "(" + n.op + ")";
}

std::string node_short(const Node &n)
{
	return n.name.empty() ? n.op + "#" + std::to_string(n.index) : n.name;
}

namespace {

struct Importer {
	Graph &g;
	const ShapeOverrides &shapes;

	[[noreturn]] void fail(const std::string &cause) const { throw ModelError(g.file + ": " + cause); }

	void opset(const onnx::ModelProto &m)
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

	void initializers(const onnx::GraphProto &gp)
	{
		for (const auto &init : gp.initializer()) {
			const std::string &name = init.name();
			if (name.empty())
				fail("an initializer has no name");
			if (g.has(name))
				fail("initializer '" + name + "' is defined twice");
			Decoded d = decode_tensor(init);
			// A float weight whose data does not match its dims is a broken
			// file even when no node uses it; other types fail only on use.
			if (init.data_type() == onnx::TensorProto::FLOAT && !d.error.empty())
				fail("initializer '" + name + "' " + d.error);
			Value v;
			v.constant = true;
			v.dtype = d.t.dtype;
			v.shape = d.t.shape;
			v.data = std::move(d.t);
			v.error = d.error;
			v.source = name;
			g.values.emplace(name, std::move(v));
		}
		if (gp.sparse_initializer_size())
			fail("sparse initializers are not supported");
	}

	static std::string dim_str(const onnx::TensorShapeProto_Dimension &d)
	{
		if (d.has_dim_param())
			return "'" + d.dim_param() + "'";
		if (d.has_dim_value())
			return std::to_string(d.dim_value());
		return "unknown";
	}

	Shape input_shape(const onnx::ValueInfoProto &v)
	{
		std::string label = "graph input '" + v.name() + "'";
		const auto &tt = v.type().tensor_type();
		auto given = shapes.find(v.name());
		if (!tt.has_shape() && given == shapes.end())
			fail(label + " has no shape; give one with --shape " + v.name() + "=D0,D1,...");
		if (given != shapes.end()) {
			if (tt.has_shape() && tt.shape().dim_size() != (int)given->second.size())
				fail("--shape " + v.name() + " has rank " + std::to_string(given->second.size()) +
				     " but " + label + " has rank " + std::to_string(tt.shape().dim_size()));
			for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); i++) {
				const auto &d = tt.shape().dim(i);
				if (d.has_dim_value() && d.dim_value() != given->second[i])
					fail("--shape " + v.name() + " sets dimension " + std::to_string(i) +
					     " to " + std::to_string(given->second[i]) + " but the model fixes it to " +
					     std::to_string(d.dim_value()));
			}
			return given->second;
		}
		Shape s;
		for (int i = 0; i < tt.shape().dim_size(); i++) {
			const auto &d = tt.shape().dim(i);
			if (!d.has_dim_value() || d.dim_value() <= 0)
				fail(label + " has a dynamic dimension " + std::to_string(i) + " (" + dim_str(d) +
				     "); fix it with --shape " + v.name() + "=D0,D1,...");
			s.push_back(d.dim_value());
		}
		return s;
	}

	void inputs(const onnx::GraphProto &gp)
	{
		for (const auto &s : shapes) {
			bool found = false;
			for (const auto &v : gp.input())
				found = found || (v.name() == s.first && !g.has(v.name()));
			if (!found)
				fail("--shape names '" + s.first + "', which is not a graph input");
		}
		for (const auto &v : gp.input()) {
			if (g.has(v.name())) {
				// Before IR 4 initializers were listed as inputs too.
				if (g.value(v.name()).constant)
					continue;
				fail("graph input '" + v.name() + "' is listed twice");
			}
			if (v.name().empty())
				fail("a graph input has no name");
			if (!v.type().has_tensor_type())
				fail("graph input '" + v.name() + "' is not a tensor");
			Value val;
			val.graph_input = true;
			val.dtype = dtype_from_onnx(v.type().tensor_type().elem_type());
			if (val.dtype == DType::none)
				fail("graph input '" + v.name() + "' has data type " +
				     dtype_name(v.type().tensor_type().elem_type()) +
				     "; kinfer supports float32, int32, int64, bool and uint8 (text)");
			val.shape = input_shape(v);
			if (shape_numel(val.shape) == 0)
				fail("graph input '" + v.name() + "' with shape " + shape_str(val.shape) +
				     " is empty or larger than " + std::to_string(kMaxTensorBytes >> 20) + " MiB");
			g.values.emplace(v.name(), std::move(val));
			g.inputs.push_back(v.name());
		}
		if (g.inputs.empty())
			fail("the graph has no inputs");
	}

	void nodes(const onnx::GraphProto &gp)
	{
		if ((size_t)gp.node_size() > kMaxOnnxNodes)
			fail("the graph has " + std::to_string(gp.node_size()) + " nodes (limit " +
			     std::to_string(kMaxOnnxNodes) + ")");
		g.nodes.reserve(gp.node_size());
		for (int i = 0; i < gp.node_size(); i++) {
			const onnx::NodeProto &np = gp.node(i);
			Node n;
			n.index = i;
			n.name = np.name();
			n.op = np.op_type();
			n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
			n.in.assign(np.input().begin(), np.input().end());
			n.out.assign(np.output().begin(), np.output().end());
			for (const auto &a : np.attribute()) {
				if (a.name().empty() || !n.attrs.emplace(a.name(), a).second)
					throw ModelError(node_label(g.file, n) + ": attribute '" + a.name() +
							 "' is " + (a.name().empty() ? "unnamed" : "given twice"));
			}
			g.nodes.push_back(std::move(n));
		}
	}

	void outputs(const onnx::GraphProto &gp)
	{
		for (const auto &v : gp.output()) {
			g.outputs.push_back(v.name());
			OutputDecl d;
			if (v.type().has_tensor_type()) {
				const auto &tt = v.type().tensor_type();
				d.onnx_type = tt.elem_type();
				d.has_shape = tt.has_shape();
				for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); i++)
					d.dims.push_back(tt.shape().dim(i).has_dim_value()
								 ? tt.shape().dim(i).dim_value() : -1);
			}
			g.output_decls.push_back(std::move(d));
		}
		if (g.outputs.empty())
			fail("the graph has no outputs");
	}

	// Metadata "kinfer.state" {"<output>": "<initializer>"}: the output is
	// the initializer's next value (see StateVar). The initializer stops
	// being a constant (nothing folds it); the output stops being one the
	// caller sees.
	void state(const onnx::ModelProto &model)
	{
		for (const auto &prop : model.metadata_props()) {
			if (prop.key() != "kinfer.state")
				continue;
			nlohmann::json j = nlohmann::json::parse(prop.value(), nullptr, false);
			if (!j.is_object())
				fail("metadata kinfer.state is not a JSON object of output: initializer");
			for (const auto &item : j.items())
				state_var(item.key(), item.value());
		}
		if (!g.state.empty() && g.outputs.empty())
			fail("the graph has no outputs besides its state");
	}

	void state_var(const std::string &next, const nlohmann::json &name)
	{
		if (!name.is_string())
			fail("metadata kinfer.state: the value for '" + next + "' is not a name");
		std::string value = name.get<std::string>();
		for (const StateVar &s : g.state)
			if (s.value == value)
				fail("metadata kinfer.state names initializer '" + value + "' twice");
		if (!g.has(value) || !g.value(value).constant || g.value(value).producer != -1 ||
		    !g.value(value).error.empty())
			fail("metadata kinfer.state names '" + value + "', which is not a usable initializer");
		auto it = std::find(g.outputs.begin(), g.outputs.end(), next);
		if (it == g.outputs.end())
			fail("metadata kinfer.state names '" + next + "', which is not a graph output");
		g.output_decls.erase(g.output_decls.begin() + (it - g.outputs.begin()));
		g.outputs.erase(it);
		g.value(value).constant = false;
		g.state.push_back(StateVar{value, next});
	}
};

} // namespace

Graph import_model(const onnx::ModelProto &model, const std::string &file, const ShapeOverrides &shapes)
{
	Graph g;
	g.file = file;
	Importer im{g, shapes};
	im.opset(model);
	const onnx::GraphProto &gp = model.graph();
	im.initializers(gp);
	im.inputs(gp);
	im.nodes(gp);
	im.outputs(gp);
	im.state(model);
	return g;
}

std::pair<std::string, Shape> parse_shape_override(const std::string &spec)
{
	size_t eq = spec.rfind('=');
	if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
		throw UsageError("--shape takes NAME=D0,D1,... (got '" + spec + "')");
	Shape s;
	std::string dims = spec.substr(eq + 1);
	size_t start = 0;
	while (start <= dims.size()) {
		size_t comma = dims.find(',', start);
		std::string d = dims.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
		char *end = nullptr;
		long long v = strtoll(d.c_str(), &end, 10);
		if (d.empty() || *end || v <= 0 || v > (long long)(kMaxTensorBytes / 4))
			throw UsageError("--shape " + spec + ": '" + d + "' is not a positive dimension");
		s.push_back(v);
		if (comma == std::string::npos)
			break;
		start = comma + 1;
	}
	return {spec.substr(0, eq), s};
}

} // namespace kinfer
