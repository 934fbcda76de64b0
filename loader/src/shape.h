// SPDX-License-Identifier: GPL-2.0
// Tensor shapes: dimensions are positive and static; rank 0 is a scalar.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kinfer {

using Shape = std::vector<int64_t>;

// Largest tensor (activation or weight) the loader accepts, in bytes.
constexpr uint64_t kMaxTensorBytes = 1ULL << 30;

// "[64,10]"
std::string shape_str(const Shape &s);

// Element count; 0 when a dimension is not positive or the product
// exceeds kMaxTensorBytes / 4 (callers treat 0 as "too large / invalid").
uint64_t shape_numel(const Shape &s);

// Drop leading 1s: [1,1,4] -> [4].
Shape shape_squeeze_leading(const Shape &s);

// True when `small` broadcasts onto `big` by repeating along the flattened
// `big` (numpy broadcasting of a trailing suffix): after dropping leading 1s,
// `small` equals the last dims of `big`.
bool shape_is_suffix(const Shape &small, const Shape &big);

} // namespace kinfer
