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

// A BPF program may use at most 64 maps (MAX_USED_MAPS of the 6.1
// verifier).  Besides its config and io maps a model keeps one map per
// weight while it has at most kMaxWeightMaps weights; beyond that the
// largest keep their own maps and the rest share one packed map, each at
// a 16-byte aligned offset.
constexpr size_t kMaxWeightMaps = 60;

struct WeightMap {
	std::vector<int> weights;		// LWeight indices, in map order
	std::vector<uint64_t> offsets;		// byte offset of each in the value
	uint64_t bytes = 0;
	bool packed = false;			// shared by several weights
};

struct Plan {
	std::vector<uint32_t> offset;	// per storage: arena byte offset
	std::vector<int> first, last;	// per storage: ops writing / last reading it
	std::vector<uint32_t> input_io_off, output_io_off;
	uint32_t arena_bytes = 0;
	uint32_t io_bytes = 0;
	uint64_t naive_bytes = 0;	// every storage side by side: what planning saved
	std::vector<WeightMap> wmaps;	// the weight maps
	std::vector<int> wmap_of;	// per LWeight: its map
	std::vector<uint64_t> woff;	// per LWeight: its offset in that map
	std::vector<uint32_t> node_off;	// per op: its node's offset in `nodes`
	std::vector<uint8_t> nodes;	// the encoded nodes
	uint64_t work = 0;		// set by plan_check (exec.h)
};

Plan plan_model(const Lowered &l);

// The buffers a node binds before it runs, in bind order: each weight map
// and the io buffer at most once, in the order the op's operands name them.
struct BindRef {
	LRef::Kind kind;		// weight or io
	int index;			// weight map index; -1 for io
	bool operator==(const BindRef &o) const { return kind == o.kind && index == o.index; }
};
std::vector<BindRef> node_binds(const LOp &op, const Plan &p);

// The value of weight map m: its weights at their offsets.
std::vector<uint8_t> weight_map_value(const Lowered &l, const Plan &p, size_t m);

// Size of the config map value: header plus nodes.
uint32_t plan_config_bytes(const Plan &p);
// The config map value.
std::vector<uint8_t> plan_config(const Plan &p, uint32_t model_id);

// Check a plan exhaustively: alignment, bounds, no two live storages
// overlapping except an allowed in-place pair, io ranges disjoint.
// Returns an empty string when valid, else the first violation.
std::string plan_verify(const Lowered &l, const Plan &p);

} // namespace kinfer
