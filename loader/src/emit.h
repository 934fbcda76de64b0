// SPDX-License-Identifier: GPL-2.0
// Stage 5: BPF bytecode for a plan.  Pure functions of the plan and of the
// file descriptors / BTF ids they reference, so they are testable without
// a kernel.
//
// The program is a prologue that puts the io slot pointer in r7, then the
// core, which is the same for every program type:
//
//	r1 = &config; r2 = plan bytes; r0 = kinfer_ctx_acquire(r1, r2)
//	if r0 == 0: return -EBUSY
//	r8 = r0
//	for each plan node: r1 = r8; r2..r5 = args; call kinfer_<op>
//			    if r0 != 0: goto fail
//	r1 = r8; call kinfer_ctx_release; return 0
// fail:
//	r9 = r0; r1 = r8; call kinfer_ctx_release; return r9
//
// Registers: r7 io slot, r8 context (a verifier-tracked reference),
// r9 error code; all callee-saved across calls.
#pragma once

#include "lower.h"
#include "plan.h"

#include <linux/bpf.h>

#include <array>
#include <cstdint>
#include <vector>

namespace kinfer {

enum class Kfunc {
	ctx_acquire, ctx_release, input, output, dense, matmul, relu, sigmoid,
	tanh, softmax, add, mul, add_const, mul_const,
	count
};
constexpr size_t kKfuncCount = (size_t)Kfunc::count;

// "kinfer_dense", ...: the BTF names in module "kinfer".
const char *kfunc_name(Kfunc k);
// The kfunc that executes a plan node of this op.
Kfunc kfunc_for_op(uint32_t op);

// What the bytecode references.  In tests the fds and ids can be fake.
struct EmitEnv {
	int config_fd = -1;
	int io_fd = -1;
	std::vector<int> weight_fd;			// per LWeight
	std::array<int32_t, kKfuncCount> btf_id{};	// per Kfunc, in the module BTF
	int16_t btf_fd_slot = 1;			// index of the module BTF fd in fd_array
};

// Offset in the io slot of a node's bytes is in the plan; every io kfunc
// gets the whole slot (r7, io_bytes).
std::vector<bpf_insn> emit_core(const Lowered &l, const Plan &p, const EmitEnv &env);

// BPF_PROG_TYPE_SYSCALL prologue: r7 = io map slot of this CPU, or return
// -ENOENT.
std::vector<bpf_insn> emit_syscall_prologue(const EmitEnv &env);

// Prologue + core.
std::vector<bpf_insn> emit_syscall_program(const Lowered &l, const Plan &p, const EmitEnv &env);

} // namespace kinfer
