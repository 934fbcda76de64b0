// SPDX-License-Identifier: GPL-2.0
// Stage 1: read an ONNX file into onnx::ModelProto.
#pragma once

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

// A TensorProto decoded to host values.  `error` is non-empty when the
// tensor cannot be used (unsupported type, external data, size mismatch);
// decoding never throws so unused bad initializers can be tolerated.
struct TensorData {
	Shape shape;
	int32_t dtype = 0;		// onnx::TensorProto::DataType
	std::vector<float> f;		// FLOAT (and DOUBLE when converted)
	std::vector<int64_t> i;		// INT64
	std::string error;
};

// Decode FLOAT and INT64 tensors (DOUBLE too, converted to float, when
// `double_to_float`).  Every element count is checked against the dims.
TensorData decode_tensor(const onnx::TensorProto &t, bool double_to_float = false);

// "FLOAT", "INT32", ...
std::string dtype_name(int32_t dtype);

} // namespace kinfer
