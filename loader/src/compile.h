// SPDX-License-Identifier: GPL-2.0
// The offline half of the pipeline: parse -> import -> passes -> lower ->
// plan -> check, plus the manifest that `kinfer inspect` prints and
// `kinfer load` stores in the meta map for `kinfer show`.
#pragma once

#include "import.h"
#include "lower.h"
#include "naming.h"
#include "plan.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace kinfer {

struct Compiled {
	std::string file;		// as given
	std::string source;		// absolute path
	std::string model;		// model name
	Lowered lowered;
	Plan plan;
	std::vector<WeightNames> names;	// per weight map (plan.wmaps)
};

// Throws ModelError (exit 3) for anything wrong with the model.
Compiled compile_model(const std::string &path, const std::string &model,
		       const ShapeOverrides &shapes = {});
// The same from a model already in memory (tests, folding).
Compiled compile_proto(const onnx::ModelProto &proto, const std::string &file,
		       const std::string &model, const ShapeOverrides &shapes = {});

// The JSON manifest (schema "kinfer_manifest": 1).
nlohmann::json make_manifest(const Compiled &c);

// Human-readable rendering of a manifest (with runtime ids, if present).
void print_manifest(std::ostream &os, const nlohmann::json &m);

} // namespace kinfer
