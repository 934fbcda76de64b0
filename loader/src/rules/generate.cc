// SPDX-License-Identifier: GPL-2.0
// Operators whose result kinfer computes at compile time, with no kernel
// op: Range and ConstantOfShape.  Their inputs must be constants (static
// shapes), so their outputs are constants too.
#include "rules.h"

#include "onnx_reader.h"

#include <cmath>

namespace kinfer {

namespace {

// The one element of constant input i as a double (int64 exactly as int64).
const Value &scalar_const(const NodeCtx &c, size_t i, const char *what)
{
	const Value &v = c.in(i, {DType::f32, DType::i32, DType::i64});
	if (!v.constant)
		c.fail(std::string("the ") + what + " (" + c.what(i) +
		       ") must be a constant: kinfer compiles static shapes");
	if (v.numel() != 1)
		c.fail(std::string("the ") + what + " " + shape_str(v.shape) + " is not a scalar");
	return v;
}

[[noreturn]] void empty_range(const NodeCtx &c)
{
	c.fail("the range is empty: empty tensors are not supported");
}

void range_ints(NodeCtx &c, DType t, int64_t start, int64_t limit, int64_t delta)
{
	if (delta == 0)
		c.fail("delta is 0");
	// ceil((limit - start) / delta) without overflow.
	__int128 dist = (__int128)limit - start, d = delta;
	__int128 n = dist / d + ((dist % d != 0) && ((dist > 0) == (d > 0)) ? 1 : 0);
	if (n <= 0)
		empty_range(c);
	if (n > (__int128)(kMaxTensorBytes / dtype_size(t)))
		c.fail("the range has " + std::to_string((long long)std::min<__int128>(n, INT64_MAX)) +
		       " elements; too large");
	std::vector<int64_t> v((size_t)n);
	for (size_t i = 0; i < v.size(); i++)
		v[i] = (int64_t)(start + (__int128)i * delta);
	c.define_const(0, HostTensor::from_ints(t, {(int64_t)n}, v));
}

void range_floats(NodeCtx &c, double start, double limit, double delta)
{
	if (delta == 0)
		c.fail("delta is 0");
	double n = std::ceil((limit - start) / delta);
	if (!(n > 0))	// also NaN
		empty_range(c);
	if (n > (double)(kMaxTensorBytes / 4))
		c.fail("the range is too large");
	std::vector<float> v((size_t)n);
	for (size_t i = 0; i < v.size(); i++)
		v[i] = (float)(start + (double)i * delta);
	c.define_const(0, HostTensor::from_floats({(int64_t)v.size()}, v));
}

} // namespace

void infer_range(NodeCtx &c)
{
	c.arity(3, 3);
	const Value &s = scalar_const(c, 0, "start");
	const Value &l = scalar_const(c, 1, "limit");
	const Value &d = scalar_const(c, 2, "delta");
	if (l.dtype != s.dtype || d.dtype != s.dtype)
		c.fail("start, limit and delta differ in dtype (" + dtype_str(s.dtype) + ", " +
		       dtype_str(l.dtype) + ", " + dtype_str(d.dtype) + ")");
	if (s.dtype == DType::f32)
		range_floats(c, s.data.get(0), l.data.get(0), d.data.get(0));
	else
		range_ints(c, s.dtype, s.data.get_int(0), l.data.get_int(0), d.data.get_int(0));
}

void infer_constant_of_shape(NodeCtx &c)
{
	c.arity(1, 1);
	std::vector<int64_t> shape = c.const_ints(0, "shape");
	if (c.in(0).shape.size() != 1)
		c.fail("the shape " + c.what(0) + " must be 1-D");
	HostTensor value = HostTensor::from_floats({1}, {0.0f});
	if (c.has_attr("value")) {
		Decoded d = decode_tensor(c.attr_tensor("value"));
		if (!d.error.empty())
			c.fail("its value " + d.error);
		if (d.t.numel() != 1)
			c.fail("its value " + shape_str(d.t.shape) + " is not one element");
		value = std::move(d.t);
	}
	size_t es = dtype_size(value.dtype);
	uint64_t n = 1;
	for (int64_t d : shape) {
		if (d <= 0)
			c.fail("shape " + shape_str(shape) +
			       (d ? " has a negative dimension" : " is empty: empty tensors are not supported"));
		if ((uint64_t)d > kMaxTensorBytes / es / n)
			c.fail("shape " + shape_str(shape) + " is too large");
		n *= (uint64_t)d;
	}
	HostTensor t;
	t.dtype = value.dtype;
	t.shape = shape;
	t.data.resize(n * es);
	for (uint64_t i = 0; i < n; i++)
		std::copy(value.data.begin(), value.data.begin() + es, t.data.begin() + i * es);
	c.define_const(0, std::move(t));
}

} // namespace kinfer
