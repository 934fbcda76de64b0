// SPDX-License-Identifier: GPL-2.0
// kinfer_conformance: run ONNX node test cases (tests/conformance/
// generate.py) through kinfer and say, per case, passed, failed or
// unsupported (with the reason), as JSON lines.
//
//	kinfer_conformance --mode reference|kernel --out FILE INDEX [CASE...]
//
// INDEX is generate.py's index.json; the cases are its directory's
// subdirectories (all of them when none are named).
//
// reference: compile and run in userspace (the kernel's own checks and
//	      math, kinfer_core).
// kernel:    compile, load into kinfer.ko, run with BPF_PROG_TEST_RUN,
//	      unload; one process for every case.
//
// A case whose graph feeds an integer graph input into something kinfer
// needs constant (a Reshape's shape, Slice's starts) is compiled again
// with those inputs frozen to the test's values, as a deployed model would
// have them; the result records which inputs were frozen.
#include "compile.h"
#include "error.h"
#include "exec.h"
#include "load.h"
#include "onnx_reader.h"
#include "runtime.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

using namespace kinfer;
using nlohmann::json;

namespace {

struct DataSet {
	std::vector<HostTensor> in, out;
};

std::vector<std::string> list_dir(const std::string &dir, const std::string &prefix)
{
	std::vector<std::string> r;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (std::string(e->d_name).rfind(prefix, 0) == 0)
				r.push_back(e->d_name);
		closedir(d);
	}
	std::sort(r.begin(), r.end());
	return r;
}

HostTensor read_pb(const std::string &path)
{
	onnx::TensorProto tp;
	std::string bytes = read_file(path, 1ULL << 31);
	if (!tp.ParseFromString(bytes))
		throw InputError(path + ": not a TensorProto");
	Decoded d = decode_tensor(tp);
	if (!d.error.empty())
		throw InputError(path + ": the test tensor " + d.error);
	return std::move(d.t);
}

std::vector<DataSet> read_data(const std::string &dir)
{
	std::vector<DataSet> sets;
	for (const std::string &ds : list_dir(dir, "test_data_set_")) {
		DataSet s;
		std::string p = dir + "/" + ds;
		for (size_t i = 0; i < list_dir(p, "input_").size(); i++)
			s.in.push_back(read_pb(p + "/input_" + std::to_string(i) + ".pb"));
		for (size_t i = 0; i < list_dir(p, "output_").size(); i++)
			s.out.push_back(read_pb(p + "/output_" + std::to_string(i) + ".pb"));
		sets.push_back(std::move(s));
	}
	return sets;
}

// Graph inputs in order (initializers listed as inputs are not inputs).
std::vector<const onnx::ValueInfoProto *> graph_inputs(const onnx::ModelProto &m)
{
	std::vector<const onnx::ValueInfoProto *> r;
	for (const auto &v : m.graph().input()) {
		bool init = false;
		for (const auto &t : m.graph().initializer())
			init = init || t.name() == v.name();
		if (!init)
			r.push_back(&v);
	}
	return r;
}

// Turn integer graph inputs (those in `only`, or all) into initializers
// holding the data set's values; returns their names and marks their
// positions in `is_frozen`.
std::vector<std::string> freeze_int_inputs(onnx::ModelProto &m, const DataSet &ds,
					   std::vector<bool> &is_frozen,
					   const std::set<std::string> *only = nullptr)
{
	std::vector<std::string> frozen;
	std::vector<const onnx::ValueInfoProto *> in = graph_inputs(m);
	std::vector<std::string> names;
	for (size_t i = 0; i < in.size() && i < ds.in.size(); i++) {
		DType t = ds.in[i].dtype;
		if (t != DType::i64 && t != DType::i32)
			continue;
		if (only && !only->count(in[i]->name()))
			continue;
		onnx::TensorProto *tp = m.mutable_graph()->add_initializer();
		tp->set_name(in[i]->name());
		tp->set_data_type(dtype_to_onnx(t));
		for (int64_t d : ds.in[i].shape)
			tp->add_dims(d);
		tp->set_raw_data(std::string(ds.in[i].data.begin(), ds.in[i].data.end()));
		frozen.push_back(in[i]->name());
		is_frozen.at(i) = true;
	}
	// Drop them from the graph's inputs.
	auto *inputs = m.mutable_graph()->mutable_input();
	for (int i = inputs->size() - 1; i >= 0; i--)
		if (std::find(frozen.begin(), frozen.end(), inputs->Get(i).name()) != frozen.end())
			inputs->DeleteSubrange(i, 1);
	return frozen;
}

