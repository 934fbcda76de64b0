// SPDX-License-Identifier: GPL-2.0
// TensorFlow sources for the loader: a Keras file (.keras, .h5) or a
// SavedModel directory becomes ONNX through kinfer's Python converter,
//
//	$KINFER_PYTHON -m kinfer.tf.convert SOURCE OUT.onnx [--shape NAME=D0,...]
//
// (tensorflow, keras and tf2onnx: pip install 'kinfer[tf]').  The default
// Python is the repository's .venv when it exists, else python3.  The ONNX
// file lives in a temporary directory for as long as the conversion object.
#pragma once

#include "import.h"

#include <string>

namespace kinfer {

// A path the converter takes: a directory, or a file ending in .keras or .h5.
bool is_tf_source(const std::string &path);

class TfConversion {
public:
	// Throws ModelError when the model cannot be converted (with the
	// converter's reason), UsageError when the converter is not installed.
	TfConversion(const std::string &source, const ShapeOverrides &shapes);
	~TfConversion();
	TfConversion(const TfConversion &) = delete;
	TfConversion &operator=(const TfConversion &) = delete;

	const std::string &onnx() const { return onnx_; }

private:
	std::string dir_, onnx_;
};

} // namespace kinfer
