// SPDX-License-Identifier: GPL-2.0
/*
 * kinfer kfunc selftest runner, plan ABI 2 (run as root, kinfer.ko loaded).
 *
 * Registers a model through sysfs, loads bpf/selftests/kfunc_bounds.bpf.c
 * and runs its syscall programs with BPF_PROG_TEST_RUN over good and bad
 * plans, built here byte by byte: every bad plan, node or buffer must be
 * refused with the documented result and never crash or warn; the good
 * plans must compute the numbers computed here in double precision.
 * Prints "ok N name" / "not ok N name" and "N passed, N failed"; exits 1
 * when anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "kinfer.h"
#include "kfunc_bounds.h"
#include "kfunc_bounds.skel.h"

#define SYSFS		"/sys/kernel/kinfer"
#define PARAMS		"/sys/module/kinfer/parameters"
#define MODEL		"kfs_selftest"
/* Enough for the section-limit cases (two 1 MiB operands in the arena). */
#define MODEL_ARENA	(4U << 20)
/* Work declared by plans that do not test the budget: < budget_atomic. */
#define KFS_WORK	(1ULL << 21)
/*
 * KINFER_FPU_CHUNK of kmod/ops/exec.h (not uapi): the most work one
 * compute section may hold.  The MATMUL and SOFTMAX limit cases below
 * check both sides of it, so a change there shows up here.
 */
#define KFS_FPU_CHUNK	(256U * 1024U)

#define ARENA		KINFER_BUF_ARENA
#define BIND(i)		(KINFER_BUF_BIND0 + (i))

static struct kfunc_bounds_bpf *skel;
static unsigned int model_id;
static int n_pass, n_fail, n_test;

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const char *errname(int err)
{
	static char buf[16];

	switch (err) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -EPROTO:
		return "-EPROTO";
	case -ENOENT:
		return "-ENOENT";
	case -E2BIG:
		return "-E2BIG";
	case -EBUSY:
		return "-EBUSY";
	case -ECANCELED:
		return "-ECANCELED";
	case -EOPNOTSUPP:
		return "-EOPNOTSUPP";
	default:
		snprintf(buf, sizeof(buf), "%d", err);
		return buf;
	}
}

/* ---- sysfs ---------------------------------------------------------- */

/* Write a string to a sysfs file; return 0 or -errno of the write. */
static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Read the first line of a sysfs file into @buf; return 0 or -errno. */
static int sysfs_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static long long sysfs_read_ll(const char *fmt, const char *name)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), fmt, name);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

static long long model_stat(const char *stat)
{
	return sysfs_read_ll(SYSFS "/models/" MODEL "/%s", stat);
}

static long long kinfer_stat(const char *stat)
{
	return sysfs_read_ll(SYSFS "/stats/%s", stat);
}

static unsigned long long param_read(const char *param)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), PARAMS "/%s", param);
	if (sysfs_read(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

static int param_write(const char *param, unsigned long long v)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), PARAMS "/%s", param);
	snprintf(buf, sizeof(buf), "%llu\n", v);
	return sysfs_write(path, buf);
}

/* ---- plans ---------------------------------------------------------- */

static __u8 plan_mem[KFS_PLAN_BYTES] __attribute__((aligned(8)));
static struct kinfer_plan *const hdr = (struct kinfer_plan *)plan_mem;

_Static_assert(sizeof(struct kinfer_node) == 16, "node header size");
_Static_assert(sizeof(struct kinfer_tensor) == 48, "tensor size");

/* The op registry, as the runner needs it. */
struct kfs_op {
	__u16 attr_bytes;
	__u16 cost;
};

#define KFS_OP_ROW(NAME_, id_, name_, cls_, attr_, cost_)		\
	[id_] = { .attr_bytes = KINFER_ATTR_BYTES_##attr_, .cost = cost_ },

static const struct kfs_op kfs_ops[KINFER_OP_LIMIT] = {
	KINFER_OP_LIST(KFS_OP_ROW)
};

#undef KFS_OP_ROW

static __u16 op_attr_bytes(__u32 op)
{
	return op < KINFER_OP_LIMIT ? kfs_ops[op].attr_bytes : 0;
}

static __u32 op_cost(__u32 op)
{
	return op < KINFER_OP_LIMIT ? kfs_ops[op].cost : 0;
}

static void plan_init(__u32 arena_bytes)
{
	memset(plan_mem, 0, sizeof(plan_mem));
	hdr->magic = KINFER_PLAN_MAGIC;
	hdr->abi_version = KINFER_ABI_VERSION;
	hdr->model_id = model_id;
	hdr->arena_bytes = arena_bytes;
	hdr->io_bytes = KFS_IO_BYTES;
	hdr->work = KFS_WORK;
}

static struct kinfer_tensor tensor_va(__u8 dtype, __u8 buf, __u32 off,
				      __u32 rank, va_list ap)
{
	struct kinfer_tensor t;
	__u32 i;

	memset(&t, 0, sizeof(t));
	t.off = off;
	t.buf = buf;
	t.dtype = dtype;
	t.rank = (__u8)rank;
	for (i = 0; i < rank && i < KINFER_MAX_RANK; i++)
		t.dims[i] = va_arg(ap, __u32);
	return t;
}

/* A float32 tensor: buffer, byte offset, rank, then rank dims. */
static struct kinfer_tensor f32(__u8 buf, __u32 off, __u32 rank, ...)
{
	struct kinfer_tensor t;
	va_list ap;

	va_start(ap, rank);
	t = tensor_va(KINFER_DTYPE_FLOAT32, buf, off, rank, ap);
	va_end(ap);
	return t;
}

/* The same with another dtype. */
static struct kinfer_tensor typed(__u8 dtype, __u8 buf, __u32 off,
				  __u32 rank, ...)
{
	struct kinfer_tensor t;
	va_list ap;

	va_start(ap, rank);
	t = tensor_va(dtype, buf, off, rank, ap);
	va_end(ap);
	return t;
}

/*
 * Append a node: @n_in + @n_out tensors, then the op's attribute block
 * (@attr, or zeros).  Returns the node in the plan, for cases to break.
 */
static struct kinfer_node *node_add(__u16 op, __u8 n_in, __u8 n_out,
				    const struct kinfer_tensor *t,
				    const void *attr)
{
	__u16 attr_bytes = op_attr_bytes(op);
	__u32 nt = (__u32)n_in + n_out;
	__u32 size = sizeof(struct kinfer_node) +
		     nt * sizeof(struct kinfer_tensor) + attr_bytes;
	struct kinfer_node *n;

	if (sizeof(*hdr) + hdr->nodes_bytes + size > sizeof(plan_mem)) {
		printf("Bail out! plan buffer too small\n");
		exit(1);
	}
	n = (struct kinfer_node *)(plan_mem + sizeof(*hdr) + hdr->nodes_bytes);
	n->op = op;
	n->n_in = n_in;
	n->n_out = n_out;
	n->size = (__u16)size;
	n->attr_bytes = attr_bytes;
	memcpy(n + 1, t, nt * sizeof(*t));
	if (attr)
		memcpy((__u8 *)(n + 1) + nt * sizeof(*t), attr, attr_bytes);
	hdr->n_nodes++;
	hdr->nodes_bytes += size;
	return n;
}

static struct kinfer_node *node1(__u16 op, struct kinfer_tensor in,
				 struct kinfer_tensor out)
{
	struct kinfer_tensor t[2] = { in, out };

	return node_add(op, 1, 1, t, NULL);
}

static struct kinfer_node *node2(__u16 op, struct kinfer_tensor a,
				 struct kinfer_tensor b, struct kinfer_tensor y)
{
	struct kinfer_tensor t[3] = { a, b, y };

	return node_add(op, 2, 1, t, NULL);
}

static struct kinfer_node *node_softmax(struct kinfer_tensor x,
					struct kinfer_tensor y, __u32 axis)
{
	struct kinfer_attr_axis attr = { .axis = axis };
	struct kinfer_tensor t[2] = { x, y };

	return node_add(KINFER_OP_SOFTMAX, 1, 1, t, &attr);
}

/* Y = A . B (+ C when @c): alpha 1, beta 1 with C, no activation. */
static struct kinfer_attr_matmul mm_attr(bool has_c)
{
	struct kinfer_attr_matmul attr;

	memset(&attr, 0, sizeof(attr));
	attr.alpha.f = 1.0f;
	attr.beta.f = has_c ? 1.0f : 0.0f;
	return attr;
}

static struct kinfer_node *node_matmul(struct kinfer_tensor a,
				       struct kinfer_tensor b,
				       const struct kinfer_tensor *c,
				       struct kinfer_tensor y,
				       const struct kinfer_attr_matmul *attr)
{
	struct kinfer_tensor t[4] = { a, b };
	struct kinfer_attr_matmul def = mm_attr(!!c);

	if (c) {
		t[2] = *c;
		t[3] = y;
	} else {
		t[2] = y;
	}
	return node_add(KINFER_OP_MATMUL, c ? 3 : 2, 1, t, attr ? attr : &def);
}

static struct kinfer_tensor *node_tensor(struct kinfer_node *n, __u32 i)
{
	return (struct kinfer_tensor *)(n + 1) + i;
}

static void *node_attr(struct kinfer_node *n)
{
	return node_tensor(n, (__u32)n->n_in + n->n_out);
}

/* Grow (or shrink) the last node by @delta bytes, header and plan alike. */
static void node_resize(struct kinfer_node *n, int delta)
{
	n->size = (__u16)(n->size + delta);
	hdr->nodes_bytes += delta;
}

/* The usual unary node: 4 floats at arena 0 -> 4 floats at arena 16. */
static struct kinfer_node *relu_node(void)
{
	return node1(KINFER_OP_RELU, f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 4));
}

/* ---- maps and runs -------------------------------------------------- */

static int map_put(struct bpf_map *map, const void *data, size_t len)
{
	static __u8 buf[KFS_PLAN_BYTES];
	__u32 zero = 0;

	if (len > sizeof(buf) || len > bpf_map__value_size(map))
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, len);
	return bpf_map__update_elem(map, &zero, sizeof(zero), buf,
				    bpf_map__value_size(map), 0);
}

static int map_get(struct bpf_map *map, void *data, size_t len)
{
	static __u8 buf[KFS_PLAN_BYTES];
	__u32 zero = 0;
	int ret;

	if (len > bpf_map__value_size(map))
		return -E2BIG;
	ret = bpf_map__lookup_elem(map, &zero, sizeof(zero), buf,
				   bpf_map__value_size(map), 0);
	memcpy(data, buf, len);
	return ret;
}

/* Whole plan map value, sleepable acquire (as the loader's programs). */
static void args_init(struct kfs_args *a)
{
	memset(a, 0, sizeof(*a));
	a->plan_sz = KFS_PLAN_BYTES;
	a->flags = KFS_F_SLEEPABLE;
}

