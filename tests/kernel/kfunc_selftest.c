// SPDX-License-Identifier: GPL-2.0
/*
 * kinfer kfunc selftest runner (run as root, kinfer.ko loaded).
 *
 * Registers a model through sysfs, loads bpf/selftests/kfunc_bounds.bpf.c
 * and runs its syscall programs with BPF_PROG_TEST_RUN over good and bad
 * plans: every bad plan or buffer must be refused with the documented
 * result and never crash or warn; the good plans must compute the right
 * numbers.  Prints "ok N name" / "not ok N name" and "N passed, N failed";
 * exits 1 when anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
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
#define MODEL		"kfs_selftest"
#define MODEL_ARENA	4096U

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

static long long sysfs_read_ll(const char *fmt, const char *name)
{
	char path[256], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), fmt, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

static long long model_stat(const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS "/models/" MODEL "/%s", stat);
	return sysfs_read_ll("%s", path);
}

/* ---- plans ---------------------------------------------------------- */

struct plan_buf {
	struct kinfer_plan hdr;
	struct kinfer_node nodes[16];
};

_Static_assert(sizeof(struct plan_buf) == KFS_PLAN_BYTES, "plan map size");
_Static_assert(sizeof(struct kinfer_node) == 48, "node size");

static struct plan_buf plan;

static void plan_init(__u32 arena_bytes)
{
	memset(&plan, 0, sizeof(plan));
	plan.hdr.magic = KINFER_PLAN_MAGIC;
	plan.hdr.abi_version = KINFER_ABI_VERSION;
	plan.hdr.model_id = model_id;
	plan.hdr.arena_bytes = arena_bytes;
	plan.hdr.io_bytes = KFS_IO_BYTES;
}

static struct kinfer_node *node_add(__u32 op, __u32 in0, __u32 in1, __u32 out,
				    __u32 d0, __u32 d1, __u32 d2)
{
	struct kinfer_node *n = &plan.nodes[plan.hdr.n_nodes++];

	n->op = op;
	n->in0 = in0;
	n->in1 = in1;
	n->out = out;
	n->dims[0] = d0;
	n->dims[1] = d1;
	n->dims[2] = d2;
	return n;
}

static int map_put(struct bpf_map *map, const void *data, size_t len)
{
	static char buf[KFS_W_BYTES];
	__u32 zero = 0;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, len);
	return bpf_map__update_elem(map, &zero, sizeof(zero), buf,
				    bpf_map__value_size(map), 0);
}

static int map_get(struct bpf_map *map, void *data, size_t len)
{
	static char buf[KFS_W_BYTES];
	__u32 zero = 0;
	int ret;

	ret = bpf_map__lookup_elem(map, &zero, sizeof(zero), buf,
				   bpf_map__value_size(map), 0);
	memcpy(data, buf, len);
	return ret;
}

/* Default sizes: whole map values. */
static void args_init(struct kfs_args *a)
{
	memset(a, 0, sizeof(*a));
	a->plan_sz = KFS_PLAN_BYTES;
	a->io_sz = KFS_IO_BYTES;
	a->w_sz = KFS_W_BYTES;
	a->b_sz = KFS_B_BYTES;
}

static void args_calls(struct kfs_args *a, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		a->calls[i] = va_arg(ap, __u32);
	va_end(ap);
	a->n_calls = n;
}

static int prog_run(struct bpf_program *prog, struct kfs_args *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = a,
		.ctx_size_in = sizeof(*a),
	);
	int ret;

	if (map_put(skel->maps.plan_map, &plan, sizeof(plan)))
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

/* ---- cases ---------------------------------------------------------- */

/* The plan must be refused by kinfer_ctx_acquire(). */
static void expect_refused(const char *name, struct kfs_args *a)
{
	int ret = run(a);

	report(ret == 0 && a->acquired == 0, "acquire refuses %s", name);
	if (ret || a->acquired)
		diag("prog ret %d acquired %d", ret, a->acquired);
}

/*
 * The run must be acquired, call 0 must fail with @want, later calls with
 * -ECANCELED, and ctx->err must hold @want with pc 0.
 */
