// SPDX-License-Identifier: GPL-2.0
#include "load.h"

#include "attach.h"

#include "bpf_util.h"
#include "emit.h"
#include "error.h"
#include "module.h"
#include "ops.h"
#include "runtime.h"

#include <cerrno>
#include <ctime>
#include <map>
#include <optional>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	const std::string &path() const { return dir_; }

private:
	std::string name() const { return dir_.substr(dir_.rfind('/') + 1); }
	std::string dir_;
	bool created_ = false, committed_ = false;
};

struct Maps {
	Fd config, io, meta;
	std::vector<Fd> weights;
};

// The map pinned at `path` if it holds exactly `value` (one entry), else
// an invalid Fd: a weight of the same name but other bytes (a constant the
// two models folded differently) gets a map of its own.
Fd same_weight_map(const std::string &path, const std::vector<uint8_t> &value)
{
	if (!path_exists(path))
		return Fd();
	Fd fd = obj_get(path);
	MapInfo info = map_info(fd.get());
	if (info.max_entries != 1 || info.value_size != value.size())
		return Fd();
	if (map_lookup(fd.get(), 0, info.value_size) != value)
		return Fd();
	return fd;
}

Maps create_maps(const Compiled &c, uint32_t model_id, const std::string &meta,
		 const std::string &share_dir, size_t *shared)
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
		if (!share_dir.empty() && !wmaps[k].packed) {
			Fd fd = same_weight_map(share_dir + "/" + c.names[k].pin_rel, value);
			if (fd) {
				m.weights.push_back(std::move(fd));
				++*shared;
				continue;
			}
		}
		Fd fd = map_create_array(c.names[k].map_name, (uint32_t)value.size(), 1, types[k]);
		map_fill(fd.get(), value.data(), "'" + c.names[k].map_name + "'", true);
		m.weights.push_back(std::move(fd));
	}
	m.io = map_create_array(own_map_name(kIoMap, c.model), c.plan.io_bytes, (uint32_t)possible_cpus());
	m.meta = map_create_array(own_map_name(kMetaMap, c.model), (uint32_t)meta.size(), 1);
	map_fill(m.meta.get(), meta.data(), "meta", true);
	return m;
}

std::string meta_json(const Compiled &c, uint32_t model_id, const nlohmann::json &pipeline)
{
	nlohmann::json m = make_manifest(c);
	if (!pipeline.is_null())
		m["pipeline"] = pipeline;
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

// Create the maps (filled), load the program and pin them all under `pins`.
LoadResult build_into(PinDir &pins, const Compiled &c, uint32_t model_id, const std::string &share_dir,
		      const LoadOptions &opts)
{
	const std::string &attach = opts.attach;
	std::vector<std::string> kfuncs = plan_kfuncs(c.lowered);
	std::optional<AttachSpec> call;
	if (!attach.empty()) {
		call = parse_attach(attach);
		call_layout(c);		// before anything is created
		kfuncs.push_back(kKfuncAcquireAuto);
	}
	ModuleBtf btf = resolve_kfuncs("kinfer", kfuncs);
	size_t shared = 0;
	Maps maps = create_maps(c, model_id, meta_json(c, model_id, opts.pipeline), share_dir, &shared);

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
	if (call) {
		Fd link = attach_call(c, env, btf.fd.get(), *call);
		pins.pin(link.get(), kCallPin);
	}

	LoadResult r;
	r.model_id = model_id;
	r.prog_id = prog_info(prog.get()).id;
	r.insns = insns.size();
	r.shared_weights = shared;
	return r;
}

std::string share_dir_of(const LoadOptions &opts)
{
	return opts.share_weights_from.empty() ? "" : loaded_dir(opts.share_weights_from);
}

// A swap keeps the model's interface: callers hold inputs and outputs of
// these names, dtypes and shapes.
void check_same_interface(const Compiled &c, const nlohmann::json &live)
{
	nlohmann::json next = make_manifest(c);
	for (const char *kind : {"inputs", "outputs"}) {
		const nlohmann::json &a = live.at(kind), &b = next.at(kind);
		bool same = a.size() == b.size();
		for (size_t i = 0; same && i < a.size(); i++)
			same = a[i].at("name") == b[i].at("name") && a[i].at("dtype") == b[i].at("dtype") &&
			       a[i].at("shape") == b[i].at("shape");
		if (!same)
			throw ModelError(c.file + ": its " + kind + " " + b.dump() + " differ from those of the " +
					 "loaded model '" + c.model + "': " + a.dump() +
					 "; a swap keeps the interface (unload and load instead)");
	}
}

} // namespace

