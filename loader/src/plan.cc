// SPDX-License-Identifier: GPL-2.0
#include "plan.h"

#include "error.h"
#include "ops.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace kinfer {

namespace {

uint64_t align_up(uint64_t v) { return (v + kArenaAlign - 1) / kArenaAlign * kArenaAlign; }

bool lifetimes_overlap(const Plan &p, int a, int b)
{
	return !(p.last[a] < p.first[b] || p.last[b] < p.first[a]);
}

bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

void compute_lifetimes(const Lowered &l, Plan &p)
{
	size_t n = l.storages.size();
	p.first.assign(n, -1);
	p.last.assign(n, -1);
	for (size_t i = 0; i < l.ops.size(); i++) {
		for (const LRef &r : l.ops[i].in)
			if (r.kind == LRef::Kind::arena)
				p.last[r.index] = std::max(p.last[r.index], (int)i);
		for (const LRef &r : l.ops[i].out)
			if (r.kind == LRef::Kind::arena && p.first[r.index] < 0)
				p.first[r.index] = (int)i;
	}
	for (size_t t = 0; t < n; t++) {
		if (p.first[t] < 0)	// read but never written: live from the start
			p.first[t] = 0;
		p.last[t] = std::max(p.last[t], p.first[t]);
	}
}

// The storage `t` may share with (its producer's in-place input), or -1.
int in_place_partner(const Lowered &l, const Plan &p, int t)
{
	const LOp &op = l.ops[p.first[t]];
	int i = op_inplace_input(op);
	if (i < 0 || op.out[0].kind != LRef::Kind::arena || op.out[0].index != t)
		return -1;
	const LRef &in = op.in[i];
	if (in.kind != LRef::Kind::arena || in.index == t || in.byte_off || op.out[0].byte_off)
		return -1;
	for (size_t j = 0; j < op.in.size(); j++)
		if ((int)j != i && op.in[j].kind == LRef::Kind::arena && op.in[j].index == in.index)
			return -1;	// also read as another operand
	int s = in.index;
	if (p.last[s] != p.first[t] || l.storages[s].bytes != l.storages[t].bytes ||
	    in.bytes() != l.storages[s].bytes)
		return -1;
	return s;
}

bool fits(const Lowered &l, const Plan &p, const std::vector<bool> &placed, int t, uint64_t off,
	  int except)
{
	for (size_t u = 0; u < l.storages.size(); u++)
		if (placed[u] && (int)u != except && lifetimes_overlap(p, t, (int)u) &&
		    ranges_overlap(off, l.storages[t].bytes, p.offset[u], l.storages[u].bytes))
			return false;
	return true;
}

uint64_t first_fit(const Lowered &l, const Plan &p, const std::vector<bool> &placed, int t)
{
	std::vector<int> live;
	for (size_t u = 0; u < l.storages.size(); u++)
		if (placed[u] && lifetimes_overlap(p, t, (int)u))
			live.push_back((int)u);
	std::sort(live.begin(), live.end(), [&](int a, int b) { return p.offset[a] < p.offset[b]; });
	uint64_t off = 0;
	for (int u : live) {
		if (off + l.storages[t].bytes <= p.offset[u])
			break;
		off = std::max(off, align_up(p.offset[u] + l.storages[u].bytes));
	}
	return off;
}

void place_storages(const Lowered &l, Plan &p)
{
	size_t n = l.storages.size();
	std::vector<int> order(n);
	std::iota(order.begin(), order.end(), 0);
	std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
		if (l.storages[a].bytes != l.storages[b].bytes)
			return l.storages[a].bytes > l.storages[b].bytes;
		return p.first[a] < p.first[b];
	});
	p.offset.assign(n, 0);
	std::vector<bool> placed(n, false);
	uint64_t end = 0;
	for (int t : order) {
		int s = in_place_partner(l, p, t);
		uint64_t off;
		if (s >= 0 && placed[s] && fits(l, p, placed, t, p.offset[s], s))
			off = p.offset[s];
		else
			off = first_fit(l, p, placed, t);
		if (off + l.storages[t].bytes > UINT32_MAX)
			throw ModelError(l.file + ": the arena would exceed 4 GiB");
		p.offset[t] = (uint32_t)off;
		placed[t] = true;
		end = std::max(end, off + l.storages[t].bytes);
		p.naive_bytes += align_up(l.storages[t].bytes);
	}
	p.arena_bytes = (uint32_t)align_up(std::max<uint64_t>(end, kArenaAlign));
}

