// SPDX-License-Identifier: GPL-2.0
// Stage 6: create and fill the maps, load the emitted program, pin it all,
// and register the model with kinfer.ko.  Everything is undone when any
// step fails.
#pragma once

#include "compile.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace kinfer {

struct LoadResult {
	uint32_t model_id = 0;
	uint32_t prog_id = 0;
	size_t insns = 0;
	size_t shared_weights = 0;	// weight maps reused from another model
};

struct LoadOptions {
	// A loaded model whose weight maps this one reuses where a map has the
	// same pin path and the same bytes (the methods of one Flax module):
	// one copy in kernel memory, and an update of it is seen by both.
	std::string share_weights_from;
	// PROG_PIN[:FUNC]: replace that BPF program's kinfer_pipeline_call with
	// this pipeline (attach.h); the link is pinned as <name>/call.
	std::string attach;
	// Stored in the model's meta map under "pipeline" (pipeline.h); a swap
	// keeps the live model's.
	nlohmann::json pipeline;
};

LoadResult load_model(const Compiled &c, const LoadOptions &opts = {});

// Replace the loaded model c.model by c (new weights, the same inputs and
// outputs) atomically: the new maps and program are built and pinned aside,
// then the two pin directories are exchanged in one rename while holding
// the model's run lock, so every run uses the old version or the new one.
LoadResult swap_model(const Compiled &c, const LoadOptions &opts = {});

} // namespace kinfer