static void expect_first_fails(const char *name, struct kfs_args *a, int want)
{
	bool ok;
	int ret, i;

	if (a->n_calls < 2)
		args_calls(a, 2, a->calls[0], KINFER_OP_OUTPUT);
	ret = run(a);
	ok = ret == 0 && a->acquired == 1 && a->ret[0] == want &&
	     a->err == want && a->pc == 0;
	for (i = 1; i < (int)a->n_calls; i++)
		ok = ok && a->ret[i] == -ECANCELED;
	report(ok, "%s -> %d", name, want);
	if (!ok)
		diag("prog ret %d acquired %d ret[0] %d ret[1] %d pc %u err %d",
		     ret, a->acquired, a->ret[0], a->ret[1], a->pc, a->err);
}

static bool close_to(float got, double want, double tol)
{
	return fabs(got - want) <= tol * (1.0 + fabs(want));
}

/* INPUT -> DENSE -> RELU -> OUTPUT, against a double reference. */
static void case_good_dense(void)
{
	float x[2][3] = { { 1.0f, -2.0f, 0.5f }, { 0.25f, 4.0f, -1.0f } };
	float w[3][4], b[4], y[2][4];
	double ref;
	struct kfs_args a;
	long long calls0, err0;
	bool ok;
	int i, j, k, ret;

	for (k = 0; k < 3; k++)
		for (j = 0; j < 4; j++)
			w[k][j] = 0.1f * (float)(k * 4 + j) - 0.5f;
	for (j = 0; j < 4; j++)
		b[j] = 0.05f * (float)j - 0.1f;
	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.w_map, w, sizeof(w));
	map_put(skel->maps.b_map, b, sizeof(b));

	plan_init(256);
	node_add(KINFER_OP_INPUT, 0, 0, 0, sizeof(x), 0, 0)->io_off = 0;
	node_add(KINFER_OP_DENSE, 0, 0, 64, 2, 3, 4);
	node_add(KINFER_OP_RELU, 64, 0, 64, 8, 0, 0);
	node_add(KINFER_OP_OUTPUT, 64, 0, 0, sizeof(y), 0, 0)->io_off = 128;

	calls0 = model_stat("calls");
	err0 = model_stat("errors");
	args_init(&a);
	a.w_sz = sizeof(w);
	a.b_sz = sizeof(b);
	args_calls(&a, 4, KINFER_OP_INPUT, KINFER_OP_DENSE, KINFER_OP_RELU,
		   KINFER_OP_OUTPUT);
	ret = run(&a);
	ok = ret == 0 && a.acquired == 1 && a.pc == 4 && a.err == 0;
	for (i = 0; i < 4; i++)
		ok = ok && a.ret[i] == 0;
	report(ok, "good plan: input, dense, relu, output all return 0");
	if (!ok)
		diag("ret %d acq %d rets %d %d %d %d pc %u err %d", ret,
		     a.acquired, a.ret[0], a.ret[1], a.ret[2], a.ret[3], a.pc,
		     a.err);

	{
		char io[KFS_IO_BYTES];

		map_get(skel->maps.io_map, io, sizeof(io));
		memcpy(y, io + 128, sizeof(y));
	}
	ok = true;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			ref = b[j];
			for (k = 0; k < 3; k++)
				ref += (double)x[i][k] * w[k][j];
			ref = ref < 0 ? 0 : ref;
			if (!close_to(y[i][j], ref, 1e-6)) {
				diag("y[%d][%d] = %.9g, want %.9g", i, j,
				     y[i][j], ref);
				ok = false;
			}
		}
	report(ok, "good plan: dense+relu output matches reference");
	report(model_stat("calls") == calls0 + 1 &&
	       model_stat("errors") == err0,
	       "good run counted in calls, not in errors");
}

/*
 * INPUT -> ADD_CONST (broadcast, in place) -> MUL (x*x) -> SIGMOID ->
 * TANH (in place) -> SOFTMAX -> MATMUL -> OUTPUT.
 */
