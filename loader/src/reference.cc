// SPDX-License-Identifier: GPL-2.0
#include "reference.h"

#include "error.h"

#include <Eigen/Dense>

#include <cmath>
#include <cstring>

namespace kinfer {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMat>;
using CMatMap = Eigen::Map<const RowMat>;
using VecMap = Eigen::Map<Eigen::ArrayXf>;
using CVecMap = Eigen::Map<const Eigen::ArrayXf>;

struct Machine {
	const Lowered &l;
	std::vector<uint8_t> arena, io;

	float *at(uint32_t off) { return reinterpret_cast<float *>(arena.data() + off); }
	const float *w(int idx) { return l.weights.at(idx).data.data(); }

	void dense(const LOp &op, const kinfer_node &n)
	{
		Eigen::Index m = n.dims[0], k = n.dims[1], cols = n.dims[2];
		CMatMap x(at(n.in0), m, k);
		CMatMap wm(w(op.w0), k, cols);
		MatMap y(at(n.out), m, cols);
		y.noalias() = x * wm;
		if (op.op == KINFER_OP_DENSE)
			y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(w(op.w1), cols);
	}

	// out = in0 (op) in1, in1 repeated along the flattened in0.
	void binary(const kinfer_node &n, const float *other, bool add)
	{
		Eigen::Index count = n.dims[0], len = n.dims[1];
		CVecMap x(at(n.in0), count);
		std::vector<float> y(count);
		VecMap yv(y.data(), count);
		CVecMap o(other, len);
		for (Eigen::Index r = 0; r < count / len; r++) {
			if (add)
				yv.segment(r * len, len) = x.segment(r * len, len) + o;
			else
				yv.segment(r * len, len) = x.segment(r * len, len) * o;
		}
		std::memcpy(at(n.out), y.data(), count * sizeof(float));
	}

	void unary(const kinfer_node &n, float (*f)(float))
	{
		Eigen::Index count = n.dims[0];
		CVecMap x(at(n.in0), count);
		VecMap y(at(n.out), count);
		y = x.unaryExpr(f);
	}

	void softmax(const kinfer_node &n)
	{
		CMatMap x(at(n.in0), n.dims[0], n.dims[1]);
		MatMap y(at(n.out), n.dims[0], n.dims[1]);
		for (Eigen::Index r = 0; r < x.rows(); r++) {
			float mx = x.row(r).maxCoeff();
			float sum = 0;
			for (Eigen::Index c = 0; c < x.cols(); c++)
				sum += (y(r, c) = std::exp(x(r, c) - mx));
			y.row(r) /= sum;
		}
	}

	void step(const LOp &op, const kinfer_node &n)
	{
		switch (n.op) {
		case KINFER_OP_INPUT:
			std::memcpy(at(n.out), io.data() + n.io_off, n.dims[0]);
			break;
		case KINFER_OP_OUTPUT:
			std::memcpy(io.data() + n.io_off, at(n.in0), n.dims[0]);
			break;
		case KINFER_OP_DENSE:
		case KINFER_OP_MATMUL:
			dense(op, n);
			break;
		case KINFER_OP_RELU:
			unary(n, [](float v) { return v > 0.0f ? v : 0.0f; });
			break;
		case KINFER_OP_SIGMOID:
			unary(n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
			break;
		case KINFER_OP_TANH:
			unary(n, [](float v) { return std::tanh(v); });
			break;
		case KINFER_OP_SOFTMAX:
			softmax(n);
			break;
		case KINFER_OP_ADD:
		case KINFER_OP_MUL:
			binary(n, at(n.in1), n.op == KINFER_OP_ADD);
			break;
		case KINFER_OP_ADD_CONST:
		case KINFER_OP_MUL_CONST:
			binary(n, w(op.w0), n.op == KINFER_OP_ADD_CONST);
			break;
		default:
			throw std::logic_error("reference: unknown op " + std::to_string(n.op));
		}
	}
};

} // namespace

std::vector<Tensor> reference_run(const Lowered &l, const Plan &p, const std::vector<Tensor> &inputs)
{
	if (inputs.size() != l.inputs.size())
		throw InputError("the model has " + std::to_string(l.inputs.size()) + " input(s), got " +
				 std::to_string(inputs.size()));
	Machine m{l, std::vector<uint8_t>(p.arena_bytes), std::vector<uint8_t>(p.io_bytes)};
	for (size_t i = 0; i < inputs.size(); i++) {
		if (inputs[i].data.size() * sizeof(float) != l.inputs[i].bytes)
			throw InputError("input '" + l.inputs[i].name + "' needs " +
					 std::to_string(l.inputs[i].bytes / sizeof(float)) +
					 " values, got " + std::to_string(inputs[i].data.size()));
		std::memcpy(m.io.data() + p.input_io_off[i], inputs[i].data.data(), l.inputs[i].bytes);
	}
	for (size_t i = 0; i < l.ops.size(); i++)
		m.step(l.ops[i], p.nodes[i]);
	std::vector<Tensor> out;
	for (size_t i = 0; i < l.outputs.size(); i++) {
		Tensor t;
		t.shape = l.outputs[i].shape;
		t.data.resize(l.outputs[i].bytes / sizeof(float));
		std::memcpy(t.data.data(), m.io.data() + p.output_io_off[i], l.outputs[i].bytes);
		out.push_back(std::move(t));
	}
	return out;
}

} // namespace kinfer
