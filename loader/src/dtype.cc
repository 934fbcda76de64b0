// SPDX-License-Identifier: GPL-2.0
#include "dtype.h"

#include <onnx/onnx_pb.h>

namespace kinfer {

size_t dtype_size(DType t)
{
	switch (t) {
	case DType::f32:
	case DType::i32:
		return 4;
	case DType::i64:
		return 8;
	case DType::boolean:
	case DType::u8:
	case DType::i8:
		return 1;
	default:
		return 0;
	}
}

std::string dtype_str(DType t)
{
	switch (t) {
	case DType::f32:
		return "float32";
	case DType::i32:
		return "int32";
	case DType::i64:
		return "int64";
	case DType::boolean:
		return "bool";
	case DType::u8:
		return "uint8";
	case DType::i8:
		return "int8";
	default:
		return "none";
	}
}

DType dtype_from_onnx(int32_t onnx_type)
{
	switch (onnx_type) {
	case onnx::TensorProto::FLOAT:
		return DType::f32;
	case onnx::TensorProto::INT32:
		return DType::i32;
	case onnx::TensorProto::INT64:
		return DType::i64;
	case onnx::TensorProto::BOOL:
		return DType::boolean;
	case onnx::TensorProto::UINT8:
		return DType::u8;
	case onnx::TensorProto::INT8:
		return DType::i8;
	default:
		return DType::none;
	}
}

int32_t dtype_to_onnx(DType t)
{
	switch (t) {
	case DType::f32:
		return onnx::TensorProto::FLOAT;
	case DType::i32:
		return onnx::TensorProto::INT32;
	case DType::i64:
		return onnx::TensorProto::INT64;
	case DType::boolean:
		return onnx::TensorProto::BOOL;
	case DType::u8:
		return onnx::TensorProto::UINT8;
	case DType::i8:
		return onnx::TensorProto::INT8;
	default:
		return onnx::TensorProto::UNDEFINED;
	}
}

double HostTensor::get(uint64_t i) const
{
	switch (dtype) {
	case DType::f32:
		return as<float>()[i];
	case DType::i32:
		return as<int32_t>()[i];
	case DType::i64:
		return (double)as<int64_t>()[i];
	case DType::boolean:
		return data[i] ? 1.0 : 0.0;
	case DType::u8:
		return data[i];
	case DType::i8:
		return (int8_t)data[i];
	default:
		return 0.0;
	}
}

int64_t HostTensor::get_int(uint64_t i) const
{
	switch (dtype) {
	case DType::f32:
		return (int64_t)as<float>()[i];
	case DType::i32:
		return as<int32_t>()[i];
	case DType::i64:
		return as<int64_t>()[i];
	case DType::boolean:
		return data[i] ? 1 : 0;
	case DType::u8:
		return data[i];
	case DType::i8:
		return (int8_t)data[i];
	default:
		return 0;
	}
}

HostTensor HostTensor::from_floats(const Shape &s, const std::vector<float> &v)
{
	HostTensor t;
	t.dtype = DType::f32;
	t.shape = s;
	t.data.resize(v.size() * sizeof(float));
	if (!v.empty())
		std::memcpy(t.data.data(), v.data(), t.data.size());
	return t;
}

HostTensor HostTensor::from_ints(DType type, const Shape &s, const std::vector<int64_t> &v)
{
	HostTensor t;
	t.dtype = type;
	t.shape = s;
	t.data.resize(v.size() * dtype_size(type));
	for (size_t i = 0; i < v.size(); i++) {
		switch (type) {
		case DType::i32:
			t.as<int32_t>()[i] = (int32_t)v[i];
			break;
		case DType::i64:
			t.as<int64_t>()[i] = v[i];
			break;
		case DType::boolean:
			t.data[i] = v[i] != 0;
			break;
		case DType::f32:
			t.as<float>()[i] = (float)v[i];
			break;
		default:
			break;
		}
	}
	return t;
}

std::vector<float> HostTensor::floats() const
{
	std::vector<float> r(numel());
	for (uint64_t i = 0; i < r.size(); i++)
		r[i] = (float)get(i);
	return r;
}

std::vector<int64_t> HostTensor::ints() const
{
	std::vector<int64_t> r(numel());
	for (uint64_t i = 0; i < r.size(); i++)
		r[i] = get_int(i);
	return r;
}

} // namespace kinfer
