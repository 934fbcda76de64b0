// SPDX-License-Identifier: GPL-2.0
// A verified .tflite model (reader.h) as an ONNX model, so that it goes
// through the same pipeline as every other: import, passes, lower, plan.
//
// Float operators become the ONNX operators that compute the same
// (NHWC convolutions and pools between two Transposes, which the passes
// fold where they cancel).  int8 operators become nodes of kinfer's domain
// "ai.kinfer.tflite" that keep TFLite's quantisation parameters as
// attributes; rules/tflite.cc lowers them to the int8 kernel ops with
// TFLite's fixed-point requantisation.  Nodes are named after their first
// output tensor, which holds the Keras layer path, so every message names
// the layer.  Anything kinfer cannot run is refused here, naming the
// operator, its builtin and the tensor.
#pragma once

#include "tflite/reader.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace kinfer::tflite {

// The domain of the int8 nodes, and its version.
inline constexpr const char *kDomain = "ai.kinfer.tflite";

onnx::ModelProto to_onnx(const Model &m);

// A .tflite file by its name, or by its FlatBuffer identifier "TFL3".
bool is_tflite(const std::string &path);

// Builtins the translator accepts, sorted (`kinfer ops`), and comma
// separated (messages).
std::vector<std::string> supported_builtin_list();
std::string supported_builtins();

} // namespace kinfer::tflite