static void add_step(struct kfs_args *a, __u32 what, __u32 sz)
{
	if (a->n_steps >= KFS_MAX_STEPS) {
		printf("Bail out! more than %d steps\n", KFS_MAX_STEPS);
		exit(1);
	}
	a->steps[a->n_steps].what = what;
	a->steps[a->n_steps].sz = sz;
	a->n_steps++;
}

static void add_bind(struct kfs_args *a, __u32 which, __u32 sz)
{
	add_step(a, which, sz);
}

static void add_call(struct kfs_args *a, __u32 op)
{
	add_step(a, op, 0);
}

static bool step_is_call(const struct kfs_step *s)
{
	return s->what < KFS_BIND_IO;
}

static int prog_run(struct bpf_program *prog, struct kfs_args *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = a,
		.ctx_size_in = sizeof(*a),
	);
	int ret;

	/* Results of an earlier run must not pass for this one's. */
	a->acquired = -1;
	a->status = -1;
	memset(a->ret, 0x7f, sizeof(a->ret));
	a->pc = ~0U;
	a->err = -1;
	if (map_put(skel->maps.plan_map, plan_mem, sizeof(plan_mem)))
		return -errno;
	ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (ret)
		return ret;
	return opts.retval;
}

static int run(struct kfs_args *a)
{
	return prog_run(skel->progs.run_plan, a);
}

static void diag_run(int ret, const struct kfs_args *a)
{
	char line[512];
	int len, i;

	len = snprintf(line, sizeof(line),
		       "prog ret %d acquired %d status %s pc %u err %s rets",
		       ret, a->acquired, errname(a->status), a->pc,
		       errname(a->err));
	for (i = 0; i < (int)a->n_steps && len < (int)sizeof(line) - 16; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s",
				errname(a->ret[i]));
	diag("%s", line);
}

/* ---- expectations --------------------------------------------------- */

/* Where a refused acquire is counted. */
static long long refusal_count(int status)
{
	switch (status) {
	case -ENOENT:
		return kinfer_stat("unknown_model");
	case -E2BIG:
		return model_stat("refused");
	case -EBUSY:
		return model_stat("busy");
	default:
		return kinfer_stat("bad_plan");
	}
}

static const char *refusal_counter(int status)
{
	switch (status) {
	case -ENOENT:
		return "stats/unknown_model";
	case -E2BIG:
		return "models/" MODEL "/refused";
	case -EBUSY:
		return "models/" MODEL "/busy";
	default:
		return "stats/bad_plan";
	}
}

/*
 * The acquire must return NULL with *status == @want, count the refusal
 * where it belongs and not count a run.
 */
static void expect_refused(const char *name, struct kfs_args *a, int want)
{
	long long count0 = refusal_count(want), calls0 = model_stat("calls");
	long long count;
	bool ok;
	int ret;

	ret = run(a);
	count = refusal_count(want);
	ok = ret == 0 && a->acquired == 0 && a->status == want &&
	     count == count0 + 1 && model_stat("calls") == calls0;
	report(ok, "acquire refuses %s -> %s (counted in %s)", name,
	       errname(want), refusal_counter(want));
	if (!ok) {
		diag_run(ret, a);
		diag("%s %lld -> %lld", refusal_counter(want), count0, count);
	}
}

/*
 * The last step added must fail with @want and every earlier one succeed;
 * a call and a bind appended here must then return -ECANCELED; ctx->err
 * must hold @want, ctx->pc the node the run stopped at, and release must
 * count the run as an error with last_error and last_error_node set.
 */
static void expect_fails(const char *name, struct kfs_args *a, int want)
{
	long long calls0 = model_stat("calls"), err0 = model_stat("errors");
	__u32 fail = a->n_steps - 1, pc = 0, i;
	bool ok;
	int ret;

	for (i = 0; i < fail; i++)
		pc += step_is_call(&a->steps[i]);
	add_call(a, KINFER_OP_OUTPUT);
	add_bind(a, KFS_BIND_IO, KFS_IO_BYTES);
	ret = run(a);
	ok = ret == 0 && a->acquired == 1 && a->status == 0 &&
	     a->ret[fail] == want && a->err == want && a->pc == pc;
	for (i = 0; i < a->n_steps; i++) {
		if (i < fail)
			ok = ok && a->ret[i] == 0;
		else if (i > fail)
			ok = ok && a->ret[i] == -ECANCELED;
	}
	ok = ok && model_stat("calls") == calls0 + 1 &&
	     model_stat("errors") == err0 + 1 &&
	     model_stat("last_error") == want &&
	     model_stat("last_error_node") == pc;
	report(ok, "%s -> %s", name, errname(want));
	if (!ok) {
		diag_run(ret, a);
		diag("calls %lld -> %lld, errors %lld -> %lld, last_error %lld node %lld",
		     calls0, model_stat("calls"), err0, model_stat("errors"),
		     model_stat("last_error"), model_stat("last_error_node"));
	}
}

/* Every step returns 0, every node runs, release counts no error. */
static void expect_ok(const char *name, struct kfs_args *a)
{
	long long calls0 = model_stat("calls"), err0 = model_stat("errors");
	bool ok;
	__u32 i;
	int ret;

	ret = run(a);
	ok = ret == 0 && a->acquired == 1 && a->status == 0 &&
	     a->pc == hdr->n_nodes && a->err == 0;
	for (i = 0; i < a->n_steps; i++)
		ok = ok && a->ret[i] == 0;
	ok = ok && model_stat("calls") == calls0 + 1 &&
	     model_stat("errors") == err0;
	report(ok, "%s", name);
	if (!ok)
		diag_run(ret, a);
}

static bool close_to(float got, double want, double tol)
{
	return fabs(got - want) <= tol * (1.0 + fabs(want));
}

static bool check_floats(const char *what, const float *got,
			 const double *want, int n, double tol)
{
	bool ok = true;
	int i;

	for (i = 0; i < n; i++)
		if (!close_to(got[i], want[i], tol)) {
			diag("%s[%d] = %.9g, want %.9g", what, i, got[i],
			     want[i]);
			ok = false;
		}
	return ok;
}

static const char *flavour(__u32 flags)
{
	return flags & KFS_F_SLEEPABLE ? "sleepable" : "atomic";
}

/* ---- good plans ----------------------------------------------------- */

/*
 * INPUT (io) -> MATMUL (A arena, B bound weight, C bound bias, fused
 * RELU) -> OUTPUT (io), acquired atomic or sleepable.
 */
static void case_good_matmul(__u32 flags)
{
	const float x[2][3] = { { 1.0f, -2.0f, 0.5f }, { 0.25f, 4.0f, -1.0f } };
	float w[3][4], b[4], y[2][4];
	struct kinfer_attr_matmul attr = mm_attr(true);
	struct kinfer_tensor c = f32(BIND(1), 0, 1, 4);
	double ref[2][4];
	struct kfs_args a;
	char name[96];
	int i, j, k;

	for (k = 0; k < 3; k++)
		for (j = 0; j < 4; j++)
			w[k][j] = 0.1f * (float)(k * 4 + j) - 0.5f;
	for (j = 0; j < 4; j++)
		b[j] = 0.05f * (float)j - 0.1f;
	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.w_map, w, sizeof(w));
	map_put(skel->maps.b_map, b, sizeof(b));

	attr.act = KINFER_OP_RELU;
	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 2, 2, 3), f32(ARENA, 0, 2, 2, 3));
	node_matmul(f32(ARENA, 0, 2, 2, 3), f32(BIND(0), 0, 2, 3, 4), &c,
		    f32(ARENA, 64, 2, 2, 4), &attr);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 64, 2, 2, 4),
	      f32(BIND(0), 128, 2, 2, 4));

	args_init(&a);
	a.flags = flags;
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_W, sizeof(w));
	add_bind(&a, KFS_BIND_B, sizeof(b));
	add_call(&a, KINFER_OP_MATMUL);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	snprintf(name, sizeof(name),
		 "good plan (%s): input, matmul+bias+relu, output return 0",
		 flavour(flags));
	expect_ok(name, &a);

	{
		char io[KFS_IO_BYTES];

		map_get(skel->maps.io_map, io, sizeof(io));
		memcpy(y, io + 128, sizeof(y));
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			ref[i][j] = b[j];
			for (k = 0; k < 3; k++)
				ref[i][j] += (double)x[i][k] * w[k][j];
			ref[i][j] = ref[i][j] < 0 ? 0 : ref[i][j];
		}
	report(check_floats("y", &y[0][0], &ref[0][0], 8, 1e-6),
	       "good plan (%s): matmul+bias+relu output matches reference",
	       flavour(flags));
}

/*
 * Gemm-shaped MATMUL: batched A [2,2,3], B transposed [4,3] broadcast
 * over the batch, C [2,1] broadcast along columns, alpha 0.5, beta 2,
 * fused TANH.
 */
static void case_good_gemm(void)
{
	float x[2][2][3], wt[4][3], cm[2], y[2][2][4];
	struct kinfer_attr_matmul attr = mm_attr(true);
	struct kinfer_tensor c = f32(BIND(1), 0, 2, 2, 1);
	double ref[2][2][4];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	int p, i, j, k;

	for (p = 0; p < 2; p++)
		for (i = 0; i < 2; i++)
			for (k = 0; k < 3; k++)
				x[p][i][k] = 0.3f * (float)(p * 6 + i * 3 + k) - 1.5f;
	for (j = 0; j < 4; j++)
		for (k = 0; k < 3; k++)
			wt[j][k] = 0.2f * (float)((j * 3 + k) % 5) - 0.4f;
	cm[0] = 0.25f;
	cm[1] = -0.125f;
	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.w_map, wt, sizeof(wt));
	map_put(skel->maps.b_map, cm, sizeof(cm));

	attr.trans_b = 1;
	attr.alpha.f = 0.5f;
	attr.beta.f = 2.0f;
	attr.act = KINFER_OP_TANH;
	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 3, 2, 2, 3),
	      f32(ARENA, 0, 3, 2, 2, 3));
	node_matmul(f32(ARENA, 0, 3, 2, 2, 3), f32(BIND(0), 0, 2, 4, 3), &c,
		    f32(ARENA, 64, 3, 2, 2, 4), &attr);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 64, 3, 2, 2, 4),
	      f32(BIND(0), 256, 3, 2, 2, 4));

	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_W, sizeof(wt));
	add_bind(&a, KFS_BIND_B, sizeof(cm));
	add_call(&a, KINFER_OP_MATMUL);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: batched matmul, trans_b, alpha, beta, C [2,1], tanh",
		  &a);

	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 256, sizeof(y));
	for (p = 0; p < 2; p++)
		for (i = 0; i < 2; i++)
			for (j = 0; j < 4; j++) {
				double s = 0;

				for (k = 0; k < 3; k++)
					s += (double)x[p][i][k] * wt[j][k];
				ref[p][i][j] = tanh(0.5 * s + 2.0 * cm[i]);
			}
	report(check_floats("y", &y[0][0][0], &ref[0][0][0], 16, 1e-5),
	       "good plan: gemm output matches reference");
}

