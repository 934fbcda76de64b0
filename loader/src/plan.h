// SPDX-License-Identifier: GPL-2.0
// Stage 4: arena and io layout, and the plan nodes of kmod/uapi/kinfer.h.
//
// Each activation tensor lives from the op that writes it to the last op
// that reads it.  Tensors are placed largest first at the lowest 16-byte
// aligned offset that overlaps no tensor alive at the same time (TFLite
// Micro's greedy planner).  An elementwise op may write over its input when
// that input dies at the op (same offset, same size).
//
// The io slot holds the inputs, then the outputs, each 16-byte aligned.
#pragma once

#include "lower.h"

#include <cstdint>
#include <vector>

namespace kinfer {

constexpr uint32_t kArenaAlign = 16;

struct Plan {
	std::vector<uint32_t> offset;	// per LTensor: arena byte offset
	std::vector<int> first, last;	// per LTensor: ops writing / last reading it
	std::vector<uint32_t> input_io_off, output_io_off;
	uint32_t arena_bytes = 0;
	uint32_t io_bytes = 0;
	std::vector<kinfer_node> nodes;	// one per LOp
};

Plan plan_model(const Lowered &l);

// Size of the config map value: header plus nodes.
uint32_t plan_config_bytes(const Plan &p);
// The config map value.
std::vector<uint8_t> plan_config(const Plan &p, uint32_t model_id);

// Check a plan exhaustively: alignment, bounds, no two live tensors
// overlapping except an allowed in-place pair, io ranges disjoint.
// Returns an empty string when valid, else the first violation.
std::string plan_verify(const Lowered &l, const Plan &p);

} // namespace kinfer
