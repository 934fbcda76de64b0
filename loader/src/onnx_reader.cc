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
	if (onnx::TensorProto_DataType_IsValid(dtype))
		return onnx::TensorProto_DataType_Name((onnx::TensorProto_DataType)dtype);
	return "data type " + std::to_string(dtype);
}

template <typename T, typename Repeated>
static bool decode_values(const onnx::TensorProto &t, const Repeated &typed, uint64_t n,
			  std::vector<T> &out, std::string &error)
{
	if (t.has_raw_data()) {
		const std::string &raw = t.raw_data();
		if (raw.size() != n * sizeof(T)) {
			error = "holds " + std::to_string(raw.size()) + " bytes of raw data but its shape " +
				shape_str(Shape(t.dims().begin(), t.dims().end())) + " needs " +
				std::to_string(n * sizeof(T));
			return false;
		}
		out.resize(n);
		std::memcpy(out.data(), raw.data(), raw.size());
		return true;
	}
	if ((uint64_t)typed.size() != n) {
		error = "holds " + std::to_string(typed.size()) + " values but its shape " +
			shape_str(Shape(t.dims().begin(), t.dims().end())) + " needs " + std::to_string(n);
		return false;
	}
	out.assign(typed.begin(), typed.end());
	return true;
}

TensorData decode_tensor(const onnx::TensorProto &t, bool double_to_float)
{
	TensorData d;
	d.dtype = t.data_type();
	d.shape.assign(t.dims().begin(), t.dims().end());
	if (t.data_location() == onnx::TensorProto::EXTERNAL) {
		d.error = "uses external data, which kinfer does not support";
		return d;
	}
	for (int64_t dim : d.shape)
		if (dim <= 0) {
			d.error = "has shape " + shape_str(d.shape) + " (dimensions must be positive)";
			return d;
		}
	uint64_t n = shape_numel(d.shape);
	if (n == 0) {
		d.error = "is larger than " + std::to_string(kMaxTensorBytes >> 20) + " MiB";
		return d;
	}
	switch (d.dtype) {
	case onnx::TensorProto::FLOAT:
		decode_values(t, t.float_data(), n, d.f, d.error);
		break;
	case onnx::TensorProto::INT64:
		decode_values(t, t.int64_data(), n, d.i, d.error);
		break;
	case onnx::TensorProto::DOUBLE:
		if (double_to_float) {
			std::vector<double> v;
			if (decode_values(t, t.double_data(), n, v, d.error))
				d.f.assign(v.begin(), v.end());
			break;
		}
		/* fall through */
	default:
		d.error = "has data type " + dtype_name(d.dtype) + "; only float32 is supported";
	}
	return d;
}

} // namespace kinfer
