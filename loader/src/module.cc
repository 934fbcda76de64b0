// SPDX-License-Identifier: GPL-2.0
#include "module.h"

#include "error.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kinfer {

namespace {

std::string path(const std::string &rel) { return std::string(kSysfsRoot) + "/" + rel; }

} // namespace

bool read_attr(const std::string &file, std::string &out)
{
	int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return false;
	}
	out.assign(buf, (size_t)n);
	while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
		out.pop_back();
	return true;
}

void write_attr(const std::string &file, const std::string &text)
{
	int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		throw KernelError("cannot open " + file + ": " + errno_name(errno));
	ssize_t n = write(fd, text.data(), text.size());
	int err = errno;
	close(fd);
	if (n != (ssize_t)text.size())
		throw KernelError("writing '" + text.substr(0, text.size() - 1) + "' to " + file +
				  " failed: " + errno_name(n < 0 ? err : EIO));
}

namespace {

uint64_t parse_u64(const std::string &file, const std::string &text)
{
	char *end = nullptr;
	errno = 0;
	unsigned long long v = strtoull(text.c_str(), &end, 0);
	if (errno || end == text.c_str() || *end)
		throw KernelError(file + ": unexpected content '" + text + "'");
	return v;
}

} // namespace

void require_module()
{
	struct stat st;
	if (stat(kSysfsRoot, &st) != 0 || !S_ISDIR(st.st_mode))
		throw KernelError(std::string("kinfer.ko is not loaded (modprobe/insmod kinfer.ko): ") +
				  kSysfsRoot + " does not exist");
}

uint64_t module_arena_bytes()
{
	std::string f = path("arena_bytes"), text;
	if (!read_attr(f, text))
		throw KernelError("cannot read " + f + ": " + errno_name(errno));
	return parse_u64(f, text);
}

uint64_t module_budget_sleepable()
{
	std::string f = "/sys/module/kinfer/parameters/budget_sleepable", text;
	if (!read_attr(f, text))
		throw KernelError("cannot read " + f + ": " + errno_name(errno));
	return parse_u64(f, text);
}

std::pair<int, uint32_t> model_last_error(const std::string &name)
{
	std::string err, node;
	if (!read_attr(path("models/" + name + "/last_error"), err) ||
	    !read_attr(path("models/" + name + "/last_error_node"), node))
		return {0, 0};
	return {atoi(err.c_str()), (uint32_t)strtoul(node.c_str(), nullptr, 10)};
}

bool model_registered(const std::string &name)
{
	struct stat st;
	return stat(path("models/" + name).c_str(), &st) == 0;
}

std::vector<std::string> registered_models()
{
	std::vector<std::string> r;
	if (DIR *d = opendir(path("models").c_str())) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				r.push_back(e->d_name);
		closedir(d);
	}
	return r;
}

std::map<std::string, std::string> model_attributes(const std::string &name)
{
	std::map<std::string, std::string> r;
	std::string dir = path("models/" + name);
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string text;
			if (e->d_name[0] != '.' && read_attr(dir + "/" + e->d_name, text))
				r[e->d_name] = text;
		}
		closedir(d);
	}
	return r;
}

void unregister_model(const std::string &name)
{
	write_attr(path("unregister"), name + "\n");
}

Registration::Registration(const std::string &name, uint64_t arena_bytes) : name_(name)
{
	write_attr(path("register"), name + " " + std::to_string(arena_bytes) + "\n");
	try {
		std::string f = path("models/" + name + "/id"), text;
		if (!read_attr(f, text))
			throw KernelError("cannot read " + f + ": " + errno_name(errno));
		uint64_t id = parse_u64(f, text);
		if (id > UINT32_MAX)
			throw KernelError(f + ": id " + text + " does not fit 32 bits");
		id_ = (uint32_t)id;
	} catch (...) {
		try {
			unregister_model(name_);
		} catch (...) {
		}
		throw;
	}
}

Registration::~Registration()
{
	if (committed_)
		return;
	try {
		unregister_model(name_);
	} catch (const std::exception &e) {
		fprintf(stderr, "kinfer: warning: %s\n", e.what());
	}
}

} // namespace kinfer
