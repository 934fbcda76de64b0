// SPDX-License-Identifier: GPL-2.0
#include "error.h"

#include <cerrno>
#include <cstring>

namespace kinfer {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0.
static size_t utf8_sequence(const std::string &s, size_t i)
{
	const auto b = [&](size_t k) { return (unsigned char)s[i + k]; };
	const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xc0) == 0x80; };
	unsigned char c = b(0);

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return cont(1) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (!cont(1) || !cont(2) || (c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f))
			return 0;	// overlong, or a UTF-16 surrogate
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (!cont(1) || !cont(2) || !cont(3) || (c == 0xf0 && b(1) < 0x90) ||
		    (c == 0xf4 && b(1) > 0x8f))
			return 0;	// overlong, or past U+10FFFF
		return 4;
	}
	return 0;
}

bool valid_utf8(const std::string &s)
{
	for (size_t i = 0, n; i < s.size(); i += n)
		if (!(n = utf8_sequence(s, i)))
			return false;
	return true;
}

std::string printable(const std::string &s)
{
	static const char hex[] = "0123456789abcdef";
	std::string out;

	for (size_t i = 0; i < s.size();) {
		size_t n = utf8_sequence(s, i);
		unsigned char c = (unsigned char)s[i];
		bool control = n == 1 && (c < 0x20 || c == 0x7f) && c != '\n' && c != '\t';

		if (n && !control) {
			out.append(s, i, n);
			i += n;
			continue;
		}
		out += "\\x";
		out += hex[c >> 4];
		out += hex[c & 15];
		i++;
	}
	return out;
}

static const char *errno_symbol(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EDOM: return "EDOM";
	case ENOSYS: return "ENOSYS";
	case ENOTSUP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case ECANCELED: return "ECANCELED";
	default: return nullptr;
	}
}

std::string errno_name(int err)
{
	if (err < 0)
		err = -err;
	const char *sym = errno_symbol(err);
	std::string s = sym ? sym : "errno " + std::to_string(err);
	return s + " (" + std::strerror(err) + ")";
}

} // namespace kinfer
