// SPDX-License-Identifier: GPL-2.0
// kinfer_bench: single-threaded timings for `make bench`, one JSON object
// per invocation on stdout (bench/run.py collects them).
//
//	kinfer_bench peak
//		the core's fp32 FMA peak, from a register-only FMA loop
//	kinfer_bench gemm M K N [--reps R]
//		an ONNX MatMul [M,K] x [K,N] through kinfer's plan and op path
//		(prepare + eval per run, as the module runs it) for every
//		instruction-set variant this CPU has, and Eigen's product
//	kinfer_bench qgemm M K N [--reps R]
//		MATMUL_I8 [M,K] x [K,N] int8 with its float epilogue, alone and
//		after QUANTIZE of a float X (the int8 path of one MatMul), hand-
//		built nodes through prepare + eval per run, for every variant
//		this CPU has (avx512 also without VNNI); GOP/s count 2*M*K*N
//	kinfer_bench model FILE.onnx --input X.npy... [--shape NAME=D0,..]
//			[--reps R] [--output Y.npy] [--profile]
//			[--quantize int8 --calibrate DIR]
//		a whole model through kinfer's userspace build; --profile adds
//		the time per kernel op kind and the slowest nodes; --quantize
//		runs its MatMuls on int8 (loader/src/quantize.h) and adds the
//		int8 vs float report
//	kinfer_bench mlp-eigen W1 b1 W2 b2 X [--reps R]
//		the LinnOS-shaped MLP relu(X W1 + b1) W2 + b2 in Eigen
#include "compile.h"
#include "error.h"
#include "exec.h"
#include "import.h"
#include "ops.h"
#include "quantize.h"
#include "tensor_io.h"

extern "C" {
#include "math/isa.h"
#include "ops/exec.h"
}

#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Args {
	std::vector<std::string> pos;
	std::vector<std::string> inputs, shapes;
	std::string output;
	kinfer::QuantOptions quant;
	int reps = 200;
	bool profile = false;
};

Args parse_args(int argc, char **argv)
{
	Args a;
	for (int i = 2; i < argc; i++) {
		std::string s = argv[i];
		auto value = [&]() -> std::string {
			if (i + 1 >= argc)
				throw kinfer::UsageError(s + " needs a value");
			return argv[++i];
		};
		if (s == "--input")
			a.inputs.push_back(value());
		else if (s == "--shape")
			a.shapes.push_back(value());
		else if (s == "--output")
			a.output = value();
		else if (s == "--quantize")
			a.quant.mode = value();
		else if (s == "--calibrate")
			a.quant.calibrate = value();
		else if (s == "--profile")
			a.profile = true;
		else if (s == "--reps")
			a.reps = std::max(1, std::stoi(value()));
		else
			a.pos.push_back(s);
	}
	return a;
}

