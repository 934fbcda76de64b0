// SPDX-License-Identifier: GPL-2.0
#include "emit.h"
#include "onnx_builders.h"
#include "ops.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <set>

using namespace kinfer;
using namespace kinfer_test;

namespace {

constexpr int kConfigFd = 100, kIoFd = 101, kWeightFd0 = 200;

// Fake BTF ids: 5000 + the index of the name in this list.
std::vector<std::string> kfunc_names()
{
	std::vector<std::string> n{kKfuncAcquire, kKfuncRelease, kKfuncBind, kKfuncAcquireAuto};
	for (const KernelOp &k : kernel_ops())
		n.push_back(op_kfunc(k.id));
	return n;
}

EmitEnv fake_env(const Lowered &l)
{
	EmitEnv env;
	env.config_fd = kConfigFd;
	env.io_fd = kIoFd;
	for (size_t w = 0; w < l.weights.size(); w++)	// no packed map in these tests
		env.weight_fd.push_back(kWeightFd0 + (int)w);
	std::vector<std::string> names = kfunc_names();
	for (size_t k = 0; k < names.size(); k++)
		env.btf_id[names[k]] = 5000 + (int32_t)k;
	return env;
}

bool is_kfunc_call(const bpf_insn &i)
{
	return i.code == (BPF_JMP | BPF_CALL) && i.src_reg == BPF_PSEUDO_KFUNC_CALL;
}

std::string kfunc_of(const bpf_insn &i) { return kfunc_names().at(i.imm - 5000); }

// Explore every path of a forward-only program, tracking whether the
// context reference is held.  Checks that it is released exactly once
// on every path that acquired it and that every exit is reached.
struct PathChecker {
	const std::vector<bpf_insn> &p;
	int exits = 0, paths_with_release = 0;

	void walk(size_t pc, bool held, bool acquired)
	{
		while (true) {
			REQUIRE(pc < p.size());
			const bpf_insn &i = p[pc];
			if (i.code == (BPF_JMP | BPF_EXIT)) {
				REQUIRE_FALSE(held);
				exits++;
				if (acquired)
					paths_with_release++;
				return;
			}
			if (is_kfunc_call(i)) {
				std::string k = kfunc_of(i);
				if (k == kKfuncAcquire) {
					REQUIRE_FALSE(acquired);
					held = acquired = true;
					// The NULL branch follows: holds nothing.
					REQUIRE(p[pc + 1].code == (BPF_JMP | BPF_JNE | BPF_K));
					walk(pc + 2, false, false);
					pc = pc + 1 + 1 + p[pc + 1].off;
					continue;
				}
				if (k == kKfuncRelease) {
					REQUIRE(held);
					held = false;
				} else {
					REQUIRE(held);
				}
				pc++;
				continue;
			}
			if (i.code == (BPF_JMP | BPF_JNE | BPF_K)) {
				REQUIRE(i.off >= 0);
				walk(pc + 1 + i.off, held, acquired);	// the error branch
				pc++;
				continue;
			}
			if (i.code == (BPF_JMP | BPF_JA)) {
				REQUIRE(i.off >= 0);
				pc = pc + 1 + i.off;
				continue;
			}
			pc += (i.code == (BPF_LD | BPF_DW | BPF_IMM)) ? 2 : 1;
		}
	}
};

} // namespace

TEST_CASE("emitted program: prologue, binds, kfunc calls, sizes", "[emit]")
{
	Lowered l = mlp(4, 8, 3).lowered();
	Plan p = plan_model(l);
	EmitEnv env = fake_env(l);
	std::vector<bpf_insn> prog = emit_syscall_program(l, p, env);
	std::vector<bpf_insn> pro = emit_syscall_prologue(env);
	std::vector<bpf_insn> core = emit_core(l, p, env);
	REQUIRE(prog.size() == pro.size() + core.size());

	// Prologue 11 = get_cpu, store, ld_imm64(2), mov, add, lookup, jne, mov, exit, mov r7.
	REQUIRE(pro.size() == 11);
	REQUIRE(pro[0].code == (BPF_JMP | BPF_CALL));
	REQUIRE(pro[0].imm == BPF_FUNC_get_smp_processor_id);
	REQUIRE(pro[2].src_reg == BPF_PSEUDO_MAP_FD);
	REQUIRE(pro[2].imm == kIoFd);
	REQUIRE(pro.back().dst_reg == 7);

	// Every kfunc call: pseudo kfunc call with fd_array slot 1, in order.
	std::vector<std::string> calls;
	for (const bpf_insn &i : prog)
		if (i.code == (BPF_JMP | BPF_CALL) && i.src_reg != 0) {
			REQUIRE(i.src_reg == BPF_PSEUDO_KFUNC_CALL);
			REQUIRE(i.off == 1);
			calls.push_back(kfunc_of(i));
		}
	REQUIRE(calls == std::vector<std::string>{
				 kKfuncAcquire, kKfuncBind, "kinfer_input", kKfuncBind, kKfuncBind,
				 "kinfer_matmul", kKfuncBind, kKfuncBind, "kinfer_matmul", kKfuncBind,
				 "kinfer_output", kKfuncRelease, kKfuncRelease});

	// The status slot is zeroed, then acquire gets the config map value,
	// the plan size and the slot's address.
	REQUIRE(core[0].code == (BPF_ST | BPF_MEM | BPF_W));
	REQUIRE(core[1].code == (BPF_LD | BPF_DW | BPF_IMM));
	REQUIRE(core[1].src_reg == BPF_PSEUDO_MAP_VALUE);
	REQUIRE(core[1].imm == kConfigFd);
	REQUIRE(core[3].imm == (int32_t)plan_config_bytes(p));
	REQUIRE(plan_kfuncs(l) == std::vector<std::string>{kKfuncAcquire, kKfuncRelease, kKfuncBind,
							    "kinfer_input", "kinfer_output",
							    "kinfer_matmul"});
}

