// SPDX-License-Identifier: GPL-2.0
// The part of the TFLite flatbuffer schema kinfer reads, as accessors over
// flatbuffers::Table.  Neither Debian nor the TensorFlow wheels ship the
// schema's C++ header, so this subset is written here by hand.
//
// Follows TFLite schema version 3 (file identifier "TFL3"), checked against
// tensorflow/lite/python/schema_py_generated.py of TensorFlow 2.21.
// tests/python/test_tflite_schema.py compares every VT_ slot and enum value
// below with that module, so the subset cannot drift silently.
//
// A field's vtable slot is 4 + 2 * its index in the schema table.  Each
// struct is named as its schema table, each VT_ constant as the field (in
// upper snake case), so the test can map them to the generated accessors.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>

namespace kinfer::tflite::schema {

using flatbuffers::String;
using flatbuffers::Vector;
using flatbuffers::Verifier;
using flatbuffers::voffset_t;
template <typename T> using Offsets = Vector<flatbuffers::Offset<T>>;

// The BuiltinOptions union members kinfer reads (the others are skipped).
enum class BuiltinOptions : uint8_t {
	NONE = 0,
	Conv2DOptions = 1,
	DepthwiseConv2DOptions = 2,
	Pool2DOptions = 5,
	FullyConnectedOptions = 8,
	SoftmaxOptions = 9,
	ConcatenationOptions = 10,
	AddOptions = 11,
	ReshapeOptions = 17,
	MulOptions = 21,
	PadOptions = 22,
	ReducerOptions = 27,
	SubOptions = 28,
	DivOptions = 29,
	SqueezeOptions = 30,
	DequantizeOptions = 38,
	QuantizeOptions = 89,
};

enum class QuantizationDetails : uint8_t {
	NONE = 0,
};

enum class Padding : int8_t {
	SAME = 0,
	VALID = 1,
};

enum class ActivationFunctionType : int8_t {
	NONE = 0,
	RELU = 1,
	RELU_N1_TO_1 = 2,
	RELU6 = 3,
	TANH = 4,
	SIGN_BIT = 5,
};

enum class FullyConnectedOptionsWeightsFormat : int8_t {
	DEFAULT = 0,
	SHUFFLED4x16INT8 = 1,
};

// Scalars of a table: T with the schema's default when the field is absent.
struct TableBase : protected flatbuffers::Table {
	template <typename T> T get(voffset_t slot, T dflt) const { return GetField<T>(slot, dflt); }
	template <typename P> const P *ptr(voffset_t slot) const { return GetPointer<const P *>(slot); }
	bool scalar_ok(const Verifier &v, voffset_t slot, size_t size) const
	{
		// VerifyField<T> only uses sizeof(T): bytes of the right size do.
		switch (size) {
		case 1: return VerifyField<uint8_t>(v, slot, 1);
		case 2: return VerifyField<uint16_t>(v, slot, 2);
		case 4: return VerifyField<uint32_t>(v, slot, 4);
		default: return VerifyField<uint64_t>(v, slot, 8);
		}
	}
	template <typename T> bool vec_ok(const Verifier &v, voffset_t slot) const
	{
		return VerifyOffset(v, slot) && v.VerifyVector(ptr<Vector<T>>(slot));
	}
	bool str_ok(const Verifier &v, voffset_t slot) const
	{
		return VerifyOffset(v, slot) && v.VerifyString(ptr<String>(slot));
	}
	template <typename T> bool table_ok(Verifier &v, voffset_t slot) const
	{
		return VerifyOffset(v, slot) && v.VerifyTable(ptr<T>(slot));
	}
	template <typename T> bool tables_ok(Verifier &v, voffset_t slot) const
	{
		// The offset first: reading the pointer dereferences it.
		if (!VerifyOffset(v, slot))
			return false;
		const auto *vec = ptr<Offsets<T>>(slot);
		return v.VerifyVector(vec) && v.VerifyVectorOfTables(vec);
	}
	bool start(Verifier &v) const { return VerifyTableStart(v); }
	bool has(voffset_t slot) const { return CheckField(slot); }
};

struct Conv2DOptions : TableBase {
	enum : voffset_t {
		VT_PADDING = 4, VT_STRIDE_W = 6, VT_STRIDE_H = 8, VT_FUSED_ACTIVATION_FUNCTION = 10,
		VT_DILATION_W_FACTOR = 12, VT_DILATION_H_FACTOR = 14,
	};
	int8_t padding() const { return get<int8_t>(VT_PADDING, 0); }
	int32_t stride_w() const { return get<int32_t>(VT_STRIDE_W, 0); }
	int32_t stride_h() const { return get<int32_t>(VT_STRIDE_H, 0); }
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	int32_t dilation_w_factor() const { return get<int32_t>(VT_DILATION_W_FACTOR, 1); }
	int32_t dilation_h_factor() const { return get<int32_t>(VT_DILATION_H_FACTOR, 1); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_PADDING, 1) && scalar_ok(v, VT_STRIDE_W, 4) &&
		       scalar_ok(v, VT_STRIDE_H, 4) && scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) &&
		       scalar_ok(v, VT_DILATION_W_FACTOR, 4) && scalar_ok(v, VT_DILATION_H_FACTOR, 4) &&
		       v.EndTable();
	}
};

