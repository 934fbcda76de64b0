// SPDX-License-Identifier: GPL-2.0
// The .tflite reader on models built here with FlatBufferBuilder through the
// slot constants of tflite/schema.h: a valid model reads back field by field,
// and each broken variant is refused naming the file, the tensor or operator
// and the cause.  (tests/python/test_tflite_malformed.py does the same on
// models from TensorFlow's converter, test_tflite_schema.py checks the slots.)
#include "error.h"
#include "tflite/reader.h"
#include "tflite/schema.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <unistd.h>

using namespace kinfer;
using namespace kinfer::tflite;
using Catch::Matchers::Contains;
namespace fb = kinfer::tflite::schema;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

struct TensorSpec {
	std::string name;
	std::vector<int32_t> shape;
	int8_t type = INT8;
	uint32_t buffer = 0;
	std::vector<float> scale;
	std::vector<int64_t> zero_point;
	int32_t qdim = 0;
	bool sparsity = false;
	bool no_quant = false;
};

struct OpSpec {
	uint32_t opcode_index = 0;
	std::vector<int32_t> inputs, outputs;
	uint8_t options_type = 0;
	std::function<Offset<void>(FlatBufferBuilder &)> options = nullptr;
};

struct BufferSpec {
	std::vector<uint8_t> data;
	uint64_t offset = 0, size = 0;
};

struct Spec {
	uint32_t version = 3;
	std::vector<std::pair<int8_t, int32_t>> codes;	// deprecated, builtin
	std::string custom_code = "MyOp";		// for code 32
	std::vector<BufferSpec> buffers;
	std::vector<TensorSpec> tensors;
	std::vector<int32_t> inputs, outputs;
	std::vector<OpSpec> ops;
	int subgraphs = 1;
	std::string description = "kinfer test";
};

std::vector<uint8_t> bytes_of(size_t n, uint8_t v) { return std::vector<uint8_t>(n, v); }

template <typename T> std::vector<uint8_t> raw(const std::vector<T> &v)
{
	std::vector<uint8_t> b(v.size() * sizeof(T));
	std::memcpy(b.data(), v.data(), b.size());
	return b;
}

// A fully connected int8 layer, then a Conv2D, a Softmax, a custom op, a
// GELU (a code above 127) and a reshape.  The reader does not check that
// operators fit their tensors: that is the translator's job.
Spec valid()
{
	Spec s;
	s.codes = {{9, 9}, {3, 3}, {25, 25}, {32, 32}, {127, 150}, {22, 22}};
	s.buffers = {{}, {bytes_of(12, 1)}, {raw(std::vector<int32_t>{1, -2, 3})}, {}};
	s.tensors = {
		{"input", {1, 4}, INT8, 0, {0.5f}, {-3}},
		{"weights", {3, 4}, INT8, 1, {0.25f, 0.125f, 0.0625f}, {0, 0, 0}},
		{"bias", {3}, INT32, 2, {0.125f, 0.0625f, 0.03125f}, {0, 0, 0}},
		{"output", {1, 3}, INT8, 3, {1.0f}, {127}},
		{"float", {2}, FLOAT32, 0, {}, {}, 0, false, true},
	};
	s.inputs = {0};
	s.outputs = {3};
	OpSpec fc{0, {0, 1, 2}, {3}, (uint8_t)fb::BuiltinOptions::FullyConnectedOptions,
		  [](FlatBufferBuilder &b) {
			  auto t = b.StartTable();
			  b.AddElement<int8_t>(fb::FullyConnectedOptions::VT_FUSED_ACTIVATION_FUNCTION, 1, 0);
			  b.AddElement<uint8_t>(fb::FullyConnectedOptions::VT_KEEP_NUM_DIMS, 1, 0);
			  return Offset<void>(b.EndTable(t));
		  }};
	OpSpec conv{1, {0, 1, -1}, {3}, (uint8_t)fb::BuiltinOptions::Conv2DOptions,
		    [](FlatBufferBuilder &b) {
			    auto t = b.StartTable();
			    b.AddElement<int8_t>(fb::Conv2DOptions::VT_PADDING, 1, 0);
			    b.AddElement<int32_t>(fb::Conv2DOptions::VT_STRIDE_W, 2, 0);
			    b.AddElement<int32_t>(fb::Conv2DOptions::VT_STRIDE_H, 3, 0);
			    b.AddElement<int32_t>(fb::Conv2DOptions::VT_DILATION_H_FACTOR, 2, 1);
			    b.AddElement<int8_t>(fb::Conv2DOptions::VT_FUSED_ACTIVATION_FUNCTION, 3, 0);
			    return Offset<void>(b.EndTable(t));
		    }};
	// An empty options table: beta is the schema default (0), not 1.
	OpSpec softmax{2, {3}, {3}, (uint8_t)fb::BuiltinOptions::SoftmaxOptions,
		       [](FlatBufferBuilder &b) { return Offset<void>(b.EndTable(b.StartTable())); }};
	OpSpec custom{3, {3}, {3}};
	OpSpec gelu{4, {3}, {3}};
	OpSpec reshape{5, {3}, {3}, (uint8_t)fb::BuiltinOptions::ReshapeOptions,
		       [](FlatBufferBuilder &b) {
			       auto v = b.CreateVector(std::vector<int32_t>{3, -1});
			       auto t = b.StartTable();
			       b.AddOffset(fb::ReshapeOptions::VT_NEW_SHAPE, v);
			       return Offset<void>(b.EndTable(t));
		       }};
	s.ops = {fc, conv, softmax, custom, gelu, reshape};
	return s;
}

