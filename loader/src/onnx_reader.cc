// SPDX-License-Identifier: GPL-2.0
#include "onnx_reader.h"

#include "error.h"

#include <google/protobuf/io/coded_stream.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace kinfer {

std::string read_file(const std::string &path, uint64_t max_bytes)
{
	struct stat st;
	if (stat(path.c_str(), &st) != 0)
		throw ModelError(path + ": cannot open: " + std::strerror(errno));
	if (S_ISDIR(st.st_mode))
		throw ModelError(path + ": is a directory");
	if ((uint64_t)st.st_size > max_bytes)
		throw ModelError(path + ": file is too large (" + std::to_string(st.st_size) +
				 " bytes, limit " + std::to_string(max_bytes) + ")");
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw ModelError(path + ": cannot open: " + std::strerror(errno));
	std::string bytes((size_t)st.st_size, '\0');
	in.read(bytes.data(), (std::streamsize)bytes.size());
	if ((size_t)in.gcount() != bytes.size())
		throw ModelError(path + ": short read");
	return bytes;
}

// ONNX names are UTF-8 text. One that is not, or that holds control
// characters, is refused here, so no later message, map name or pin path
// carries raw bytes from the file.
static void check_names_utf8(const onnx::GraphProto &g, const std::string &file)
{
	auto check = [&](const std::string &name, const std::string &what) {
		if (!valid_utf8(name))
			throw ModelError(file + ": " + what + " name '" + printable(name) +
					 "' is not valid UTF-8");
		for (unsigned char c : name)
			if (c < 0x20 || c == 0x7f)
				throw ModelError(file + ": " + what + " name '" + printable(name) +
						 "' contains control characters");
	};
	for (const auto &v : g.input())
		check(v.name(), "graph input");
	for (const auto &v : g.output())
		check(v.name(), "graph output");
	for (const auto &t : g.initializer())
		check(t.name(), "initializer");
	for (int i = 0; i < g.node_size(); i++) {
		const onnx::NodeProto &n = g.node(i);
		const std::string where = "node " + std::to_string(i);
		check(n.name(), where);
		check(n.op_type(), where + " op_type");
		for (const auto &s : n.input())
			check(s, where + " input");
		for (const auto &s : n.output())
			check(s, where + " output");
	}
}

onnx::ModelProto parse_model(const std::string &bytes, const std::string &file)
{
	onnx::ModelProto model;
	google::protobuf::io::CodedInputStream in(
		reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
	in.SetTotalBytesLimit(INT32_MAX);
	if (bytes.empty())
		throw ModelError(file + ": not an ONNX model: the file is empty");
	if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
		throw ModelError(file + ": not an ONNX model: protobuf parsing failed "
				 "(the file is truncated, corrupt or not ONNX)");
	if (!model.has_graph() || model.ir_version() <= 0)
		throw ModelError(file + ": not an ONNX model: " +
				 (model.has_graph() ? "no ir_version" : "no graph") +
				 " (the file is truncated, corrupt or not ONNX)");
	check_names_utf8(model.graph(), file);
	return model;
}

onnx::ModelProto read_model(const std::string &path)
{
	return parse_model(read_file(path, kMaxModelFileBytes), path);
}

} // namespace kinfer