struct DepthwiseConv2DOptions : TableBase {
	enum : voffset_t {
		VT_PADDING = 4, VT_STRIDE_W = 6, VT_STRIDE_H = 8, VT_DEPTH_MULTIPLIER = 10,
		VT_FUSED_ACTIVATION_FUNCTION = 12, VT_DILATION_W_FACTOR = 14, VT_DILATION_H_FACTOR = 16,
	};
	int8_t padding() const { return get<int8_t>(VT_PADDING, 0); }
	int32_t stride_w() const { return get<int32_t>(VT_STRIDE_W, 0); }
	int32_t stride_h() const { return get<int32_t>(VT_STRIDE_H, 0); }
	int32_t depth_multiplier() const { return get<int32_t>(VT_DEPTH_MULTIPLIER, 0); }
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	int32_t dilation_w_factor() const { return get<int32_t>(VT_DILATION_W_FACTOR, 1); }
	int32_t dilation_h_factor() const { return get<int32_t>(VT_DILATION_H_FACTOR, 1); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_PADDING, 1) && scalar_ok(v, VT_STRIDE_W, 4) &&
		       scalar_ok(v, VT_STRIDE_H, 4) && scalar_ok(v, VT_DEPTH_MULTIPLIER, 4) &&
		       scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) &&
		       scalar_ok(v, VT_DILATION_W_FACTOR, 4) && scalar_ok(v, VT_DILATION_H_FACTOR, 4) &&
		       v.EndTable();
	}
};

struct Pool2DOptions : TableBase {
	enum : voffset_t {
		VT_PADDING = 4, VT_STRIDE_W = 6, VT_STRIDE_H = 8, VT_FILTER_WIDTH = 10,
		VT_FILTER_HEIGHT = 12, VT_FUSED_ACTIVATION_FUNCTION = 14,
	};
	int8_t padding() const { return get<int8_t>(VT_PADDING, 0); }
	int32_t stride_w() const { return get<int32_t>(VT_STRIDE_W, 0); }
	int32_t stride_h() const { return get<int32_t>(VT_STRIDE_H, 0); }
	int32_t filter_width() const { return get<int32_t>(VT_FILTER_WIDTH, 0); }
	int32_t filter_height() const { return get<int32_t>(VT_FILTER_HEIGHT, 0); }
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_PADDING, 1) && scalar_ok(v, VT_STRIDE_W, 4) &&
		       scalar_ok(v, VT_STRIDE_H, 4) && scalar_ok(v, VT_FILTER_WIDTH, 4) &&
		       scalar_ok(v, VT_FILTER_HEIGHT, 4) &&
		       scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) && v.EndTable();
	}
};

