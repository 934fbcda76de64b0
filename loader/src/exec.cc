// SPDX-License-Identifier: GPL-2.0
#include "exec.h"

#include "error.h"
#include "ops.h"

extern "C" {
#include "ops/exec.h"
}

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace kinfer {

static_assert(kSectionWork == KINFER_FPU_CHUNK, "kSectionWork must follow KINFER_FPU_CHUNK");

std::string core_error_text(int err)
{
	switch (-err) {
	case E2BIG:
		return "E2BIG: the node needs more work in one compute section than the kernel "
		       "allows (" + std::to_string(KINFER_FPU_CHUNK) + " units)";
	case ERANGE:
		return "ERANGE: an index is out of range";
	case EDOM:
		return "EDOM: integer division by zero";
	case EOPNOTSUPP:
		return "EOPNOTSUPP: the kernel does not know this op";
	default:
		return errno_name(err);
	}
}

namespace {

struct Runner {
	const Lowered &l;
	const Plan &p;
	std::vector<uint64_t> arena, io;	// uint64_t: 8-byte aligned
	std::vector<std::vector<uint8_t>> packed;	// per weight map, if packed
	std::vector<kinfer_buffers> bufs;		// per node: what it binds
	// As a kernel run context: the first KINFER_KEPT_NODES nodes kept
	// prepared, the last slot for the rest (kinfer_node_reuse()).
	std::vector<kinfer_kept> kept = std::vector<kinfer_kept>(KINFER_KEPT_NODES + 1);

	Runner(const Lowered &l, const Plan &p)
		: l(l), p(p), arena((p.arena_bytes + 7) / 8), io((p.io_bytes + 7) / 8),
		  packed(p.wmaps.size())
	{
		for (size_t m = 0; m < p.wmaps.size(); m++)
			if (p.wmaps[m].packed)
				packed[m] = weight_map_value(l, p, m);
		// The buffers stay put, so each node's bindings are worked out
		// once, not per run (the module's come from the program).
		for (const LOp &op : l.ops)
			bufs.push_back(buffers(op));
	}

	std::string where(size_t i) const
	{
		const LOp &op = l.ops[i];
		std::string s = l.file + ": kernel node " + std::to_string(i) + " (" + op_name(op.op) + ")";
		if (!op.onnx_nodes.empty()) {
			s += " for ONNX node";
			for (size_t k = 0; k < op.onnx_nodes.size(); k++)
				s += (k ? ", '" : " '") + op.onnx_nodes[k] + "'";
		}
		return s;
	}

	kinfer_buffers buffers(const LOp &op)
	{
		kinfer_buffers b;
		std::memset(&b, 0, sizeof(b));
		b.arena.data = arena.data();
		b.arena.size = p.arena_bytes;
		for (const BindRef &r : node_binds(op, p)) {
			kinfer_mem &m = b.bind[b.n_binds++];
			if (r.kind == LRef::Kind::io) {
				m.data = io.data();
				m.size = p.io_bytes;
			} else if (p.wmaps[r.index].packed) {
				m.data = packed[r.index].data();
				m.size = (uint32_t)p.wmaps[r.index].bytes;
			} else {
				const LWeight &w = l.weights[p.wmaps[r.index].weights[0]];
				m.data = const_cast<uint8_t *>(w.t.data.data());
				m.size = (uint32_t)w.bytes();
			}
		}
		return b;
	}

	// Evaluates node i as the module does: in sections of at most
	// KINFER_FPU_CHUNK work (kmod/run.c), the longest one timed into
	// section_ns[i] when it is longer than what is there.
	void eval_in_sections(size_t i, const kinfer_exec &ex, std::vector<double> &section_ns)
	{
		uint64_t per = KINFER_FPU_CHUNK / ex.unit_work;
		for (uint64_t begin = 0, end; begin < ex.units; begin = end) {
			end = begin + std::min(per, ex.units - begin);
			auto start = std::chrono::steady_clock::now();
			if (int err = ex.desc->eval(&ex, begin, end))
				throw InputError(where(i) + " failed: " + core_error_text(err));
			section_ns[i] = std::max(section_ns[i], std::chrono::duration<double, std::nano>(
				std::chrono::steady_clock::now() - start).count());
		}
	}

	// Prepare (and with `compute`, evaluate) every node; returns the work.
	// With node_ns, each node's prepare + eval time is added to it; with
	// section_ns too, nodes compute in the module's sections (see above).
	// With before, before(i) runs between node i's prepare and eval.
	uint64_t run(bool compute, std::vector<double> *node_ns = nullptr,
		     const std::function<void(size_t)> *before = nullptr,
		     std::vector<double> *section_ns = nullptr)
	{
		uint32_t cursor = 0;
		uint64_t work = p.arena_bytes / KINFER_CLEAR_BYTES_PER_WORK;
		for (size_t i = 0; i < l.ops.size(); i++) {
			// Only when profiling: a clock read costs a tenth of a small node.
			std::chrono::steady_clock::time_point start;
			if (node_ns)
				start = std::chrono::steady_clock::now();
			kinfer_kept &slot = *kinfer_kept_slot(kept.data(), (uint32_t)i);
			int err = kinfer_node_reuse(&slot, p.nodes.data(), (uint32_t)p.nodes.size(),
						    &cursor, &bufs[i], l.ops[i].op);
			if (err == -E2BIG)
				throw ModelError(where(i) + ": " + core_error_text(err));
			if (err)
				throw std::logic_error(where(i) + ": internal error: the kernel's checks "
					       "refuse the node: " + core_error_text(err));
			const kinfer_exec &ex = slot.exec;
			work += ex.work;
			if (before)
				(*before)(i);
			if (compute && section_ns)
				eval_in_sections(i, ex, *section_ns);
			else if (compute && (err = ex.desc->eval(&ex, 0, ex.units)))
				throw InputError(where(i) + " failed: " + core_error_text(err));
			if (node_ns)
				(*node_ns)[i] += std::chrono::duration<double, std::nano>(
					std::chrono::steady_clock::now() - start).count();
		}
		return work;
	}
};

} // namespace

void plan_check(const Lowered &l, Plan &p)
{
	Runner r(l, p);
	p.work = r.run(false);
}

struct PlanRunner::Impl {
	Runner runner;
	Impl(const Lowered &l, const Plan &p) : runner(l, p) {}
};

PlanRunner::PlanRunner(const Lowered &l, const Plan &p) : impl_(std::make_unique<Impl>(l, p)) {}

PlanRunner::~PlanRunner() = default;

void PlanRunner::set_inputs(const std::vector<HostTensor> &inputs)
{
	const Lowered &l = impl_->runner.l;
	const Plan &p = impl_->runner.p;
	if (inputs.size() != l.inputs.size())
		throw InputError("the model has " + std::to_string(l.inputs.size()) + " input(s), got " +
				 std::to_string(inputs.size()));
	uint8_t *io = reinterpret_cast<uint8_t *>(impl_->runner.io.data());
	for (size_t i = 0; i < inputs.size(); i++) {
		const LPort &port = l.inputs[i];
		if (inputs[i].dtype != port.dtype || inputs[i].shape != port.shape)
			throw InputError("input '" + port.name + "' is " + dtype_str(port.dtype) +
					 shape_str(port.shape) + ", got " + dtype_str(inputs[i].dtype) +
					 shape_str(inputs[i].shape));
		std::memcpy(io + p.input_io_off[i], inputs[i].data.data(), port.bytes);
	}
}

void PlanRunner::run()
{
	Runner &r = impl_->runner;
	std::memset(r.arena.data(), 0, r.arena.size() * sizeof(r.arena[0]));
	r.run(true);
}

void PlanRunner::run_profiled(std::vector<double> &node_ns, std::vector<double> *section_ns)
{
	Runner &r = impl_->runner;
	if (node_ns.size() != r.l.ops.size() || (section_ns && section_ns->size() != node_ns.size()))
		throw std::logic_error("run_profiled: want one entry per node");
	std::memset(r.arena.data(), 0, r.arena.size() * sizeof(r.arena[0]));
	r.run(true, &node_ns, nullptr, section_ns);
}

std::vector<HostTensor> PlanRunner::outputs() const
{
	const Lowered &l = impl_->runner.l;
	const Plan &p = impl_->runner.p;
	const uint8_t *io = reinterpret_cast<const uint8_t *>(impl_->runner.io.data());
	std::vector<HostTensor> out;
	for (size_t i = 0; i < l.outputs.size(); i++) {
		const LPort &port = l.outputs[i];
		HostTensor t;
		t.dtype = port.dtype;
		t.shape = port.shape;
		t.data.assign(io + p.output_io_off[i], io + p.output_io_off[i] + port.bytes);
		out.push_back(std::move(t));
	}
	return out;
}

void PlanRunner::run_observed(const std::function<void(size_t node)> &before)
{
	Runner &r = impl_->runner;
	std::memset(r.arena.data(), 0, r.arena.size() * sizeof(r.arena[0]));
	r.run(true, nullptr, &before);
}

HostTensor PlanRunner::value(const LRef &ref) const
{
	const Runner &r = impl_->runner;
	const uint8_t *base;
	uint64_t off = ref.byte_off, size;
	if (ref.kind == LRef::Kind::arena) {
		base = reinterpret_cast<const uint8_t *>(r.arena.data());
		off += r.p.offset.at(ref.index);
		size = r.p.arena_bytes;
	} else if (ref.kind == LRef::Kind::weight) {
		const LWeight &w = r.l.weights.at(ref.index);
		base = w.t.data.data();
		size = w.bytes();
	} else {
		throw std::logic_error("PlanRunner::value: want an arena or weight operand");
	}
	if (off + ref.bytes() > size)
		throw std::logic_error("PlanRunner::value: the operand lies outside its buffer");
	HostTensor t;
	t.dtype = ref.dtype;
	t.shape = ref.shape;
	t.data.assign(base + off, base + off + ref.bytes());
	return t;
}

TimeSummary summarize_times(std::vector<double> &times)
{
	if (times.empty())
		throw std::logic_error("summarize_times: no times");
	std::sort(times.begin(), times.end());
	auto at = [&](double q) { return times[std::min(times.size() - 1, (size_t)(q * times.size()))]; };
	return {at(0.5), at(0.99), times.front()};
}

std::vector<HostTensor> plan_run(const Lowered &l, const Plan &p, const std::vector<HostTensor> &inputs)
{
	PlanRunner r(l, p);
	r.set_inputs(inputs);
	r.run();
	return r.outputs();
}

} // namespace kinfer
