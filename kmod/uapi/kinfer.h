/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kinfer plan ABI, version 2: shared by kinfer.ko, the loader and BPF
 * programs.
 *
 * A loaded model is a *plan* (one single-entry BPF array map, "config"),
 * one single-entry array map per weight tensor, an "io" map, and a BPF
 * program that is a straight chain of kfunc calls:
 *
 *	ctx = kinfer_ctx_acquire_sleepable(plan, plan__sz, &status);
 *	kinfer_bind(ctx, io, io__sz);		operands of node 0
 *	kinfer_input(ctx);			node 0
 *	kinfer_bind(ctx, W, W__sz);		operands of node 1
 *	kinfer_bind(ctx, b, b__sz);
 *	kinfer_matmul(ctx);			node 1
 *	kinfer_relu(ctx);			node 2
 *	...
 *	kinfer_ctx_release(ctx);
 *
 * Every op kfunc executes the plan node at the context's cursor and moves
 * the cursor to the next node.  The node names its op; a kfunc whose op is
 * not the node's, a node whose tensors do not fit their buffers, or
 * attributes that do not fit the op get -EINVAL and end the run.  Buffers
 * that are not the run's arena (weights, io) are *bound* before the node
 * that uses them, in the order the node's tensors name them
 * (KINFER_BUF_BIND0 + i); a node consumes all bound buffers.  There is no
 * limit of five kfunc arguments on how many weights an op takes.
 *
 * Layout of the config map value:
 *
 *	struct kinfer_plan			header
 *	node 0: struct kinfer_node		16 bytes
 *		struct kinfer_tensor[n_in + n_out]	inputs, then outputs
 *		attribute block (attr_bytes)	struct kinfer_attr_<op class>
 *	node 1: ...
 *
 * Nodes are packed: each starts where the previous one's size ends.
 * All offsets and sizes are in bytes, little-endian host order (a plan is
 * built on the machine that runs it).  Tensors are dense and row-major.
 * Values of enums are never renumbered; new ones are appended.  Fields an
 * op does not use must be zero.
 */
#ifndef _UAPI_KINFER_H
#define _UAPI_KINFER_H

#include <linux/types.h>

#define KINFER_PLAN_MAGIC	0x464e494bU	/* "KINF" read as LE bytes */
#define KINFER_ABI_VERSION	2U

/*
 * Longest model name, without the terminating NUL.  [A-Za-z0-9_-] only: the
 * name is a bpffs directory, and bpffs reserves names with a dot.
 */
#define KINFER_NAME_MAX		31U

/* Upper bound on nodes in one plan. */
#define KINFER_MAX_NODES	8192U
/* Largest tensor rank. */
#define KINFER_MAX_RANK		8U
/* Inputs plus outputs of one node. */
#define KINFER_MAX_TENSORS	16U
/* Buffers bound for one node. */
#define KINFER_MAX_BINDS	8U
/* Largest node: header, tensors and attributes. */
#define KINFER_MAX_NODE_BYTES	2048U
/* Spatial dimensions of convolution and pooling (1-D and 2-D today). */
#define KINFER_MAX_SPATIAL	3U

/*
 * Element types.  BOOL is one byte holding 0 or 1.  UINT8 is text bytes
 * (TOKENIZE's input and vocabulary; byte-moving ops carry it too).  INT8
 * is a quantised tensor: its scale and zero point are not in the tensor
 * but folded into the attributes of the int8 ops that read it.
 */
enum kinfer_dtype {
	KINFER_DTYPE_NONE	= 0,	/* an omitted optional tensor */
	KINFER_DTYPE_FLOAT32	= 1,
	KINFER_DTYPE_INT32	= 2,
	KINFER_DTYPE_INT64	= 3,
	KINFER_DTYPE_BOOL	= 4,
	KINFER_DTYPE_INT8	= 5,
	KINFER_DTYPE_UINT8	= 6,
	KINFER_DTYPE_COUNT
};

/* Where a tensor's bytes are: the run's arena or a bound buffer. */
enum kinfer_buf {
	KINFER_BUF_ARENA	= 0,
	KINFER_BUF_BIND0	= 1,	/* KINFER_BUF_BIND0 + i: the i-th bound */
};

/*
 * One tensor of a node (48 bytes).
 *
 * An omitted optional input or output has every field 0.  Otherwise:
 * dtype is FLOAT32, INT32, INT64, BOOL, INT8 or UINT8; rank <= KINFER_MAX_RANK;
 * dims[0..rank) >= 1 and the rest 0; the byte size (product of dims times
 * the element size) fits in 32 bits; off is aligned to the element size;
 * [off, off + size) lies within the buffer.  A rank-0 tensor is a scalar.
 */