struct FullyConnectedOptions : TableBase {
	enum : voffset_t {
		VT_FUSED_ACTIVATION_FUNCTION = 4, VT_WEIGHTS_FORMAT = 6, VT_KEEP_NUM_DIMS = 8,
		VT_ASYMMETRIC_QUANTIZE_INPUTS = 10,
	};
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	int8_t weights_format() const { return get<int8_t>(VT_WEIGHTS_FORMAT, 0); }
	bool keep_num_dims() const { return get<uint8_t>(VT_KEEP_NUM_DIMS, 0) != 0; }
	bool asymmetric_quantize_inputs() const { return get<uint8_t>(VT_ASYMMETRIC_QUANTIZE_INPUTS, 0) != 0; }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) &&
		       scalar_ok(v, VT_WEIGHTS_FORMAT, 1) && scalar_ok(v, VT_KEEP_NUM_DIMS, 1) &&
		       scalar_ok(v, VT_ASYMMETRIC_QUANTIZE_INPUTS, 1) && v.EndTable();
	}
};

struct SoftmaxOptions : TableBase {
	enum : voffset_t { VT_BETA = 4 };
	float beta() const { return get<float>(VT_BETA, 0.0f); }
	bool Verify(Verifier &v) const { return start(v) && scalar_ok(v, VT_BETA, 4) && v.EndTable(); }
};

struct ConcatenationOptions : TableBase {
	enum : voffset_t { VT_AXIS = 4, VT_FUSED_ACTIVATION_FUNCTION = 6 };
	int32_t axis() const { return get<int32_t>(VT_AXIS, 0); }
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_AXIS, 4) &&
		       scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) && v.EndTable();
	}
};

// AddOptions, SubOptions, MulOptions and DivOptions: the activation first.
struct AddOptions : TableBase {
	enum : voffset_t { VT_FUSED_ACTIVATION_FUNCTION = 4 };
	int8_t fused_activation_function() const { return get<int8_t>(VT_FUSED_ACTIVATION_FUNCTION, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_FUSED_ACTIVATION_FUNCTION, 1) && v.EndTable();
	}
};
struct SubOptions : AddOptions {
	enum : voffset_t { VT_FUSED_ACTIVATION_FUNCTION = 4 };
};
struct MulOptions : AddOptions {
	enum : voffset_t { VT_FUSED_ACTIVATION_FUNCTION = 4 };
};
struct DivOptions : AddOptions {
	enum : voffset_t { VT_FUSED_ACTIVATION_FUNCTION = 4 };
};

struct ReshapeOptions : TableBase {
	enum : voffset_t { VT_NEW_SHAPE = 4 };
	const Vector<int32_t> *new_shape() const { return ptr<Vector<int32_t>>(VT_NEW_SHAPE); }
	bool Verify(Verifier &v) const { return start(v) && vec_ok<int32_t>(v, VT_NEW_SHAPE) && v.EndTable(); }
};

struct ReducerOptions : TableBase {
	enum : voffset_t { VT_KEEP_DIMS = 4 };
	bool keep_dims() const { return get<uint8_t>(VT_KEEP_DIMS, 0) != 0; }
	bool Verify(Verifier &v) const { return start(v) && scalar_ok(v, VT_KEEP_DIMS, 1) && v.EndTable(); }
};

struct SqueezeOptions : TableBase {
	enum : voffset_t { VT_SQUEEZE_DIMS = 4 };
	const Vector<int32_t> *squeeze_dims() const { return ptr<Vector<int32_t>>(VT_SQUEEZE_DIMS); }
	bool Verify(Verifier &v) const { return start(v) && vec_ok<int32_t>(v, VT_SQUEEZE_DIMS) && v.EndTable(); }
};

