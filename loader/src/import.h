// SPDX-License-Identifier: GPL-2.0
// Stage 2: an onnx::ModelProto into the passes' Graph: opset, initializers
// (decoded), graph inputs with static shapes (given ones override
// symbolic dimensions), nodes with their attributes.  Shapes of node
// outputs come later, from the infer pass.
#pragma once

#include "graph.h"

#include <map>
#include <onnx/onnx_pb.h>

namespace kinfer {

// The default domain's opsets kinfer reads: ONNX Runtime's oldest to the
// newest the pinned onnx package defines (tests/python check it).
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 28;
// ONNX nodes accepted (the plan itself is bounded by KINFER_MAX_NODES).
constexpr size_t kMaxOnnxNodes = 65536;

// Input name -> static shape, from `--shape x=1,32`.
using ShapeOverrides = std::map<std::string, Shape>;

Graph import_model(const onnx::ModelProto &model, const std::string &file,
		   const ShapeOverrides &shapes = {});

// "x=1,32" -> {"x", [1,32]}; throws UsageError.
std::pair<std::string, Shape> parse_shape_override(const std::string &spec);

} // namespace kinfer
