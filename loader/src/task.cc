// SPDX-License-Identifier: GPL-2.0
#include "task.h"

#include "bpf_util.h"
#include "compile.h"
#include "error.h"
#include "load.h"
#include "module.h"
#include "naming.h"
#include "pipeline.h"
#include "runtime.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uapi/kinfer_call.h>
#include <uapi/kinfer_task.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <iostream>
#include <unistd.h>
#include <memory>

#ifndef KINFER_BPF_DIR
#define KINFER_BPF_DIR "build/bpf"
#endif

namespace kinfer {

using nlohmann::json;

namespace {

// The hook programs kinfer ships (bpf/hooks/): the object file, the
// program attached to the kernel hook, and the program whose
// kinfer_pipeline_call the pipeline replaces -- the hook itself when it
// classifies inline, else the runner the module runs in a worker.
struct Hook {
	const char *name;
	const char *object;
	const char *program;
	const char *caller;
	bool deferred;		// caller is the runner: audit only
	const char *what;
};

const Hook kHooks[] = {
	{"exec", "exec.bpf.o", "kinfer_exec", "kinfer_exec", false,
	 "exec command lines at lsm.s/bprm_check_security (sleepable, inline)"},
	{"file", "file.bpf.o", "kinfer_file_open", "kinfer_file_open", false,
	 "file paths at lsm.s/file_open (sleepable, inline)"},
	{"log", "log.bpf.o", "kinfer_log_line", "kinfer_log_drain", true,
	 "kernel log lines at tp_btf/console (any context; classified in a worker)"},
};

const Hook &find_hook(const std::string &name, const std::string &where)
{
	for (const Hook &h : kHooks)
		if (name == h.name)
			return h;
	std::string known;
	for (const Hook &h : kHooks)
		known += std::string(known.empty() ? "" : ", ") + h.name;
	throw InputError(where + ": hook: unknown hook \"" + name + "\" (kinfer has: " + known + ")");
}

std::string task_sysfs_dir(const std::string &task) { return std::string(kSysfsRoot) + "/tasks/" + task; }
std::string task_pin_dir(const std::string &task) { return std::string(kPinRoot) + "/tasks/" + task; }

bool task_registered(const std::string &task) { return path_exists(task_sysfs_dir(task)); }

std::string threshold_text(double v, const std::string &where)
{
	if (!std::isfinite(v) || v < -1 || v > 1)
		throw InputError(where + ": threshold: " + std::to_string(v) + " is outside [-1, 1]");
	char buf[32];
	snprintf(buf, sizeof(buf), "%.6f", v);
	return buf;
}

template <typename T>
T field(const json &j, const char *key, const std::string &file, T fallback)
{
	if (!j.contains(key))
		return fallback;
	try {
		return j.at(key).get<T>();
	} catch (const json::exception &e) {
		throw InputError(file + ": " + key + ": " + e.what());
	}
}

// Bit i: the pipeline's label i is one the task flags.
uint64_t flag_mask(const TaskManifest &t, const PipelineManifest &p)
{
	if (p.labels.size() > 64)
		throw InputError(t.file + ": pipeline: " + std::to_string(p.labels.size()) +
				 " labels; a task takes pipelines of at most 64");
	uint64_t mask = 0;
	for (const std::string &l : t.flag_labels) {
		bool found = false;
		for (size_t i = 0; i < p.labels.size(); i++)
			if (p.labels[i] == l) {
				mask |= 1ULL << i;
				found = true;
			}
		if (!found)
			throw InputError(t.file + ": flag_labels: \"" + l + "\" is not a label of " + p.file);
	}
	return mask;
}

struct ObjectCloser {
	void operator()(bpf_object *o) const { bpf_object__close(o); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;

struct LinkCloser {
	void operator()(bpf_link *l) const { bpf_link__destroy(l); }
};

Object open_hook(const Hook &hook)
{
	std::string path = hook_object_dir() + "/hooks/" + hook.object;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = kPinRoot);
	bpf_object *o = bpf_object__open_file(path.c_str(), &opts);
	if (!o)
		throw KernelError(sys_error("cannot open hook object " + path +
						    " (build it with make -C bpf, or set KINFER_BPF_DIR)",
					    errno));
	Object obj(o);
	int err = bpf_object__load(o);
	if (err)
		throw KernelError(sys_error("loading hook " + std::string(hook.name) + " from " + path +
						    " (the verifier log is above)",
					    err));
	return obj;
}

bpf_program *program_named(const Object &obj, const Hook &hook, const char *name)
{
	bpf_program *prog = bpf_object__find_program_by_name(obj.get(), name);
	if (!prog)
		throw KernelError(std::string("hook object ") + hook.object + " has no program " + name);
	return prog;
}

void copy_name(char *dst, size_t size, const std::string &src)
{
	std::memset(dst, 0, size);
	std::memcpy(dst, src.data(), std::min(src.size(), size - 1));
}

void fill_config(const Object &obj, const TaskManifest &t, const PipelineManifest &p, uint32_t id,
		 const std::string &pin)
{
	bpf_map *map = bpf_object__find_map_by_name(obj.get(), "task_config");
	if (!map)
		throw KernelError(std::string("hook object has no task_config map"));
	kinfer_task_config cfg{};
	cfg.task_id = id;
	cfg.text_bytes = p.max_bytes;
	cfg.flag_labels = flag_mask(t, p);
	copy_name(cfg.task, sizeof(cfg.task), t.name);
	copy_name(cfg.pipeline, sizeof(cfg.pipeline), t.name);
	copy_name(cfg.hook, sizeof(cfg.hook), t.hook);
	if (t.scope_uid >= 0) {
		cfg.scope |= KINFER_SCOPE_UID;
		cfg.scope_uid = (uint32_t)t.scope_uid;
	}
	uint32_t zero = 0;
	if (bpf_map_update_elem(bpf_map__fd(map), &zero, &cfg, BPF_ANY))
		throw KernelError(sys_error("writing the config map of task " + t.name, errno));
	obj_pin(bpf_map__fd(map), pin);
}

// Everything a task is made of, removed in the order that stops events
// first: the hook's link, the pipeline, the module's task, the pins.
// Returns what could not be removed.
std::vector<std::string> dismantle(const std::string &task)
{
	std::vector<std::string> left;
	std::string pins = task_pin_dir(task);
	if (path_exists(pins + "/link") && unlink((pins + "/link").c_str()))
		left.push_back(sys_error(pins + "/link", errno));
	try {
		if (path_exists(model_pin_dir(task)) || model_registered(task))
			unload_model(task);
	} catch (const Error &e) {
		left.push_back(e.what());
	}
	if (task_registered(task)) {
		try {
			write_attr(std::string(kSysfsRoot) + "/task_remove", task + "\n");
		} catch (const Error &e) {
			left.push_back(e.what());
		}
	}
	if (!remove_tree(pins))
		left.push_back(sys_error("removing " + pins, errno));
	return left;
}

// Removes a half-added task unless commit() was called.
class AddGuard {
public:
	explicit AddGuard(std::string task) : task_(std::move(task)) {}
	~AddGuard()
	{
		if (!committed_)
			for (const std::string &why : dismantle(task_))
				std::cerr << "kinfer: cleaning up task '" << task_ << "': " << why << "\n";
	}
	AddGuard(const AddGuard &) = delete;
	AddGuard &operator=(const AddGuard &) = delete;
	void commit() { committed_ = true; }

private:
	std::string task_;
	bool committed_ = false;
};

uint32_t task_id(const std::string &task)
{
	std::string f = task_sysfs_dir(task) + "/id", text;
	if (!read_attr(f, text))
		throw KernelError(sys_error("reading " + f, errno));
	return (uint32_t)std::stoul(text);
}

void apply_settings(const TaskManifest &t)
{
	set_task_setting(t.name, "mode", t.mode);
	set_task_setting(t.name, "threshold", t.threshold);
	set_task_setting(t.name, "on_error", t.on_error);
	set_task_setting(t.name, "sample_rate", std::to_string(t.sample_rate));
	if (t.max_tokens >= 0)
		set_task_setting(t.name, "max_tokens", std::to_string(t.max_tokens));
	set_task_setting(t.name, "enabled", t.enabled ? "1" : "0");
}

void attach_hook(const Object &obj, const Hook &hook, const std::string &pin)
{
	bpf_link *l = bpf_program__attach(program_named(obj, hook, hook.program));
	if (!l)
		throw KernelError(sys_error(std::string("attaching hook ") + hook.name, errno));
	std::unique_ptr<bpf_link, LinkCloser> link(l);
	int err = bpf_link__pin(l, pin.c_str());
	if (err)
		throw KernelError(sys_error("pinning " + pin, err));
}

kinfer_task_config read_config(const std::string &task)
{
	kinfer_task_config cfg{};
	Fd fd = obj_get(task_pin_dir(task) + "/config");
	std::vector<uint8_t> v = map_lookup(fd.get(), 0, sizeof(cfg));
	std::memcpy(&cfg, v.data(), sizeof(cfg));
	return cfg;
}

std::string cstr(const char *s, size_t n) { return std::string(s, strnlen(s, n)); }

json task_json(const std::string &task)
{
	json j{{"name", task}};
	for (const auto &kv : task_attributes(task))
		j[kv.first] = kv.second;
	try {
		kinfer_task_config cfg = read_config(task);
		j["hook"] = cstr(cfg.hook, sizeof(cfg.hook));
		j["text_bytes"] = cfg.text_bytes;
		j["flag_labels_mask"] = cfg.flag_labels;
		j["attached"] = path_exists(task_pin_dir(task) + "/link");
		if (cfg.scope & KINFER_SCOPE_UID)
			j["scope_uid"] = cfg.scope_uid;
	} catch (const Error &e) {
		j["error"] = e.what();
	}
	return j;
}

} // namespace

TaskManifest read_task_manifest(const std::string &file)
{
	json j = read_json(file);
	if (!j.is_object())
		throw InputError(file + ": a task manifest is a JSON object");
	static const char *known[] = {"name",	     "pipeline",    "hook",    "mode",
				      "threshold",   "on_error",    "sample_rate", "flag_labels",
				      "enabled",     "description", "scope",       "max_tokens"};
	for (const auto &kv : j.items())
		if (std::find_if(std::begin(known), std::end(known),
				 [&](const char *k) { return kv.key() == k; }) == std::end(known))
			throw InputError(file + ": " + kv.key() + ": unknown field");
	TaskManifest t;
	t.file = file;
	for (const char *req : {"name", "pipeline", "hook"})
		if (!j.contains(req))
			throw InputError(file + ": " + req + ": missing");
	t.name = field<std::string>(j, "name", file, "");
	if (!valid_model_name(t.name))
		throw InputError(file + ": name: \"" + t.name + "\" is not 1.." +
				 std::to_string(KINFER_NAME_MAX) + " characters of [A-Za-z0-9_-]");
	std::string pipeline = field<std::string>(j, "pipeline", file, "");
	t.pipeline = !pipeline.empty() && pipeline[0] == '/' ? pipeline : dir_of(file) + "/" + pipeline;
	t.hook = field<std::string>(j, "hook", file, "");
	find_hook(t.hook, file);
	t.mode = field<std::string>(j, "mode", file, t.mode);
	if (t.mode != "audit" && t.mode != "enforce")
		throw InputError(file + ": mode: \"" + t.mode + "\" is neither audit nor enforce");
	t.on_error = field<std::string>(j, "on_error", file, t.on_error);
	if (t.on_error != "allow" && t.on_error != "deny")
		throw InputError(file + ": on_error: \"" + t.on_error + "\" is neither allow nor deny");
	t.threshold = threshold_text(field<double>(j, "threshold", file, 0.5), file);
	int64_t rate = field<int64_t>(j, "sample_rate", file, 1);
	if (rate < 1 || rate > 1000000)
		throw InputError(file + ": sample_rate: " + std::to_string(rate) + " is outside 1..1000000");
	t.sample_rate = (uint32_t)rate;
	t.max_tokens = field<int64_t>(j, "max_tokens", file, -1);
	if (j.contains("max_tokens") && (t.max_tokens < 0 || t.max_tokens == 1 || t.max_tokens > 65536))
		throw InputError(file + ": max_tokens: " + std::to_string(t.max_tokens) +
				 " is neither 0 (the pipeline's length) nor 2..65536");
	t.enabled = field<bool>(j, "enabled", file, true);
	t.flag_labels = field<std::vector<std::string>>(j, "flag_labels", file, {});
	json scope = field<json>(j, "scope", file, json::object());
	if (!scope.is_object())
		throw InputError(file + ": scope: an object, e.g. {\"uid\": 1000}");
	for (const auto &kv : scope.items()) {
		if (kv.key() != "uid")
			throw InputError(file + ": scope." + kv.key() + ": unknown field (scopes: uid)");
		if (!kv.value().is_number_unsigned() || kv.value().get<uint64_t>() > UINT32_MAX - 1)
			throw InputError(file + ": scope.uid: a user id, 0.." + std::to_string(UINT32_MAX - 1));
		t.scope_uid = kv.value().get<int64_t>();
	}
	if (t.flag_labels.empty())
		throw InputError(file + ": flag_labels: name at least one label the task flags");
	return t;
}

std::string hook_object_dir()
{
	const char *env = getenv("KINFER_BPF_DIR");
	return env && *env ? env : KINFER_BPF_DIR;
}

const std::vector<std::string> &task_settings()
{
	static const std::vector<std::string> keys{"enabled",	  "mode",	 "threshold",
						   "on_error",	  "sample_rate", "max_tokens"};
	return keys;
}

void set_task_setting(const std::string &task, const std::string &key, const std::string &value)
{
	const auto &keys = task_settings();
	if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
		std::string known;
		for (const std::string &k : keys)
			known += (known.empty() ? "" : ", ") + k;
		throw UsageError("task setting '" + key + "' does not exist (settings: " + known + ")");
	}
	if (!task_registered(task))
		throw UsageError("no task named '" + task + "' (see kinfer task list)");
	write_attr(task_sysfs_dir(task) + "/" + key, value + "\n");
}

std::map<std::string, std::string> task_attributes(const std::string &task)
{
	std::map<std::string, std::string> attrs;
	std::string dir = task_sysfs_dir(task);
	DIR *d = opendir(dir.c_str());
	if (!d)
		throw UsageError("no task named '" + task + "' (see kinfer task list)");
	while (dirent *e = readdir(d)) {
		std::string text;
		if (e->d_name[0] != '.' && read_attr(dir + "/" + e->d_name, text))
			attrs[e->d_name] = text;
	}
	closedir(d);
	return attrs;
}

std::vector<std::string> registered_tasks()
{
	std::vector<std::string> names;
	std::string dir = std::string(kSysfsRoot) + "/tasks";
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				names.push_back(e->d_name);
		closedir(d);
	}
	std::sort(names.begin(), names.end());
	return names;
}