/*
 * MATMUL with B [3, 20] in panels ([2, 3, 16], the last panel padded with
 * zeros), as the loader stores constant weights: columns 0-15 take the
 * vector tiles, 16-19 the tail.
 */
static void case_good_panels(void)
{
	float x[2][3], w[2][3][16], y[2][20];
	struct kinfer_attr_matmul attr = mm_attr(false);
	double ref[2][20];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	int i, j, k;

	for (i = 0; i < 2; i++)
		for (k = 0; k < 3; k++)
			x[i][k] = 0.7f * (float)(i * 3 + k) - 1.2f;
	memset(w, 0, sizeof(w));
	for (k = 0; k < 3; k++)
		for (j = 0; j < 20; j++)
			w[j / 16][k][j % 16] = 0.05f * (float)((k * 20 + j) % 13) - 0.3f;
	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.w_map, w, sizeof(w));

	attr.b_layout = KINFER_MATMUL_B_PANELS;
	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 2, 2, 3), f32(ARENA, 0, 2, 2, 3));
	node_matmul(f32(ARENA, 0, 2, 2, 3), f32(BIND(0), 0, 3, 2, 3, 16), NULL,
		    f32(ARENA, 64, 2, 2, 20), &attr);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 64, 2, 2, 20),
	      f32(BIND(0), 128, 2, 2, 20));

	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_W, sizeof(w));
	add_call(&a, KINFER_OP_MATMUL);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: matmul with B [3,20] in panels", &a);

	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 128, sizeof(y));
	for (i = 0; i < 2; i++)
		for (j = 0; j < 20; j++) {
			ref[i][j] = 0;
			for (k = 0; k < 3; k++)
				ref[i][j] += (double)x[i][k] * w[j / 16][k][j % 16];
		}
	report(check_floats("y", &y[0][0], &ref[0][0], 40, 1e-6),
	       "good plan: matmul with B in panels matches reference");
}

/*
 * MATMUL_I8: X int8 [3,10] (K % 4 = 2) times W [10,20] (N % 16 = 4) in
 * VNNI panels [2,3,64], scale, wsum and bias [20]: all from one bound
 * buffer at 0, 32, 416, 496 and 576; Y float [3,20] in the arena.
 */
#define I8_M	3
#define I8_K	10
#define I8_N	20
#define I8_W	(2 * 3 * 64)
#define I8_X_OFF	0
#define I8_W_OFF	32
#define I8_S_OFF	(I8_W_OFF + I8_W)
#define I8_WS_OFF	(I8_S_OFF + 4 * I8_N)
#define I8_B_OFF	(I8_WS_OFF + 4 * I8_N)
#define I8_BYTES	(I8_B_OFF + 4 * I8_N)

static struct kinfer_node *node_matmul_i8(struct kinfer_tensor x,
					  struct kinfer_tensor w,
					  struct kinfer_tensor scale,
					  struct kinfer_tensor wsum,
					  const struct kinfer_tensor *bias,
					  struct kinfer_tensor y,
					  const struct kinfer_attr_matmul_i8 *attr)
{
	struct kinfer_tensor t[6] = { x, w, scale, wsum };
	struct kinfer_attr_matmul_i8 def = { 0 };

	if (bias) {
		t[4] = *bias;
		t[5] = y;
	} else {
		t[4] = y;
	}
	return node_add(KINFER_OP_MATMUL_I8, bias ? 5 : 4, 1, t,
			attr ? attr : &def);
}

#define I8X	typed(KINFER_DTYPE_INT8, BIND(0), I8_X_OFF, 2, I8_M, I8_K)
#define I8WT	typed(KINFER_DTYPE_INT8, BIND(0), I8_W_OFF, 3, 2, 3, 64)
#define I8S	f32(BIND(0), I8_S_OFF, 1, I8_N)
#define I8WS	typed(KINFER_DTYPE_INT32, BIND(0), I8_WS_OFF, 1, I8_N)
#define I8Y	f32(ARENA, 0, 2, I8_M, I8_N)

static void case_good_matmul_i8(void)
{
	__u8 buf[I8_BYTES];
	int8_t *x = (int8_t *)(buf + I8_X_OFF), *wp = (int8_t *)(buf + I8_W_OFF);
	float scale[I8_N], bias[I8_N], y[I8_M][I8_N], ref[I8_M][I8_N];
	int32_t wsum[I8_N];
	int8_t w[I8_K][I8_N];
	struct kinfer_attr_matmul_i8 attr = { .act = KINFER_OP_RELU };
	struct kinfer_tensor b = f32(BIND(0), I8_B_OFF, 1, I8_N);
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	int i, j, k;

	memset(buf, 0x7f, sizeof(buf));	/* padding: never used */
	for (i = 0; i < I8_M * I8_K; i++)
		x[i] = (int8_t)(i * 37 - 128);
	for (j = 0; j < I8_N; j++) {
		wsum[j] = 0;
		for (k = 0; k < I8_K; k++) {
			w[k][j] = (int8_t)((k * 29 + j * 53) % 256 - 128);
			wp[(j / 16 * 3 + k / 4) * 64 + (j % 16) * 4 + k % 4] = w[k][j];
			wsum[j] += w[k][j];
		}
		scale[j] = 0.001f * (float)(j + 1);
		bias[j] = 0.5f * (float)(j % 5) - 1.0f;
	}
	memcpy(buf + I8_S_OFF, scale, sizeof(scale));
	memcpy(buf + I8_WS_OFF, wsum, sizeof(wsum));
	memcpy(buf + I8_B_OFF, bias, sizeof(bias));
	map_put(skel->maps.w_map, buf, sizeof(buf));

	plan_init(512);
	node_matmul_i8(I8X, I8WT, I8S, I8WS, &b, I8Y, &attr);
	node1(KINFER_OP_OUTPUT, I8Y, f32(BIND(0), 0, 2, I8_M, I8_N));
	args_init(&a);
	add_bind(&a, KFS_BIND_W, sizeof(buf));
	add_call(&a, KINFER_OP_MATMUL_I8);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: matmul_i8 X [3,10] . W [10,20] in VNNI panels, bias, relu",
		  &a);

	/*
	 * The exact sum, then float(acc) * scale and + bias each rounded to
	 * float (a double product or sum of two floats, rounded once, is
	 * the correctly rounded float result): the kernel's bits.
	 */
	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io, sizeof(y));
	for (i = 0; i < I8_M; i++)
		for (j = 0; j < I8_N; j++) {
			long long acc = 0;
			float v;

			for (k = 0; k < I8_K; k++)
				acc += (long long)x[i * I8_K + k] * w[k][j];
			v = (float)((double)(float)acc * scale[j]);
			v = (float)((double)v + bias[j]);
			ref[i][j] = v < 0.0f ? 0.0f : v;
		}
	report(!memcmp(y, ref, sizeof(y)),
	       "good plan: matmul_i8 output is the exact sum's float epilogue, bit for bit");
	for (i = 0; i < I8_M * I8_N; i++)
		if (memcmp(&y[0][i], &ref[0][i], sizeof(float))) {
			diag("y[%d] = %.9g, want %.9g", i, y[0][i], ref[0][i]);
			break;
		}
}

static void cases_matmul_i8(void)
{
	struct kinfer_attr_matmul_i8 attr = { 0 };
	struct kinfer_tensor b = f32(BIND(0), I8_B_OFF, 1, I8_N);
	struct kfs_args a;

#define I8_CASE(name, want, X, W, S, WS, B, Y, ATTR)			\
	do {								\
		plan_init(1U << 17);					\
		node_matmul_i8(X, W, S, WS, B, Y, ATTR);		\
		args_init(&a);						\
		add_bind(&a, KFS_BIND_W, I8_BYTES);			\
		add_call(&a, KINFER_OP_MATMUL_I8);			\
		expect_fails(name, &a, want);				\
	} while (0)

	plan_init(512);
	node_matmul_i8(I8X, I8WT, I8S, I8WS, NULL, I8Y, NULL);
	args_init(&a);
	add_bind(&a, KFS_BIND_W, I8_BYTES);
	add_call(&a, KINFER_OP_MATMUL_I8);
	expect_ok("matmul_i8 baseline: X [3,10], W [2,3,64], no bias", &a);

	I8_CASE("matmul_i8 W [1,3,64] (N 20 needs 2 panels)", -EINVAL, I8X,
		typed(KINFER_DTYPE_INT8, BIND(0), I8_W_OFF, 3, 1, 3, 64), I8S,
		I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 W [2,2,64] (K 10 needs 3 groups)", -EINVAL, I8X,
		typed(KINFER_DTYPE_INT8, BIND(0), I8_W_OFF, 3, 2, 2, 64), I8S,
		I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 W [2,6,32] (not 64-byte groups)", -EINVAL, I8X,
		typed(KINFER_DTYPE_INT8, BIND(0), I8_W_OFF, 3, 2, 6, 32), I8S,
		I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 W row-major [10,20]", -EINVAL, I8X,
		typed(KINFER_DTYPE_INT8, BIND(0), I8_W_OFF, 2, 10, 20), I8S,
		I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 W float32", -EINVAL, I8X,
		f32(BIND(0), 0, 3, 1, 1, 64), I8S, I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 scale [19]", -EINVAL, I8X, I8WT,
		f32(BIND(0), I8_S_OFF, 1, I8_N - 1), I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 scale int32", -EINVAL, I8X, I8WT,
		typed(KINFER_DTYPE_INT32, BIND(0), I8_S_OFF, 1, I8_N), I8WS,
		&b, I8Y, &attr);
	I8_CASE("matmul_i8 wsum float32", -EINVAL, I8X, I8WT, I8S,
		f32(BIND(0), I8_WS_OFF, 1, I8_N), &b, I8Y, &attr);
	I8_CASE("matmul_i8 wsum [1,20]", -EINVAL, I8X, I8WT, I8S,
		typed(KINFER_DTYPE_INT32, BIND(0), I8_WS_OFF, 2, 1, I8_N), &b,
		I8Y, &attr);
	b = typed(KINFER_DTYPE_INT32, BIND(0), I8_B_OFF, 1, I8_N);
	I8_CASE("matmul_i8 bias int32", -EINVAL, I8X, I8WT, I8S, I8WS, &b,
		I8Y, &attr);
	b = f32(BIND(0), I8_B_OFF, 1, 1);
	I8_CASE("matmul_i8 bias [1]", -EINVAL, I8X, I8WT, I8S, I8WS, &b, I8Y,
		&attr);
	b = f32(BIND(0), I8_B_OFF, 1, I8_N);
	I8_CASE("matmul_i8 X uint8", -EINVAL,
		typed(KINFER_DTYPE_UINT8, BIND(0), 0, 2, I8_M, I8_K), I8WT, I8S,
		I8WS, &b, I8Y, &attr);
	I8_CASE("matmul_i8 Y int32", -EINVAL, I8X, I8WT, I8S, I8WS, &b,
		typed(KINFER_DTYPE_INT32, ARENA, 0, 2, I8_M, I8_N), &attr);
	I8_CASE("matmul_i8 Y [2,20] (X has 3 rows)", -EINVAL, I8X, I8WT, I8S,
		I8WS, &b, f32(ARENA, 0, 2, 2, I8_N), &attr);
	I8_CASE("matmul_i8 X rank 5", -EINVAL,
		typed(KINFER_DTYPE_INT8, BIND(0), 0, 5, 1, 1, 1, I8_M, I8_K),
		I8WT, I8S, I8WS, &b, f32(ARENA, 0, 5, 1, 1, 1, I8_M, I8_N),
		&attr);
	/* K 65536: refused before W (any) is looked at */
	I8_CASE("matmul_i8 K 65536", -E2BIG,
		typed(KINFER_DTYPE_INT8, ARENA, 0, 2, 1, 65536), I8WT, I8S, I8WS,
		&b, f32(ARENA, 65536, 2, 1, I8_N), &attr);
	attr.act = KINFER_OP_TANH;
	I8_CASE("matmul_i8 act TANH (RELU or none)", -EINVAL, I8X, I8WT, I8S,
		I8WS, &b, I8Y, &attr);
	attr.act = KINFER_OP_LIMIT;
	I8_CASE("matmul_i8 act KINFER_OP_LIMIT", -EINVAL, I8X, I8WT, I8S,
		I8WS, &b, I8Y, &attr);
	attr.act = KINFER_OP_RELU;
	attr.reserved = 1;
	I8_CASE("matmul_i8 reserved 1", -EINVAL, I8X, I8WT, I8S, I8WS, &b,
		I8Y, &attr);
#undef I8_CASE
}