Offset<void> tensor(FlatBufferBuilder &b, const TensorSpec &t)
{
	auto shape = b.CreateVector(t.shape);
	auto name = b.CreateString(t.name);
	Offset<void> quant, sparsity;
	if (!t.no_quant) {
		auto scale = b.CreateVector(t.scale);
		auto zp = b.CreateVector(t.zero_point);
		auto q = b.StartTable();
		b.AddOffset(fb::QuantizationParameters::VT_SCALE, scale);
		b.AddOffset(fb::QuantizationParameters::VT_ZERO_POINT, zp);
		b.AddElement<int32_t>(fb::QuantizationParameters::VT_QUANTIZED_DIMENSION, t.qdim, 0);
		quant = Offset<void>(b.EndTable(q));
	}
	if (t.sparsity)
		sparsity = Offset<void>(b.EndTable(b.StartTable()));
	auto s = b.StartTable();
	b.AddOffset(fb::Tensor::VT_SHAPE, shape);
	b.AddElement<int8_t>(fb::Tensor::VT_TYPE, t.type, 0);
	b.AddElement<uint32_t>(fb::Tensor::VT_BUFFER, t.buffer, 0);
	b.AddOffset(fb::Tensor::VT_NAME, name);
	if (!t.no_quant)
		b.AddOffset(fb::Tensor::VT_QUANTIZATION, quant);
	if (t.sparsity)
		b.AddOffset(fb::Tensor::VT_SPARSITY, sparsity);
	return Offset<void>(b.EndTable(s));
}

Offset<void> op(FlatBufferBuilder &b, const OpSpec &o)
{
	auto in = b.CreateVector(o.inputs);
	auto out = b.CreateVector(o.outputs);
	Offset<void> opts = o.options ? o.options(b) : Offset<void>();
	auto s = b.StartTable();
	b.AddElement<uint32_t>(fb::Operator::VT_OPCODE_INDEX, o.opcode_index, 0);
	b.AddOffset(fb::Operator::VT_INPUTS, in);
	b.AddOffset(fb::Operator::VT_OUTPUTS, out);
	b.AddElement<uint8_t>(fb::Operator::VT_BUILTIN_OPTIONS_TYPE, o.options_type, 0);
	if (o.options)
		b.AddOffset(fb::Operator::VT_BUILTIN_OPTIONS, opts);
	return Offset<void>(b.EndTable(s));
}

