// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "onnx_builders.h"

#include <catch2/catch.hpp>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

TEST_CASE("a serialized model reads back", "[onnx_reader]")
{
	TempFile f(mlp(4, 8, 3).bytes());
	onnx::ModelProto m = read_model(f.path());
	REQUIRE(m.graph().node_size() == 5);
	REQUIRE(m.graph().initializer_size() == 4);
}

TEST_CASE("a missing file names the file and the cause", "[onnx_reader]")
{
	REQUIRE_THROWS_WITH(read_model("/nonexistent/model.onnx"),
			    Contains("/nonexistent/model.onnx") && Contains("No such file"));
	try {
		read_model("/nonexistent/model.onnx");
	} catch (const Error &e) {
		REQUIRE(e.code() == Exit::invalid);
	}
}

TEST_CASE("truncated models are rejected", "[onnx_reader]")
{
	std::string bytes = mlp(4, 8, 3).bytes();
	// Every cut inside the last initializer's payload must fail in parsing
	// or in validation, never produce a model silently.
	for (size_t cut : {bytes.size() - 1, bytes.size() - 5, bytes.size() / 2, (size_t)10}) {
		std::string part = bytes.substr(0, cut);
		INFO("cut at " << cut);
		bool rejected = false;
		try {
			onnx::ModelProto m = parse_model(part, "cut.onnx");
			compile_proto(m, "cut.onnx", "cut");
		} catch (const ModelError &e) {
			rejected = std::string(e.what()).find("cut.onnx") == 0;
		}
		REQUIRE(rejected);
	}
	REQUIRE_THROWS_WITH(parse_model(bytes.substr(0, bytes.size() - 1), "cut.onnx"),
			    Contains("truncated"));
}

TEST_CASE("garbage and empty files are not models", "[onnx_reader]")
{
	REQUIRE_THROWS_WITH(parse_model("", "empty.onnx"), Contains("empty.onnx") && Contains("empty"));
	REQUIRE_THROWS_WITH(parse_model(std::string("\xff\xff\xff\xff garbage \x01\x02", 16), "g.onnx"),
			    Contains("g.onnx") && Contains("not an ONNX model"));
	// Valid protobuf that is not a model: a lone string field 1... no graph.
	REQUIRE_THROWS_WITH(parse_model(std::string("\x08\x07", 2), "nograph.onnx"),
			    Contains("no graph"));
}

TEST_CASE("a directory is not a model", "[onnx_reader]")
{
	REQUIRE_THROWS_WITH(read_model("/tmp"), Contains("directory"));
}

TEST_CASE("tensor decoding checks element counts", "[onnx_reader]")
{
	onnx::TensorProto t;
	t.set_data_type(onnx::TensorProto::FLOAT);
	t.add_dims(2);
	t.add_dims(3);
	for (int i = 0; i < 5; i++)
		t.add_float_data((float)i);
	Decoded d = decode_tensor(t);
	REQUIRE_THAT(d.error, Contains("holds 5 values") && Contains("[2,3]"));
	t.add_float_data(5.0f);
	d = decode_tensor(t);
	REQUIRE(d.error.empty());
	REQUIRE(d.t.numel() == 6);
	t.set_data_type(onnx::TensorProto::INT16);
	REQUIRE_THAT(decode_tensor(t).error, Contains("INT16"));
	t.set_data_type(onnx::TensorProto::INT8);	// quantised: from int32_data
	REQUIRE_THAT(decode_tensor(t).error, Contains("holds 0 values"));
	t.set_data_type(onnx::TensorProto::UINT8);	// text: from int32_data, like BOOL
	REQUIRE_THAT(decode_tensor(t).error, Contains("holds 0 values"));
	t.set_data_type(onnx::TensorProto::BOOL);
	t.clear_float_data();
	for (int i = 0; i < 6; i++)
		t.add_int32_data(i % 3);
	d = decode_tensor(t);
	REQUIRE(d.t.dtype == DType::boolean);
	REQUIRE(d.t.ints() == std::vector<int64_t>{0, 1, 1, 0, 1, 1});
}

TEST_CASE("names that are not UTF-8 are refused and never printed raw", "[onnx_reader]")
{
	auto b = mlp(4, 8, 3);
	b.model().mutable_graph()->mutable_node(2)->set_input(0, std::string("Relu/ou\xe2", 8));
	REQUIRE_THROWS_WITH(parse_model(b.bytes(), "bad.onnx"),
			    Contains("bad.onnx") && Contains("node 2 input") &&
			    Contains("'Relu/ou\\xe2'") && Contains("not valid UTF-8"));

	auto c = mlp(4, 8, 3);
	c.model().mutable_graph()->mutable_initializer(0)->set_name("k\x1b[31m");
	REQUIRE_THROWS_WITH(parse_model(c.bytes(), "esc.onnx"),
			    Contains("initializer name 'k\\x1b[31m'"));
}

TEST_CASE("UTF-8 validity and printable escaping", "[onnx_reader][utf8]")
{
	REQUIRE(valid_utf8("params/Dense_0/kernel"));
	REQUIRE(valid_utf8("Gewicht/\xc3\xa4/\xe2\x82\xac/\xf0\x9f\x98\x80"));	// ä € 😀
	REQUIRE_FALSE(valid_utf8("\xc0\xaf"));		// overlong '/'
	REQUIRE_FALSE(valid_utf8("\xed\xa0\x80"));	// surrogate
	REQUIRE_FALSE(valid_utf8("\xf4\x90\x80\x80"));	// past U+10FFFF
	REQUIRE_FALSE(valid_utf8("\xe2\x82"));		// cut short
	REQUIRE(printable("a\xe2\x82\xac\n") == "a\xe2\x82\xac\n");
	REQUIRE(printable(std::string("a\xff\x07", 3)) == "a\\xff\\x07");
}
