// SPDX-License-Identifier: GPL-2.0
#include "error.h"
#include "onnx_builders.h"
#include "tensor_io.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace kinfer;
using namespace kinfer_test;
using Catch::Matchers::Contains;

static std::string npy(const std::string &dict, const std::string &data, char major = 1)
{
	std::string h = dict;
	size_t pre = major == 1 ? 10 : 12;
	while ((pre + h.size() + 1) % 64)
		h += ' ';
	h += '\n';
	std::string s = std::string("\x93NUMPY", 6) + major + '\0';
	if (major == 1) {
		s += (char)(h.size() & 0xff);
		s += (char)(h.size() >> 8);
	} else {
		uint32_t n = (uint32_t)h.size();
		s.append(reinterpret_cast<const char *>(&n), 4);
	}
	return s + h + data;
}

static std::string floats(std::initializer_list<float> v)
{
	std::vector<float> f(v);
	return std::string(reinterpret_cast<const char *>(f.data()), f.size() * 4);
}

TEST_CASE("npy round trip", "[tensor_io]")
{
	for (Shape s : {Shape{}, Shape{3}, Shape{2, 3}, Shape{1, 2, 1}}) {
		uint64_t n = s.empty() ? 1 : shape_numel(s);
		std::vector<float> v;
		std::vector<int64_t> iv;
		for (uint64_t i = 0; i < n; i++) {
			v.push_back(0.5f * (float)i - 1.0f);
			iv.push_back((int64_t)i * 1000000007LL - 3);
		}
		for (const Tensor &t : {F(s, v), HostTensor::from_ints(DType::i64, s, iv),
					HostTensor::from_ints(DType::i32, s, iv),
					HostTensor::from_ints(DType::boolean, s, iv)}) {
			std::string bytes = format_npy(t);
			REQUIRE((bytes.size() - t.data.size()) % 64 == 0);
			Tensor r = parse_npy(bytes, "t.npy");
			REQUIRE(r.dtype == t.dtype);
			REQUIRE(r.shape == t.shape);
			REQUIRE(r.data == t.data);
		}
	}
	REQUIRE(format_npy(F({2}, {1, 2})).find("'shape': (2,)") != std::string::npos);
	REQUIRE(format_npy(HostTensor::from_ints(DType::i64, {1}, {1})).find("'<i8'") != std::string::npos);
}

TEST_CASE("npy v2 headers, float64 conversion, key order", "[tensor_io]")
{
	Tensor t = parse_npy(npy("{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
				 floats({1.5f, -2})), "v1.npy");
	REQUIRE(t.floats() == std::vector<float>{1.5f, -2});
	t = parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
			  floats({3, 4}), 2), "v2.npy");
	REQUIRE(t.shape == Shape{1, 2});
	double d[2] = {0.25, 8};
	t = parse_npy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
			  std::string(reinterpret_cast<const char *>(d), 16)), "f8.npy");
	REQUIRE(t.dtype == DType::f32);
	REQUIRE(t.floats() == std::vector<float>{0.25f, 8});
}

TEST_CASE("malformed npy files are rejected with the cause", "[tensor_io]")
{
	std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
	REQUIRE_THROWS_WITH(parse_npy("hello", "a.npy"), Contains("a.npy") && Contains("magic"));
	REQUIRE_THROWS_WITH(parse_npy(npy(ok, floats({1})), "short.npy"),
			    Contains("short.npy") && Contains("truncated"));
	REQUIRE_THROWS_WITH(parse_npy(npy(ok, floats({1, 2, 3})), "long.npy"), Contains("8 data bytes"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
					  floats({1, 2})), "be.npy"),
			    Contains("'>f4'"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
					  floats({1})), "u2.npy"),
			    Contains("'<u2' is not supported"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
					  floats({1, 2})), "f.npy"),
			    Contains("Fortran"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '<f4', 'shape': (2,), }", floats({1, 2})), "k.npy"),
			    Contains("exactly the keys"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
					  "'extra': 1}", floats({1, 2})), "x.npy"),
			    Contains("unexpected key 'extra'"));
	REQUIRE_THROWS_WITH(parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", ""),
				      "e.npy"),
			    Contains("empty"));
	std::string bad_ver = npy(ok, floats({1, 2}));
	bad_ver[6] = 9;
	REQUIRE_THROWS_WITH(parse_npy(bad_ver, "v.npy"), Contains("version 9"));
	REQUIRE_THROWS_AS(parse_npy(npy("{'descr': '<f4', 'fortran_order': Fals, 'shape': (2,), }",
					floats({1, 2})), "b.npy"),
			  InputError);
}

TEST_CASE("TensorProto .pb inputs", "[tensor_io]")
{
	onnx::TensorProto tp;
	tp.set_data_type(onnx::TensorProto::FLOAT);
	tp.add_dims(1);
	tp.add_dims(2);
	float v[2] = {7, 8};
	tp.set_raw_data(std::string(reinterpret_cast<const char *>(v), 8));
	TempFile f(tp.SerializeAsString(), ".pb");
	Tensor t = read_tensor(f.path());
	REQUIRE(t.shape == Shape{1, 2});
	REQUIRE(t.floats() == std::vector<float>{7, 8});

	tp.set_data_type(onnx::TensorProto::INT32);
	t = parse_tensor_pb(tp.SerializeAsString(), "i.pb");
	REQUIRE(t.dtype == DType::i32);
	tp.set_data_type(onnx::TensorProto::UINT16);
	REQUIRE_THROWS_WITH(parse_tensor_pb(tp.SerializeAsString(), "u.pb"),
			    Contains("u.pb") && Contains("UINT16"));
	REQUIRE_THROWS_WITH(parse_tensor_pb("", "e.pb"), Contains("not a serialized ONNX TensorProto"));
}

TEST_CASE("missing tensor files are input errors", "[tensor_io]")
{
	REQUIRE_THROWS_AS(read_tensor("/nonexistent.npy"), InputError);
	REQUIRE_THROWS_WITH(read_npy("/nonexistent.npy"), Contains("/nonexistent.npy"));
}
