// SPDX-License-Identifier: GPL-2.0
#include "plan.h"

#include "error.h"

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
	size_t n = l.tensors.size();
	p.first.assign(n, -1);
	p.last.assign(n, -1);
	for (size_t i = 0; i < l.ops.size(); i++) {
		const LOp &op = l.ops[i];
		for (int t : {op.in0, op.in1})
			if (t >= 0)
				p.last[t] = std::max(p.last[t], (int)i);
		if (op.out >= 0 && p.first[op.out] < 0)
			p.first[op.out] = (int)i;
	}
	for (size_t t = 0; t < n; t++)
		p.last[t] = std::max(p.last[t], p.first[t]);
}

// The tensor `t` may share with (its producer's in0), or -1.
int in_place_partner(const Lowered &l, const Plan &p, int t)
{
	if (p.first[t] < 0)
		return -1;
	const LOp &op = l.ops[p.first[t]];
	if (!op_in_place_ok(op.op) || op.in0 < 0 || op.in0 == op.in1)
		return -1;
	int s = op.in0;
	if (p.last[s] != p.first[t] || l.tensors[s].bytes != l.tensors[t].bytes)
		return -1;
	return s;
}

bool fits(const Lowered &l, const Plan &p, const std::vector<bool> &placed, int t,
	  uint64_t off, int except)
{
	for (size_t u = 0; u < l.tensors.size(); u++)
		if (placed[u] && (int)u != except && lifetimes_overlap(p, t, (int)u) &&
		    ranges_overlap(off, l.tensors[t].bytes, p.offset[u], l.tensors[u].bytes))
			return false;
	return true;
}

uint64_t first_fit(const Lowered &l, const Plan &p, const std::vector<bool> &placed, int t)
{
	std::vector<int> live;
	for (size_t u = 0; u < l.tensors.size(); u++)
		if (placed[u] && lifetimes_overlap(p, t, (int)u))
			live.push_back((int)u);
	std::sort(live.begin(), live.end(),
		  [&](int a, int b) { return p.offset[a] < p.offset[b]; });
	uint64_t off = 0;
	for (int u : live) {
		if (off + l.tensors[t].bytes <= p.offset[u])
			break;
		off = std::max(off, align_up(p.offset[u] + l.tensors[u].bytes));
	}
	return off;
}

void place_tensors(const Lowered &l, Plan &p)
{
	size_t n = l.tensors.size();
	std::vector<int> order(n);
	std::iota(order.begin(), order.end(), 0);
	std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
		if (l.tensors[a].bytes != l.tensors[b].bytes)
			return l.tensors[a].bytes > l.tensors[b].bytes;
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
		if (off + l.tensors[t].bytes > UINT32_MAX)
			throw ModelError(l.file + ": the arena would exceed 4 GiB");
		p.offset[t] = (uint32_t)off;
		placed[t] = true;
		end = std::max(end, off + l.tensors[t].bytes);
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

kinfer_node make_node(const Lowered &l, const Plan &p, const LOp &op)
{
	kinfer_node n;
	std::memset(&n, 0, sizeof(n));
	n.op = op.op;
	if (op.in0 >= 0)
		n.in0 = p.offset[op.in0];
	if (op.in1 >= 0)
		n.in1 = p.offset[op.in1];
	if (op.out >= 0)
		n.out = p.offset[op.out];
	if (op.op == KINFER_OP_INPUT)
		n.io_off = p.input_io_off[op.io];
	else if (op.op == KINFER_OP_OUTPUT)
		n.io_off = p.output_io_off[op.io];
	std::memcpy(n.dims, op.dims, sizeof(n.dims));
	(void)l;
	return n;
}

} // namespace

Plan plan_model(const Lowered &l)
{
	Plan p;
	compute_lifetimes(l, p);
	place_tensors(l, p);
	place_io(l, p);
	for (const LOp &op : l.ops)
		p.nodes.push_back(make_node(l, p, op));
	return p;
}

uint32_t plan_config_bytes(const Plan &p)
{
	return (uint32_t)(sizeof(kinfer_plan) + p.nodes.size() * sizeof(kinfer_node));
}

std::vector<uint8_t> plan_config(const Plan &p, uint32_t model_id)
{
	std::vector<uint8_t> buf(plan_config_bytes(p), 0);
	kinfer_plan hdr;
	std::memset(&hdr, 0, sizeof(hdr));
	hdr.magic = KINFER_PLAN_MAGIC;
	hdr.abi_version = KINFER_ABI_VERSION;
	hdr.model_id = model_id;
	hdr.n_nodes = (uint32_t)p.nodes.size();
	hdr.arena_bytes = p.arena_bytes;
	hdr.io_bytes = p.io_bytes;
	std::memcpy(buf.data(), &hdr, sizeof(hdr));
	if (!p.nodes.empty())
		std::memcpy(buf.data() + sizeof(hdr), p.nodes.data(),
			    p.nodes.size() * sizeof(kinfer_node));
	return buf;
}

std::string plan_verify(const Lowered &l, const Plan &p)
{
	size_t n = l.tensors.size();
	for (size_t t = 0; t < n; t++) {
		const std::string name = "tensor '" + l.tensors[t].name + "'";
		if (p.offset[t] % kArenaAlign)
			return name + " is not 16-byte aligned";
		if ((uint64_t)p.offset[t] + l.tensors[t].bytes > p.arena_bytes)
			return name + " ends beyond the arena";
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			if (!lifetimes_overlap(p, (int)a, (int)b) ||
			    !ranges_overlap(p.offset[a], l.tensors[a].bytes, p.offset[b],
					    l.tensors[b].bytes))
				continue;
			int x = (int)a, y = (int)b;
			bool ok = (in_place_partner(l, p, y) == x || in_place_partner(l, p, x) == y) &&
				  p.offset[a] == p.offset[b];
			if (!ok)
				return "tensors '" + l.tensors[a].name + "' and '" + l.tensors[b].name +
				       "' are alive at the same time and overlap";
		}
	for (size_t i = 0; i < l.ops.size(); i++) {
		const LOp &op = l.ops[i];
		if (op.out < 0 || op_in_place_ok(op.op))
			continue;
		for (int in : {op.in0, op.in1})
			if (in >= 0 && ranges_overlap(p.offset[in], l.tensors[in].bytes,
						      p.offset[op.out], l.tensors[op.out].bytes))
				return std::string("op ") + std::to_string(i) + " (" + op_name(op.op) +
				       ") writes over its input";
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
