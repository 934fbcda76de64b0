// SPDX-License-Identifier: GPL-2.0
// Stage 1: read an ONNX file into onnx::ModelProto.
#pragma once

#include "dtype.h"
#include "shape.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace kinfer {

// Largest model file accepted (protobuf cannot parse more than 2 GiB).
constexpr uint64_t kMaxModelFileBytes = (1ULL << 31) - 1;

// Throws ModelError naming `path` when the file is missing, unreadable,
// too large, truncated or not an ONNX model.
onnx::ModelProto read_model(const std::string &path);

// Parse bytes already in memory; `file` is only used in messages.
onnx::ModelProto parse_model(const std::string &bytes, const std::string &file);

// Read a whole file (throws ModelError mentioning `what` on failure).
std::string read_file(const std::string &path, uint64_t max_bytes);

} // namespace kinfer

namespace kinfer {

// A TensorProto decoded to a host tensor.  `error` is non-empty when the
// tensor cannot be used (unsupported type, external data, size mismatch);
// decoding never throws, so bad initializers nobody uses can be tolerated.
struct Decoded {
	HostTensor t;
	std::string error;
};

// FLOAT, INT32, INT64 and BOOL tensors; DOUBLE converted to float32 when
// `double_to_float` (test data).  Every element count is checked against
// the dims, and the dims against kMaxTensorBytes.
Decoded decode_tensor(const onnx::TensorProto &t, bool double_to_float = false);

// "FLOAT", "INT32", ...
std::string dtype_name(int32_t dtype);

} // namespace kinfer
