// SPDX-License-Identifier: GPL-2.0
#include "tflite/translate.h"

#include "error.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>

namespace kinfer::tflite {

namespace {

constexpr int64_t kOpset = 17;

// TFLite's fused activation functions (ActivationFunctionType).
enum Act : int8_t { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU_N1_TO_1 = 2, ACT_RELU6 = 3, ACT_TANH = 4 };

class Translator {
public:
	explicit Translator(const Model &m) : m_(m) {}
	onnx::ModelProto run();

private:
	using Rule = void (Translator::*)(const Operator &);

	const Model &m_;
	onnx::ModelProto proto_;
	onnx::GraphProto *g_ = nullptr;
	std::vector<std::string> names_;	// ONNX value name of each tensor
	std::set<int32_t> inits_;		// tensors already initializers
	int fresh_ = 0;
	const Operator *op_ = nullptr;		// the operator being translated

	static const std::map<int32_t, Rule> &rules();

public:
	static std::vector<int32_t> rule_codes()
	{
		std::vector<int32_t> r;
		for (const auto &kv : rules())
			r.push_back(kv.first);
		return r;
	}

private:

	// Messages: "model.tflite: operator 3 'dense/MatMul' (FULLY_CONNECTED): ..."
	[[noreturn]] void fail(const std::string &cause) const;
	const Tensor &tensor(int32_t i) const { return m_.tensors[(size_t)i]; }
	const Tensor &in(size_t k) const;
	const Tensor &out(size_t k) const { return tensor(op_->outputs.at(k)); }
	bool has_in(size_t k) const { return k < op_->inputs.size() && op_->inputs[k] >= 0; }
	bool is_int8(const Tensor &t) const { return t.type == INT8; }
	void arity(size_t min_in, size_t max_in, size_t outs = 1) const;

	// The ONNX value of input k (an initializer if constant) and output k.
	std::string value_in(size_t k);
	std::string value_out(size_t k) const { return names_[(size_t)op_->outputs.at(k)]; }
	std::string temp(const std::string &what);
	std::string constant_ints(const std::vector<int64_t> &v, int32_t type);
	std::string constant_float(float v);
	std::string constant_tensor(const Tensor &t, const std::vector<int64_t> &shape,
				    const std::vector<uint8_t> &bytes);
	onnx::NodeProto *node(const std::string &type, const std::vector<std::string> &in,
			      const std::vector<std::string> &out, const char *domain = "");

	// Quantisation parameters as attributes of a kinfer node.
	void quant_attrs(onnx::NodeProto *n, const char *prefix, const Tensor &t) const;
	void weight_attrs(onnx::NodeProto *n, const Tensor &w) const;
	void activation_attr(onnx::NodeProto *n) const;
	// A float result with the operator's fused activation applied after it.
	void float_activation(const std::string &x, const std::string &y);
	int8_t fused_activation() const { return op_->options.fused_activation; }
	std::vector<int64_t> out_shape(size_t k) const;
	std::vector<int64_t> pads(const Tensor &x, int32_t kh, int32_t kw, int32_t dh, int32_t dw) const;

	void declare_io();
	std::vector<bool> live_operators() const;
	void translate(const Operator &op);

	void fully_connected(const Operator &op);
	void conv_2d(const Operator &op);
	void depthwise_conv_2d(const Operator &op);
	void pool_2d(const Operator &op);
	void binary(const Operator &op);
	void reshape(const Operator &op);
	void softmax(const Operator &op);
	void unary(const Operator &op);
	void quantize(const Operator &op);
	void dequantize(const Operator &op);
	void concatenation(const Operator &op);
	void mean(const Operator &op);
	void pad(const Operator &op);

