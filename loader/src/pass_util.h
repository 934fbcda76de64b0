// SPDX-License-Identifier: GPL-2.0
// What the graph passes share (defined in passes.cc, used by passes.cc
// and passes_layout.cc): reader counts, constants the passes add, the
// fused-activation attributes and the fold of a per-channel affine map
// into a convolution's weights.
#pragma once

#include "graph.h"

#include <map>
#include <string>
#include <vector>

namespace kinfer::pass {

// Readers of each value: live nodes, plus one per graph output (or state's
// next value) naming it.
std::map<std::string, int> count_readers(const Graph &g);
// The one live node reading `value`, if it has exactly one reader (and it
// is not a graph output).
Node *sole_reader(Graph &g, const std::map<std::string, int> &readers, const std::string &value);
// Some output of n is computed at run time (not folded to a constant).
bool is_runtime(const Graph &g, const Node &n);

onnx::AttributeProto make_attr(const std::string &name, int64_t i);
onnx::AttributeProto make_attr(const std::string &name, float f);
void set_attr(Node &n, const std::string &name, onnx::AttributeProto a);

// Nodes whose kernel op applies a fused activation (attributes act,
// act_alpha, act_beta once to_internal() made them the passes' own form).
bool takes_activation(const Node &n);
void to_internal(Node &n);
// Absorb `next` (a single-input node reading n's only output) into n.
void absorb(Node &n, Node &next);

// A constant float32 value of shape `s`.
bool const_f32(const Graph &g, const std::string &name, const Shape &s);
// A new constant value named after `base`, unique in the graph.
std::string add_const(Graph &g, const std::string &base, HostTensor t);
// The initializer a value's data came from, else the value itself.
std::string source_of(const Graph &g, const std::string &value);

// y = conv(x) * f[m] + o[m] per output channel m, folded into the constant
// weights and bias of a Conv or ConvTranspose (false, graph untouched,
// when they are not constant float32).
bool fold_affine_into_conv(Graph &g, Node &conv, const std::vector<double> &f, const std::vector<double> &o);

} // namespace kinfer::pass