static void case_good_chain(void)
{
	float x[8] = { -3.0f, -0.5f, 0.0f, 0.1f, 1.0f, 2.5f, -1.25f, 0.75f };
	float c[4] = { 0.5f, -0.25f, 1.0f, 0.0f };
	float w[4][2] = { { 1, -1 }, { 0.5f, 2 }, { -0.25f, 0 }, { 3, 1 } };
	double t[8], s[2][4], ref[2][2], sum, max;
	float y[2][2];
	struct kfs_args a;
	char io[KFS_IO_BYTES];
	bool ok;
	int i, j, k, ret;

	map_put(skel->maps.io_map, x, sizeof(x));
	map_put(skel->maps.w_map, w, sizeof(w));
	map_put(skel->maps.b_map, c, sizeof(c));

	plan_init(512);
	node_add(KINFER_OP_INPUT, 0, 0, 0, sizeof(x), 0, 0);
	node_add(KINFER_OP_ADD_CONST, 0, 0, 0, 8, 4, 0);
	node_add(KINFER_OP_MUL, 0, 0, 0, 8, 8, 0);
	node_add(KINFER_OP_SIGMOID, 0, 0, 32, 8, 0, 0);
	node_add(KINFER_OP_TANH, 32, 0, 32, 8, 0, 0);
	node_add(KINFER_OP_SOFTMAX, 32, 0, 64, 2, 4, 0);
	node_add(KINFER_OP_MATMUL, 64, 0, 96, 2, 4, 2);
	node_add(KINFER_OP_OUTPUT, 96, 0, 0, sizeof(y), 0, 0)->io_off = 64;

	args_init(&a);
	a.w_sz = sizeof(w);
	a.b_sz = sizeof(c);
	args_calls(&a, 8, KINFER_OP_INPUT, KINFER_OP_ADD_CONST, KINFER_OP_MUL,
		   KINFER_OP_SIGMOID, KINFER_OP_TANH, KINFER_OP_SOFTMAX,
		   KINFER_OP_MATMUL, KINFER_OP_OUTPUT);
	ret = run(&a);
	ok = ret == 0 && a.acquired == 1 && a.pc == 8 && a.err == 0;
	for (i = 0; i < 8; i++)
		ok = ok && a.ret[i] == 0;
	report(ok, "good plan: 8-op chain returns 0 everywhere");
	if (!ok)
		diag("ret %d acq %d pc %u err %d ret %d %d %d %d %d %d %d %d",
		     ret, a.acquired, a.pc, a.err, a.ret[0], a.ret[1],
		     a.ret[2], a.ret[3], a.ret[4], a.ret[5], a.ret[6],
		     a.ret[7]);

	for (i = 0; i < 8; i++) {
		t[i] = x[i] + c[i % 4];
		t[i] = t[i] * t[i];
		t[i] = tanh(1.0 / (1.0 + exp(-t[i])));
	}
	for (i = 0; i < 2; i++) {
		max = t[i * 4];
		for (j = 1; j < 4; j++)
			max = fmax(max, t[i * 4 + j]);
		sum = 0;
		for (j = 0; j < 4; j++)
			sum += s[i][j] = exp(t[i * 4 + j] - max);
		for (j = 0; j < 4; j++)
			s[i][j] /= sum;
		for (j = 0; j < 2; j++) {
			ref[i][j] = 0;
			for (k = 0; k < 4; k++)
				ref[i][j] += s[i][k] * w[k][j];
		}
	}
	map_get(skel->maps.io_map, io, sizeof(io));
	memcpy(y, io + 64, sizeof(y));
	ok = true;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (!close_to(y[i][j], ref[i][j], 1e-5)) {
				diag("y[%d][%d] = %.9g, want %.9g", i, j,
				     y[i][j], ref[i][j]);
				ok = false;
			}
	report(ok, "good plan: chain output matches reference");
}