struct QuantizationParameters : TableBase {
	enum : voffset_t {
		VT_MIN = 4, VT_MAX = 6, VT_SCALE = 8, VT_ZERO_POINT = 10, VT_DETAILS_TYPE = 12,
		VT_DETAILS = 14, VT_QUANTIZED_DIMENSION = 16,
	};
	const Vector<float> *scale() const { return ptr<Vector<float>>(VT_SCALE); }
	const Vector<int64_t> *zero_point() const { return ptr<Vector<int64_t>>(VT_ZERO_POINT); }
	uint8_t details_type() const { return get<uint8_t>(VT_DETAILS_TYPE, 0); }
	int32_t quantized_dimension() const { return get<int32_t>(VT_QUANTIZED_DIMENSION, 0); }
	bool Verify(Verifier &v) const
	{
		// min, max and details are not read: their offsets must only stay
		// inside the file.
		return start(v) && VerifyOffset(v, VT_MIN) && VerifyOffset(v, VT_MAX) &&
		       vec_ok<float>(v, VT_SCALE) && vec_ok<int64_t>(v, VT_ZERO_POINT) &&
		       scalar_ok(v, VT_DETAILS_TYPE, 1) && VerifyOffset(v, VT_DETAILS) &&
		       scalar_ok(v, VT_QUANTIZED_DIMENSION, 4) && v.EndTable();
	}
};

struct Tensor : TableBase {
	enum : voffset_t {
		VT_SHAPE = 4, VT_TYPE = 6, VT_BUFFER = 8, VT_NAME = 10, VT_QUANTIZATION = 12,
		VT_IS_VARIABLE = 14, VT_SPARSITY = 16, VT_SHAPE_SIGNATURE = 18, VT_HAS_RANK = 20,
		VT_VARIANT_TENSORS = 22, VT_EXTERNAL_BUFFER = 24,
	};
	const Vector<int32_t> *shape() const { return ptr<Vector<int32_t>>(VT_SHAPE); }
	int8_t type() const { return get<int8_t>(VT_TYPE, 0); }
	uint32_t buffer() const { return get<uint32_t>(VT_BUFFER, 0); }
	const String *name() const { return ptr<String>(VT_NAME); }
	const QuantizationParameters *quantization() const
	{
		return ptr<QuantizationParameters>(VT_QUANTIZATION);
	}
	bool is_variable() const { return get<uint8_t>(VT_IS_VARIABLE, 0) != 0; }
	bool has_sparsity() const { return has(VT_SPARSITY); }
	bool has_variant_tensors() const { return has(VT_VARIANT_TENSORS); }
	uint32_t external_buffer() const { return get<uint32_t>(VT_EXTERNAL_BUFFER, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && vec_ok<int32_t>(v, VT_SHAPE) && scalar_ok(v, VT_TYPE, 1) &&
		       scalar_ok(v, VT_BUFFER, 4) && str_ok(v, VT_NAME) &&
		       table_ok<QuantizationParameters>(v, VT_QUANTIZATION) &&
		       scalar_ok(v, VT_IS_VARIABLE, 1) && VerifyOffset(v, VT_SPARSITY) &&
		       VerifyOffset(v, VT_SHAPE_SIGNATURE) && VerifyOffset(v, VT_VARIANT_TENSORS) &&
		       scalar_ok(v, VT_EXTERNAL_BUFFER, 4) && v.EndTable();
	}
};

struct Operator : TableBase {
	enum : voffset_t {
		VT_OPCODE_INDEX = 4, VT_INPUTS = 6, VT_OUTPUTS = 8, VT_BUILTIN_OPTIONS_TYPE = 10,
		VT_BUILTIN_OPTIONS = 12, VT_CUSTOM_OPTIONS = 14, VT_CUSTOM_OPTIONS_FORMAT = 16,
		VT_MUTATING_VARIABLE_INPUTS = 18, VT_INTERMEDIATES = 20,
		VT_LARGE_CUSTOM_OPTIONS_OFFSET = 22, VT_LARGE_CUSTOM_OPTIONS_SIZE = 24,
		VT_BUILTIN_OPTIONS_2_TYPE = 26, VT_BUILTIN_OPTIONS_2 = 28,
	};
	uint32_t opcode_index() const { return get<uint32_t>(VT_OPCODE_INDEX, 0); }
	const Vector<int32_t> *inputs() const { return ptr<Vector<int32_t>>(VT_INPUTS); }
	const Vector<int32_t> *outputs() const { return ptr<Vector<int32_t>>(VT_OUTPUTS); }
	uint8_t builtin_options_type() const { return get<uint8_t>(VT_BUILTIN_OPTIONS_TYPE, 0); }
	// The options table when the union holds T (tag), else nullptr.
	template <typename T> const T *options(BuiltinOptions tag) const
	{
		return builtin_options_type() == (uint8_t)tag ? ptr<T>(VT_BUILTIN_OPTIONS) : nullptr;
	}
	uint64_t large_custom_options_size() const { return get<uint64_t>(VT_LARGE_CUSTOM_OPTIONS_SIZE, 0); }
	uint8_t builtin_options_2_type() const { return get<uint8_t>(VT_BUILTIN_OPTIONS_2_TYPE, 0); }
	bool verify_options(Verifier &v) const;
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_OPCODE_INDEX, 4) && vec_ok<int32_t>(v, VT_INPUTS) &&
		       vec_ok<int32_t>(v, VT_OUTPUTS) && scalar_ok(v, VT_BUILTIN_OPTIONS_TYPE, 1) &&
		       VerifyOffset(v, VT_BUILTIN_OPTIONS) && verify_options(v) &&
		       VerifyOffset(v, VT_CUSTOM_OPTIONS) && VerifyOffset(v, VT_INTERMEDIATES) &&
		       scalar_ok(v, VT_LARGE_CUSTOM_OPTIONS_SIZE, 8) &&
		       scalar_ok(v, VT_BUILTIN_OPTIONS_2_TYPE, 1) && VerifyOffset(v, VT_BUILTIN_OPTIONS_2) &&
		       v.EndTable();
	}
};