void place_io(const Lowered &l, Plan &p)
{
	uint64_t off = 0;
	for (const LPort &in : l.inputs) {
		p.input_io_off.push_back((uint32_t)off);
		off = align_up(off + in.bytes);
	}
	for (const LPort &out : l.outputs) {
		p.output_io_off.push_back((uint32_t)off);
		off = align_up(off + out.bytes);
	}
	// The io slot's size is passed to the kfuncs as a BPF immediate (s32).
	if (off > INT32_MAX)
		throw ModelError(l.file + ": inputs and outputs exceed 2 GiB");
	p.io_bytes = (uint32_t)std::max<uint64_t>(off, kArenaAlign);
}

void put(std::vector<uint8_t> &buf, const void *p, size_t n)
{
	const uint8_t *b = static_cast<const uint8_t *>(p);
	buf.insert(buf.end(), b, b + n);
}

void place_weights(const Lowered &l, Plan &p)
{
	size_t n = l.weights.size();
	std::vector<int> order(n);
	std::iota(order.begin(), order.end(), 0);
	// Largest first keep maps of their own (ties: model order).
	std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
		return l.weights[a].bytes() > l.weights[b].bytes();
	});
	size_t own = n <= kMaxWeightMaps ? n : kMaxWeightMaps - 1;
	p.wmap_of.assign(n, -1);
	p.woff.assign(n, 0);
	std::vector<bool> single(n, false);
	for (size_t k = 0; k < own; k++)
		single[order[k]] = true;
	WeightMap packed;
	packed.packed = true;
	for (size_t w = 0; w < n; w++) {	// model order within each map
		if (single[w]) {
			p.wmap_of[w] = (int)p.wmaps.size();
			p.wmaps.push_back(WeightMap{{(int)w}, {0}, l.weights[w].bytes(), false});
			continue;
		}
		packed.weights.push_back((int)w);
		packed.offsets.push_back(packed.bytes);
		p.woff[w] = packed.bytes;
		packed.bytes = align_up(packed.bytes + l.weights[w].bytes());
	}
	if (packed.weights.empty())
		return;
	if (packed.bytes > INT32_MAX)
		throw ModelError(l.file + ": the packed weight map would exceed 2 GiB");
	for (int w : packed.weights)
		p.wmap_of[w] = (int)p.wmaps.size();
	p.wmaps.push_back(std::move(packed));
}

kinfer_tensor encode_ref(const Lowered &l, const Plan &p, const LOp &op, const LRef &r)
{
	kinfer_tensor t;
	std::memset(&t, 0, sizeof(t));
	if (!r.present())
		return t;
	if (r.shape.size() > KINFER_MAX_RANK)
		throw ModelError(l.file + ": a tensor of rank " + std::to_string(r.shape.size()) +
				 " (" + shape_str(r.shape) + ") is more than the kernel's " +
				 std::to_string(KINFER_MAX_RANK));
	t.dtype = (uint8_t)r.dtype;
	t.rank = (uint8_t)r.shape.size();
	for (size_t i = 0; i < r.shape.size(); i++)
		t.dims[i] = (uint32_t)r.shape[i];
	std::vector<BindRef> binds = node_binds(op, p);
	uint64_t off = r.byte_off;
	if (r.kind == LRef::Kind::arena) {
		t.buf = KINFER_BUF_ARENA;
		off += p.offset[r.index];
	} else {
		bool io = r.kind == LRef::Kind::io;
		BindRef b{r.kind, io ? -1 : p.wmap_of[r.index]};
		if (!io)
			off += p.woff[r.index];
		t.buf = (uint8_t)(KINFER_BUF_BIND0 +
				  (std::find(binds.begin(), binds.end(), b) - binds.begin()));
		if (r.kind == LRef::Kind::io)
			off += op.op == KINFER_OP_INPUT ? p.input_io_off.at(r.index)
							 : p.output_io_off.at(r.index);
	}
	t.off = (uint32_t)off;
	return t;
}

void encode_nodes(const Lowered &l, Plan &p)
{
	for (const LOp &op : l.ops) {
		size_t n = op.in.size() + op.out.size();
		if (n > KINFER_MAX_TENSORS || node_binds(op, p).size() > KINFER_MAX_BINDS)
			throw std::logic_error(l.file + ": internal error: " + op_name(op.op) +
					       " has too many operands");
		kinfer_node node;
		std::memset(&node, 0, sizeof(node));
		node.op = (uint16_t)op.op;
		node.n_in = (uint8_t)op.in.size();
		node.n_out = (uint8_t)op.out.size();
		node.attr_bytes = (uint16_t)op.attr.size();
		node.size = (uint16_t)(sizeof(node) + n * sizeof(kinfer_tensor) + op.attr.size());
		if (node.size > KINFER_MAX_NODE_BYTES)
			throw std::logic_error(l.file + ": internal error: node too large");
		p.node_off.push_back((uint32_t)p.nodes.size());
		put(p.nodes, &node, sizeof(node));
		for (const std::vector<LRef> *refs : {&op.in, &op.out})
			for (const LRef &r : *refs) {
				kinfer_tensor t = encode_ref(l, p, op, r);
				put(p.nodes, &t, sizeof(t));
			}
		put(p.nodes, op.attr.data(), op.attr.size());
	}
}

} // namespace

