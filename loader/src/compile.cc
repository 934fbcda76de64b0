// SPDX-License-Identifier: GPL-2.0
#include "compile.h"
#include "tf_import.h"
#include "tflite/reader.h"
#include "tflite/translate.h"

#include "emit.h"
#include "error.h"
#include "exec.h"
#include "onnx_reader.h"
#include "ops.h"
#include "passes.h"

#include <climits>
#include <cstdlib>
#include <iomanip>

namespace kinfer {

using nlohmann::json;

Compiled compile_proto(const onnx::ModelProto &proto, const std::string &file, const std::string &model,
		       const ShapeOverrides &shapes)
{
	Compiled c;
	c.file = file;
	char *abs = realpath(file.c_str(), nullptr);
	c.source = abs ? abs : file;
	free(abs);
	c.model = model;
	Graph g = import_model(proto, file, shapes);
	run_passes(g);
	c.lowered = lower_graph(g);
	c.plan = plan_model(c.lowered);
	std::string bad = plan_verify(c.lowered, c.plan);
	if (!bad.empty())
		throw std::logic_error(file + ": internal error: invalid arena plan: " + bad);
	plan_check(c.lowered, c.plan);
	c.names = weight_names(c.lowered, c.plan);
	return c;
}

Compiled compile_model(const std::string &path, const std::string &model, const ShapeOverrides &shapes)
{
	if (is_tf_source(path)) {
		TfConversion onnx(path, shapes);
		return compile_proto(read_model(onnx.onnx()), path, model, shapes);
	}
	if (tflite::is_tflite(path))
		return compile_proto(tflite::to_onnx(tflite::read_model(path)), path, model, shapes);
	return compile_proto(read_model(path), path, model, shapes);
}

namespace {

json ref_json(const Compiled &c, const LRef &r)
{
	if (!r.present())
		return nullptr;
	json j{{"dtype", dtype_str(r.dtype)}, {"shape", r.shape}, {"bytes", r.bytes()}};
	switch (r.kind) {
	case LRef::Kind::arena:
		j["tensor"] = c.lowered.storages[r.index].name;
		j["offset"] = c.plan.offset[r.index] + r.byte_off;
		break;
	case LRef::Kind::weight:
		j["weight"] = c.lowered.weights[r.index].name;
		j["map"] = c.names[c.plan.wmap_of[r.index]].map_name;
		break;
	case LRef::Kind::io:
		j["io"] = true;
		break;
	default:
		break;
	}
	return j;
}

json node_json(const Compiled &c, size_t i)
{
	const LOp &op = c.lowered.ops[i];
	json j{{"index", i}, {"op", op_name(op.op)}, {"kfunc", op_kfunc(op.op)},
	       {"onnx_nodes", op.onnx_nodes}};
	json in = json::array(), out = json::array(), binds = json::array();
	for (const LRef &r : op.in)
		in.push_back(ref_json(c, r));
	for (const LRef &r : op.out)
		out.push_back(ref_json(c, r));
	for (const BindRef &b : node_binds(op, c.plan))
		binds.push_back(b.kind == LRef::Kind::io ? std::string("io") : c.names[b.index].map_name);
	j["in"] = in;
	j["out"] = out;
	j["binds"] = binds;
	bool input = op.op == KINFER_OP_INPUT;
	const LRef *io = input ? &op.in[0] : op.op == KINFER_OP_OUTPUT ? &op.out[0] : nullptr;
	if (io && io->kind == LRef::Kind::io) {	// (the state's are weights)
		const LRef &io_ref = *io;
		const LPort &port = (input ? c.lowered.inputs : c.lowered.outputs)[io_ref.index];
		uint32_t off = (input ? c.plan.input_io_off : c.plan.output_io_off)[io_ref.index];
		j["io"] = json{{"name", port.name}, {"offset", off}, {"bytes", port.bytes}};
	}
	return j;
}

json ports_json(const std::vector<LPort> &ports, const std::vector<uint32_t> &offs)
{
	json a = json::array();
	for (size_t i = 0; i < ports.size(); i++)
		a.push_back(json{{"name", ports[i].name}, {"shape", ports[i].shape},
				 {"dtype", dtype_str(ports[i].dtype)}, {"io_offset", offs[i]},
				 {"bytes", ports[i].bytes}});
	return a;
}

size_t count_insns(const Compiled &c)
{
	EmitEnv env;
	env.weight_fd.assign(c.plan.wmaps.size(), 0);
	return emit_syscall_program(c.lowered, c.plan, env).size();
}

} // namespace

json make_manifest(const Compiled &c)
{
	const std::string dir = model_pin_dir(c.model);
	json m;
	m["kinfer_manifest"] = 2;
	m["model"] = c.model;
	m["source"] = c.source;
	m["pin_dir"] = dir;
	m["abi_version"] = KINFER_ABI_VERSION;
	m["arena_bytes"] = c.plan.arena_bytes;
	m["arena_naive_bytes"] = c.plan.naive_bytes;
	m["io_bytes"] = c.plan.io_bytes;
	m["plan_bytes"] = plan_config_bytes(c.plan);
	m["work"] = c.plan.work;
	size_t binds = 0;
	for (const LOp &op : c.lowered.ops)
		binds += node_binds(op, c.plan).size();
	m["prog"] = json{{"name", prog_name(c.model)}, {"type", "syscall"}, {"pin", dir + "/" + kProgPin},
			 {"insns", count_insns(c)}, {"kfunc_calls", c.lowered.ops.size() + binds + 2},
			 {"kfuncs", plan_kfuncs(c.lowered)}};
	m["inputs"] = ports_json(c.lowered.inputs, c.plan.input_io_off);
	m["outputs"] = ports_json(c.lowered.outputs, c.plan.output_io_off);
	json nodes = json::array();
	for (size_t i = 0; i < c.lowered.ops.size(); i++)
		nodes.push_back(node_json(c, i));
	m["nodes"] = nodes;
	json tensors = json::array();
	for (size_t t = 0; t < c.lowered.storages.size(); t++)
		tensors.push_back(json{{"name", c.lowered.storages[t].name},
				       {"offset", c.plan.offset[t]},
				       {"bytes", c.lowered.storages[t].bytes},
				       {"live", {c.plan.first[t], c.plan.last[t]}}});
	m["tensors"] = tensors;
	json maps = json::array();
	auto own = [&](const OwnMap &map) {
		return json{{"role", map.role}, {"name", own_map_name(map, c.model)},
			    {"pin", dir + "/" + map.role}};
	};
	maps.push_back(own(kConfigMap));
	maps.back().update({{"bytes", plan_config_bytes(c.plan)}, {"max_entries", 1}});
	maps.push_back(own(kIoMap));
	maps.back().update({{"bytes", c.plan.io_bytes}, {"max_entries", "possible CPUs"}});
	maps.push_back(own(kMetaMap));
	maps.back().update({{"max_entries", 1}});
	uint64_t wbytes = 0;
	json weights = json::array();
	for (size_t w = 0; w < c.lowered.weights.size(); w++) {
		const LWeight &lw = c.lowered.weights[w];
		wbytes += lw.bytes();
		json jw{{"weight", lw.name}, {"source", lw.source},
			{"dtype", dtype_str(lw.t.dtype)}, {"shape", lw.t.shape},
			{"map", c.names[c.plan.wmap_of[w]].map_name},
			{"offset", c.plan.woff[w]}, {"bytes", lw.bytes()}};
		if (!lw.matrix.empty()) {	// stored in panels: what it holds
			jw["layout"] = "panels";
			jw["matrix"] = lw.matrix;
		}
		weights.push_back(std::move(jw));
	}
	for (size_t k = 0; k < c.plan.wmaps.size(); k++) {
		const WeightMap &wm = c.plan.wmaps[k];
		json mp{{"role", wm.packed ? "packed" : "weight"}, {"name", c.names[k].map_name},
			{"pin", dir + "/" + c.names[k].pin_rel}, {"bytes", wm.bytes}, {"max_entries", 1}};
		if (!wm.packed)
			mp.update(weights[wm.weights[0]]);
		else
			mp["weights"] = wm.weights.size();
		maps.push_back(mp);
	}
	m["maps"] = maps;
	m["weights"] = weights;
	m["weights_bytes"] = wbytes;
	json state = json::array();
	for (const LState &st : c.lowered.state) {
		const LWeight &lw = c.lowered.weights[st.weight];
		state.push_back(json{{"name", st.name}, {"next", st.next}, {"weight", lw.name},
				     {"dtype", dtype_str(lw.t.dtype)}, {"shape", lw.t.shape}});
	}
	m["state"] = state;
	return m;
}

namespace {

std::string shape_of(const json &s)
{
	Shape sh = s.get<Shape>();
	return shape_str(sh);
}

std::string human_bytes(uint64_t b)
{
	char buf[64];
	if (b < 10 * 1024)
		snprintf(buf, sizeof(buf), "%llu B", (unsigned long long)b);
	else if (b < 10ULL * 1024 * 1024)
		snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, sizeof(buf), "%.1f MiB", b / 1048576.0);
	return buf;
}

std::string ref_text(const json &r)
{
	if (r.is_null())
		return "-";
	std::string s;
	if (r.contains("tensor"))
		s = r.at("tensor").get<std::string>();
	else if (r.contains("weight"))
		s = r.at("weight").get<std::string>();
	else
		s = "io";
	s += shape_of(r.at("shape"));
	if (r.at("dtype") != "float32")
		s += ":" + r.at("dtype").get<std::string>();
	if (r.contains("offset") && r.contains("tensor"))
		s += "@" + std::to_string(r.at("offset").get<uint64_t>());
	return s;
}

// A left-aligned column that never runs into the next one.
void column(std::ostream &os, const std::string &s, size_t width)
{
	os << std::left << std::setw((int)width) << s << std::right;
	if (s.size() >= width)
		os << ' ';
}

void print_node(std::ostream &os, const json &n)
{
	os << "  " << std::setw(3) << n.at("index").get<int>() << "  ";
	column(os, n.at("op").get<std::string>(), 10);
	column(os, n.at("kfunc").get<std::string>(), 18);
	std::string ins, outs;
	for (const json &r : n.at("in"))
		ins += (ins.empty() ? "" : ", ") + ref_text(r);
	for (const json &r : n.at("out"))
		outs += (outs.empty() ? "" : ", ") + ref_text(r);
	if (n.contains("io")) {
		const json &io = n.at("io");
		std::string at = "io+" + std::to_string(io.at("offset").get<uint64_t>());
		(n.at("op") == "INPUT" ? ins : outs) = at + " '" + io.at("name").get<std::string>() + "'";
	}
	os << ins << " -> " << outs;
	if (!n.at("onnx_nodes").empty()) {
		os << "  [";
		bool first = true;
		for (const json &o : n.at("onnx_nodes")) {
			os << (first ? "" : ", ") << o.get<std::string>();
			first = false;
		}
		os << "]";
	}
	os << "\n";
}

} // namespace