/*
 * INPUT -> ADD [2,4] + [4] (in place) -> MUL [2,4] * [2,1] -> SIGMOID
 * (in place) -> TANH -> SOFTMAX ([2,2,2], axis 1) -> ADD [2,1,4] + [3,1]
 * -> OUTPUT [2,3,4].  The constants are one bound buffer, bound again for
 * each node that reads it.
 */
static void case_good_chain(void)
{
	const float x[2][4] = { { 0.5f, -1.0f, 2.0f, 0.25f },
				{ -0.75f, 1.5f, -2.5f, 1.0f } };
	const float consts[9] = {
		0.1f, -0.2f, 0.3f, -0.4f,	/* c [4]   at 0 */
		1.5f, -0.5f,			/* s [2,1] at 16 */
		0.0f, 1.0f, -2.0f,		/* d [3,1] at 24 */
	};
	const float *c = consts, *s = consts + 4, *d = consts + 6;
	double t[8], v[8], sm[8], ref[2][3][4], sum;
	float y[2][3][4];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	int i, j, p, q, r;

	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.b_map, consts, sizeof(consts));

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 2, 2, 4), f32(ARENA, 0, 2, 2, 4));
	node2(KINFER_OP_ADD, f32(ARENA, 0, 2, 2, 4), f32(BIND(0), 0, 1, 4),
	      f32(ARENA, 0, 2, 2, 4));
	node2(KINFER_OP_MUL, f32(ARENA, 0, 2, 2, 4), f32(BIND(0), 16, 2, 2, 1),
	      f32(ARENA, 32, 2, 2, 4));
	node1(KINFER_OP_SIGMOID, f32(ARENA, 32, 2, 2, 4),
	      f32(ARENA, 32, 2, 2, 4));
	node1(KINFER_OP_TANH, f32(ARENA, 32, 2, 2, 4), f32(ARENA, 64, 2, 2, 4));
	node_softmax(f32(ARENA, 64, 3, 2, 2, 2), f32(ARENA, 96, 3, 2, 2, 2), 1);
	node2(KINFER_OP_ADD, f32(ARENA, 96, 3, 2, 1, 4),
	      f32(BIND(0), 24, 2, 3, 1), f32(ARENA, 128, 3, 2, 3, 4));
	node1(KINFER_OP_OUTPUT, f32(ARENA, 128, 3, 2, 3, 4),
	      f32(BIND(0), 128, 3, 2, 3, 4));

	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_B, sizeof(consts));
	add_call(&a, KINFER_OP_ADD);
	add_bind(&a, KFS_BIND_B, sizeof(consts));
	add_call(&a, KINFER_OP_MUL);
	add_call(&a, KINFER_OP_SIGMOID);
	add_call(&a, KINFER_OP_TANH);
	add_call(&a, KINFER_OP_SOFTMAX);
	add_bind(&a, KFS_BIND_B, sizeof(consts));
	add_call(&a, KINFER_OP_ADD);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: add, mul, sigmoid (in place), tanh, softmax, add",
		  &a);

	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			double u = ((double)x[i][j] + c[j]) * s[i];

			t[i * 4 + j] = 1.0 / (1.0 + exp(-u));
			v[i * 4 + j] = tanh(t[i * 4 + j]);
		}
	/* softmax of v as [2,2,2] along axis 1 */
	for (p = 0; p < 2; p++)
		for (r = 0; r < 2; r++) {
			sum = 0;
			for (q = 0; q < 2; q++)
				sum += exp(v[p * 4 + q * 2 + r]);
			for (q = 0; q < 2; q++)
				sm[p * 4 + q * 2 + r] =
					exp(v[p * 4 + q * 2 + r]) / sum;
		}
	for (p = 0; p < 2; p++)
		for (q = 0; q < 3; q++)
			for (j = 0; j < 4; j++)
				ref[p][q][j] = sm[p * 4 + j] + d[q];
	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 128, sizeof(y));
	report(check_floats("y", &y[0][0][0], &ref[0][0][0], 24, 1e-5),
	       "good plan: chain output matches reference");
}

/* int32 ADD with a rank-0 bound scalar; integer addition wraps. */
static void case_good_int32(void)
{
	const int32_t x[4] = { INT32_MAX, -5, 0, 100 };
	const int32_t one = 1;
	int32_t y[4];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	bool ok = true;
	int i;

	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.b_map, &one, sizeof(one));
	plan_init(64);
	node1(KINFER_OP_INPUT, typed(KINFER_DTYPE_INT32, BIND(0), 0, 1, 4),
	      typed(KINFER_DTYPE_INT32, ARENA, 0, 1, 4));
	node2(KINFER_OP_ADD, typed(KINFER_DTYPE_INT32, ARENA, 0, 1, 4),
	      typed(KINFER_DTYPE_INT32, BIND(0), 0, 0),
	      typed(KINFER_DTYPE_INT32, ARENA, 16, 1, 4));
	node1(KINFER_OP_OUTPUT, typed(KINFER_DTYPE_INT32, ARENA, 16, 1, 4),
	      typed(KINFER_DTYPE_INT32, BIND(0), 64, 1, 4));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_B, sizeof(one));
	add_call(&a, KINFER_OP_ADD);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: int32 input, add of a rank-0 scalar, output", &a);
	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 64, sizeof(y));
	for (i = 0; i < 4; i++) {
		int32_t want = (int32_t)((uint32_t)x[i] + (uint32_t)one);

		if (y[i] != want) {
			diag("y[%d] = %d, want %d", i, y[i], want);
			ok = false;
		}
	}
	report(ok, "good plan: int32 add matches (wraps at INT32_MAX)");
}

/* RELU in place, through INPUT/OUTPUT, and the io tensors' dtype. */
static void case_good_inplace_unary(void)
{
	const float x[6] = { -1.5f, 2.0f, -0.0f, 0.75f, -3.0f, 4.5f };
	double ref[6];
	float y[6];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	int i;

	map_put(skel->maps.io_map, x, sizeof(x));
	plan_init(64);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 2, 3, 2), f32(ARENA, 8, 2, 3, 2));
	node1(KINFER_OP_RELU, f32(ARENA, 8, 2, 3, 2), f32(ARENA, 8, 2, 3, 2));
	node1(KINFER_OP_OUTPUT, f32(ARENA, 8, 2, 3, 2),
	      f32(BIND(0), 32, 2, 3, 2));
	args_init(&a);
	a.flags = 0;
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_call(&a, KINFER_OP_RELU);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_ok("good plan: relu in place", &a);
	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 32, sizeof(y));
	for (i = 0; i < 6; i++)
		ref[i] = x[i] > 0 ? x[i] : 0;
	report(check_floats("y", y, ref, 6, 0), "good plan: in-place relu output");
}

/*
 * Binary ops: output 0 may replace an input of its own shape
 * (kmod/ops/binary.c).
 */
