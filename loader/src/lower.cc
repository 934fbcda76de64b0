// SPDX-License-Identifier: GPL-2.0
#include "lower.h"

#include "error.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace kinfer {

const char *op_name(uint32_t op)
{
	static const char *const names[KINFER_OP_COUNT] = {
		"INVALID", "INPUT", "OUTPUT", "DENSE", "MATMUL", "RELU", "SIGMOID",
		"TANH", "SOFTMAX", "ADD", "MUL", "ADD_CONST", "MUL_CONST",
	};
	return op < KINFER_OP_COUNT ? names[op] : "UNKNOWN";
}

bool op_in_place_ok(uint32_t op)
{
	switch (op) {
	case KINFER_OP_RELU:
	case KINFER_OP_SIGMOID:
	case KINFER_OP_TANH:
	case KINFER_OP_ADD:
	case KINFER_OP_MUL:
	case KINFER_OP_ADD_CONST:
	case KINFER_OP_MUL_CONST:
		return true;
	default:
		return false;
	}
}

namespace {

struct Lowerer {
	const Graph &g;
	Lowered l;
	std::unordered_map<std::string, int> tid;	// ONNX name -> LTensor
	std::map<std::string, int> wid;			// initializer -> its untransformed LWeight
	std::unordered_map<std::string, int> uses;	// ONNX name -> readers
	std::vector<bool> fused;			// ONNX node consumed by a fusion

	static std::string label(const Node &n)
	{
		return n.name.empty() ? n.op + "#" + std::to_string(n.index) : n.name;
	}

	int new_tensor(const std::string &name, const Shape &shape)
	{
		l.tensors.push_back(LTensor{name, shape, shape_numel(shape) * sizeof(float)});
		return (int)l.tensors.size() - 1;
	}

	int new_tensor(const std::string &name)
	{
		tid[name] = new_tensor(name, g.tensor(name).shape);
		return tid[name];
	}

	// One map per distinct (initializer, transform).
	// A weight used as stored is shared by every node that reads it. A
	// transformed copy (tag: transposed, scaled, broadcast) depends on its
	// node, so it is never shared, and its name differs from every
	// initializer's and every other weight's.
	int weight(const TensorInfo &t, const std::string &tag, Shape shape, std::vector<float> data)
	{
		if (tag.empty()) {
			auto it = wid.find(t.source);
			if (it != wid.end())
				return it->second;
		}
		std::string name = tag.empty() ? t.source : unused_name(t.source + tag);
		l.weights.push_back(LWeight{name, t.source, std::move(shape), std::move(data)});
		int id = (int)l.weights.size() - 1;
		if (tag.empty())
			wid[t.source] = id;
		return id;
	}

	bool name_taken(const std::string &name) const
	{
		if (g.tensors.count(name))
			return true;
		for (const LWeight &w : l.weights)
			if (w.name == name)
				return true;
		return false;
	}

	std::string unused_name(const std::string &base) const
	{
		std::string name = base;
		for (int k = 2; name_taken(name); k++)
			name = base + "." + std::to_string(k);
		return name;
	}

	int weight(const TensorInfo &t) { return weight(t, "", t.shape, t.f); }

	LOp &push(uint32_t op, const Node *n)
	{
		l.ops.emplace_back();
		l.ops.back().op = op;
		if (n)
			l.ops.back().onnx_nodes.push_back(label(*n));
		return l.ops.back();
	}

	static uint32_t u32(uint64_t v) { return (uint32_t)v; }	// bounded by kMaxTensorBytes

	// out[M,N] = in0[M,K] . W[K,N] (+ b[N] when `bias`, set by the caller as w1).
	LOp &push_dense(const Node &n, bool bias, int in0, int w0, uint64_t m, uint64_t k,
			uint64_t nn)
	{
		LOp &op = push(bias ? KINFER_OP_DENSE : KINFER_OP_MATMUL, &n);
		op.in0 = in0;
		op.w0 = w0;
		op.dims[0] = u32(m);
		op.dims[1] = u32(k);
		op.dims[2] = u32(nn);
		return op;
	}

	// The single node reading `mm`'s output, if it is an Add of a bias of N floats.
	int find_bias_add(const Node &mm, uint64_t n_out)
	{
		const std::string &o = mm.out[0];
		if (uses[o] != 1)
			return -1;
		for (size_t j = mm.index + 1; j < g.nodes.size(); j++) {
			const Node &c = g.nodes[j];
			if (c.folded || std::find(c.in.begin(), c.in.end(), o) == c.in.end())
				continue;
			if (c.op != "Add")
				return -1;	// the only reader is not a bias add
			int pos = c.in[0] == o ? 0 : 1;
			const TensorInfo &b = g.tensor(c.in[1 - pos]);
			if (b.kind != TensorKind::constant)
				return -1;
			Shape sq = shape_squeeze_leading(b.shape);
			if (sq.size() != 1 || (uint64_t)sq[0] != n_out)
				return -1;
			return (int)j;
		}
		return -1;
	}

