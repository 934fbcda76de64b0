// SPDX-License-Identifier: GPL-2.0
// Build small ONNX models in tests without files or Python.
#pragma once

#include "compile.h"
#include "exec.h"
#include "import.h"
#include "lower.h"
#include "onnx_reader.h"
#include "passes.h"
#include "plan.h"

#include <onnx/onnx_pb.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <unistd.h>
#include <vector>

namespace kinfer_test {

using Shape = std::vector<int64_t>;

class ModelBuilder {
public:
	explicit ModelBuilder(int64_t opset = 17)
	{
		m_.set_ir_version(8);
		m_.set_producer_name("kinfer_tests");
		auto *o = m_.add_opset_import();
		o->set_domain("");
		o->set_version(opset);
		m_.mutable_graph()->set_name("test");
	}

	ModelBuilder &input(const std::string &name, const Shape &shape,
			    int32_t dtype = onnx::TensorProto::FLOAT)
	{
		value(m_.mutable_graph()->add_input(), name, shape, dtype);
		return *this;
	}
	// A dynamic dimension named `param` at position `dim`.
	ModelBuilder &input_dynamic(const std::string &name, const Shape &shape, int dim,
				    const std::string &param)
	{
		auto *v = m_.mutable_graph()->add_input();
		value(v, name, shape, onnx::TensorProto::FLOAT);
		auto *d = v->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(dim);
		d->clear_dim_value();
		d->set_dim_param(param);
		return *this;
	}
	ModelBuilder &output(const std::string &name, const Shape &shape)
	{
		value(m_.mutable_graph()->add_output(), name, shape, onnx::TensorProto::FLOAT);
		return *this;
	}
	ModelBuilder &init(const std::string &name, const Shape &shape, const std::vector<float> &v)
	{
		auto *t = m_.mutable_graph()->add_initializer();
		t->set_name(name);
		t->set_data_type(onnx::TensorProto::FLOAT);
		for (int64_t d : shape)
			t->add_dims(d);
		for (float f : v)
			t->add_float_data(f);
		return *this;
	}
	// Stored as raw_data (what exporters write).
	ModelBuilder &init_raw(const std::string &name, const Shape &shape, const std::vector<float> &v)
	{
		auto *t = m_.mutable_graph()->add_initializer();
		t->set_name(name);
		t->set_data_type(onnx::TensorProto::FLOAT);
		for (int64_t d : shape)
			t->add_dims(d);
		t->set_raw_data(std::string(reinterpret_cast<const char *>(v.data()), v.size() * 4));
		return *this;
	}
	ModelBuilder &init_i64(const std::string &name, const Shape &shape, const std::vector<int64_t> &v)
	{
		auto *t = m_.mutable_graph()->add_initializer();
		t->set_name(name);
		t->set_data_type(onnx::TensorProto::INT64);
		for (int64_t d : shape)
			t->add_dims(d);
		for (int64_t x : v)
			t->add_int64_data(x);
		return *this;
	}
	ModelBuilder &init_i32(const std::string &name, const Shape &shape, const std::vector<int32_t> &v)
	{
		auto *t = m_.mutable_graph()->add_initializer();
		t->set_name(name);
		t->set_data_type(onnx::TensorProto::INT32);
		for (int64_t d : shape)
			t->add_dims(d);
		for (int32_t x : v)
			t->add_int32_data(x);
		return *this;
	}
	onnx::NodeProto &node(const std::string &op, std::initializer_list<std::string> in,
			      std::initializer_list<std::string> out, const std::string &name = "")
	{
		auto *n = m_.mutable_graph()->add_node();
		n->set_op_type(op);
		n->set_name(name);
		for (const auto &s : in)
			n->add_input(s);
		for (const auto &s : out)
			n->add_output(s);
		return *n;
	}
	static void attr_int(onnx::NodeProto &n, const std::string &name, int64_t v)
	{
		auto *a = n.add_attribute();
		a->set_name(name);
		a->set_type(onnx::AttributeProto::INT);
		a->set_i(v);
	}
	static void attr_float(onnx::NodeProto &n, const std::string &name, float v)
	{
		auto *a = n.add_attribute();
		a->set_name(name);
		a->set_type(onnx::AttributeProto::FLOAT);
		a->set_f(v);
	}
	static void attr_ints(onnx::NodeProto &n, const std::string &name,
			      const std::vector<int64_t> &v)
	{
		auto *a = n.add_attribute();
		a->set_name(name);
		a->set_type(onnx::AttributeProto::INTS);
		for (int64_t x : v)
			a->add_ints(x);
	}
	static void attr_string(onnx::NodeProto &n, const std::string &name, const std::string &v)
	{
		auto *a = n.add_attribute();
		a->set_name(name);
		a->set_type(onnx::AttributeProto::STRING);
		a->set_s(v);
	}

