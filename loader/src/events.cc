// SPDX-License-Identifier: GPL-2.0
#include "events.h"

#include "bpf_util.h"
#include "error.h"
#include "module.h"
#include "naming.h"
#include "runtime.h"
#include "task.h"

#include <bpf/libbpf.h>
#include <uapi/kinfer_task.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <vector>
#include <unistd.h>

namespace kinfer {

using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

// Names of tasks and their pipelines' labels, looked up once per task.
class Names {
public:
	std::string task(uint32_t id)
	{
		auto it = tasks_.find(id);
		if (it == tasks_.end()) {
			tasks_ = task_names();
			it = tasks_.find(id);
		}
		return it == tasks_.end() ? "#" + std::to_string(id) : it->second;
	}
	std::string label(const std::string &task, int32_t index)
	{
		auto it = labels_.find(task);
		if (it == labels_.end()) {
			std::vector<std::string> l;
			try {
				l = read_meta(loaded_dir(task))
					    .at("pipeline")
					    .at("labels")
					    .get<std::vector<std::string>>();
			} catch (const std::exception &) {
				// the pipeline is gone: print the index
			}
			it = labels_.emplace(task, l).first;
		}
		if (index >= 0 && (size_t)index < it->second.size())
			return it->second[index];
		return "#" + std::to_string(index);
	}

private:
	std::map<uint32_t, std::string> tasks_;
	std::map<std::string, std::vector<std::string>> labels_;
};

struct Reader {
	bool json = false;
	Names names;
	uint64_t count = 0;
};

float score_of(uint32_t bits)
{
	float f;
	std::memcpy(&f, &bits, sizeof(f));
	return f;
}

const char *verdict_of(uint32_t flags)
{
	if (flags & KINFER_EVENT_DENIED)
		return "denied";
	if (flags & KINFER_EVENT_ERROR)
		return "error";
	return "flagged";
}

int on_event(void *ctx, void *data, size_t size)
{
	Reader &r = *static_cast<Reader *>(ctx);
	if (size < sizeof(kinfer_event))
		return 0;
	kinfer_event ev;
	std::memcpy(&ev, data, sizeof(ev));
	std::string task = r.names.task(ev.task_id);
	bool error = ev.flags & KINFER_EVENT_ERROR;
	std::string label = error ? "-" : r.names.label(task, ev.label);
	size_t shown = std::min<size_t>(ev.text_len, sizeof(ev.text));
	std::string text = escape_text(ev.text, strnlen((const char *)ev.text, shown));
	std::string comm(ev.comm, strnlen(ev.comm, sizeof(ev.comm)));
	r.count++;
	if (r.json) {
		json j{{"time_ns", ev.time_ns},     {"task", task},
		       {"verdict", verdict_of(ev.flags)},
		       {"mode", ev.flags & KINFER_EVENT_ENFORCE ? "enforce" : "audit"},
		       {"label", label},	    {"label_index", ev.label},
		       {"score", error ? 0.0 : score_of(ev.score_bits)},
		       {"err", ev.err},		    {"pid", ev.pid},
		       {"uid", ev.uid},		    {"comm", escape_text((const uint8_t *)comm.data(), comm.size())},
		       {"latency_ns", ev.latency_ns}, {"text_len", ev.text_len},
		       {"truncated", (ev.flags & KINFER_EVENT_TRUNCATED) != 0},
		       {"text", text}};
		std::cout << j.dump() << "\n";
	} else {
		printf("%12.6f %-16s %-7s %-12s %.4f %7u %5u %-15s %8.1fus %s%s\n", ev.time_ns / 1e9,
		       task.c_str(), verdict_of(ev.flags), label.c_str(),
		       error ? 0.0 : score_of(ev.score_bits), ev.pid, ev.uid, comm.c_str(),
		       ev.latency_ns / 1e3, text.c_str(),
		       ev.flags & KINFER_EVENT_TRUNCATED || ev.text_len > sizeof(ev.text) ? " [...]" : "");
	}
	std::cout.flush();
	fflush(stdout);
	return 0;
}

struct RingBufferCloser {
	void operator()(ring_buffer *rb) const { ring_buffer__free(rb); }
};

} // namespace

std::string escape_text(const uint8_t *text, size_t len)
{
	std::string out;
	out.reserve(len);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];
		if (c == '\\' || c == '"') {
			out += '\\';
			out += (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out += (char)c;
		} else {
			char buf[5];
			snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
		}
	}
	return out;
}

int cmd_events(const EventsArgs &a)
{
	require_module();
	if (!path_exists(KINFER_EVENTS_PIN))
		throw UsageError(std::string("no events yet: ") + KINFER_EVENTS_PIN +
				 " appears with the first task (kinfer task add)");
	Fd fd = obj_get(KINFER_EVENTS_PIN);
	Reader reader;
	reader.json = a.json;
	std::unique_ptr<ring_buffer, RingBufferCloser> rb(
		ring_buffer__new(fd.get(), on_event, &reader, nullptr));
	if (!rb)
		throw KernelError(sys_error("opening the ring buffer " + std::string(KINFER_EVENTS_PIN), errno));
	if (!a.json && isatty(1))
		printf("%12s %-16s %-7s %-12s %6s %7s %5s %-15s %10s %s\n", "TIME", "TASK", "VERDICT",
		       "LABEL", "SCORE", "PID", "UID", "COMM", "LATENCY", "TEXT");
	if (!a.follow) {
		int n = ring_buffer__consume(rb.get());
		if (n < 0)
			throw KernelError(sys_error("reading " + std::string(KINFER_EVENTS_PIN), n));
		return 0;
	}
	std::signal(SIGINT, on_signal);
	std::signal(SIGTERM, on_signal);
	auto start = std::chrono::steady_clock::now();
	while (!g_stop) {
		int n = ring_buffer__poll(rb.get(), 100);
		if (n < 0 && n != -EINTR)
			throw KernelError(sys_error("reading " + std::string(KINFER_EVENTS_PIN), n));
		auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
				  std::chrono::steady_clock::now() - start)
				  .count();
		if (a.timeout_ms && ms >= a.timeout_ms)
			break;
	}
	return 0;
}

} // namespace kinfer
