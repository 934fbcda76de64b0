// SPDX-License-Identifier: GPL-2.0
// Stage 3: the graph passes, in the order compile_model() runs them.  Each
// is small and tested on its own (tests/cpp/passes_test.cpp).
//
//	infer_graph	 every node: its rule checks attributes and inputs and
//			 defines its outputs' types and shapes; nodes whose
//			 inputs are all constant are folded (computed now,
//			 with the kernel's own code), which also evaluates
//			 shape subgraphs (Shape, Gather, Concat, Range, ...)
//	fuse_gelu	 x * 0.5 * (1 + erf(x / sqrt 2)), in its usual spellings,
//			 into Gelu (passes_nlp.cc, as the next one)
//	fuse_layer_norm	 the mean/variance/normalise/scale/shift chain into
//			 LayerNormalization
//	sink_transposes	 a Transpose below the elementwise nodes after it, until
//			 its inverse cancels it or a reduction absorbs it
//			 (passes_layout.cc, as the next two)
//	fold_batchnorm	 BatchNormalization after Conv/ConvTranspose/Gemm/MatMul
//			 with constant weights into those weights and a bias
//	fold_conv_affine Add/Sub/Mul/Div of a per-channel constant after a Conv or
//			 ConvTranspose into its weights and bias
//	fuse_matmul_add	 MatMul + Add of a constant bias into one Gemm
//	fuse_activation	 Relu/Sigmoid/Tanh/... after Gemm/MatMul/Conv/ConvTranspose
//			 into it
//	fuse_clip	 Min(c >= 0) after a fused Relu, or a Clip of constant
//			 bounds, into the same nodes as a CLIP activation
//	remove_dead	 nodes no graph output depends on
#pragma once

#include "graph.h"

namespace kinfer {

void infer_graph(Graph &g);
void fuse_gelu(Graph &g);
void fuse_layer_norm(Graph &g);
void sink_transposes(Graph &g);
void fold_batchnorm(Graph &g);
void fold_conv_affine(Graph &g);
void fuse_matmul_add(Graph &g);
void fuse_activation(Graph &g);
void fuse_clip(Graph &g);
void remove_dead(Graph &g);

// All of the above, in order.
void run_passes(Graph &g);

} // namespace kinfer
