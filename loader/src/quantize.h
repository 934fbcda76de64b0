// SPDX-License-Identifier: GPL-2.0
// Post-training static int8 quantisation of a compiled float model
// (`kinfer load MODEL --quantize int8 --calibrate DIR`).
//
// Every MATMUL of the lowered graph whose B is a constant 2-D [K, N] matrix
// (panels or rows, not transposed, no batch axes, K <= 65535), alpha 1, an
// optional constant bias of N values and no activation or RELU, becomes
//
//	MUL(A, 1 / s) -> QUANTIZE(x_scale, zero point 0) -> int8 X
//	MATMUL_I8(X, Wq, scale = x_scale * w_scale, wsum, bias)
//
// s is SmoothQuant's per-channel smoothing (s[k] = a[k]^0.8 / w[k]^0.2,
// a[k] = max |A[..., k]| over the calibration samples, w[k] = max_n
// |W[k, n]| over the MatMuls reading A): A / s . s W = A W, with the
// outlier channels' range moved into the weights.  x_scale is
// max_k a[k] / s[k] / 127.  The weights s W are quantised per output
// column, symmetric: w_scale[n] = max_k |W'[k, n]| / 127 (1 for an
// all-zero column), Wq = W' / w_scale rounded half to even, clamped to
// [-127, 127].  The ranges come from the calibration samples run through
// the float plan in the reference executor.  MatMuls that read the same A
// share one MUL and QUANTIZE; products of two activations (attention)
// stay float.
//
// Calibration DIR (docs/performance.md, "int8 MatMuls"): one subdirectory
// per sample, in name order, each holding `<input>.npy` for every graph
// input (an input name's '/' and ':' spelled '_'); a DIR without
// subdirectories is itself the one sample.
#pragma once

#include "compile.h"
#include "exec.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kinfer {

struct QuantOptions {
	std::string mode;		// "" (float) or "int8"
	std::string calibrate;		// the calibration directory

	bool enabled() const { return !mode.empty() || !calibrate.empty(); }
};

// Throws UsageError unless the options are empty or int8 with a directory.
void check_quant_options(const QuantOptions &q);

// A float [K, N] matrix quantised per column.
struct QuantMatrix {
	int64_t k = 0, n = 0;
	std::vector<int8_t> q;		// [K, N], row-major
	std::vector<float> scale;	// w_scale per column
	std::vector<int32_t> wsum;	// sum_k q[k, n] per column
};
QuantMatrix quantize_matrix(const HostTensor &kn);
// q as MATMUL_I8's W: int8 [ceil(N / 16), ceil(K / 4), 64], element
// (k, n) at [n / 16][k / 4][(n % 16) * 4 + k % 4], zero padding.
HostTensor pack_matrix_i8(const QuantMatrix &m);

// Indices of the MATMUL ops the pass quantises, in op order.
std::vector<size_t> quant_candidates(const Lowered &l);

// One calibration sample: the model's inputs, in input order.
struct CalibSample {
	std::string name;		// its directory
	std::vector<HostTensor> inputs;
};
// Throws InputError naming the directory or file and the cause.
std::vector<CalibSample> read_calibration(const std::string &dir, const std::vector<LPort> &inputs);

// max |A[..., k]| per channel k of each op in @ops over every sample,
// from float runs of l.
std::vector<std::vector<float>> calibrate_ranges(const Lowered &l, const Plan &p, const std::vector<size_t> &ops,
						const std::vector<CalibSample> &samples);

struct QuantCounts {
	size_t matmuls = 0, quantizes = 0;
};
// The rewrite: @ops (quant_candidates) with their inputs' channel ranges
// @amax.  Weights no op reads any more are dropped.
QuantCounts quantize_lowered(Lowered &l, const std::vector<size_t> &ops,
			     const std::vector<std::vector<float>> &amax);

// How the int8 plan's outputs compare with the float plan's.
struct OutputAccuracy {
	std::string name;
	double cos_min = 1, cos_mean = 0, max_diff = 0;
};
struct QuantReport {
	QuantCounts counts;
	size_t samples = 0;
	std::vector<OutputAccuracy> outputs;

	std::string text() const;	// one line
	nlohmann::json to_json() const;
};
std::vector<OutputAccuracy> compare_plans(const Compiled &fl, const Compiled &q,
					  const std::vector<CalibSample> &samples);

// Quantise the compiled float model @c in place (re-planned and checked)
// and report how its outputs moved on the calibration samples.
QuantReport quantize_model(Compiled &c, const QuantOptions &q);

// compile_model(), then quantize_model() when @q asks for it.
Compiled compile_quantized(const std::string &path, const std::string &model, const ShapeOverrides &shapes,
			   const QuantOptions &q, QuantReport *report = nullptr);

} // namespace kinfer