// Why a model error means "kinfer does not support this case" rather than
// a failure: the message says what is not supported.  Anything else fails.
std::string unsupported_reason(const std::string &msg)
{
	static const std::pair<std::regex, const char *> kinds[] = {
		{std::regex("unsupported operator '([^']+)'"), "operator"},
		{std::regex("operator domain '([^']+)' is not supported"), "domain"},
		{std::regex("no opset for the default ONNX domain"), "domain: ai.onnx.ml/preview only"},
		{std::regex("opset (\\d+) is not supported"), "opset"},
		{std::regex("the graph has no inputs"), "graph without inputs"},
		{std::regex("data type ([A-Z0-9_]+)"), "dtype"},
		{std::regex("is (float32|int32|int64|bool); \\S+ takes"), "dtype"},
		{std::regex("kinfer supports float32, int32, int64 and bool"), "dtype"},
		{std::regex("attribute '([^']+)' is not supported"), "attribute"},
		{std::regex("(empty tensors are not supported|is empty)"), "empty tensor"},
		{std::regex("training_mode"), "training mode"},
		{std::regex("must be a constant"), "runtime shape input"},
		{std::regex("is not a tensor"), "sequence or map"},
		{std::regex("(\\S+=\\S+ is not supported)"), "attribute value"},
		{std::regex("has rank (\\d+) .* the kernel takes at most"), "rank > 8"},
	};
	for (const auto &k : kinds) {
		std::smatch m;
		if (std::regex_search(msg, m, k.first))
			return std::string(k.second) + (m.size() > 1 && m[1].matched ? ": " + m[1].str() : "");
	}
	return "";
}

// |got - want| <= atol + rtol * |want|, NaN where NaN, exact for integers.
std::string compare(const HostTensor &got, const HostTensor &want, double rtol, double atol,
		    double &worst)
{
	if (got.dtype != want.dtype)
		return "dtype " + dtype_str(got.dtype) + ", expected " + dtype_str(want.dtype);
	if (got.shape != want.shape)
		return "shape " + shape_str(got.shape) + ", expected " + shape_str(want.shape);
	for (uint64_t i = 0; i < want.numel(); i++) {
		double g = got.get(i), w = want.get(i);
		if (std::isnan(w) || std::isnan(g)) {
			if (std::isnan(w) != std::isnan(g))
				return "element " + std::to_string(i) + ": got " + std::to_string(g) +
				       ", expected " + std::to_string(w);
			continue;
		}
		if (std::isinf(w) || std::isinf(g)) {
			if (g != w)
				return "element " + std::to_string(i) + ": got " + std::to_string(g) +
				       ", expected " + std::to_string(w);
			continue;
		}
		double err = std::fabs(g - w);
		worst = std::max(worst, err);
		if (got.dtype != DType::f32 ? err != 0 : err > atol + rtol * std::fabs(w))
			return "element " + std::to_string(i) + ": got " + std::to_string(g) + ", expected " +
			       std::to_string(w) + " (abs err " + std::to_string(err) + ")";
	}
	return "";
}

// The graph input a "must be a constant" error names, or "".
std::string named_input(const std::string &msg)
{
	static const std::regex re("\\(input '([^']+)'\\) must be a constant");
	std::smatch m;
	return std::regex_search(msg, m, re) ? m[1].str() : "";
}

// Compile with integer inputs frozen: first only those the errors name,
// one more per error (data inputs stay inputs); failing that, all of them.
// On failure `msg` is the last error and `frozen` stays empty.
void compile_frozen(onnx::ModelProto &model, const DataSet &ds, const std::string &path,
		    const std::string &name, Compiled &c, std::string &msg,
		    std::vector<std::string> &frozen, std::vector<bool> &is_frozen)
{
	std::set<std::string> names;
	for (int all = 0; all < 2; all++) {
		for (;;) {
			std::string input = named_input(msg);
			if (!all && (input.empty() || !names.insert(input).second))
				break;	// no name, or named before: freezing it did not help
			onnx::ModelProto m2 = model;
			std::vector<bool> fz(is_frozen.size(), false);
			std::vector<std::string> f = freeze_int_inputs(m2, ds, fz, all ? nullptr : &names);
			if (f.empty())
				break;
			try {
				c = compile_proto(m2, path, name);
				model = m2;
				frozen = f;
				is_frozen = fz;
				return;
			} catch (const ModelError &e) {
				msg = e.what();
			}
			if (all || msg.find("must be a constant") == std::string::npos)
				break;
		}
	}
}

struct Runner {
	bool kernel = false;
	int serial = 0;