struct kinfer_tensor {
	__u32 off;		/* byte offset in its buffer */
	__u8 buf;		/* enum kinfer_buf */
	__u8 dtype;		/* enum kinfer_dtype */
	__u8 rank;
	__u8 flags;		/* none defined; 0 */
	__u32 quant;		/* reserved; 0 */
	__u32 reserved;		/* 0 */
	__u32 dims[KINFER_MAX_RANK];
};

/*
 * One node (16 bytes), followed by its tensors and attribute block.
 * size == 16 + 48 * (n_in + n_out) + attr_bytes, and attr_bytes is exactly
 * the size of the op's attribute struct (0 for ops without attributes).
 */
struct kinfer_node {
	__u16 op;		/* enum kinfer_op */
	__u8 n_in;
	__u8 n_out;
	__u16 size;		/* bytes of this node, <= KINFER_MAX_NODE_BYTES */
	__u16 attr_bytes;
	__u32 flags;		/* none defined; 0 */
	__u32 reserved;		/* 0 */
};

/* The config map value starts with this header (56 bytes). */
struct kinfer_plan {
	__u32 magic;		/* KINFER_PLAN_MAGIC */
	__u32 abi_version;	/* KINFER_ABI_VERSION */
	__u32 model_id;		/* from /sys/kernel/kinfer/models/<name>/id */
	__u32 n_nodes;
	__u32 nodes_bytes;	/* bytes of all nodes after the header */
	/*
	 * Per-CPU arena bytes this plan touches; at most the model's
	 * registered arena_bytes and /sys/kernel/kinfer/arena_bytes.
	 */
	__u32 arena_bytes;
	__u32 io_bytes;		/* size of one io slot (informational) */
	__u32 reserved0;	/* 0 */
	/*
	 * Work units the run may spend (see docs/architecture.md): the sum of
	 * every node's work as its prepare step computes it, plus clearing the
	 * arena.  A run is refused when this exceeds the module's budget for
	 * its context, and fails when its nodes would spend more.
	 */
	__u64 work;
	__u64 reserved[2];	/* 0 */
};

/* Work units a run is charged per this many arena bytes it clears. */
#define KINFER_CLEAR_BYTES_PER_WORK	16U

/*
 * A binary32 value in an attribute block.  Integer-only code (the
 * prepare steps, which run outside FPU sections) reads .bits.
 */
union kinfer_f32 {
	float f;
	__u32 bits;
};

#include "kinfer_ops.h"

/*
 * Attribute blocks, one struct per attr column value.  Each has a
 * KINFER_ATTR_BYTES_<attr> so that "none" can be 0.
 */
#define KINFER_ATTR_BYTES_none	0U

/*
 * Parameters of elementwise ops: alpha (LeakyRelu, Elu, ...), or alpha and
 * beta (HardSigmoid, Selu's alpha and gamma, Clip's min and max).
 */
struct kinfer_attr_alpha {
	union kinfer_f32 alpha;
};

#define KINFER_ATTR_BYTES_alpha	((__u16)sizeof(struct kinfer_attr_alpha))

struct kinfer_attr_alpha_beta {
	union kinfer_f32 alpha;
	union kinfer_f32 beta;
};

#define KINFER_ATTR_BYTES_alpha_beta \
	((__u16)sizeof(struct kinfer_attr_alpha_beta))

