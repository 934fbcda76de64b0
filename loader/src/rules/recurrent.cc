// SPDX-License-Identifier: GPL-2.0
// Recurrent layers: LSTM, GRU and RNN, one kernel op each (the recurrent
// class, kmod/ops/recurrent.c).  W, R, B and P are usually initializers
// and become weight maps; with plan ABI 2 every constant operand is bound
// before the node, so the op takes all of its (up to eight) inputs.
//
// The kernel keeps the recurrent state in Y_h (and Y_c), so those are
// always given to it: a scratch storage when the model omits them.  A
// work storage holds the gates of the step in progress.
#include "rules.h"

#include <uapi/kinfer.h>

#include <algorithm>
#include <cctype>

namespace kinfer {

namespace {

struct Kind {
	const char *name;
	int gates;		// G: rows of W per hidden unit
	int acts;		// activation functions per direction
	size_t max_in, max_out;
	const char *defaults[KINFER_RNN_ACTS];
};

const Kind kLstm{"LSTM", 4, 3, 8, 3, {"Sigmoid", "Tanh", "Tanh"}};
const Kind kGru{"GRU", 3, 2, 6, 2, {"Sigmoid", "Tanh", nullptr}};
const Kind kRnn{"RNN", 1, 1, 6, 2, {"Tanh", nullptr, nullptr}};

const Kind &kind_of(uint32_t kop)
{
	return kop == KINFER_OP_LSTM ? kLstm : kop == KINFER_OP_GRU ? kGru : kRnn;
}

// The functions ONNX lists for recurrent layers.
const char *const kOnnxActs[] = {"Relu",	"Tanh",	       "Sigmoid", "Affine",
				 "LeakyRelu",	"ThresholdedRelu", "ScaledTanh", "HardSigmoid",
				 "Elu",		"Softsign",    "Softplus"};

std::string lower(std::string s)
{
	for (char &ch : s)
		ch = (char)std::tolower((unsigned char)ch);
	return s;
}

// A STRINGS attribute (NodeAttrs reads the other types).
std::vector<std::string> attr_strings(const NodeAttrs &c, const Node &n, const char *name)
{
	auto it = n.attrs.find(name);
	if (it == n.attrs.end())
		return {};
	const onnx::AttributeProto &a = it->second;
	bool ok = a.type() == onnx::AttributeProto::STRINGS ||
		  (a.type() == onnx::AttributeProto::UNDEFINED && a.strings_size() > 0);
	if (!ok)
		c.fail(std::string("attribute '") + name + "' must be STRINGS");
	return std::vector<std::string>(a.strings().begin(), a.strings().end());
}

// Reads activation_alpha and activation_beta in order: each function
// takes the parameters it has (ONNX Runtime's reading), else the
// defaults of the ONNX operator of that name.
struct ParamQueue {
	std::vector<float> v;
	size_t next = 0;

