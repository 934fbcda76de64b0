// SPDX-License-Identifier: GPL-2.0
#include "emit.h"

#include "error.h"
#include "ops.h"

#include <algorithm>
#include <cstddef>
#include <cerrno>
#include <climits>
#include <set>

namespace kinfer {

std::vector<std::string> plan_kfuncs(const Lowered &l)
{
	std::vector<std::string> names{kKfuncAcquire, kKfuncRelease};
	std::set<uint32_t> ops;
	bool binds = false;
	for (const LOp &op : l.ops) {
		ops.insert(op.op);
		for (const std::vector<LRef> *refs : {&op.in, &op.out})
			for (const LRef &r : *refs)
				binds = binds || r.kind == LRef::Kind::weight || r.kind == LRef::Kind::io;
	}
	if (binds)
		names.push_back(kKfuncBind);
	for (uint32_t op : ops)
		names.push_back(op_kfunc(op));
	return names;
}

namespace {

enum Reg : uint8_t { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

// Stack slot of the acquire status.
constexpr int16_t kStatusSlot = -8;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	bpf_insn i{};
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

struct Asm {
	std::vector<bpf_insn> v;

	void mov(uint8_t dst, uint8_t src) { v.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)); }
	void mov_imm(uint8_t dst, int64_t imm)
	{
		if (imm < INT32_MIN || imm > INT32_MAX)
			throw KernelError("constant " + std::to_string(imm) + " does not fit a BPF immediate");
		v.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)imm));
	}
	void add_imm(uint8_t dst, int32_t imm) { v.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm)); }
	void st_w(uint8_t dst, int16_t off, int32_t imm) { v.push_back(insn(BPF_ST | BPF_MEM | BPF_W, dst, 0, off, imm)); }
	void stx_w(uint8_t dst, int16_t off, uint8_t src) { v.push_back(insn(BPF_STX | BPF_MEM | BPF_W, dst, src, off, 0)); }
	void ldx_w(uint8_t dst, uint8_t src, int16_t off) { v.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)); }
	// Sign-extend the low 32 bits of a register (no BPF_MOVSX on 6.1).
	void sext32(uint8_t dst)
	{
		v.push_back(insn(BPF_ALU64 | BPF_LSH | BPF_K, dst, 0, 0, 32));
		v.push_back(insn(BPF_ALU64 | BPF_ARSH | BPF_K, dst, 0, 0, 32));
	}
	void ld_map(uint8_t dst, uint8_t pseudo, int fd, int32_t off)
	{
		v.push_back(insn(BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, fd));
		v.push_back(insn(0, 0, 0, 0, off));
	}
	void call_helper(int32_t id) { v.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, id)); }
	void call_kfunc(const EmitEnv &env, const std::string &name)
	{
		auto it = env.btf_id.find(name);
		int32_t id = it == env.btf_id.end() ? 0 : it->second;
		v.push_back(insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, env.btf_fd_slot, id));
	}
	// Returns the index of the jump, for patching.
	size_t jmp_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off)
	{
		v.push_back(insn(BPF_JMP | op | BPF_K, dst, 0, off, imm));
		return v.size() - 1;
	}
	void exit() { v.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)); }
	void ret_imm(int32_t imm) { mov_imm(R0, imm); exit(); }
};

// kinfer_bind(ctx, buffer, size) for each buffer the node binds.
void emit_binds(Asm &a, const Plan &p, const EmitEnv &env, const LOp &op)
{
	for (const BindRef &b : node_binds(op, p)) {
		a.mov(R1, R8);
		if (b.kind == LRef::Kind::io) {
			a.mov(R2, R7);
			a.mov_imm(R3, p.io_bytes);
		} else {
			a.ld_map(R2, BPF_PSEUDO_MAP_VALUE, env.weight_fd.at(b.index), 0);
			a.mov_imm(R3, (int64_t)p.wmaps[b.index].bytes);
		}
		a.call_kfunc(env, kKfuncBind);
	}
}

// Bound on the distance from an error jump to its fail block.
constexpr size_t kFailSpan = 30000;

// How a program returns r0: plainly, or (kinfer_pipeline_call) after
// storing it and, on success, the label and score into the call struct.
struct Ret {
	const CallLayout *call = nullptr;

	void emit(Asm &a) const
	{
		if (call) {
			// r6: the call struct, r7: its io
			a.stx_w(R6, offsetof(kinfer_call, err), R0);
			a.jmp_imm(BPF_JNE, R0, 0, 4);
			a.ldx_w(R1, R7, (int16_t)call->label_off);
			a.stx_w(R6, offsetof(kinfer_call, label), R1);
			a.ldx_w(R1, R7, (int16_t)call->score_off);
			a.stx_w(R6, offsetof(kinfer_call, score), R1);
		}
		a.exit();
	}
};

