// SPDX-License-Identifier: GPL-2.0
#include "tflite/reader.h"

#include "error.h"
#include "tflite/schema.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sys/stat.h>

namespace kinfer::tflite {

namespace fb = schema;

namespace {

// The verifier requires buffers below FLATBUFFERS_MAX_BUFFER_SIZE (2 GiB - 1),
// which is also the most one flatbuffer can address.
constexpr uint64_t max_file_bytes = FLATBUFFERS_MAX_BUFFER_SIZE - 1;
constexpr uint64_t max_tensor_bytes = uint64_t(1) << 31;
constexpr size_t max_rank = 8;
constexpr uint32_t schema_version = 3;
// Scales outside this range are no real quantisation: their products with
// other scales over- or underflow the fixed-point multipliers.
constexpr float min_scale = 1e-30f, max_scale = 1e30f;

std::string text(const flatbuffers::String *s)
{
	return s ? printable(s->str()) : std::string();
}

std::string fmt(double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%g", v);
	return buf;
}

std::string shape_text(const std::vector<int32_t> &shape)
{
	std::string s = "[";
	for (size_t i = 0; i < shape.size(); i++)
		s += (i ? ", " : "") + std::to_string(shape[i]);
	return s + "]";
}

template <typename T> std::vector<T> to_vector(const flatbuffers::Vector<T> *v)
{
	return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

// State of one parse: the file name for messages and the tables read.
struct Reader {
	Model &m;
	const fb::Model *root = nullptr;
	const fb::SubGraph *graph = nullptr;
	size_t nbuffers = 0;

	[[noreturn]] void fail(const std::string &what) const { throw ModelError(m.file + ": " + what); }
	[[noreturn]] void tensor_fail(size_t i, const std::string &what) const
	{
		fail("tensor " + std::to_string(i) + " '" + m.tensors[i].name + "': " + what);
	}
	[[noreturn]] void op_fail(const Operator &op, const std::string &what) const
	{
		fail("operator " + std::to_string(op.index) + " (" + builtin_name(op.opcode) + "): " + what);
	}

	void structure();
	void subgraph();
	void tensor(size_t i, const fb::Tensor &t);
	uint64_t shape(size_t i, const fb::Tensor &t);
	void data(size_t i, const fb::Tensor &t, uint64_t numel);
	void quantization(size_t i, const fb::QuantizationParameters &q);
	void operator_(size_t i, const fb::Operator &o);
	void options(Operator &op, const fb::Operator &o);
	void tensor_refs(const std::vector<int32_t> &idx, const std::string &what, bool optional,
			 const std::function<void(const std::string &)> &err);
	void used_types();
};

void Reader::structure()
{
	const std::vector<uint8_t> &b = m.bytes;
	if (b.size() < 8)
		fail("file too small for a TFLite model (" + std::to_string(b.size()) + " bytes)");
	if (b.size() > max_file_bytes)
		fail("file larger than 2 GiB (" + std::to_string(b.size()) +
		     " bytes): TFLite flatbuffers cannot address it");
	if (!flatbuffers::BufferHasIdentifier(b.data(), "TFL3"))
		fail("not a TFLite model: file identifier '" +
		     printable(std::string((const char *)b.data() + 4, 4)) + "' (expected 'TFL3')");
	uint32_t root_off = flatbuffers::ReadScalar<uint32_t>(b.data());
	if (root_off >= b.size())
		fail("root table offset " + std::to_string(root_off) + " is past the end of the file (" +
		     std::to_string(b.size()) + " bytes)");
	flatbuffers::Verifier::Options opts;
	opts.max_depth = 16;		// Model > SubGraph > Tensor > QuantizationParameters
	opts.max_tables = 1000000;
	opts.check_nested_flatbuffers = false;
	flatbuffers::Verifier v(b.data(), b.size(), opts);
	if (!v.VerifyBuffer<fb::Model>("TFL3"))
		fail("corrupt TFLite flatbuffer: an offset, vtable, vector or string lies outside the "
		     "file, is misaligned or nests too deep");
	root = fb::GetModel(b.data());
	m.version = root->version();
	if (m.version != schema_version)
		fail("schema version " + std::to_string(m.version) + " is not supported (expected " +
		     std::to_string(schema_version) + ")");
	m.description = text(root->description());
	nbuffers = root->buffers() ? root->buffers()->size() : 0;
}

uint64_t Reader::shape(size_t i, const fb::Tensor &t)
{
	Tensor &out = m.tensors[i];
	out.shape = to_vector(t.shape());
	if (out.shape.size() > max_rank)
		tensor_fail(i, "rank " + std::to_string(out.shape.size()) + " exceeds " +
				       std::to_string(max_rank));
	size_t esize = element_size(out.type) ? element_size(out.type) : 1;
	uint64_t numel = 1;
	for (size_t k = 0; k < out.shape.size(); k++) {
		int32_t d = out.shape[k];
		if (d == -1)
			tensor_fail(i, "dynamic dimension (-1) at axis " + std::to_string(k) +
					       " is not supported: the shape must be static");
		if (d == 0)
			tensor_fail(i, "zero-sized dimension at axis " + std::to_string(k) +
					       " is not supported");
		if (d < 0)
			tensor_fail(i, "negative dimension " + std::to_string(d) + " at axis " +
					       std::to_string(k));
		numel *= (uint64_t)d;	// < 2^31 * 2^31: no wrap before the check
		if (numel * esize > max_tensor_bytes)
			tensor_fail(i, "shape " + shape_text(out.shape) + " of " + type_name(out.type) +
					       " is larger than 2 GiB");
	}
	return numel;
}

void Reader::data(size_t i, const fb::Tensor &t, uint64_t numel)
{
	Tensor &out = m.tensors[i];
	uint32_t b = t.buffer();
	out.buffer = b;
	if (b >= nbuffers && !(b == 0 && nbuffers == 0))
		tensor_fail(i, "buffer index " + std::to_string(b) + " out of range (the model has " +
				       std::to_string(nbuffers) + " buffers)");
	if (b == 0)	// buffer 0 is the schema's empty sentinel
		return;
	const fb::Buffer *buf = root->buffers()->Get(b);
	if (buf->offset() || buf->size())
		tensor_fail(i, "buffer " + std::to_string(b) +
				       " keeps its data outside the flatbuffer (offset/size, the format "
				       "of models over 2 GB): external data is not supported");
	const auto *bytes = buf->data();
	if (!bytes || bytes->size() == 0)
		return;
	size_t esize = element_size(out.type);
	if (!esize)
		tensor_fail(i, "constant of type " + std::string(type_name(out.type)) + " is not supported");
	uint64_t need = numel * esize;
	if (bytes->size() != need)
		tensor_fail(i, "shape/buffer mismatch: shape " + shape_text(out.shape) + " of " +
				       type_name(out.type) + " needs " + std::to_string(need) +
				       " bytes, buffer " + std::to_string(b) + " holds " +
				       std::to_string(bytes->size()));
	out.data = bytes->data();
	out.data_size = bytes->size();
}

// The zero points an integer type can hold as a quantised value's offset.
bool zero_point_ok(int8_t type, int64_t zp)
{
	switch (type) {
	case INT8: return zp >= -128 && zp <= 127;
	case UINT8: return zp >= 0 && zp <= 255;
	default: return zp == 0;	// INT16, INT32, INT64: symmetric only
	}
}

void Reader::quantization(size_t i, const fb::QuantizationParameters &q)
{
	Tensor &out = m.tensors[i];
	if (q.details_type() != 0)
		tensor_fail(i, "custom quantization details (type " + std::to_string(q.details_type()) +
				       ") are not supported");
	std::vector<float> scale = to_vector(q.scale());
	std::vector<int64_t> zp = to_vector(q.zero_point());
	if (scale.empty()) {
		if (!zp.empty())
			tensor_fail(i, "zero_point without scale");
		return;
	}
	if (out.type != INT8 && out.type != UINT8 && out.type != INT16 && out.type != INT32 &&
	    out.type != INT64)
		tensor_fail(i, "quantization parameters on a " + std::string(type_name(out.type)) +
				       " tensor");
	if (zp.empty())
		tensor_fail(i, "quantized with " + std::to_string(scale.size()) +
				       " scales but no zero_point");
	if (zp.size() != scale.size())
		tensor_fail(i, "scale/zero_point length mismatch: " + std::to_string(scale.size()) +
				       " scales, " + std::to_string(zp.size()) + " zero points");
	int32_t qd = q.quantized_dimension();
	size_t rank = out.shape.size();
	if (qd < 0 || (rank > 0 && (size_t)qd >= rank) || (rank == 0 && qd != 0))
		tensor_fail(i, "quantized_dimension " + std::to_string(qd) + " out of range for rank " +
				       std::to_string(rank));
	if (scale.size() != 1 && (rank == 0 || scale.size() != (size_t)out.shape[qd]))
		tensor_fail(i, std::to_string(scale.size()) + " scales do not match dimension " +
				       std::to_string(qd) + " of shape " + shape_text(out.shape) +
				       " (per-tensor: 1, per-channel: that dimension)");
	for (size_t c = 0; c < scale.size(); c++) {
		float s = scale[c];
		if (!std::isfinite(s) || s <= 0 || !std::isnormal(s))
			tensor_fail(i, "scale " + fmt(s) + " (channel " + std::to_string(c) +
					       ") is not a positive, finite, normal number");
		if (s < min_scale || s > max_scale)
			tensor_fail(i, "absurd scale " + fmt(s) + " (channel " + std::to_string(c) +
					       "): outside " + fmt(min_scale) + ".." + fmt(max_scale));
		if (!zero_point_ok(out.type, zp[c]))
			tensor_fail(i, "zero point " + std::to_string(zp[c]) + " (channel " +
					       std::to_string(c) + ") out of range for " + type_name(out.type));
	}
	out.quant.scale = std::move(scale);
	out.quant.zero_point = std::move(zp);
	out.quant.quantized_dimension = qd;
}

void Reader::tensor(size_t i, const fb::Tensor &t)
{
	Tensor &out = m.tensors[i];
	out.name = text(t.name());
	out.type = t.type();
	out.is_variable = t.is_variable();
	if (t.has_sparsity())
		tensor_fail(i, "sparse tensors are not supported");
	if (out.type == STRING)
		tensor_fail(i, "string tensors are not supported");
	if (t.external_buffer())
		tensor_fail(i, "external buffer " + std::to_string(t.external_buffer()) +
				       " (data outside the file) is not supported");
	uint64_t numel = shape(i, t);
	data(i, t, numel);
	if (t.quantization())
		quantization(i, *t.quantization());
}

void Reader::tensor_refs(const std::vector<int32_t> &idx, const std::string &what, bool optional,
			 const std::function<void(const std::string &)> &err)
{
	for (size_t k = 0; k < idx.size(); k++) {
		int32_t t = idx[k];
		if (optional && t == -1)
			continue;
		if (t < 0 || (size_t)t >= m.tensors.size())
			err(what + " " + std::to_string(k) + ": tensor index " + std::to_string(t) +
			    " out of range (the subgraph has " + std::to_string(m.tensors.size()) +
			    " tensors)");
	}
}

void Reader::options(Operator &op, const fb::Operator &o)
{
	using B = fb::BuiltinOptions;
	Options &p = op.options;
	if (const auto *c = o.options<fb::Conv2DOptions>(B::Conv2DOptions)) {
		p.padding = c->padding();
		p.stride_w = c->stride_w(), p.stride_h = c->stride_h();
		p.fused_activation = c->fused_activation_function();
		p.dilation_w = c->dilation_w_factor(), p.dilation_h = c->dilation_h_factor();
	} else if (const auto *d = o.options<fb::DepthwiseConv2DOptions>(B::DepthwiseConv2DOptions)) {
		p.padding = d->padding();
		p.stride_w = d->stride_w(), p.stride_h = d->stride_h();
		p.depth_multiplier = d->depth_multiplier();
		p.fused_activation = d->fused_activation_function();
		p.dilation_w = d->dilation_w_factor(), p.dilation_h = d->dilation_h_factor();
	} else if (const auto *pl = o.options<fb::Pool2DOptions>(B::Pool2DOptions)) {
		p.padding = pl->padding();
		p.stride_w = pl->stride_w(), p.stride_h = pl->stride_h();
		p.filter_w = pl->filter_width(), p.filter_h = pl->filter_height();
		p.fused_activation = pl->fused_activation_function();
	} else if (const auto *f = o.options<fb::FullyConnectedOptions>(B::FullyConnectedOptions)) {
		p.fused_activation = f->fused_activation_function();
		p.weights_format = f->weights_format();
		p.keep_num_dims = f->keep_num_dims();
		p.asymmetric_quantize_inputs = f->asymmetric_quantize_inputs();
	} else if (const auto *s = o.options<fb::SoftmaxOptions>(B::SoftmaxOptions)) {
		p.beta = s->beta();
	} else if (const auto *cc = o.options<fb::ConcatenationOptions>(B::ConcatenationOptions)) {
		p.axis = cc->axis();
		p.fused_activation = cc->fused_activation_function();
	} else if (const auto *a = o.options<fb::AddOptions>(B::AddOptions)) {
		p.fused_activation = a->fused_activation_function();
	} else if (const auto *su = o.options<fb::SubOptions>(B::SubOptions)) {
		p.fused_activation = su->fused_activation_function();
	} else if (const auto *mu = o.options<fb::MulOptions>(B::MulOptions)) {
		p.fused_activation = mu->fused_activation_function();
	} else if (const auto *dv = o.options<fb::DivOptions>(B::DivOptions)) {
		p.fused_activation = dv->fused_activation_function();
	} else if (const auto *r = o.options<fb::ReshapeOptions>(B::ReshapeOptions)) {
		p.has_new_shape = r->new_shape() != nullptr;
		p.new_shape = to_vector(r->new_shape());
	} else if (const auto *rd = o.options<fb::ReducerOptions>(B::ReducerOptions)) {
		p.keep_dims = rd->keep_dims();
	} else if (const auto *sq = o.options<fb::SqueezeOptions>(B::SqueezeOptions)) {
		p.squeeze_dims = to_vector(sq->squeeze_dims());
	}
}

void Reader::operator_(size_t i, const fb::Operator &o)
{
	Operator op;
	op.index = (int32_t)i;
	const auto *codes = root->operator_codes();
	size_t ncodes = codes ? codes->size() : 0;
	if (o.opcode_index() >= ncodes)
		fail("operator " + std::to_string(i) + ": opcode index " +
		     std::to_string(o.opcode_index()) + " out of range (the model has " +
		     std::to_string(ncodes) + " operator codes)");
	const fb::OperatorCode *code = codes->Get(o.opcode_index());
	// Codes below 127 may sit in either field (the int8 one predates the
	// int32 one); the larger is the real one.
	op.opcode = std::max<int32_t>(code->deprecated_builtin_code(), code->builtin_code());
	op.version = code->version();
	if (op.opcode < 0)
		fail("operator " + std::to_string(i) + ": invalid builtin code " +
		     std::to_string(op.opcode));
	if (op.opcode == CUSTOM)
		op.custom_code = text(code->custom_code());
	op.inputs = to_vector(o.inputs());
	op.outputs = to_vector(o.outputs());
	auto err = [&](const std::string &what) { op_fail(op, what); };
	tensor_refs(op.inputs, "input", true, err);
	tensor_refs(op.outputs, "output", false, err);
	op.options_type = o.builtin_options_type();
	int want = expected_options(op.opcode);
	if (want >= 0 && op.options_type != 0 && op.options_type != want)
		op_fail(op, "builtin options of union type " + std::to_string(op.options_type) +
				    " do not belong to this operator (expected type " +
				    std::to_string(want) + ")");
	if (o.large_custom_options_size())
		op_fail(op, "custom options stored outside the flatbuffer are not supported");
	options(op, o);
	m.operators.push_back(std::move(op));
}

// Types kinfer has no element size for are refused where they matter:
// on tensors an operator or the graph uses.
void Reader::used_types()
{
	std::vector<bool> used(m.tensors.size());
	for (const Operator &op : m.operators) {
		for (int32_t t : op.inputs)
			if (t >= 0)
				used[t] = true;
		for (int32_t t : op.outputs)
			used[t] = true;
	}
	for (int32_t t : m.inputs)
		used[t] = true;
	for (int32_t t : m.outputs)
		used[t] = true;
	for (size_t i = 0; i < m.tensors.size(); i++)
		if (used[i] && !element_size(m.tensors[i].type))
			tensor_fail(i, "type " + std::string(type_name(m.tensors[i].type)) +
					       " is not supported");
}

void Reader::subgraph()
{
	const auto *graphs = root->subgraphs();
	size_t n = graphs ? graphs->size() : 0;
	if (n == 0)
		fail("the model has no subgraph");
	if (n > 1)
		fail("the model has " + std::to_string(n) +
		     " subgraphs: only one subgraph is supported (control flow and multi-signature "
		     "models are not)");
	graph = graphs->Get(0);
	m.subgraph_name = text(graph->name());
	const auto *tensors = graph->tensors();
	m.tensors.resize(tensors ? tensors->size() : 0);
	for (size_t i = 0; i < m.tensors.size(); i++)
		tensor(i, *tensors->Get((flatbuffers::uoffset_t)i));
	m.inputs = to_vector(graph->inputs());
	m.outputs = to_vector(graph->outputs());
	auto err = [&](const std::string &what) {
		fail("subgraph 0 '" + m.subgraph_name + "': " + what);
	};
	tensor_refs(m.inputs, "graph input", false, err);
	tensor_refs(m.outputs, "graph output", false, err);
	const auto *ops = graph->operators();
	size_t nops = ops ? ops->size() : 0;
	for (size_t i = 0; i < nops; i++)
		operator_(i, *ops->Get((flatbuffers::uoffset_t)i));
	used_types();
}

} // namespace

const char *type_name(int8_t t)
{
	static const char *const names[] = {
		"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
		"COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
		"UINT32", "UINT16", "INT4", "BFLOAT16", "INT2", "UINT4",
	};
	if (t >= 0 && (size_t)t < sizeof(names) / sizeof(names[0]))
		return names[t];
	// One buffer per thread keeps the const char * API for unknown values.
	thread_local char buf[16];
	std::snprintf(buf, sizeof(buf), "type %d", t);
	return buf;
}

size_t element_size(int8_t type)
{
	switch (type) {
	case FLOAT32: case INT32: return 4;
	case FLOAT16: case INT16: return 2;
	case UINT8: case BOOL: case INT8: return 1;
	case INT64: return 8;
	default: return 0;
	}
}

std::string builtin_name(int32_t code)
{
	switch (code) {
#define N(x) case x: return #x
	N(ADD); N(AVERAGE_POOL_2D); N(CONCATENATION); N(CONV_2D); N(DEPTHWISE_CONV_2D);
	N(DEQUANTIZE); N(FULLY_CONNECTED); N(LOGISTIC); N(MAX_POOL_2D); N(MUL); N(RELU);
	N(RELU6); N(RESHAPE); N(SOFTMAX); N(TANH); N(PAD); N(MEAN); N(SQUEEZE); N(QUANTIZE);
	N(CUSTOM); N(SUB); N(DIV); N(TRANSPOSE); N(STRIDED_SLICE); N(EXP); N(LOG_SOFTMAX);
	N(MAXIMUM); N(MINIMUM); N(SUM); N(SQRT); N(RSQRT); N(REDUCE_MAX); N(PACK);
	N(LEAKY_RELU); N(HARD_SWISH); N(BATCH_MATMUL); N(GELU);
#undef N
	default: return "builtin " + std::to_string(code);
	}
}

int expected_options(int32_t code)
{
	using B = fb::BuiltinOptions;
	switch (code) {
	case CONV_2D: return (int)B::Conv2DOptions;
	case DEPTHWISE_CONV_2D: return (int)B::DepthwiseConv2DOptions;
	case AVERAGE_POOL_2D: case MAX_POOL_2D: return (int)B::Pool2DOptions;
	case FULLY_CONNECTED: return (int)B::FullyConnectedOptions;
	case SOFTMAX: return (int)B::SoftmaxOptions;
	case CONCATENATION: return (int)B::ConcatenationOptions;
	case ADD: return (int)B::AddOptions;
	case SUB: return (int)B::SubOptions;
	case MUL: return (int)B::MulOptions;
	case DIV: return (int)B::DivOptions;
	case RESHAPE: return (int)B::ReshapeOptions;
	case MEAN: case SUM: case REDUCE_MAX: return (int)B::ReducerOptions;
	case SQUEEZE: return (int)B::SqueezeOptions;
	case PAD: return (int)B::PadOptions;
	case DEQUANTIZE: return (int)B::DequantizeOptions;
	case QUANTIZE: return (int)B::QuantizeOptions;
	default: return -1;
	}
}

Model parse_model(std::vector<uint8_t> bytes, const std::string &file)
{
	Model m;
	m.file = file;
	m.bytes = std::move(bytes);
	Reader r{m};
	r.structure();
	r.subgraph();
	return m;
}

Model read_model(const std::string &path)
{
	struct stat st;
	if (stat(path.c_str(), &st) != 0)
		throw ModelError(path + ": cannot open: " + std::strerror(errno));
	if (S_ISDIR(st.st_mode))
		throw ModelError(path + ": is a directory");
	if ((uint64_t)st.st_size > max_file_bytes)
		throw ModelError(path + ": file larger than 2 GiB (" + std::to_string(st.st_size) +
				 " bytes): TFLite flatbuffers cannot address it");
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw ModelError(path + ": cannot open: " + std::strerror(errno));
	std::vector<uint8_t> bytes((size_t)st.st_size);
	in.read((char *)bytes.data(), (std::streamsize)bytes.size());
	if ((size_t)in.gcount() != bytes.size())
		throw ModelError(path + ": short read");
	return parse_model(std::move(bytes), path);
}

} // namespace kinfer::tflite
