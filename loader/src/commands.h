// SPDX-License-Identifier: GPL-2.0
// The CLI's commands.  Each prints to stdout and returns the exit code;
// errors are thrown as kinfer::Error.
#pragma once

#include "quantize.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kinfer {

struct RunArgs {
	std::string target;			// model name, or ONNX file with reference
	bool reference = false;
	std::vector<std::string> inputs, outputs;
	std::vector<std::string> shapes;	// --shape NAME=D0,D1 (with reference)
	unsigned repeat = 0;			// --repeat N: time N runs
	std::string timing_json;		// --timing-json FILE
	QuantOptions quant;			// --quantize, --calibrate (with reference)
};

int cmd_load(const std::string &file, const std::string &name,
	     const std::vector<std::string> &shapes, const std::string &share_weights_from = "",
	     const std::string &attach = "", const QuantOptions &quant = {});
int cmd_swap(const std::string &file, const std::string &name,
	     const std::string &share_weights_from = "", const QuantOptions &quant = {});
int cmd_run(const RunArgs &a);
int cmd_inspect(const std::string &file, const std::string &name, bool json,
		const std::vector<std::string> &shapes, const QuantOptions &quant = {});
int cmd_list(bool json);
int cmd_show(const std::string &name, bool json);
int cmd_unload(const std::string &name);
int cmd_ops(bool json);
int cmd_dump(const std::string &name, const std::string &weight, bool json);

struct TokenizeArgs {
	std::string vocab;			// vocab.txt or tokenizer.json
	std::vector<std::string> texts;		// none: --records, or stdin
	std::string records;			// file of (u32 LE length, bytes) records
	uint32_t max_len = 128;
	int32_t max_tokens = 0;			// classify: the token cap (0: none)
	bool json = false;
};
int cmd_tokenize(const TokenizeArgs &a);

} // namespace kinfer
