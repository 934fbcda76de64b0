// SPDX-License-Identifier: GPL-2.0
#include "quantize.h"

#include "error.h"
#include "naming.h"
#include "panels.h"
#include "tensor_io.h"

#include <uapi/kinfer.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace kinfer {

namespace fs = std::filesystem;
using nlohmann::json;

void check_quant_options(const QuantOptions &q)
{
	if (!q.enabled())
		return;
	if (q.mode.empty())
		throw UsageError("--calibrate needs --quantize int8");
	if (q.mode != "int8")
		throw UsageError("--quantize " + q.mode + ": the only mode is int8");
	if (q.calibrate.empty())
		throw UsageError("--quantize int8 needs --calibrate DIR: samples of the model's inputs "
				 "(docs/performance.md, \"int8 MatMuls\")");
}

// ---- weights ------------------------------------------------------------------------------------

QuantMatrix quantize_matrix(const HostTensor &kn)
{
	if (kn.dtype != DType::f32 || kn.shape.size() != 2)
		throw std::logic_error("quantize_matrix: want a float32 matrix");
	QuantMatrix m;
	m.k = kn.shape[0];
	m.n = kn.shape[1];
	m.q.assign((size_t)(m.k * m.n), 0);
	m.scale.assign((size_t)m.n, 1.0f);
	m.wsum.assign((size_t)m.n, 0);
	const float *w = kn.as<float>();
	for (int64_t j = 0; j < m.n; j++) {
		double amax = 0;
		for (int64_t i = 0; i < m.k; i++)
			amax = std::max(amax, std::fabs((double)w[i * m.n + j]));
		if (amax == 0)
			continue;	// all zeros: scale 1
		m.scale[j] = (float)(amax / 127.0);
		for (int64_t i = 0; i < m.k; i++) {
			double v = std::nearbyint((double)w[i * m.n + j] / (double)m.scale[j]);
			int8_t q = (int8_t)std::clamp(v, -127.0, 127.0);
			m.q[i * m.n + j] = q;
			m.wsum[j] += q;
		}
	}
	return m;
}

HostTensor pack_matrix_i8(const QuantMatrix &m)
{
	int64_t np = (m.n + 15) / 16, kp = (m.k + 3) / 4;
	HostTensor t;
	t.dtype = DType::i8;
	t.shape = {np, kp, 64};
	t.data.assign((size_t)(np * kp * 64), 0);
	int8_t *dst = t.as<int8_t>();
	for (int64_t i = 0; i < m.k; i++)
		for (int64_t j = 0; j < m.n; j++)
			dst[((j / 16) * kp + i / 4) * 64 + (j % 16) * 4 + i % 4] = m.q[i * m.n + j];
	return t;
}

// ---- which MatMuls ------------------------------------------------------------------------------

namespace {

kinfer_attr_matmul matmul_attr(const LOp &op)
{
	kinfer_attr_matmul a{};
	if (op.attr.size() != sizeof(a))
		throw std::logic_error("MATMUL with an attribute block of the wrong size");
	std::memcpy(&a, op.attr.data(), sizeof(a));
	return a;
}

// The [K, N] shape of a MATMUL's constant B, or {} if B is not one.
Shape constant_b(const Lowered &l, const LOp &op, const kinfer_attr_matmul &a)
{
	const LRef &b = op.in.at(1);
	if (b.kind != LRef::Kind::weight || b.dtype != DType::f32 || b.byte_off)
		return {};
	const LWeight &w = l.weights[b.index];
	if (a.b_layout == KINFER_MATMUL_B_PANELS)
		return w.matrix.size() == 2 && b.shape == panel_shape(w.matrix) ? w.matrix : Shape{};
	return b.shape.size() == 2 && w.matrix.empty() && w.t.shape == b.shape ? b.shape : Shape{};
}

HostTensor b_matrix(const Lowered &l, const LOp &op)
{
	const LWeight &w = l.weights[op.in[1].index];
	return w.matrix.empty() ? w.t : from_panels(w.t, w.matrix);
}

bool has_bias(const LOp &op)
{
	return op.in.size() > 2 && op.in[2].present();
}

// The bias, if any, is a constant of N values along Y's last axis.
bool bias_ok(const LOp &op, int64_t n)
{
	if (!has_bias(op))
		return true;
	const LRef &c = op.in[2];
	return c.kind == LRef::Kind::weight && c.dtype == DType::f32 && (int64_t)shape_numel(c.shape) == n &&
	       c.shape.back() == n;
}

bool quantisable(const Lowered &l, const LOp &op)
{
	if (op.op != KINFER_OP_MATMUL || op.in.size() < 2 || op.out.size() != 1)
		return false;
	kinfer_attr_matmul a = matmul_attr(op);
	if (a.trans_a || a.trans_b || a.alpha.f != 1.0f || (a.act && a.act != KINFER_OP_RELU))
		return false;
	Shape kn = constant_b(l, op, a);
	const LRef &x = op.in[0];
	if (kn.empty() || kn[0] > KINFER_MATMUL_I8_MAX_K || x.kind != LRef::Kind::arena || x.dtype != DType::f32 || x.shape.empty() ||
	    x.shape.size() > 4 || x.shape.back() != kn[0])
		return false;
	return op.out[0].shape.back() == kn[1] && bias_ok(op, kn[1]);
}

} // namespace

