// SPDX-License-Identifier: GPL-2.0
// Stage 7: BPF bytecode for a plan.  Pure functions of the plan and of the
// file descriptors / BTF ids they reference, so they are testable without
// a kernel.
//
// The program is a prologue that puts the io slot pointer in r7, then the
// core, which is the same for every program type:
//
//	*(u32 *)(r10 - 8) = 0			the acquire status
//	r1 = &config; r2 = plan bytes; r3 = r10 - 8
//	r0 = kinfer_ctx_acquire_sleepable(r1, r2, r3)
//	if r0 == 0: return *(s32 *)(r10 - 8)	why it was refused
//	r8 = r0
//	for each plan node:
//		for each buffer it binds: r1 = r8; r2 = &weight or r7;
//					  r3 = its size; call kinfer_bind
//		r1 = r8; call kinfer_<op>; if r0 != 0: goto fail
//	r1 = r8; call kinfer_ctx_release; return 0
// fail:
//	r9 = r0; r1 = r8; call kinfer_ctx_release; return r9
//
// Registers: r6 the call struct (kinfer_pipeline_call only), r7 io slot,
// r8 context (a verifier-tracked reference), r9 error code; all
// callee-saved across calls.  A failed bind is recorded
// in the context and makes the node's op kfunc return -ECANCELED, so only
// op kfuncs' results are tested.
#pragma once

#include "lower.h"
#include "plan.h"

#include <linux/bpf.h>
#include <uapi/kinfer_call.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kinfer {

// The kfuncs a plan calls, by BTF name: acquire, release, bind if any
// node binds a buffer, and the op kfuncs of the ops it uses.
std::vector<std::string> plan_kfuncs(const Lowered &l);

// What the bytecode references.  In tests the fds and ids can be fake.
struct EmitEnv {
	int config_fd = -1;
	int io_fd = -1;
	std::vector<int> weight_fd;			// per weight map (Plan::wmaps)
	std::map<std::string, int32_t> btf_id;		// kfunc name -> BTF id in the module
	int16_t btf_fd_slot = 1;			// index of the module BTF fd in fd_array
};

std::vector<bpf_insn> emit_core(const Lowered &l, const Plan &p, const EmitEnv &env);

// BPF_PROG_TYPE_SYSCALL prologue: r7 = io map slot of this CPU, or return
// -ENOENT.
std::vector<bpf_insn> emit_syscall_prologue(const EmitEnv &env);

// Prologue + core.
std::vector<bpf_insn> emit_syscall_program(const Lowered &l, const Plan &p, const EmitEnv &env);

// Where a pipeline's outputs are in its io slot (uapi/kinfer_call.h).
struct CallLayout {
	static constexpr uint32_t kNone = UINT32_MAX;
	uint32_t label_off = 0;		// int32 or int64 (little-endian: low word)
	uint32_t score_off = 0;		// float32
	uint32_t max_tokens_off = kNone; // int32 input, set from call->max_tokens
};

// int kinfer_pipeline_call(struct kinfer_call *call), to replace that
// function of a BPF program (BPF_PROG_TYPE_EXT): r6 = call, r7 =
// call->io as the io slot, the core with the non-sleepable acquire, and
// every return stores the status in call->err and, on success, the label
// and score.
//
//	if r1 == 0: return -EINVAL
//	r6 = r1; r7 = r1 + offsetof(io)
//	io[max_tokens_off] = call->max_tokens	(pipelines with that input)
//	<core>, each "return r0" being:
//		call->err = r0; if r0 == 0: call->label, call->score = io[...]
//		return r0
std::vector<bpf_insn> emit_call_program(const Lowered &l, const Plan &p, const EmitEnv &env,
					const CallLayout &call);

} // namespace kinfer
