/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkinfer: the loader's load, run and unload as a C library, for
 * language bindings (the Python package's kinfer.runtime uses it through
 * ctypes).  It is the same code as the kinfer CLI.
 *
 * Every function returns 0 on success or the CLI's exit code for the
 * error (1 kernel or runtime, 2 usage, 3 invalid model or input), with a
 * NUL-terminated message in err (truncated to err_len bytes).  Functions
 * that fill a buffer return, in *needed, the bytes the full result takes
 * (with its NUL): call again with a larger buffer when it did not fit.
 */
#ifndef KINFER_CAPI_H
#define KINFER_CAPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KINFER_API __attribute__((visibility("default")))

/* Compile the ONNX file and load it as `name`; share_weights_from may be NULL. */
KINFER_API int kinfer_load(const char *onnx_path, const char *name, const char *share_weights_from,
		char *err, size_t err_len);

/*
 * Replace the loaded model `name` by a new version (same inputs and
 * outputs) atomically: every run uses the old version or the new one.
 */
KINFER_API int kinfer_swap(const char *onnx_path, const char *name, const char *share_weights_from,
			   char *err, size_t err_len);

/* The manifest of a loaded model (JSON, schema kinfer_manifest 1). */
KINFER_API int kinfer_manifest(const char *name, char *buf, size_t len, size_t *needed,
		    char *err, size_t err_len);

/*
 * Run a loaded model on this CPU.  inputs[i] holds input i's bytes in the
 * manifest's dtype and shape (input_bytes[i] must equal its size);
 * outputs[i] receives output i (output_bytes[i] must equal its size).
 */
KINFER_API int kinfer_run(const char *name, const void *const *inputs, const size_t *input_bytes,
	       size_t n_inputs, void *const *outputs, const size_t *output_bytes,
	       size_t n_outputs, char *err, size_t err_len);

/* A weight's bytes (model state included), read between runs. */
KINFER_API int kinfer_weight(const char *name, const char *weight, void *buf, size_t len,
			     size_t *needed, char *err, size_t err_len);

/* Unpin and unregister a loaded model. */
KINFER_API int kinfer_unload(const char *name, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* KINFER_CAPI_H */