	float take(float def) { return next < v.size() ? v[next++] : def; }
};

// An activation name as a unary kernel op with its parameters.
kinfer_rnn_act resolve_act(const NodeAttrs &c, const std::string &name, ParamQueue &alpha,
			   ParamQueue &beta)
{
	const char *canon = nullptr;
	for (const char *a : kOnnxActs)
		if (lower(a) == lower(name))
			canon = a;
	if (!canon)
		c.fail("activation '" + name + "' is not one of Relu, Tanh, Sigmoid, Affine, "
		       "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus");
	Node probe;
	probe.op = canon;
	const OnnxRule *r = find_rule(probe);
	const KernelOp *k = r ? kernel_op(r->kop) : nullptr;
	if (!k || std::string(k->op_class) != "unary")
		c.fail(std::string("activation '") + canon +
		       "' is not supported: kinfer has no elementwise kernel op for it");
	kinfer_rnn_act act{};
	act.op = r->kop;
	if (r->params[0].attr)
		act.attr.alpha.f = alpha.take(r->params[0].def);
	if (r->params[1].attr)
		act.attr.beta.f = beta.take(r->params[1].def);
	return act;
}

// The attribute block from the node's attributes; shapes are checked
// elsewhere.
kinfer_attr_rnn read_attrs(const NodeAttrs &c, const Node &n, const Kind &k, int64_t opset,
			   int64_t hidden)
{
	kinfer_attr_rnn a{};
	std::string dir = c.attr_string("direction", "forward");
	if (dir == "forward")
		a.direction = KINFER_RNN_FORWARD;
	else if (dir == "reverse")
		a.direction = KINFER_RNN_REVERSE;
	else if (dir == "bidirectional")
		a.direction = KINFER_RNN_BIDIRECTIONAL;
	else
		c.fail("direction '" + dir + "' is not forward, reverse or bidirectional");
	int dirs = a.direction == KINFER_RNN_BIDIRECTIONAL ? 2 : 1;

	if (c.has_attr("layout") && opset < 14)
		c.fail("attribute 'layout' needs opset 14 (the model has " + std::to_string(opset) + ")");
	int64_t layout = c.attr_int("layout", 0);
	if (layout != 0 && layout != 1)
		c.fail("layout " + std::to_string(layout) + " is not 0 or 1");
	a.layout = (uint32_t)layout;
	a.hidden_size = (uint32_t)hidden;

	if (c.has_attr("clip")) {
		float clip = c.attr_float("clip", 0.0f);
		if (!(clip > 0.0f))
			c.fail("clip " + std::to_string(clip) + " is not > 0");
		a.flags |= KINFER_RNN_CLIP;
		a.clip.f = clip;
	}
	if (&k == &kLstm) {
		int64_t f = c.attr_int("input_forget", 0);
		if (f != 0 && f != 1)
			c.fail("input_forget " + std::to_string(f) + " is not 0 or 1");
		a.flags |= f ? KINFER_RNN_INPUT_FORGET : 0;
	}
	if (&k == &kGru) {
		int64_t l = c.attr_int("linear_before_reset", 0);
		if (l != 0 && l != 1)
			c.fail("linear_before_reset " + std::to_string(l) + " is not 0 or 1");
		a.flags |= l ? KINFER_RNN_LINEAR_BEFORE_RESET : 0;
	}

	std::vector<std::string> names = attr_strings(c, n, "activations");
	size_t want = (size_t)(dirs * k.acts);
	if (names.empty())
		for (int d = 0; d < dirs; d++)
			for (int i = 0; i < k.acts; i++)
				names.push_back(k.defaults[i]);
	if (names.size() != want)
		c.fail("activations lists " + std::to_string(names.size()) + " functions; " + k.name +
		       " with direction " + dir + " takes " + std::to_string(want));
	ParamQueue alpha{c.attr_floats("activation_alpha")}, beta{c.attr_floats("activation_beta")};
	for (int d = 0; d < dirs; d++)
		for (int i = 0; i < k.acts; i++)
			a.act[d][i] = resolve_act(c, names[(size_t)(d * k.acts + i)], alpha, beta);
	return a;
}

struct Dims {
	int64_t T, B, I, H, D;
	bool layout;
};

Shape state_shape(const Dims &g) { return g.layout ? Shape{g.B, g.D, g.H} : Shape{g.D, g.B, g.H}; }

Shape y_shape(const Dims &g)
{
	return g.layout ? Shape{g.B, g.T, g.D, g.H} : Shape{g.T, g.D, g.B, g.H};
}

void check_shape(const NodeCtx &c, size_t i, const char *what, const Shape &want)
{
	const Value &v = c.in_f32(i);
	if (v.shape != want)
		c.fail(std::string(what) + " (" + c.what(i) + ") has shape " + shape_str(v.shape) +
		       ", expected " + shape_str(want));
}

// Constant sequence lengths: each in [0, T].
void check_seq(const NodeCtx &c, const Dims &g)
{
	const Value &v = c.in(4, {DType::i32});
	if (v.shape != Shape{g.B})
		c.fail("sequence_lens (" + c.what(4) + ") has shape " + shape_str(v.shape) +
		       ", expected " + shape_str(Shape{g.B}));
	if (!v.constant)
		return;
	for (int64_t len : v.data.ints())
		if (len < 0 || len > g.T)
			c.fail("sequence_lens has " + std::to_string(len) + ", outside [0, " +
			       std::to_string(g.T) + "]");
}

Dims infer_dims(const NodeCtx &c, const Kind &k)
{
	const Value &x = c.in_f32(0);
	const Value &r = c.in_f32(2);
	bool layout = c.attr_int("layout", 0) == 1;
	if (x.shape.size() != 3)
		c.fail("X (" + c.what(0) + ") has shape " + shape_str(x.shape) + "; " + k.name +
		       " takes [seq_length, batch_size, input_size]" +
		       (layout ? " (layout 1: batch first)" : ""));
	if (r.shape.size() != 3)
		c.fail("R (" + c.what(2) + ") has shape " + shape_str(r.shape) + ", not rank 3");
	Dims g{};
	g.layout = layout;
	g.T = x.shape[layout ? 1 : 0];
	g.B = x.shape[layout ? 0 : 1];
	g.I = x.shape[2];
	g.H = c.attr_int("hidden_size", r.shape[2]);
	g.D = c.attr_string("direction", "forward") == "bidirectional" ? 2 : 1;
	if (g.H <= 0 || g.H != r.shape[2])
		c.fail("hidden_size " + std::to_string(g.H) + " does not match R's shape " +
		       shape_str(r.shape));
	return g;
}

void infer_rnn_common(NodeCtx &c, const Kind &k)
{
	if (c.n_in() < 3 || c.n_in() > k.max_in)
		c.fail(std::string(k.name) + " takes 3.." + std::to_string(k.max_in) + " inputs, got " +
		       std::to_string(c.n_in()));
	if (c.n_out() > k.max_out)
		c.fail(std::string(k.name) + " has at most " + std::to_string(k.max_out) +
		       " outputs, got " + std::to_string(c.n_out()));
	Dims g = infer_dims(c, k);
	read_attrs(c, c.n, k, c.g.opset, g.H);
	int64_t gh = k.gates * g.H;
	check_shape(c, 1, "W", {g.D, gh, g.I});
	check_shape(c, 2, "R", {g.D, gh, g.H});
	if (c.has_in(3))
		check_shape(c, 3, "B", {g.D, 2 * gh});
	if (c.has_in(4))
		check_seq(c, g);
	if (c.has_in(5))
		check_shape(c, 5, "initial_h", state_shape(g));
	if (c.has_in(6))
		check_shape(c, 6, "initial_c", state_shape(g));
	if (c.has_in(7))
		check_shape(c, 7, "P", {g.D, 3 * g.H});
	c.define(0, DType::f32, y_shape(g));
	c.define(1, DType::f32, state_shape(g));
	c.define(2, DType::f32, state_shape(g));
}

// Sequence lengths that are all T change nothing: they are left out.
bool seq_all_full(const LowerCtx &c, int64_t T)
{
	const Value &v = c.value(4);
	if (!v.constant)
		return false;
	std::vector<int64_t> lens = v.data.ints();
	return std::all_of(lens.begin(), lens.end(), [&](int64_t l) { return l == T; });
}

} // namespace

void infer_recurrent(NodeCtx &c)
{
	infer_rnn_common(c, kind_of(c.rule.kop));
}

void lower_recurrent(LowerCtx &c)
{
	const Kind &k = kind_of(c.rule.kop);
	const Shape &xs = c.value(0).shape, &rs = c.value(2).shape;
	bool layout = c.attr_int("layout", 0) == 1;
	Dims g{layout ? xs[1] : xs[0], layout ? xs[0] : xs[1], xs[2], rs[2], rs[0], layout};
	kinfer_attr_rnn attr = read_attrs(c, c.n, k, c.g.opset, g.H);

	std::vector<LRef> in{c.in(0), c.in(1), c.in(2)};
	for (size_t i = 3; i < c.n.in.size(); i++) {
		bool drop = !c.has_in(i) || (i == 4 && seq_all_full(c, g.T));
		in.push_back(drop ? LRef{} : c.in(i));
	}
	while (in.size() > 3 && !in.back().present())
		in.pop_back();

	std::string base = c.n.name.empty() ? k.name + std::string("#") + std::to_string(c.n.index)
					   : c.n.name;
	std::vector<LRef> out{c.has_out(0) ? c.out(0) : LRef{}};
	size_t states = &k == &kLstm ? 2 : 1;
	for (size_t i = 1; i <= states; i++)
		out.push_back(c.has_out(i) ? c.out(i)
					   : c.scratch(DType::f32, state_shape(g),
						       base + (i == 1 ? "/Y_h" : "/Y_c")));
	int64_t row = (k.gates == 1 ? 1 : 4) * g.H;
	out.push_back(c.scratch(DType::f32, {g.D, g.B, row}, base + "/work"));
	c.emit(c.rule.kop, std::move(in), std::move(out), attr);
}

} // namespace kinfer
