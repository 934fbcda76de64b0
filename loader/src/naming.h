// SPDX-License-Identifier: GPL-2.0
// Names of models, kernel objects and pins.
//
//	/sys/fs/bpf/kinfer/<model>/prog, config, io, meta
//	/sys/fs/bpf/kinfer/<model>/weights/<initializer path, '/' as directories>
#pragma once

#include "lower.h"
#include "plan.h"

#include <string>
#include <vector>

namespace kinfer {

constexpr const char *kBpffsRoot = "/sys/fs/bpf";
constexpr const char *kPinRoot = "/sys/fs/bpf/kinfer";
constexpr size_t kObjNameMax = 15;	// BPF_OBJ_NAME_LEN - 1

// 1..KINFER_NAME_MAX chars of [A-Za-z0-9_-] (bpffs reserves names with a dot).
bool valid_model_name(const std::string &name);
// Throws UsageError explaining the rule.
void check_model_name(const std::string &name);
// A valid model name derived from a file name ("my model.onnx" -> "my_model").
std::string model_name_from_path(const std::string &path);

// Kernel object name of a weight map: drop a leading "params/", '/' -> '.',
// other characters outside [A-Za-z0-9_.] -> '_', keep the last 15 chars.
std::string weight_map_name(const std::string &initializer);

// The BPF objects every model has besides its weights, each spelled once:
// `role` names it in the manifest and is its pin path under the model's
// pin dir; `prefix` starts its kernel name (see own_map_name()).
struct OwnMap {
	const char *role;
	const char *prefix;
};
constexpr OwnMap kConfigMap{"config", "cfg"};
constexpr OwnMap kIoMap{"io", "io"};
constexpr OwnMap kMetaMap{"meta", "meta"};
constexpr const char *kProgPin = "prog";
// The link of a pipeline attached to a BPF program's kinfer_pipeline_call.
constexpr const char *kCallPin = "call";

// Kernel name of a model's own map: "<prefix>.<model>", cut to
// kObjNameMax, so `bpftool map show` tells two models' maps apart.
std::string own_map_name(const OwnMap &map, const std::string &model);
// "kinfer_<model>" truncated to 15 chars, '-' -> '_'.
std::string prog_name(const std::string &model);

std::string model_pin_dir(const std::string &model);

struct WeightNames {
	std::string map_name;	// kernel object name
	std::string pin_rel;	// relative to the model's pin dir: "weights/params/Dense_0/kernel"
};

// The packed weight map (see Plan::wmaps): its kernel name and pin.
constexpr const char *kPackedMapName = "packed_weights";
constexpr const char *kPackedPin = "_packed";

// One entry per weight map (Plan::wmaps): a map of one weight is named
// after the weight, the packed map kPackedMapName at weights/kPackedPin.  Path components are sanitized to [A-Za-z0-9_-]
// (bpffs refuses a name with a dot: bpf_lookup() reserves them)
// ("." and ".." become "_"); colliding paths get a "~N" suffix.
std::vector<WeightNames> weight_names(const Lowered &l, const Plan &p);

} // namespace kinfer
