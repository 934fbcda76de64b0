// SPDX-License-Identifier: GPL-2.0
#include "pipeline.h"

#include "attach.h"
#include "compile.h"
#include "error.h"
#include "load.h"
#include "module.h"
#include "naming.h"
#include "runtime.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace kinfer {

using nlohmann::json;

json read_json(const std::string &file)
{
	std::ifstream in(file);
	if (!in)
		throw InputError(file + ": cannot read (" + errno_name(errno) + ")");
	try {
		return json::parse(in);
	} catch (const json::exception &e) {
		throw InputError(file + ": not JSON: " + e.what());
	}
}

std::string dir_of(const std::string &file)
{
	size_t slash = file.rfind('/');
	return slash == std::string::npos ? "." : file.substr(0, slash);
}

namespace {

const Port *port_named(const std::vector<Port> &ports, const std::string &name)
{
	for (const Port &p : ports)
		if (p.name == name)
			return &p;
	return nullptr;
}

} // namespace

void check_pipeline(const Compiled &c, const PipelineManifest &m)
{
	json man = make_manifest(c);
	std::vector<Port> in = meta_ports(man, "inputs"), out = meta_ports(man, "outputs");
	auto fail = [&](const std::string &why) { throw ModelError(m.file + ": " + m.model + ": " + why); };
	if (in.empty() || in.size() > 2 || in[0].dtype != DType::u8 ||
	    in[0].shape != Shape{1, (int64_t)m.max_bytes})
		fail("the pipeline must take the text, uint8 [1, " + std::to_string(m.max_bytes) +
		     "] (max_bytes), and optionally max_tokens, int32 [1]");
	if (in.size() == 2 && !is_max_tokens_input(in[1].name, in[1].dtype, in[1].shape))
		fail("the pipeline's second input must be max_tokens, int32 [1], not '" + in[1].name + "'");
	const Port *label = port_named(out, "label"), *score = port_named(out, "score"),
		   *scores = port_named(out, "scores");
	if (!label || label->dtype != DType::i64 || shape_numel(label->shape) != 1 || !score ||
	    score->dtype != DType::f32 || shape_numel(score->shape) != 1)
		fail("the pipeline must output 'label' (int64 [1]) and 'score' (float32 [1])");
	if (scores && shape_numel(scores->shape) != m.labels.size())
		fail("'scores' has " + std::to_string(shape_numel(scores->shape)) + " values for " +
		     std::to_string(m.labels.size()) + " labels");
}

namespace {

HostTensor text_tensor(const std::string &text, uint32_t max_bytes)
{
	HostTensor t;
	t.dtype = DType::u8;
	t.shape = {1, (int64_t)max_bytes};
	t.data.assign(max_bytes, 0);
	std::memcpy(t.data.data(), text.data(), std::min<size_t>(text.size(), max_bytes));
	return t;
}

HostTensor max_tokens_tensor(int32_t max_tokens)
{
	HostTensor t;
	t.dtype = DType::i32;
	t.shape = {1};
	t.data.resize(sizeof(max_tokens));
	std::memcpy(t.data.data(), &max_tokens, sizeof(max_tokens));
	return t;
}

// The pipeline's inputs for one text: the text, and max_tokens when the
// pipeline takes it (0: its own length).
std::vector<HostTensor> pipeline_inputs(const std::string &name, const std::vector<Port> &in,
					const std::string &text, uint32_t max_bytes, int32_t max_tokens)
{
	std::vector<HostTensor> r{text_tensor(text, max_bytes)};
	if (in.size() == 2)
		r.push_back(max_tokens_tensor(max_tokens));
	else if (max_tokens)
		throw UsageError("pipeline '" + name + "' has no max_tokens input (export it again with kinfer.nlp)");
	return r;
}

} // namespace

json PipelineManifest::meta() const
{
	return json{{"kind", kind}, {"labels", labels}, {"threshold", threshold}, {"max_bytes", max_bytes}};
}

