// SPDX-License-Identifier: GPL-2.0
// Data movement as strided copies (kernel op COPY): Transpose, Slice,
// Concat, Split, Expand, Tile, DepthToSpace, SpaceToDepth.  Each output
// is one or more boxes: an iteration shape with an element stride per
// axis on each side.  An operator that moves nothing is a view instead.
#include "rules.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace kinfer {

namespace {

// Most inputs of a Concat, outputs of a Split: each is one kernel op.
constexpr size_t kMaxVariadic = KINFER_MAX_NODES;

// Row-major element strides of a shape.
std::vector<int64_t> strides_of(const Shape &s)
{
	std::vector<int64_t> st(s.size(), 1);
	for (size_t k = s.size(); k-- > 1;)
		st[k - 1] = st[k] * s[k];
	return st;
}

// For every i < dims: out[out_start + i.out_stride] = in[in_start + i.in_stride].
struct Box {
	Shape dims;
	std::vector<int64_t> in_stride, out_stride;
	int64_t in_start = 0, out_start = 0;

	void axis(int64_t d, int64_t in_s, int64_t out_s)
	{
		dims.push_back(d);
		in_stride.push_back(in_s);
		out_stride.push_back(out_s);
	}
};

// Drop unit axes; merge an axis into its outer neighbour when both sides
// step through the pair as one.
Box simplify(const Box &b)
{
	Box s;
	s.in_start = b.in_start;
	s.out_start = b.out_start;
	for (size_t k = 0; k < b.dims.size(); k++) {
		if (b.dims[k] == 1)
			continue;
		size_t r = s.dims.size();
		if (r && s.in_stride[r - 1] == b.in_stride[k] * b.dims[k] &&
		    s.out_stride[r - 1] == b.out_stride[k] * b.dims[k] &&
		    s.dims[r - 1] * b.dims[k] <= (int64_t)UINT32_MAX) {
			s.dims[r - 1] *= b.dims[k];
			s.in_stride[r - 1] = b.in_stride[k];
			s.out_stride[r - 1] = b.out_stride[k];
			continue;
		}
		s.axis(b.dims[k], b.in_stride[k], b.out_stride[k]);
	}
	return s;
}

LRef flat(const LRef &r)
{
	return r.reshaped({(int64_t)shape_numel(r.shape)});
}

// One COPY per box; a box of more axes than the kernel takes becomes one
// copy per index of its outer axes.
void emit_box(const LowerCtx &c, const LRef &in, const LRef &out, const Box &box)
{
	Box b = simplify(box);
	if (b.dims.size() > KINFER_MAX_RANK) {
		Box inner = b;
		inner.dims.erase(inner.dims.begin());
		inner.in_stride.erase(inner.in_stride.begin());
		inner.out_stride.erase(inner.out_stride.begin());
		for (int64_t i = 0; i < b.dims[0]; i++) {
			inner.in_start = b.in_start + i * b.in_stride[0];
			inner.out_start = b.out_start + i * b.out_stride[0];
			emit_box(c, in, out, inner);
		}
		return;
	}
	kinfer_attr_copy a{};
	a.rank = (uint32_t)b.dims.size();
	for (size_t k = 0; k < b.dims.size(); k++) {
		a.dims[k] = (uint32_t)b.dims[k];
		a.in_stride[k] = b.in_stride[k];
		a.out_stride[k] = b.out_stride[k];
	}
	a.in_start = (uint64_t)b.in_start;
	a.out_start = (uint64_t)b.out_start;
	c.emit(KINFER_OP_COPY, {flat(in)}, {flat(out)}, a);
}

// out = in viewed as `view` and transposed by `perm`, written densely.
Box transpose_box(const Shape &view, const std::vector<int64_t> &perm)
{
	std::vector<int64_t> in_st = strides_of(view);
	Shape out;
	for (int64_t p : perm)
		out.push_back(view[p]);
	std::vector<int64_t> out_st = strides_of(out);
	Box b;
	for (size_t k = 0; k < perm.size(); k++)
		b.axis(out[k], in_st[perm[k]], out_st[k]);
	return b;
}

// True when a transpose keeps the elements' order (only unit axes move).
bool order_kept(const Shape &view, const std::vector<int64_t> &perm)
{
	int64_t last = -1;
	for (int64_t p : perm) {
		if (view[p] == 1)
			continue;
		if (p < last)
			return false;
		last = p;
	}
	return true;
}

// The box of a whole tensor written densely into `out` at element `at`.
Box dense_box(const Shape &in, int64_t at, const std::vector<int64_t> &out_st)
{
	Box b;
	std::vector<int64_t> in_st = strides_of(in);
	for (size_t k = 0; k < in.size(); k++)
		b.axis(in[k], in_st[k], out_st[k]);
	b.out_start = at;
	return b;
}

std::vector<int64_t> perm_of(const NodeAttrs &c, size_t rank)
{
	std::vector<int64_t> perm = c.attr_ints("perm");
	if (!c.has_attr("perm")) {
		perm.resize(rank);
		for (size_t k = 0; k < rank; k++)
			perm[k] = (int64_t)(rank - 1 - k);
	}
	return perm;
}

std::string ints_str(const std::vector<int64_t> &v)
{
	std::string s = "[";
	for (size_t i = 0; i < v.size(); i++)
		s += (i ? "," : "") + std::to_string(v[i]);
	return s + "]";
}

// A constant integer input at lower time (infer checked that it is one).
std::vector<int64_t> lower_ints(const LowerCtx &c, size_t i)
{
	return c.has_in(i) ? c.value(i).data.ints() : std::vector<int64_t>{};
}

} // namespace

