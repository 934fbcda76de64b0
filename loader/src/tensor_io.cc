// SPDX-License-Identifier: GPL-2.0
#include "tensor_io.h"

#include "error.h"
#include "onnx_reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

namespace kinfer {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr uint64_t kMaxTensorFile = kMaxTensorBytes * 2 + 65536;

std::string slurp(const std::string &path)
{
	try {
		return read_file(path, kMaxTensorFile);
	} catch (const ModelError &e) {
		throw InputError(e.what());
	}
}

// A tiny parser for the Python literal numpy writes as the header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct HeaderParser {
	const std::string &s;
	const std::string &file;
	size_t i = 0;

	[[noreturn]] void fail(const std::string &why) const
	{
		throw InputError(file + ": invalid .npy header: " + why);
	}
	void ws()
	{
		while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
			i++;
	}
	bool eat(char c)
	{
		ws();
		if (i < s.size() && s[i] == c) {
			i++;
			return true;
		}
		return false;
	}
	void expect(char c)
	{
		if (!eat(c))
			fail(std::string("expected '") + c + "' at offset " + std::to_string(i));
	}
	std::string str()
	{
		ws();
		if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
			fail("expected a string at offset " + std::to_string(i));
		char q = s[i++];
		size_t end = s.find(q, i);
		if (end == std::string::npos)
			fail("unterminated string");
		std::string r = s.substr(i, end - i);
		i = end + 1;
		return r;
	}
	bool boolean()
	{
		ws();
		if (s.compare(i, 4, "True") == 0) {
			i += 4;
			return true;
		}
		if (s.compare(i, 5, "False") == 0) {
			i += 5;
			return false;
		}
		fail("expected True or False");
	}
	Shape shape()
	{
		Shape r;
		expect('(');
		while (!eat(')')) {
			ws();
			size_t start = i;
			while (i < s.size() && s[i] >= '0' && s[i] <= '9')
				i++;
			if (start == i || i - start > 12)
				fail("bad dimension in shape");
			r.push_back(std::stoll(s.substr(start, i - start)));
			if (!eat(',')) {
				expect(')');
				break;
			}
		}
		return r;
	}
};

struct NpyHeader {
	std::string descr;
	bool fortran = false;
	Shape shape;
};

NpyHeader parse_header(const std::string &h, const std::string &file)
{
	HeaderParser p{h, file};
	NpyHeader r;
	std::map<std::string, int> seen;
	p.expect('{');
	while (!p.eat('}')) {
		std::string key = p.str();
		p.expect(':');
		if (seen[key]++)
			p.fail("key '" + key + "' repeated");
		if (key == "descr")
			r.descr = p.str();
		else if (key == "fortran_order")
			r.fortran = p.boolean();
		else if (key == "shape")
			r.shape = p.shape();
		else
			p.fail("unexpected key '" + key + "'");
		if (!p.eat(',')) {
			p.expect('}');
			break;
		}
	}
	p.ws();
	while (p.i < h.size() && (h[p.i] == ' ' || h[p.i] == '\n'))
		p.i++;
	if (p.i != h.size())
		p.fail("trailing characters after the dict");
	if (seen.size() != 3)
		p.fail("needs exactly the keys 'descr', 'fortran_order' and 'shape'");
	return r;
}

DType npy_dtype(const std::string &descr)
{
	if (descr == "<f4" || descr == "<f8")
		return DType::f32;
	if (descr == "<i4")
		return DType::i32;
	if (descr == "<i8")
		return DType::i64;
	if (descr == "|b1")
		return DType::boolean;
	if (descr == "|u1")
		return DType::u8;
	if (descr == "|i1")
		return DType::i8;
	return DType::none;
}

std::string npy_descr(DType t)
{
	switch (t) {
	case DType::i32:
		return "<i4";
	case DType::i64:
		return "<i8";
	case DType::boolean:
		return "|b1";
	case DType::u8:
		return "|u1";
	case DType::i8:
		return "|i1";
	default:
		return "<f4";
	}
}

} // namespace

