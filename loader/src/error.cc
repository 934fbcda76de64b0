// SPDX-License-Identifier: GPL-2.0
#include "error.h"

#include <cerrno>
#include <cstring>

namespace kinfer {

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
