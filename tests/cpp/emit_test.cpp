// SPDX-License-Identifier: GPL-2.0
#include "emit.h"
#include "onnx_builders.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <set>

using namespace kinfer;
using namespace kinfer_test;

namespace {

constexpr int kConfigFd = 100, kIoFd = 101, kWeightFd0 = 200;

EmitEnv fake_env(const Lowered &l)
{
	EmitEnv env;
	env.config_fd = kConfigFd;
	env.io_fd = kIoFd;
	for (size_t w = 0; w < l.weights.size(); w++)
		env.weight_fd.push_back(kWeightFd0 + (int)w);
	for (size_t k = 0; k < kKfuncCount; k++)
		env.btf_id[k] = 5000 + (int32_t)k;
	return env;
}

bool is_kfunc_call(const bpf_insn &i)
{
	return i.code == (BPF_JMP | BPF_CALL) && i.src_reg == BPF_PSEUDO_KFUNC_CALL;
}

Kfunc kfunc_of(const bpf_insn &i) { return (Kfunc)(i.imm - 5000); }

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
				Kfunc k = kfunc_of(i);
				if (k == Kfunc::ctx_acquire) {
					REQUIRE_FALSE(acquired);
					held = acquired = true;
					// The NULL branch follows: holds nothing.
					REQUIRE(p[pc + 1].code == (BPF_JMP | BPF_JNE | BPF_K));
					walk(pc + 2, false, false);
					pc = pc + 1 + 1 + p[pc + 1].off;
					continue;
				}
				if (k == Kfunc::ctx_release) {
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

TEST_CASE("emitted program: prologue, kfunc calls, sizes", "[emit]")
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

	// Core: acquire (ld 2 + mov + call + jne + mov + exit + mov r8 = 8),
	// per node mov r1 + args + call + jne; INPUT/OUTPUT 2 args insns,
	// DENSE 6 (two ld_imm64 + two movs), RELU 0; then release (mov, call,
	// mov, exit) and the fail block (5).
	size_t expect = 8 + (3 + 2) + (3 + 6) + 3 + (3 + 6) + (3 + 2) + 4 + 5;
	REQUIRE(core.size() == expect);

	// Every kfunc call: pseudo kfunc call with fd_array slot 1.
	std::vector<Kfunc> calls;
	for (const bpf_insn &i : prog)
		if (i.code == (BPF_JMP | BPF_CALL) && i.src_reg != 0) {
			REQUIRE(i.src_reg == BPF_PSEUDO_KFUNC_CALL);
			REQUIRE(i.off == 1);
			calls.push_back(kfunc_of(i));
		}
	REQUIRE(calls == std::vector<Kfunc>{Kfunc::ctx_acquire, Kfunc::input, Kfunc::dense,
					    Kfunc::relu, Kfunc::dense, Kfunc::output,
					    Kfunc::ctx_release, Kfunc::ctx_release});

	// The acquire gets the config map value and the plan size.
	REQUIRE(core[0].code == (BPF_LD | BPF_DW | BPF_IMM));
	REQUIRE(core[0].src_reg == BPF_PSEUDO_MAP_VALUE);
	REQUIRE(core[0].imm == kConfigFd);
	REQUIRE(core[1].imm == 0);
	REQUIRE(core[2].imm == (int32_t)plan_config_bytes(p));
}

TEST_CASE("weight sizes and io sizes are the map value sizes", "[emit]")
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
		int w = ld.imm - kWeightFd0;
		seen.insert(w);
		const bpf_insn &sz = core[i + 2];
		REQUIRE(sz.code == (BPF_ALU64 | BPF_MOV | BPF_K));
		REQUIRE(sz.dst_reg == ld.dst_reg + 1);
		REQUIRE((uint64_t)sz.imm == l.weights[w].bytes());
	}
	REQUIRE(seen.size() == l.weights.size());
	for (size_t i = 0; i + 1 < core.size(); i++)
		if (core[i].code == (BPF_ALU64 | BPF_MOV | BPF_X) && core[i].src_reg == 7) {
			REQUIRE(core[i + 1].imm == (int32_t)p.io_bytes);
			REQUIRE(core[i + 1].dst_reg == core[i].dst_reg + 1);
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
	// The error returns: -ENOENT and -EBUSY.
	int enoent = 0, ebusy = 0;
	for (const bpf_insn &i : prog)
		if (i.code == (BPF_ALU64 | BPF_MOV | BPF_K) && i.dst_reg == 0) {
			enoent += i.imm == -ENOENT;
			ebusy += i.imm == -EBUSY;
		}
	REQUIRE(enoent == 1);
	REQUIRE(ebusy == 1);
}

TEST_CASE("very long programs keep error jumps in range", "[emit]")
{
	// 4000 DENSE layers of 9 insns: one shared fail block at the end would
	// be more than 32767 insns away from the first node's error jump.
	ModelBuilder b;
	b.input("x", {1, 2});
	std::string prev = "x";
	b.init("W", {2, 2}, {1, 0, 0, 1});
	b.init("bias", {2}, {0, 0});
	for (int i = 0; i < 4000; i++) {
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

TEST_CASE("every op has a kfunc", "[emit]")
{
	for (uint32_t op = KINFER_OP_INPUT; op < KINFER_OP_COUNT; op++)
		REQUIRE(std::string(kfunc_name(kfunc_for_op(op))).rfind("kinfer_", 0) == 0);
	REQUIRE(std::string(kfunc_name(kfunc_for_op(KINFER_OP_ADD_CONST))) == "kinfer_add_const");
}
