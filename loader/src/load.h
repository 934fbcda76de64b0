// SPDX-License-Identifier: GPL-2.0
// Stage 6: create and fill the maps, load the emitted program, pin it all,
// and register the model with kinfer.ko.  Everything is undone when any
// step fails.
#pragma once

#include "compile.h"

#include <cstdint>

namespace kinfer {

struct LoadResult {
	uint32_t model_id = 0;
	uint32_t prog_id = 0;
	size_t insns = 0;
};

LoadResult load_model(const Compiled &c);

} // namespace kinfer