static void case_binary_inplace(void)
{
	struct kfs_args a;

	plan_init(64);
	node2(KINFER_OP_ADD, f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 1),
	      f32(ARENA, 0, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_ok("add: y replaces a (b broadcast)", &a);

	plan_init(64);
	node2(KINFER_OP_MUL, f32(ARENA, 16, 1, 1), f32(ARENA, 0, 1, 4),
	      f32(ARENA, 0, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_MUL);
	expect_ok("mul: y replaces b (a broadcast)", &a);

	/*
	 * Only one input may be replaced: the first of y's shape
	 * (kinfer_exec.inplace; the loader's op_inplace_input() mirrors it).
	 */
	plan_init(64);
	node2(KINFER_OP_ADD, f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 4),
	      f32(ARENA, 16, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_fails("add: y over b while a has y's shape too (a is the in-place input)",
		     &a, -EINVAL);
}

/* ---- acquire -------------------------------------------------------- */

static void cases_acquire(void)
{
	struct kfs_args a;

	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	plan_init(64);
	relu_node();
	expect_ok("minimal plan acquires (baseline of the refusals below)", &a);

	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	plan_init(64);
	relu_node();
	hdr->magic ^= 1;
	expect_refused("wrong magic", &a, -EINVAL);

	plan_init(64);
	relu_node();
	hdr->abi_version = 1;
	expect_refused("abi_version 1", &a, -EPROTO);

	plan_init(64);
	relu_node();
	hdr->abi_version = KINFER_ABI_VERSION + 1;
	expect_refused("abi_version 3", &a, -EPROTO);

	plan_init(64);
	relu_node();
	hdr->reserved0 = 1;
	expect_refused("header reserved0 != 0", &a, -EINVAL);

	plan_init(64);
	relu_node();
	hdr->reserved[0] = 1;
	expect_refused("header reserved[0] != 0", &a, -EINVAL);

	plan_init(64);
	relu_node();
	hdr->reserved[1] = 1ULL << 63;
	expect_refused("header reserved[1] != 0", &a, -EINVAL);

	plan_init(64);
	expect_refused("n_nodes 0", &a, -EINVAL);

	plan_init(64);
	relu_node();
	hdr->n_nodes = KINFER_MAX_NODES + 1;
	expect_refused("n_nodes > KINFER_MAX_NODES", &a, -EINVAL);

	plan_init(64);
	relu_node();
	hdr->nodes_bytes = KFS_PLAN_BYTES - sizeof(*hdr) + 4;
	expect_refused("nodes_bytes beyond the plan map value", &a, -EINVAL);

	plan_init(64);
	relu_node();
	a.plan_sz = sizeof(*hdr) + hdr->nodes_bytes - 4;
	expect_refused("nodes_bytes beyond plan__sz", &a, -EINVAL);
	a.plan_sz = sizeof(*hdr) + hdr->nodes_bytes;
	expect_ok("plan__sz exactly header + nodes_bytes acquires", &a);
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);

	plan_init(64);
	relu_node();
	a.plan_sz = sizeof(*hdr) - 4;
	expect_refused("plan__sz smaller than the header", &a, -EINVAL);
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);

	plan_init(64);
	relu_node();
	hdr->model_id = model_id + 1000;
	expect_refused("unknown model_id", &a, -ENOENT);

	plan_init(64);
	relu_node();
	hdr->model_id = 0;
	expect_refused("model_id 0", &a, -ENOENT);

	plan_init(0xfffffff0U);
	relu_node();
	expect_refused("arena_bytes > per-CPU arena", &a, -E2BIG);

	plan_init(MODEL_ARENA + 4);
	relu_node();
	expect_refused("arena_bytes > model's registered arena", &a, -E2BIG);

	plan_init(4096);
	relu_node();
	hdr->work = 4096 / KINFER_CLEAR_BYTES_PER_WORK - 1;
	expect_refused("work < arena_bytes / KINFER_CLEAR_BYTES_PER_WORK", &a,
		       -E2BIG);
}

/* The budgets: module parameters budget_atomic and budget_sleepable. */
static void cases_budget(void)
{
	unsigned long long atomic = param_read("budget_atomic");
	unsigned long long sleepable = param_read("budget_sleepable");
	struct kfs_args a;

	if (!atomic || !sleepable) {
		report(false, "read budget_atomic and budget_sleepable");
		return;
	}
	diag("budget_atomic %llu budget_sleepable %llu", atomic, sleepable);

	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	a.flags = 0;
	plan_init(64);
	relu_node();
	hdr->work = atomic;
	expect_ok("atomic acquire: work == budget_atomic acquires", &a);
	hdr->work = atomic + 1;
	expect_refused("work > budget_atomic (atomic acquire)", &a, -E2BIG);
	if (atomic + 1 <= sleepable) {
		args_init(&a);
		add_call(&a, KINFER_OP_RELU);
		expect_ok("sleepable acquire: work budget_atomic + 1 acquires",
			  &a);
	}

	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	plan_init(64);
	relu_node();
	if (param_write("budget_sleepable", 1000)) {
		report(false, "write budget_sleepable");
		return;
	}
	hdr->work = 1000;
	expect_ok("sleepable acquire: work == budget_sleepable (1000) acquires",
		  &a);
	hdr->work = 1001;
	expect_refused("work > budget_sleepable (set to 1000)", &a, -E2BIG);
	report(param_write("budget_sleepable", sleepable) == 0 &&
	       param_read("budget_sleepable") == sleepable,
	       "budget_sleepable restored to %llu", sleepable);
}

/*
 * Work charged by nodes: clearing the arena (arena_bytes /
 * KINFER_CLEAR_BYTES_PER_WORK) plus, for unary ops, the registry's cost
 * per element.  A plan declaring exactly that runs; one unit less fails
 * at the node that would overspend.
 */
static void cases_work(void)
{
	const __u32 numel = 16, arena = 128;
	__u64 clear = arena / KINFER_CLEAR_BYTES_PER_WORK;
	__u64 w_relu = (__u64)numel * op_cost(KINFER_OP_RELU);
	__u64 w_sig = (__u64)numel * op_cost(KINFER_OP_SIGMOID);
	struct kfs_args a;

	plan_init(arena);
	node1(KINFER_OP_RELU, f32(ARENA, 0, 1, numel), f32(ARENA, 64, 1, numel));
	node1(KINFER_OP_SIGMOID, f32(ARENA, 64, 1, numel),
	      f32(ARENA, 64, 1, numel));
	hdr->work = clear + w_relu + w_sig;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	add_call(&a, KINFER_OP_SIGMOID);
	expect_ok("plan work exactly the nodes' work plus the arena clear runs",
		  &a);

	hdr->work = clear + w_relu + w_sig - 1;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	add_call(&a, KINFER_OP_SIGMOID);
	expect_fails("node 1 would spend beyond the plan's work", &a, -E2BIG);

	hdr->work = clear + w_relu - 1;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("node 0 would spend beyond the plan's work", &a, -E2BIG);
}

/* ---- nodes ---------------------------------------------------------- */

/* One RELU node whose tensor @i is replaced by @t. */
static void relu_with(int i, struct kinfer_tensor t)
{
	struct kinfer_node *n;

	plan_init(256);
	n = relu_node();
	*node_tensor(n, i) = t;
}

/* One RELU node from @in to a tensor like it 64 bytes further. */
static void relu_same(struct kinfer_tensor in)
{
	struct kinfer_tensor out = in;

	out.off += 64;
	plan_init(256);
	node1(KINFER_OP_RELU, in, out);
}

/*
 * MATMUL A [2,3] . B [3,4] -> Y [2,4] with @c as its third input, an
 * omitted one: beta is 0.
 */
static void matmul_with_c(struct kinfer_tensor c)
{
	struct kinfer_attr_matmul attr = mm_attr(false);

	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 2, 3), f32(ARENA, 32, 2, 3, 4), &c,
		    f32(ARENA, 128, 2, 2, 4), &attr);
}

static const char *dtype_name(__u8 dtype)
{
	static char buf[8];

	switch (dtype) {
	case KINFER_DTYPE_BOOL:
		return "BOOL";
	case KINFER_DTYPE_INT64:
		return "INT64";
	case KINFER_DTYPE_INT8:
		return "INT8";
	case KINFER_DTYPE_UINT8:
		return "UINT8";
	case KINFER_DTYPE_COUNT:
		return "KINFER_DTYPE_COUNT";
	default:
		snprintf(buf, sizeof(buf), "%u", dtype);
		return buf;
	}
}

/* INPUT of @in (bound io) to the arena, which must run or be refused. */
static void input_of(struct kinfer_tensor in, bool runs)
{
	struct kinfer_tensor out = in;
	struct kfs_args a;
	char name[64];

	out.buf = ARENA;
	out.off = 0;
	plan_init(256);
	node1(KINFER_OP_INPUT, in, out);
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	snprintf(name, sizeof(name), "input of dtype %s %s",
		 dtype_name(in.dtype), runs ? "runs" : "is refused");
	if (runs)
		expect_ok(name, &a);
	else
		expect_fails(name, &a, -EINVAL);
}

static void case_relu_fails(const char *name, int want)
{
	struct kfs_args a;

	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	expect_fails(name, &a, want);
}

static void cases_node_header(void)
{
	struct kinfer_node *n;
	struct kfs_args a;

	args_init(&a);
	plan_init(256);
	relu_node();
	add_call(&a, KINFER_OP_SIGMOID);
	expect_fails("op mismatch (node RELU, called SIGMOID)", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 1, 1), f32(ARENA, 4, 2, 1, 1), NULL,
		    f32(ARENA, 8, 2, 1, 1), NULL);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("op mismatch (node MATMUL, called INPUT)", &a, -EINVAL);

	plan_init(256);
	n = relu_node();
	n->op = KINFER_OP_LIMIT;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("node op unknown", &a, -EINVAL);

	plan_init(256);
	n = relu_node();
	node_resize(n, 4);
	case_relu_fails("node size 4 more than its tensors and attributes",
			-EINVAL);

	plan_init(256);
	n = relu_node();
	node_resize(n, 2);
	case_relu_fails("node size not a multiple of 4", -EINVAL);

	plan_init(256);
	n = relu_node();
	n->size += 4;
	case_relu_fails("node size beyond nodes_bytes", -EINVAL);

	plan_init(256);
	n = relu_node();
	n->size = 8;
	case_relu_fails("node size smaller than the node header", -EINVAL);

	plan_init(256);
	n = relu_node();
	node_resize(n, KINFER_MAX_NODE_BYTES + 4 - n->size);
	case_relu_fails("node size > KINFER_MAX_NODE_BYTES", -EINVAL);

	plan_init(256);
	n = relu_node();
	n->n_in = 0;
	n->n_out = 0;
	node_resize(n, -(int)(2 * sizeof(struct kinfer_tensor)));
	case_relu_fails("node without tensors", -EINVAL);

	{
		struct kinfer_tensor t[KINFER_MAX_TENSORS + 1];
		int i;

		for (i = 0; i <= (int)KINFER_MAX_TENSORS; i++)
			t[i] = f32(ARENA, 0, 1, 1);
		plan_init(256);
		node_add(KINFER_OP_RELU, KINFER_MAX_TENSORS, 1, t, NULL);
		case_relu_fails("node with KINFER_MAX_TENSORS + 1 tensors",
				-EINVAL);
	}

	plan_init(256);
	n = relu_node();
	n->attr_bytes = 4;
	node_resize(n, 4);
	case_relu_fails("attr_bytes 4 for an op without attributes", -EINVAL);

	args_init(&a);
	plan_init(256);
	n = node_softmax(f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 4), 0);
	n->attr_bytes = 0;
	node_resize(n, -(int)sizeof(struct kinfer_attr_axis));
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax attr_bytes 0", &a, -EINVAL);

	plan_init(256);
	relu_node()->flags = 1;
	case_relu_fails("node flags != 0", -EINVAL);

	plan_init(256);
	relu_node()->reserved = 7;
	case_relu_fails("node reserved != 0", -EINVAL);

	/* pc runs past n_nodes, onto a valid node nodes_bytes still holds */
	plan_init(256);
	relu_node();
	relu_node();
	hdr->n_nodes = 1;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("call past the last node", &a, -EINVAL);

	/* n_nodes counts a node nodes_bytes does not hold */
	plan_init(256);
	relu_node();
	hdr->n_nodes = 2;
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("node 1 beyond nodes_bytes", &a, -EINVAL);
}