	onnx::ModelProto &model() { return m_; }
	std::string bytes() const { return m_.SerializeAsString(); }

	// Imported only: no pass has run.
	kinfer::Graph imported(const std::string &file = "model.onnx") const
	{
		return kinfer::import_model(m_, file);
	}
	// After every pass.
	kinfer::Graph graph(const std::string &file = "model.onnx") const
	{
		kinfer::Graph g = imported(file);
		kinfer::run_passes(g);
		return g;
	}
	kinfer::Lowered lowered(const std::string &file = "model.onnx") const
	{
		return kinfer::lower_graph(graph(file));
	}
	kinfer::Compiled compiled(const std::string &file = "model.onnx") const
	{
		return kinfer::compile_proto(m_, file, "test");
	}

private:
	static void value(onnx::ValueInfoProto *v, const std::string &name, const Shape &shape,
			  int32_t dtype)
	{
		v->set_name(name);
		auto *tt = v->mutable_type()->mutable_tensor_type();
		tt->set_elem_type(dtype);
		auto *sh = tt->mutable_shape();
		for (int64_t d : shape)
			sh->add_dim()->set_dim_value(d);
	}

	onnx::ModelProto m_;
};

// A 2-layer MLP: x[1,in] -> Dense(hidden) -> act -> Dense(out) -> y.
// Weights are deterministic small values.
inline ModelBuilder mlp(int64_t in, int64_t hidden, int64_t out, const std::string &act = "Relu",
			int64_t batch = 1)
{
	ModelBuilder b;
	auto vals = [](size_t n, float scale) {
		std::vector<float> v(n);
		for (size_t i = 0; i < n; i++)
			v[i] = scale * (float)((int)(i * 7 % 11) - 5);
		return v;
	};
	b.input("x", {batch, in}).output("y", {batch, out});
	b.init("params/Dense_0/kernel", {in, hidden}, vals(in * hidden, 0.1f));
	b.init("params/Dense_0/bias", {hidden}, vals(hidden, 0.01f));
	b.init("params/Dense_1/kernel", {hidden, out}, vals(hidden * out, 0.05f));
	b.init("params/Dense_1/bias", {out}, vals(out, 0.02f));
	b.node("MatMul", {"x", "params/Dense_0/kernel"}, {"h0"}, "Dense_0/MatMul");
	b.node("Add", {"h0", "params/Dense_0/bias"}, {"h1"}, "Dense_0/Add");
	b.node(act, {"h1"}, {"h2"}, "act");
	b.node("MatMul", {"h2", "params/Dense_1/kernel"}, {"h3"}, "Dense_1/MatMul");
	b.node("Add", {"h3", "params/Dense_1/bias"}, {"y"}, "Dense_1/Add");
	return b;
}

// A float32 host tensor.
inline kinfer::HostTensor F(const Shape &shape, const std::vector<float> &v)
{
	return kinfer::HostTensor::from_floats(shape, v);
}

// Compile and run a model in userspace with the kernel's own code.
inline std::vector<kinfer::HostTensor> run_model(const ModelBuilder &b,
						 const std::vector<kinfer::HostTensor> &in)
{
	kinfer::Compiled c = b.compiled();
	return kinfer::plan_run(c.lowered, c.plan, in);
}

// A temporary file removed on destruction.
class TempFile {
public:
	explicit TempFile(const std::string &bytes, const std::string &suffix = ".onnx")
	{
		char tmpl[] = "/tmp/kinfer_test_XXXXXX";
		int fd = mkstemp(tmpl);
		path_ = std::string(tmpl) + suffix;
		close(fd);
		unlink(tmpl);
		std::ofstream(path_, std::ios::binary) << bytes;
	}
	~TempFile() { unlink(path_.c_str()); }
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

} // namespace kinfer_test