Plan plan_model(const Lowered &l)
{
	Plan p;
	compute_lifetimes(l, p);
	place_storages(l, p);
	place_io(l, p);
	place_weights(l, p);
	encode_nodes(l, p);
	return p;
}

std::vector<BindRef> node_binds(const LOp &op, const Plan &p)
{
	std::vector<BindRef> binds;
	auto add = [&](const LRef &r) {
		if (r.kind != LRef::Kind::weight && r.kind != LRef::Kind::io)
			return;
		BindRef b{r.kind, r.kind == LRef::Kind::io ? -1 : p.wmap_of.at(r.index)};
		if (std::find(binds.begin(), binds.end(), b) == binds.end())
			binds.push_back(b);
	};
	for (const LRef &r : op.in)
		add(r);
	for (const LRef &r : op.out)
		add(r);
	return binds;
}

std::vector<uint8_t> weight_map_value(const Lowered &l, const Plan &p, size_t m)
{
	const WeightMap &wm = p.wmaps.at(m);
	std::vector<uint8_t> v(wm.bytes, 0);
	for (size_t k = 0; k < wm.weights.size(); k++) {
		const std::vector<uint8_t> &d = l.weights[wm.weights[k]].t.data;
		std::copy(d.begin(), d.end(), v.begin() + (ptrdiff_t)wm.offsets[k]);
	}
	return v;
}

uint32_t plan_config_bytes(const Plan &p)
{
	return (uint32_t)(sizeof(kinfer_plan) + p.nodes.size());
}

std::vector<uint8_t> plan_config(const Plan &p, uint32_t model_id)
{
	std::vector<uint8_t> buf;
	kinfer_plan hdr;
	std::memset(&hdr, 0, sizeof(hdr));
	hdr.magic = KINFER_PLAN_MAGIC;
	hdr.abi_version = KINFER_ABI_VERSION;
	hdr.model_id = model_id;
	hdr.n_nodes = (uint32_t)p.node_off.size();
	hdr.nodes_bytes = (uint32_t)p.nodes.size();
	hdr.arena_bytes = p.arena_bytes;
	hdr.io_bytes = p.io_bytes;
	hdr.work = p.work;
	put(buf, &hdr, sizeof(hdr));
	put(buf, p.nodes.data(), p.nodes.size());
	return buf;
}

std::string plan_verify(const Lowered &l, const Plan &p)
{
	size_t n = l.storages.size();
	for (size_t t = 0; t < n; t++) {
		const std::string name = "storage '" + l.storages[t].name + "'";
		if (p.offset[t] % kArenaAlign)
			return name + " is not 16-byte aligned";
		if ((uint64_t)p.offset[t] + l.storages[t].bytes > p.arena_bytes)
			return name + " ends beyond the arena";
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			if (!lifetimes_overlap(p, (int)a, (int)b) ||
			    !ranges_overlap(p.offset[a], l.storages[a].bytes, p.offset[b],
					    l.storages[b].bytes))
				continue;
			bool ok = (in_place_partner(l, p, (int)b) == (int)a ||
				   in_place_partner(l, p, (int)a) == (int)b) &&
				  p.offset[a] == p.offset[b];
			if (!ok)
				return "storages '" + l.storages[a].name + "' and '" + l.storages[b].name +
				       "' are alive at the same time and overlap";
		}
	std::vector<std::pair<uint64_t, uint64_t>> io;
	for (size_t i = 0; i < l.inputs.size(); i++)
		io.emplace_back(p.input_io_off[i], l.inputs[i].bytes);
	for (size_t i = 0; i < l.outputs.size(); i++)
		io.emplace_back(p.output_io_off[i], l.outputs[i].bytes);
	for (size_t a = 0; a < io.size(); a++) {
		if (io[a].first + io[a].second > p.io_bytes)
			return "io range " + std::to_string(a) + " ends beyond the io slot";
		for (size_t b = a + 1; b < io.size(); b++)
			if (ranges_overlap(io[a].first, io[a].second, io[b].first, io[b].second))
				return "io ranges " + std::to_string(a) + " and " + std::to_string(b) +
				       " overlap";
	}
	return "";
}

} // namespace kinfer