/* axis: one axis of the first input, 0 <= axis < rank. */
struct kinfer_attr_axis {
	__u32 axis;
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_axis	((__u16)sizeof(struct kinfer_attr_axis))

/*
 * matmul: Y = alpha * op(A) . op(B) + beta * C, then act(Y).
 * A [..., M, K] (trans_a: [..., K, M]), B [..., K, N] (trans_b:
 * [..., N, K]), optional C broadcast onto Y [..., M, N]; batch dimensions
 * broadcast as numpy does.  act is 0 or a unary op (KINFER_OP_RELU, ...)
 * with its parameters: the activation fused into the product.
 *
 * b_layout KINFER_MATMUL_B_PANELS: B is a [K, N] matrix stored as
 * [ceil(N / 16), K, 16], column panels 16 wide (the last one padded with
 * zeros): element (k, n) at ((n / 16) * K + k) * 16 + n % 16.  B's view
 * has that 3-d shape, N is Y's; trans_a and trans_b are 0 and B has no
 * batch axes.  The loader stores constant weights so, because the GEMM
 * kernels then read each panel as one sequential stream.
 */
#define KINFER_MATMUL_B_ROWS	0U	/* B as its shape says */
#define KINFER_MATMUL_B_PANELS	1U
#define KINFER_MATMUL_PANEL	16U	/* columns per panel */

struct kinfer_attr_matmul {
	__u32 trans_a;		/* 0 or 1 */
	__u32 trans_b;		/* 0 or 1 */
	union kinfer_f32 alpha;
	union kinfer_f32 beta;
	__u32 act;		/* 0 or a unary-class enum kinfer_op */
	struct kinfer_attr_alpha_beta act_attr;	/* its parameters */
	__u32 b_layout;		/* KINFER_MATMUL_B_* */
};

#define KINFER_ATTR_BYTES_matmul ((__u16)sizeof(struct kinfer_attr_matmul))

/*
 * copy: an N-d strided copy between two tensors of one dtype (any).  For
 * every index (i_0, ..., i_{rank-1}) with i_k < dims[k], in elements of
 * the tensors taken as flat arrays:
 *
 *	out[out_start + sum_k i_k * out_stride[k]] =
 *		in[in_start + sum_k i_k * in_stride[k]]
 *
 * Only the tensors' element counts matter, not their shapes: every
 * element the copy reaches lies inside its tensor, and the elements it
 * writes do not overlap those it reads.  rank <= KINFER_MAX_RANK; 0
 * copies one element.  dims[k] >= 1 below rank; dims and strides are 0
 * from rank on.  Several copies may fill parts of one output (Concat).
 */
struct kinfer_attr_copy {
	__u32 rank;
	__u32 reserved;		/* 0 */
	__u32 dims[KINFER_MAX_RANK];
	__s64 in_stride[KINFER_MAX_RANK];
	__s64 out_stride[KINFER_MAX_RANK];
	__u64 in_start;
	__u64 out_start;
};

#define KINFER_ATTR_BYTES_copy	((__u16)sizeof(struct kinfer_attr_copy))

/* How pad fills the elements outside its input. */
enum kinfer_pad_mode {
	KINFER_PAD_CONSTANT	= 0,	/* value */
	KINFER_PAD_EDGE		= 1,	/* the nearest edge element */
	KINFER_PAD_REFLECT	= 2,	/* mirrored on the edge elements */
	KINFER_PAD_WRAP		= 3,	/* periodic */
	KINFER_PAD_MODES
};

/*
 * pad: y has x's dtype and rank; along axis k, y element j comes from x
 * element j - begin[k] when that lies in x, else as mode says.  A
 * negative begin[k] crops; the padding after x is implied by y's dims
 * (and may be negative, cropping too).  |begin[k]| <= 2^32 - 1, 0 from
 * the rank on.  value: CONSTANT's fill element, its bytes in the low
 * bytes (little-endian) and the rest 0; 0 for the other modes, and 0 when
 * the node's optional second input (one element of x's dtype) holds the
 * constant instead.
 */
struct kinfer_attr_pad {
	__u32 mode;		/* enum kinfer_pad_mode */
	__u32 reserved;		/* 0 */
	__s64 begin[KINFER_MAX_RANK];
	__u64 value;
};

#define KINFER_ATTR_BYTES_pad	((__u16)sizeof(struct kinfer_attr_pad))

/*
 * reduce: y[...] = the reduction of x over the axes whose bit is set in
 * axes (bit k: axis k, k < rank).  y has x's rank with those dimensions
 * 1 (ONNX keepdims; without keepdims the loader views the same bytes
 * without them).  axes == 0 reduces every element on its own.
 */
struct kinfer_attr_reduce {
	__u32 axes;
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_reduce ((__u16)sizeof(struct kinfer_attr_reduce))

/*
 * arg: ArgMax, ArgMin along one axis of x; y is int64 with x's rank and
 * dimension 1 at axis.  Ties go to the first index, with select_last to
 * the last.
 */
struct kinfer_attr_arg {
	__u32 axis;		/* < rank */
	__u32 select_last;	/* 0 or 1 */
};

#define KINFER_ATTR_BYTES_arg	((__u16)sizeof(struct kinfer_attr_arg))

/*
 * norm: x normalised over the axes whose bit is set in axes (a group of
 * elements per index of the other axes), then scaled and shifted by the
 * optional scale and bias, which broadcast onto x (numpy, one way).
 * epsilon >= 0 and finite is added to the variance (or mean square).
 */
struct kinfer_attr_norm {
	__u32 axes;
	union kinfer_f32 epsilon;
};

#define KINFER_ATTR_BYTES_norm	((__u16)sizeof(struct kinfer_attr_norm))

/* epsilon: a non-negative finite binary32 added to a variance. */
struct kinfer_attr_epsilon {
	union kinfer_f32 epsilon;
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_epsilon \
	((__u16)sizeof(struct kinfer_attr_epsilon))

/* struct kinfer_attr_rnn.direction */
enum kinfer_rnn_direction {
	KINFER_RNN_FORWARD		= 0,
	KINFER_RNN_REVERSE		= 1,
	KINFER_RNN_BIDIRECTIONAL	= 2,	/* forward, then reverse */
};

/* struct kinfer_attr_rnn.flags */
#define KINFER_RNN_CLIP			(1U << 0)	/* clip is set */
#define KINFER_RNN_INPUT_FORGET		(1U << 1)	/* LSTM: f = 1 - i */
#define KINFER_RNN_LINEAR_BEFORE_RESET	(1U << 2)	/* GRU */

/* Activation functions per direction: LSTM f, g, h; GRU f, g; RNN f. */
#define KINFER_RNN_ACTS		3U

/* One activation function of a recurrent op. */
struct kinfer_rnn_act {
	__u32 op;		/* a unary-class enum kinfer_op */
	struct kinfer_attr_alpha_beta attr;	/* its parameters */
};

/*
 * LSTM, GRU and RNN (the ONNX operators, gate orders iofc and zrh).
 * H = hidden_size, G = 4, 3 or 1 gates, D = 1 or 2 directions, T steps,
 * B batch rows, I input features; layout 0 lists T before B, layout 1 B
 * before T.  Tensors, in this order:
 *
 *	in 0	X	[T, B, I] (layout 1: [B, T, I])
 *	in 1	W	[D, G*H, I]
 *	in 2	R	[D, G*H, H]
 *	in 3	B	[D, 2*G*H] or omitted (zero)
 *	in 4	seq	int32 [B] or omitted (all T); 0 <= seq[b] <= T
 *	in 5	h0	[D, B, H] (layout 1: [B, D, H]) or omitted (zero)
 *	in 6	c0	LSTM only, as h0
 *	in 7	P	LSTM only, [D, 3*H] (peepholes iof) or omitted
 *	out 0	Y	[T, D, B, H] (layout 1: [B, T, D, H]) or omitted
 *	out 1	Y_h	as h0; also the running hidden state
 *	out 2	Y_c	LSTM only, as h0; also the running cell state
 *	last	work	[D, B, 4*H] (RNN: [D, B, H]): the gates of a step
 *
 * act[d][k] is the k-th function of direction d; unused ones are all 0,
 * as is clip without KINFER_RNN_CLIP (else it is > 0, not NaN).
 */
struct kinfer_attr_rnn {
	__u32 hidden_size;
	__u32 direction;	/* enum kinfer_rnn_direction */
	__u32 layout;		/* 0 or 1 */
	__u32 flags;		/* KINFER_RNN_* */
	union kinfer_f32 clip;	/* gate inputs are clipped to [-clip, clip] */
	__u32 reserved;		/* 0 */
	struct kinfer_rnn_act act[2][KINFER_RNN_ACTS];
};

#define KINFER_ATTR_BYTES_rnn	((__u16)sizeof(struct kinfer_attr_rnn))

/*
 * conv, conv_transpose: a convolution over the last n_spatial axes
 * (1 <= n_spatial <= KINFER_MAX_SPATIAL) of X [N, C, in...].  Arrays are
 * indexed by spatial axis; entries from n_spatial on are 0.  strides and
 * dilations are >= 1; pads_begin/pads_end are the zeros added before and
 * after each axis.  With eff = (k - 1) * dilation + 1 (k: W's dim):
 *
 *	conv		W [M, C / group, k...], out = (in + pads_begin +
 *			pads_end - eff) / stride + 1 (rounded down)
 *	conv_transpose	W [C, M / group, k...], out = stride * (in - 1) +
 *			output_padding + eff - pads_begin - pads_end
 *
 * B [M] is an optional bias; Y [N, M, out...].  group divides C and M.
 * The padding is never read: the products of taps outside X are left
 * out of the sum (so an infinite weight there adds no NaN).  act is 0 or
 * a unary op applied to Y (a fused activation), act_attr its parameters,
 * as in struct kinfer_attr_matmul.
 */
struct kinfer_attr_conv {
	__u32 n_spatial;
	__u32 group;
	__u32 strides[KINFER_MAX_SPATIAL];
	__u32 dilations[KINFER_MAX_SPATIAL];
	__u32 pads_begin[KINFER_MAX_SPATIAL];
	__u32 pads_end[KINFER_MAX_SPATIAL];
	__u32 output_padding[KINFER_MAX_SPATIAL];	/* conv: 0 */
	__u32 act;		/* 0 or a unary-class enum kinfer_op */
	struct kinfer_attr_alpha_beta act_attr;	/* its parameters */
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_conv	((__u16)sizeof(struct kinfer_attr_conv))

/* Largest p of lppool. */
#define KINFER_LPPOOL_MAX_P	16U

/*
 * maxpool, averagepool, lppool: a window of kernel[i] taps, dilations[i]
 * apart, slides by strides[i] over each of the last n_spatial axes of
 * X [N, C, in...]; Y [N, C, out...].  Fields as in struct kinfer_attr_conv;
 * with eff = (kernel - 1) * dilation + 1 and
 * span = in + pads_begin + pads_end - eff >= 0:
 *
 *	ceil_mode 0	out = span / stride + 1, rounded down
 *	ceil_mode 1	out = span / stride + 1, rounded up, minus 1 when the
 *			last window would start in the end padding
 *			((out - 1) * stride >= in + pads_begin)
 *
 * Padding is never read: taps outside the input are skipped.  maxpool
 * takes the largest tap (NaN if any is NaN; -inf for a window without a
 * tap in the input) and may have a second output, Indices (int64, Y's
 * shape): the first largest tap's index in X as a flat array, its spatial
 * axes in row-major (storage_order 0) or column-major (1) order; -1 for a
 * window without a tap in the input.
 * averagepool divides the sum of the taps by their number, counting the
 * taps in the padding too with count_include_pad (but never those past
 * the end padding that ceil_mode adds).  lppool: (sum |x|^p)^(1/p),
 * 1 <= p <= KINFER_LPPOOL_MAX_P.  Fields an op does not use are 0.
 */
struct kinfer_attr_pool {
	__u32 n_spatial;
	__u32 kernel[KINFER_MAX_SPATIAL];
	__u32 strides[KINFER_MAX_SPATIAL];
	__u32 dilations[KINFER_MAX_SPATIAL];
	__u32 pads_begin[KINFER_MAX_SPATIAL];
	__u32 pads_end[KINFER_MAX_SPATIAL];
	__u32 ceil_mode;	/* 0 or 1 */
	__u32 count_include_pad;	/* averagepool: 0 or 1 */
	__u32 p;		/* lppool */
	__u32 storage_order;	/* maxpool with Indices: 0 or 1 */
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_pool	((__u16)sizeof(struct kinfer_attr_pool))

/*
 * int8 ops (ids 130..149) follow TensorFlow Lite's quantised semantics, so
 * a .tflite model gives the interpreter's answers.  A real value is
 * scale * (q - zero_point); every op's scales are folded by the loader
 * into the integer parameters below, and no int8 op needs an FPU section
 * (QUANTIZE and DEQUANTIZE excepted).  Shapes are NHWC, as in TFLite.
 *
 * A real multiplier M > 0 is stored as TFLite stores it:
 * M = multiplier * 2^(shift - 31), with 2^30 <= multiplier < 2^31 (or
 * multiplier 0 for M = 0) and -31 <= shift <= 30.  x * M is computed as
 * TFLite's reference MultiplyByQuantizedMultiplier: with l = max(shift, 0)
 * and r = max(-shift, 0), x * 2^l (saturated to int32) times multiplier,
 * the 64-bit product's high 32 bits doubled and rounded to nearest (ties
 * toward +inf; INT32_MIN * INT32_MIN saturates), then divided by 2^r
 * rounding half away from zero.  QFULLY_CONNECTED alone rounds once, as
 * TFLite's fully connected kernel does: the exact product plus
 * 2^(30 - shift), shifted right arithmetically by 31 - shift, saturated.
 */
struct kinfer_qmul {
	__s32 multiplier;
	__s32 shift;
};

/*
 * QFULLY_CONNECTED: Y[m, n] = act(requant(bias[n] + sum_k (X[m, k] +
 * input_offset) * (W[n, k] + filter_offset), n) + output_offset).
 *
 *	in 0	X	int8 [M, K]
 *	in 1	W	int8 [N, K]
 *	in 2	bias	int32 [N] or omitted
 *	in 3	mult	int32 [N] or [1]: multiplier per output channel
 *	in 4	shift	int32 [N] or [1]: shift per output channel, as mult
 *	out 0	Y	int8 [M, N]
 *
 * requant(x, n) is x * M_n (struct kinfer_qmul semantics) with
 * (mult[n], shift[n]) (or element 0 of a [1] tensor); an out-of-range
 * multiplier or shift fails the node at eval with -EINVAL.  act clamps to
 * [act_min, act_max], -128 <= act_min <= act_max <= 127 (a fused ReLU
 * or ReLU6 is a narrower range).  |input_offset|, |filter_offset| <= 255,
 * -128 <= output_offset <= 127.
 */
struct kinfer_attr_qmatmul {
	__s32 input_offset;	/* -(X's zero point) */
	__s32 filter_offset;	/* -(W's zero point): 0 for TFLite int8 */
	__s32 output_offset;	/* Y's zero point */
	__s32 act_min;
	__s32 act_max;
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_qmatmul \
	((__u16)sizeof(struct kinfer_attr_qmatmul))

/*
 * QCONV, QDEPTHWISE_CONV: 2-D convolution of X int8 [N, H, W, C], NHWC,
 * with TFLite's CONV_2D and DEPTHWISE_CONV_2D semantics.
 *
 *	QCONV		W int8 [M, KH, KW, C] (OHWI), depth_multiplier 0
 *	QDEPTHWISE_CONV	W int8 [1, KH, KW, M], M = C * depth_multiplier;
 *			output channel c * depth_multiplier + j reads input
 *			channel c
 *	in 2	bias	int32 [M] or omitted
 *	in 3	mult	int32 [M] or [1] (as QFULLY_CONNECTED)
 *	in 4	shift	int32 [M] or [1]
 *	out 0	Y	int8 [N, OH, OW, M]
 *
 * Output row y reads input rows y * stride_h - pad_top + ky * dilation_h
 * (ky < KH); taps outside X are left out of the sum (TFLite's zero-point
 * padding).  Every window starts before X ends: (OH - 1) * stride_h <=
 * H - 1 + pad_top and pad_top < (KH - 1) * dilation_h + 1, and likewise
 * for columns.  Strides and dilations >= 1.  Offsets and act as in
 * struct kinfer_attr_qmatmul (filter_offset is 0 here).
 */
struct kinfer_attr_qconv {
	__u32 stride_h;
	__u32 stride_w;
	__u32 dilation_h;
	__u32 dilation_w;
	__u32 pad_top;
	__u32 pad_left;
	__u32 depth_multiplier;	/* QDEPTHWISE_CONV >= 1; QCONV 0 */
	__s32 input_offset;
	__s32 output_offset;
	__s32 act_min;
	__s32 act_max;
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_qconv	((__u16)sizeof(struct kinfer_attr_qconv))

/*
 * QADD, QMUL: Y = A (op) B with numpy broadcasting, int8, TFLite's ADD and
 * MUL.  With a = A + input1_offset and b = B + input2_offset:
 *
 *	QADD	y = requant(requant(a * 2^left_shift, input1) +
 *			    requant(b * 2^left_shift, input2), output)
 *	QMUL	y = requant(a * b, output)
 *
 * then y + output_offset clamped to [act_min, act_max].  QADD's
 * left_shift is 0..20 (TFLite uses 20 for int8); QMUL's is 0, and its
 * input1 and input2 are all 0.
 */
struct kinfer_attr_qbinary {
	__s32 input1_offset;
	__s32 input2_offset;
	__s32 output_offset;
	__s32 left_shift;
	struct kinfer_qmul input1;
	struct kinfer_qmul input2;
	struct kinfer_qmul output;
	__s32 act_min;
	__s32 act_max;
};

#define KINFER_ATTR_BYTES_qbinary \
	((__u16)sizeof(struct kinfer_attr_qbinary))

/*
 * QMAXPOOL, QAVERAGEPOOL: X int8 [N, H, W, C] -> Y [N, OH, OW, C], one
 * quantisation for both (TFLite requires it).  Windows are filter_h x
 * filter_w, placed as QCONV's (dilation 1); only taps inside X count.
 * QAVERAGEPOOL rounds the sum over the count of those taps half away
 * from zero, as TFLite's reference kernel.  Result clamped to
 * [act_min, act_max].
 */
struct kinfer_attr_qpool {
	__u32 filter_h;
	__u32 filter_w;
	__u32 stride_h;
	__u32 stride_w;
	__u32 pad_top;
	__u32 pad_left;
	__s32 act_min;
	__s32 act_max;
};

#define KINFER_ATTR_BYTES_qpool	((__u16)sizeof(struct kinfer_attr_qpool))

/*
 * QSOFTMAX: softmax over the last axis of X int8, as TFLite's reference
 * kernel computes it in fixed point: a diff (x - row max) >= diff_min is
 * scaled by input (a multiplier > 1: shift >= 0) into Q5.26 and
 * exponentiated, the exps are summed in Q12.19, and each output is
 * exp / sum in units of 1/256 plus output_offset (-128), clamped to int8.
 * Diffs below diff_min give -128.  Y int8, X's shape.  Where TFLite's
 * kernel is undefined (the exps sum to 512 or more: it aborts, or to 2^12:
 * its int32 sum overflows), the sum saturates and the row is all -128,
 * what its quotients round to.  The loader computes input and diff_min
 * with softmax_params() (loader/src/quant/qparams.h).
 */
struct kinfer_attr_qsoftmax {
	struct kinfer_qmul input;
	__s32 diff_min;		/* <= 0 */
	__s32 output_offset;	/* -128 */
};

#define KINFER_ATTR_BYTES_qsoftmax \
	((__u16)sizeof(struct kinfer_attr_qsoftmax))

/*
 * QLUT: Y[i] = table[X[i] + 128], int8 to int8, any shape (Y has X's).
 * The loader fills the table: LOGISTIC, TANH, and QUANTIZE between two
 * int8 quantisations are each a table of the 256 possible inputs.
 */
struct kinfer_attr_qlut {
	__s8 table[256];
};

#define KINFER_ATTR_BYTES_qlut	((__u16)sizeof(struct kinfer_attr_qlut))

/*
 * QUANTIZE: float32 X -> int8 Y = clamp(round(X / scale) + zero_point),
 * rounding half away from zero (TFLite's std::round of the float
 * quotient); NaN gives zero_point, and quotients beyond the int32 range
 * (+-Inf included) saturate, where TFLite's cast is undefined.  DEQUANTIZE:
 * int8 X -> float32 Y = scale * (X - zero_point).  scale is positive,
 * finite and normal; -128 <= zero_point <= 127.  Y has X's shape.
 */
struct kinfer_attr_qconvert {
	union kinfer_f32 scale;
	__s32 zero_point;
};

#define KINFER_ATTR_BYTES_qconvert \
	((__u16)sizeof(struct kinfer_attr_qconvert))

/*
 * QMEAN: the mean of X int8 over the axes whose bit is set in axes, Y int8
 * with X's rank and those dimensions 1 (as struct kinfer_attr_reduce):
 * y = clamp(requant(sum (x + input_offset), output) + output_offset),
 * TFLite's reference QuantizedMeanOrSum.  output folds in_scale /
 * (out_scale * count) as TFLite folds it: in_scale / out_scale quantised,
 * then (multiplier << s) / count in integers with s = floor(log2(count))
 * (at most 32 and 31 + shift), shift - s (mean_multiplier() in
 * loader/src/quant/qparams.h); so multiplier may be below 2^30 here:
 * 0 <= multiplier < 2^31, -31 <= shift <= 30.  The sum is exact and
 * saturates to int32 (TFLite's wraps past 2^23 elements).  -127 <=
 * input_offset <= 128, -128 <= output_offset <= 127.  axes 0 requantises
 * each element (TFLite copies it: the loader emits no QMEAN there).
 */
struct kinfer_attr_qmean {
	__u32 axes;
	__s32 input_offset;
	__s32 output_offset;
	__u32 reserved;		/* 0 */
	struct kinfer_qmul output;
};

#define KINFER_ATTR_BYTES_qmean	((__u16)sizeof(struct kinfer_attr_qmean))

/*
 * MATMUL_I8: a float MatMul whose constant B the loader quantised to int8
 * (per output column), X quantised by a QUANTIZE node before it:
 *
 *	Y[r, n] = act(fl(fl(float(acc[r, n]) * scale[n]) + bias[n]))
 *	acc[r, n] = sum_{k < K} (X[r, k] + 128) * W(k, n) - 128 * wsum[n]
 *
 *	in 0	X	int8 [..., K], rank 1..4; rows r = numel / K
 *	in 1	W	int8 [ceil(N / 16), ceil(K / 4), 64]: W(k, n) at
 *			[n / 16][k / 4][(n % 16) * 4 + k % 4], column panels
 *			of 16, groups of 4 k (one 64-byte VNNI vector each)
 *	in 2	scale	float32 [N] (the loader folds x_scale * w_scale[n])
 *	in 3	wsum	int32 [N]: sum_k W(k, n), which undoes the + 128
 *	in 4	bias	float32 [N], or omitted (0)
 *	out 0	Y	float32 [..., N], X's leading dims
 *
 * Padding bytes of W (n >= N or k >= K) never reach the result: past K,
 * X + 128 is taken as 0.  acc is computed exactly in 32-bit integers,
 * modulo 2^32: with the loader's wsum it is the exact sum of X * W, which
 * 1 <= K <= 65535 keeps within int32.  The product and the sum are
 * rounded separately (no fused multiply-add) and float(acc) to nearest,
 * so every instruction-set variant gives the same bits.  act is 0 or
 * KINFER_OP_RELU: y < 0 becomes 0 after the bias (NaN and -0.0 pass).
 */
struct kinfer_attr_matmul_i8 {
	__u32 act;		/* 0 or KINFER_OP_RELU */
	__u32 reserved;		/* 0 */
};

#define KINFER_ATTR_BYTES_matmul_i8 \
	((__u16)sizeof(struct kinfer_attr_matmul_i8))
#define KINFER_MATMUL_I8_PANEL	16U	/* W: columns per panel */
#define KINFER_MATMUL_I8_GROUP	4U	/* W: k per 4-byte group */
#define KINFER_MATMUL_I8_MAX_K	65535U

/* The op enum, generated from KINFER_OP_LIST (kinfer_ops.h). */
/*
 * A tokenizer vocabulary: the value of the weight map a TOKENIZE node binds
 * (kmod/text/, docs/nlp.md).  The loader builds it from vocab.txt or
 * tokenizer.json; the kernel checks the header at every node and every
 * slot and key it touches, so a corrupt value fails the node, nothing more.
 *
 *	struct kinfer_vocab			160 bytes
 *	struct kinfer_vocab_slot[n_slots]	open addressing, linear probing
 *	u8 pool[pool_bytes]			the tokens' UTF-8 bytes
 *
 * A token is found by its 32-bit FNV-1a hash (of the bytes, with the
 * "##" of a continuation piece) seeded with hash_seed: slot (hash &
 * (n_slots - 1)) and the max_probe - 1 slots after it, wrapping.  An
 * empty slot has key_len 0.
 *
 * Added tokens ([CLS], [MASK], ...; tokenizer.json's "added_tokens") are
 * matched in the raw text before any normalisation, as HF does, and
 * become their id wherever they appear.
 */
#define KINFER_VOCAB_MAGIC	0x434f564bU	/* "KVOC" */
#define KINFER_VOCAB_VERSION	1U
#define KINFER_VOCAB_MAX_SLOTS	(1U << 22)
#define KINFER_VOCAB_MAX_PROBE	64U
#define KINFER_VOCAB_MAX_KEY	64U	/* bytes of a token, with "##" */
#define KINFER_VOCAB_MAX_WORD	128U	/* max_word_chars bound */
#define KINFER_VOCAB_MAX_ADDED	8U
#define KINFER_VOCAB_MAX_ADDED_KEY 16U

/* Normalisation steps (HF BertNormalizer's options). */
#define KINFER_VOCAB_CLEAN_TEXT		(1U << 0)
#define KINFER_VOCAB_CHINESE_CHARS	(1U << 1)
#define KINFER_VOCAB_STRIP_ACCENTS	(1U << 2)
#define KINFER_VOCAB_LOWERCASE		(1U << 3)
#define KINFER_VOCAB_FLAGS		0xfU

struct kinfer_vocab_added {
	__u32 key_off;		/* in the pool */
	__u16 key_len;		/* 1 .. KINFER_VOCAB_MAX_ADDED_KEY */
	__u16 reserved;		/* 0 */
	__s32 id;
};

struct kinfer_vocab {
	__u32 magic;		/* KINFER_VOCAB_MAGIC */
	__u32 version;		/* KINFER_VOCAB_VERSION */
	__u32 flags;		/* KINFER_VOCAB_* normalisation steps */
	__u32 n_tokens;		/* ids are 0 .. n_tokens - 1 */
	__u32 n_slots;		/* a power of two, <= KINFER_VOCAB_MAX_SLOTS */
	__u32 max_probe;	/* 1 .. KINFER_VOCAB_MAX_PROBE */
	__u32 max_key;		/* longest token in bytes, <= KINFER_VOCAB_MAX_KEY */
	__u32 pool_bytes;
	__u32 hash_seed;
	__u32 max_word_chars;	/* longer words are [UNK]; <= KINFER_VOCAB_MAX_WORD */
	__s32 unk_id;
	__s32 cls_id;
	__s32 sep_id;
	__s32 pad_id;
	__u32 n_added;		/* <= KINFER_VOCAB_MAX_ADDED */
	__u32 reserved;		/* 0 */
	struct kinfer_vocab_added added[KINFER_VOCAB_MAX_ADDED];
};

struct kinfer_vocab_slot {
	__u32 hash;
	__u32 key_off;		/* in the pool */
	__u16 key_len;		/* 0: empty */
	__u16 reserved;		/* 0 */
	__s32 id;
};

enum kinfer_op {
	KINFER_OP_INVALID = 0,
#define KINFER_OP_ENUM(NAME, id, name, cls, attr, cost) KINFER_OP_##NAME = id,
	KINFER_OP_LIST(KINFER_OP_ENUM)
#undef KINFER_OP_ENUM
};

#endif /* _UAPI_KINFER_H */
