// SPDX-License-Identifier: GPL-2.0
// The kernel's own node checks and compute (kmod/ops, kmod/math: the
// kinfer_core library) run in userspace on a compiled plan.
//
// plan_check() prepares every node exactly as kinfer.ko will, so a plan the
// kernel would refuse is refused at compile time with a message naming the
// node, and the plan's work (what the kernel charges against its budget)
// is known before loading.  plan_run() also computes: the reference
// executor behind `kinfer run --reference`, constant folding and the
// conformance suite's userspace column.
#pragma once

#include "dtype.h"
#include "lower.h"
#include "plan.h"

#include <functional>
#include <memory>
#include <vector>

namespace kinfer {

// Most work in one compute section (KINFER_FPU_CHUNK of kmod/ops/exec.h).
constexpr uint64_t kSectionWork = 256 * 1024;

// Sets p.work; throws ModelError naming the node the kernel would refuse.
void plan_check(const Lowered &l, Plan &p);

// inputs[i] must match l.inputs[i] in dtype and shape (throws InputError).
std::vector<HostTensor> plan_run(const Lowered &l, const Plan &p,
				 const std::vector<HostTensor> &inputs);

// A plan made ready to run many times (kinfer_bench): each run() clears
// the arena, then prepares and evaluates every node, as a kernel run does.
class PlanRunner {
public:
	PlanRunner(const Lowered &l, const Plan &p);
	~PlanRunner();
	PlanRunner(const PlanRunner &) = delete;
	PlanRunner &operator=(const PlanRunner &) = delete;

	// inputs[i] must match l.inputs[i] in dtype and shape (throws InputError).
	void set_inputs(const std::vector<HostTensor> &inputs);
	void run();
	// As run(), adding each kernel node's evaluation time to node_ns[i]
	// (sized to the node count): where a model's time goes.  With
	// section_ns (as many entries), nodes compute in the module's FPU
	// sections and section_ns[i] keeps the longest of node i's.
	void run_profiled(std::vector<double> &node_ns, std::vector<double> *section_ns = nullptr);
	std::vector<HostTensor> outputs() const;
	// As run(), calling @before(i) once kernel node i is prepared and
	// before it computes: then value() reads its inputs (a later node may
	// reuse their arena bytes, so after the run they may be gone).
	void run_observed(const std::function<void(size_t node)> &before);
	// The current contents of an arena or weight operand.
	HostTensor value(const LRef &r) const;

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

// p50, p99 and min of run times (any unit; @times is sorted in place):
// the order statistic at floor(q * n), as `kinfer run --repeat` and
// kinfer_bench report them.
struct TimeSummary {
	double p50, p99, min;
};
TimeSummary summarize_times(std::vector<double> &times);

// "EINVAL (Invalid argument)"-style text of a core error, with what it
// means for a node.
std::string core_error_text(int err);

} // namespace kinfer
