// SPDX-License-Identifier: GPL-2.0
// Stage 2: check an ONNX model against what kinfer supports and infer every
// tensor's shape.  Errors name the file, the node (index, name, op type)
// and the cause.
#pragma once

#include "graph.h"

#include <onnx/onnx_pb.h>

namespace kinfer {

constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 28;
// ONNX nodes accepted before lowering (the plan itself is bounded by
// KINFER_MAX_NODES).
constexpr size_t kMaxOnnxNodes = 65536;

Graph validate_model(const onnx::ModelProto &model, const std::string &file);

// Operator types kinfer understands, sorted, comma separated.
std::string supported_ops();

} // namespace kinfer
