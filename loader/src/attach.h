// SPDX-License-Identifier: GPL-2.0
// A pipeline called from a BPF program: the model's kfunc chain as a
// BPF_PROG_TYPE_EXT program replacing that program's global function
// kinfer_pipeline_call(struct kinfer_call *) (uapi/kinfer_call.h), attached
// with a link pinned beside the model (…/kinfer/<name>/call).
#pragma once

#include "bpf_util.h"
#include "compile.h"
#include "emit.h"

#include <string>

namespace kinfer {

// PROG_PIN[:FUNC]: a pinned BPF program and the global function to replace.
struct AttachSpec {
	std::string prog_pin;
	std::string func = KINFER_CALL_FUNC;
};
AttachSpec parse_attach(const std::string &spec);

// A pipeline's optional second input, where kinfer_call.max_tokens goes:
// named max_tokens, one int32.
bool is_max_tokens_input(const std::string &name, DType dtype, const Shape &shape);

// Where the label, score and max_tokens are in the io slot; throws
// ModelError unless the model is a pipeline: a uint8 input (the text, at
// io offset 0, at most KINFER_CALL_TEXT_BYTES) and optionally max_tokens,
// outputs 'label' (int32 or int64, one
// element) and 'score' (float32, one element), an io slot of at most
// KINFER_CALL_IO_BYTES.
CallLayout call_layout(const Compiled &c);

// Emit, load and attach the EXT program; returns the link.  env as for
// the model's own program (kfunc ids must include kinfer_ctx_acquire_auto).
Fd attach_call(const Compiled &c, const EmitEnv &env, int module_btf_fd, const AttachSpec &spec);

} // namespace kinfer