std::vector<size_t> quant_candidates(const Lowered &l)
{
	std::vector<size_t> r;
	for (size_t i = 0; i < l.ops.size(); i++)
		if (quantisable(l, l.ops[i]))
			r.push_back(i);
	return r;
}

// ---- calibration samples ------------------------------------------------------------------------

namespace {

// An input's file name in a sample: '/' and ':' are '_'.
std::string sample_file(const std::string &input)
{
	std::string s = input;
	std::replace(s.begin(), s.end(), '/', '_');
	std::replace(s.begin(), s.end(), ':', '_');
	return s + ".npy";
}

std::vector<fs::path> sorted_entries(const fs::path &dir, bool dirs)
{
	std::vector<fs::path> r;
	std::error_code ec;
	for (const fs::directory_entry &e : fs::directory_iterator(dir, ec)) {
		bool is_dir = e.is_directory();
		if (is_dir == dirs && (dirs || e.path().extension() == ".npy"))
			r.push_back(e.path());
	}
	if (ec)
		throw InputError(dir.string() + ": cannot read the directory (" + ec.message() + ")");
	std::sort(r.begin(), r.end());
	return r;
}

std::string input_list(const std::vector<LPort> &inputs)
{
	std::string s;
	for (const LPort &p : inputs)
		s += (s.empty() ? "" : ", ") + sample_file(p.name) + " (" + dtype_str(p.dtype) + shape_str(p.shape) + ")";
	return s;
}

CalibSample read_sample(const fs::path &dir, const std::vector<LPort> &inputs)
{
	std::set<std::string> wanted;
	for (const LPort &p : inputs)
		wanted.insert(sample_file(p.name));
	for (const fs::path &f : sorted_entries(dir, false))
		if (!wanted.count(f.filename().string()))
			throw InputError(f.string() + ": not an input of the model (it takes " +
					 input_list(inputs) + ")");
	CalibSample s{dir.string(), {}};
	for (const LPort &p : inputs) {
		fs::path f = dir / sample_file(p.name);
		if (!fs::exists(f))
			throw InputError(dir.string() + ": no " + f.filename().string() + " for input '" +
					 p.name + "' " + dtype_str(p.dtype) + shape_str(p.shape));
		Tensor t = read_npy(f.string());
		if (t.dtype != p.dtype || t.shape != p.shape)
			throw InputError(f.string() + ": " + dtype_str(t.dtype) + shape_str(t.shape) +
					 " does not match input '" + p.name + "' " + dtype_str(p.dtype) +
					 shape_str(p.shape));
		s.inputs.push_back(std::move(t));
	}
	return s;
}

} // namespace

