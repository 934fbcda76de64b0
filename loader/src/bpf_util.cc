// SPDX-License-Identifier: GPL-2.0
#include "bpf_util.h"

#include "error.h"
#include "naming.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

namespace kinfer {

void Fd::reset()
{
	if (fd_ >= 0)
		close(fd_);
	fd_ = -1;
}

std::string sys_error(const std::string &what, int err)
{
	return what + ": " + errno_name(err);
}

namespace {

// The fd of the kernel BTF object named `module`.
Fd module_btf_fd(const char *module)
{
	uint32_t id = 0;
	while (bpf_btf_get_next_id(id, &id) == 0) {
		Fd fd(bpf_btf_get_fd_by_id(id));
		if (!fd)
			continue;
		char name[64] = "";
		bpf_btf_info info{};
		uint32_t len = sizeof(info);
		info.name = (uint64_t)(uintptr_t)name;
		info.name_len = sizeof(name);
		if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) == 0 && info.kernel_btf &&
		    std::strcmp(name, module) == 0)
			return fd;
	}
	throw KernelError(std::string("no kernel BTF object for module '") + module +
			  "' (is the module loaded and built with BTF?)");
}

} // namespace

ModuleBtf resolve_kfuncs(const char *module, const std::vector<std::string> &kfuncs)
{
	ModuleBtf m;
	std::unique_ptr<btf, void (*)(btf *)> vmlinux(btf__load_vmlinux_btf(), btf__free);
	if (!vmlinux)
		throw KernelError(sys_error("cannot load vmlinux BTF (/sys/kernel/btf/vmlinux)", errno));
	std::unique_ptr<btf, void (*)(btf *)> mod(btf__load_module_btf(module, vmlinux.get()),
						  btf__free);
	if (!mod)
		throw KernelError(sys_error(std::string("cannot load BTF of module '") + module +
					    "' (/sys/kernel/btf/" + module + ")", errno));
	for (const std::string &name : kfuncs) {
		int id = btf__find_by_name_kind(mod.get(), name.c_str(), BTF_KIND_FUNC);
		if (id <= 0)
			throw KernelError("the model needs kfunc " + name + ", which module '" + module +
					  "' does not have (a kinfer.ko older than this loader?)");
		m.ids[name] = id;
	}
	m.fd = module_btf_fd(module);
	return m;
}

MapBtf::MapBtf() : btf_(btf__new_empty())
{
	if (!btf_)
		throw KernelError(sys_error("cannot create BTF", errno));
	int id = btf__add_int(btf_, "unsigned int", 4, 0);
	if (id < 0)
		throw KernelError(sys_error("cannot add a BTF int type", -id));
	key_ = (uint32_t)id;
}

MapBtf::~MapBtf()
{
	btf__free(btf_);
}

uint32_t MapBtf::array_of(DType t, uint64_t n)
{
	auto it = elem_.find(t);
	int elem;
	if (it != elem_.end()) {
		elem = (int)it->second;
	} else {
		switch (t) {
		case DType::f32:
			elem = btf__add_float(btf_, "float", 4);
			break;
		case DType::i32:
			elem = btf__add_int(btf_, "int", 4, BTF_INT_SIGNED);
			break;
		case DType::i64:
			elem = btf__add_int(btf_, "long long", 8, BTF_INT_SIGNED);
			break;
		default:
			elem = btf__add_int(btf_, "_Bool", 1, BTF_INT_BOOL);
			break;
		}
		if (elem < 0)
			throw KernelError(sys_error("cannot add a BTF element type", -elem));
		elem_[t] = (uint32_t)elem;
	}
	int id = btf__add_array(btf_, (int)key_, elem, (uint32_t)n);
	if (id < 0)
		throw KernelError(sys_error("cannot add a BTF array type", -id));
	return (uint32_t)id;
}

int MapBtf::fd()
{
	if (!fd_) {
		if (int err = btf__load_into_kernel(btf_))
			throw KernelError(sys_error("cannot load the weight maps' BTF", -err));
		fd_ = Fd(dup(btf__fd(btf_)));
	}
	return fd_.get();
}

Fd map_create_array(const std::string &name, uint32_t value_size, uint32_t max_entries,
		    const MapTypes &types)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	if (types.btf_fd >= 0) {
		opts.btf_fd = (uint32_t)types.btf_fd;
		opts.btf_key_type_id = types.key;
		opts.btf_value_type_id = types.value;
	}
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name.c_str(), sizeof(uint32_t), value_size,
				max_entries, &opts);
	if (fd < 0)
		throw KernelError(sys_error("cannot create map '" + name + "' (" +
					    std::to_string(value_size) + " bytes x " +
					    std::to_string(max_entries) + ")", -fd));
	return Fd(fd);
}

void map_fill(int fd, const void *value, const std::string &what, bool freeze)
{
	uint32_t key = 0;
	int err = bpf_map_update_elem(fd, &key, value, BPF_ANY);
	if (err)
		throw KernelError(sys_error("cannot fill map " + what, -err));
	if (freeze && (err = bpf_map_freeze(fd)))
		throw KernelError(sys_error("cannot freeze map " + what, -err));
}

