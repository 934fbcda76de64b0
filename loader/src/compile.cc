// SPDX-License-Identifier: GPL-2.0
#include "compile.h"

#include "emit.h"
#include "error.h"
#include "onnx_reader.h"
#include "validate.h"

#include <climits>
#include <cstdlib>
#include <iomanip>

namespace kinfer {

using nlohmann::json;

Compiled compile_model(const std::string &path, const std::string &model)
{
	Compiled c;
	c.file = path;
	char *abs = realpath(path.c_str(), nullptr);
	c.source = abs ? abs : path;
	free(abs);
	c.model = model;
	onnx::ModelProto proto = read_model(path);
	Graph g = validate_model(proto, path);
	c.lowered = lower_graph(g);
	c.plan = plan_model(c.lowered);
	std::string bad = plan_verify(c.lowered, c.plan);
	if (!bad.empty())
		throw std::logic_error(path + ": internal error: invalid arena plan: " + bad);
	c.names = weight_names(c.lowered);
	return c;
}

namespace {

json tensor_ref(const Compiled &c, int t)
{
	const LTensor &lt = c.lowered.tensors[t];
	return json{{"tensor", lt.name}, {"shape", lt.shape}, {"offset", c.plan.offset[t]},
		    {"bytes", lt.bytes}};
}

json node_json(const Compiled &c, size_t i)
{
	const LOp &op = c.lowered.ops[i];
	const kinfer_node &n = c.plan.nodes[i];
	json j{{"index", i},
	       {"op", op_name(op.op)},
	       {"kfunc", kfunc_name(kfunc_for_op(op.op))},
	       {"onnx_nodes", op.onnx_nodes},
	       {"dims", {n.dims[0], n.dims[1], n.dims[2], n.dims[3]}}};
	if (op.in0 >= 0)
		j["in0"] = tensor_ref(c, op.in0);
	if (op.in1 >= 0)
		j["in1"] = tensor_ref(c, op.in1);
	if (op.out >= 0)
		j["out"] = tensor_ref(c, op.out);
	if (op.op == KINFER_OP_INPUT || op.op == KINFER_OP_OUTPUT) {
		const LPort &port = (op.op == KINFER_OP_INPUT ? c.lowered.inputs : c.lowered.outputs)[op.io];
		j["io"] = json{{"name", port.name}, {"offset", n.io_off}, {"bytes", n.dims[0]}};
	}
	json ws = json::array();
	for (int w : {op.w0, op.w1})
		if (w >= 0)
			ws.push_back(json{{"name", c.lowered.weights[w].name},
					  {"map", c.names[w].map_name},
					  {"shape", c.lowered.weights[w].shape},
					  {"bytes", c.lowered.weights[w].bytes()}});
	j["weights"] = ws;
	return j;
}

json ports_json(const std::vector<LPort> &ports, const std::vector<uint32_t> &offs)
{
	json a = json::array();
	for (size_t i = 0; i < ports.size(); i++)
		a.push_back(json{{"name", ports[i].name}, {"shape", ports[i].shape},
				 {"dtype", "float32"}, {"io_offset", offs[i]}, {"bytes", ports[i].bytes}});
	return a;
}

size_t count_insns(const Compiled &c)
{
	EmitEnv env;
	env.weight_fd.assign(c.lowered.weights.size(), 0);
	return emit_syscall_program(c.lowered, c.plan, env).size();
}

} // namespace

json make_manifest(const Compiled &c)
{
	const std::string dir = model_pin_dir(c.model);
	json m;
	m["kinfer_manifest"] = 1;
	m["model"] = c.model;
	m["source"] = c.source;
	m["pin_dir"] = dir;
	m["arena_bytes"] = c.plan.arena_bytes;
	m["io_bytes"] = c.plan.io_bytes;
	m["plan_bytes"] = plan_config_bytes(c.plan);
	m["prog"] = json{{"name", prog_name(c.model)}, {"type", "syscall"}, {"pin", dir + "/" + kProgPin},
			 {"insns", count_insns(c)}, {"kfunc_calls", c.lowered.ops.size() + 2}};
	m["inputs"] = ports_json(c.lowered.inputs, c.plan.input_io_off);
	m["outputs"] = ports_json(c.lowered.outputs, c.plan.output_io_off);
	json nodes = json::array();
	for (size_t i = 0; i < c.lowered.ops.size(); i++)
		nodes.push_back(node_json(c, i));
	m["nodes"] = nodes;
	json tensors = json::array();
	for (size_t t = 0; t < c.lowered.tensors.size(); t++)
		tensors.push_back(json{{"name", c.lowered.tensors[t].name},
				       {"shape", c.lowered.tensors[t].shape},
				       {"offset", c.plan.offset[t]},
				       {"bytes", c.lowered.tensors[t].bytes},
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
	for (size_t w = 0; w < c.lowered.weights.size(); w++) {
		const LWeight &lw = c.lowered.weights[w];
		wbytes += lw.bytes();
		maps.push_back(json{{"role", "weight"}, {"name", c.names[w].map_name},
				    {"weight", lw.name}, {"source", lw.source}, {"shape", lw.shape},
				    {"pin", dir + "/" + c.names[w].pin_rel}, {"bytes", lw.bytes()},
				    {"max_entries", 1}});
	}
	m["maps"] = maps;
	m["weights_bytes"] = wbytes;
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

std::string tensor_text(const json &t)
{
	return t.at("tensor").get<std::string>() + shape_of(t.at("shape")) + "@" +
	       std::to_string(t.at("offset").get<uint64_t>());
}

} // namespace

void print_manifest(std::ostream &os, const json &m)
{
	os << "model " << m.at("model").get<std::string>() << "  (" << m.at("source").get<std::string>()
	   << ")\n";
	os << "  arena " << m.at("arena_bytes") << " bytes, io slot " << m.at("io_bytes")
	   << " bytes, plan " << m.at("plan_bytes") << " bytes, weights "
	   << human_bytes(m.at("weights_bytes").get<uint64_t>()) << "\n";
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
			os << "  " << p.at("name").get<std::string>() << " " << shape_of(p.at("shape"))
			   << " float32  io+" << p.at("io_offset") << " (" << p.at("bytes") << " bytes)\n";
	}
	os << "nodes:\n";
	for (const json &n : m.at("nodes")) {
		os << "  " << std::setw(3) << n.at("index").get<int>() << "  " << std::left << std::setw(10)
		   << n.at("op").get<std::string>() << std::setw(18) << n.at("kfunc").get<std::string>()
		   << std::right;
		if (n.contains("io") && n.at("op") == "INPUT")
			os << "io+" << n.at("io").at("offset") << " -> " << tensor_text(n.at("out"));
		else if (n.contains("io"))
			os << tensor_text(n.at("in0")) << " -> io+" << n.at("io").at("offset");
		else {
			os << tensor_text(n.at("in0"));
			if (n.contains("in1"))
				os << ", " << tensor_text(n.at("in1"));
			for (const json &w : n.at("weights"))
				os << ", " << w.at("name").get<std::string>() << shape_of(w.at("shape"));
			os << " -> " << tensor_text(n.at("out"));
		}
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
