// SPDX-License-Identifier: GPL-2.0
// Thin RAII layer over libbpf's low-level API (bpf.h / btf.h).
#pragma once

#include "dtype.h"
#include "emit.h"

#include <linux/bpf.h>

#include <map>
#include <string>
#include <vector>

struct btf;	// libbpf's

namespace kinfer {

// Owns a file descriptor.
class Fd {
public:
	explicit Fd(int fd = -1) : fd_(fd) {}
	~Fd() { reset(); }
	Fd(Fd &&o) noexcept : fd_(o.release()) {}
	Fd &operator=(Fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = o.release();
		}
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;

	int get() const { return fd_; }
	int release()
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}
	void reset();
	explicit operator bool() const { return fd_ >= 0; }

private:
	int fd_;
};

// The module's BTF object (kept open: its fd goes into fd_array) and the
// BTF ids of the kfuncs a program calls.
struct ModuleBtf {
	Fd fd;
	std::map<std::string, int32_t> ids;
};

// Only the kfuncs named are looked up, so a module older than the loader
// still runs models that need none of the newer ops.  Throws KernelError
// naming the missing kfunc or module BTF.
ModuleBtf resolve_kfuncs(const char *module, const std::vector<std::string> &kfuncs);

// BTF for map values, so `bpftool map dump` shows typed values: a u32 key
// type and "array of N elements" value types, loaded into the kernel once
// for all the maps of a model.
class MapBtf {
public:
	MapBtf();
	~MapBtf();
	MapBtf(const MapBtf &) = delete;
	MapBtf &operator=(const MapBtf &) = delete;

	// The type id of `n` elements of `t` (added on first use).
	uint32_t array_of(DType t, uint64_t n);
	uint32_t key_type() const { return key_; }
	// Load into the kernel (once); returns the BTF fd.
	int fd();

private:
	::btf *btf_;
	uint32_t key_ = 0;
	std::map<DType, uint32_t> elem_;
	Fd fd_;
};

// A single-value-type BTF for a map, or none.
struct MapTypes {
	int btf_fd = -1;
	uint32_t key = 0, value = 0;
};

Fd map_create_array(const std::string &name, uint32_t value_size, uint32_t max_entries,
		    const MapTypes &types = {});
// Write key 0 (the whole value), then optionally freeze the map.
void map_fill(int fd, const void *value, const std::string &what, bool freeze);

// What a program replacing a function of another needs (BPF_PROG_TYPE_EXT).
struct ProgTarget {
	int btf_fd = -1;		// BTF of the program itself
	uint32_t func_type_id = 0;	// its one FUNC in that BTF
	int target_fd = -1;		// the program whose function it replaces
	uint32_t target_btf_id = 0;	// that function, in the target's BTF
};

// Load a program; on failure the KernelError carries the verifier log tail.
Fd prog_load(bpf_prog_type type, const std::string &name, const std::vector<bpf_insn> &insns,
	     const std::vector<int> &fd_array, uint32_t prog_flags, const ProgTarget *target = nullptr);

// "what: EPERM (Operation not permitted)" for a positive or negative errno.
std::string sys_error(const std::string &what, int err);

void obj_pin(int fd, const std::string &path);
Fd obj_get(const std::string &path);

// Mount bpffs on /sys/fs/bpf if it is not mounted.
void ensure_bpffs();
// mkdir -p (on bpffs too).
void make_dirs(const std::string &path);
// rm -r; missing paths are fine.  Returns false if anything stayed.
bool remove_tree(const std::string &path);
bool path_exists(const std::string &path);

int possible_cpus();

struct ProgInfo {
	uint32_t id = 0, xlated_insns = 0, jited_bytes = 0, btf_id = 0;
	uint64_t run_cnt = 0, run_time_ns = 0;
	std::string name;
};
struct MapInfo {
	uint32_t id = 0, value_size = 0, max_entries = 0;
	std::string name;
};
ProgInfo prog_info(int fd);
MapInfo map_info(int fd);

// Value of key `key` of an array map.
std::vector<uint8_t> map_lookup(int fd, uint32_t key, uint32_t value_size);

} // namespace kinfer
