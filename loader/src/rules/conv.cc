// SPDX-License-Identifier: GPL-2.0
// Convolution and pooling: Conv, ConvTranspose, MaxPool, AveragePool and
// LpPool over 1 to 3 spatial axes (kernel ops CONV, CONV_TRANSPOSE,
// MAXPOOL, AVERAGEPOOL, LPPOOL).  The window geometry (kernel, strides,
// dilations, auto_pad or pads, ceil_mode) is resolved here to explicit
// pads; the kernel checks that the output dims follow from it.
#include "rules.h"

#include "exec.h"

#include <uapi/kinfer.h>

namespace kinfer {

namespace {

// One node's window along each spatial axis, pads resolved.
struct Geometry {
	size_t ns = 0;			// spatial axes
	std::vector<int64_t> k, s, d;	// kernel, strides, dilations
	std::vector<int64_t> pb, pe;	// pads before and after
	std::vector<int64_t> op;	// ConvTranspose output_padding
	bool ceil = false;		// pools' ceil_mode
	Shape out;			// spatial dims of the output
};

std::string axis_str(size_t i)
{
	return "spatial axis " + std::to_string(i);
}

// An INTS attribute with one value per spatial axis, each in [min, 2^32).
std::vector<int64_t> per_axis(const NodeAttrs &c, const char *name, size_t n, int64_t def,
			      int64_t min, size_t count = 0)
{
	if (!count)
		count = n;
	if (!c.has_attr(name))
		return std::vector<int64_t>(count, def);
	std::vector<int64_t> v = c.attr_ints(name);
	if (v.size() != count)
		c.fail(std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
		       " values; the input has " + std::to_string(n) + " spatial axes, so " +
		       std::to_string(count) + " are needed");
	for (int64_t x : v)
		if (x < min || x > (int64_t)UINT32_MAX)
			c.fail(std::string("attribute '") + name + "' value " + std::to_string(x) +
			       " is out of range (" + std::to_string(min) + ".." +
			       std::to_string(UINT32_MAX) + ")");
	return v;
}

// X: [N, C, spatial...] with 1..3 spatial axes.
size_t spatial_axes(const NodeCtx &c, const Shape &x)
{
	if (x.size() < 3 || x.size() > 2 + KINFER_MAX_SPATIAL)
		c.fail(c.what(0) + " has shape " + shape_str(x) + "; " + c.n.op +
		       " takes [N, C, D1 (, D2 (, D3))]: 1 to " +
		       std::to_string(KINFER_MAX_SPATIAL) + " spatial axes");
	return x.size() - 2;
}

// The window's extent, (k - 1) * d + 1, checked against int64 overflow.
int64_t extent(const NodeAttrs &c, int64_t k, int64_t d, size_t axis)
{
	// k and d are below 2^32 (per_axis): the product fits in unsigned.
	uint64_t e = (uint64_t)(k - 1) * (uint64_t)d + 1;
	if (e > ((uint64_t)1 << 40))
		c.fail("the kernel along " + axis_str(axis) + " spans " + std::to_string(e) +
		       " elements (kernel " + std::to_string(k) + ", dilation " + std::to_string(d) +
		       "), too many");
	return (int64_t)e;
}

std::string auto_pad(const NodeAttrs &c)
{
	std::string a = c.attr_string("auto_pad", "NOTSET");
	if (a != "NOTSET" && a != "SAME_UPPER" && a != "SAME_LOWER" && a != "VALID")
		c.fail("auto_pad=" + a + " is not supported (NOTSET, SAME_UPPER, SAME_LOWER or VALID)");
	return a;
}

// Pads of the window: explicit, or SAME (output = ceil(in / stride)) or
// VALID (none).  Explicit pads are ignored when auto_pad is set, as ONNX
// Runtime does.
void resolve_pads(const NodeAttrs &c, const Shape &x, Geometry &g, const std::string &ap)
{
	std::vector<int64_t> pads = per_axis(c, "pads", g.ns, 0, 0, 2 * g.ns);
	g.pb.assign(pads.begin(), pads.begin() + g.ns);
	g.pe.assign(pads.begin() + g.ns, pads.end());
	if (ap == "NOTSET")
		return;
	for (size_t i = 0; i < g.ns; i++) {
		int64_t in = x[2 + i], total = 0;
		if (ap != "VALID") {
			int64_t out = (in + g.s[i] - 1) / g.s[i];
			total = std::max<int64_t>(0, (out - 1) * g.s[i] + extent(c, g.k[i], g.d[i], i) - in);
		}
		int64_t small = total / 2;
		g.pb[i] = ap == "SAME_LOWER" ? total - small : small;
		g.pe[i] = total - g.pb[i];
	}
}

// Conv and the pools: out = (in + pads - extent) / stride + 1, rounded
// down or (ceil_mode) up; a ceil_mode window must start before the end
// padding.
void sliding_out(const NodeAttrs &c, const Shape &x, Geometry &g)
{
	g.out.clear();
	for (size_t i = 0; i < g.ns; i++) {
		int64_t in = x[2 + i], e = extent(c, g.k[i], g.d[i], i);
		int64_t span = in + g.pb[i] + g.pe[i] - e;
		if (span < 0)
			c.fail("the kernel spans " + std::to_string(e) + " elements along " + axis_str(i) +
			       ", more than the padded input (" + std::to_string(in + g.pb[i] + g.pe[i]) +
			       ")");
		int64_t out = (g.ceil ? span + g.s[i] - 1 : span) / g.s[i] + 1;
		if (g.ceil && (out - 1) * g.s[i] >= in + g.pb[i])
			out--;
		g.out.push_back(out);
	}
}

Shape with_spatial(int64_t n, int64_t ch, const Shape &spatial)
{
	Shape s{n, ch};
	s.insert(s.end(), spatial.begin(), spatial.end());
	return s;
}

// kernel_shape, when given, must be W's spatial dims.
void check_kernel_shape(const NodeAttrs &c, const Shape &w, size_t ns)
{
	if (!c.has_attr("kernel_shape"))
		return;
	std::vector<int64_t> k = c.attr_ints("kernel_shape");
	if (k != std::vector<int64_t>(w.begin() + 2, w.end()))
		c.fail("kernel_shape " + shape_str(k) + " differs from W's spatial dims " +
		       shape_str(Shape(w.begin() + 2, w.end())) + " (" + std::to_string(ns) +
		       " spatial axes)");
}

Geometry conv_geometry(const NodeAttrs &c, const Shape &x, const Shape &w)
{
	Geometry g;
	g.ns = x.size() - 2;
	g.k.assign(w.begin() + 2, w.end());
	for (size_t i = 0; i < g.ns; i++)
		if (g.k[i] > (int64_t)UINT32_MAX)
			c.fail("W's dim " + std::to_string(g.k[i]) + " is too large");
	g.s = per_axis(c, "strides", g.ns, 1, 1);
	g.d = per_axis(c, "dilations", g.ns, 1, 1);
	g.op.assign(g.ns, 0);
	resolve_pads(c, x, g, auto_pad(c));
	sliding_out(c, x, g);
	return g;
}

// ConvTranspose: out = s * (in - 1) + output_padding + extent - pads, or
// output_shape (or, with SAME_*, in * s) with the pads that give it.
// Pads follow opset 11's rule (ONNX Runtime uses it for every opset): of
// an odd total, SAME_UPPER puts the extra one at the end, otherwise at the
// start.  An output larger than the full result is zero-extended at the
// end (as if by output_padding).
Geometry conv_transpose_geometry(const NodeAttrs &c, const Shape &x, const Shape &w)
{
	Geometry g;
	g.ns = x.size() - 2;
	g.k.assign(w.begin() + 2, w.end());
	g.s = per_axis(c, "strides", g.ns, 1, 1);
	g.d = per_axis(c, "dilations", g.ns, 1, 1);
	g.op = per_axis(c, "output_padding", g.ns, 0, 0);
	std::string ap = auto_pad(c);
	std::vector<int64_t> os;
	if (c.has_attr("output_shape")) {
		os = c.attr_ints("output_shape");
		if (os.size() == g.ns + 2)
			os.erase(os.begin(), os.begin() + 2);
		if (os.size() != g.ns)
			c.fail("output_shape " + shape_str(c.attr_ints("output_shape")) + " does not have " +
			       std::to_string(g.ns) + " spatial dims");
	}
	g.pb = per_axis(c, "pads", g.ns, 0, 0, 2 * g.ns);
	g.pe.assign(g.pb.begin() + g.ns, g.pb.end());
	g.pb.resize(g.ns);
	for (size_t i = 0; i < g.ns; i++) {
		int64_t in = x[2 + i], e = extent(c, g.k[i], g.d[i], i);
		// s < 2^32 and in < 2^31 (tensors are below 2 GiB).
		if ((uint64_t)g.s[i] * (uint64_t)(in - 1) > ((uint64_t)1 << 40))
			c.fail("strides=" + std::to_string(g.s[i]) + " along " + axis_str(i) +
			       " is too large");
		int64_t base = g.s[i] * (in - 1) + e, full = base + g.op[i];
		if (ap == "VALID") {
			g.pb[i] = g.pe[i] = 0;
		} else if (!os.empty() || ap != "NOTSET") {
			int64_t want = os.empty() ? in * g.s[i] : os[i];
			if (want < 1 || want > (int64_t)UINT32_MAX)
				c.fail("output_shape dim " + std::to_string(want) + " is out of range");
			int64_t total = full - want;
			if (total < 0) {
				g.op[i] += -total;
				total = 0;
			}
			int64_t small = total / 2;
			g.pb[i] = ap == "SAME_UPPER" ? small : total - small;
			g.pe[i] = total - g.pb[i];
		}
		int64_t out = base + g.op[i] - g.pb[i] - g.pe[i];
		if (out < 1)
			c.fail("the output along " + axis_str(i) + " would have " + std::to_string(out) +
			       " elements (pads " + std::to_string(g.pb[i]) + " + " +
			       std::to_string(g.pe[i]) + " remove all of " + std::to_string(full) + ")");
		g.out.push_back(out);
	}
	return g;
}

// Attributes a pool takes only from some opset on.
void since(const NodeAttrs &c, const Node &n, int64_t opset, const char *attr, int64_t first)
{
	if (c.has_attr(attr) && opset < first)
		c.fail(std::string("attribute '") + attr + "' is not part of " + n.op + " before opset " +
		       std::to_string(first) + " (the model has opset " + std::to_string(opset) + ")");
}

Geometry pool_geometry(const NodeAttrs &c, const Node &n, int64_t opset, const Shape &x)
{
	bool max = n.op == "MaxPool", avg = n.op == "AveragePool";
	since(c, n, opset, "ceil_mode", max || avg ? 10 : 18);
	since(c, n, opset, "dilations", max ? 10 : avg ? 19 : 18);
	since(c, n, opset, "storage_order", 8);
	Geometry g;
	g.ns = x.size() - 2;
	if (!c.has_attr("kernel_shape"))
		c.fail("attribute 'kernel_shape' is required");
	g.k = per_axis(c, "kernel_shape", g.ns, 1, 1);
	g.s = per_axis(c, "strides", g.ns, 1, 1);
	g.d = per_axis(c, "dilations", g.ns, 1, 1);
	int64_t ceil = c.attr_int("ceil_mode", 0);
	if (ceil != 0 && ceil != 1)
		c.fail("ceil_mode=" + std::to_string(ceil) + " is not supported (0 or 1)");
	std::string ap = auto_pad(c);
	// SAME fixes the output at ceil(in / stride): ceil_mode has no say.
	g.ceil = ceil && ap.rfind("SAME", 0) != 0;
	resolve_pads(c, x, g, ap);
	sliding_out(c, x, g);
	return g;
}

template <typename A>
void fill_window(A &a, const Geometry &g)
{
	a.n_spatial = (uint32_t)g.ns;
	for (size_t i = 0; i < g.ns; i++) {
		a.strides[i] = (uint32_t)g.s[i];
		a.dilations[i] = (uint32_t)g.d[i];
		a.pads_begin[i] = (uint32_t)g.pb[i];
		a.pads_end[i] = (uint32_t)g.pe[i];
	}
}

// Pads and output dims are u32 in the kernel's attributes and dims.
void check_u32(const NodeAttrs &c, const Geometry &g)
{
	for (size_t i = 0; i < g.ns; i++)
		if (g.pb[i] > (int64_t)UINT32_MAX || g.pe[i] > (int64_t)UINT32_MAX ||
		    g.op[i] > (int64_t)UINT32_MAX)
			c.fail("the padding along " + axis_str(i) + " is too large");
}

// Conv and ConvTranspose: X, W float32 of one rank, B [M].
struct ConvShapes {
	Shape x, w;
	int64_t group = 1, c = 0, m = 0;
};

ConvShapes conv_inputs(const NodeCtx &c, bool transpose)
{
	c.arity(2, 3);
	ConvShapes s;
	s.x = c.in_f32(0).shape;
	s.w = c.in_f32(1).shape;
	size_t ns = spatial_axes(c, s.x);
	if (s.w.size() != s.x.size())
		c.fail(c.what(1) + " has shape " + shape_str(s.w) + "; with X " + shape_str(s.x) +
		       " it must have rank " + std::to_string(s.x.size()));
	check_kernel_shape(c, s.w, ns);
	s.group = c.attr_int("group", 1);
	s.c = s.x[1];
	if (s.group < 1 || s.group > s.c || s.c % s.group)
		c.fail("group=" + std::to_string(s.group) + " does not divide the " +
		       std::to_string(s.c) + " input channels");
	if (!transpose) {
		s.m = s.w[0];
		if (s.w[1] * s.group != s.c || s.m % s.group)
			c.fail(c.what(1) + " has shape " + shape_str(s.w) + "; with " +
			       std::to_string(s.c) + " input channels and group=" +
			       std::to_string(s.group) + " it must be [M, " +
			       std::to_string(s.c / s.group) + ", k...] with M a multiple of " +
			       std::to_string(s.group));
	} else {
		s.m = s.w[1] * s.group;
		if (s.w[0] != s.c)
			c.fail(c.what(1) + " has shape " + shape_str(s.w) + "; with " +
			       std::to_string(s.c) + " input channels it must be [" +
			       std::to_string(s.c) + ", M / group, k...]");
	}
	if (c.has_in(2)) {
		const Value &b = c.in_f32(2);
		if (b.shape != Shape{s.m})
			c.fail(c.what(2) + " has shape " + shape_str(b.shape) + "; the bias must be [" +
			       std::to_string(s.m) + "]");
	}
	return s;
}

// One output column costs C / group * kernel taps multiply-adds, which
// must fit one of the kernel's compute sections.
void check_section(const NodeCtx &c, const ConvShapes &s)
{
	uint64_t per = (uint64_t)(s.c / s.group);
	for (size_t i = 2; i < s.w.size(); i++)
		per *= (uint64_t)s.w[i];
	if (per > kSectionWork)
		c.fail("one output element takes " + std::to_string(per) +
		       " multiply-adds (input channels per group x kernel size), more than one "
		       "kernel compute section allows (" + std::to_string(kSectionWork) + ")");
}

void lower_conv_op(LowerCtx &c, uint32_t op, const Geometry &g, int64_t group)
{
	kinfer_attr_conv a{};
	fill_window(a, g);
	a.group = (uint32_t)group;
	for (size_t i = 0; i < g.ns; i++)
		a.output_padding[i] = op == KINFER_OP_CONV_TRANSPOSE ? (uint32_t)g.op[i] : 0;
	a.act = (uint32_t)c.attr_int("act", 0);
	a.act_attr.alpha.f = c.attr_float("act_alpha", 0.0f);
	a.act_attr.beta.f = c.attr_float("act_beta", 0.0f);
	std::vector<LRef> in{c.in(0), c.in(1)};
	if (c.has_in(2))
		in.push_back(c.in(2));
	c.emit(op, std::move(in), {c.out(0)}, a);
}

} // namespace

void infer_conv(NodeCtx &c)
{
	ConvShapes s = conv_inputs(c, false);
	Geometry g = conv_geometry(c, s.x, s.w);
	check_u32(c, g);
	check_section(c, s);
	c.define(0, DType::f32, with_spatial(s.x[0], s.m, g.out));
}

void lower_conv(LowerCtx &c)
{
	Shape x = c.value(0).shape, w = c.value(1).shape;
	lower_conv_op(c, KINFER_OP_CONV, conv_geometry(c, x, w), c.attr_int("group", 1));
}

void infer_conv_transpose(NodeCtx &c)
{
	ConvShapes s = conv_inputs(c, true);
	Geometry g = conv_transpose_geometry(c, s.x, s.w);
	check_u32(c, g);
	check_section(c, s);
	c.define(0, DType::f32, with_spatial(s.x[0], s.m, g.out));
}

void lower_conv_transpose(LowerCtx &c)
{
	Shape x = c.value(0).shape, w = c.value(1).shape;
	lower_conv_op(c, KINFER_OP_CONV_TRANSPOSE, conv_transpose_geometry(c, x, w),
		      c.attr_int("group", 1));
}

void infer_conv_fused(NodeCtx &c)
{
	c.fail("internal operator kinfer." + c.n.op + " cannot appear in a model file");
}

void infer_pool(NodeCtx &c)
{
	bool max = c.n.op == "MaxPool";
	c.arity(1, 1, 1, max && c.g.opset >= 8 ? 2 : 1);
	const Shape &x = c.in_f32(0).shape;
	spatial_axes(c, x);
	Geometry g = pool_geometry(c, c.n, c.g.opset, x);
	g.op.assign(g.ns, 0);
	check_u32(c, g);
	if (c.n.op == "AveragePool") {
		int64_t cip = c.attr_int("count_include_pad", 0);
		if (cip != 0 && cip != 1)
			c.fail("count_include_pad=" + std::to_string(cip) + " is not supported (0 or 1)");
	}
	if (c.n.op == "LpPool") {
		int64_t p = c.attr_int("p", 2);
		if (p < 1 || p > (int64_t)KINFER_LPPOOL_MAX_P)
			c.fail("p=" + std::to_string(p) + " is not supported (1.." +
			       std::to_string(KINFER_LPPOOL_MAX_P) + ")");
	}
	int64_t so = c.attr_int("storage_order", 0);
	if (so != 0 && so != 1)
		c.fail("storage_order=" + std::to_string(so) + " is not supported (0 or 1)");
	// One output element's work as the kernel's pool prepare charges it:
	// its taps, LpPool's at cost 8 plus 256 for the root (kmod/ops/pool.c).
	bool lp = c.n.op == "LpPool";
	uint64_t taps = 1;
	for (int64_t k : g.k)
		taps *= (uint64_t)k;
	if (taps * (lp ? 8 : 1) + (lp ? 256 : 0) > kSectionWork)
		c.fail("the window has " + std::to_string(taps) + " taps, more than one kernel compute "
		       "section allows");
	Shape y = with_spatial(x[0], x[1], g.out);
	c.define(0, DType::f32, y);
	c.define(1, DType::i64, y);
}

void lower_pool(LowerCtx &c)
{
	Geometry g = pool_geometry(c, c.n, c.g.opset, c.value(0).shape);
	kinfer_attr_pool a{};
	fill_window(a, g);
	for (size_t i = 0; i < g.ns; i++)
		a.kernel[i] = (uint32_t)g.k[i];
	a.ceil_mode = g.ceil;
	uint32_t op = KINFER_OP_MAXPOOL;
	std::vector<LRef> out{c.out(0)};
	if (c.n.op == "AveragePool") {
		op = KINFER_OP_AVERAGEPOOL;
		a.count_include_pad = (uint32_t)c.attr_int("count_include_pad", 0);
	} else if (c.n.op == "LpPool") {
		op = KINFER_OP_LPPOOL;
		a.p = (uint32_t)c.attr_int("p", 2);
	} else if (c.has_out(1)) {
		a.storage_order = (uint32_t)c.attr_int("storage_order", 0);
		out.push_back(c.out(1));
	}
	c.emit(op, {c.in(0)}, std::move(out), a);
}

} // namespace kinfer