	void conv_float(const std::string &onnx_w, int64_t group);
	void conv_int8(const char *type, int64_t depth_multiplier);
};

int32_t onnx_type(int8_t t)
{
	switch (t) {
	case FLOAT32:
		return onnx::TensorProto::FLOAT;
	case INT32:
		return onnx::TensorProto::INT32;
	case INT64:
		return onnx::TensorProto::INT64;
	case INT8:
		return onnx::TensorProto::INT8;
	case UINT8:
		return onnx::TensorProto::UINT8;
	case BOOL:
		return onnx::TensorProto::BOOL;
	default:
		return onnx::TensorProto::UNDEFINED;
	}
}

std::vector<int64_t> dims64(const std::vector<int32_t> &d)
{
	return std::vector<int64_t>(d.begin(), d.end());
}

const std::map<int32_t, Translator::Rule> &Translator::rules()
{
	static const std::map<int32_t, Rule> r = {
		{FULLY_CONNECTED, &Translator::fully_connected},
		{CONV_2D, &Translator::conv_2d},
		{DEPTHWISE_CONV_2D, &Translator::depthwise_conv_2d},
		{AVERAGE_POOL_2D, &Translator::pool_2d},
		{MAX_POOL_2D, &Translator::pool_2d},
		{ADD, &Translator::binary},
		{MUL, &Translator::binary},
		{RESHAPE, &Translator::reshape},
		{SQUEEZE, &Translator::reshape},
		{SOFTMAX, &Translator::softmax},
		{LOGISTIC, &Translator::unary},
		{TANH, &Translator::unary},
		{RELU, &Translator::unary},
		{RELU6, &Translator::unary},
		{QUANTIZE, &Translator::quantize},
		{DEQUANTIZE, &Translator::dequantize},
		{CONCATENATION, &Translator::concatenation},
		{MEAN, &Translator::mean},
		{PAD, &Translator::pad},
	};
	return r;
}

void Translator::fail(const std::string &cause) const
{
	std::string where = m_.file + ": ";
	if (op_) {
		std::string name = op_->outputs.empty() || op_->outputs[0] < 0 ? "" : tensor(op_->outputs[0]).name;
		where += "operator " + std::to_string(op_->index) + " '" + name + "' (" +
			 builtin_name(op_->opcode) + "): ";
	}
	throw ModelError(where + cause);
}

const Tensor &Translator::in(size_t k) const
{
	if (!has_in(k))
		fail("input " + std::to_string(k) + " is missing");
	return tensor(op_->inputs[k]);
}

void Translator::arity(size_t min_in, size_t max_in, size_t outs) const
{
	size_t n = op_->inputs.size();
	if (n < min_in || n > max_in)
		fail("has " + std::to_string(n) + " inputs, expected " + std::to_string(min_in) +
		     (max_in == min_in ? "" : ".." + std::to_string(max_in)));
	if (op_->outputs.size() != outs)
		fail("has " + std::to_string(op_->outputs.size()) + " outputs, expected " + std::to_string(outs));
	for (size_t k = 0; k < min_in; k++)
		if (op_->inputs[k] < 0)
			fail("input " + std::to_string(k) + " is missing");
}

std::string Translator::value_in(size_t k)
{
	int32_t i = op_->inputs.at(k);
	const Tensor &t = in(k);
	if (t.data && !inits_.count(i)) {
		constant_tensor(t, dims64(t.shape), std::vector<uint8_t>(t.data, t.data + t.data_size));
		g_->mutable_initializer(g_->initializer_size() - 1)->set_name(names_[(size_t)i]);
		inits_.insert(i);
	}
	return names_[(size_t)i];
}

std::string Translator::temp(const std::string &what)
{
	std::string base = op_ && !op_->outputs.empty() ? value_out(0) : "tflite";
	return base + "/kinfer_" + what + "_" + std::to_string(fresh_++);
}

std::string Translator::constant_tensor(const Tensor &t, const std::vector<int64_t> &shape,
					const std::vector<uint8_t> &bytes)
{
	auto *init = g_->add_initializer();
	std::string name = temp("const");
	init->set_name(name);
	int32_t type = onnx_type(t.type);
	if (type == onnx::TensorProto::UNDEFINED)
		fail("constant '" + t.name + "' has type " + type_name(t.type) + ", which kinfer does not read");
	init->set_data_type(type);
	for (int64_t d : shape)
		init->add_dims(d);
	init->set_raw_data(std::string(bytes.begin(), bytes.end()));
	return name;
}

std::string Translator::constant_ints(const std::vector<int64_t> &v, int32_t type)
{
	auto *init = g_->add_initializer();
	std::string name = temp("const");
	init->set_name(name);
	init->set_data_type(type);
	init->add_dims((int64_t)v.size());
	for (int64_t x : v) {
		if (type == onnx::TensorProto::INT64)
			init->add_int64_data(x);
		else
			init->add_int32_data((int32_t)x);
	}
	return name;
}

std::string Translator::constant_float(float v)
{
	auto *init = g_->add_initializer();
	std::string name = temp("const");
	init->set_name(name);
	init->set_data_type(onnx::TensorProto::FLOAT);
	init->add_float_data(v);
	return name;
}

onnx::NodeProto *Translator::node(const std::string &type, const std::vector<std::string> &in,
				  const std::vector<std::string> &out, const char *domain)
{
	auto *n = g_->add_node();
	n->set_op_type(type);
	n->set_domain(domain);
	n->set_name(out.empty() ? type : out[0]);
	for (const std::string &s : in)
		n->add_input(s);
	for (const std::string &s : out)
		n->add_output(s);
	return n;
}

void add_float(onnx::NodeProto *n, const char *name, float v)
{
	auto *a = n->add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::FLOAT);
	a->set_f(v);
}

void add_int(onnx::NodeProto *n, const char *name, int64_t v)
{
	auto *a = n->add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::INT);
	a->set_i(v);
}