Tensor parse_npy(const std::string &bytes, const std::string &file)
{
	if (bytes.size() < 10 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
		throw InputError(file + ": not a .npy file (bad magic)");
	uint8_t major = (uint8_t)bytes[6];
	size_t hlen, hstart;
	if (major == 1) {
		hlen = (uint8_t)bytes[8] | (size_t)(uint8_t)bytes[9] << 8;
		hstart = 10;
	} else if (major == 2 || major == 3) {
		if (bytes.size() < 12)
			throw InputError(file + ": truncated .npy header");
		hlen = 0;
		for (int k = 3; k >= 0; k--)
			hlen = hlen << 8 | (uint8_t)bytes[8 + k];
		hstart = 12;
	} else {
		throw InputError(file + ": unsupported .npy version " + std::to_string(major));
	}
	if (hstart + hlen > bytes.size())
		throw InputError(file + ": truncated .npy header");
	std::string header = bytes.substr(hstart, hlen);
	if (header.empty() || header.back() != '\n')
		throw InputError(file + ": invalid .npy header: it must end with a newline");
	NpyHeader h = parse_header(header, file);
	DType type = npy_dtype(h.descr);
	size_t item = h.descr == "<f8" ? 8 : dtype_size(type);
	if (type == DType::none)
		throw InputError(file + ": dtype '" + h.descr + "' is not supported (use '<f4', '<f8', "
				 "'<i4', '<i8', '|b1', '|u1' or '|i1')");
	if (h.fortran)
		throw InputError(file + ": Fortran-order arrays are not supported (save in C order)");
	uint64_t n = h.shape.empty() ? 1 : shape_numel(h.shape);
	if (n == 0)
		throw InputError(file + ": shape " + shape_str(h.shape) + " is empty or too large");
	size_t data = hstart + hlen;
	if (bytes.size() - data != n * item)
		throw InputError(file + ": shape " + shape_str(h.shape) + " needs " +
				 std::to_string(n * item) + " data bytes but the file has " +
				 std::to_string(bytes.size() - data) + " (truncated or corrupt)");
	Tensor t;
	t.dtype = type;
	t.shape = h.shape;
	if (h.descr != "<f8") {
		t.data.assign(bytes.begin() + (ptrdiff_t)data, bytes.end());
	} else {
		t.data.resize(n * 4);
		for (uint64_t k = 0; k < n; k++) {
			double d;
			std::memcpy(&d, bytes.data() + data + k * 8, 8);
			t.as<float>()[k] = (float)d;
		}
	}
	if (type == DType::boolean)
		for (uint8_t &b : t.data)
			b = b != 0;
	return t;
}

std::string format_npy(const Tensor &t)
{
	std::string shape = "(";
	for (size_t i = 0; i < t.shape.size(); i++)
		shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 || i + 1 < t.shape.size() ? "," : "") +
			 (i + 1 < t.shape.size() ? " " : "");
	shape += ")";
	std::string dict = "{'descr': '" + npy_descr(t.dtype) +
			   "', 'fortran_order': False, 'shape': " + shape + ", }";
	// Pad so that magic + version + length + header is a multiple of 64.
	size_t total = kMagicLen + 2 + 2 + dict.size() + 1;
	size_t pad = (64 - total % 64) % 64;
	std::string header = dict + std::string(pad, ' ') + "\n";
	std::string out(kMagic, kMagicLen);
	out += '\x01';
	out += '\x00';
	out += (char)(header.size() & 0xff);
	out += (char)(header.size() >> 8);
	out += header;
	out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size());
	return out;
}

Tensor read_npy(const std::string &path)
{
	return parse_npy(slurp(path), path);
}

void write_npy(const std::string &path, const Tensor &t)
{
	std::string bytes = format_npy(t);
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	if (!out)
		throw KernelError(path + ": cannot write: " + std::strerror(errno));
	out.write(bytes.data(), (std::streamsize)bytes.size());
	if (!out.flush())
		throw KernelError(path + ": write failed: " + std::strerror(errno));
}

Tensor parse_tensor_pb(const std::string &bytes, const std::string &file)
{
	onnx::TensorProto tp;
	if (bytes.empty() || !tp.ParseFromString(bytes))
		throw InputError(file + ": not a serialized ONNX TensorProto (empty, truncated or corrupt)");
	Decoded d = decode_tensor(tp, true);
	if (!d.error.empty())
		throw InputError(file + ": tensor " + d.error);
	return std::move(d.t);
}

Tensor read_tensor_pb(const std::string &path)
{
	return parse_tensor_pb(slurp(path), path);
}

Tensor read_tensor(const std::string &path)
{
	std::string bytes = slurp(path);
	if (bytes.compare(0, kMagicLen, kMagic, kMagicLen) == 0)
		return parse_npy(bytes, path);
	return parse_tensor_pb(bytes, path);
}

} // namespace kinfer
