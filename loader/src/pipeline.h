// SPDX-License-Identifier: GPL-2.0
// Text pipelines from the shell: `kinfer pipeline load MANIFEST` and
// `kinfer classify NAME TEXT...`.  A pipeline is an ONNX graph (text uint8
// [1, N] and, optionally, max_tokens int32 [1] -> label, score, scores;
// kinfer.nlp writes one) plus a manifest,
// pipeline.json:
//
//	{"name": ..., "kind": "classifier" | "similarity",
//	 "model": "pipeline.onnx" (relative to the manifest),
//	 "labels": [one per score], "threshold": 0.5, "max_bytes": N, ...}
//
// The labels, kind and threshold are kept in the model's meta map, so
// classify needs nothing but the name.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kinfer {

struct PipelineManifest {
	std::string file;		// the manifest
	std::string model;		// the ONNX file, resolved
	std::string name, kind;
	std::vector<std::string> labels;
	double threshold = 0.5;
	uint32_t max_bytes = 0;

	nlohmann::json meta() const;	// what the meta map keeps
};

PipelineManifest read_pipeline_manifest(const std::string &file);

struct Compiled;
// Throws ModelError unless the compiled model is the pipeline the manifest
// describes (text uint8 [1, max_bytes] and optionally max_tokens int32 [1]
// in; label, score, scores out).
void check_pipeline(const Compiled &c, const PipelineManifest &m);

// Parse a JSON file; throws InputError naming it.
nlohmann::json read_json(const std::string &file);
// The directory part of a path ("." for none).
std::string dir_of(const std::string &file);

int cmd_pipeline_load(const std::string &manifest, const std::string &name, const std::string &attach);
// max_tokens: the token cap of every text (0: the pipeline's length).
int cmd_classify(const std::string &name, const std::vector<std::string> &texts, bool json,
		 int32_t max_tokens = 0);

} // namespace kinfer