std::map<uint32_t, std::string> task_names()
{
	std::map<uint32_t, std::string> names;
	for (const std::string &t : registered_tasks()) {
		try {
			names[task_id(t)] = t;
		} catch (const std::exception &) {
			// removed meanwhile
		}
	}
	return names;
}

int cmd_task_add(const std::string &manifest)
{
	TaskManifest t = read_task_manifest(manifest);
	PipelineManifest p;
	try {
		p = read_pipeline_manifest(t.pipeline);
	} catch (const InputError &e) {
		throw InputError(manifest + ": pipeline: " + e.what());
	}
	const Hook &hook = find_hook(t.hook, manifest);
	flag_mask(t, p);
	if (hook.deferred && t.mode == "enforce")
		throw InputError(manifest + ": mode: hook \"" + t.hook + "\" classifies after the event "
				 "(in a worker), so it can only audit");
	if (p.max_bytes > KINFER_CALL_TEXT_BYTES)
		throw InputError(t.pipeline + ": max_bytes " + std::to_string(p.max_bytes) +
				 " is more than a hook passes (" + std::to_string(KINFER_CALL_TEXT_BYTES) + ")");
	Compiled c = compile_model(p.model, t.name);
	check_pipeline(c, p);
	if (c.lowered.inputs.size() != 2)
		throw InputError(t.pipeline + ": the pipeline has no max_tokens input, so the task's "
				 "max_tokens could not reach its tokenizer (export it again with kinfer.nlp)");
	require_module();
	ensure_bpffs();
	if (task_registered(t.name) || path_exists(task_pin_dir(t.name)))
		throw UsageError("task '" + t.name + "' exists (kinfer task remove " + t.name + " first)");
	if (model_registered(t.name) || path_exists(model_pin_dir(t.name)))
		throw UsageError("a model named '" + t.name + "' is loaded; the task's pipeline takes "
				 "that name (kinfer unload " + t.name + " first)");

	AddGuard guard(t.name);
	write_attr(std::string(kSysfsRoot) + "/task_add", t.name + " " + t.name + "\n");
	uint32_t id = task_id(t.name);
	std::string pins = task_pin_dir(t.name);
	make_dirs(pins);
	Object obj = open_hook(hook);
	bpf_program *caller = program_named(obj, hook, hook.caller);
	int err = bpf_program__pin(caller, (pins + "/caller").c_str());
	if (err)
		throw KernelError(sys_error("pinning " + pins + "/caller", err));
	fill_config(obj, t, p, id, pins + "/config");
	LoadOptions opts;
	opts.attach = pins + "/caller";
	opts.pipeline = p.meta();
	load_model(c, opts);
	if (hook.deferred)
		write_attr(task_sysfs_dir(t.name) + "/runner", std::to_string(bpf_program__fd(caller)) + "\n");
	apply_settings(t);
	attach_hook(obj, hook, pins + "/link");
	guard.commit();
	std::cout << "added task '" << t.name << "' (id " << id << "): " << hook.what << ", "
		  << t.mode << ", threshold " << t.threshold << ", pipeline " << p.kind << " with "
		  << p.labels.size() << " labels" << (t.enabled ? "" : ", disabled") << "\n";
	return 0;
}