static void cases_acquire(void)
{
	struct kfs_args a;
	long long err0;

	args_init(&a);

	plan_init(64);
	plan.hdr.magic ^= 1;
	expect_refused("wrong magic", &a);

	plan_init(64);
	plan.hdr.abi_version = KINFER_ABI_VERSION + 1;
	expect_refused("wrong abi_version", &a);

	plan_init(64);
	plan.hdr.reserved[1] = 1;
	expect_refused("header reserved != 0", &a);

	plan_init(64);
	plan.hdr.model_id = model_id + 1000;
	expect_refused("unknown model_id", &a);

	plan_init(64);
	plan.hdr.model_id = 0;
	expect_refused("model_id 0", &a);

	plan_init(64);
	plan.hdr.n_nodes = KINFER_MAX_NODES + 1;
	expect_refused("n_nodes > KINFER_MAX_NODES", &a);

	plan_init(64);
	plan.hdr.n_nodes = 16;
	a.plan_sz = sizeof(struct kinfer_plan) + 15 * sizeof(struct kinfer_node);
	expect_refused("n_nodes beyond plan__sz", &a);
	a.plan_sz = KFS_PLAN_BYTES;

	plan_init(64);
	a.plan_sz = sizeof(struct kinfer_plan) - 4;
	expect_refused("plan__sz smaller than the header", &a);
	a.plan_sz = KFS_PLAN_BYTES;

	plan_init(0xfffffff0U);
	expect_refused("arena_bytes > per-CPU arena", &a);

	err0 = model_stat("errors");
	plan_init(MODEL_ARENA + 4);
	expect_refused("arena_bytes > model's registered arena", &a);
	report(model_stat("errors") == err0 + 1,
	       "refused arena counted in errors");
}