	json run_case(const std::string &dir, double rtol, double atol, bool tensors_only)
	{
		std::string name = dir.substr(dir.rfind('/') + 1);
		std::string model_name = "cf" + std::to_string(serial++ % 1000);
		json r{{"case", name}, {"mode", kernel ? "kernel" : "reference"}};
		if (!tensors_only) {
			r["status"] = "unsupported";
			r["reason"] = "sequence, map or optional values";
			return r;
		}
		onnx::ModelProto model;
		std::vector<DataSet> sets;
		try {
			model = read_model(dir + "/model.onnx");
			sets = read_data(dir);
		} catch (const Error &e) {
			r["status"] = "unsupported";
			r["reason"] = unsupported_reason(e.what());
			if (r["reason"] == "")
				r["status"] = "fail";
			r["detail"] = e.what();
			return r;
		}
		std::vector<std::string> frozen;
		std::vector<bool> is_frozen(sets.empty() ? 0 : sets[0].in.size(), false);
		Compiled c;
		try {
			c = compile_proto(model, dir + "/model.onnx", model_name);
		} catch (const ModelError &e) {
			std::string msg = e.what();
			if (msg.find("must be a constant") != std::string::npos && !sets.empty())
				compile_frozen(model, sets[0], dir + "/model.onnx", model_name, c, msg,
					       frozen, is_frozen);
			if (frozen.empty()) {
				std::string why = unsupported_reason(msg);
				r["status"] = why.empty() ? "fail" : "unsupported";
				r["reason"] = why;
				r["detail"] = msg;
				return r;
			}
		} catch (const std::exception &e) {
			r["status"] = "fail";
			r["detail"] = std::string("internal error: ") + e.what();
			return r;
		}
		r["frozen"] = frozen;
		return execute(c, sets, is_frozen, rtol, atol, r);
	}

	json execute(const Compiled &c, const std::vector<DataSet> &sets,
		     const std::vector<bool> &is_frozen, double rtol, double atol, json &r)
	{
		const std::string &model = c.model;
		double worst = 0;
		try {
			if (kernel)
				load_model(c);
			for (size_t k = 0; k < sets.size(); k++) {
				const DataSet &ds = sets[k];
				std::vector<HostTensor> in;
				for (size_t i = 0; i < ds.in.size(); i++)
					if (i >= is_frozen.size() || !is_frozen[i])
						in.push_back(ds.in[i]);
				std::vector<HostTensor> out = kernel ? run_loaded(model, in)
								     : plan_run(c.lowered, c.plan, in);
				if (out.size() != ds.out.size())
					throw std::runtime_error("produced " + std::to_string(out.size()) +
								 " outputs, expected " +
								 std::to_string(ds.out.size()));
				for (size_t i = 0; i < out.size(); i++) {
					std::string bad = compare(out[i], ds.out[i], rtol, atol, worst);
					if (!bad.empty())
						throw std::runtime_error("data set " + std::to_string(k) +
									 ", output " + std::to_string(i) +
									 ": " + bad);
				}
			}
			r["status"] = "pass";
		} catch (const std::exception &e) {
			r["status"] = "fail";
			r["detail"] = e.what();
		}
		if (kernel) {
			try {
				unload_model(model);
			} catch (const std::exception &) {
			}
		}
		r["max_abs_err"] = worst;
		return r;
	}
};

} // namespace

int main(int argc, char **argv)
{
	Runner runner;
	std::string out_path, index_path;
	std::vector<std::string> names;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--mode" && i + 1 < argc)
			runner.kernel = std::string(argv[++i]) == "kernel";
		else if (a == "--out" && i + 1 < argc)
			out_path = argv[++i];
		else if (index_path.empty())
			index_path = a;
		else
			names.push_back(a);
	}
	if (out_path.empty() || index_path.empty()) {
		std::cerr << "usage: kinfer_conformance --mode reference|kernel --out FILE INDEX [CASE...]\n";
		return 2;
	}
	std::ifstream in(index_path);
	json index = json::parse(in, nullptr, false);
	if (index.is_discarded() || !index.is_array()) {
		std::cerr << index_path << ": not a conformance index\n";
		return 2;
	}
	std::string root = index_path.substr(0, index_path.rfind('/'));
	std::ofstream out(out_path);
	for (const json &e : index) {
		std::string name = e.at("name");
		if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end())
			continue;
		json r = runner.run_case(root + "/" + name, e.at("rtol"), e.at("atol"),
					 e.value("tensor_io", true));
		out << r.dump() << "\n";
		out.flush();
	}
	return 0;
}