static std::string log_tail(const std::string &log, size_t lines)
{
	size_t pos = log.size();
	while (pos > 0 && (log[pos - 1] == '\n' || log[pos - 1] == '\0'))
		pos--;
	size_t end = pos;
	for (size_t n = 0; n < lines && pos > 0; n++) {
		size_t nl = log.rfind('\n', pos - 1);
		pos = nl == std::string::npos ? 0 : nl;
		if (!pos)
			break;
	}
	return log.substr(pos ? pos + 1 : 0, end - (pos ? pos + 1 : 0));
}

Fd prog_load(bpf_prog_type type, const std::string &name, const std::vector<bpf_insn> &insns,
	     const std::vector<int> &fd_array, uint32_t prog_flags, const ProgTarget *target)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	opts.prog_flags = prog_flags;
	opts.fd_array = fd_array.data();
	bpf_func_info func{};
	if (target) {
		func.type_id = target->func_type_id;
		opts.prog_btf_fd = (uint32_t)target->btf_fd;
		opts.func_info = &func;
		opts.func_info_cnt = 1;
		opts.func_info_rec_size = sizeof(func);
		opts.attach_prog_fd = (uint32_t)target->target_fd;
		opts.attach_btf_id = target->target_btf_id;
	}
	int fd = bpf_prog_load(type, name.c_str(), "GPL", insns.data(), insns.size(), &opts);
	if (fd >= 0)
		return Fd(fd);
	int err = -fd;
	// Load again with the verifier log to say why.
	std::string log(16u << 20, '\0');
	opts.log_level = 1;
	opts.log_buf = log.data();
	opts.log_size = (uint32_t)log.size();
	fd = bpf_prog_load(type, name.c_str(), "GPL", insns.data(), insns.size(), &opts);
	if (fd >= 0)
		return Fd(fd);
	log.resize(std::strlen(log.c_str()));
	std::string msg = sys_error("the kernel refused program '" + name + "' (" +
				    std::to_string(insns.size()) + " insns)", err);
	if (!log.empty())
		msg += "\nverifier log (last lines):\n" + log_tail(log, 40);
	throw KernelError(msg);
}

void obj_pin(int fd, const std::string &path)
{
	int err = bpf_obj_pin(fd, path.c_str());
	if (err)
		throw KernelError(sys_error("cannot pin " + path, -err));
}

Fd obj_get(const std::string &path)
{
	int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		throw KernelError(sys_error("cannot open pinned object " + path, -fd));
	return Fd(fd);
}

bool path_exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

void ensure_bpffs()
{
	struct statfs fs;
	if (statfs(kBpffsRoot, &fs) == 0 && (uint64_t)fs.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", kBpffsRoot, "bpf", 0, "mode=0700") != 0)
		throw KernelError(sys_error(std::string("bpffs is not mounted on ") + kBpffsRoot +
					    " and mounting it failed", errno));
}

void make_dirs(const std::string &path)
{
	for (size_t s = 1; s != std::string::npos;) {
		s = path.find('/', s + 1);
		std::string p = path.substr(0, s);
		if (mkdir(p.c_str(), 0700) != 0 && errno != EEXIST)
			throw KernelError(sys_error("cannot create directory " + p, errno));
	}
}

bool remove_tree(const std::string &path)
{
	struct stat st;
	if (lstat(path.c_str(), &st) != 0)
		return errno == ENOENT;
	bool ok = true;
	if (S_ISDIR(st.st_mode)) {
		if (DIR *d = opendir(path.c_str())) {
			while (dirent *e = readdir(d)) {
				std::string n = e->d_name;
				if (n != "." && n != "..")
					ok &= remove_tree(path + "/" + n);
			}
			closedir(d);
		}
		return rmdir(path.c_str()) == 0 && ok;
	}
	return unlink(path.c_str()) == 0;
}

int possible_cpus()
{
	int n = libbpf_num_possible_cpus();
	if (n <= 0)
		throw KernelError(sys_error("cannot count possible CPUs", -n));
	return n;
}

ProgInfo prog_info(int fd)
{
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	ProgInfo r;
	if (int err = bpf_obj_get_info_by_fd(fd, &info, &len))
		throw KernelError(sys_error("cannot query program", -err));
	r.id = info.id;
	r.btf_id = info.btf_id;
	r.xlated_insns = info.xlated_prog_len / sizeof(bpf_insn);
	r.jited_bytes = info.jited_prog_len;
	r.run_cnt = info.run_cnt;
	r.run_time_ns = info.run_time_ns;
	r.name = info.name;
	return r;
}

MapInfo map_info(int fd)
{
	bpf_map_info info{};
	uint32_t len = sizeof(info);
	MapInfo r;
	if (int err = bpf_obj_get_info_by_fd(fd, &info, &len))
		throw KernelError(sys_error("cannot query map", -err));
	r.id = info.id;
	r.value_size = info.value_size;
	r.max_entries = info.max_entries;
	r.name = info.name;
	return r;
}

std::vector<uint8_t> map_lookup(int fd, uint32_t key, uint32_t value_size)
{
	std::vector<uint8_t> v(value_size);
	int err = bpf_map_lookup_elem(fd, &key, v.data());
	if (err)
		throw KernelError(sys_error("cannot read map entry " + std::to_string(key), -err));
	return v;
}

} // namespace kinfer