static void cases_nodes(void)
{
	struct kfs_args a;
	struct kinfer_node *n;

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	args_calls(&a, 1, KINFER_OP_INPUT);
	expect_first_fails("op mismatch (plan RELU, called INPUT)", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	n = node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	n->flags = 1;
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("node flags != 0", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	n = node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	n->reserved[0] = 7;
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("node reserved != 0", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 248, 0, 248, 4, 0, 0);
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("arena range past plan arena_bytes", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 0xfffffff0U, 0, 0, 8, 0, 0);
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("arena offset near 4 GiB", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 2, 0, 2, 4, 0, 0);
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("misaligned arena offset", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 0, 0, 0, 0x40000001U, 0, 0);
	args_calls(&a, 1, KINFER_OP_RELU);
	expect_first_fails("count*4 overflows u32", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_SIGMOID, 0, 0, 0, 0, 0, 0);
	args_calls(&a, 1, KINFER_OP_SIGMOID);
	expect_first_fails("zero element count", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_TANH, 0, 0, 4, 8, 0, 0);
	args_calls(&a, 1, KINFER_OP_TANH);
	expect_first_fails("partially overlapping in0/out", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_DENSE, 0, 0, 64, 0x10000, 0x10000, 1);
	args_calls(&a, 1, KINFER_OP_DENSE);
	expect_first_fails("dense M*K*4 overflow", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_DENSE, 0, 0, 64, 1, 3, 4);
	a.w_sz = 3 * 4 * 4 - 4;
	a.b_sz = 4 * 4;
	args_calls(&a, 1, KINFER_OP_DENSE);
	expect_first_fails("dense weight size short by one float", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_DENSE, 0, 0, 64, 1, 3, 4);
	a.w_sz = 3 * 4 * 4 + 4;
	a.b_sz = 4 * 4;
	args_calls(&a, 1, KINFER_OP_DENSE);
	expect_first_fails("dense weight size long by one float", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_DENSE, 0, 0, 64, 1, 3, 4);
	a.w_sz = 3 * 4 * 4;
	a.b_sz = 3 * 4;
	args_calls(&a, 1, KINFER_OP_DENSE);
	expect_first_fails("dense bias size mismatch", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_DENSE, 0, 0, 8, 2, 3, 4);
	a.w_sz = 3 * 4 * 4;
	a.b_sz = 4 * 4;
	args_calls(&a, 1, KINFER_OP_DENSE);
	expect_first_fails("dense output overlaps input", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_MATMUL, 0, 0, 64, 1, 3, 4);
	a.w_sz = 0;
	args_calls(&a, 1, KINFER_OP_MATMUL);
	expect_first_fails("matmul zero-size weights", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_INPUT, 0, 0, 0, 8, 0, 0)->io_off = KFS_IO_BYTES - 4;
	args_calls(&a, 1, KINFER_OP_INPUT);
	expect_first_fails("input io_off + bytes > io__sz", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_INPUT, 0, 0, 0, 64, 0, 0);
	a.io_sz = 60;
	args_calls(&a, 1, KINFER_OP_INPUT);
	expect_first_fails("input bytes > io__sz", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_OUTPUT, 0, 0, 0, 8, 0, 0)->io_off = 0xfffffffcU;
	args_calls(&a, 1, KINFER_OP_OUTPUT);
	expect_first_fails("output io_off wraps", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_ADD, 0, 64, 0, 6, 4, 0);
	args_calls(&a, 1, KINFER_OP_ADD);
	expect_first_fails("add: in1 count does not divide in0", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_MUL, 0, 240, 0, 8, 8, 0);
	args_calls(&a, 1, KINFER_OP_MUL);
	expect_first_fails("mul: in1 past arena", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_ADD_CONST, 0, 0, 0, 8, 4, 0);
	a.b_sz = 8;
	args_calls(&a, 1, KINFER_OP_ADD_CONST);
	expect_first_fails("add_const: C size mismatch", &a, -EINVAL);

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_SOFTMAX, 0, 0, 16, 2, 4, 0);
	args_calls(&a, 1, KINFER_OP_SOFTMAX);
	expect_first_fails("softmax output overlaps input", &a, -EINVAL);

	/* pc runs past n_nodes */
	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	args_calls(&a, 3, KINFER_OP_RELU, KINFER_OP_RELU, KINFER_OP_RELU);
	{
		int ret = run(&a);
		bool ok = ret == 0 && a.acquired && a.ret[0] == 0 &&
			  a.ret[1] == -EINVAL && a.ret[2] == -ECANCELED &&
			  a.pc == 1 && a.err == -EINVAL;

		report(ok, "call past the last node -> -EINVAL");
		if (!ok)
			diag("ret %d %d %d %d pc %u err %d", ret, a.ret[0],
			     a.ret[1], a.ret[2], a.pc, a.err);
	}
}

static void case_short_run(void)
{
	long long calls0 = model_stat("calls"), err0 = model_stat("errors");
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	node_add(KINFER_OP_RELU, 0, 0, 0, 4, 0, 0);
	args_calls(&a, 1, KINFER_OP_RELU);
	ret = run(&a);
	report(ret == 0 && a.acquired && a.ret[0] == 0 && a.pc == 1 &&
	       model_stat("calls") == calls0 + 1 &&
	       model_stat("errors") == err0 + 1,
	       "release before the last node counts an error");
}

static void case_double_acquire(void)
{
	long long busy0 = model_stat("busy");
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(64);
	ret = prog_run(skel->progs.double_acquire, &a);
	report(ret == 0 && a.acquired == 1,
	       "second acquire on the same CPU returns NULL");
	if (ret || a.acquired != 1)
		diag("ret %d acquired %d", ret, a.acquired);
	report(model_stat("busy") == busy0 + 1, "busy acquire counted");

	/* And the context is free again afterwards. */
	args_init(&a);
	plan_init(64);
	ret = run(&a);
	report(ret == 0 && a.acquired == 1, "context free after release");
}

static void case_null_io(void)
{
	struct kfs_args a;
	int ret;

	args_init(&a);
	plan_init(256);
	node_add(KINFER_OP_INPUT, 0, 0, 0, 16, 0, 0);
	ret = prog_run(skel->progs.null_io, &a);
	report(ret == 0 && a.acquired == 1 && a.ret[0] == -EINVAL &&
	       a.ret[1] == -ECANCELED && a.err == -EINVAL,
	       "NULL io buffer (size 0) -> -EINVAL");
	if (ret || a.ret[0] != -EINVAL)
		diag("ret %d acquired %d ret[0] %d ret[1] %d err %d", ret,
		     a.acquired, a.ret[0], a.ret[1], a.err);
}

static void cases_sysfs(void)
{
	char big[64];
	long long arena = sysfs_read_ll("%s", SYSFS "/arena_bytes");

	report(sysfs_write(SYSFS "/register", MODEL " 16\n") == -EEXIST,
	       "register duplicate name -> EEXIST");
	report(sysfs_write(SYSFS "/register", "bad/name 16\n") == -EINVAL,
	       "register bad name -> EINVAL");
	report(sysfs_write(SYSFS "/register", " 16\n") == -EINVAL,
	       "register empty name -> EINVAL");
	report(sysfs_write(SYSFS "/register",
			   "a23456789012345678901234567890123 16\n") == -EINVAL,
	       "register name longer than KINFER_NAME_MAX -> EINVAL");
	report(sysfs_write(SYSFS "/register", "noarena\n") == -EINVAL,
	       "register without arena_bytes -> EINVAL");
	snprintf(big, sizeof(big), "toobig %lld\n", arena + 1);
	report(sysfs_write(SYSFS "/register", big) == -E2BIG,
	       "register arena_bytes > arena -> E2BIG");
	report(sysfs_write(SYSFS "/unregister", "nosuchmodel\n") == -ENOENT,
	       "unregister unknown -> ENOENT");
	report(sysfs_write(SYSFS "/register", "kfs_tmp 16\n") == 0 &&
	       sysfs_read_ll("%s", SYSFS "/models/kfs_tmp/arena_bytes") == 16 &&
	       sysfs_write(SYSFS "/unregister", "kfs_tmp\n") == 0 &&
	       access(SYSFS "/models/kfs_tmp", F_OK) != 0,
	       "register + unregister round trip");
}

/*
 * A context that did not come from kinfer_ctx_acquire() (here: the argument
 * of an fexit program on kinfer_ctx_release, a finished run) must not reach
 * a compute kfunc: the verifier refuses the program.
 */
static void case_stale_ctx_refused(void)
{
	static char log[64 * 1024];
	struct kfunc_bounds_bpf *s = kfunc_bounds_bpf__open();
	struct bpf_program *p;
	int err;

	if (!s) {
		report(0, "open a second kfunc_bounds object");
		return;
	}
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, p == s->progs.stale_ctx);
	bpf_program__set_log_buf(s->progs.stale_ctx, log, sizeof(log));
	bpf_program__set_log_level(s->progs.stale_ctx, 1);
	err = kfunc_bounds_bpf__load(s);
	report(err && strstr(log, "must be referenced"),
	       "compute kfunc refuses a context not from acquire");
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
	node_add(KINFER_OP_INPUT, 0, 0, 64, sizeof(x), 0, 0)->io_off = 0;
	node_add(KINFER_OP_OUTPUT, 64, 0, 0, sizeof(x), 0, 0)->io_off = 64;
	args_init(&a);
	args_calls(&a, 2, KINFER_OP_INPUT, KINFER_OP_OUTPUT);
	ret = run(&a);
	map_get(skel->maps.io_map, io, sizeof(io));
	written = ret == 0 && a.err == 0 && !memcmp(io + 64, x, sizeof(x));

	memset(io, 0xff, sizeof(io));
	map_put(skel->maps.io_map, io, sizeof(io));
	plan_init(256);
	node_add(KINFER_OP_OUTPUT, 64, 0, 0, sizeof(x), 0, 0)->io_off = 0;
	args_init(&a);
	args_calls(&a, 1, KINFER_OP_OUTPUT);
	ret = run(&a);
	map_get(skel->maps.io_map, io, sizeof(io));
	for (i = 0; i < sizeof(x); i++)
		zero = zero && io[i] == 0;
	report(written && ret == 0 && a.err == 0 && zero,
	       "a run reads zeros, not the previous run's activations");
	if (!written || !zero)
		diag("first run ok %d, second ret %d err %d, io[0] %02x",
		     written, ret, a.err, (unsigned char)io[0]);
	sched_setaffinity(0, sizeof(all), &all);
}

/* After unregister, a plan with the old id must not acquire. */
static void case_stale_id(void)
{
	struct kfs_args a;

	sysfs_write(SYSFS "/unregister", MODEL "\n");
	args_init(&a);
	plan_init(64);
	expect_refused("model_id of an unregistered model", &a);
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

	case_good_dense();
	case_good_chain();
	cases_acquire();
	cases_nodes();
	case_short_run();
	case_double_acquire();
	case_null_io();
	cases_sysfs();
	case_stale_ctx_refused();
	case_arena_cleared();
	case_stale_id();

	kfunc_bounds_bpf__destroy(skel);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