// fail: r9 = r0; release(r8); return r9.  Patches `jumps` to land here.
void emit_fail_block(Asm &a, const EmitEnv &env, const Ret &ret, std::vector<size_t> &jumps)
{
	size_t fail = a.v.size();
	for (size_t j : jumps)
		a.v[j].off = (int16_t)(fail - (j + 1));
	jumps.clear();
	a.mov(R9, R0);
	a.mov(R1, R8);
	a.call_kfunc(env, kKfuncRelease);
	a.mov(R0, R9);
	ret.emit(a);
}

std::vector<bpf_insn> core(const Lowered &l, const Plan &p, const EmitEnv &env, const char *acquire,
			   const Ret &ret)
{
	Asm a;
	a.st_w(R10, kStatusSlot, 0);
	a.ld_map(R1, BPF_PSEUDO_MAP_VALUE, env.config_fd, 0);
	a.mov_imm(R2, plan_config_bytes(p));
	a.mov(R3, R10);
	a.add_imm(R3, kStatusSlot);
	a.call_kfunc(env, acquire);
	size_t acquired = a.jmp_imm(BPF_JNE, R0, 0, 0);
	a.ldx_w(R0, R10, kStatusSlot);
	a.sext32(R0);
	ret.emit(a);
	a.v[acquired].off = (int16_t)(a.v.size() - acquired - 1);
	a.mov(R8, R0);

	// Each node's error jump goes forward to a shared fail block.  Jump
	// offsets are 16 bits, so very long programs get a fail block every
	// kFailSpan instructions, jumped over by the straight-line path.
	std::vector<size_t> to_fail;
	for (const LOp &op : l.ops) {
		if (!to_fail.empty() && a.v.size() - to_fail.front() > kFailSpan) {
			size_t over = a.v.size();
			a.v.push_back(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
			emit_fail_block(a, env, ret, to_fail);
			a.v[over].off = (int16_t)(a.v.size() - over - 1);
		}
		emit_binds(a, p, env, op);
		a.mov(R1, R8);
		a.call_kfunc(env, op_kfunc(op.op));
		to_fail.push_back(a.jmp_imm(BPF_JNE, R0, 0, 0));
	}
	a.mov(R1, R8);
	a.call_kfunc(env, kKfuncRelease);
	a.mov_imm(R0, 0);
	ret.emit(a);
	emit_fail_block(a, env, ret, to_fail);
	return a.v;
}

} // namespace

std::vector<bpf_insn> emit_syscall_prologue(const EmitEnv &env)
{
	Asm a;
	a.call_helper(BPF_FUNC_get_smp_processor_id);
	a.stx_w(R10, -4, R0);
	a.ld_map(R1, BPF_PSEUDO_MAP_FD, env.io_fd, 0);
	a.mov(R2, R10);
	a.add_imm(R2, -4);
	a.call_helper(BPF_FUNC_map_lookup_elem);
	a.jmp_imm(BPF_JNE, R0, 0, 2);
	a.ret_imm(-ENOENT);
	a.mov(R7, R0);
	return a.v;
}

std::vector<bpf_insn> emit_core(const Lowered &l, const Plan &p, const EmitEnv &env)
{
	return core(l, p, env, kKfuncAcquire, Ret{});
}

std::vector<bpf_insn> emit_syscall_program(const Lowered &l, const Plan &p, const EmitEnv &env)
{
	std::vector<bpf_insn> prog = emit_syscall_prologue(env);
	std::vector<bpf_insn> core = emit_core(l, p, env);
	prog.insert(prog.end(), core.begin(), core.end());
	return prog;
}

std::vector<bpf_insn> emit_call_program(const Lowered &l, const Plan &p, const EmitEnv &env,
				       const CallLayout &call)
{
	Asm a;
	a.jmp_imm(BPF_JNE, R1, 0, 2);
	a.ret_imm(-EINVAL);
	a.mov(R6, R1);
	a.mov(R7, R1);
	a.add_imm(R7, offsetof(kinfer_call, io));
	if (call.max_tokens_off != CallLayout::kNone) {
		a.ldx_w(R1, R6, offsetof(kinfer_call, max_tokens));
		a.stx_w(R7, (int16_t)call.max_tokens_off, R1);
	}
	std::vector<bpf_insn> c = core(l, p, env, kKfuncAcquireAuto, Ret{&call});
	a.v.insert(a.v.end(), c.begin(), c.end());
	return a.v;
}

} // namespace kinfer