// Times @reps calls of @f after a warm-up of a tenth as many (at least 3).
json time_it(int reps, const std::function<void()> &f)
{
	for (int i = 0; i < std::max(3, reps / 10); i++)
		f();
	std::vector<double> us(reps);
	for (int i = 0; i < reps; i++) {
		auto t0 = Clock::now();
		f();
		us[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
	}
	kinfer::TimeSummary s = kinfer::summarize_times(us);
	return {{"p50_us", s.p50}, {"p99_us", s.p99}, {"min_us", s.min}, {"reps", reps}};
}

// FMA throughput: 12 independent accumulator chains cover the latency of
// two FMA pipes; the loop is asm so no compiler can shorten it.  R is the
// register file: "ymm" (AVX2) or "zmm" (AVX-512).
#define KINFER_FMA(R, n) "vfmadd231ps %%" R "0, %%" R "1, %%" R #n "\n\t"
#define KINFER_FMA_LOOP(R)                                                          \
	"vxorps %%xmm0, %%xmm0, %%xmm0\n\tvxorps %%xmm1, %%xmm1, %%xmm1\n1:\n\t"     \
	KINFER_FMA(R, 2) KINFER_FMA(R, 3) KINFER_FMA(R, 4) KINFER_FMA(R, 5)            \
	KINFER_FMA(R, 6) KINFER_FMA(R, 7) KINFER_FMA(R, 8) KINFER_FMA(R, 9)            \
	KINFER_FMA(R, 10) KINFER_FMA(R, 11) KINFER_FMA(R, 12) KINFER_FMA(R, 13)        \
	"dec %0\n\tjnz 1b\n\tvzeroupper\n"
#define KINFER_FMA_CLOBBERS                                                          \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
		"xmm10", "xmm11", "xmm12", "xmm13", "cc"

double fma_peak_avx512(long iters)
{
	auto t0 = Clock::now();
	__asm__ volatile(KINFER_FMA_LOOP("zmm") : "+r"(iters) : : KINFER_FMA_CLOBBERS);
	return std::chrono::duration<double>(Clock::now() - t0).count();
}

double fma_peak_avx2(long iters)
{
	auto t0 = Clock::now();
	__asm__ volatile(KINFER_FMA_LOOP("ymm") : "+r"(iters) : : KINFER_FMA_CLOBBERS);
	return std::chrono::duration<double>(Clock::now() - t0).count();
}

int cmd_peak()
{
	const long iters = 20000000;
	json out;
	auto best_of = [&](double (*f)(long), int lanes) {
		double best = 0;
		for (int r = 0; r < 7; r++)
			best = std::max(best, 12.0 * lanes * 2 * iters / f(iters) / 1e9);
		return best;
	};
	if (kinfer_isa_best() >= KINFER_ISA_AVX2)
		out["avx2_gflops"] = best_of(fma_peak_avx2, 8);
	if (kinfer_isa_best() >= KINFER_ISA_AVX512)
		out["avx512_gflops"] = best_of(fma_peak_avx512, 16);
	out["isa"] = kinfer_isa_table(kinfer_isa_best())->name;
	out["gflops"] = std::max(out.value("avx2_gflops", 0.0), out.value("avx512_gflops", 0.0));
	std::cout << out.dump() << "\n";
	return 0;
}

// An ONNX MatMul A[M,K] x B[K,N] with B an initializer, as a model layer.
onnx::ModelProto matmul_model(int64_t m, int64_t k, int64_t n, const RowMatrix &b)
{
	onnx::ModelProto model;
	model.set_ir_version(8);
	model.add_opset_import()->set_version(17);
	onnx::GraphProto *g = model.mutable_graph();
	g->set_name("gemm");
	auto port = [](onnx::ValueInfoProto *v, const char *name, std::vector<int64_t> dims) {
		v->set_name(name);
		auto *t = v->mutable_type()->mutable_tensor_type();
		t->set_elem_type(onnx::TensorProto::FLOAT);
		for (int64_t d : dims)
			t->mutable_shape()->add_dim()->set_dim_value(d);
	};
	port(g->add_input(), "a", {m, k});
	port(g->add_output(), "y", {m, n});
	onnx::TensorProto *w = g->add_initializer();
	w->set_name("b");
	w->set_data_type(onnx::TensorProto::FLOAT);
	w->add_dims(k);
	w->add_dims(n);
	w->set_raw_data(b.data(), sizeof(float) * k * n);
	onnx::NodeProto *node = g->add_node();
	node->set_op_type("MatMul");
	node->set_name("matmul");
	node->add_input("a");
	node->add_input("b");
	node->add_output("y");
	return model;
}

int cmd_gemm(const Args &a)
{
	if (a.pos.size() != 3)
		throw kinfer::UsageError("gemm M K N");
	int64_t m = std::stoll(a.pos[0]), k = std::stoll(a.pos[1]), n = std::stoll(a.pos[2]);
	RowMatrix A = RowMatrix::Random(m, k), B = RowMatrix::Random(k, n), C(m, n);
	double flop = 2.0 * m * k * n;
	auto rate = [&](json t) {
		t["gflops"] = flop / t["p50_us"].get<double>() / 1e3;
		return t;
	};

	kinfer::Compiled c = kinfer::compile_proto(matmul_model(m, k, n, B), "gemm.onnx", "gemm");
	kinfer::HostTensor x;
	x.shape = {m, k};
	x.data.assign(reinterpret_cast<const uint8_t *>(A.data()),
		      reinterpret_cast<const uint8_t *>(A.data() + m * k));
	json out = {{"m", m}, {"k", k}, {"n", n}, {"kinfer", json::object()}};
	enum kinfer_isa before = kinfer_isa_get();
	for (int isa = KINFER_ISA_GENERIC; isa <= kinfer_isa_best(); isa++) {
		kinfer_isa_set((enum kinfer_isa)isa);
		kinfer::PlanRunner r(c.lowered, c.plan);
		r.set_inputs({x});
		out["kinfer"][kinfer_isa_table((enum kinfer_isa)isa)->name] =
			rate(time_it(a.reps, [&] { r.run(); }));
	}
	kinfer_isa_set(before);
	out["eigen"] = rate(time_it(a.reps, [&] { C.noalias() = A * B; }));
	std::cout << out.dump() << "\n";
	return 0;
}

// One hand-built node in @arena: prepared and evaluated per run, as the
// module runs a node.
struct BenchNode {
	alignas(8) uint8_t bytes[KINFER_MAX_NODE_BYTES] = {};
	kinfer_exec ex;
	kinfer_buffers bufs;

	template <typename A>
	BenchNode(std::vector<uint64_t> &arena, uint16_t op, const std::vector<kinfer_tensor> &in,
		  const std::vector<kinfer_tensor> &out, const A &attr)
	{
		kinfer_node n{};
		n.op = op;
		n.n_in = (uint8_t)in.size();
		n.n_out = (uint8_t)out.size();
		n.attr_bytes = sizeof(A);
		n.size = (uint16_t)(sizeof(n) + (in.size() + out.size()) * sizeof(kinfer_tensor) + sizeof(A));
		uint8_t *p = bytes;
		std::memcpy(p, &n, sizeof(n));
		p += sizeof(n);
		for (const auto *v : {&in, &out})
			for (const kinfer_tensor &t : *v) {
				std::memcpy(p, &t, sizeof(t));
				p += sizeof(t);
			}
		std::memcpy(p, &attr, sizeof(A));
		std::memset(&bufs, 0, sizeof(bufs));
		bufs.arena.data = arena.data();
		bufs.arena.size = (uint32_t)(arena.size() * 8);
	}
	void run()
	{
		if (kinfer_node_prepare(&ex, reinterpret_cast<const kinfer_node *>(bytes), &bufs) ||
		    ex.desc->eval(&ex, 0, ex.units))
			throw std::runtime_error("qgemm: a hand-built node failed");
	}
};

int cmd_qgemm(const Args &a)
{
	if (a.pos.size() != 3)
		throw kinfer::UsageError("qgemm M K N");
	uint32_t m = std::stoul(a.pos[0]), k = std::stoul(a.pos[1]), n = std::stoul(a.pos[2]);
	if (!m || !k || !n || k > KINFER_MATMUL_I8_MAX_K)
		throw kinfer::UsageError("qgemm M K N: 1 <= K <= 65535, M, N >= 1");
	uint32_t groups = (k + 3) / 4, panels = (n + 15) / 16;
	std::mt19937 rng(142);
	std::uniform_int_distribution<int> i8(-128, 127);
	std::normal_distribution<float> val(0.0f, 1.0f);
	std::vector<uint64_t> arena(1);
	uint32_t top = 0;
	auto add = [&](uint8_t dtype, std::vector<uint32_t> dims, uint32_t esize) {
		kinfer_tensor t{};
		uint64_t count = 1;
		t.dtype = dtype;
		t.off = top;
		t.rank = (uint8_t)dims.size();
		for (size_t i = 0; i < dims.size(); i++)
			count *= t.dims[i] = dims[i];
		top += (uint32_t)((count * esize + 63) / 64 * 64);
		arena.resize(top / 8);
		return t;
	};
	kinfer_tensor x = add(KINFER_DTYPE_FLOAT32, {m, k}, 4), xq = add(KINFER_DTYPE_INT8, {m, k}, 1);
	kinfer_tensor w = add(KINFER_DTYPE_INT8, {panels, groups, 64}, 1);
	kinfer_tensor scale = add(KINFER_DTYPE_FLOAT32, {n}, 4), wsum = add(KINFER_DTYPE_INT32, {n}, 4);
	kinfer_tensor bias = add(KINFER_DTYPE_FLOAT32, {n}, 4), y = add(KINFER_DTYPE_FLOAT32, {m, n}, 4);
	auto at = [&](const kinfer_tensor &t) { return reinterpret_cast<uint8_t *>(arena.data()) + t.off; };
	float *xf = reinterpret_cast<float *>(at(x)), *sf = reinterpret_cast<float *>(at(scale));
	float *bf = reinterpret_cast<float *>(at(bias));
	int32_t *ws = reinterpret_cast<int32_t *>(at(wsum));
	int8_t *wp = reinterpret_cast<int8_t *>(at(w));
	for (uint32_t i = 0; i < m * k; i++)
		xf[i] = val(rng);
	for (uint32_t j = 0; j < n; j++) {
		ws[j] = 0;
		sf[j] = 1e-4f;
		bf[j] = val(rng);
	}
	for (uint32_t l = 0; l < k; l++)
		for (uint32_t j = 0; j < n; j++) {
			int8_t v = (int8_t)i8(rng);
			wp[(j / 16 * groups + l / 4) * 64 + (j % 16) * 4 + l % 4] = v;
			ws[j] += v;
		}
	kinfer_attr_qconvert qa{};
	qa.scale.f = 4.0f / 127.0f;
	kinfer_attr_matmul_i8 ma{};
	BenchNode quantize(arena, KINFER_OP_QUANTIZE, {x}, {xq}, qa);
	BenchNode matmul(arena, KINFER_OP_MATMUL_I8, {xq, w, scale, wsum, bias}, {y}, ma);
	quantize.run();

	double op = 2.0 * m * k * n;
	auto rate = [&](json t) {
		t["gops"] = op / t["p50_us"].get<double>() / 1e3;
		return t;
	};
	json out = {{"m", m}, {"k", k}, {"n", n}, {"kinfer", json::object()}};
	enum kinfer_isa before = kinfer_isa_get();
	bool vnni = kinfer_isa_vnni();
	for (int isa = KINFER_ISA_GENERIC; isa <= kinfer_isa_best(); isa++)
		for (bool v : {false, true}) {
			if (v && !(isa == KINFER_ISA_AVX512 && vnni))
				continue;
			kinfer_isa_set((enum kinfer_isa)isa);
			kinfer_isa_set_vnni(v);
			std::string name = kinfer_isa_table((enum kinfer_isa)isa)->name;
			if (isa == KINFER_ISA_AVX512)
				name += v ? "-vnni" : "-novnni";
			out["kinfer"][name] = {
				{"matmul_i8", rate(time_it(a.reps, [&] { matmul.run(); }))},
				{"quantize+matmul_i8", rate(time_it(a.reps, [&] {
					 quantize.run();
					 matmul.run();
				 }))}};
		}
	kinfer_isa_set(before);
	kinfer_isa_set_vnni(vnni);
	std::cout << out.dump() << "\n";
	return 0;
}

// Mean microseconds per run for each kernel op kind, the ten slowest
// nodes, and each op kind's longest FPU section (the module's split of a
// node's work, timed here at the median over @reps profiled runs).
json profile(const kinfer::Lowered &l, kinfer::PlanRunner &r, int reps)
{
	std::vector<double> ns(l.ops.size(), 0.0);
	std::vector<std::vector<double>> sections(l.ops.size());
	for (int i = 0; i < reps; i++) {
		std::vector<double> longest(l.ops.size(), 0.0);
		r.run_profiled(ns, &longest);
		for (size_t n = 0; n < l.ops.size(); n++)
			sections[n].push_back(longest[n]);
	}
	std::map<std::string, double> by_op, section_by_op;
	std::vector<size_t> order(ns.size());
	for (size_t i = 0; i < ns.size(); i++) {
		std::string op = kinfer::op_name(l.ops[i].op);
		by_op[op] += ns[i] / reps / 1e3;
		double p50 = kinfer::summarize_times(sections[i]).p50 / 1e3;
		section_by_op[op] = std::max(section_by_op[op], p50);
		order[i] = i;
	}
	std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ns[a] > ns[b]; });
	json slowest = json::array();
	for (size_t k = 0; k < std::min<size_t>(10, order.size()); k++) {
		const kinfer::LOp &op = l.ops[order[k]];
		slowest.push_back({{"node", order[k]}, {"op", kinfer::op_name(op.op)},
				   {"onnx", op.onnx_nodes.empty() ? "" : op.onnx_nodes[0]},
				   {"us", ns[order[k]] / reps / 1e3}});
	}
	return {{"us_by_op", by_op}, {"slowest", slowest}, {"longest_section_us", section_by_op}};
}