TEST_CASE("bound buffers are the map values with their sizes", "[emit]")
{
	Lowered l = mlp(4, 8, 3).lowered();
	Plan p = plan_model(l);
	EmitEnv env = fake_env(l);
	std::vector<bpf_insn> core = emit_core(l, p, env);
	std::set<int> seen;
	for (size_t i = 0; i + 2 < core.size(); i++) {
		const bpf_insn &ld = core[i];
		if (ld.code != (BPF_LD | BPF_DW | BPF_IMM) || ld.imm < kWeightFd0)
			continue;
		REQUIRE(ld.src_reg == BPF_PSEUDO_MAP_VALUE);
		REQUIRE(ld.dst_reg == 2);
		int w = ld.imm - kWeightFd0;
		seen.insert(w);
		const bpf_insn &sz = core[i + 2];
		REQUIRE(sz.code == (BPF_ALU64 | BPF_MOV | BPF_K));
		REQUIRE(sz.dst_reg == 3);
		REQUIRE((uint64_t)sz.imm == l.weights[w].bytes());
		REQUIRE(kfunc_of(core[i + 3]) == kKfuncBind);
	}
	REQUIRE(seen.size() == l.weights.size());
	for (size_t i = 0; i + 1 < core.size(); i++)
		if (core[i].code == (BPF_ALU64 | BPF_MOV | BPF_X) && core[i].src_reg == 7) {
			REQUIRE(core[i].dst_reg == 2);
			REQUIRE(core[i + 1].imm == (int32_t)p.io_bytes);
		}
}

TEST_CASE("the context is released on every path", "[emit]")
{
	Lowered l = mlp(4, 8, 3, "Tanh").lowered();
	Plan p = plan_model(l);
	std::vector<bpf_insn> prog = emit_syscall_program(l, p, fake_env(l));
	PathChecker c{prog};
	c.walk(0, false, false);
	// io lookup failure, acquire failure, one error exit per node, success.
	REQUIRE(c.exits == 2 + (int)l.ops.size() + 1);
	REQUIRE(c.paths_with_release == (int)l.ops.size() + 1);
	// A refused acquire returns the status the kfunc wrote (sign-extended).
	int enoent = 0, status_loads = 0;
	for (const bpf_insn &i : prog) {
		enoent += i.code == (BPF_ALU64 | BPF_MOV | BPF_K) && i.dst_reg == 0 && i.imm == -ENOENT;
		status_loads += i.code == (BPF_LDX | BPF_MEM | BPF_W) && i.src_reg == 10;
	}
	REQUIRE(enoent == 1);
	REQUIRE(status_loads == 1);
}

TEST_CASE("a pipeline call copies call->max_tokens into its max_tokens input", "[emit]")
{
	Lowered l = mlp(4, 8, 3).lowered();
	Plan p = plan_model(l);
	EmitEnv env = fake_env(l);
	CallLayout with;
	with.max_tokens_off = 40;
	std::vector<bpf_insn> plain = emit_call_program(l, p, env, CallLayout{});
	std::vector<bpf_insn> prog = emit_call_program(l, p, env, with);
	REQUIRE(prog.size() == plain.size() + 2);
	// after r6 = call and r7 = call->io: r1 = call->max_tokens; io[40] = r1
	const bpf_insn &ld = prog[6], &st = prog[7];
	REQUIRE(ld.code == (BPF_LDX | BPF_MEM | BPF_W));
	REQUIRE((ld.dst_reg == 1 && ld.src_reg == 6));
	REQUIRE(ld.off == (int16_t)offsetof(kinfer_call, max_tokens));
	REQUIRE(st.code == (BPF_STX | BPF_MEM | BPF_W));
	REQUIRE((st.dst_reg == 7 && st.src_reg == 1 && st.off == 40));
	auto call = std::find_if(prog.begin() + 8, prog.end(), [](const bpf_insn &i) {
		return i.code == (BPF_JMP | BPF_CALL);
	});
	REQUIRE(call != prog.end());
	REQUIRE(kfunc_of(*call) == std::string(kKfuncAcquireAuto));
}

TEST_CASE("very long programs keep error jumps in range", "[emit][long]")
{
	// 3000 MATMULs of 14 insns each: one shared fail block at the end would
	// be more than 32767 insns away from the first node's error jump.
	ModelBuilder b;
	b.input("x", {1, 2});
	std::string prev = "x";
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.init("bias", {2}, {0, 0});
	for (int i = 0; i < 3000; i++) {
		std::string m = "m" + std::to_string(i), a = "a" + std::to_string(i);
		b.node("MatMul", {prev, "W"}, {m});
		b.node("Add", {m, "bias"}, {a});
		prev = a;
	}
	b.output(prev, {1, 2});
	Lowered l = b.lowered();
	Plan p = plan_model(l);
	std::vector<bpf_insn> prog = emit_syscall_program(l, p, fake_env(l));
	REQUIRE(prog.size() > 36000);
	size_t ja = 0;
	for (const bpf_insn &i : prog)
		ja += i.code == (BPF_JMP | BPF_JA);
	REQUIRE(ja >= 1);
	PathChecker c{prog};
	c.walk(0, false, false);
	REQUIRE(c.paths_with_release == (int)l.ops.size() + 1);
}
