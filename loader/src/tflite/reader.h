// SPDX-License-Identifier: GPL-2.0
// The native .tflite reader: reads a TFLite flatbuffer (schema version 3),
// verifies its structure and the semantics kinfer depends on (one subgraph,
// indices in range, shapes, buffer sizes, quantisation parameters), and
// returns it as plain structs for the translator.  The model is untrusted:
// every violation is a ModelError naming the file, the tensor or operator
// and the cause.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kinfer::tflite {

// TFLite TensorType values (schema enum), the ones kinfer names.
enum TensorType : int8_t { FLOAT32 = 0, FLOAT16 = 1, INT32 = 2, UINT8 = 3, INT64 = 4, STRING = 5,
                           BOOL = 6, INT16 = 7, COMPLEX64 = 8, INT8 = 9 /* others kept as raw values */ };
const char *type_name(int8_t t);            // "FLOAT32", ... or "type 17"

struct Quantization {                       // empty scale: not quantised
	std::vector<float> scale;
	std::vector<int64_t> zero_point;    // same length as scale
	int32_t quantized_dimension = 0;
};

struct Tensor {
	std::string name;                   // printable (untrusted bytes escaped)
	std::vector<int32_t> shape;         // each >= 1 (0-sized dims refused)
	int8_t type = FLOAT32;
	uint32_t buffer = 0;                // index into Model buffers; 0 = no data
	const uint8_t *data = nullptr;      // the buffer's bytes inside Model::bytes, or nullptr
	size_t data_size = 0;               // == numel * element size when data != nullptr (checked)
	Quantization quant;
	bool is_variable = false;
};

// Options of the builtins kinfer reads.  When the operator carries its
// options table, an absent field has the schema default (stride 0, beta 0,
// dilation 1, ...: flatbuffers omit fields equal to the default); without
// the table, the values below are left.
struct Options {
	int8_t fused_activation = 0;        // ActivationFunctionType: 0 NONE, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6, 4 TANH, 5 SIGN_BIT
	int8_t padding = 0;                 // Padding: 0 SAME, 1 VALID
	int32_t stride_w = 1, stride_h = 1, dilation_w = 1, dilation_h = 1;
	int32_t depth_multiplier = 0;
	int32_t filter_w = 0, filter_h = 0;
	float beta = 1.0f;                  // SoftmaxOptions
	int32_t axis = 0;                   // ConcatenationOptions
	bool keep_dims = false;             // ReducerOptions
	bool keep_num_dims = false;         // FullyConnectedOptions
	int8_t weights_format = 0;          // FullyConnectedOptions: 0 DEFAULT
	std::vector<int32_t> new_shape;     // ReshapeOptions (may be empty)
	bool has_new_shape = false;
	std::vector<int32_t> squeeze_dims;  // SqueezeOptions (may be empty)
	bool asymmetric_quantize_inputs = false;	// FullyConnectedOptions
};

struct Operator {
	int32_t index = 0;                  // position in the subgraph
	int32_t opcode = 0;                 // BuiltinOperator (max of deprecated_builtin_code and builtin_code, as the schema says)
	std::string custom_code;            // for CUSTOM (32), printable
	int32_t version = 1;
	std::vector<int32_t> inputs, outputs;   // tensor indices; -1 = omitted optional input (checked in range)
	uint8_t options_type = 0;           // BuiltinOptions union type
	Options options;
};

struct Model {
	std::string file;                   // as given, for messages
	uint32_t version = 0;               // schema version (3)
	std::string description;
	std::vector<Tensor> tensors;        // of subgraph 0
	std::vector<int32_t> inputs, outputs;
	std::vector<Operator> operators;
	std::string subgraph_name;
	std::vector<uint8_t> bytes;         // the file: Tensor::data points into it
	Model() = default;
	Model(const Model &) = delete;      // data pointers into bytes
	Model(Model &&) = default;          // (vector move keeps the heap block)
};

// Reads and verifies a .tflite file; throws kinfer::ModelError("<file>: ...cause...").
Model read_model(const std::string &path);
// The same from bytes in memory (tests); file is for messages.
Model parse_model(std::vector<uint8_t> bytes, const std::string &file);

// "FULLY_CONNECTED", "CONV_2D", ..., or "builtin 123" for codes kinfer has no name for.
std::string builtin_name(int32_t code);
// Builtin codes kinfer's translator names (subset of the BuiltinOperator enum).
enum Builtin : int32_t {
	ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4,
	DEQUANTIZE = 6, FULLY_CONNECTED = 9, LOGISTIC = 14, MAX_POOL_2D = 17, MUL = 18, RELU = 19,
	RELU6 = 21, RESHAPE = 22, SOFTMAX = 25, TANH = 28, PAD = 34, MEAN = 40, SQUEEZE = 43,
	QUANTIZE = 114, CUSTOM = 32,
	SUB = 41, DIV = 42, TRANSPOSE = 39, STRIDED_SLICE = 45, EXP = 47, LOG_SOFTMAX = 50,
	MAXIMUM = 55, MINIMUM = 57, SUM = 74, SQRT = 75, RSQRT = 76, REDUCE_MAX = 82, PACK = 83,
	LEAKY_RELU = 98, HARD_SWISH = 117, BATCH_MATMUL = 126, GELU = 150,
};

// Bytes per element of a TFLite type, 0 for types kinfer does not read.
size_t element_size(int8_t type);

// The BuiltinOptions union type an operator of this builtin code carries,
// or -1 when kinfer does not read the options of that builtin.
int expected_options(int32_t code);

} // namespace kinfer::tflite
