// SPDX-License-Identifier: GPL-2.0
// Userspace reference executor: runs the *plan* (lowered ops, arena
// offsets, io layout) the way kinfer.ko does, with Eigen for the math, so it
// cross-checks lowering and planning as well as the kernel's results.
#pragma once

#include "lower.h"
#include "plan.h"
#include "tensor_io.h"

#include <vector>

namespace kinfer {

// inputs[i] must hold l.inputs[i]'s element count (throws InputError).
std::vector<Tensor> reference_run(const Lowered &l, const Plan &p, const std::vector<Tensor> &inputs);

} // namespace kinfer