Offset<void> subgraph(FlatBufferBuilder &b, const Spec &s)
{
	std::vector<Offset<void>> ts, os;
	for (const auto &t : s.tensors)
		ts.push_back(tensor(b, t));
	for (const auto &o : s.ops)
		os.push_back(op(b, o));
	auto tv = b.CreateVector(ts);
	auto ov = b.CreateVector(os);
	auto in = b.CreateVector(s.inputs);
	auto out = b.CreateVector(s.outputs);
	auto name = b.CreateString("main");
	auto g = b.StartTable();
	b.AddOffset(fb::SubGraph::VT_TENSORS, tv);
	b.AddOffset(fb::SubGraph::VT_INPUTS, in);
	b.AddOffset(fb::SubGraph::VT_OUTPUTS, out);
	b.AddOffset(fb::SubGraph::VT_OPERATORS, ov);
	b.AddOffset(fb::SubGraph::VT_NAME, name);
	return Offset<void>(b.EndTable(g));
}

std::vector<uint8_t> build(const Spec &s)
{
	FlatBufferBuilder b;
	std::vector<Offset<void>> codes, graphs, bufs;
	for (auto [dep, code] : s.codes) {
		auto cc = code == 32 ? b.CreateString(s.custom_code) : Offset<flatbuffers::String>();
		auto t = b.StartTable();
		b.AddElement<int8_t>(fb::OperatorCode::VT_DEPRECATED_BUILTIN_CODE, dep, 0);
		b.AddElement<int32_t>(fb::OperatorCode::VT_BUILTIN_CODE, code, 0);
		b.AddElement<int32_t>(fb::OperatorCode::VT_VERSION, 2, 1);
		if (code == 32)
			b.AddOffset(fb::OperatorCode::VT_CUSTOM_CODE, cc);
		codes.push_back(Offset<void>(b.EndTable(t)));
	}
	for (int i = 0; i < s.subgraphs; i++)
		graphs.push_back(subgraph(b, s));
	for (const auto &buf : s.buffers) {
		Offset<flatbuffers::Vector<uint8_t>> data;
		if (!buf.data.empty()) {
			b.ForceVectorAlignment(buf.data.size(), 1, 16);
			data = b.CreateVector(buf.data);
		}
		auto t = b.StartTable();
		if (!buf.data.empty())
			b.AddOffset(fb::Buffer::VT_DATA, data);
		b.AddElement<uint64_t>(fb::Buffer::VT_OFFSET, buf.offset, 0);
		b.AddElement<uint64_t>(fb::Buffer::VT_SIZE, buf.size, 0);
		bufs.push_back(Offset<void>(b.EndTable(t)));
	}
	auto cv = b.CreateVector(codes);
	auto gv = b.CreateVector(graphs);
	auto bv = b.CreateVector(bufs);
	auto desc = b.CreateString(s.description);
	auto m = b.StartTable();
	b.AddElement<uint32_t>(fb::Model::VT_VERSION, s.version, 0);
	b.AddOffset(fb::Model::VT_OPERATOR_CODES, cv);
	b.AddOffset(fb::Model::VT_SUBGRAPHS, gv);
	b.AddOffset(fb::Model::VT_DESCRIPTION, desc);
	b.AddOffset(fb::Model::VT_BUFFERS, bv);
	b.Finish(Offset<void>(b.EndTable(m)), "TFL3");
	return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

// The message a broken model is refused with ("" if it is accepted).
std::string refusal(std::vector<uint8_t> bytes)
{
	try {
		parse_model(std::move(bytes), "bad.tflite");
	} catch (const ModelError &e) {
		return e.what();
	}
	return "";
}

std::string refusal(const Spec &s) { return refusal(build(s)); }

#define REFUSED(spec, ...)                                                   \
	do {                                                                 \
		std::string msg_ = refusal(spec);                            \
		INFO(msg_);                                                  \
		REQUIRE(msg_.rfind("bad.tflite: ", 0) == 0);                 \
		for (const char *want : {__VA_ARGS__})                       \
			CHECK_THAT(msg_, Contains(want));                    \
	} while (0)

} // namespace