void add_ints(onnx::NodeProto *n, const char *name, const std::vector<int64_t> &v)
{
	auto *a = n->add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::INTS);
	for (int64_t x : v)
		a->add_ints(x);
}

void add_floats(onnx::NodeProto *n, const char *name, const std::vector<float> &v)
{
	auto *a = n->add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::FLOATS);
	for (float x : v)
		a->add_floats(x);
}

void add_string(onnx::NodeProto *n, const char *name, const std::string &v)
{
	auto *a = n->add_attribute();
	a->set_name(name);
	a->set_type(onnx::AttributeProto::STRING);
	a->set_s(v);
}

void Translator::quant_attrs(onnx::NodeProto *n, const char *prefix, const Tensor &t) const
{
	if (t.quant.scale.size() != 1)
		fail("tensor '" + t.name + "' needs one scale and zero point (per-tensor quantisation), not " +
		     std::to_string(t.quant.scale.size()));
	std::string p(prefix);
	add_float(n, (p + "_scale").c_str(), t.quant.scale[0]);
	add_int(n, (p + "_zero_point").c_str(), t.quant.zero_point[0]);
}

void Translator::weight_attrs(onnx::NodeProto *n, const Tensor &w) const
{
	if (w.quant.scale.empty())
		fail("weight '" + w.name + "' is int8 but has no quantisation parameters");
	for (int64_t zp : w.quant.zero_point)
		if (zp != 0)
			fail("weight '" + w.name + "' has zero point " + std::to_string(zp) +
			     "; TFLite's int8 weights are symmetric (zero point 0)");
	add_floats(n, "w_scales", w.quant.scale);
}

void Translator::activation_attr(onnx::NodeProto *n) const
{
	switch (fused_activation()) {
	case ACT_NONE:
		return;
	case ACT_RELU:
		add_string(n, "activation", "RELU");
		return;
	case ACT_RELU6:
		add_string(n, "activation", "RELU6");
		return;
	case ACT_RELU_N1_TO_1:
		add_string(n, "activation", "RELU_N1_TO_1");
		return;
	default:
		fail("fused activation " + std::to_string(fused_activation()) +
		     " is not supported on int8 operators (NONE, RELU, RELU6 and RELU_N1_TO_1 are)");
	}
}

void Translator::float_activation(const std::string &x, const std::string &y)
{
	switch (fused_activation()) {
	case ACT_NONE:
		node("Identity", {x}, {y});
		return;
	case ACT_RELU:
		node("Relu", {x}, {y});
		return;
	case ACT_RELU6:
		node("Clip", {x, constant_float(0.0f), constant_float(6.0f)}, {y});
		return;
	case ACT_RELU_N1_TO_1:
		node("Clip", {x, constant_float(-1.0f), constant_float(1.0f)}, {y});
		return;
	case ACT_TANH:
		node("Tanh", {x}, {y});
		return;
	default:
		fail("fused activation " + std::to_string(fused_activation()) + " is not supported");
	}
}

std::vector<int64_t> Translator::out_shape(size_t k) const
{
	return dims64(out(k).shape);
}

// TFLite's padding: SAME pads (out - 1) * stride + effective kernel - in in
// total, the smaller half first; VALID pads nothing.
std::vector<int64_t> Translator::pads(const Tensor &x, int32_t kh, int32_t kw, int32_t dh, int32_t dw) const
{
	const Options &o = op_->options;
	if (x.shape.size() != 4)
		fail("input '" + x.name + "' must be 4-D (NHWC)");
	if (o.stride_h < 1 || o.stride_w < 1 || dh < 1 || dw < 1 || kh < 1 || kw < 1)
		fail("strides, dilations and the window must be >= 1");
	int64_t in[2] = {x.shape[1], x.shape[2]}, k[2] = {kh, kw}, d[2] = {dh, dw};
	int64_t s[2] = {o.stride_h, o.stride_w};
	std::vector<int64_t> begin(2), end(2);
	for (int a = 0; a < 2; a++) {
		int64_t eff = (k[a] - 1) * d[a] + 1;
		int64_t o_len;
		if (o.padding == 0) {
			o_len = (in[a] + s[a] - 1) / s[a];
		} else if (o.padding == 1) {
			if (in[a] < eff)
				fail("the window (" + std::to_string(eff) + ") is larger than the input (" +
				     std::to_string(in[a]) + ") with VALID padding");
			o_len = (in[a] - eff) / s[a] + 1;
		} else {
			fail("padding " + std::to_string(o.padding) + " is neither SAME nor VALID");
		}
		int64_t total = std::max<int64_t>((o_len - 1) * s[a] + eff - in[a], 0);
		begin[a] = total / 2;
		end[a] = total - total / 2;
	}
	return {begin[0], begin[1], end[0], end[1]};
}