std::vector<CalibSample> read_calibration(const std::string &dir, const std::vector<LPort> &inputs)
{
	std::error_code ec;
	if (!fs::is_directory(dir, ec))
		throw InputError("--calibrate " + dir + ": " +
				 (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
	std::vector<fs::path> dirs = sorted_entries(dir, true);
	if (dirs.empty() && sorted_entries(dir, false).empty())
		throw InputError("--calibrate " + dir + ": no samples (want one directory per sample, "
				 "or the .npy files of one: " + input_list(inputs) + ")");
	if (!dirs.empty() && !sorted_entries(dir, false).empty())
		throw InputError("--calibrate " + dir + ": holds both sample directories and .npy files (" +
				 sorted_entries(dir, false)[0].filename().string() + ")");
	if (dirs.empty())
		dirs.push_back(dir);
	std::vector<CalibSample> r;
	for (const fs::path &d : dirs)
		r.push_back(read_sample(d, inputs));
	return r;
}

std::vector<std::vector<float>> calibrate_ranges(const Lowered &l, const Plan &p, const std::vector<size_t> &ops,
						const std::vector<CalibSample> &samples)
{
	std::unordered_map<size_t, size_t> slot;
	std::vector<std::vector<float>> amax(ops.size());
	for (size_t k = 0; k < ops.size(); k++) {
		slot[ops[k]] = k;
		amax[k].assign((size_t)l.ops[ops[k]].in[0].shape.back(), 0.0f);
	}
	PlanRunner r(l, p);
	auto observe = [&](size_t node) {
		auto it = slot.find(node);
		if (it == slot.end())
			return;
		HostTensor a = r.value(l.ops[node].in[0]);
		std::vector<float> &m = amax[it->second];
		for (uint64_t i = 0; i < a.numel(); i++)	// NaN stays out; Inf stays in
			m[i % m.size()] = std::max(m[i % m.size()], std::fabs(a.as<float>()[i]));
	};
	for (const CalibSample &s : samples) {
		r.set_inputs(s.inputs);
		r.run_observed(observe);
	}
	return amax;
}

// ---- the rewrite --------------------------------------------------------------------------------

namespace {

std::string input_key(const LRef &a)
{
	return std::to_string(a.index) + "@" + std::to_string(a.byte_off) + shape_str(a.shape);
}

// max_n |W[k, n]| per row k.
std::vector<double> row_max(const HostTensor &kn)
{
	int64_t k = kn.shape[0], n = kn.shape[1];
	std::vector<double> m((size_t)k, 0.0);
	for (int64_t i = 0; i < k; i++)
		for (int64_t j = 0; j < n; j++)
			m[i] = std::max(m[i], std::fabs((double)kn.as<float>()[i * n + j]));
	return m;
}

// SmoothQuant's migration strength: s = a^alpha / w^(1 - alpha) moves this
// much of an input channel's range into the weights' row.  Measured on
// all-MiniLM-L6-v2 (bench's 16 calibration sentences, embedding cosine
// min/mean vs float): no smoothing 0.954/0.978, alpha 0.5 0.917/0.954,
// 0.75 0.9940/0.9966, 0.8 0.9943/0.9973, 0.9 0.9941/0.9973, 1 0.9951/0.9969:
// the feed-forward output's input (GELU) has outlier channels that per-
// tensor int8 cannot hold.
constexpr double kSmoothAlpha = 0.8;

double smoothing(double a, double w)
{
	return std::clamp(std::pow(a, kSmoothAlpha) / std::pow(w, 1 - kSmoothAlpha), 1e-4, 1e4);
}

// One quantised input and what reads it: A / s, quantised by x_scale.
struct InputPlan {
	std::vector<float> smooth;	// s per channel k
	float x_scale = 1.0f;
	LRef x;				// the int8 copy, once placed
};

struct Rewriter {
	Lowered &l;
	std::vector<LOp> ops;				// the new op list
	std::map<std::string, InputPlan> inputs;	// A's view -> its plan
	std::set<std::string> names;
	QuantCounts counts;

	explicit Rewriter(Lowered &l) : l(l)
	{
		for (const LWeight &w : l.weights)
			names.insert(w.name);
	}

	std::string where(const LOp &op) const
	{
		return l.file + ": MatMul " + (op.onnx_nodes.empty() ? "?" : "'" + op.onnx_nodes[0] + "'");
	}

	LRef add_weight(const std::string &base, const std::string &source, HostTensor t)
	{
		std::string name = base;
		for (int k = 2; names.count(name); k++)
			name = base + "." + std::to_string(k);
		names.insert(name);
		LRef r;
		r.kind = LRef::Kind::weight;
		r.dtype = t.dtype;
		r.shape = t.shape;
		l.weights.push_back(LWeight{name, source, std::move(t), {}});
		r.index = (int)l.weights.size() - 1;
		return r;
	}

	// The smoothing of each input read by @ops (SmoothQuant): s[k] from
	// max |A[.., k]| and max_n |W[k, n]| over every MatMul reading A, so
	// that A / s has even ranges across k; then x_scale.
	void plan_inputs(const std::vector<size_t> &ops, const std::vector<std::vector<float>> &amax)
	{
		std::map<std::string, std::vector<double>> wmax;
		for (size_t i = 0; i < ops.size(); i++) {
			const LOp &op = l.ops[ops[i]];
			for (float v : amax[i])
				if (!std::isfinite(v))
					throw ModelError(where(op) + ": calibration saw a non-finite input value");
			std::vector<double> m = row_max(b_matrix(l, op));
			std::vector<double> &w = wmax[input_key(op.in[0])];
			w.resize(m.size(), 0.0);
			for (size_t k = 0; k < m.size(); k++)
				w[k] = std::max(w[k], m[k]);
		}
		for (size_t i = 0; i < ops.size(); i++) {
			std::string key = input_key(l.ops[ops[i]].in[0]);
			if (inputs.count(key))
				continue;
			InputPlan &p = inputs[key];
			const std::vector<double> &w = wmax[key];
			double top = 0;
			for (size_t k = 0; k < w.size(); k++) {
				double a = amax[i][k];
				double s = a > 0 && w[k] > 0 ? smoothing(a, w[k]) : 1.0;
				p.smooth.push_back((float)s);
				top = std::max(top, a / (float)s);
			}
			p.x_scale = top == 0 ? 1.0f : std::max((float)(top / 127.0), FLT_MIN);
		}
	}

	// The int8 copy of op's A: MUL by 1 / s, QUANTIZE, placed before
	// the first MatMul that reads it.
	LRef quantize_input(const LOp &op)
	{
		const LRef &a = op.in[0];
		InputPlan &p = inputs.at(input_key(a));
		if (p.x.present())
			return p.x;
		std::string name = l.storages[a.index].name;	// (storages grows)
		std::vector<float> inv;
		for (float s : p.smooth)
			inv.push_back(1.0f / s);
		LRef smoothed = a, x = a;
		smoothed.byte_off = x.byte_off = 0;
		smoothed.index = (int)l.storages.size();
		l.storages.push_back(LStorage{name + ".smooth", smoothed.bytes()});
		LOp mul;
		mul.op = KINFER_OP_MUL;
		mul.in = {a, add_weight(name + ".smooth", name, column_floats(inv))};
		mul.out = {smoothed};
		mul.onnx_nodes = op.onnx_nodes;
		ops.push_back(std::move(mul));
		x.dtype = DType::i8;
		x.index = (int)l.storages.size();
		l.storages.push_back(LStorage{name + ".i8", x.bytes()});
		kinfer_attr_qconvert qa{};
		qa.scale.f = p.x_scale;
		LOp q;
		q.op = KINFER_OP_QUANTIZE;
		q.in = {smoothed};
		q.out = {x};
		q.attr.resize(sizeof(qa));
		std::memcpy(q.attr.data(), &qa, sizeof(qa));
		q.onnx_nodes = op.onnx_nodes;
		ops.push_back(std::move(q));
		counts.quantizes++;
		return p.x = x;
	}

	static HostTensor column_floats(const std::vector<float> &v)
	{
		return HostTensor::from_floats({(int64_t)v.size()}, v);
	}

	// s W, quantised per column.
	QuantMatrix smoothed_matrix(const LOp &op, const std::vector<float> &s)
	{
		HostTensor w = b_matrix(l, op);
		int64_t n = w.shape[1];
		for (int64_t i = 0; i < w.shape[0]; i++)
			for (int64_t j = 0; j < n; j++)
				w.as<float>()[i * n + j] *= s[i];
		return quantize_matrix(w);
	}

	void rewrite(const LOp &op)
	{
		LRef x = quantize_input(op);
		const InputPlan &p = inputs.at(input_key(op.in[0]));
		QuantMatrix m = smoothed_matrix(op, p.smooth);
		std::string src = l.weights[op.in[1].index].source;	// (weights grows)
		std::vector<float> scale(m.n);
		for (int64_t j = 0; j < m.n; j++)
			scale[j] = p.x_scale * m.scale[j];
		HostTensor wsum;
		wsum.dtype = DType::i32;
		wsum.shape = {m.n};
		wsum.data.resize(m.n * sizeof(int32_t));
		std::memcpy(wsum.data.data(), m.wsum.data(), wsum.data.size());
		std::vector<LRef> in{x, add_weight(src + ".i8", src, pack_matrix_i8(m)),
				     add_weight(src + ".scale", src, column_floats(scale)),
				     add_weight(src + ".wsum", src, std::move(wsum))};
		kinfer_attr_matmul a = matmul_attr(op);
		if (has_bias(op))
			in.push_back(bias(op, a.beta.f, m.n));
		kinfer_attr_matmul_i8 qa{};
		qa.act = a.act;
		LOp q;
		q.op = KINFER_OP_MATMUL_I8;
		q.in = std::move(in);
		q.out = op.out;
		q.attr.resize(sizeof(qa));
		std::memcpy(q.attr.data(), &qa, sizeof(qa));
		q.onnx_nodes = op.onnx_nodes;
		ops.push_back(std::move(q));
		counts.matmuls++;
	}

	// beta * C as [N].
	LRef bias(const LOp &op, float beta, int64_t n)
	{
		if (beta == 1.0f)
			return op.in[2].reshaped({n});
		const LWeight &c = l.weights[op.in[2].index];
		const float *v = reinterpret_cast<const float *>(c.t.data.data() + op.in[2].byte_off);
		std::vector<float> b(v, v + n);
		for (float &x : b)
			x *= beta;
		std::string name = c.name + ".beta", source = c.source;	// (weights grows)
		return add_weight(name, source, column_floats(b));
	}
};

// Drop the weights no op or state reads, renumbering the rest.
void drop_unused_weights(Lowered &l)
{
	std::vector<int> used(l.weights.size(), 0);
	for (const LOp &op : l.ops)
		for (const std::vector<LRef> *refs : {&op.in, &op.out})
			for (const LRef &r : *refs)
				if (r.kind == LRef::Kind::weight)
					used[r.index] = 1;
	for (const LState &s : l.state)
		used[s.weight] = 1;
	std::vector<int> index(l.weights.size(), -1);
	std::vector<LWeight> kept;
	for (size_t w = 0; w < l.weights.size(); w++)
		if (used[w]) {
			index[w] = (int)kept.size();
			kept.push_back(std::move(l.weights[w]));
		}
	l.weights = std::move(kept);
	for (LOp &op : l.ops)
		for (std::vector<LRef> *refs : {&op.in, &op.out})
			for (LRef &r : *refs)
				if (r.kind == LRef::Kind::weight)
					r.index = index[r.index];
	for (LState &s : l.state)
		s.weight = index[s.weight];
}

} // namespace

QuantCounts quantize_lowered(Lowered &l, const std::vector<size_t> &ops,
			     const std::vector<std::vector<float>> &amax)
{
	if (ops.size() != amax.size())
		throw std::logic_error("quantize_lowered: one range per op");
	std::set<size_t> quantised(ops.begin(), ops.end());
	Rewriter rw(l);
	rw.plan_inputs(ops, amax);
	for (size_t i = 0; i < l.ops.size(); i++) {
		if (quantised.count(i))
			rw.rewrite(l.ops[i]);
		else
			rw.ops.push_back(std::move(l.ops[i]));
	}
	l.ops = std::move(rw.ops);
	drop_unused_weights(l);
	check_op_count(l);
	return rw.counts;
}

// ---- accuracy -----------------------------------------------------------------------------------

namespace {

void accumulate(OutputAccuracy &acc, const HostTensor &want, const HostTensor &got)
{
	double dot = 0, ww = 0, gg = 0;
	for (uint64_t i = 0; i < want.numel(); i++) {
		double w = want.get(i), g = got.get(i);
		dot += w * g;
		ww += w * w;
		gg += g * g;
		acc.max_diff = std::max(acc.max_diff, std::fabs(w - g));
	}
	double cos = ww == 0 && gg == 0 ? 1.0 : dot / std::sqrt(ww * gg);
	acc.cos_min = std::min(acc.cos_min, cos);
	acc.cos_mean += cos;
}

} // namespace

std::vector<OutputAccuracy> compare_plans(const Compiled &fl, const Compiled &q,
					  const std::vector<CalibSample> &samples)
{
	PlanRunner rf(fl.lowered, fl.plan), rq(q.lowered, q.plan);
	std::vector<OutputAccuracy> acc;
	for (const LPort &p : fl.lowered.outputs)
		acc.push_back(OutputAccuracy{p.name});
	for (const CalibSample &s : samples) {
		rf.set_inputs(s.inputs);
		rq.set_inputs(s.inputs);
		rf.run();
		rq.run();
		std::vector<HostTensor> want = rf.outputs(), got = rq.outputs();
		for (size_t o = 0; o < acc.size(); o++)
			accumulate(acc[o], want[o], got[o]);
	}
	for (OutputAccuracy &a : acc)
		a.cos_mean /= std::max<size_t>(1, samples.size());
	return acc;
}

std::string QuantReport::text() const
{
	std::ostringstream s;
	s.precision(4);
	s << "quantize int8: " << counts.matmuls << " MatMuls, " << counts.quantizes << " QUANTIZE; " << samples
	  << " samples:";
	for (size_t o = 0; o < outputs.size(); o++) {
		const OutputAccuracy &a = outputs[o];
		s << (o ? ";" : "") << (outputs.size() > 1 ? " '" + a.name + "'" : "") << std::fixed
		  << " cosine min " << a.cos_min << " mean " << a.cos_mean << std::defaultfloat
		  << ", max |diff| " << a.max_diff;
	}
	return s.str();
}

json QuantReport::to_json() const
{
	nlohmann::json outs = nlohmann::json::array();
	for (const OutputAccuracy &a : outputs)
		outs.push_back({{"name", a.name}, {"cosine_min", a.cos_min}, {"cosine_mean", a.cos_mean},
				{"max_abs_diff", a.max_diff}});
	return {{"mode", "int8"}, {"matmuls", counts.matmuls}, {"quantizes", counts.quantizes},
		{"samples", samples}, {"outputs", outs}};
}

// ---- the whole step -----------------------------------------------------------------------------

namespace {

void replan(Compiled &c)
{
	c.plan = plan_model(c.lowered);
	std::string bad = plan_verify(c.lowered, c.plan);
	if (!bad.empty())
		throw std::logic_error(c.file + ": internal error: invalid int8 arena plan: " + bad);
	plan_check(c.lowered, c.plan);
	c.names = weight_names(c.lowered, c.plan);
}

} // namespace

QuantReport quantize_model(Compiled &c, const QuantOptions &q)
{
	check_quant_options(q);
	std::vector<CalibSample> samples = read_calibration(q.calibrate, c.lowered.inputs);
	std::vector<size_t> ops = quant_candidates(c.lowered);
	if (ops.empty())
		throw ModelError(c.file + ": --quantize int8: no MatMul with a constant 2-D weight to quantise");
	std::vector<std::vector<float>> amax = calibrate_ranges(c.lowered, c.plan, ops, samples);
	Compiled fl = c;
	QuantReport r;
	r.counts = quantize_lowered(c.lowered, ops, amax);
	replan(c);
	r.samples = samples.size();
	r.outputs = compare_plans(fl, c, samples);
	return r;
}

Compiled compile_quantized(const std::string &path, const std::string &model, const ShapeOverrides &shapes,
			   const QuantOptions &q, QuantReport *report)
{
	check_quant_options(q);
	Compiled c = compile_model(path, model, shapes);
	if (q.enabled()) {
		QuantReport r = quantize_model(c, q);
		if (report)
			*report = std::move(r);
	}
	return c;
}

} // namespace kinfer
