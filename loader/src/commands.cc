// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

#include "bpf_util.h"
#include "compile.h"
#include "error.h"
#include "load.h"
#include "module.h"
#include "naming.h"
#include "onnx_ops.h"
#include "ops.h"
#include "exec.h"
#include "runtime.h"
#include "tensor_io.h"
#include "tflite/translate.h"
#include "vocab.h"

extern "C" {
#include "math/isa.h"
}

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

namespace kinfer {

using nlohmann::json;

namespace {

// Inputs in model order; each must have exactly the model's shape.
std::vector<Tensor> read_inputs(const std::vector<std::string> &files, const std::vector<Port> &in)
{
	if (files.size() != in.size()) {
		std::string names;
		for (const Port &p : in)
			names += (names.empty() ? "" : ", ") + p.name + shape_str(p.shape);
		throw InputError("the model takes " + std::to_string(in.size()) + " input(s) (" + names +
				 "), got " + std::to_string(files.size()) + " --input");
	}
	std::vector<Tensor> r;
	for (size_t i = 0; i < files.size(); i++) {
		Tensor t = read_tensor(files[i]);
		if (t.shape != in[i].shape || t.dtype != in[i].dtype)
			throw InputError(files[i] + ": " + dtype_str(t.dtype) + shape_str(t.shape) +
					 " does not match input '" + in[i].name + "' " +
					 dtype_str(in[i].dtype) + shape_str(in[i].shape));
		r.push_back(std::move(t));
	}
	return r;
}

void print_tensor(const std::string &name, const Tensor &t)
{
	std::cout << name << " " << shape_str(t.shape) << ":\n";
	size_t row = t.shape.empty() ? 1 : (size_t)t.shape.back();
	char buf[32];
	uint64_t n = t.numel();
	for (uint64_t i = 0; i < n; i++) {
		if (t.dtype == DType::f32)
			snprintf(buf, sizeof(buf), "%.8g", t.as<float>()[i]);
		else
			snprintf(buf, sizeof(buf), "%lld", (long long)t.get_int(i));
		std::cout << (i % row ? " " : "  ") << buf;
		if ((i + 1) % row == 0 || i + 1 == n)
			std::cout << "\n";
	}
}

void write_outputs(const std::vector<std::string> &files, const std::vector<Port> &out,
		   const std::vector<Tensor> &values)
{
	if (files.empty()) {
		for (size_t i = 0; i < values.size(); i++)
			print_tensor(out[i].name, values[i]);
		return;
	}
	for (size_t i = 0; i < values.size(); i++)
		write_npy(files[i], values[i]);
}

void check_output_count(const std::vector<std::string> &files, size_t n)
{
	if (!files.empty() && files.size() != n)
		throw UsageError("the model has " + std::to_string(n) + " output(s), got " +
				 std::to_string(files.size()) + " --output");
}

json runtime_manifest(const std::string &name, const std::string &dir)
{
	json m = read_meta(dir);
	Fd prog = obj_get(dir + "/" + kProgPin);
	ProgInfo pi = prog_info(prog.get());
	m["prog"]["id"] = pi.id;
	m["prog"]["xlated_insns"] = pi.xlated_insns;
	m["prog"]["jited_bytes"] = pi.jited_bytes;
	m["prog"]["run_cnt"] = pi.run_cnt;
	m["prog"]["run_time_ns"] = pi.run_time_ns;
	for (json &mp : m["maps"]) {
		try {
			Fd fd = obj_get(mp.at("pin").get<std::string>());
			MapInfo mi = map_info(fd.get());
			mp["id"] = mi.id;
			mp["bytes"] = mi.value_size;
			mp["max_entries"] = mi.max_entries;
		} catch (const KernelError &e) {
			mp["error"] = e.what();
		}
	}
	json attrs = json::object();
	for (const auto &kv : model_attributes(name))
		attrs[kv.first] = kv.second;
	m["module"] = attrs;
	return m;
}

ShapeOverrides parse_shapes(const std::vector<std::string> &specs)
{
	ShapeOverrides r;
	for (const std::string &s : specs) {
		auto kv = parse_shape_override(s);
		if (!r.emplace(kv.first, kv.second).second)
			throw UsageError("--shape " + kv.first + " is given twice");
	}
	return r;
}

} // namespace

int cmd_load(const std::string &file, const std::string &name, const std::vector<std::string> &shapes,
	     const std::string &share_weights_from, const std::string &attach, const QuantOptions &quant)
{
	check_model_name(name);
	if (!share_weights_from.empty())
		check_model_name(share_weights_from);
	QuantReport qr;
	Compiled c = compile_quantized(file, name, parse_shapes(shapes), quant, &qr);
	if (quant.enabled())
		std::cout << qr.text() << "\n";
	LoadOptions opts;
	opts.share_weights_from = share_weights_from;
	opts.attach = attach;
	LoadResult r = load_model(c, opts);
	std::cout << "loaded model '" << name << "' (id " << r.model_id << "): prog id " << r.prog_id
		  << ", " << c.lowered.ops.size() << " nodes, " << r.insns << " insns, arena "
		  << c.plan.arena_bytes << " bytes, pinned at " << model_pin_dir(name);
	if (!share_weights_from.empty())
		std::cout << ", " << r.shared_weights << " of " << c.plan.wmaps.size()
			  << " weight maps shared with '" << share_weights_from << "'";
	std::cout << "\n";
	return 0;
}

int cmd_swap(const std::string &file, const std::string &name, const std::string &share_weights_from,
	     const QuantOptions &quant)
{
	check_model_name(name);
	QuantReport qr;
	Compiled c = compile_quantized(file, name, {}, quant, &qr);
	if (quant.enabled())
		std::cout << qr.text() << "\n";
	LoadOptions opts;
	opts.share_weights_from = share_weights_from;
	LoadResult r = swap_model(c, opts);
	std::cout << "swapped model '" << name << "' (id " << r.model_id << ") to " << c.source
		  << ": prog id " << r.prog_id << ", " << c.lowered.ops.size() << " nodes\n";
	return 0;
}

std::string running_isa_in_kernel()
{
	std::string isa;
	return read_attr(std::string(kSysfsRoot) + "/isa", isa) ? isa : "unknown";
}

void write_timing_json(const std::string &file, const json &t)
{
	std::ofstream out(file, std::ios::trunc);
	out << t.dump() << "\n";
	if (!out.flush())
		throw KernelError(file + ": cannot write: " + errno_name(errno));
}

// --repeat: the p50/p99 of the run times, on stderr and in --timing-json.
void report_timing(const RunArgs &a, const std::vector<uint64_t> &ns, const char *where)
{
	std::vector<double> us;
	for (uint64_t t : ns)
		us.push_back((double)t / 1e3);
	TimeSummary s = summarize_times(us);
	bool kernel = std::string(where) == "kernel";
	std::string isa = kernel ? running_isa_in_kernel() : kinfer_isa_ops()->name;
	std::cerr << a.target << ": " << ns.size() << " runs in " << where << " (" << isa << "): p50 "
		  << s.p50 << " us, p99 " << s.p99 << " us\n";
	if (!a.timing_json.empty())
		write_timing_json(a.timing_json, {{"runs", ns.size()}, {"where", where}, {"isa", isa},
						  {"p50_us", s.p50}, {"p99_us", s.p99}, {"min_us", s.min}});
}

std::vector<Tensor> run_reference(const RunArgs &a, const Compiled &c, const std::vector<Tensor> &in)
{
	PlanRunner r(c.lowered, c.plan);
	r.set_inputs(in);
	std::vector<uint64_t> ns(std::max(1u, a.repeat));
	for (uint64_t &t : ns) {
		auto t0 = std::chrono::steady_clock::now();
		r.run();
		t = (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
			std::chrono::steady_clock::now() - t0).count();
	}
	if (a.repeat)
		report_timing(a, ns, "userspace");
	return r.outputs();
}

int cmd_run(const RunArgs &a)
{
	if (a.reference) {
		QuantReport qr;
		Compiled c = compile_quantized(a.target, model_name_from_path(a.target), parse_shapes(a.shapes),
					       a.quant, &qr);
		if (a.quant.enabled())
			std::cerr << qr.text() << "\n";
		json m = make_manifest(c);
		std::vector<Port> out = meta_ports(m, "outputs");
		check_output_count(a.outputs, out.size());
		std::vector<Tensor> in = read_inputs(a.inputs, meta_ports(m, "inputs"));
		write_outputs(a.outputs, out, run_reference(a, c, in));
		return 0;
	}
	if (!a.shapes.empty())
		throw UsageError("--shape applies to --reference runs; a loaded model's shapes are fixed");
	if (a.quant.enabled())
		throw UsageError("--quantize and --calibrate apply to --reference runs; a loaded model "
				 "is quantised when it is loaded (kinfer load --quantize int8)");
	require_module();
	json m = read_meta(loaded_dir(a.target));
	std::vector<Port> out = meta_ports(m, "outputs");
	check_output_count(a.outputs, out.size());
	std::vector<Tensor> in = read_inputs(a.inputs, meta_ports(m, "inputs"));
	std::vector<uint64_t> ns(std::max(1u, a.repeat));
	write_outputs(a.outputs, out, run_loaded(a.target, in, &ns));
	if (a.repeat)
		report_timing(a, ns, "kernel");
	return 0;
}

int cmd_inspect(const std::string &file, const std::string &name, bool as_json,
		const std::vector<std::string> &shapes, const QuantOptions &quant)
{
	std::string model = name.empty() ? model_name_from_path(file) : name;
	check_model_name(model);
	QuantReport qr;
	json m = make_manifest(compile_quantized(file, model, parse_shapes(shapes), quant, &qr));
	if (quant.enabled())
		m["quantize"] = qr.to_json();
	if (as_json) {
		std::cout << m.dump(2) << "\n";
		return 0;
	}
	if (quant.enabled())
		std::cout << qr.text() << "\n";
	print_manifest(std::cout, m);
	return 0;
}

int cmd_list(bool as_json)
{
	require_module();
	json list = json::array();
	std::vector<std::string> names;
	if (DIR *d = opendir(kPinRoot)) {
		while (dirent *e = readdir(d))
			if (valid_model_name(e->d_name))	// not tasks/, events
				names.push_back(e->d_name);
		closedir(d);
	}
	for (const std::string &r : registered_models())
		if (std::find(names.begin(), names.end(), r) == names.end())
			names.push_back(r);
	std::sort(names.begin(), names.end());
	for (const std::string &n : names) {
		json e{{"name", n}, {"registered", model_registered(n)}};
		std::string dir = model_pin_dir(n);
		e["pinned"] = path_exists(dir);
		// Typed reads inside the try: one model's damaged meta map
		// makes its own row an error, not the whole listing.
		try {
			json m = runtime_manifest(n, dir);
			json row{{"model_id", m.value("model_id", 0u)},
				 {"prog_id", m.at("prog").at("id").get<unsigned>()},
				 {"nodes", m.at("nodes").size()},
				 {"arena_bytes", m.at("arena_bytes").get<unsigned long long>()},
				 {"weights_bytes", m.at("weights_bytes").get<unsigned long long>()},
				 {"source", m.at("source").get<std::string>()}};
			e.update(row);
		} catch (const std::exception &ex) {
			e["error"] = ex.what();
		}
		list.push_back(e);
	}
	if (as_json) {
		std::cout << list.dump(2) << "\n";
		return 0;
	}
	if (list.empty()) {
		std::cout << "no models loaded\n";
		return 0;
	}
	printf("%-24s %6s %8s %6s %12s %12s  %s\n", "NAME", "ID", "PROG_ID", "NODES", "ARENA", "WEIGHTS",
	       "SOURCE");
	for (const json &e : list) {
		if (e.contains("error")) {
			printf("%-24s  (%s)\n", e["name"].get<std::string>().c_str(),
			       e["error"].get<std::string>().c_str());
			continue;
		}
		printf("%-24s %6u %8u %6zu %12llu %12llu  %s\n", e["name"].get<std::string>().c_str(),
		       e["model_id"].get<unsigned>(), e["prog_id"].get<unsigned>(),
		       e["nodes"].get<size_t>(), e["arena_bytes"].get<unsigned long long>(),
		       e["weights_bytes"].get<unsigned long long>(),
		       e["source"].get<std::string>().c_str());
	}
	return 0;
}

int cmd_show(const std::string &name, bool as_json)
{
	require_module();
	json m = runtime_manifest(name, loaded_dir(name));
	if (as_json) {
		std::cout << m.dump(2) << "\n";
		return 0;
	}
	print_manifest(std::cout, m);
	if (!m["module"].empty()) {
		std::cout << "module (/sys/kernel/kinfer/models/" << name << "):\n";
		for (const auto &kv : m["module"].items())
			std::cout << "  " << kv.key() << " = " << kv.value().get<std::string>() << "\n";
	}
	return 0;
}

int cmd_unload(const std::string &name)
{
	unload_model(name);
	std::cout << "unloaded model '" << name << "'\n";
	return 0;
}

int cmd_dump(const std::string &name, const std::string &weight, bool as_json)
{
	require_module();
	WeightValue w = read_weight(name, weight);
	const HostTensor &t = w.t;
	if (!as_json) {
		print_tensor(weight, t);
		return 0;
	}
	json values = json::array();
	for (uint64_t i = 0; i < t.numel(); i++)
		if (t.dtype == DType::f32)
			values.push_back(t.as<float>()[i]);
		else
			values.push_back(t.get_int(i));
	std::cout << json{{"weight", weight}, {"map", w.map}, {"offset", w.offset},
			  {"dtype", dtype_str(t.dtype)}, {"shape", t.shape}, {"values", values}}.dump()
		  << "\n";
	return 0;
}

int cmd_ops(bool as_json)
{
	json onnx_ops = supported_op_list();
	json tflite_ops = tflite::supported_builtin_list();
	json kernel = json::array();
	for (const KernelOp &k : kernel_ops())
		kernel.push_back(json{{"id", k.id}, {"op", op_name(k.id)}, {"kfunc", op_kfunc(k.id)},
				      {"class", k.op_class}, {"attr_bytes", k.attr_bytes}});
	if (as_json) {
		std::cout << json{{"onnx", onnx_ops}, {"tflite", tflite_ops}, {"kernel", kernel}}.dump(2) << "\n";
		return 0;
	}
	std::cout << "ONNX operators (" << onnx_ops.size() << "):\n  " << supported_ops() << "\n";
	std::cout << "TFLite builtins (" << tflite_ops.size() << "):\n  " << tflite::supported_builtins() << "\n";
	std::cout << "kernel ops (" << kernel.size() << "):\n";
	for (const json &k : kernel)
		std::cout << "  " << std::setw(3) << k["id"].get<int>() << "  " << std::left << std::setw(16)
			  << k["op"].get<std::string>() << std::setw(24) << k["kfunc"].get<std::string>()
			  << k["class"].get<std::string>() << std::right << "\n";
	return 0;
}

namespace {

std::vector<std::string> read_records(const std::string &file)
{
	std::ifstream in(file, std::ios::binary);
	if (!in)
		throw InputError(file + ": cannot read (" + errno_name(errno) + ")");
	std::vector<std::string> r;
	uint8_t len[4];
	while (in.read((char *)len, 4)) {
		uint32_t n = len[0] | len[1] << 8 | len[2] << 16 | (uint32_t)len[3] << 24;
		std::string text(n, '\0');
		if (!in.read(text.data(), n))
			throw InputError(file + ": record " + std::to_string(r.size()) + " is cut short");
		r.push_back(std::move(text));
	}
	if (in.gcount())
		throw InputError(file + ": trailing bytes after record " + std::to_string(r.size()));
	return r;
}

std::vector<std::string> tokenize_inputs(const TokenizeArgs &a)
{
	if (!a.records.empty())
		return read_records(a.records);
	if (!a.texts.empty())
		return a.texts;
	std::ostringstream s;
	s << std::cin.rdbuf();
	return {s.str()};
}

} // namespace

int cmd_tokenize(const TokenizeArgs &a)
{
	if (a.max_len < 2)
		throw UsageError("--max-len must be at least 2 ([CLS] and [SEP])");
	std::vector<uint8_t> blob = build_vocab_blob(read_vocab(a.vocab));
	std::vector<int32_t> ids(a.max_len), mask(a.max_len);
	for (const std::string &text : tokenize_inputs(a)) {
		tokenize_text(blob, (const uint8_t *)text.data(), text.size(), a.max_len, ids.data(),
			      mask.data());
		size_t n = (size_t)std::count(mask.begin(), mask.end(), 1);
		if (a.json) {
			std::cout << json{{"ids", ids}, {"mask", mask}}.dump() << "\n";
			continue;
		}
		for (size_t i = 0; i < n; i++)
			std::cout << (i ? " " : "") << ids[i];
		std::cout << "\n";
	}
	return 0;
}

} // namespace kinfer
