// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

#include "bpf_util.h"
#include "compile.h"
#include "error.h"
#include "load.h"
#include "module.h"
#include "naming.h"
#include "reference.h"
#include "tensor_io.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <iostream>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

namespace kinfer {

using nlohmann::json;

namespace {

constexpr const char *kLockDir = "/run/kinfer";

struct Port {
	std::string name;
	Shape shape;
	uint32_t io_off = 0;
	uint64_t bytes = 0;
};

// The meta map is ours, but a pin can be replaced: every port is checked
// to be self-consistent before its sizes and offsets are used.
std::vector<Port> ports(const json &m, const char *kind)
{
	std::vector<Port> r;
	for (const json &p : m.at(kind)) {
		Port port{p.at("name"), p.at("shape").get<Shape>(), p.at("io_offset"),
			  p.at("bytes")};
		uint64_t n = shape_numel(port.shape);
		if (n == 0 || port.bytes != n * sizeof(float) || port.io_off % sizeof(float))
			throw KernelError(std::string("meta map: ") + kind + " '" + port.name +
					  "' has inconsistent shape, bytes or io_offset");
		r.push_back(std::move(port));
	}
	return r;
}

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
		if (t.shape != in[i].shape)
			throw InputError(files[i] + ": shape " + shape_str(t.shape) + " does not match input '" +
					 in[i].name + "' " + shape_str(in[i].shape));
		r.push_back(std::move(t));
	}
	return r;
}

