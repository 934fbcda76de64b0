// SPDX-License-Identifier: GPL-2.0
#include "shape.h"

namespace kinfer {

std::string shape_str(const Shape &s)
{
	std::string r = "[";
	for (size_t i = 0; i < s.size(); i++) {
		if (i)
			r += ",";
		r += std::to_string(s[i]);
	}
	return r + "]";
}

uint64_t shape_numel(const Shape &s)
{
	const uint64_t limit = kMaxTensorBytes / 4;
	uint64_t n = 1;
	for (int64_t d : s) {
		if (d <= 0 || (uint64_t)d > limit)
			return 0;
		n *= (uint64_t)d;
		if (n > limit)
			return 0;
	}
	return n;
}

Shape shape_squeeze_leading(const Shape &s)
{
	size_t i = 0;
	while (i < s.size() && s[i] == 1)
		i++;
	return Shape(s.begin() + i, s.end());
}

bool shape_is_suffix(const Shape &small, const Shape &big)
{
	Shape a = shape_squeeze_leading(small);
	if (a.size() > big.size())
		return false;
	size_t off = big.size() - a.size();
	for (size_t i = 0; i < a.size(); i++)
		if (a[i] != big[off + i])
			return false;
	return true;
}

} // namespace kinfer
