// SPDX-License-Identifier: GPL-2.0
// `kinfer events`: what tasks flagged, from the ring buffer every hook
// program writes (/sys/fs/bpf/kinfer/events, struct kinfer_event).
#pragma once

#include <cstdint>
#include <string>

namespace kinfer {

struct EventsArgs {
	bool json = false;
	bool follow = false;		// until SIGINT/SIGTERM
	uint32_t timeout_ms = 0;	// with follow: stop after this long (0: never)
};

// Escape bytes for a terminal or JSON string: printable ASCII stays,
// '\\' and '"' get a backslash, everything else is \xHH.
std::string escape_text(const uint8_t *text, size_t len);

int cmd_events(const EventsArgs &a);

} // namespace kinfer