TEST_CASE("a valid model reads back", "[tflite]")
{
	Model m = parse_model(build(valid()), "ok.tflite");
	CHECK(m.file == "ok.tflite");
	CHECK(m.version == 3);
	CHECK(m.description == "kinfer test");
	CHECK(m.subgraph_name == "main");
	REQUIRE(m.tensors.size() == 5);
	CHECK(m.inputs == std::vector<int32_t>{0});
	CHECK(m.outputs == std::vector<int32_t>{3});

	const Tensor &w = m.tensors[1];
	CHECK(w.name == "weights");
	CHECK(w.shape == std::vector<int32_t>{3, 4});
	CHECK(w.type == INT8);
	CHECK(w.buffer == 1);
	REQUIRE(w.data != nullptr);
	CHECK(w.data_size == 12);
	CHECK(w.data >= m.bytes.data());
	CHECK(w.data + w.data_size <= m.bytes.data() + m.bytes.size());
	CHECK(w.data[0] == 1);
	CHECK(w.quant.scale == std::vector<float>{0.25f, 0.125f, 0.0625f});
	CHECK(w.quant.zero_point == std::vector<int64_t>{0, 0, 0});

	const Tensor &bias = m.tensors[2];
	REQUIRE(bias.data_size == 12);
	int32_t b1;
	std::memcpy(&b1, bias.data + 4, 4);
	CHECK(b1 == -2);
	CHECK(m.tensors[0].quant.zero_point == std::vector<int64_t>{-3});
	CHECK(m.tensors[3].data == nullptr);	// buffer 3 is empty: an activation
	CHECK(m.tensors[4].quant.scale.empty());
	CHECK(m.tensors[4].type == FLOAT32);

	REQUIRE(m.operators.size() == 6);
	const Operator &fc = m.operators[0];
	CHECK(fc.opcode == FULLY_CONNECTED);
	CHECK(fc.version == 2);
	CHECK(fc.inputs == std::vector<int32_t>{0, 1, 2});
	CHECK(fc.options.fused_activation == 1);
	CHECK(fc.options.keep_num_dims);
	const Operator &conv = m.operators[1];
	CHECK(conv.index == 1);
	CHECK(conv.opcode == CONV_2D);
	CHECK(conv.inputs[2] == -1);
	CHECK(conv.options.padding == 1);
	CHECK(conv.options.stride_w == 2);
	CHECK(conv.options.stride_h == 3);
	CHECK(conv.options.dilation_w == 1);
	CHECK(conv.options.dilation_h == 2);
	CHECK(conv.options.fused_activation == 3);
	CHECK(m.operators[2].opcode == SOFTMAX);
	CHECK(m.operators[2].options.beta == 0.0f);
	CHECK(m.operators[3].opcode == CUSTOM);
	CHECK(m.operators[3].custom_code == "MyOp");
	CHECK(m.operators[4].opcode == GELU);
	CHECK(builtin_name(m.operators[4].opcode) == "GELU");
	CHECK(m.operators[5].options.has_new_shape);
	CHECK(m.operators[5].options.new_shape == std::vector<int32_t>{3, -1});
}

TEST_CASE("the model survives a move: tensor data points into its bytes", "[tflite]")
{
	Model a = parse_model(build(valid()), "ok.tflite");
	const uint8_t *data = a.tensors[1].data;
	Model b = std::move(a);
	CHECK(b.tensors[1].data == data);
	CHECK(data >= b.bytes.data());
	CHECK(data < b.bytes.data() + b.bytes.size());
}

TEST_CASE("read_model reads a file and names it", "[tflite]")
{
	char path[] = "/tmp/kinfer-tflite-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	std::vector<uint8_t> bytes = build(valid());
	std::ofstream(path, std::ios::binary).write((const char *)bytes.data(), (std::streamsize)bytes.size());
	Model m = read_model(path);
	CHECK(m.tensors.size() == 5);
	std::ofstream(path, std::ios::binary).write("TFL3", 4);
	REQUIRE_THROWS_WITH(read_model(path), Contains(path) && Contains("too small"));
	std::remove(path);
	REQUIRE_THROWS_WITH(read_model(path), Contains("cannot open"));
}

TEST_CASE("names and helpers", "[tflite]")
{
	CHECK(std::string(type_name(INT8)) == "INT8");
	CHECK(std::string(type_name(17)) == "INT4");
	CHECK(std::string(type_name(77)) == "type 77");
	CHECK(builtin_name(FULLY_CONNECTED) == "FULLY_CONNECTED");
	CHECK(builtin_name(999) == "builtin 999");
	CHECK(element_size(INT64) == 8);
	CHECK(element_size(FLOAT16) == 2);
	CHECK(element_size(STRING) == 0);
	CHECK(expected_options(CONV_2D) == (int)fb::BuiltinOptions::Conv2DOptions);
	CHECK(expected_options(LOGISTIC) == -1);
}