void Translator::declare_io()
{
	auto declare = [&](onnx::ValueInfoProto *v, int32_t i, const char *what) {
		const Tensor &t = tensor(i);
		int32_t type = onnx_type(t.type);
		if (type == onnx::TensorProto::UNDEFINED)
			throw ModelError(m_.file + ": " + what + " '" + t.name + "' has type " +
					 type_name(t.type) + ", which kinfer does not read");
		v->set_name(names_[(size_t)i]);
		auto *tt = v->mutable_type()->mutable_tensor_type();
		tt->set_elem_type(type);
		auto *shape = tt->mutable_shape();
		for (int32_t d : t.shape)
			shape->add_dim()->set_dim_value(d);
	};
	for (int32_t i : m_.inputs) {
		if (tensor(i).data)
			continue;	// a constant listed as an input: an initializer
		declare(g_->add_input(), i, "input");
	}
	for (int32_t i : m_.outputs)
		declare(g_->add_output(), i, "output");
}

onnx::ModelProto Translator::run()
{
	proto_.set_ir_version(8);
	proto_.set_producer_name("kinfer tflite");
	auto *o = proto_.add_opset_import();
	o->set_domain("");
	o->set_version(kOpset);
	auto *q = proto_.add_opset_import();
	q->set_domain(kDomain);
	q->set_version(1);
	g_ = proto_.mutable_graph();
	g_->set_name(m_.subgraph_name.empty() ? "tflite" : m_.subgraph_name);

	// Names: TFLite's may repeat or be empty; ONNX's must not.
	std::map<std::string, int> seen;
	for (const Tensor &t : m_.tensors)
		seen[t.name]++;
	for (size_t i = 0; i < m_.tensors.size(); i++) {
		const std::string &n = m_.tensors[i].name;
		names_.push_back(n.empty() || seen[n] > 1 ? n + "#" + std::to_string(i) : n);
	}
	for (const Tensor &t : m_.tensors)
		if (t.is_variable)
			throw ModelError(m_.file + ": tensor '" + t.name +
					 "' is a variable (stateful models are not supported)");
	declare_io();
	std::vector<bool> live = live_operators();
	for (size_t i = 0; i < m_.operators.size(); i++)
		if (live[i])
			translate(m_.operators[i]);
	op_ = nullptr;
	return proto_;
}

// Operators some graph output depends on.  A RESHAPE takes its shape from
// its output tensor, which is static here, so the chain that computes a
// shape tensor at run time (SHAPE, STRIDED_SLICE, PACK: Flatten with a
// dynamic batch) is dead and never needs a lowering.
std::vector<bool> Translator::live_operators() const
{
	std::vector<bool> tensor_live(m_.tensors.size()), live(m_.operators.size());
	for (int32_t o : m_.outputs)
		tensor_live[(size_t)o] = true;
	for (size_t i = m_.operators.size(); i-- > 0;) {
		const Operator &op = m_.operators[i];
		for (int32_t o : op.outputs)
			if (o >= 0 && tensor_live[(size_t)o])
				live[i] = true;
		if (!live[i])
			continue;
		size_t used = op.opcode == RESHAPE ? std::min<size_t>(1, op.inputs.size()) : op.inputs.size();
		for (size_t k = 0; k < used; k++)
			if (op.inputs[k] >= 0)
				tensor_live[(size_t)op.inputs[k]] = true;
	}
	return live;
}

void Translator::translate(const Operator &op)
{
	op_ = &op;
	auto it = rules().find(op.opcode);
	if (it == rules().end()) {
		std::string what = op.opcode == CUSTOM ? "custom operator '" + op.custom_code + "'"
						       : builtin_name(op.opcode);
		fail(what + " has no kinfer lowering; supported builtins: " + supported_builtins());
	}
	for (int32_t o : op.outputs)
		if (o < 0)
			fail("an output is missing");
	(this->*(it->second))(op);
}

// ---- FULLY_CONNECTED ----

