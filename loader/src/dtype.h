// SPDX-License-Identifier: GPL-2.0
// Element types the loader and the kernel share (enum kinfer_dtype), and
// typed host tensors.
#pragma once

#include "shape.h"

#include <uapi/kinfer.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace kinfer {

enum class DType : uint8_t {
	none = KINFER_DTYPE_NONE,
	f32 = KINFER_DTYPE_FLOAT32,
	i32 = KINFER_DTYPE_INT32,
	i64 = KINFER_DTYPE_INT64,
	boolean = KINFER_DTYPE_BOOL,
	u8 = KINFER_DTYPE_UINT8,	// text bytes
	i8 = KINFER_DTYPE_INT8,		// quantised (.tflite int8 models)
};

// Bytes per element (0 for none).
size_t dtype_size(DType t);
// "float32", "int32", "int64", "bool", "uint8", "int8".
std::string dtype_str(DType t);
// The kinfer dtype of an ONNX TensorProto data type, or none.
DType dtype_from_onnx(int32_t onnx_type);
int32_t dtype_to_onnx(DType t);

// A dense row-major tensor in host memory.
struct HostTensor {
	DType dtype = DType::f32;
	Shape shape;
	std::vector<uint8_t> data;

	uint64_t numel() const { return dtype_size(dtype) ? data.size() / dtype_size(dtype) : 0; }
	template <typename T> T *as() { return reinterpret_cast<T *>(data.data()); }
	template <typename T> const T *as() const { return reinterpret_cast<const T *>(data.data()); }
	// Element i converted to double (any dtype).
	double get(uint64_t i) const;
	// Element i converted to int64 (integer and bool dtypes; floats truncate).
	int64_t get_int(uint64_t i) const;

	static HostTensor from_floats(const Shape &s, const std::vector<float> &v);
	static HostTensor from_ints(DType t, const Shape &s, const std::vector<int64_t> &v);
	std::vector<float> floats() const;
	std::vector<int64_t> ints() const;
};

} // namespace kinfer
