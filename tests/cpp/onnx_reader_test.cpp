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
			validate_model(m, "cut.onnx");
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
	TensorData d = decode_tensor(t);
	REQUIRE_THAT(d.error, Contains("holds 5 values") && Contains("[2,3]"));
	t.add_float_data(5.0f);
	d = decode_tensor(t);
	REQUIRE(d.error.empty());
	REQUIRE(d.f.size() == 6);
	t.set_data_type(onnx::TensorProto::INT32);
	REQUIRE_THAT(decode_tensor(t).error, Contains("INT32"));
}