TEST_CASE("structural damage is refused", "[tflite]")
{
	std::vector<uint8_t> good = build(valid());
	REFUSED(std::vector<uint8_t>(good.begin(), good.begin() + 4), "too small");
	auto ident = good;
	ident.at(7) = 0x01;	// "TFL3" -> "TFL\x01"
	REFUSED(ident, "file identifier 'TFL\\x01'", "expected 'TFL3'");
	auto root = good;
	root[3] = 0x7f;
	REFUSED(root, "root table offset", "past the end");
	for (size_t cut : {good.size() / 4, good.size() / 2, good.size() - 8}) {
		auto t = std::vector<uint8_t>(good.begin(), good.begin() + cut);
		REFUSED(t, "corrupt TFLite flatbuffer");
	}
	// Every vtable offset of the root table bent to point past the end.
	uint32_t root_off;
	std::memcpy(&root_off, good.data(), 4);
	auto vt = good;
	uint32_t huge = 0xc0000000;	// -2^30 as the table's soffset_t
	for (size_t k = 0; k < 4; k++)
		vt.at(root_off + k) = (uint8_t)(huge >> (8 * k));
	REFUSED(vt, "corrupt TFLite flatbuffer");
}

TEST_CASE("an arbitrary byte flip never crashes the reader", "[tflite]")
{
	std::vector<uint8_t> good = build(valid());
	for (size_t i = 0; i < good.size(); i++)
		for (uint8_t x : {0x01, 0x80, 0xff}) {
			auto b = good;
			b[i] ^= x;
			std::string msg = refusal(b);
			CHECK((msg.empty() || msg.rfind("bad.tflite: ", 0) == 0));
		}
}

TEST_CASE("model-level causes are refused", "[tflite]")
{
	Spec s = valid();
	s.version = 2;
	REFUSED(s, "schema version 2");
	s = valid();
	s.subgraphs = 2;
	REFUSED(s, "2 subgraphs", "only one subgraph is supported");
	s = valid();
	s.subgraphs = 0;
	REFUSED(s, "no subgraph");
	s = valid();
	s.inputs = {7};
	REFUSED(s, "subgraph 0 'main'", "graph input 0", "tensor index 7 out of range");
	s = valid();
	s.outputs = {-1};
	REFUSED(s, "graph output 0", "tensor index -1 out of range");
}

TEST_CASE("tensor causes are refused, naming the tensor", "[tflite]")
{
	Spec s = valid();
	s.tensors[1].buffer = 9;
	REFUSED(s, "tensor 1 'weights'", "buffer index 9 out of range");
	s = valid();
	s.buffers[1].offset = 4096, s.buffers[1].size = 12;
	REFUSED(s, "tensor 1 'weights'", "external data is not supported");
	s = valid();
	s.buffers[1].data.resize(11);
	REFUSED(s, "tensor 1 'weights'", "shape/buffer mismatch", "needs 12 bytes", "holds 11");
	s = valid();
	s.tensors[0].shape = {1, 1, 1, 1, 1, 1, 1, 1, 4};
	REFUSED(s, "tensor 0 'input'", "rank 9 exceeds 8");
	s = valid();
	s.tensors[0].shape = {-1, 4};
	REFUSED(s, "tensor 0 'input'", "dynamic dimension (-1)");
	s = valid();
	s.tensors[0].shape = {1, 0};
	REFUSED(s, "zero-sized dimension at axis 1");
	s = valid();
	s.tensors[0].shape = {1, -7};
	REFUSED(s, "negative dimension -7");
	s = valid();
	s.tensors[3].shape = {65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536};
	s.tensors[3].scale = {1.0f}, s.tensors[3].zero_point = {0};
	REFUSED(s, "tensor 3 'output'", "larger than 2 GiB");
	s = valid();
	s.tensors[4].shape = {1 << 29};	// FLOAT32: exactly 2 GiB is still allowed
	CHECK(refusal(s) == "");
	s.tensors[4].shape = {(1 << 29) + 1};
	REFUSED(s, "larger than 2 GiB");
	s = valid();
	s.tensors[2].sparsity = true;
	REFUSED(s, "tensor 2 'bias'", "sparse tensors are not supported");
	s = valid();
	s.tensors[4].type = STRING;
	REFUSED(s, "tensor 4 'float'", "string tensors are not supported");
	s = valid();
	s.tensors[4].type = 10;	// FLOAT64, unused: harmless
	CHECK(refusal(s) == "");
	s.inputs = {4};
	REFUSED(s, "tensor 4 'float'", "type FLOAT64 is not supported");
	s = valid();
	s.tensors[0].name = "in\x01put\xff";
	s.tensors[0].shape = {0};
	REFUSED(s, "tensor 0 'in\\x01put\\xff'");
}