void Translator::fully_connected(const Operator &op)
{
	arity(2, 3);
	const Tensor &x = in(0), &w = in(1);
	if (op.options.weights_format != 0)
		fail("weights format " + std::to_string(op.options.weights_format) + " is not supported (DEFAULT is)");
	if (w.shape.size() != 2 || !w.data)
		fail("weight '" + w.name + "' must be a constant [N, K] matrix");
	int64_t k = w.shape[1];
	uint64_t numel = 1;
	for (int32_t d : x.shape)
		numel *= (uint64_t)d;
	if (x.shape.empty() || numel % (uint64_t)k)
		fail("input '" + x.name + "' does not divide into rows of " + std::to_string(k));
	int64_t m = (int64_t)(numel / (uint64_t)k);
	if (is_int8(x)) {
		if (!is_int8(w) || (has_in(2) && in(2).type != INT32))
			fail("an int8 FULLY_CONNECTED needs int8 weights and an int32 bias");
		std::vector<std::string> ins{value_in(0), value_in(1)};
		if (has_in(2))
			ins.push_back(value_in(2));
		auto *nd = node("FullyConnected", ins, {value_out(0)}, kDomain);
		quant_attrs(nd, "x", x);
		weight_attrs(nd, w);
		quant_attrs(nd, "y", out(0));
		add_ints(nd, "y_shape", out_shape(0));
		activation_attr(nd);
		return;
	}
	if (w.type != FLOAT32)
		fail("weight '" + w.name + "' is " + type_name(w.type) +
		     " but the input is float (dynamic-range quantised models are not supported)");
	std::string x2 = temp("rows");
	node("Reshape", {value_in(0), constant_ints({m, k}, onnx::TensorProto::INT64)}, {x2});
	std::vector<std::string> ins{x2, value_in(1)};
	if (has_in(2))
		ins.push_back(value_in(2));
	std::string y2 = temp("gemm"), y3 = temp("act");
	add_int(node("Gemm", ins, {y2}), "transB", 1);
	float_activation(y2, y3);
	node("Reshape", {y3, constant_ints(out_shape(0), onnx::TensorProto::INT64)}, {value_out(0)});
}

// ---- CONV_2D, DEPTHWISE_CONV_2D ----

void Translator::conv_int8(const char *type, int64_t depth_multiplier)
{
	const Tensor &x = in(0), &w = in(1);
	if (!is_int8(w) || (has_in(2) && in(2).type != INT32))
		fail("an int8 convolution needs int8 weights and an int32 bias");
	std::vector<std::string> ins{value_in(0), value_in(1)};
	if (has_in(2))
		ins.push_back(value_in(2));
	const Options &o = op_->options;
	auto *nd = node(type, ins, {value_out(0)}, kDomain);
	add_ints(nd, "strides", {o.stride_h, o.stride_w});
	add_ints(nd, "dilations", {o.dilation_h, o.dilation_w});
	add_ints(nd, "pads", pads(x, w.shape[1], w.shape[2], o.dilation_h, o.dilation_w));
	if (depth_multiplier)
		add_int(nd, "depth_multiplier", depth_multiplier);
	quant_attrs(nd, "x", x);
	weight_attrs(nd, w);
	quant_attrs(nd, "y", out(0));
	add_ints(nd, "y_shape", out_shape(0));
	activation_attr(nd);
}

void Translator::conv_float(const std::string &onnx_w, int64_t group)
{
	const Tensor &x = in(0), &w = in(1);
	const Options &o = op_->options;
	std::string xt = temp("nchw"), yt = temp("conv"), ya = temp("nhwc");
	add_ints(node("Transpose", {value_in(0)}, {xt}), "perm", {0, 3, 1, 2});
	std::vector<std::string> ins{xt, onnx_w};
	if (has_in(2))
		ins.push_back(value_in(2));
	auto *nd = node("Conv", ins, {yt});
	add_ints(nd, "strides", {o.stride_h, o.stride_w});
	add_ints(nd, "dilations", {o.dilation_h, o.dilation_w});
	add_ints(nd, "pads", pads(x, w.shape[1], w.shape[2], o.dilation_h, o.dilation_w));
	add_int(nd, "group", group);
	add_ints(node("Transpose", {yt}, {ya}), "perm", {0, 2, 3, 1});
	float_activation(ya, value_out(0));
}