PipelineManifest read_pipeline_manifest(const std::string &file)
{
	json j = read_json(file);
	PipelineManifest m;
	m.file = file;
	try {
		m.name = j.value("name", "");
		m.kind = j.at("kind").get<std::string>();
		std::string model = j.at("model").get<std::string>();
		m.model = !model.empty() && model[0] == '/' ? model : dir_of(file) + "/" + model;
		m.labels = j.at("labels").get<std::vector<std::string>>();
		m.threshold = j.value("threshold", 0.5);
		int64_t max_bytes = j.at("max_bytes").get<int64_t>();
		if (max_bytes < 1 || max_bytes > (1 << 24))
			throw InputError(file + ": max_bytes " + std::to_string(max_bytes) + " is outside 1..2^24");
		m.max_bytes = (uint32_t)max_bytes;
	} catch (const json::exception &e) {
		throw InputError(file + ": " + e.what());
	}
	if (m.kind != "classifier" && m.kind != "similarity")
		throw InputError(file + ": kind must be \"classifier\" or \"similarity\", not \"" + m.kind + "\"");
	if (m.labels.empty())
		throw InputError(file + ": no labels");
	return m;
}

int cmd_pipeline_load(const std::string &manifest, const std::string &name, const std::string &attach)
{
	PipelineManifest m = read_pipeline_manifest(manifest);
	std::string model = name.empty() ? m.name : name;
	check_model_name(model);
	Compiled c = compile_model(m.model, model);
	check_pipeline(c, m);
	LoadOptions opts;
	opts.attach = attach;
	opts.pipeline = m.meta();
	LoadResult r = load_model(c, opts);
	std::cout << "loaded pipeline '" << model << "' (" << m.kind << ", " << m.labels.size()
		  << " labels, id " << r.model_id << ")" << (attach.empty() ? "" : ", attached to " + attach)
		  << "\n";
	return 0;
}

int cmd_classify(const std::string &name, const std::vector<std::string> &texts, bool as_json,
		 int32_t max_tokens)
{
	if (max_tokens < 0 || max_tokens == 1)
		throw UsageError("--max-tokens " + std::to_string(max_tokens) +
				 ": 0 (the pipeline's length) or at least 2 ([CLS] and [SEP])");
	require_module();
	json meta = read_meta(loaded_dir(name));
	if (!meta.contains("pipeline"))
		throw UsageError("model '" + name + "' is not a pipeline (load it with kinfer pipeline load)");
	const json &p = meta["pipeline"];
	std::vector<std::string> labels = p.at("labels").get<std::vector<std::string>>();
	double threshold = p.at("threshold").get<double>();
	uint32_t max_bytes = p.at("max_bytes").get<uint32_t>();
	std::vector<Port> in = meta_ports(meta, "inputs"), out = meta_ports(meta, "outputs");
	for (const std::string &text : texts) {
		std::vector<HostTensor> r = run_loaded(name, pipeline_inputs(name, in, text, max_bytes, max_tokens));
		int64_t index = -1;
		float score = 0;
		for (size_t i = 0; i < out.size(); i++) {
			if (out[i].name == "label")
				index = r[i].get_int(0);
			if (out[i].name == "score")
				score = r[i].as<float>()[0];
		}
		if (index < 0 || (size_t)index >= labels.size())
			throw KernelError("model '" + name + "' returned label index " + std::to_string(index) +
					  " for " + std::to_string(labels.size()) + " labels");
		bool below = score < threshold;
		if (as_json) {
			std::cout << json{{"label", labels[index]}, {"index", index}, {"score", score},
					  {"below_threshold", below}}
					     .dump()
				  << "\n";
			continue;
		}
		std::cout << labels[index] << "\t" << score << (below ? "\t(below threshold)" : "") << "\n";
	}
	return 0;
}

} // namespace kinfer
