// SPDX-License-Identifier: GPL-2.0
// Tasks: a text pipeline on a kernel hook with an action (docs/tasks.md).
//
// A task manifest (JSON) names the task, its pipeline manifest, the hook
// and the settings it starts with:
//
//	{"name": "cmdline-guard", "pipeline": "pipeline.json", "hook": "exec",
//	 "mode": "audit" | "enforce", "threshold": 0.5, "on_error": "allow" | "deny",
//	 "sample_rate": 1, "flag_labels": ["malicious"], "enabled": true,
//	 "max_tokens": 0,		(optional: token cap, 0: the pipeline's length;
//					 absent: the module's task_max_tokens)
//	 "scope": {"uid": 1000}}	(optional: only that user's events)
//
// `kinfer task add` registers the task with kinfer.ko (tasks/<task>/ in
// sysfs), loads the hook programs, loads the pipeline as model <task> and
// attaches it to the caller's kinfer_pipeline_call, fills the config map
// and attaches the hook.  A deferred hook's caller is the task's runner,
// which the module runs in a worker (tasks/<task>/runner).  Pins:
//
//	/sys/fs/bpf/kinfer/tasks/<task>/caller	the program calling the pipeline
//	/sys/fs/bpf/kinfer/tasks/<task>/config	the hook's config map
//	/sys/fs/bpf/kinfer/tasks/<task>/link	the hook's attachment
//	/sys/fs/bpf/kinfer/events		the ring buffer all hooks share
//	/sys/fs/bpf/kinfer/<task>/		the pipeline, as any model
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kinfer {

struct TaskManifest {
	std::string file;
	std::string name, pipeline, hook;
	std::string mode = "audit", on_error = "allow", threshold = "0.5";
	uint32_t sample_rate = 1;
	int64_t max_tokens = -1;	// -1: the module's default
	bool enabled = true;
	std::vector<std::string> flag_labels;
	int64_t scope_uid = -1;		// "scope": {"uid": N}; -1: every event
};

// Throws InputError naming the file and the field.
TaskManifest read_task_manifest(const std::string &file);

// The settings a task's sysfs directory lets root change, in the order
// `kinfer task show` prints them.
const std::vector<std::string> &task_settings();

// Throws UsageError for an unknown setting; the kernel checks the value.
void set_task_setting(const std::string &task, const std::string &key, const std::string &value);
std::map<std::string, std::string> task_attributes(const std::string &task);
std::vector<std::string> registered_tasks();
// Task id -> name, for event readers.
std::map<uint32_t, std::string> task_names();

// Where the hook objects are: $KINFER_BPF_DIR, else the build tree's.
std::string hook_object_dir();

int cmd_task_add(const std::string &manifest);
int cmd_task_remove(const std::string &name);
int cmd_task_list(bool json);
int cmd_task_show(const std::string &name, bool json);
int cmd_task_set(const std::string &name, const std::vector<std::string> &assignments);
int cmd_task_enable(const std::string &name, bool enable);

} // namespace kinfer
