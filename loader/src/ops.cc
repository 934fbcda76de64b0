// SPDX-License-Identifier: GPL-2.0
#include "ops.h"

#include <algorithm>
#include <cctype>

namespace kinfer {

namespace {

#define KINFER_ROW(NAME, id, name, cls, attr, cost) \
	KernelOp{id, #name, #cls, KINFER_ATTR_BYTES_##attr},
constexpr KernelOp kOps[] = {KINFER_OP_LIST(KINFER_ROW)};
#undef KINFER_ROW

// Ids are explicit in the list; they must be unique, in order and below
// KINFER_OP_LIMIT, or tables indexed by id would be wrong.
constexpr bool ids_in_order()
{
	uint32_t prev = KINFER_OP_INVALID;
	for (const KernelOp &op : kOps) {
		if (op.id <= prev || op.id >= KINFER_OP_LIMIT)
			return false;
		prev = op.id;
	}
	return true;
}
static_assert(ids_in_order(), "KINFER_OP_LIST ids must increase and stay below KINFER_OP_LIMIT");

} // namespace

const KernelOp *kernel_op(uint32_t op)
{
	auto it = std::find_if(std::begin(kOps), std::end(kOps),
			       [&](const KernelOp &k) { return k.id == op; });
	return it == std::end(kOps) ? nullptr : &*it;
}

std::string op_name(uint32_t op)
{
	const KernelOp *k = kernel_op(op);
	if (!k)
		return "UNKNOWN";
	std::string s = k->name;
	for (char &c : s)
		c = (char)std::toupper((unsigned char)c);
	return s;
}

std::string op_kfunc(uint32_t op)
{
	const KernelOp *k = kernel_op(op);
	return k ? std::string("kinfer_") + k->name : std::string();
}

std::vector<KernelOp> kernel_ops()
{
	return std::vector<KernelOp>(std::begin(kOps), std::end(kOps));
}

} // namespace kinfer
