// SPDX-License-Identifier: GPL-2.0
#include "load.h"

#include "bpf_util.h"
#include "emit.h"
#include "error.h"
#include "module.h"

#include <cerrno>
#include <ctime>
#include <optional>
#include <sys/stat.h>

namespace kinfer {

namespace {

// Removes a model's pin directory unless committed.
class PinDir {
public:
	explicit PinDir(std::string dir) : dir_(std::move(dir)) {}
	~PinDir()
	{
		if (!committed_ && created_)
			remove_tree(dir_);
	}
	PinDir(const PinDir &) = delete;
	PinDir &operator=(const PinDir &) = delete;

	void create()
	{
		make_dirs(dir_.substr(0, dir_.rfind('/')));
		if (mkdir(dir_.c_str(), 0700) != 0)
			throw KernelError(errno == EEXIST ? "a model named '" + name() +
								   "' is already loaded (kinfer unload " +
								   name() + " first)"
							 : "cannot create " + dir_ + ": " + errno_name(errno));
		created_ = true;
	}
	void pin(int fd, const std::string &rel)
	{
		std::string path = dir_ + "/" + rel;
		make_dirs(path.substr(0, path.rfind('/')));
		obj_pin(fd, path);
	}
	void commit() { committed_ = true; }

private:
	std::string name() const { return dir_.substr(dir_.rfind('/') + 1); }
	std::string dir_;
	bool created_ = false, committed_ = false;
};

struct Maps {
	Fd config, io, meta;
	std::vector<Fd> weights;
};

Maps create_maps(const Compiled &c, uint32_t model_id, const std::string &meta)
{
	Maps m;
	std::vector<uint8_t> plan = plan_config(c.plan, model_id);
	m.config = map_create_array(own_map_name(kConfigMap, c.model), (uint32_t)plan.size(), 1);
	map_fill(m.config.get(), plan.data(), "config", true);
	// Integer and bool weights with a map of their own carry BTF, so
	// `bpftool map dump` prints their values.  Float weights do not:
	// neither 6.1's bpffs printer (btf_df_show) nor Debian's bpftool 7.1 can
	// print a BTF_KIND_FLOAT value, and bpftool -j would emit invalid JSON
	// for it; their bytes dump as hex, and `kinfer dump` prints them.
	const std::vector<WeightMap> &wmaps = c.plan.wmaps;
	MapBtf btf;
	std::vector<MapTypes> types(wmaps.size());
	for (size_t k = 0; k < wmaps.size(); k++) {
		const HostTensor &t = c.lowered.weights[wmaps[k].weights[0]].t;
		if (!wmaps[k].packed && t.dtype != DType::f32)
			types[k].value = btf.array_of(t.dtype, t.numel());
	}
	for (MapTypes &t : types)	// every type added: now load the BTF
		if (t.value) {
			t.btf_fd = btf.fd();
			t.key = btf.key_type();
		}
	for (size_t k = 0; k < wmaps.size(); k++) {
		std::vector<uint8_t> value = weight_map_value(c.lowered, c.plan, k);
		Fd fd = map_create_array(c.names[k].map_name, (uint32_t)value.size(), 1, types[k]);
		map_fill(fd.get(), value.data(), "'" + c.names[k].map_name + "'", true);
		m.weights.push_back(std::move(fd));
	}
	m.io = map_create_array(own_map_name(kIoMap, c.model), c.plan.io_bytes, (uint32_t)possible_cpus());
	m.meta = map_create_array(own_map_name(kMetaMap, c.model), (uint32_t)meta.size(), 1);
	map_fill(m.meta.get(), meta.data(), "meta", true);
	return m;
}

std::string meta_json(const Compiled &c, uint32_t model_id)
{
	nlohmann::json m = make_manifest(c);
	m["model_id"] = model_id;
	m["loaded_at"] = (uint64_t)time(nullptr);
	for (auto &mp : m["maps"])
		if (mp["role"] == kIoMap.role)
			mp["max_entries"] = possible_cpus();
	return m.dump();
}

void check_limits(const Compiled &c)
{
	uint64_t have = module_arena_bytes();
	if (c.plan.arena_bytes > have)
		throw KernelError(c.file + ": the model needs " + std::to_string(c.plan.arena_bytes) +
				  " arena bytes per CPU but kinfer.ko has " + std::to_string(have) +
				  " (/sys/kernel/kinfer/arena_bytes; raise the module's arena_kib parameter)");
	uint64_t budget = module_budget_sleepable();
	if (c.plan.work > budget)
		throw KernelError(c.file + ": one run of the model needs " + std::to_string(c.plan.work) +
				  " work units but kinfer.ko allows " + std::to_string(budget) +
				  " per run (module parameter budget_sleepable, "
				  "/sys/module/kinfer/parameters/budget_sleepable)");
}

} // namespace

LoadResult load_model(const Compiled &c)
{
	require_module();
	check_model_name(c.model);
	check_limits(c);
	ensure_bpffs();
	// Declared first so it is undone last: pins go before unregistering.
	std::optional<Registration> reg;
	PinDir pins(model_pin_dir(c.model));
	pins.create();
	ModuleBtf btf = resolve_kfuncs("kinfer", plan_kfuncs(c.lowered));
	if (model_registered(c.model))
		throw KernelError("a model named '" + c.model + "' is already registered with kinfer.ko "
				  "(kinfer unload " + c.model + ")");
	reg.emplace(c.model, c.plan.arena_bytes);
	Maps maps = create_maps(c, reg->id(), meta_json(c, reg->id()));

	EmitEnv env;
	env.config_fd = maps.config.get();
	env.io_fd = maps.io.get();
	for (const Fd &w : maps.weights)
		env.weight_fd.push_back(w.get());
	env.btf_id = btf.ids;
	env.btf_fd_slot = 1;
	std::vector<bpf_insn> insns = emit_syscall_program(c.lowered, c.plan, env);
	// fd_array[0] is vmlinux (unused); [1] is the module's BTF.
	std::vector<int> fd_array{-1, btf.fd.get()};
	Fd prog = prog_load(BPF_PROG_TYPE_SYSCALL, prog_name(c.model), insns, fd_array,
			    BPF_F_SLEEPABLE);

	pins.pin(prog.get(), kProgPin);
	pins.pin(maps.config.get(), kConfigMap.role);
	pins.pin(maps.io.get(), kIoMap.role);
	pins.pin(maps.meta.get(), kMetaMap.role);
	for (size_t w = 0; w < maps.weights.size(); w++)
		pins.pin(maps.weights[w].get(), c.names[w].pin_rel);

	LoadResult r;
	r.model_id = reg->id();
	r.prog_id = prog_info(prog.get()).id;
	r.insns = insns.size();
	pins.commit();
	reg->commit();
	return r;
}

} // namespace kinfer
