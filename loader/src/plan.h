// SPDX-License-Identifier: GPL-2.0
// Stage 5: arena and io layout, and the plan bytes of kmod/uapi/kinfer.h.
//
// Each storage lives from the first op that writes it to the last op that
// reads it.  Storages are placed largest first at the lowest 16-byte
// aligned offset that overlaps no storage alive at the same time (TFLite
// Micro's greedy planner).  An op may write output 0 over the input its
// kernel class allows (op_inplace_input) when that input's storage dies
// at the op and has the same size.
//
// The io slot holds the inputs, then the outputs, each 16-byte aligned.
#pragma once

#include "lower.h"

#include <cstdint>
#include <vector>

namespace kinfer {

constexpr uint32_t kArenaAlign = 16;

struct Plan {
	std::vector<uint32_t> offset;	// per storage: arena byte offset
	std::vector<int> first, last;	// per storage: ops writing / last reading it
	std::vector<uint32_t> input_io_off, output_io_off;
	uint32_t arena_bytes = 0;
	uint32_t io_bytes = 0;
	uint64_t naive_bytes = 0;	// every storage side by side: what planning saved
	std::vector<uint32_t> node_off;	// per op: its node's offset in `nodes`
	std::vector<uint8_t> nodes;	// the encoded nodes
	uint64_t work = 0;		// set by plan_check (exec.h)
};

Plan plan_model(const Lowered &l);

// Size of the config map value: header plus nodes.
uint32_t plan_config_bytes(const Plan &p);
// The config map value.
std::vector<uint8_t> plan_config(const Plan &p, uint32_t model_id);

// Check a plan exhaustively: alignment, bounds, no two live storages
// overlapping except an allowed in-place pair, io ranges disjoint.
// Returns an empty string when valid, else the first violation.
std::string plan_verify(const Lowered &l, const Plan &p);

} // namespace kinfer