int cmd_model(const Args &a)
{
	if (a.pos.size() != 1)
		throw kinfer::UsageError("model FILE.onnx --input X.npy ...");
	kinfer::ShapeOverrides shapes;
	for (const std::string &s : a.shapes)
		shapes.insert(kinfer::parse_shape_override(s));
	kinfer::QuantReport qr;
	kinfer::Compiled c = kinfer::compile_quantized(a.pos[0], "bench", shapes, a.quant, &qr);
	std::vector<kinfer::HostTensor> inputs;
	for (const std::string &f : a.inputs)
		inputs.push_back(kinfer::read_tensor(f));
	kinfer::PlanRunner r(c.lowered, c.plan);
	r.set_inputs(inputs);
	json out = time_it(a.reps, [&] { r.run(); });
	out["isa"] = kinfer_isa_ops()->name;
	if (a.profile)
		out["profile"] = profile(c.lowered, r, a.reps);
	if (a.quant.enabled())
		out["quantize"] = qr.to_json();
	if (!a.output.empty())
		kinfer::write_npy(a.output, r.outputs().at(0));
	std::cout << out.dump() << "\n";
	return 0;
}

RowMatrix matrix_of(const kinfer::HostTensor &t, const std::string &file)
{
	if (t.dtype != kinfer::DType::f32 || t.shape.empty() || t.shape.size() > 2)
		throw kinfer::InputError(file + ": want a float32 vector or matrix");
	int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
	return Eigen::Map<const RowMatrix>(t.as<float>(), rows, t.shape.back());
}

