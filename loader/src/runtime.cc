// SPDX-License-Identifier: GPL-2.0
#include "runtime.h"

#include "bpf_util.h"
#include "error.h"
#include "exec.h"
#include "module.h"
#include "naming.h"
#include "panels.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

namespace kinfer {

using nlohmann::json;

namespace {

constexpr const char *kLockDir = "/run/kinfer";

} // namespace

DType dtype_named(const std::string &s)
{
	for (DType t : {DType::f32, DType::i32, DType::i64, DType::boolean, DType::u8, DType::i8})
		if (dtype_str(t) == s)
			return t;
	return DType::none;
}

// The meta map is ours, but a pin can be replaced: every port is checked
// to be self-consistent before its sizes and offsets are used.
std::vector<Port> meta_ports(const json &m, const char *kind)
{
	std::vector<Port> r;
	for (const json &p : m.at(kind)) {
		Port port{p.at("name"), dtype_named(p.at("dtype").get<std::string>()),
			  p.at("shape").get<Shape>(), p.at("io_offset"), p.at("bytes")};
		uint64_t n = shape_numel(port.shape);
		size_t es = dtype_size(port.dtype);
		if (n == 0 || !es || port.bytes != n * es || port.io_off % 8)
			throw KernelError(std::string("meta map: ") + kind + " '" + port.name +
					  "' has inconsistent shape, bytes or io_offset");
		r.push_back(std::move(port));
	}
	return r;
}


void check_inputs(const std::vector<HostTensor> &inputs, const std::vector<Port> &in)
{
	if (inputs.size() != in.size())
		throw InputError("the model takes " + std::to_string(in.size()) + " input(s), got " +
				 std::to_string(inputs.size()));
	for (size_t i = 0; i < in.size(); i++)
		if (inputs[i].dtype != in[i].dtype || inputs[i].shape != in[i].shape)
			throw InputError("input '" + in[i].name + "' is " + dtype_str(in[i].dtype) +
					 shape_str(in[i].shape) + ", got " + dtype_str(inputs[i].dtype) +
					 shape_str(inputs[i].shape));
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

// Exclusive per-model lock: one run at a time uses a CPU's io slot, and a
// swap exchanges the model's pins only between runs.
Fd lock_model(const std::string &name, const char *purpose)
{
	check_model_name(name);	// it becomes a file name
	make_dirs(kLockDir);
	std::string path = std::string(kLockDir) + "/" + name + purpose + ".lock";
	Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
	if (!fd)
		throw KernelError("cannot open " + path + ": " + errno_name(errno));
	if (flock(fd.get(), LOCK_EX) != 0)
		throw KernelError("cannot lock " + path + ": " + errno_name(errno));
	return fd;
}

namespace {

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

// A sleepable run takes a context from kinfer.ko's pool; when all
// max_sleepable_runs are in use the run returns -EBUSY before touching its
// io slot. That is transient: run again after a short back-off, a bounded
// number of times.
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

// Why a run failed, in words: the acquire status, or the node that failed
// (the module records it) with the ONNX nodes it came from.
std::string run_failure(const std::string &name, const json &m, int ret)
{
	std::string what = "model '" + name + "' ";
	switch (-ret) {
	case EBUSY:
		return what + "did not run: all of kinfer.ko's run contexts for sleepable runs stayed "
			      "busy (/sys/kernel/kinfer/sleepable_contexts_max; counted in "
			      "/sys/kernel/kinfer/models/" + name + "/busy)";
	case ENOMEM:
		return what + "did not run: kinfer.ko could not allocate a run context and its arena";
	case ENOENT:
		return what + "did not run: kinfer.ko has no model registered under the plan's id "
			      "(was it unregistered? kinfer unload " + name + " and load it again)";
	case EPROTO:
		return what + "did not run: its plan is for another kinfer ABI version than the "
			      "loaded kinfer.ko (load it again with a matching loader)";
	case E2BIG:
		return what + "did not run: it needs more arena or work than kinfer.ko allows here "
			      "(see arena_bytes and /sys/module/kinfer/parameters/budget_*)";
	case EOPNOTSUPP:
		return what + "did not run: kinfer refuses to run in this context";
	case EINVAL:
		if (std::pair<int, uint32_t> e = model_last_error(name); e.first)
			break;
		return what + "did not run: kinfer.ko refused its plan header";
	default:
		break;
	}
	std::string s = what + "failed: " + core_error_text(ret);
	std::pair<int, uint32_t> e = model_last_error(name);
	if (e.first) {
		const json &nodes = m.at("nodes");
		s += " at kernel node " + std::to_string(e.second);
		if (e.second < nodes.size()) {
			const json &n = nodes.at(e.second);
			s += " (" + n.at("op").get<std::string>();
			for (const json &o : n.at("onnx_nodes"))
				s += ", ONNX node '" + o.get<std::string>() + "'";
			s += ")";
		}
	}
	return s + "; see /sys/kernel/kinfer/models/" + name + "/";
}

// BPF_PROG_TEST_RUN times no syscall program: the module's own clock,
// from acquire (arena clearing included) to release, does.
uint64_t last_run_ns(const std::string &name)
{
	std::string v;
	std::string file = std::string(kSysfsRoot) + "/models/" + name + "/last_run_ns";
	if (!read_attr(file, v))
		throw KernelError(file + ": " + errno_name(errno));
	return std::stoull(v);
}

} // namespace

std::vector<HostTensor> run_loaded(const std::string &name, const std::vector<HostTensor> &inputs,
				   std::vector<uint64_t> *run_ns)
{
	require_module();
	Fd lock = lock_model(name);	// before reading anything a swap could exchange
	std::string dir = loaded_dir(name);
	json m = read_meta(dir);
	std::vector<Port> in = meta_ports(m, "inputs"), out = meta_ports(m, "outputs");
	check_inputs(inputs, in);
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
	std::vector<uint64_t> one(1);
	for (uint64_t &ns : run_ns ? *run_ns : one) {
		// Each run starts from the inputs: a model may write in its io.
		if (int err = bpf_map_update_elem(io.get(), &cpu, slot.data(), BPF_ANY))
			throw KernelError("cannot write the io slot: " + errno_name(-err));
		int ret = test_run_retrying_busy(prog.get());
		if (ret != 0)
			throw KernelError(run_failure(name, m, ret));
		if (run_ns)
			ns = last_run_ns(name);
	}

	slot = map_lookup(io.get(), cpu, io_info.value_size);
	std::vector<HostTensor> r;
	for (const Port &p : out) {
		if (p.io_off + p.bytes > slot.size())
			throw KernelError(dir + "/meta: output '" + p.name + "' lies outside the io slot");
		HostTensor t;
		t.dtype = p.dtype;
		t.shape = p.shape;
		t.data.assign(slot.begin() + p.io_off, slot.begin() + p.io_off + p.bytes);
		r.push_back(std::move(t));
	}
	return r;
}


WeightValue read_weight(const std::string &name, const std::string &weight)
{
	require_module();
	Fd lock = lock_model(name);	// a consistent snapshot of state between runs
	json m = read_meta(loaded_dir(name));
	for (const json &w : m.at("weights")) {
		if (w.at("weight") != weight)
			continue;
		WeightValue r;
		r.t.dtype = dtype_named(w.at("dtype").get<std::string>());
		r.t.shape = w.at("shape").get<Shape>();
		r.map = w.at("map").get<std::string>();
		r.offset = w.at("offset");
		uint64_t bytes = shape_numel(r.t.shape) * dtype_size(r.t.dtype);
		std::string pin;
		for (const json &mp : m.at("maps"))
			if (mp.at("name") == w.at("map"))
				pin = mp.at("pin");
		Fd fd = obj_get(pin);
		MapInfo info = map_info(fd.get());
		if (!bytes || bytes != w.at("bytes").get<uint64_t>() || r.offset > info.value_size ||
		    bytes > info.value_size - r.offset)
			throw KernelError(pin + ": weight '" + weight + "' lies outside the map value");
		std::vector<uint8_t> value = map_lookup(fd.get(), 0, info.value_size);
		r.t.data.assign(value.begin() + (ptrdiff_t)r.offset,
				value.begin() + (ptrdiff_t)(r.offset + bytes));
		if (w.value("layout", "") == "panels") {	// the matrix, as the model has it
			Shape matrix = w.at("matrix").get<Shape>();
			if (matrix.size() != 2 || r.t.shape != panel_shape(matrix))
				throw KernelError(pin + ": weight '" + weight + "' is not the panels of " +
						  shape_str(matrix));
			r.t = from_panels(r.t, matrix);
		}
		return r;
	}
	throw KernelError("model '" + name + "' has no weight named '" + weight +
			  "' (kinfer show " + name + " lists them)");
}

void unload_model(const std::string &name)
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
}

} // namespace kinfer