void print_manifest(std::ostream &os, const json &m)
{
	os << "model " << m.at("model").get<std::string>() << "  (" << m.at("source").get<std::string>()
	   << ")\n";
	uint64_t arena = m.at("arena_bytes").get<uint64_t>();
	uint64_t naive = m.value("arena_naive_bytes", arena);
	os << "  arena " << arena << " bytes (" << naive << " if no two tensors shared memory), io slot "
	   << m.at("io_bytes") << " bytes, plan " << m.at("plan_bytes") << " bytes, weights "
	   << human_bytes(m.at("weights_bytes").get<uint64_t>()) << ", work "
	   << m.value("work", (uint64_t)0) << " units\n";
	const json &prog = m.at("prog");
	os << "  prog " << prog.at("name").get<std::string>() << ": " << prog.at("type").get<std::string>()
	   << ", " << prog.at("insns") << " insns, " << prog.at("kfunc_calls") << " kfunc calls";
	if (prog.contains("id"))
		os << ", id " << prog.at("id");
	if (prog.value("run_cnt", 0) > 0)	/* counted only with kernel.bpf_stats_enabled */
		os << ", " << prog.at("run_cnt") << " runs";
	os << "\n";
	for (const char *kind : {"inputs", "outputs"}) {
		os << kind << ":\n";
		for (const json &p : m.at(kind))
			os << "  " << p.at("name").get<std::string>() << " " << shape_of(p.at("shape")) << " "
			   << p.at("dtype").get<std::string>() << "  io+" << p.at("io_offset") << " ("
			   << p.at("bytes") << " bytes)\n";
	}
	if (m.contains("state") && !m.at("state").empty()) {
		os << "state (read at the start of a run, written back at its end):\n";
		for (const json &s : m.at("state"))
			os << "  " << s.at("name").get<std::string>() << " " << shape_of(s.at("shape")) << " "
			   << s.at("dtype").get<std::string>() << "  <- " << s.at("next").get<std::string>()
			   << "\n";
	}
	os << "nodes:\n";
	for (const json &n : m.at("nodes"))
		print_node(os, n);
	os << "maps:\n";
	for (const json &mp : m.at("maps")) {
		os << "  " << std::left << std::setw(7) << mp.at("role").get<std::string>() << std::setw(16)
		   << mp.at("name").get<std::string>() << std::right;
		if (mp.contains("bytes"))
			os << std::setw(10) << human_bytes(mp.at("bytes").get<uint64_t>());
		else
			os << std::setw(10) << "-";
		if (mp.contains("id"))
			os << "  id " << mp.at("id");
		os << "  " << mp.at("pin").get<std::string>() << "\n";
	}
}

} // namespace kinfer