// ---- Transpose ----

void infer_transpose(NodeCtx &c)
{
	c.arity(1, 1);
	const Value &x = c.in(0);
	size_t r = x.shape.size();
	std::vector<int64_t> perm = perm_of(c, r);
	std::vector<bool> seen(r, false);
	if (perm.size() != r)
		c.fail("perm " + ints_str(perm) + " does not have one entry per axis of " +
		       shape_str(x.shape));
	Shape out;
	for (int64_t p : perm) {
		if (p < 0 || p >= (int64_t)r || seen[p])
			c.fail("perm " + ints_str(perm) + " is not a permutation of the axes of " +
			       shape_str(x.shape));
		seen[p] = true;
		out.push_back(x.shape[p]);
	}
	c.define(0, x.dtype, out);
}

void lower_transpose(LowerCtx &c)
{
	LRef x = c.in(0);
	std::vector<int64_t> perm = perm_of(c, x.shape.size());
	if (order_kept(x.shape, perm)) {
		c.alias(0, x.reshaped(c.out_value(0).shape));
		return;
	}
	emit_box(c, x, c.out(0), transpose_box(x.shape, perm));
}

// ---- Slice ----

namespace {

struct SliceSpec {
	std::vector<int64_t> start, step;	// per axis of x
	Shape out;
};

// Elements start, start + step, ... before end, after ONNX's clamping.
int64_t slice_axis(const NodeAttrs &c, int64_t d, int64_t st, int64_t en, int64_t step,
		   int64_t &start)
{
	if (step == 0)
		c.fail("a step is 0");
	// Negative starts and ends count from the end; then clamp.
	auto norm = [d](int64_t v) { return v < 0 ? (v < -d ? -1 : v + d) : v; };
	int64_t s = norm(st), e = norm(en);
	if (step > 0) {
		s = std::min(std::max(s, (int64_t)0), d);
		e = std::min(std::max(e, (int64_t)0), d);
	} else {
		s = std::min(std::max(s, (int64_t)0), d - 1);
		e = std::min(std::max(e, (int64_t)-1), d - 1);
	}
	start = s;
	// |step| as unsigned: also right for INT64_MIN.
	uint64_t mag = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
	int64_t dist = step > 0 ? e - s : s - e;
	return dist <= 0 ? 0 : (int64_t)(1 + ((uint64_t)dist - 1) / mag);
}

SliceSpec slice_spec(const NodeAttrs &c, const Shape &x, const std::vector<int64_t> &starts,
		     const std::vector<int64_t> &ends, std::vector<int64_t> axes,
		     std::vector<int64_t> steps)
{
	int64_t r = (int64_t)x.size();
	if (starts.size() != ends.size())
		c.fail("starts " + ints_str(starts) + " and ends " + ints_str(ends) +
		       " differ in length");
	if (axes.empty())
		for (size_t i = 0; i < starts.size(); i++)
			axes.push_back((int64_t)i);
	if (steps.empty())
		steps.assign(starts.size(), 1);
	if (axes.size() != starts.size() || steps.size() != starts.size())
		c.fail("starts, ends, axes and steps differ in length");
	SliceSpec s;
	s.start.assign(x.size(), 0);
	s.step.assign(x.size(), 1);
	s.out = x;
	std::set<int64_t> seen;
	for (size_t i = 0; i < axes.size(); i++) {
		int64_t a = axes[i];
		if (a < -r || a >= r)
			c.fail("axis " + std::to_string(a) + " is out of range for rank " +
			       std::to_string(r));
		if (a < 0)
			a += r;
		if (!seen.insert(a).second)
			c.fail("axis " + std::to_string(axes[i]) + " is given twice");
		s.out[a] = slice_axis(c, x[a], starts[i], ends[i], steps[i], s.start[a]);
		s.step[a] = steps[i];
	}
	return s;
}

std::vector<int64_t> slice_input(const NodeCtx &c, size_t i, const char *what)
{
	return c.has_in(i) ? c.const_ints(i, what) : std::vector<int64_t>{};
}

std::vector<int64_t> slice_input(const LowerCtx &c, size_t i, const char *)
{
	return lower_ints(c, i);
}

template <typename Ctx> SliceSpec slice_of(const Ctx &c, const Shape &x)
{
	if (c.g.opset < 10)
		return slice_spec(c, x, c.attr_ints("starts"), c.attr_ints("ends"), c.attr_ints("axes"),
				  {});
	return slice_spec(c, x, slice_input(c, 1, "starts"), slice_input(c, 2, "ends"),
			  slice_input(c, 3, "axes"), slice_input(c, 4, "steps"));
}

} // namespace

