// SPDX-License-Identifier: GPL-2.0
// Matrix products: MatMul (numpy semantics, batched, 1-D operands), Gemm,
// and the passes' kinfer.Linear (either, plus a fused bias and
// activation).  All lower to one MATMUL kernel op.
#include "rules.h"

#include "panels.h"

#include <uapi/kinfer.h>

namespace kinfer {

namespace {

// numpy matmul: 1-D operands gain a 1 that the result drops again.
Shape matmul_shape(const NodeCtx &c, const Shape &a, const Shape &b)
{
	if (a.empty() || b.empty())
		c.fail("MatMul of a scalar (" + shape_str(a) + " x " + shape_str(b) + ")");
	Shape A = a.size() == 1 ? Shape{1, a[0]} : a;
	Shape B = b.size() == 1 ? Shape{b[0], 1} : b;
	int64_t k = A.back(), kb = B[B.size() - 2];
	if (k != kb)
		c.fail("operands " + shape_str(a) + " and " + shape_str(b) +
		       " do not multiply (inner dimensions " + std::to_string(k) + " and " +
		       std::to_string(kb) + ")");
	Shape batch;
	if (!broadcast_shapes(Shape(A.begin(), A.end() - 2), Shape(B.begin(), B.end() - 2), batch))
		c.fail("batch dimensions of " + shape_str(a) + " and " + shape_str(b) +
		       " do not broadcast");
	Shape out = batch;
	if (a.size() > 1)
		out.push_back(A[A.size() - 2]);
	if (b.size() > 1)
		out.push_back(B.back());
	return out;
}

// ONNX unidirectional broadcast of C onto out.
bool unidirectional(const Shape &c, const Shape &out)
{
	if (c.size() > out.size())
		return false;
	size_t off = out.size() - c.size();
	for (size_t i = 0; i < c.size(); i++)
		if (c[i] != 1 && c[i] != out[off + i])
			return false;
	return true;
}

// The kernel's Y: broadcast batch dimensions, then [M, N].
Shape kernel_out_shape(const Shape &a, const Shape &b, bool ta, bool tb)
{
	Shape batch;
	broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), batch);
	batch.push_back(ta ? a.back() : a[a.size() - 2]);
	batch.push_back(tb ? b[b.size() - 2] : b.back());
	return batch;
}

} // namespace

void infer_matmul(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &a = c.in_f32(0);
	const Value &b = c.in_f32(1);
	c.define(0, DType::f32, matmul_shape(c, a.shape, b.shape));
}

void infer_gemm(NodeCtx &c)
{
	c.arity(2, 3);
	const Value &a = c.in_f32(0);
	const Value &b = c.in_f32(1);
	bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
	c.attr_float("alpha", 1.0f);
	c.attr_float("beta", 1.0f);
	if (a.shape.size() != 2 || b.shape.size() != 2)
		c.fail("Gemm takes 2-D operands, got " + shape_str(a.shape) + " and " + shape_str(b.shape));
	int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
	int64_t kb = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
	if (k != kb)
		c.fail(c.what(1) + " has shape " + shape_str(b.shape) + (tb ? " (transB=1)" : "") +
		       " but A provides " + std::to_string(k) + " columns" + (ta ? " (transA=1)" : ""));
	Shape out{m, n};
	if (c.has_in(2)) {
		const Value &cv = c.in_f32(2);
		if (!unidirectional(cv.shape, out))
			c.fail(c.what(2) + " has shape " + shape_str(cv.shape) + ", which does not broadcast to " +
			       shape_str(out));
	}
	c.define(0, DType::f32, out);
}

void infer_linear(NodeCtx &c)
{
	c.fail("internal operator kinfer.Linear cannot appear in a model file");
}

void lower_linear(LowerCtx &c)
{
	kinfer_attr_matmul attr{};
	attr.trans_a = c.attr_int("transA", 0) != 0;
	attr.trans_b = c.attr_int("transB", 0) != 0;
	attr.alpha.f = c.attr_float("alpha", 1.0f);
	attr.act = (uint32_t)c.attr_int("act", 0);
	attr.act_attr.alpha.f = c.attr_float("act_alpha", 0.0f);
	attr.act_attr.beta.f = c.attr_float("act_beta", 0.0f);
	float beta = c.attr_float("beta", 1.0f);
	LRef a = c.in(0), y = c.out(0), b;

	// A constant B is stored as the kernel streams it: [K, N] rows (B^T
	// transposed), in panels where that pays.
	const Value &bv = c.value(1);
	bool constant_matrix = bv.constant && bv.shape.size() == 2;
	Shape kn = bv.shape;
	if (constant_matrix && attr.trans_b)
		std::swap(kn[0], kn[1]);
	if (constant_matrix && !attr.trans_a && panels_pay(kn)) {
		b = c.panel_weight(1, attr.trans_b);
		attr.trans_b = 0;
		attr.b_layout = KINFER_MATMUL_B_PANELS;
	} else if (constant_matrix && attr.trans_b) {
		b = c.weight((bv.source.empty() ? c.n.in[1] : bv.source) + ".T", transpose2d(bv.data));
		attr.trans_b = 0;
	} else {
		b = c.in(1);
	}

	// numpy's 1-D operands, as the kernel's rank >= 2 matrices.
	if (a.shape.size() == 1)
		a = a.reshaped({1, a.shape[0]});
	if (b.shape.size() == 1)
		b = b.reshaped({b.shape[0], 1});
	Shape ys = attr.b_layout == KINFER_MATMUL_B_PANELS ?
			   kernel_out_shape(a.shape, kn, attr.trans_a, false) :
			   kernel_out_shape(a.shape, b.shape, attr.trans_a, attr.trans_b);
	y = y.reshaped(ys);

	std::vector<LRef> in{a, b};
	if (c.has_in(2) && beta != 0.0f) {
		attr.beta.f = beta;
		in.push_back(c.in(2));
	}
	c.emit(KINFER_OP_MATMUL, std::move(in), {y}, attr);
}

} // namespace kinfer
