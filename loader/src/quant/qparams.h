// SPDX-License-Identifier: GPL-2.0
// TensorFlow Lite's quantisation parameters, computed as its kernels'
// Prepare computes them, for the int8 kernel ops' attributes (struct
// kinfer_qmul and friends in <uapi/kinfer.h>): a .tflite model lowered
// with these gives the interpreter's integers.
#pragma once

#include <cstdint>

namespace kinfer {

// real = multiplier * 2^(shift - 31): struct kinfer_qmul.
struct QMul {
	int32_t multiplier = 0;
	int32_t shift = 0;
};

// TFLite's QuantizeMultiplier: frexp, the fraction rounded half away from
// zero to 31 bits (a fraction that rounds up to 1 becomes 1/2, shift + 1),
// and a real below about 2^-32 flushed to {0, 0}.  real must be finite and
// >= 0 (ModelError otherwise).  The shift may exceed 30 for a real of 2^30
// or more: kinfer_q_mul_valid() says whether a kernel accepts the result.
QMul quantize_multiplier(double real);

// TFLite's QuantizeMultiplierGreaterThanOne: real > 1, so shift >= 0.
QMul quantize_multiplier_greater_than_one(double real);

// An int8 softmax's input scaling (TFLite's PreprocessSoftmaxScaling with
// 5 integer bits, and CalculateInputRadius): diffs x - max are multiplied
// by beta * input_scale * 2^26 (capped at 2^31 - 1) into Q5.26, and those
// below diff_min, whose product would not fit, are left out.
struct SoftmaxParams {
	int32_t multiplier = 0;
	int32_t left_shift = 0;
	int32_t diff_min = 0;
};
SoftmaxParams softmax_params(double beta, double input_scale);

// An int8 MEAN's output multiplier, TFLite's reference QuantizedMeanOrSum:
// in_scale / out_scale quantised, then 1/count folded in by integer
// division, (multiplier << s) / count with s = floor(log2(count)) (at
// most 32 and 31 + shift), shift - s.  The multiplier may fall below
// 2^30 (QMEAN accepts that); count >= 1.
QMul mean_multiplier(double in_scale, double out_scale, int64_t count);

} // namespace kinfer