// OHWI (or 1HWO for depthwise) float weights as ONNX's OIHW.
std::vector<uint8_t> to_oihw(const Tensor &w, bool depthwise)
{
	int64_t o = w.shape[0], h = w.shape[1], wd = w.shape[2], i = w.shape[3];
	std::vector<uint8_t> r(w.data_size);
	const float *src = reinterpret_cast<const float *>(w.data);
	float *dst = reinterpret_cast<float *>(r.data());
	if (depthwise) {	// [1, H, W, M] -> [M, 1, H, W]
		for (int64_t y = 0; y < h; y++)
			for (int64_t x = 0; x < wd; x++)
				for (int64_t m = 0; m < i; m++)
					dst[(m * h + y) * wd + x] = src[(y * wd + x) * i + m];
		return r;
	}
	for (int64_t a = 0; a < o; a++)
		for (int64_t y = 0; y < h; y++)
			for (int64_t x = 0; x < wd; x++)
				for (int64_t c = 0; c < i; c++)
					dst[((a * i + c) * h + y) * wd + x] = src[((a * h + y) * wd + x) * i + c];
	return r;
}

void Translator::conv_2d(const Operator &)
{
	arity(2, 3);
	const Tensor &x = in(0), &w = in(1);
	if (w.shape.size() != 4 || !w.data)
		fail("weight '" + w.name + "' must be a constant [O, KH, KW, I] tensor");
	if (x.shape.size() != 4 || x.shape[3] != w.shape[3])
		fail("input '" + x.name + "' must be NHWC with " + std::to_string(w.shape[3]) +
		     " channels (grouped convolutions are not supported)");
	if (is_int8(x))
		return conv_int8("Conv2D", 0);
	if (w.type != FLOAT32)
		fail("weight '" + w.name + "' has type " + type_name(w.type) + "; float convolutions need FLOAT32");
	std::vector<int64_t> oihw{w.shape[0], w.shape[3], w.shape[1], w.shape[2]};
	conv_float(constant_tensor(w, oihw, to_oihw(w, false)), 1);
}

void Translator::depthwise_conv_2d(const Operator &op)
{
	arity(2, 3);
	const Tensor &x = in(0), &w = in(1);
	if (w.shape.size() != 4 || w.shape[0] != 1 || !w.data)
		fail("weight '" + w.name + "' must be a constant [1, KH, KW, M] tensor");
	if (x.shape.size() != 4 || w.shape[3] % x.shape[3])
		fail("the weight's " + std::to_string(w.shape[3]) + " channels are not a multiple of input '" +
		     x.name + "''s channels");
	int64_t dm = w.shape[3] / x.shape[3];
	if (op.options.depth_multiplier > 0 && op.options.depth_multiplier != dm)
		fail("depth_multiplier " + std::to_string(op.options.depth_multiplier) + " does not match the weight (" +
		     std::to_string(dm) + ")");
	if (is_int8(x))
		return conv_int8("DepthwiseConv2D", dm);
	if (w.type != FLOAT32)
		fail("weight '" + w.name + "' has type " + type_name(w.type) + "; float convolutions need FLOAT32");
	std::vector<int64_t> oihw{w.shape[3], 1, w.shape[1], w.shape[2]};
	conv_float(constant_tensor(w, oihw, to_oihw(w, true)), x.shape[3]);
}

// ---- AVERAGE_POOL_2D, MAX_POOL_2D ----

void Translator::pool_2d(const Operator &op)
{
	arity(1, 1);
	const Tensor &x = in(0);
	const Options &o = op.options;
	bool avg = op.opcode == AVERAGE_POOL_2D;
	std::vector<int64_t> p = pads(x, o.filter_h, o.filter_w, 1, 1);
	if (is_int8(x)) {
		auto *nd = node(avg ? "AveragePool2D" : "MaxPool2D", {value_in(0)}, {value_out(0)}, kDomain);
		add_ints(nd, "kernel_shape", {o.filter_h, o.filter_w});
		add_ints(nd, "strides", {o.stride_h, o.stride_w});
		add_ints(nd, "pads", p);
		quant_attrs(nd, "x", x);
		quant_attrs(nd, "y", out(0));
		add_ints(nd, "y_shape", out_shape(0));
		activation_attr(nd);
		return;
	}
	std::string xt = temp("nchw"), yt = temp("pool"), ya = temp("nhwc");
	add_ints(node("Transpose", {value_in(0)}, {xt}), "perm", {0, 3, 1, 2});
	auto *nd = node(avg ? "AveragePool" : "MaxPool", {xt}, {yt});
	add_ints(nd, "kernel_shape", {o.filter_h, o.filter_w});
	add_ints(nd, "strides", {o.stride_h, o.stride_w});
	add_ints(nd, "pads", p);
	add_ints(node("Transpose", {yt}, {ya}), "perm", {0, 2, 3, 1});
	float_activation(ya, value_out(0));
}

// ---- ADD, MUL ----