LoadResult load_model(const Compiled &c, const LoadOptions &opts)
{
	require_module();
	check_model_name(c.model);
	check_limits(c);
	ensure_bpffs();
	// Declared first so it is undone last: pins go before unregistering.
	std::optional<Registration> reg;
	PinDir pins(model_pin_dir(c.model));
	pins.create();
	std::string share_dir = share_dir_of(opts);
	if (model_registered(c.model))
		throw KernelError("a model named '" + c.model + "' is already registered with kinfer.ko "
				  "(kinfer unload " + c.model + ")");
	reg.emplace(c.model, c.plan.arena_bytes);
	LoadResult r = build_into(pins, c, reg->id(), share_dir, opts);
	pins.commit();
	reg->commit();
	return r;
}

LoadResult swap_model(const Compiled &c, const LoadOptions &opts)
{
	require_module();
	check_limits(c);
	Fd swapping = lock_model(c.model, ".swap");	// one swap of a model at a time
	std::string live = loaded_dir(c.model);
	if (path_exists(live + "/" + kCallPin))
		throw KernelError("model '" + c.model + "' is attached to a BPF program (" + live + "/" +
				  kCallPin + "): unload and load it again instead of swapping");
	if (!opts.attach.empty())
		throw UsageError("swap keeps a model's attachments: --attach is for load");
	nlohmann::json meta = read_meta(live);
	check_same_interface(c, meta);
	std::map<std::string, std::string> attrs = model_attributes(c.model);
	if (!attrs.count("id") || !attrs.count("arena_bytes"))
		throw KernelError("model '" + c.model + "' is pinned but not registered with kinfer.ko "
				  "(kinfer unload " + c.model + " and load it again)");
	uint64_t registered_arena = std::stoull(attrs.at("arena_bytes"));
	if (c.plan.arena_bytes > registered_arena)
		throw ModelError(c.file + ": needs " + std::to_string(c.plan.arena_bytes) +
				 " arena bytes, more than the " + std::to_string(registered_arena) +
				 " model '" + c.model + "' was registered with (unload and load instead)");
	uint32_t model_id = (uint32_t)std::stoul(attrs.at("id"));

	// Build the new version beside the live one (bpffs refuses '.' in
	// names, so the staging tree is a sibling of the pin root), then
	// exchange the two directories in one rename under the model's run
	// lock: a run sees all of the old model or all of the new.
	std::string staging_dir = std::string(kPinRoot) + "-swap/" + c.model;
	if (path_exists(staging_dir))	// left by a swap that was killed midway
		remove_tree(staging_dir);
	PinDir staging(staging_dir);
	staging.create();
	LoadOptions keep = opts;
	if (keep.pipeline.is_null() && meta.contains("pipeline"))
		keep.pipeline = meta["pipeline"];
	LoadResult r = build_into(staging, c, model_id, share_dir_of(opts), keep);
	{
		Fd lock = lock_model(c.model);
		if (syscall(SYS_renameat2, AT_FDCWD, staging.path().c_str(), AT_FDCWD, live.c_str(),
			    RENAME_EXCHANGE) != 0)
			throw KernelError("cannot exchange " + staging.path() + " with " + live + ": " +
					  errno_name(errno));
	}
	// staging now holds the old version: its destructor unpins it; runs
	// still executing it keep their references until they finish.
	return r;
}

} // namespace kinfer
