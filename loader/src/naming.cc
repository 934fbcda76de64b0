// SPDX-License-Identifier: GPL-2.0
#include "naming.h"

#include "error.h"

#include <set>

namespace kinfer {

// Kernel object names take [A-Za-z0-9_.]; bpffs paths (model names, pin
// components) take [A-Za-z0-9_-]: bpf_lookup() refuses a name with a dot.
static bool obj_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

static bool path_char(char c)
{
	return (c != '.' && obj_name_char(c)) || c == '-';
}

bool valid_model_name(const std::string &name)
{
	// The pin root holds these beside the models' directories (task.h).
	if (name.empty() || name.size() > KINFER_NAME_MAX || name == "tasks" || name == "events")
		return false;
	for (char c : name)
		if (!path_char(c))
			return false;
	return true;
}

void check_model_name(const std::string &name)
{
	if (!valid_model_name(name))
		throw UsageError("invalid model name '" + name + "': use 1.." +
				 std::to_string(KINFER_NAME_MAX) +
				 " characters of [A-Za-z0-9_-], not \"tasks\" or \"events\"");
}

std::string model_name_from_path(const std::string &path)
{
	std::string base = path.substr(path.find_last_of('/') + 1);
	size_t dot = base.rfind('.');
	if (dot != std::string::npos && dot > 0)
		base.resize(dot);
	for (char &c : base)
		if (!path_char(c))
			c = '_';
	if (base.size() > KINFER_NAME_MAX)
		base.resize(KINFER_NAME_MAX);
	if (!valid_model_name(base))
		base = "model";
	return base;
}

std::string own_map_name(const OwnMap &map, const std::string &model)
{
	std::string s = std::string(map.prefix) + "." + model;
	for (char &c : s)
		if (!obj_name_char(c))
			c = '_';
	return s.substr(0, kObjNameMax);
}

std::string weight_map_name(const std::string &initializer)
{
	std::string s = initializer;
	if (s.rfind("params/", 0) == 0)
		s = s.substr(7);
	for (char &c : s)
		c = c == '/' ? '.' : obj_name_char(c) ? c : '_';
	if (s.size() > kObjNameMax)
		s = s.substr(s.size() - kObjNameMax);
	return s.empty() ? "weight" : s;
}

std::string prog_name(const std::string &model)
{
	std::string s = "kinfer_" + model;
	for (char &c : s)
		if (!obj_name_char(c))
			c = '_';
	return s.substr(0, kObjNameMax);
}

std::string model_pin_dir(const std::string &model)
{
	return std::string(kPinRoot) + "/" + model;
}

static std::string sanitize_path(const std::string &name)
{
	std::vector<std::string> parts;
	size_t start = 0;
	while (start <= name.size()) {
		size_t slash = name.find('/', start);
		if (slash == std::string::npos)
			slash = name.size();
		std::string part = name.substr(start, slash - start);
		start = slash + 1;
		if (part.empty())
			continue;
		for (char &c : part)
			if (!path_char(c))
				c = '_';
		if (part.size() > 200)
			part.resize(200);
		parts.push_back(part);
	}
	std::string r;
	for (const std::string &p : parts)
		r += (r.empty() ? "" : "/") + p;
	return r.empty() ? "_" : r;
}

std::vector<WeightNames> weight_names(const Lowered &l, const Plan &p)
{
	std::vector<WeightNames> out;
	std::set<std::string> files, dirs;
	// A leaf may neither repeat a file nor sit where a directory is, and
	// none of its parents may be a file.
	auto parent_is_file = [&](const std::string &path) {
		for (size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1))
			if (files.count(path.substr(0, s)))
				return true;
		return false;
	};
	for (const WeightMap &wm : p.wmaps) {
		const std::string &name = wm.packed ? kPackedPin : l.weights[wm.weights[0]].name;
		std::string rel = sanitize_path(name);
		if (parent_is_file("weights/" + rel))
			for (char &c : rel)
				c = c == '/' ? '_' : c;
		std::string base = "weights/" + rel, path = base;
		for (int n = 1; files.count(path) || dirs.count(path); n++)
			path = base + "~" + std::to_string(n);
		files.insert(path);
		for (size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1))
			dirs.insert(path.substr(0, s));
		out.push_back(WeightNames{wm.packed ? kPackedMapName : weight_map_name(name), path});
	}
	return out;
}

} // namespace kinfer