	void lower_matmul(const Node &n)
	{
		const TensorInfo &a = g.tensor(n.in[0]);
		const TensorInfo &b = g.tensor(n.in[1]);
		uint64_t k = (uint64_t)a.shape.back();
		uint64_t nn = b.shape.size() == 2 ? (uint64_t)b.shape[1] : 1;
		uint64_t m = shape_numel(a.shape) / k;
		int in0 = tid.at(n.in[0]);
		int w0 = weight(b);
		int add = find_bias_add(n, nn);
		const Node *an = add >= 0 ? &g.nodes[add] : nullptr;
		push_dense(n, an != nullptr, in0, w0, m, k, nn);
		if (an) {
			const TensorInfo &bias = g.tensor(an->in[an->in[0] == n.out[0] ? 1 : 0]);
			int w1 = weight(bias);
			l.ops.back().w1 = w1;
			l.ops.back().onnx_nodes.push_back(label(*an));
			fused[add] = true;
			l.ops.back().out = new_tensor(an->out[0]);
		} else {
			l.ops.back().out = new_tensor(n.out[0]);
		}
	}

	void lower_gemm(const Node &n)
	{
		const TensorInfo &a = g.tensor(n.in[0]);
		const TensorInfo &b = g.tensor(n.in[1]);
		uint64_t m = (uint64_t)a.shape[0], k = (uint64_t)a.shape[1];
		uint64_t nn = (uint64_t)(n.trans_b ? b.shape[0] : b.shape[1]);
		std::string tag;
		std::vector<float> w = b.f;
		if (n.trans_b) {
			for (uint64_t i = 0; i < k; i++)
				for (uint64_t j = 0; j < nn; j++)
					w[i * nn + j] = b.f[j * k + i];
			tag += ".T";
		}
		if (n.alpha != 1.0f) {
			for (float &v : w)
				v *= n.alpha;
			tag += ".scaled";
		}
		int in0 = tid.at(n.in[0]);
		int w0 = weight(b, tag, Shape{(int64_t)k, (int64_t)nn}, std::move(w));
		bool has_c = n.in.size() == 3 && !n.in[2].empty() && n.beta != 0.0f;
		int w1 = -1;
		bool bias_row = false;
		if (has_c) {
			const TensorInfo &c = g.tensor(n.in[2]);
			Shape sq = shape_squeeze_leading(c.shape);
			bias_row = sq.size() <= 1 && (sq.empty() || sq[0] == 1 || (uint64_t)sq[0] == nn);
			// Broadcast C to [N] (bias row) or [M,N] (full addend).
			uint64_t rows = bias_row ? 1 : m;
			Shape cs = c.shape;
			while (cs.size() < 2)
				cs.insert(cs.begin(), 1);
			std::vector<float> cv(rows * nn);
			for (uint64_t i = 0; i < rows; i++)
				for (uint64_t j = 0; j < nn; j++) {
					uint64_t ci = cs[0] == 1 ? 0 : i, cj = cs[1] == 1 ? 0 : j;
					cv[i * nn + j] = c.f[ci * (uint64_t)cs[1] + cj] * n.beta;
				}
			std::string ctag;
			if (shape_numel(c.shape) != rows * nn)
				ctag += ".bcast";
			if (n.beta != 1.0f)
				ctag += ".scaled";
			Shape ws = bias_row ? Shape{(int64_t)nn} : Shape{(int64_t)m, (int64_t)nn};
			w1 = weight(c, ctag, ws, std::move(cv));
		}
		LOp &op = push_dense(n, bias_row, in0, w0, m, k, nn);
		if (bias_row)
			op.w1 = w1;
		if (has_c && !bias_row) {
			int mm = new_tensor(n.out[0] + " (before C)", g.tensor(n.out[0]).shape);
			op.out = mm;
			LOp &add = push(KINFER_OP_ADD_CONST, &n);
			add.in0 = mm;
			add.w0 = w1;
			add.dims[0] = u32(m * nn);
			add.dims[1] = u32(m * nn);
			add.out = new_tensor(n.out[0]);
			return;
		}
		l.ops.back().out = new_tensor(n.out[0]);
	}