int cmd_task_remove(const std::string &name)
{
	require_module();
	if (!task_registered(name) && !path_exists(task_pin_dir(name)))
		throw UsageError("no task named '" + name + "' (see kinfer task list)");
	std::vector<std::string> left = dismantle(name);
	if (!left.empty()) {
		std::string all;
		for (const std::string &why : left)
			all += "\n  " + why;
		throw KernelError("task '" + name + "' was not removed completely:" + all);
	}
	std::cout << "removed task '" << name << "'\n";
	return 0;
}

int cmd_task_list(bool as_json)
{
	require_module();
	json list = json::array();
	for (const std::string &t : registered_tasks())
		list.push_back(task_json(t));
	if (as_json) {
		std::cout << list.dump(2) << "\n";
		return 0;
	}
	if (list.empty()) {
		std::cout << "no tasks\n";
		return 0;
	}
	printf("%-20s %4s %-6s %-7s %-8s %9s %10s %8s %8s %7s\n", "TASK", "ID", "HOOK", "ENABLED",
	       "MODE", "THRESHOLD", "EVENTS", "FLAGGED", "DENIED", "ERRORS");
	for (const json &e : list) {
		auto s = [&](const char *k) { return e.value(k, std::string("?")); };
		printf("%-20s %4s %-6s %-7s %-8s %9s %10s %8s %8s %7s\n", s("name").c_str(), s("id").c_str(),
		       s("hook").c_str(), s("enabled") == "1" ? "yes" : "no", s("mode").c_str(),
		       s("threshold").c_str(), s("events").c_str(), s("flagged").c_str(),
		       s("denied").c_str(), s("errors").c_str());
	}
	return 0;
}