int cmd_mlp_eigen(const Args &a)
{
	if (a.pos.size() != 5)
		throw kinfer::UsageError("mlp-eigen W1 b1 W2 b2 X");
	std::vector<RowMatrix> m;
	for (const std::string &f : a.pos)
		m.push_back(matrix_of(kinfer::read_npy(f), f));
	const RowMatrix &w1 = m[0], &b1 = m[1], &w2 = m[2], &b2 = m[3], &x = m[4];
	RowMatrix h(x.rows(), w1.cols()), y(x.rows(), w2.cols());
	json out = time_it(a.reps, [&] {
		h.noalias() = x * w1;
		h = (h.rowwise() + b1.row(0)).cwiseMax(0.0f);
		y.noalias() = h * w2;
		y.rowwise() += b2.row(0);
	});
	std::cout << out.dump() << "\n";
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	std::string cmd = argc > 1 ? argv[1] : "";
	try {
		Args a = parse_args(argc, argv);
		if (cmd == "peak")
			return cmd_peak();
		if (cmd == "gemm")
			return cmd_gemm(a);
		if (cmd == "qgemm")
			return cmd_qgemm(a);
		if (cmd == "model")
			return cmd_model(a);
		if (cmd == "mlp-eigen")
			return cmd_mlp_eigen(a);
		std::cerr << "usage: kinfer_bench peak | gemm M K N | qgemm M K N | model FILE.onnx --input X.npy ... | "
			     "mlp-eigen W1 b1 W2 b2 X  [--reps R]\n";
		return 2;
	} catch (const std::exception &e) {
		std::cerr << "kinfer_bench " << cmd << ": " << e.what() << "\n";
		return 1;
	}
}