TEST_CASE("quantization parameters are checked", "[tflite]")
{
	Spec s = valid();
	s.tensors[1].zero_point = {0, 0};
	REFUSED(s, "tensor 1 'weights'", "scale/zero_point length mismatch");
	s = valid();
	s.tensors[1].zero_point = {};
	REFUSED(s, "no zero_point");
	s = valid();
	s.tensors[1].qdim = 1;	// dim 1 is 4, not 3
	REFUSED(s, "3 scales do not match dimension 1");
	s = valid();
	s.tensors[1].qdim = 2;
	REFUSED(s, "quantized_dimension 2 out of range for rank 2");
	s = valid();
	s.tensors[1].qdim = -1;
	REFUSED(s, "quantized_dimension -1");
	const float bad[] = {0.0f, -0.5f, std::nanf(""), std::numeric_limits<float>::infinity(),
			     std::numeric_limits<float>::denorm_min()};
	for (float f : bad) {
		s = valid();
		s.tensors[1].scale[1] = f;
		REFUSED(s, "tensor 1 'weights'", "channel 1", "not a positive, finite, normal number");
	}
	for (float f : {1e38f, 1e-35f}) {
		s = valid();
		s.tensors[0].scale = {f};
		REFUSED(s, "tensor 0 'input'", "absurd scale");
	}
	s = valid();
	s.tensors[0].zero_point = {128};
	REFUSED(s, "zero point 128", "out of range for INT8");
	s = valid();
	s.tensors[0].type = UINT8;
	s.tensors[0].zero_point = {-1};
	REFUSED(s, "zero point -1", "out of range for UINT8");
	s = valid();
	s.tensors[2].zero_point = {0, 1, 0};
	REFUSED(s, "tensor 2 'bias'", "zero point 1 (channel 1)", "INT32");
	s = valid();
	s.tensors[4].scale = {1.0f}, s.tensors[4].zero_point = {0};
	s.tensors[4].no_quant = false;
	REFUSED(s, "quantization parameters on a FLOAT32 tensor");
}

TEST_CASE("operator causes are refused, naming the operator", "[tflite]")
{
	Spec s = valid();
	s.ops[1].opcode_index = 6;
	REFUSED(s, "operator 1", "opcode index 6 out of range");
	s = valid();
	s.codes[1] = {-3, -3};
	REFUSED(s, "operator 1", "invalid builtin code -3");
	s = valid();
	s.ops[1].inputs[1] = 5;
	REFUSED(s, "operator 1 (CONV_2D)", "input 1: tensor index 5 out of range");
	s = valid();
	s.ops[0].inputs[0] = -2;
	REFUSED(s, "operator 0 (FULLY_CONNECTED)", "tensor index -2");
	s = valid();
	s.ops[0].outputs[0] = -1;	// optional only for inputs
	REFUSED(s, "operator 0 (FULLY_CONNECTED)", "output 0: tensor index -1 out of range");
	s = valid();
	// (AddOptions reads a Conv2DOptions table without going out of bounds.)
	s.ops[1].options_type = (uint8_t)fb::BuiltinOptions::AddOptions;
	REFUSED(s, "operator 1 (CONV_2D)", "do not belong to this operator");
	s = valid();
	// A Softmax's beta read from a Conv2DOptions table's int8 padding slot
	// is misaligned: the verifier stops it.
	s.ops[1].options_type = (uint8_t)fb::BuiltinOptions::SoftmaxOptions;
	REFUSED(s, "corrupt TFLite flatbuffer");
}
