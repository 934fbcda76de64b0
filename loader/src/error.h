// SPDX-License-Identifier: GPL-2.0
// Errors thrown by the loader pipeline.  Each carries the process exit code
// the CLI returns for it, and a message that names the file, node and cause.
#pragma once

#include <stdexcept>
#include <string>

namespace kinfer {

enum class Exit : int {
	ok = 0,
	runtime = 1,	// kernel, BPF, file-system or other runtime failure
	usage = 2,	// bad command line
	invalid = 3,	// invalid model or input tensor
};

class Error : public std::runtime_error {
public:
	Error(Exit code, const std::string &msg) : std::runtime_error(msg), code_(code) {}
	Exit code() const noexcept { return code_; }

private:
	Exit code_;
};

// The model file is unreadable, malformed or uses something unsupported.
struct ModelError : Error {
	explicit ModelError(const std::string &msg) : Error(Exit::invalid, msg) {}
};

// An input tensor file is malformed or does not fit the model.
struct InputError : Error {
	explicit InputError(const std::string &msg) : Error(Exit::invalid, msg) {}
};

// The kernel, a BPF object or the file system refused something.
struct KernelError : Error {
	explicit KernelError(const std::string &msg) : Error(Exit::runtime, msg) {}
};

struct UsageError : Error {
	explicit UsageError(const std::string &msg) : Error(Exit::usage, msg) {}
};

// "EBUSY (Device or resource busy)" for a positive or negative errno.
std::string errno_name(int err);

// True when s is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF).
bool valid_utf8(const std::string &s);

// s with every byte that is not part of well-formed UTF-8, and every
// control character but newline and tab, written as \xNN: names from an
// untrusted model must not reach a terminal raw.
std::string printable(const std::string &s);

} // namespace kinfer