int cmd_task_show(const std::string &name, bool as_json)
{
	require_module();
	json j = task_json(name);
	if (as_json) {
		std::cout << j.dump(2) << "\n";
		return 0;
	}
	std::cout << "task " << name << " (/sys/kernel/kinfer/tasks/" << name << ", "
		  << task_pin_dir(name) << ")\n";
	for (const auto &kv : j.items())
		if (kv.key() != "name")
			std::cout << "  " << kv.key() << " = "
				  << (kv.value().is_string() ? kv.value().get<std::string>() : kv.value().dump())
				  << "\n";
	return 0;
}

int cmd_task_set(const std::string &name, const std::vector<std::string> &assignments)
{
	require_module();
	for (const std::string &a : assignments) {
		size_t eq = a.find('=');
		if (eq == std::string::npos || eq == 0)
			throw UsageError("expected KEY=VALUE, got '" + a + "'");
		set_task_setting(name, a.substr(0, eq), a.substr(eq + 1));
		std::cout << name << ": " << a.substr(0, eq) << " = " << a.substr(eq + 1) << "\n";
	}
	return 0;
}

int cmd_task_enable(const std::string &name, bool enable)
{
	require_module();
	set_task_setting(name, "enabled", enable ? "1" : "0");
	std::cout << (enable ? "enabled" : "disabled") << " task '" << name << "'\n";
	return 0;
}

} // namespace kinfer
