// SPDX-License-Identifier: GPL-2.0
// The loader's TFLite quantisation parameters (loader/src/quant/qparams)
// behind C entry points, for tests/python/test_int8_kernels.py.
#include "quant/qparams.h"

#include <exception>

#define KINFER_SHIM extern "C" __attribute__((visibility("default")))

KINFER_SHIM int kinfer_test_softmax_params(double beta, double input_scale, int32_t *out)
{
	try {
		kinfer::SoftmaxParams p = kinfer::softmax_params(beta, input_scale);
		out[0] = p.multiplier;
		out[1] = p.left_shift;
		out[2] = p.diff_min;
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}

KINFER_SHIM int kinfer_test_mean_multiplier(double in_scale, double out_scale, int64_t count,
					    int32_t *out)
{
	try {
		kinfer::QMul q = kinfer::mean_multiplier(in_scale, out_scale, count);
		out[0] = q.multiplier;
		out[1] = q.shift;
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}
