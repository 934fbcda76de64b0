// SPDX-License-Identifier: GPL-2.0
#include "panels.h"

#include <uapi/kinfer.h>

#include <stdexcept>

namespace kinfer {

namespace {

constexpr int64_t kPanel = KINFER_MATMUL_PANEL;

int64_t panel_count(int64_t n)
{
	return (n + kPanel - 1) / kPanel;
}

// Index of element (l, j) of a [K, N] matrix in its panels.
size_t panel_index(int64_t k, int64_t l, int64_t j)
{
	return (size_t)(((j / kPanel) * k + l) * kPanel + j % kPanel);
}

} // namespace

bool panels_pay(const Shape &kn)
{
	if (kn.size() != 2 || kn[1] < kPanel)
		return false;
	int64_t pad = panel_count(kn[1]) * kPanel - kn[1];
	return pad * 8 <= kn[1];
}

Shape panel_shape(const Shape &matrix)
{
	return {panel_count(matrix.at(1)), matrix.at(0), kPanel};
}

HostTensor transpose2d(const HostTensor &w)
{
	if (w.dtype != DType::f32 || w.shape.size() != 2)
		throw std::logic_error("transpose2d: want a float32 matrix");
	HostTensor t = w;
	int64_t r = w.shape[0], k = w.shape[1];
	t.shape = {k, r};
	const float *src = w.as<float>();
	float *dst = t.as<float>();
	for (int64_t i = 0; i < r; i++)
		for (int64_t j = 0; j < k; j++)
			dst[j * r + i] = src[i * k + j];
	return t;
}

HostTensor to_panels(const HostTensor &kn)
{
	if (kn.dtype != DType::f32 || kn.shape.size() != 2)
		throw std::logic_error("to_panels: want a float32 matrix");
	int64_t k = kn.shape[0], n = kn.shape[1];
	HostTensor p;
	p.dtype = DType::f32;
	p.shape = panel_shape(kn.shape);
	p.data.assign(shape_numel(p.shape) * sizeof(float), 0);
	const float *src = kn.as<float>();
	float *dst = p.as<float>();
	for (int64_t l = 0; l < k; l++)
		for (int64_t j = 0; j < n; j++)
			dst[panel_index(k, l, j)] = src[l * n + j];
	return p;
}

HostTensor from_panels(const HostTensor &panels, const Shape &matrix)
{
	if (panels.dtype != DType::f32 || matrix.size() != 2 ||
	    panels.shape != panel_shape(matrix))
		throw std::logic_error("from_panels: the panels do not hold a " + shape_str(matrix) +
				       " matrix");
	int64_t k = matrix[0], n = matrix[1];
	HostTensor m;
	m.dtype = DType::f32;
	m.shape = matrix;
	m.data.resize(shape_numel(matrix) * sizeof(float));
	const float *src = panels.as<float>();
	float *dst = m.as<float>();
	for (int64_t l = 0; l < k; l++)
		for (int64_t j = 0; j < n; j++)
			dst[l * n + j] = src[panel_index(k, l, j)];
	return m;
}

} // namespace kinfer