	void lower_binary(const Node &n)
	{
		bool add = n.op == "Add";
		const TensorInfo &a = g.tensor(n.in[0]);
		const TensorInfo &b = g.tensor(n.in[1]);
		uint64_t count = shape_numel(g.tensor(n.out[0]).shape);
		if (a.kind == TensorKind::constant || b.kind == TensorKind::constant) {
			bool a_const = a.kind == TensorKind::constant;
			const TensorInfo &c = a_const ? a : b;
			int in0 = tid.at(n.in[a_const ? 1 : 0]);
			int w0 = weight(c);
			LOp &op = push(add ? KINFER_OP_ADD_CONST : KINFER_OP_MUL_CONST, &n);
			op.in0 = in0;
			op.w0 = w0;
			op.dims[0] = u32(count);
			op.dims[1] = u32(shape_numel(c.shape));
		} else {
			bool swap = shape_numel(a.shape) < shape_numel(b.shape);
			LOp &op = push(add ? KINFER_OP_ADD : KINFER_OP_MUL, &n);
			op.in0 = tid.at(n.in[swap ? 1 : 0]);
			op.in1 = tid.at(n.in[swap ? 0 : 1]);
			op.dims[0] = u32(count);
			op.dims[1] = u32(shape_numel((swap ? a : b).shape));
		}
		l.ops.back().out = new_tensor(n.out[0]);
	}

	void lower_unary(const Node &n, uint32_t kop)
	{
		LOp &op = push(kop, &n);
		op.in0 = tid.at(n.in[0]);
		if (kop == KINFER_OP_SOFTMAX) {
			op.dims[0] = u32(n.rows);
			op.dims[1] = u32(n.cols);
		} else {
			op.dims[0] = u32(shape_numel(g.tensor(n.in[0]).shape));
		}
		l.ops.back().out = new_tensor(n.out[0]);
	}

	void lower_node(const Node &n)
	{
		if (n.op == "MatMul")
			lower_matmul(n);
		else if (n.op == "Gemm")
			lower_gemm(n);
		else if (n.op == "Add" || n.op == "Mul")
			lower_binary(n);
		else if (n.op == "Relu")
			lower_unary(n, KINFER_OP_RELU);
		else if (n.op == "Sigmoid")
			lower_unary(n, KINFER_OP_SIGMOID);
		else if (n.op == "Tanh")
			lower_unary(n, KINFER_OP_TANH);
		else if (n.op == "Softmax")
			lower_unary(n, KINFER_OP_SOFTMAX);
		else	/* Identity, Flatten, Reshape: same bytes, new name */
			tid[n.out[0]] = tid.at(n.in[0]);
	}

	void count_uses()
	{
		for (const Node &n : g.nodes)
			if (!n.folded)
				for (const std::string &in : n.in)
					uses[in]++;
		for (const std::string &o : g.outputs)
			uses[o]++;
	}

	void run()
	{
		l.file = g.file;
		fused.assign(g.nodes.size(), false);
		count_uses();
		for (size_t i = 0; i < g.inputs.size(); i++) {
			const std::string &name = g.inputs[i];
			int t = new_tensor(name);
			LOp &op = push(KINFER_OP_INPUT, nullptr);
			op.out = t;
			op.io = (int)i;
			op.dims[0] = u32(l.tensors[t].bytes);
			l.inputs.push_back(LPort{name, l.tensors[t].shape, t, l.tensors[t].bytes});
		}
		for (const Node &n : g.nodes)
			if (!n.folded && !fused[n.index])
				lower_node(n);
		for (size_t i = 0; i < g.outputs.size(); i++) {
			const std::string &name = g.outputs[i];
			const TensorInfo &t = g.tensor(name);
			uint64_t bytes = shape_numel(t.shape) * sizeof(float);
			LOp &op = push(KINFER_OP_OUTPUT, nullptr);
			op.in0 = tid.at(name);
			op.io = (int)i;
			op.dims[0] = u32(bytes);
			l.outputs.push_back(LPort{name, t.shape, op.in0, bytes});
		}
		if (l.ops.size() > KINFER_MAX_NODES)
			throw ModelError(g.file + ": the model lowers to " + std::to_string(l.ops.size()) +
					 " kernel ops (limit " + std::to_string(KINFER_MAX_NODES) + ")");
	}
};

} // namespace

Lowered lower_graph(const Graph &g)
{
	Lowerer lw{g, {}, {}, {}, {}, {}};
	lw.run();
	return std::move(lw.l);
}

} // namespace kinfer
