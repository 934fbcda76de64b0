// SPDX-License-Identifier: GPL-2.0
// The kernel's operator registry (kmod/uapi/kinfer_ops.h) as the loader
// sees it: names, kfuncs and attribute sizes, all derived from the one
// KINFER_OP_LIST.
#pragma once

#include <uapi/kinfer.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kinfer {

struct KernelOp {
	uint32_t id = KINFER_OP_INVALID;
	const char *name = "";		// "matmul": the kfunc is kinfer_matmul
	const char *op_class = "";	// "unary", ...: the prepare step
	uint16_t attr_bytes = 0;
};

// The registry row of `op`, or nullptr for an id the loader does not know.
const KernelOp *kernel_op(uint32_t op);
// "MATMUL" (upper case, as enum kinfer_op spells it); "UNKNOWN" if none.
std::string op_name(uint32_t op);
// "kinfer_matmul".
std::string op_kfunc(uint32_t op);
// Every op, in id order.
std::vector<KernelOp> kernel_ops();

// The kfuncs every program calls besides the op kfuncs.
constexpr const char *kKfuncAcquire = "kinfer_ctx_acquire_sleepable";
// Sleepable or atomic as the caller's real context allows: freplace'd
// pipelines, which the verifier never lets be sleepable.
constexpr const char *kKfuncAcquireAuto = "kinfer_ctx_acquire_auto";
constexpr const char *kKfuncRelease = "kinfer_ctx_release";
constexpr const char *kKfuncBind = "kinfer_bind";

} // namespace kinfer