void Translator::binary(const Operator &op)
{
	arity(2, 2);
	const Tensor &a = in(0), &b = in(1);
	bool add = op.opcode == ADD;
	if (is_int8(a)) {
		if (!is_int8(b))
			fail("input '" + b.name + "' is " + type_name(b.type) + " but '" + a.name + "' is INT8");
		auto *nd = node(add ? "Add" : "Mul", {value_in(0), value_in(1)}, {value_out(0)}, kDomain);
		quant_attrs(nd, "a", a);
		quant_attrs(nd, "b", b);
		quant_attrs(nd, "y", out(0));
		activation_attr(nd);
		return;
	}
	std::string y = temp("binary");
	node(add ? "Add" : "Mul", {value_in(0), value_in(1)}, {y});
	float_activation(y, value_out(0));
}

// ---- RESHAPE, SQUEEZE: a view, of the output tensor's shape ----

void Translator::reshape(const Operator &)
{
	if (op_->inputs.empty() || op_->outputs.size() != 1)
		fail("needs an input and one output");
	const Tensor &x = in(0), &y = out(0);
	if (x.type != y.type || (is_int8(x) && (x.quant.scale != y.quant.scale ||
						x.quant.zero_point != y.quant.zero_point)))
		fail("input '" + x.name + "' and output '" + y.name + "' must have one type and quantisation");
	node("Reshape", {value_in(0), constant_ints(out_shape(0), onnx::TensorProto::INT64)}, {value_out(0)});
}

// ---- SOFTMAX ----

void Translator::softmax(const Operator &op)
{
	arity(1, 1);
	const Tensor &x = in(0);
	if (is_int8(x)) {
		auto *nd = node("Softmax", {value_in(0)}, {value_out(0)}, kDomain);
		add_float(nd, "beta", op.options.beta);
		quant_attrs(nd, "x", x);
		quant_attrs(nd, "y", out(0));
		return;
	}
	std::string s = value_in(0);
	if (op.options.beta != 1.0f) {
		std::string scaled = temp("beta");
		node("Mul", {s, constant_float(op.options.beta)}, {scaled});
		s = scaled;
	}
	add_int(node("Softmax", {s}, {value_out(0)}), "axis", -1);
}

// ---- LOGISTIC, TANH, RELU, RELU6 ----

void Translator::unary(const Operator &op)
{
	arity(1, 1);
	const Tensor &x = in(0);
	const char *type = op.opcode == LOGISTIC ? "Logistic" : op.opcode == TANH ? "Tanh"
			 : op.opcode == RELU	 ? "Relu"
						 : "Relu6";
	if (is_int8(x)) {
		auto *nd = node(type, {value_in(0)}, {value_out(0)}, kDomain);
		quant_attrs(nd, "x", x);
		quant_attrs(nd, "y", out(0));
		return;
	}
	switch (op.opcode) {
	case LOGISTIC:
		node("Sigmoid", {value_in(0)}, {value_out(0)});
		return;
	case TANH:
		node("Tanh", {value_in(0)}, {value_out(0)});
		return;
	case RELU:
		node("Relu", {value_in(0)}, {value_out(0)});
		return;
	default:
		node("Clip", {value_in(0), constant_float(0.0f), constant_float(6.0f)}, {value_out(0)});
	}
}

// ---- QUANTIZE, DEQUANTIZE ----

void Translator::quantize(const Operator &)
{
	arity(1, 1);
	const Tensor &x = in(0), &y = out(0);
	if (!is_int8(y) || (x.type != FLOAT32 && !is_int8(x)))
		fail("quantises " + std::string(type_name(x.type)) + " to " + type_name(y.type) +
		     "; kinfer quantises FLOAT32 or INT8 to INT8");
	auto *nd = node("Quantize", {value_in(0)}, {value_out(0)}, kDomain);
	if (is_int8(x))
		quant_attrs(nd, "x", x);
	quant_attrs(nd, "y", y);
}

void Translator::dequantize(const Operator &)
{
	arity(1, 1);
	const Tensor &x = in(0), &y = out(0);
	if (!is_int8(x) || y.type != FLOAT32)
		fail("dequantises " + std::string(type_name(x.type)) + " to " + type_name(y.type) +
		     "; kinfer dequantises INT8 to FLOAT32");
	auto *nd = node("Dequantize", {value_in(0)}, {value_out(0)}, kDomain);
	quant_attrs(nd, "x", x);
}

// ---- CONCATENATION ----