void print_tensor(const std::string &name, const Tensor &t)
{
	std::cout << name << " " << shape_str(t.shape) << ":\n";
	size_t row = t.shape.empty() ? 1 : (size_t)t.shape.back();
	char buf[32];
	for (size_t i = 0; i < t.data.size(); i++) {
		snprintf(buf, sizeof(buf), "%.8g", t.data[i]);
		std::cout << (i % row ? " " : "  ") << buf;
		if ((i + 1) % row == 0 || i + 1 == t.data.size())
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

json read_meta(const std::string &dir)
{
	Fd fd = obj_get(dir + "/" + kMetaMap.role);
	MapInfo info = map_info(fd.get());
	std::vector<uint8_t> v = map_lookup(fd.get(), 0, info.value_size);
	json m = json::parse(v.begin(), v.end(), nullptr, false);
	if (m.is_discarded() || !m.is_object())
		throw KernelError(dir + "/meta does not hold a kinfer manifest");
	return m;
}

std::string loaded_dir(const std::string &name)
{
	check_model_name(name);
	std::string dir = model_pin_dir(name);
	if (!path_exists(dir))
		throw KernelError("no model named '" + name + "' is loaded (see kinfer list)");
	return dir;
}

// Exclusive per-model lock: one run at a time uses a CPU's io slot.
Fd lock_model(const std::string &name)
{
	make_dirs(kLockDir);
	std::string path = std::string(kLockDir) + "/" + name + ".lock";
	Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
	if (!fd)
		throw KernelError("cannot open " + path + ": " + errno_name(errno));
	if (flock(fd.get(), LOCK_EX) != 0)
		throw KernelError("cannot lock " + path + ": " + errno_name(errno));
	return fd;
}

// Stay on this CPU so the io slot written is the one the program reads
// (BPF_PROG_TEST_RUN runs the program on the calling CPU).
int pin_to_cpu()
{
	int cpu = sched_getcpu();
	if (cpu < 0)
		throw KernelError("sched_getcpu: " + errno_name(errno));
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		throw KernelError("sched_setaffinity: " + errno_name(errno));
	return cpu;
}

// The program is sleepable, so a run can be preempted between two kfuncs;
// another run (of any model) that then starts on the same CPU finds the
// CPU's context busy and returns -EBUSY before touching its io slot. That
// is transient: run again after a short back-off, a bounded number of times.
int test_run_retrying_busy(int prog_fd)
{
	constexpr int kAttempts = 12;
	int ret = -EBUSY;
	for (int attempt = 0; attempt < kAttempts && ret == -EBUSY; attempt++) {
		if (attempt)
			usleep(100u << std::min(attempt, 8));	// 0.2 ms .. 25.6 ms
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		if (int err = bpf_prog_test_run_opts(prog_fd, &opts))
			throw KernelError("BPF_PROG_TEST_RUN failed: " + errno_name(-err));
		ret = (int)opts.retval;
	}
	return ret;
}

std::vector<Tensor> run_in_kernel(const std::string &name, const std::string &dir, const json &m,
				  const std::vector<Tensor> &inputs)
{
	std::vector<Port> in = ports(m, "inputs"), out = ports(m, "outputs");
	Fd lock = lock_model(name);
	Fd prog = obj_get(dir + "/" + kProgPin);
	Fd io = obj_get(dir + "/" + kIoMap.role);
	MapInfo io_info = map_info(io.get());
	uint32_t cpu = (uint32_t)pin_to_cpu();
	if (cpu >= io_info.max_entries)
		throw KernelError("CPU " + std::to_string(cpu) + " has no io slot");

	std::vector<uint8_t> slot(io_info.value_size, 0);
	for (size_t i = 0; i < in.size(); i++) {
		if (in[i].io_off + in[i].bytes > slot.size())
			throw KernelError(dir + "/meta: input '" + in[i].name + "' lies outside the io slot");
		std::memcpy(slot.data() + in[i].io_off, inputs[i].data.data(), in[i].bytes);
	}
	if (int err = bpf_map_update_elem(io.get(), &cpu, slot.data(), BPF_ANY))
		throw KernelError("cannot write the io slot: " + errno_name(-err));

	int ret = test_run_retrying_busy(prog.get());
	if (ret != 0)
		throw KernelError("model '" + name + "' failed: the program returned " + std::to_string(ret) +
				  (ret < 0 ? " = -" + errno_name(-ret) : std::string()) +
				  "; see /sys/kernel/kinfer/models/" + name + "/errors and dmesg");

	slot = map_lookup(io.get(), cpu, io_info.value_size);
	std::vector<Tensor> r;
	for (const Port &p : out) {
		if (p.io_off + p.bytes > slot.size())
			throw KernelError(dir + "/meta: output '" + p.name + "' lies outside the io slot");
		Tensor t;
		t.shape = p.shape;
		t.data.resize(p.bytes / sizeof(float));
		std::memcpy(t.data.data(), slot.data() + p.io_off, p.bytes);
		r.push_back(std::move(t));
	}
	return r;
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

} // namespace

int cmd_load(const std::string &file, const std::string &name)
{
	check_model_name(name);
	Compiled c = compile_model(file, name);
	LoadResult r = load_model(c);
	std::cout << "loaded model '" << name << "' (id " << r.model_id << "): prog id " << r.prog_id
		  << ", " << c.lowered.ops.size() << " nodes, " << r.insns << " insns, arena "
		  << c.plan.arena_bytes << " bytes, pinned at " << model_pin_dir(name) << "\n";
	return 0;
}

int cmd_run(const RunArgs &a)
{
	if (a.reference) {
		Compiled c = compile_model(a.target, model_name_from_path(a.target));
		json m = make_manifest(c);
		std::vector<Port> out = ports(m, "outputs");
		check_output_count(a.outputs, out.size());
		std::vector<Tensor> in = read_inputs(a.inputs, ports(m, "inputs"));
		write_outputs(a.outputs, out, reference_run(c.lowered, c.plan, in));
		return 0;
	}
	require_module();
	std::string dir = loaded_dir(a.target);
	json m = read_meta(dir);
	std::vector<Port> out = ports(m, "outputs");
	check_output_count(a.outputs, out.size());
	std::vector<Tensor> in = read_inputs(a.inputs, ports(m, "inputs"));
	write_outputs(a.outputs, out, run_in_kernel(a.target, dir, m, in));
	return 0;
}

int cmd_inspect(const std::string &file, const std::string &name, bool as_json)
{
	std::string model = name.empty() ? model_name_from_path(file) : name;
	check_model_name(model);
	json m = make_manifest(compile_model(file, model));
	if (as_json)
		std::cout << m.dump(2) << "\n";
	else
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
			if (e->d_name[0] != '.')
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
	require_module();
	check_model_name(name);
	std::string dir = model_pin_dir(name);
	bool pinned = path_exists(dir), registered = model_registered(name);
	if (!pinned && !registered)
		throw KernelError("no model named '" + name + "' is loaded (see kinfer list)");
	if (pinned && !remove_tree(dir))
		throw KernelError("cannot remove " + dir + ": " + errno_name(errno));
	if (registered)
		unregister_model(name);
	std::cout << "unloaded model '" << name << "'\n";
	return 0;
}

} // namespace kinfer