namespace kinfer {

std::string dtype_name(int32_t dtype)
{
	// Types newer than Debian's ONNX 1.12 protobuf classes (onnx.proto).
	static const char *const newer[] = {
		"FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",
		"INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
	};
	if (onnx::TensorProto_DataType_IsValid(dtype))
		return onnx::TensorProto_DataType_Name((onnx::TensorProto_DataType)dtype);
	if (dtype >= 17 && dtype < 17 + (int32_t)(sizeof(newer) / sizeof(newer[0])))
		return newer[dtype - 17];
	return "data type " + std::to_string(dtype);
}

namespace {

std::string count_error(const onnx::TensorProto &t, uint64_t have, uint64_t need, const char *what)
{
	return "holds " + std::to_string(have) + " " + what + " but its shape " +
	       shape_str(Shape(t.dims().begin(), t.dims().end())) + " needs " + std::to_string(need);
}

// Raw little-endian bytes of n elements of `esize` bytes.
bool decode_raw(const onnx::TensorProto &t, uint64_t n, size_t esize, HostTensor &out,
		std::string &error)
{
	const std::string &raw = t.raw_data();
	if (raw.size() != n * esize) {
		error = count_error(t, raw.size(), n * esize, "bytes of raw data");
		return false;
	}
	out.data.assign(raw.begin(), raw.end());
	return true;
}

template <typename To, typename Repeated>
bool decode_typed(const onnx::TensorProto &t, const Repeated &typed, uint64_t n, HostTensor &out,
		  std::string &error)
{
	if ((uint64_t)typed.size() != n) {
		error = count_error(t, typed.size(), n, "values");
		return false;
	}
	out.data.resize(n * sizeof(To));
	To *p = out.as<To>();
	for (uint64_t i = 0; i < n; i++)
		p[i] = (To)typed.Get((int)i);
	return true;
}

} // namespace

Decoded decode_tensor(const onnx::TensorProto &t, bool double_to_float)
{
	Decoded d;
	HostTensor &h = d.t;
	h.shape.assign(t.dims().begin(), t.dims().end());
	if (t.data_location() == onnx::TensorProto::EXTERNAL) {
		d.error = "uses external data, which kinfer does not support";
		return d;
	}
	for (int64_t dim : h.shape)
		if (dim <= 0) {
			d.error = "has shape " + shape_str(h.shape) +
				  " (dimensions must be positive; empty tensors are not supported)";
			return d;
		}
	uint64_t n = shape_numel(h.shape);
	if (n == 0) {
		d.error = "is larger than " + std::to_string(kMaxTensorBytes >> 20) + " MiB";
		return d;
	}
	bool raw = t.has_raw_data();
	switch (t.data_type()) {
	case onnx::TensorProto::FLOAT:
		h.dtype = DType::f32;
		raw ? decode_raw(t, n, 4, h, d.error) : decode_typed<float>(t, t.float_data(), n, h, d.error);
		break;
	case onnx::TensorProto::INT32:
		h.dtype = DType::i32;
		raw ? decode_raw(t, n, 4, h, d.error) : decode_typed<int32_t>(t, t.int32_data(), n, h, d.error);
		break;
	case onnx::TensorProto::INT64:
		h.dtype = DType::i64;
		raw ? decode_raw(t, n, 8, h, d.error) : decode_typed<int64_t>(t, t.int64_data(), n, h, d.error);
		break;
	case onnx::TensorProto::BOOL:
		h.dtype = DType::boolean;
		if (raw ? decode_raw(t, n, 1, h, d.error)
			: decode_typed<uint8_t>(t, t.int32_data(), n, h, d.error))
			for (uint8_t &b : h.data)
				b = b != 0;
		break;
	case onnx::TensorProto::UINT8:
		h.dtype = DType::u8;
		raw ? decode_raw(t, n, 1, h, d.error) : decode_typed<uint8_t>(t, t.int32_data(), n, h, d.error);
		break;
	case onnx::TensorProto::INT8:
		h.dtype = DType::i8;
		raw ? decode_raw(t, n, 1, h, d.error) : decode_typed<int8_t>(t, t.int32_data(), n, h, d.error);
		break;
	case onnx::TensorProto::DOUBLE:
		if (double_to_float) {
			HostTensor dbl;
			if (raw ? decode_raw(t, n, 8, dbl, d.error)
				: decode_typed<double>(t, t.double_data(), n, dbl, d.error)) {
				h.dtype = DType::f32;
				h.data.resize(n * 4);
				for (uint64_t i = 0; i < n; i++)
					h.as<float>()[i] = (float)dbl.as<double>()[i];
			}
			break;
		}
		/* fall through */
	default:
		d.error = "has data type " + dtype_name(t.data_type()) +
			  "; kinfer supports float32, int32, int64, bool and uint8";
	}
	if (!d.error.empty())
		h.data.clear();
	return d;
}

} // namespace kinfer
