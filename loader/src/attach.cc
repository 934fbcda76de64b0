// SPDX-License-Identifier: GPL-2.0
#include "attach.h"

#include "error.h"
#include "naming.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <memory>

namespace kinfer {

namespace {

struct BtfFree {
	void operator()(btf *b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfFree>;

const LPort *output_named(const Lowered &l, const std::string &name, size_t *index)
{
	for (size_t i = 0; i < l.outputs.size(); i++)
		if (l.outputs[i].name == name) {
			*index = i;
			return &l.outputs[i];
		}
	return nullptr;
}

// The EXT program's own BTF: int kinfer_pipeline_call(struct kinfer_call *).
// The kernel matches it against the target function by argument count,
// kinds and struct name.
struct CallBtf {
	BtfPtr btf;
	uint32_t func_id = 0;
};

CallBtf call_btf(const std::string &func)
{
	CallBtf r;
	r.btf.reset(btf__new_empty());
	btf *b = r.btf.get();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int call = btf__add_struct(b, "kinfer_call", sizeof(kinfer_call));
	int ptr = btf__add_ptr(b, call);
	int proto = btf__add_func_proto(b, i32);
	int err = std::min({i32, call, ptr, proto});
	if (err >= 0)
		err = btf__add_func_param(b, "call", ptr);
	int fn = err >= 0 ? btf__add_func(b, func.c_str(), BTF_FUNC_GLOBAL, proto) : err;
	if (fn < 0 || (err = btf__load_into_kernel(b)) < 0)
		throw KernelError(sys_error("cannot build the BTF of " + func, fn < 0 ? -fn : -err));
	r.func_id = (uint32_t)fn;
	return r;
}

// The BTF id of `func` in the target program, which must be global.
uint32_t target_func(int prog_fd, const AttachSpec &spec)
{
	ProgInfo info = prog_info(prog_fd);
	if (!info.btf_id)
		throw KernelError(spec.prog_pin + ": the program has no BTF (build it with clang -g)");
	BtfPtr b(btf__load_from_kernel_by_id(info.btf_id));
	if (!b)
		throw KernelError(sys_error(spec.prog_pin + ": cannot read its BTF", errno));
	int id = btf__find_by_name_kind(b.get(), spec.func.c_str(), BTF_KIND_FUNC);
	if (id < 0)
		throw KernelError(spec.prog_pin + ": the program has no function '" + spec.func + "'");
	// A FUNC's linkage is kept in its vlen bits.
	if (btf_vlen(btf__type_by_id(b.get(), id)) != BTF_FUNC_GLOBAL)
		throw KernelError(spec.prog_pin + ": '" + spec.func +
				  "' is static; only global functions can be replaced");
	return (uint32_t)id;
}

} // namespace

AttachSpec parse_attach(const std::string &spec)
{
	AttachSpec a;
	size_t colon = spec.rfind(':');
	a.prog_pin = spec.substr(0, colon);
	if (colon != std::string::npos)
		a.func = spec.substr(colon + 1);
	if (a.prog_pin.empty() || a.func.empty())
		throw UsageError("--attach takes PINNED_PROGRAM[:FUNCTION], not '" + spec + "'");
	return a;
}

bool is_max_tokens_input(const std::string &name, DType dtype, const Shape &shape)
{
	return name == "max_tokens" && dtype == DType::i32 && shape_numel(shape) == 1;
}

CallLayout call_layout(const Compiled &c)
{
	const Lowered &l = c.lowered;
	auto fail = [&](const std::string &why) {
		throw ModelError(c.file + ": cannot be called from BPF (kinfer_pipeline_call): " + why);
	};
	if (l.inputs.empty() || l.inputs.size() > 2 || l.inputs[0].dtype != DType::u8 ||
	    c.plan.input_io_off[0] != 0)
		fail("its inputs must be the text (uint8) and, optionally, max_tokens (one int32)");
	CallLayout layout;
	if (l.inputs.size() == 2) {
		const LPort &k = l.inputs[1];
		if (!is_max_tokens_input(k.name, k.dtype, k.shape))
			fail("its second input must be max_tokens, one int32, not '" + k.name + "'");
		layout.max_tokens_off = c.plan.input_io_off[1];
	}
	if (l.inputs[0].bytes > KINFER_CALL_TEXT_BYTES)
		fail("its text input has " + std::to_string(l.inputs[0].bytes) + " bytes, more than " +
		     std::to_string(KINFER_CALL_TEXT_BYTES));
	if (c.plan.io_bytes > KINFER_CALL_IO_BYTES)
		fail("its inputs and outputs take " + std::to_string(c.plan.io_bytes) + " bytes, more than " +
		     std::to_string(KINFER_CALL_IO_BYTES));
	size_t li = 0, si = 0;
	const LPort *label = output_named(l, "label", &li), *score = output_named(l, "score", &si);
	if (!label || shape_numel(label->shape) != 1 ||
	    (label->dtype != DType::i32 && label->dtype != DType::i64))
		fail("it needs an output 'label' of one int32 or int64");
	if (!score || shape_numel(score->shape) != 1 || score->dtype != DType::f32)
		fail("it needs an output 'score' of one float32");
	layout.label_off = c.plan.output_io_off[li];
	layout.score_off = c.plan.output_io_off[si];
	return layout;
}

Fd attach_call(const Compiled &c, const EmitEnv &env, int module_btf_fd, const AttachSpec &spec)
{
	CallLayout layout = call_layout(c);
	Fd target = obj_get(spec.prog_pin);
	uint32_t target_id = target_func(target.get(), spec);
	CallBtf own = call_btf(spec.func);
	ProgTarget t{btf__fd(own.btf.get()), own.func_id, target.get(), target_id};
	std::vector<int> fd_array{-1, module_btf_fd};
	Fd prog = prog_load(BPF_PROG_TYPE_EXT, prog_name(c.model), emit_call_program(c.lowered, c.plan, env, layout),
			    fd_array, 0, &t);
	// The kernel takes no attach type for an EXT program's link.
	LIBBPF_OPTS(bpf_link_create_opts, opts, .target_btf_id = target_id);
	int link = bpf_link_create(prog.get(), target.get(), (bpf_attach_type)0, &opts);
	if (link < 0)
		throw KernelError(sys_error("cannot attach model '" + c.model + "' to " + spec.prog_pin + " (" +
					    spec.func + ")", -link));
	return Fd(link);
}

} // namespace kinfer
