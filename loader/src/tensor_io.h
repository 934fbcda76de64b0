// SPDX-License-Identifier: GPL-2.0
// Input and output tensor files.
//
// .npy: versions 1.0, 2.0 and 3.0 headers; dtype '<f4' (float32), '<f8'
// (float64, converted to float32 on read: numpy's default dtype, accepted
// for convenience), '<i4', '<i8' or '|b1'; C order only; the header dict
// must hold exactly 'descr', 'fortran_order' and 'shape', and the data
// must fill the rest of the file exactly.  Written files are version 1.0.
//
// .pb: a serialized onnx.TensorProto (ONNX test-data format): FLOAT,
// INT32, INT64, BOOL, or DOUBLE converted to float32.
#pragma once

#include "dtype.h"
#include "shape.h"

#include <string>
#include <vector>

namespace kinfer {

using Tensor = HostTensor;

// All readers throw InputError naming the file and the cause.
Tensor parse_npy(const std::string &bytes, const std::string &file);
std::string format_npy(const Tensor &t);
Tensor read_npy(const std::string &path);
void write_npy(const std::string &path, const Tensor &t);	// throws KernelError on I/O failure

Tensor parse_tensor_pb(const std::string &bytes, const std::string &file);
Tensor read_tensor_pb(const std::string &path);

// By content: the .npy magic, else a TensorProto.
Tensor read_tensor(const std::string &path);

} // namespace kinfer
