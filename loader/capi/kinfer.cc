// SPDX-License-Identifier: GPL-2.0
// libkinfer's C entry points: each catches every exception at the
// boundary and turns it into the CLI's exit code and message.
#include "kinfer.h"

#include "compile.h"
#include "error.h"
#include "load.h"
#include "runtime.h"

#include <cstring>
#include <functional>
#include <new>
#include <string>

using namespace kinfer;

namespace {

void set_error(char *err, size_t err_len, const std::string &msg)
{
	if (!err || !err_len)
		return;
	size_t n = std::min(msg.size(), err_len - 1);
	std::memcpy(err, msg.data(), n);
	err[n] = '\0';
}

int guarded(char *err, size_t err_len, const std::function<void()> &fn)
{
	set_error(err, err_len, "");
	try {
		fn();
		return 0;
	} catch (const Error &e) {
		set_error(err, err_len, e.what());
		return (int)e.code();
	} catch (const std::bad_alloc &) {
		set_error(err, err_len, "out of memory");
		return (int)Exit::runtime;
	} catch (const std::exception &e) {
		set_error(err, err_len, e.what());
		return (int)Exit::runtime;
	}
}

std::string arg(const char *s, const char *what)
{
	if (!s)
		throw UsageError(std::string(what) + " is NULL");
	return s;
}

std::string model_arg(const char *name)
{
	std::string model = arg(name, "name");
	check_model_name(model);
	return model;
}

LoadOptions load_options(const char *share_weights_from)
{
	LoadOptions opts;
	if (share_weights_from)
		opts.share_weights_from = model_arg(share_weights_from);
	return opts;
}

void copy_out(const std::string &text, char *buf, size_t len, size_t *needed)
{
	if (needed)
		*needed = text.size() + 1;
	if (buf && len > text.size())
		std::memcpy(buf, text.c_str(), text.size() + 1);
}

} // namespace

extern "C" int kinfer_load(const char *onnx_path, const char *name, const char *share_weights_from,
			   char *err, size_t err_len)
{
	return guarded(err, err_len, [&] {
		std::string model = model_arg(name);
		load_model(compile_model(arg(onnx_path, "onnx_path"), model),
			   load_options(share_weights_from));
	});
}

extern "C" int kinfer_swap(const char *onnx_path, const char *name, const char *share_weights_from,
			   char *err, size_t err_len)
{
	return guarded(err, err_len, [&] {
		std::string model = model_arg(name);
		swap_model(compile_model(arg(onnx_path, "onnx_path"), model),
			   load_options(share_weights_from));
	});
}

extern "C" int kinfer_manifest(const char *name, char *buf, size_t len, size_t *needed, char *err,
			       size_t err_len)
{
	return guarded(err, err_len, [&] {
		std::string model = model_arg(name);
		copy_out(read_meta(loaded_dir(model)).dump(), buf, len, needed);
	});
}

extern "C" int kinfer_run(const char *name, const void *const *inputs, const size_t *input_bytes,
			  size_t n_inputs, void *const *outputs, const size_t *output_bytes,
			  size_t n_outputs, char *err, size_t err_len)
{
	return guarded(err, err_len, [&] {
		std::string model = model_arg(name);
		nlohmann::json m = read_meta(loaded_dir(model));
		std::vector<Port> in = meta_ports(m, "inputs"), out = meta_ports(m, "outputs");
		if (n_inputs != in.size() || n_outputs != out.size())
			throw InputError("model '" + model + "' takes " + std::to_string(in.size()) +
					 " inputs and gives " + std::to_string(out.size()) +
					 " outputs; got " + std::to_string(n_inputs) + " and " +
					 std::to_string(n_outputs));
		std::vector<HostTensor> tensors(in.size());
		for (size_t i = 0; i < in.size(); i++) {
			if (!inputs || !inputs[i] || !input_bytes || input_bytes[i] != in[i].bytes)
				throw InputError("input '" + in[i].name + "' needs " +
						 std::to_string(in[i].bytes) + " bytes");
			tensors[i].dtype = in[i].dtype;
			tensors[i].shape = in[i].shape;
			const uint8_t *p = static_cast<const uint8_t *>(inputs[i]);
			tensors[i].data.assign(p, p + in[i].bytes);
		}
		for (size_t i = 0; i < out.size(); i++)
			if (!outputs || !outputs[i] || !output_bytes || output_bytes[i] != out[i].bytes)
				throw InputError("output '" + out[i].name + "' needs " +
						 std::to_string(out[i].bytes) + " bytes");
		std::vector<HostTensor> results = run_loaded(model, tensors);
		for (size_t i = 0; i < out.size(); i++)
			std::memcpy(outputs[i], results[i].data.data(), out[i].bytes);
	});
}

extern "C" int kinfer_weight(const char *name, const char *weight, void *buf, size_t len,
			     size_t *needed, char *err, size_t err_len)
{
	return guarded(err, err_len, [&] {
		WeightValue w = read_weight(model_arg(name), arg(weight, "weight"));
		if (needed)
			*needed = w.t.data.size();
		if (buf && len >= w.t.data.size())
			std::memcpy(buf, w.t.data.data(), w.t.data.size());
	});
}

extern "C" int kinfer_unload(const char *name, char *err, size_t err_len)
{
	return guarded(err, err_len, [&] { unload_model(arg(name, "name")); });
}
