// SPDX-License-Identifier: GPL-2.0
// Loaded models at run time: their manifest (the meta map), running one
// with BPF_PROG_TEST_RUN, unloading it.  What `kinfer run`, `show` and
// `unload` do, as a library (the conformance runner uses it too).
#pragma once

#include "bpf_util.h"
#include "dtype.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kinfer {

// A graph input or output as the meta map records it.
struct Port {
	std::string name;
	DType dtype = DType::f32;
	Shape shape;
	uint32_t io_off = 0;
	uint64_t bytes = 0;
};

// "float32" -> DType::f32 (none if not a dtype name).
DType dtype_named(const std::string &s);

// The pin directory of a loaded model; throws KernelError if none.
std::string loaded_dir(const std::string &name);
// The manifest in the model's meta map.
nlohmann::json read_meta(const std::string &dir);
// "inputs" or "outputs" of a manifest, each checked to be self-consistent.
std::vector<Port> meta_ports(const nlohmann::json &m, const char *kind);
// Throws InputError unless `inputs` match the ports in count, dtype, shape.
void check_inputs(const std::vector<HostTensor> &inputs, const std::vector<Port> &in);

// The model's exclusive run lock (a file lock under /run), held by each run
// and by a swap while it exchanges the model's pins; with purpose ".swap",
// the lock one swap of the model holds from start to end.
Fd lock_model(const std::string &name, const char *purpose = "");

// Run a loaded model on this CPU; a failed run throws KernelError saying
// why (the acquire status, or the node that failed and its ONNX nodes).
// With `run_ns`, the model runs run_ns->size() times on the same inputs
// and each run's time in the module (models/<name>/last_run_ns: acquire
// to release, no syscall) lands there; the outputs are the last run's.
std::vector<HostTensor> run_loaded(const std::string &name, const std::vector<HostTensor> &inputs,
				   std::vector<uint64_t> *run_ns = nullptr);

// A weight's current value in a loaded model (state changes with each run),
// read under the model's run lock, and where it lives.
struct WeightValue {
	HostTensor t;
	std::string map;
	uint64_t offset = 0;
};
WeightValue read_weight(const std::string &name, const std::string &weight);

// Remove a model's pins and its registration with kinfer.ko.
void unload_model(const std::string &name);

} // namespace kinfer