// The union member that is read must verify as the table its tag names.
inline bool Operator::verify_options(Verifier &v) const
{
	using B = BuiltinOptions;
	switch ((B)builtin_options_type()) {
	case B::Conv2DOptions: return table_ok<Conv2DOptions>(v, VT_BUILTIN_OPTIONS);
	case B::DepthwiseConv2DOptions: return table_ok<DepthwiseConv2DOptions>(v, VT_BUILTIN_OPTIONS);
	case B::Pool2DOptions: return table_ok<Pool2DOptions>(v, VT_BUILTIN_OPTIONS);
	case B::FullyConnectedOptions: return table_ok<FullyConnectedOptions>(v, VT_BUILTIN_OPTIONS);
	case B::SoftmaxOptions: return table_ok<SoftmaxOptions>(v, VT_BUILTIN_OPTIONS);
	case B::ConcatenationOptions: return table_ok<ConcatenationOptions>(v, VT_BUILTIN_OPTIONS);
	case B::AddOptions: return table_ok<AddOptions>(v, VT_BUILTIN_OPTIONS);
	case B::SubOptions: return table_ok<SubOptions>(v, VT_BUILTIN_OPTIONS);
	case B::MulOptions: return table_ok<MulOptions>(v, VT_BUILTIN_OPTIONS);
	case B::DivOptions: return table_ok<DivOptions>(v, VT_BUILTIN_OPTIONS);
	case B::ReshapeOptions: return table_ok<ReshapeOptions>(v, VT_BUILTIN_OPTIONS);
	case B::ReducerOptions: return table_ok<ReducerOptions>(v, VT_BUILTIN_OPTIONS);
	case B::SqueezeOptions: return table_ok<SqueezeOptions>(v, VT_BUILTIN_OPTIONS);
	default: return true;	// not read
	}
}

struct OperatorCode : TableBase {
	enum : voffset_t {
		VT_DEPRECATED_BUILTIN_CODE = 4, VT_CUSTOM_CODE = 6, VT_VERSION = 8, VT_BUILTIN_CODE = 10,
	};
	int8_t deprecated_builtin_code() const { return get<int8_t>(VT_DEPRECATED_BUILTIN_CODE, 0); }
	const String *custom_code() const { return ptr<String>(VT_CUSTOM_CODE); }
	int32_t version() const { return get<int32_t>(VT_VERSION, 1); }
	int32_t builtin_code() const { return get<int32_t>(VT_BUILTIN_CODE, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_DEPRECATED_BUILTIN_CODE, 1) &&
		       str_ok(v, VT_CUSTOM_CODE) && scalar_ok(v, VT_VERSION, 4) &&
		       scalar_ok(v, VT_BUILTIN_CODE, 4) && v.EndTable();
	}
};

