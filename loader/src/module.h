// SPDX-License-Identifier: GPL-2.0
// The kinfer.ko control interface in sysfs:
//
//	/sys/kernel/kinfer/arena_bytes			per-CPU arena size
//	/sys/kernel/kinfer/register			write "<name> <arena_bytes>\n"
//	/sys/kernel/kinfer/unregister			write "<name>\n"
//	/sys/kernel/kinfer/models/<name>/id		model id for the plan
//	/sys/kernel/kinfer/models/<name>/errors		failed runs
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kinfer {

constexpr const char *kSysfsRoot = "/sys/kernel/kinfer";

// Read a small sysfs attribute, trailing newline and spaces dropped;
// returns false on failure (errno set).
bool read_attr(const std::string &file, std::string &out);
// Write one value; throws KernelError naming the file and the errno.
void write_attr(const std::string &file, const std::string &text);

// Throws KernelError "kinfer.ko is not loaded ..." when the module is absent.
void require_module();
uint64_t module_arena_bytes();
// The module parameter budget_sleepable: work one run of a loaded model may spend.
uint64_t module_budget_sleepable();
// errno of a model's last failed run and the node it failed at (0, 0 if none).
std::pair<int, uint32_t> model_last_error(const std::string &name);
bool model_registered(const std::string &name);
std::vector<std::string> registered_models();
// Every readable attribute of /sys/kernel/kinfer/models/<name>/.
std::map<std::string, std::string> model_attributes(const std::string &name);
void unregister_model(const std::string &name);

// Registers a model for its lifetime; unregisters on destruction unless
// commit() was called (so a failed load leaves nothing behind).
class Registration {
public:
	Registration(const std::string &name, uint64_t arena_bytes);
	~Registration();
	Registration(const Registration &) = delete;
	Registration &operator=(const Registration &) = delete;

	uint32_t id() const { return id_; }
	void commit() { committed_ = true; }

private:
	std::string name_;
	uint32_t id_ = 0;
	bool committed_ = false;
};

} // namespace kinfer