static void cases_tensor(void)
{
	struct kinfer_tensor t;
	struct kfs_args a;
	int i;

	t = f32(ARENA, 0, 1, 4);
	t.flags = 1;
	relu_with(0, t);
	case_relu_fails("tensor flags != 0", -EINVAL);

	t = f32(ARENA, 0, 1, 4);
	t.quant = 1;
	relu_with(0, t);
	case_relu_fails("tensor quant != 0", -EINVAL);

	t = f32(ARENA, 16, 1, 4);
	t.reserved = 1;
	relu_with(1, t);
	case_relu_fails("output tensor reserved != 0", -EINVAL);

	/*
	 * Input and output alike from here on where the op compares their
	 * shapes or dtypes: only the tensor check itself can refuse.
	 */
	t = f32(ARENA, 0, 1, 1);
	t.rank = KINFER_MAX_RANK + 1;
	for (i = 0; i < (int)KINFER_MAX_RANK; i++)
		t.dims[i] = 1;
	relu_same(t);
	case_relu_fails("tensor rank KINFER_MAX_RANK + 1", -EINVAL);

	relu_same(f32(ARENA, 0, 2, 4, 0));
	case_relu_fails("dims[1] == 0 inside rank 2", -EINVAL);

	t = f32(ARENA, 0, 1, 4);
	t.dims[1] = 1;
	relu_same(t);
	case_relu_fails("dims[1] != 0 beyond rank 1", -EINVAL);

	t = f32(ARENA, 0, 1, 4);
	t.dims[KINFER_MAX_RANK - 1] = 1;
	relu_same(t);
	case_relu_fails("dims[7] != 0 beyond rank 1", -EINVAL);

	relu_with(0, f32(ARENA, 0, 2, 65536, 16384));
	case_relu_fails("byte size exactly 4 GiB (> 32 bits)", -EINVAL);

	relu_with(0, f32(ARENA, 0, 3, 0xffffffffU, 0xffffffffU, 0xffffffffU));
	case_relu_fails("element count overflows 64 bits", -EINVAL);

	relu_with(1, f32(ARENA, 16, 1, 0x40000000U));
	case_relu_fails("output count * 4 overflows 32 bits", -EINVAL);

	memset(&t, 0, sizeof(t));
	relu_with(0, t);
	case_relu_fails("required input omitted (all-zero tensor)", -EINVAL);

	/* Omitted tensors: MATMUL's C is optional. */
	memset(&t, 0, sizeof(t));
	matmul_with_c(t);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_ok("matmul with C omitted (all-zero tensor) runs", &a);

	t.off = 4;
	matmul_with_c(t);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("omitted C (dtype NONE) with off != 0", &a, -EINVAL);

	memset(&t, 0, sizeof(t));
	t.rank = 1;
	t.dims[0] = 4;
	matmul_with_c(t);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("omitted C (dtype NONE) with rank and dims", &a, -EINVAL);

	/* INPUT copies any admitted dtype: only the dtype check refuses. */
	input_of(typed(KINFER_DTYPE_BOOL, BIND(0), 0, 1, 4), true);
	input_of(typed(KINFER_DTYPE_INT64, BIND(0), 0, 1, 4), true);
	input_of(typed(KINFER_DTYPE_INT8, BIND(0), 0, 1, 4), true);
	input_of(typed(KINFER_DTYPE_UINT8, BIND(0), 0, 1, 4), true);
	input_of(typed(KINFER_DTYPE_COUNT, BIND(0), 0, 1, 4), false);
	input_of(typed(0xff, BIND(0), 0, 1, 4), false);

	relu_same(typed(KINFER_DTYPE_INT32, ARENA, 0, 1, 4));
	case_relu_fails("relu of int32", -EINVAL);

	relu_with(1, f32(ARENA, 16, 2, 2, 2));
	case_relu_fails("relu output of another shape", -EINVAL);

	relu_with(0, f32(BIND(0), 0, 1, 4));
	case_relu_fails("buf BIND0 with nothing bound", -EINVAL);

	relu_with(0, f32(255, 0, 1, 4));
	case_relu_fails("buf 255", -EINVAL);

	relu_with(0, f32(ARENA, 256 - 12, 1, 4));
	case_relu_fails("arena tensor past the plan's arena_bytes", -EINVAL);

	relu_with(0, f32(ARENA, 0xfffffff0U, 1, 8));
	case_relu_fails("arena offset near 4 GiB", -EINVAL);

	relu_with(0, f32(ARENA, 260, 1, 1));
	case_relu_fails("arena offset beyond arena_bytes", -EINVAL);

	relu_with(0, f32(ARENA, 2, 1, 4));
	case_relu_fails("misaligned arena offset", -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, typed(KINFER_DTYPE_INT64, BIND(0), 4, 1, 2),
	      typed(KINFER_DTYPE_INT64, ARENA, 64, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("int64 at an offset aligned to 4 only", &a, -EINVAL);
}

/* Tensors in bound buffers, and the binds themselves. */
static void cases_bind(void)
{
	struct kfs_args a;
	int i;

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 1, 16), f32(ARENA, 0, 1, 16));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, 64);
	add_call(&a, KINFER_OP_INPUT);
	expect_ok("input of 64 bytes from a buffer bound with size 64", &a);

	args_init(&a);
	add_bind(&a, KFS_BIND_IO, 60);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("input tensor longer than its bound buffer's size", &a,
		     -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), KFS_IO_BYTES - 4, 1, 2),
	      f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("input tensor off + bytes past the bound buffer", &a,
		     -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0xfffffffcU, 1, 2),
	      f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("input tensor offset wraps", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 2, 1, 2), f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("misaligned offset in a bound buffer", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(1), 0, 1, 2), f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("tensor names BIND1, one buffer bound", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 1, 2), f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_bind(&a, KFS_BIND_W, KFS_W_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("a bound buffer the node does not reference", &a,
		     -EINVAL);

	plan_init(256);
	relu_node();
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("bind before a node that uses only the arena", &a,
		     -EINVAL);

	plan_init(256);
	node1(KINFER_OP_RELU, f32(ARENA, 0, 1, 4), f32(BIND(0), 0, 1, 4));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_RELU);
	expect_fails("relu output in a bound buffer", &a, -EINVAL);

	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 1, 2), f32(ARENA, 8, 2, 2, 1), NULL,
		    f32(BIND(0), 0, 2, 1, 1), NULL);
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("matmul output in a bound buffer", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 1, 2), f32(BIND(1), 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_bind(&a, KFS_BIND_W, KFS_W_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("input writing a bound buffer", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_INPUT, f32(ARENA, 0, 1, 2), f32(ARENA, 64, 1, 2));
	args_init(&a);
	add_call(&a, KINFER_OP_INPUT);
	expect_fails("input reading the arena", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 0, 1, 2), f32(ARENA, 64, 1, 2));
	args_init(&a);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_fails("output writing the arena", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 0, 1, 2),
	      typed(KINFER_DTYPE_INT32, BIND(0), 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_fails("output of another dtype than its input", &a, -EINVAL);

	plan_init(256);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 0, 1, 4), f32(BIND(0), 0, 2, 2, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	expect_fails("output of another shape than its input", &a, -EINVAL);

	plan_init(256);
	relu_node();
	args_init(&a);
	for (i = 0; i < (int)KINFER_MAX_BINDS + 1; i++)
		add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	expect_fails("bind KINFER_MAX_BINDS + 1", &a, -E2BIG);

	plan_init(256);
	relu_node();
	args_init(&a);
	add_bind(&a, KFS_BIND_W, 0);
	expect_fails("bind with size 0", &a, -EINVAL);

	/* Inputs from two bound buffers, both referenced: allowed. */
	plan_init(64);
	node2(KINFER_OP_ADD, f32(BIND(0), 0, 1, 2), f32(BIND(1), 8, 1, 2),
	      f32(ARENA, 0, 1, 2));
	args_init(&a);
	add_bind(&a, KFS_BIND_W, KFS_W_BYTES);
	add_bind(&a, KFS_BIND_B, KFS_B_BYTES);
	add_call(&a, KINFER_OP_ADD);
	expect_ok("add reading two bound buffers", &a);
}

/* Output overlap rules (kmod/ops/exec.c check_outputs()). */
static void cases_overlap(void)
{
	struct kinfer_tensor t[3];
	struct kfs_args a;

	relu_with(1, f32(ARENA, 4, 1, 4));
	case_relu_fails("relu output partially over its input", -EINVAL);

	relu_with(1, f32(ARENA, 0, 1, 3));
	case_relu_fails("relu output a prefix of its input", -EINVAL);

	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 2, 3), f32(ARENA, 32, 2, 3, 4), NULL,
		    f32(ARENA, 16, 2, 2, 4), NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("matmul output overlapping A", &a, -EINVAL);

	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 2, 2), f32(ARENA, 16, 2, 2, 2), NULL,
		    f32(ARENA, 0, 2, 2, 2), NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("matmul output exactly over A (no in place)", &a,
		     -EINVAL);

	plan_init(256);
	node_matmul(f32(ARENA, 0, 2, 2, 2), f32(ARENA, 16, 2, 2, 2), NULL,
		    f32(ARENA, 28, 2, 2, 2), NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("matmul output overlapping B", &a, -EINVAL);

	plan_init(256);
	node2(KINFER_OP_ADD, f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 4),
	      f32(ARENA, 8, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_fails("add output partially over a", &a, -EINVAL);

	plan_init(256);
	node2(KINFER_OP_ADD, f32(ARENA, 0, 1, 4), f32(ARENA, 16, 1, 1),
	      f32(ARENA, 16, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_fails("add output over a broadcast b", &a, -EINVAL);

	/*
	 * Two outputs over each other.  No op takes two outputs yet, so
	 * the arity check may refuse this first: both are -EINVAL.
	 */
	t[0] = f32(ARENA, 0, 1, 4);
	t[1] = f32(ARENA, 16, 1, 4);
	t[2] = f32(ARENA, 16, 1, 4);
	plan_init(256);
	node_add(KINFER_OP_RELU, 1, 2, t, NULL);
	case_relu_fails("two outputs over each other", -EINVAL);
}

static void cases_matmul(void)
{
	struct kinfer_attr_matmul attr;
	struct kinfer_tensor c;
	struct kfs_args a;
	__u32 k;

#define MM_CASE(name, want, A, B, C, Y, ATTR)				\
	do {								\
		plan_init(512);						\
		node_matmul(A, B, C, Y, ATTR);				\
		args_init(&a);						\
		add_call(&a, KINFER_OP_MATMUL);				\
		expect_fails(name, &a, want);				\
	} while (0)
#define MA	f32(ARENA, 0, 2, 2, 3)
#define MB	f32(ARENA, 32, 2, 3, 4)
#define MY	f32(ARENA, 128, 2, 2, 4)

	/* The plans below each change one thing of these two. */
	plan_init(512);
	node_matmul(MA, MB, NULL, MY, NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_ok("matmul baseline: A [2,3] . B [3,4] in the arena", &a);
	c = f32(ARENA, 96, 1, 4);
	attr = mm_attr(true);
	attr.act = KINFER_OP_SIGMOID;
	plan_init(512);
	node_matmul(MA, MB, &c, MY, &attr);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_ok("matmul baseline: with C [4] and a fused sigmoid", &a);

	attr = mm_attr(false);
	attr.act = KINFER_OP_SOFTMAX;
	MM_CASE("matmul act SOFTMAX (not unary)", -EINVAL, MA, MB, NULL, MY,
		&attr);
	attr.act = KINFER_OP_ADD;
	MM_CASE("matmul act ADD (not unary)", -EINVAL, MA, MB, NULL, MY, &attr);
	attr.act = KINFER_OP_MATMUL;
	MM_CASE("matmul act MATMUL (not unary)", -EINVAL, MA, MB, NULL, MY,
		&attr);
	attr.act = KINFER_OP_LIMIT;
	MM_CASE("matmul act KINFER_OP_LIMIT", -EINVAL, MA, MB, NULL, MY, &attr);
	attr.act = KINFER_OP_MUL + 1;	/* retired ABI 1 id, never reused */
	MM_CASE("matmul act retired op id", -EINVAL, MA, MB, NULL, MY, &attr);
	attr.act = KINFER_OP_RELU;
	attr.act_attr.alpha.f = 0.5f;
	MM_CASE("matmul act RELU with an alpha", -EINVAL, MA, MB, NULL, MY,
		&attr);
	attr = mm_attr(false);
	attr.act_attr.beta.f = 1.0f;
	MM_CASE("matmul no act but act_attr != 0", -EINVAL, MA, MB, NULL, MY,
		&attr);
	attr = mm_attr(false);
	attr.trans_a = 2;
	MM_CASE("matmul trans_a 2", -EINVAL, MA, MB, NULL, MY, &attr);
	attr = mm_attr(false);
	attr.b_layout = KINFER_MATMUL_B_PANELS + 1;
	MM_CASE("matmul b_layout unknown", -EINVAL, MA, MB, NULL, MY, &attr);
	/* B [3, 4] in panels is [1, 3, 16]: 192 bytes at 32 */
	attr.b_layout = KINFER_MATMUL_B_PANELS;
	plan_init(512);
	node_matmul(MA, f32(ARENA, 32, 3, 1, 3, 16), NULL, f32(ARENA, 256, 2, 2, 4),
		    &attr);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_ok("matmul baseline: B [3,4] in panels [1,3,16]", &a);
	attr.trans_b = 1;
	MM_CASE("matmul B in panels, trans_b", -EINVAL, MA,
		f32(ARENA, 32, 3, 1, 3, 16), NULL, f32(ARENA, 256, 2, 2, 4),
		&attr);
	attr.trans_b = 0;
	MM_CASE("matmul B in panels of rank 2", -EINVAL, MA, MB, NULL, MY,
		&attr);
	MM_CASE("matmul B in panels 8 wide", -EINVAL, MA,
		f32(ARENA, 32, 3, 1, 3, 8), NULL, f32(ARENA, 256, 2, 2, 4),
		&attr);
	MM_CASE("matmul B in panels, one panel too many", -EINVAL, MA,
		f32(ARENA, 32, 3, 2, 3, 16), NULL, f32(ARENA, 448, 2, 2, 4),
		&attr);
	MM_CASE("matmul B in panels, K != A's", -EINVAL, MA,
		f32(ARENA, 32, 3, 1, 4, 16), NULL, f32(ARENA, 448, 2, 2, 4),
		&attr);
	attr = mm_attr(false);
	attr.beta.f = 1.0f;
	MM_CASE("matmul beta != 0 without C", -EINVAL, MA, MB, NULL, MY,
		&attr);

	MM_CASE("matmul K of A != K of B", -EINVAL, MA,
		f32(ARENA, 32, 2, 4, 4), NULL, MY, NULL);
	MM_CASE("matmul Y rows != M", -EINVAL, MA, MB, NULL,
		f32(ARENA, 128, 2, 3, 4), NULL);
	MM_CASE("matmul Y columns != N", -EINVAL, MA, MB, NULL,
		f32(ARENA, 128, 2, 2, 3), NULL);
	MM_CASE("matmul A of rank 1", -EINVAL, f32(ARENA, 0, 1, 3), MB, NULL,
		f32(ARENA, 128, 2, 1, 4), NULL);
	MM_CASE("matmul batches not broadcastable", -EINVAL,
		f32(ARENA, 0, 3, 2, 2, 3), f32(ARENA, 64, 3, 3, 3, 4), NULL,
		f32(ARENA, 256, 3, 3, 2, 4), NULL);
	MM_CASE("matmul Y batch larger than A's and B's", -EINVAL, MA, MB,
		NULL, f32(ARENA, 128, 3, 2, 2, 4), NULL);
	c = f32(ARENA, 96, 1, 3);
	MM_CASE("matmul C [3] onto Y [2,4]", -EINVAL, MA, MB, &c, MY, NULL);
	c = f32(ARENA, 96, 3, 1, 2, 4);
	MM_CASE("matmul C of higher rank than Y", -EINVAL, MA, MB, &c, MY,
		NULL);
	c = typed(KINFER_DTYPE_INT32, ARENA, 96, 1, 4);
	MM_CASE("matmul C of int32", -EINVAL, MA, MB, &c, MY, NULL);
	MM_CASE("matmul B of int32", -EINVAL, MA,
		typed(KINFER_DTYPE_INT32, ARENA, 32, 2, 3, 4), NULL, MY, NULL);

	/* K up to one section: KFS_FPU_CHUNK multiply-adds per unit. */
	k = KFS_FPU_CHUNK;
	plan_init(8 * k + 4);
	node_matmul(f32(ARENA, 0, 2, 1, k), f32(ARENA, 4 * k, 2, k, 1), NULL,
		    f32(ARENA, 8 * k, 2, 1, 1), NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_ok("matmul K == KINFER_FPU_CHUNK runs", &a);

	k = KFS_FPU_CHUNK + 1;
	plan_init(8 * k + 4);
	node_matmul(f32(ARENA, 0, 2, 1, k), f32(ARENA, 4 * k, 2, k, 1), NULL,
		    f32(ARENA, 8 * k, 2, 1, 1), NULL);
	args_init(&a);
	add_call(&a, KINFER_OP_MATMUL);
	expect_fails("matmul K > KINFER_FPU_CHUNK", &a, -E2BIG);
#undef MM_CASE
#undef MA
#undef MB
#undef MY
}

static void cases_binary_softmax(void)
{
	struct kinfer_node *n;
	struct kfs_args a;
	__u32 len;

#define BIN_CASE(name, op, A, B, Y)					\
	do {								\
		plan_init(256);						\
		node2(op, A, B, Y);					\
		args_init(&a);						\
		add_call(&a, op);					\
		expect_fails(name, &a, -EINVAL);			\
	} while (0)

	plan_init(256);
	node2(KINFER_OP_ADD, f32(ARENA, 0, 2, 2, 4), f32(ARENA, 32, 1, 4),
	      f32(ARENA, 64, 2, 2, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_ok("binary baseline: add [2,4] + [4] in the arena", &a);

	BIN_CASE("add [2,3] + [2]: not broadcastable", KINFER_OP_ADD,
		 f32(ARENA, 0, 2, 2, 3), f32(ARENA, 32, 1, 2),
		 f32(ARENA, 64, 2, 2, 3));
	BIN_CASE("mul [2,3] * [3,1]: not broadcastable", KINFER_OP_MUL,
		 f32(ARENA, 0, 2, 2, 3), f32(ARENA, 32, 2, 3, 1),
		 f32(ARENA, 64, 2, 2, 3));
	BIN_CASE("add y [3,4] larger than the broadcast [1,4] + [4]",
		 KINFER_OP_ADD, f32(ARENA, 0, 2, 1, 4), f32(ARENA, 32, 1, 4),
		 f32(ARENA, 64, 2, 3, 4));
	BIN_CASE("add y [3,4] from [2,4] + [4]", KINFER_OP_ADD,
		 f32(ARENA, 0, 2, 2, 4), f32(ARENA, 32, 1, 4),
		 f32(ARENA, 64, 2, 3, 4));
	BIN_CASE("add y [4] smaller than the broadcast [2,4]", KINFER_OP_ADD,
		 f32(ARENA, 0, 2, 2, 4), f32(ARENA, 32, 1, 4),
		 f32(ARENA, 64, 1, 4));
	BIN_CASE("add float32 + int32", KINFER_OP_ADD, f32(ARENA, 0, 1, 4),
		 typed(KINFER_DTYPE_INT32, ARENA, 16, 1, 4),
		 f32(ARENA, 64, 1, 4));
	BIN_CASE("mul of bool", KINFER_OP_MUL,
		 typed(KINFER_DTYPE_BOOL, ARENA, 0, 1, 4),
		 typed(KINFER_DTYPE_BOOL, ARENA, 16, 1, 4),
		 typed(KINFER_DTYPE_BOOL, ARENA, 64, 1, 4));
#undef BIN_CASE

	plan_init(256);
	node1(KINFER_OP_ADD, f32(ARENA, 0, 1, 4), f32(ARENA, 64, 1, 4));
	args_init(&a);
	add_call(&a, KINFER_OP_ADD);
	expect_fails("add with one input", &a, -EINVAL);

	plan_init(256);
	node_softmax(f32(ARENA, 0, 2, 2, 4), f32(ARENA, 64, 2, 2, 4), 1);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_ok("softmax baseline: [2,4] along axis 1", &a);

	plan_init(256);
	node_softmax(f32(ARENA, 0, 2, 2, 4), f32(ARENA, 64, 2, 2, 4), 2);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax axis == rank", &a, -EINVAL);

	plan_init(256);
	node_softmax(f32(ARENA, 0, 0), f32(ARENA, 64, 0), 0);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax of a scalar (axis 0 >= rank 0)", &a, -EINVAL);

	plan_init(256);
	n = node_softmax(f32(ARENA, 0, 2, 2, 4), f32(ARENA, 64, 2, 2, 4), 1);
	((struct kinfer_attr_axis *)node_attr(n))->reserved = 1;
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax attr reserved != 0", &a, -EINVAL);

	plan_init(256);
	node_softmax(f32(ARENA, 0, 2, 2, 4), f32(ARENA, 64, 2, 4, 2), 1);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax output of another shape", &a, -EINVAL);

	plan_init(256);
	node_softmax(f32(ARENA, 0, 2, 2, 4), f32(ARENA, 16, 2, 2, 4), 1);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax output partially over its input", &a, -EINVAL);

	/* A row is normalised inside one section: n * cost <= the chunk. */
	len = KFS_FPU_CHUNK / op_cost(KINFER_OP_SOFTMAX);
	plan_init(8 * len + 8);
	node_softmax(f32(ARENA, 0, 1, len), f32(ARENA, 0, 1, len), 0);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_ok("softmax row of KINFER_FPU_CHUNK / cost runs (in place)", &a);

	len++;
	plan_init(8 * len + 8);
	node_softmax(f32(ARENA, 0, 1, len), f32(ARENA, 0, 1, len), 0);
	args_init(&a);
	add_call(&a, KINFER_OP_SOFTMAX);
	expect_fails("softmax row longer than one section", &a, -E2BIG);
}

/* ---- runs ----------------------------------------------------------- */

static void case_short_run(void)
{
	long long calls0 = model_stat("calls"), err0 = model_stat("errors");
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(256);
	relu_node();
	relu_node();
	add_call(&a, KINFER_OP_RELU);
	ret = run(&a);
	report(ret == 0 && a.acquired && a.ret[0] == 0 && a.pc == 1 &&
	       a.err == 0 && model_stat("calls") == calls0 + 1 &&
	       model_stat("errors") == err0 + 1 &&
	       model_stat("last_error") == -EINVAL &&
	       model_stat("last_error_node") == 1,
	       "release before the last node counts an error (-EINVAL at node 1)");
	if (ret || a.pc != 1)
		diag_run(ret, &a);

	calls0 = model_stat("calls");
	err0 = model_stat("errors");
	args_init(&a);
	plan_init(256);
	relu_node();
	add_call(&a, KINFER_OP_RELU);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	ret = run(&a);
	report(ret == 0 && a.acquired && a.ret[0] == 0 && a.ret[1] == 0 &&
	       a.pc == 1 && a.err == 0 && model_stat("calls") == calls0 + 1 &&
	       model_stat("errors") == err0 + 1 &&
	       model_stat("last_error") == -EINVAL,
	       "release with a buffer bound for no node counts an error");
	if (ret || a.ret[1])
		diag_run(ret, &a);

	/* last_run_ns is stored for every run */
	report(model_stat("last_run_ns") > 0, "last_run_ns is set");
}

static void case_double_acquire(void)
{
	long long busy0 = model_stat("busy");
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(64);
	relu_node();
	ret = prog_run(skel->progs.double_acquire, &a);
	report(ret == 0 && a.acquired == 1 && a.status == -EBUSY,
	       "second acquire on the same CPU returns NULL, status -EBUSY");
	if (ret || a.acquired != 1 || a.status != -EBUSY)
		diag("ret %d acquired %d status %s", ret, a.acquired,
		     errname(a.status));
	report(model_stat("busy") == busy0 + 1,
	       "busy acquire counted in models/" MODEL "/busy");

	/* And the context is free again afterwards, for either acquire. */
	args_init(&a);
	add_call(&a, KINFER_OP_RELU);
	expect_ok("context free after release (sleepable acquire)", &a);
	args_init(&a);
	a.flags = 0;
	add_call(&a, KINFER_OP_RELU);
	expect_ok("context free after release (atomic acquire)", &a);
}

static void case_null_buf(void)
{
	long long bad0 = kinfer_stat("bad_plan");
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(256);
	relu_node();
	add_call(&a, KINFER_OP_RELU);
	ret = prog_run(skel->progs.null_buf, &a);
	report(ret == 0 && a.status == -EINVAL &&
	       kinfer_stat("bad_plan") == bad0 + 1,
	       "acquire (NULL, 0) -> -EINVAL (counted in stats/bad_plan)");
	report(ret == 0 && a.acquired == 1 && a.ret[0] == -EINVAL &&
	       a.ret[1] == -ECANCELED && a.err == -EINVAL && a.pc == 0,
	       "bind (NULL, 0) -> -EINVAL, then -ECANCELED");
	if (ret || a.acquired != 1 || a.ret[0] != -EINVAL)
		diag("ret %d acquired %d status %s ret[0] %s ret[1] %s err %s",
		     ret, a.acquired, errname(a.status), errname(a.ret[0]),
		     errname(a.ret[1]), errname(a.err));
}

static void cases_sysfs(void)
{
	char big[64], buf[32];
	long long arena = sysfs_read_ll("%s", SYSFS "/arena_bytes");

	snprintf(big, sizeof(big), "%u", KINFER_ABI_VERSION);
	report(sysfs_read(SYSFS "/abi_version", buf, sizeof(buf)) == 0 &&
	       !strcmp(buf, big), "abi_version reads %s", big);
	report(sysfs_write(SYSFS "/register", MODEL " 16\n") == -EEXIST,
	       "register duplicate name -> EEXIST");
	report(sysfs_write(SYSFS "/register", "bad/name 16\n") == -EINVAL,
	       "register bad name -> EINVAL");
	report(sysfs_write(SYSFS "/register", " 16\n") == -EINVAL,
	       "register empty name -> EINVAL");
	report(sysfs_write(SYSFS "/register", "..\n 16\n") == -EINVAL,
	       "register name with a newline -> EINVAL");
	report(sysfs_write(SYSFS "/register", ".. 16\n") == -EINVAL,
	       "register name '..' -> EINVAL");
	report(sysfs_write(SYSFS "/register",
			   "a23456789012345678901234567890123 16\n") == -EINVAL,
	       "register name longer than KINFER_NAME_MAX -> EINVAL");
	report(sysfs_write(SYSFS "/register", "noarena\n") == -EINVAL,
	       "register without arena_bytes -> EINVAL");
	report(sysfs_write(SYSFS "/register", "kfs_neg -1\n") == -EINVAL,
	       "register negative arena_bytes -> EINVAL");
	snprintf(big, sizeof(big), "toobig %lld\n", arena + 1);
	report(sysfs_write(SYSFS "/register", big) == -E2BIG,
	       "register arena_bytes > arena -> E2BIG");
	report(sysfs_write(SYSFS "/register", "toobig 99999999999\n") == -E2BIG,
	       "register arena_bytes > 32 bits -> E2BIG");
	report(sysfs_write(SYSFS "/unregister", "nosuchmodel\n") == -ENOENT,
	       "unregister unknown -> ENOENT");
	report(sysfs_write(SYSFS "/register", "kfs_tmp 16\n") == 0 &&
	       sysfs_read_ll("%s", SYSFS "/models/kfs_tmp/arena_bytes") == 16 &&
	       sysfs_write(SYSFS "/unregister", "kfs_tmp\n") == 0 &&
	       access(SYSFS "/models/kfs_tmp", F_OK) != 0,
	       "register + unregister round trip");
}

/*
 * A context that did not come from an acquire (here: the argument of an
 * fexit program on kinfer_ctx_release, a finished run) must not reach an
 * op kfunc or kinfer_bind: the verifier refuses the program.
 */
static void case_stale_ctx_refused(const char *what, bool bind)
{
	static char log[64 * 1024];
	struct kfunc_bounds_bpf *s = kfunc_bounds_bpf__open();
	struct bpf_program *prog, *p;
	libbpf_print_fn_t old_print;
	int err;

	if (!s) {
		report(0, "open a second kfunc_bounds object");
		return;
	}
	prog = bind ? s->progs.stale_ctx_bind : s->progs.stale_ctx;
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, p == prog);
	log[0] = '\0';
	bpf_program__set_log_buf(prog, log, sizeof(log));
	bpf_program__set_log_level(prog, 1);
	/* The failure is expected: keep libbpf's report of it off stderr. */
	old_print = libbpf_set_print(NULL);
	err = kfunc_bounds_bpf__load(s);
	libbpf_set_print(old_print);
	report(err && strstr(log, "must be referenced"),
	       "%s refuses a context not from acquire", what);
	if (!err || !strstr(log, "must be referenced"))
		diag("load returned %d; verifier log tail: %s", err,
		     strlen(log) > 400 ? log + strlen(log) - 400 : log);
	kfunc_bounds_bpf__destroy(s);
}

/*
 * A plan must not read what an earlier run left in the arena: acquire
 * clears the bytes the plan may touch.  Both runs are pinned to one CPU so
 * they share its arena.
 */
static void case_arena_cleared(void)
{
	const float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char io[KFS_IO_BYTES];
	cpu_set_t one, all;
	struct kfs_args a;
	bool written, zero = true;
	size_t i;
	int ret;

	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);

	map_put(skel->maps.io_map, x, sizeof(x));
	plan_init(256);
	node1(KINFER_OP_INPUT, f32(BIND(0), 0, 1, 8), f32(ARENA, 64, 1, 8));
	node1(KINFER_OP_OUTPUT, f32(ARENA, 64, 1, 8), f32(BIND(0), 64, 1, 8));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_INPUT);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	ret = run(&a);
	map_get(skel->maps.io_map, io, sizeof(io));
	written = ret == 0 && a.err == 0 && a.pc == 2 &&
		  !memcmp(io + 64, x, sizeof(x));

	memset(io, 0xff, sizeof(io));
	map_put(skel->maps.io_map, io, sizeof(io));
	plan_init(256);
	node1(KINFER_OP_OUTPUT, f32(ARENA, 64, 1, 8), f32(BIND(0), 0, 1, 8));
	args_init(&a);
	add_bind(&a, KFS_BIND_IO, KFS_IO_BYTES);
	add_call(&a, KINFER_OP_OUTPUT);
	ret = run(&a);
	map_get(skel->maps.io_map, io, sizeof(io));
	for (i = 0; i < sizeof(x); i++)
		zero = zero && io[i] == 0;
	report(written && ret == 0 && a.err == 0 && a.pc == 1 && zero,
	       "a run reads zeros, not the previous run's activations");
	if (!written || !zero)
		diag("first run ok %d, second ret %d err %s, io[0] %02x",
		     written, ret, errname(a.err), (unsigned char)io[0]);
	sched_setaffinity(0, sizeof(all), &all);
}

/* After unregister, a plan with the old id must not acquire. */
static void case_stale_id(void)
{
	struct kfs_args a;

	report(sysfs_write(SYSFS "/unregister", MODEL "\n") == 0,
	       "unregister " MODEL);
	args_init(&a);
	plan_init(64);
	relu_node();
	expect_refused("model_id of an unregistered model", &a, -ENOENT);
}

int main(void)
{
	char line[64];
	int err;

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	sysfs_write(SYSFS "/unregister", MODEL "\n");
	snprintf(line, sizeof(line), MODEL " %u\n", MODEL_ARENA);
	err = sysfs_write(SYSFS "/register", line);
	if (err) {
		printf("Bail out! register " MODEL ": %s\n", strerror(-err));
		return 1;
	}
	model_id = (unsigned int)sysfs_read_ll(SYSFS "/models/%s/id", MODEL);
	diag("model %s id %u", MODEL, model_id);

	skel = kfunc_bounds_bpf__open_and_load();
	if (!skel) {
		printf("Bail out! cannot load kfunc_bounds.bpf.o: %s\n",
		       strerror(errno));
		return 1;
	}

	case_good_matmul(0);
	case_good_matmul(KFS_F_SLEEPABLE);
	case_good_gemm();
	case_good_panels();
	case_good_matmul_i8();
	case_good_chain();
	case_good_int32();
	case_good_inplace_unary();
	case_binary_inplace();
	cases_acquire();
	cases_budget();
	cases_work();
	cases_node_header();
	cases_tensor();
	cases_bind();
	cases_overlap();
	cases_matmul();
	cases_matmul_i8();
	cases_binary_softmax();
	case_short_run();
	case_double_acquire();
	case_null_buf();
	cases_sysfs();
	case_stale_ctx_refused("op kfunc", false);
	case_stale_ctx_refused("kinfer_bind", true);
	case_arena_cleared();
	case_stale_id();

	kfunc_bounds_bpf__destroy(skel);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