struct SubGraph : TableBase {
	enum : voffset_t { VT_TENSORS = 4, VT_INPUTS = 6, VT_OUTPUTS = 8, VT_OPERATORS = 10, VT_NAME = 12 };
	const Offsets<Tensor> *tensors() const { return ptr<Offsets<Tensor>>(VT_TENSORS); }
	const Vector<int32_t> *inputs() const { return ptr<Vector<int32_t>>(VT_INPUTS); }
	const Vector<int32_t> *outputs() const { return ptr<Vector<int32_t>>(VT_OUTPUTS); }
	const Offsets<Operator> *operators() const { return ptr<Offsets<Operator>>(VT_OPERATORS); }
	const String *name() const { return ptr<String>(VT_NAME); }
	bool Verify(Verifier &v) const
	{
		return start(v) && tables_ok<Tensor>(v, VT_TENSORS) && vec_ok<int32_t>(v, VT_INPUTS) &&
		       vec_ok<int32_t>(v, VT_OUTPUTS) && tables_ok<Operator>(v, VT_OPERATORS) &&
		       str_ok(v, VT_NAME) && v.EndTable();
	}
};

struct Buffer : TableBase {
	enum : voffset_t { VT_DATA = 4, VT_OFFSET = 6, VT_SIZE = 8 };
	const Vector<uint8_t> *data() const { return ptr<Vector<uint8_t>>(VT_DATA); }
	uint64_t offset() const { return get<uint64_t>(VT_OFFSET, 0); }
	uint64_t size() const { return get<uint64_t>(VT_SIZE, 0); }
	bool Verify(Verifier &v) const
	{
		return start(v) && vec_ok<uint8_t>(v, VT_DATA) && scalar_ok(v, VT_OFFSET, 8) &&
		       scalar_ok(v, VT_SIZE, 8) && v.EndTable();
	}
};

struct Model : TableBase {
	enum : voffset_t {
		VT_VERSION = 4, VT_OPERATOR_CODES = 6, VT_SUBGRAPHS = 8, VT_DESCRIPTION = 10,
		VT_BUFFERS = 12, VT_METADATA_BUFFER = 14, VT_METADATA = 16, VT_SIGNATURE_DEFS = 18,
	};
	uint32_t version() const { return get<uint32_t>(VT_VERSION, 0); }
	const Offsets<OperatorCode> *operator_codes() const
	{
		return ptr<Offsets<OperatorCode>>(VT_OPERATOR_CODES);
	}
	const Offsets<SubGraph> *subgraphs() const { return ptr<Offsets<SubGraph>>(VT_SUBGRAPHS); }
	const String *description() const { return ptr<String>(VT_DESCRIPTION); }
	const Offsets<Buffer> *buffers() const { return ptr<Offsets<Buffer>>(VT_BUFFERS); }
	bool Verify(Verifier &v) const
	{
		return start(v) && scalar_ok(v, VT_VERSION, 4) &&
		       tables_ok<OperatorCode>(v, VT_OPERATOR_CODES) && tables_ok<SubGraph>(v, VT_SUBGRAPHS) &&
		       str_ok(v, VT_DESCRIPTION) && tables_ok<Buffer>(v, VT_BUFFERS) &&
		       VerifyOffset(v, VT_METADATA_BUFFER) && VerifyOffset(v, VT_METADATA) &&
		       VerifyOffset(v, VT_SIGNATURE_DEFS) && v.EndTable();
	}
};

inline const Model *GetModel(const uint8_t *buf) { return flatbuffers::GetRoot<Model>(buf); }

} // namespace kinfer::tflite::schema