void infer_slice(NodeCtx &c)
{
	if (c.g.opset < 10) {
		c.arity(1, 1);
		if (!c.has_attr("starts") || !c.has_attr("ends"))
			c.fail("the starts and ends attributes are required");
	} else {
		c.arity(3, 5);
		for (const char *a : {"starts", "ends", "axes"})
			if (c.has_attr(a))
				c.fail(std::string("attribute '") + a +
				       "' is not supported from opset 10 (it is an input)");
	}
	const Value &x = c.in(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	c.define(0, x.dtype, slice_of(c, x.shape).out);
}

void lower_slice(LowerCtx &c)
{
	LRef x = c.in(0);
	SliceSpec s = slice_of(c, x.shape);
	if (s.out == x.shape && std::all_of(s.step.begin(), s.step.end(), [](int64_t v) { return v == 1; })) {
		c.alias(0, x);
		return;
	}
	std::vector<int64_t> xs = strides_of(x.shape), ys = strides_of(s.out);
	Box b;
	for (size_t k = 0; k < x.shape.size(); k++) {
		b.axis(s.out[k], xs[k] * s.step[k], ys[k]);
		b.in_start += s.start[k] * xs[k];
	}
	emit_box(c, x, c.out(0), b);
}

// ---- ReverseSequence ----
// Only the form converters emit for a whole-sequence reverse (TF's
// ReverseV2 on the time axis, e.g. a Bidirectional layer's backward half):
// every sequence length constant and equal to the time axis, so it is a
// copy stepping backwards along that axis.

namespace {

struct ReverseAxes {
	size_t time, batch;
};

ReverseAxes reverse_axes(const NodeAttrs &c, const Shape &x, const std::vector<int64_t> &lens)
{
	int64_t time = c.attr_int("time_axis", 0), batch = c.attr_int("batch_axis", 1);
	if (x.size() < 2 || (time != 0 && time != 1) || (batch != 0 && batch != 1) || time == batch)
		c.fail("time_axis and batch_axis must be 0 and 1 (either order) of a tensor of rank >= 2, not " +
		       std::to_string(time) + ", " + std::to_string(batch) + " of " + shape_str(x));
	if ((int64_t)lens.size() != x[(size_t)batch])
		c.fail("sequence_lens has " + std::to_string(lens.size()) + " values for a batch of " +
		       std::to_string(x[(size_t)batch]));
	for (int64_t n : lens)
		if (n != x[(size_t)time])
			c.fail("sequence length " + std::to_string(n) + " is not the whole time axis (" +
			       std::to_string(x[(size_t)time]) + "); only whole sequences are reversed");
	return ReverseAxes{(size_t)time, (size_t)batch};
}

} // namespace

void infer_reverse_sequence(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in(0);
	reverse_axes(c, x.shape, c.const_ints(1, "sequence_lens"));
	c.define(0, x.dtype, x.shape);
}

void lower_reverse_sequence(LowerCtx &c)
{
	LRef x = c.in(0);
	const Value &lens = c.value(1);
	std::vector<int64_t> n;
	for (size_t i = 0; i < lens.data.numel(); i++)
		n.push_back(lens.data.get_int(i));
	size_t time = reverse_axes(c, x.shape, n).time;
	std::vector<int64_t> xs = strides_of(x.shape);
	Box b;
	for (size_t k = 0; k < x.shape.size(); k++)
		b.axis(x.shape[k], k == time ? -xs[k] : xs[k], xs[k]);
	b.in_start = (x.shape[time] - 1) * xs[time];
	emit_box(c, x, c.out(0), b);
}

// ---- Concat ----

namespace {

int64_t concat_axis(const NodeAttrs &c, const Shape &s)
{
	if (!c.has_attr("axis"))
		c.fail("the axis attribute is required");
	int64_t r = (int64_t)s.size(), a = c.attr_int("axis", 0);
	if (a < -r || a >= r)
		c.fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
	return a < 0 ? a + r : a;
}

} // namespace

void infer_concat(NodeCtx &c)
{
	c.arity(1, kMaxVariadic);
	const Value &x0 = c.in(0);
	if (x0.shape.empty())
		c.fail("input 0 is a scalar");
	int64_t axis = concat_axis(c, x0.shape);
	Shape out = x0.shape;
	for (size_t i = 1; i < c.n_in(); i++) {
		const Value &x = c.in(i);
		if (x.dtype != x0.dtype)
			c.fail(c.what(i) + " is " + dtype_str(x.dtype) + " but " + c.what(0) + " is " +
			       dtype_str(x0.dtype));
		bool fits = x.shape.size() == out.size();
		for (size_t k = 0; fits && k < out.size(); k++)
			fits = (int64_t)k == axis || x.shape[k] == out[k];
		if (!fits)
			c.fail(c.what(i) + " " + shape_str(x.shape) + " does not concatenate with " +
			       shape_str(x0.shape) + " along axis " + std::to_string(axis));
		if ((uint64_t)x.shape[axis] > kMaxTensorBytes)
			c.fail("the output is too large");
		out[axis] += x.shape[axis];
	}
	c.define(0, x0.dtype, out);
}

void lower_concat(LowerCtx &c)
{
	if (c.n.in.size() == 1) {
		c.alias(0, c.in(0));
		return;
	}
	LRef y = c.out(0);
	int64_t axis = concat_axis(c, y.shape);
	std::vector<int64_t> ys = strides_of(y.shape);
	int64_t at = 0;
	for (size_t i = 0; i < c.n.in.size(); i++) {
		LRef x = c.in(i);
		emit_box(c, x, y, dense_box(x.shape, at * ys[axis], ys));
		at += x.shape[axis];
	}
}

// ---- Split ----

namespace {

int64_t split_axis(const NodeAttrs &c, const Shape &s)
{
	int64_t r = (int64_t)s.size(), a = c.attr_int("axis", 0);
	if (a < -r || a >= r)
		c.fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
	return a < 0 ? a + r : a;
}

// The size of each output along the axis.
template <typename Ctx>
std::vector<int64_t> split_sizes(const Ctx &c, int64_t d, std::vector<int64_t> sizes)
{
	size_t n = c.n.out.size();
	if (sizes.empty() && c.has_attr("num_outputs")) {
		int64_t k = c.attr_int("num_outputs", 0);
		if (k < 1 || (uint64_t)k != n)
			c.fail("num_outputs=" + std::to_string(k) + " but the node has " +
			       std::to_string(n) + " outputs");
		int64_t chunk = (d + k - 1) / k;
		for (int64_t i = 0; i < k; i++)
			sizes.push_back(std::max<int64_t>(0, std::min(chunk, d - i * chunk)));
	} else if (sizes.empty()) {
		if (d % (int64_t)n)
			c.fail("dimension " + std::to_string(d) + " does not split into " + std::to_string(n) +
			       " equal parts");
		sizes.assign(n, d / (int64_t)n);
	}
	if (sizes.size() != n)
		c.fail("split " + ints_str(sizes) + " does not have one size per output (" +
		       std::to_string(n) + ")");
	int64_t sum = 0;
	for (int64_t s : sizes) {
		if (s < 0 || s > d)
			c.fail("split " + ints_str(sizes) + " has a size outside 0.." + std::to_string(d));
		sum += s;
	}
	if (sum != d)
		c.fail("split " + ints_str(sizes) + " does not add up to dimension " + std::to_string(d));
	return sizes;
}

std::vector<int64_t> split_input(const NodeCtx &c)
{
	if (c.g.opset < 13)
		return c.attr_ints("split");
	return c.has_in(1) ? c.const_ints(1, "split") : std::vector<int64_t>{};
}

std::vector<int64_t> split_input(const LowerCtx &c)
{
	return c.g.opset < 13 ? c.attr_ints("split") : lower_ints(c, 1);
}

} // namespace

void infer_split(NodeCtx &c)
{
	c.arity(1, c.g.opset < 13 ? 1 : 2, 1, kMaxVariadic);
	if (c.g.opset >= 13 && c.has_attr("split"))
		c.fail("attribute 'split' is not supported from opset 13 (split is an input)");
	if (c.g.opset < 18 && c.has_attr("num_outputs"))
		c.fail("attribute 'num_outputs' is not supported before opset 18");
	if (c.has_attr("num_outputs") && c.has_in(1))
		c.fail("num_outputs and the split input are both given");
	const Value &x = c.in(0);
	if (x.shape.empty())
		c.fail("the input is a scalar");
	int64_t axis = split_axis(c, x.shape);
	std::vector<int64_t> sizes = split_sizes(c, x.shape[axis], split_input(c));
	for (size_t i = 0; i < sizes.size(); i++) {
		Shape s = x.shape;
		s[axis] = sizes[i];
		c.define(i, x.dtype, s);
	}
}

void lower_split(LowerCtx &c)
{
	LRef x = c.in(0);
	int64_t axis = split_axis(c, x.shape);
	std::vector<int64_t> sizes = split_sizes(c, x.shape[axis], split_input(c));
	std::vector<int64_t> xs = strides_of(x.shape);
	int64_t at = 0;
	for (size_t i = 0; i < sizes.size(); i++) {
		int64_t from = at;
		at += sizes[i];
		if (!c.has_out(i))
			continue;
		if (sizes[i] == x.shape[axis]) {
			c.alias(i, x);
			continue;
		}
		LRef y = c.out(i);
		std::vector<int64_t> ys = strides_of(y.shape);
		Box b;
		for (size_t k = 0; k < y.shape.size(); k++)
			b.axis(y.shape[k], xs[k], ys[k]);
		b.in_start = from * xs[axis];
		emit_box(c, x, y, b);
	}
}

// ---- Expand ----

void infer_expand(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in(0);
	std::vector<int64_t> shape = c.const_ints(1, "shape");
	if (c.in(1).shape.size() != 1)
		c.fail("the shape '" + c.n.in[1] + "' must be 1-D");
	for (int64_t d : shape)
		if (d <= 0)
			c.fail("shape " + ints_str(shape) +
			       (d ? " has a negative dimension" : " is empty: empty tensors are not supported"));
	Shape out;
	if (!broadcast_shapes(x.shape, shape, out))
		c.fail(shape_str(x.shape) + " does not broadcast to " + ints_str(shape));
	c.define(0, x.dtype, out);
}

void lower_expand(LowerCtx &c)
{
	LRef x = c.in(0);
	const Shape &out = c.out_value(0).shape;
	if (out == x.shape) {
		c.alias(0, x);
		return;
	}
	std::vector<int64_t> xs = strides_of(x.shape), ys = strides_of(out);
	size_t lead = out.size() - x.shape.size();
	Box b;
	for (size_t k = 0; k < out.size(); k++) {
		bool from_x = k >= lead && x.shape[k - lead] == out[k];
		b.axis(out[k], from_x ? xs[k - lead] : 0, ys[k]);
	}
	emit_box(c, x, c.out(0), b);
}

// ---- Tile ----

void infer_tile(NodeCtx &c)
{
	c.arity(2, 2);
	const Value &x = c.in(0);
	std::vector<int64_t> reps = c.const_ints(1, "repeats");
	if (reps.size() != x.shape.size())
		c.fail("repeats " + ints_str(reps) + " does not have one entry per axis of " +
		       shape_str(x.shape));
	Shape out = x.shape;
	for (size_t k = 0; k < reps.size(); k++) {
		if (reps[k] < 0)
			c.fail("repeats " + ints_str(reps) + " has a negative entry");
		if ((uint64_t)reps[k] > kMaxTensorBytes)
			c.fail("repeats " + ints_str(reps) + " makes the output too large");
		out[k] *= reps[k];
	}
	c.define(0, x.dtype, out);
}

void lower_tile(LowerCtx &c)
{
	LRef x = c.in(0);
	const Shape &out = c.out_value(0).shape;
	if (out == x.shape) {
		c.alias(0, x);
		return;
	}
	// Axis k of y as [repeat, x's axis k]: x's stride 0 along the repeat.
	std::vector<int64_t> xs = strides_of(x.shape), ys = strides_of(out);
	Box b;
	for (size_t k = 0; k < out.size(); k++) {
		int64_t d = x.shape[k];
		b.axis(out[k] / d, 0, d * ys[k]);
		b.axis(d, xs[k], ys[k]);
	}
	emit_box(c, x, c.out(0), b);
}

// ---- DepthToSpace, SpaceToDepth ----

namespace {

struct BlockSpec {
	Shape view;			// x as 6-D
	std::vector<int64_t> perm;	// then transposed
	Shape out;
};

BlockSpec block_spec(const NodeAttrs &c, const Shape &x, bool to_space)
{
	if (x.size() != 4)
		c.fail("the input " + shape_str(x) + " is not 4-D [N,C,H,W]");
	int64_t b = c.attr_int("blocksize", 0);
	if (!c.has_attr("blocksize") || b < 1)
		c.fail("blocksize must be given and positive");
	std::string mode = c.attr_string("mode", "DCR");
	if (mode != "DCR" && mode != "CRD")
		c.fail("mode=" + mode + " is not supported (DCR or CRD)");
	bool dcr = mode == "DCR";
	int64_t n = x[0], ch = x[1], h = x[2], w = x[3];
	BlockSpec s;
	if (to_space) {
		if (b > ch || ch % (b * b))
			c.fail("channels " + std::to_string(ch) + " are not a multiple of blocksize^2 = " +
			       std::to_string(b * b));
		int64_t cb = ch / (b * b);
		s.view = dcr ? Shape{n, b, b, cb, h, w} : Shape{n, cb, b, b, h, w};
		s.perm = dcr ? std::vector<int64_t>{0, 3, 4, 1, 5, 2}
			     : std::vector<int64_t>{0, 1, 4, 2, 5, 3};
		s.out = {n, cb, h * b, w * b};
	} else {
		if (h % b || w % b)
			c.fail("height " + std::to_string(h) + " and width " + std::to_string(w) +
			       " are not multiples of blocksize " + std::to_string(b));
		s.view = {n, ch, h / b, b, w / b, b};
		s.perm = dcr ? std::vector<int64_t>{0, 3, 5, 1, 2, 4}
			     : std::vector<int64_t>{0, 1, 3, 5, 2, 4};
		s.out = {n, ch * b * b, h / b, w / b};
	}
	return s;
}

void infer_block(NodeCtx &c, bool to_space)
{
	c.arity(1, 1);
	const Value &x = c.in(0);
	c.define(0, x.dtype, block_spec(c, x.shape, to_space).out);
}

void lower_block(LowerCtx &c, bool to_space)
{
	LRef x = c.in(0);
	BlockSpec s = block_spec(c, x.shape, to_space);
	if (order_kept(s.view, s.perm)) {
		c.alias(0, x.reshaped(s.out));
		return;
	}
	emit_box(c, x, c.out(0), transpose_box(s.view, s.perm));
}

} // namespace

void infer_depth_to_space(NodeCtx &c)
{
	infer_block(c, true);
}

void lower_depth_to_space(LowerCtx &c)
{
	lower_block(c, true);
}

void infer_space_to_depth(NodeCtx &c)
{
	infer_block(c, false);
}

void lower_space_to_depth(LowerCtx &c)
{
	lower_block(c, false);
}

} // namespace kinfer
