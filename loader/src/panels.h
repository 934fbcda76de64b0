// SPDX-License-Identifier: GPL-2.0
// Constant MatMul weights in the GEMM kernels' own layout
// (KINFER_MATMUL_B_PANELS in uapi/kinfer.h): a [K, N] matrix stored as
// [ceil(N / 16), K, 16], so each 16-column panel is one sequential stream.
#pragma once

#include "tensor_io.h"

namespace kinfer {

// Whether a constant [K, N] B is worth storing in panels: only columns past
// the last multiple of 16 are padded, and at most an eighth more bytes.
bool panels_pay(const Shape &kn);

// The float32 matrix @w transposed.
HostTensor transpose2d(const HostTensor &w);

// [ceil(N / 16), K, 16]: the shape of the [K, N] @matrix in panels.
Shape panel_shape(const Shape &matrix);

// The float32 [K, N] matrix @kn as [ceil(N / 16), K, 16], zero-padded.
HostTensor to_panels(const HostTensor &kn);

// The inverse: the [K, N] matrix (@matrix) back from its panels.
HostTensor from_panels(const HostTensor &panels, const Shape &matrix);

} // namespace kinfer