void Translator::concatenation(const Operator &op)
{
	if (op.inputs.empty() || op.outputs.size() != 1)
		fail("needs inputs and one output");
	const Tensor &y = out(0);
	std::vector<std::string> ins;
	for (size_t k = 0; k < op.inputs.size(); k++) {
		const Tensor &x = in(k);
		if (x.type != y.type)
			fail("input '" + x.name + "' is " + type_name(x.type) + " but the output is " + type_name(y.type));
		std::string v = value_in(k);
		if (is_int8(x) && (x.quant.scale != y.quant.scale || x.quant.zero_point != y.quant.zero_point)) {
			// Rescaled to the output's quantisation first, as QUANTIZE would.
			std::string r = temp("requant");
			auto *nd = node("Quantize", {v}, {r}, kDomain);
			quant_attrs(nd, "x", x);
			quant_attrs(nd, "y", y);
			v = r;
		}
		ins.push_back(v);
	}
	bool act = op.options.fused_activation != ACT_NONE;
	if (act && is_int8(y))
		fail("a fused activation on an int8 CONCATENATION is not supported");
	std::string c = act ? temp("concat") : value_out(0);
	add_int(node("Concat", ins, {c}), "axis", op.options.axis);
	if (act)
		float_activation(c, value_out(0));
}

// ---- MEAN ----

void Translator::mean(const Operator &op)
{
	arity(2, 2);
	const Tensor &x = in(0), &axes = in(1);
	if (!axes.data || axes.type != INT32)
		fail("axes '" + axes.name + "' must be a constant INT32 tensor");
	std::vector<int64_t> ax;
	for (size_t i = 0; i < axes.data_size / 4; i++) {
		int32_t a;
		std::memcpy(&a, axes.data + 4 * i, 4);
		ax.push_back(a);
	}
	if (is_int8(x)) {
		auto *nd = node("Mean", {value_in(0)}, {value_out(0)}, kDomain);
		add_ints(nd, "axes", ax);
		add_int(nd, "keepdims", op.options.keep_dims);
		quant_attrs(nd, "x", x);
		quant_attrs(nd, "y", out(0));
		return;
	}
	auto *nd = node("ReduceMean", {value_in(0)}, {value_out(0)});
	add_ints(nd, "axes", ax);
	add_int(nd, "keepdims", op.options.keep_dims);
}

// ---- PAD: int8 pads with the zero point, which is 0.0 ----

void Translator::pad(const Operator &)
{
	arity(2, 2);
	const Tensor &x = in(0), &p = in(1);
	if (!p.data || (p.type != INT32 && p.type != INT64) || p.shape.size() != 2 || p.shape[1] != 2 ||
	    (size_t)p.shape[0] != x.shape.size())
		fail("paddings '" + p.name + "' must be a constant [rank, 2] integer tensor");
	size_t r = x.shape.size();
	std::vector<int64_t> pads(2 * r);
	for (size_t i = 0; i < r; i++)
		for (size_t j = 0; j < 2; j++) {
			int64_t v;
			if (p.type == INT32) {
				int32_t v32;
				std::memcpy(&v32, p.data + 4 * (2 * i + j), 4);
				v = v32;
			} else {
				std::memcpy(&v, p.data + 8 * (2 * i + j), 8);
			}
			pads[j * r + i] = v;
		}
	std::vector<std::string> ins{value_in(0), constant_ints(pads, onnx::TensorProto::INT64)};
	if (is_int8(x)) {
		const Tensor &y = out(0);
		if (x.quant.scale != y.quant.scale || x.quant.zero_point != y.quant.zero_point)
			fail("input and output must have one quantisation");
		int8_t zp = (int8_t)x.quant.zero_point.at(0);
		ins.push_back(constant_tensor(x, {}, {(uint8_t)zp}));
	}
	node("Pad", ins, {value_out(0)});
}

} // namespace

bool is_tflite(const std::string &path)
{
	if (path.size() > 7 && path.compare(path.size() - 7, 7, ".tflite") == 0)
		return true;
	std::ifstream f(path, std::ios::binary);
	char head[8] = {};
	return f.read(head, sizeof(head)) && std::memcmp(head + 4, "TFL3", 4) == 0;
}

onnx::ModelProto to_onnx(const Model &m)
{
	return Translator(m).run();
}

std::vector<std::string> supported_builtin_list()
{
	std::vector<std::string> names;
	for (const auto &r : Translator::rule_codes())
		names.push_back(builtin_name(r));
	std::sort(names.begin(), names.end());
	return names;
}

std::string supported_builtins()
{
	std::string s;
	for (const std::string &n : supported_builtin_list())
		s += (s.empty() ? "" : ", ") + n;
	return s;
}

} // namespace kinfer::tflite
