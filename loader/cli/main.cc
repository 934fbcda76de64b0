// SPDX-License-Identifier: GPL-2.0
// kinfer: compile ONNX models into BPF programs calling kinfer.ko's kfuncs,
// load, run, list, show and unload them.
//
// Exit codes: 0 ok, 1 runtime/kernel error, 2 usage, 3 invalid model or input.
#include "commands.h"
#include "error.h"
#include "events.h"
#include "pipeline.h"
#include "task.h"

#include <CLI/CLI.hpp>

#include <cstdio>

using namespace kinfer;

namespace {

const char *kRunInputs =
	"input tensor, in model input order: .npy (float32 '<f4'; float64 '<f8' is "
	"converted to float32; C order) or a serialized ONNX TensorProto (.pb); its shape "
	"must equal the model input's";

const char *kShapes =
	"fix a graph input's dynamic dimensions: NAME=D0,D1,... (repeatable)";

// --quantize and --calibrate, for every command that compiles a model.
void add_quant_options(CLI::App *cmd, QuantOptions &q)
{
	cmd->add_option("--quantize", q.mode,
			 "int8: MatMuls with constant weights run on int8 (per-column weights, "
			 "activations calibrated on --calibrate's samples); prints how the outputs "
			 "moved against the float model");
	cmd->add_option("--calibrate", q.calibrate,
			 "DIR of calibration samples: one subdirectory per sample holding "
			 "<input>.npy for each graph input (or those files in DIR itself: one sample)");
}

struct TaskArgs {
	std::string manifest, name;
	std::vector<std::string> assignments;
	EventsArgs events;
};

// `kinfer task ...` and `kinfer events`; -1 when neither was given.
int dispatch_task(CLI::App &app, const TaskArgs &t, bool json)
{
	if (app.got_subcommand("events"))
		return cmd_events(t.events);
	if (!app.got_subcommand("task"))
		return -1;
	CLI::App *task = app.get_subcommand("task");
	if (task->got_subcommand("add"))
		return cmd_task_add(t.manifest);
	if (task->got_subcommand("remove"))
		return cmd_task_remove(t.name);
	if (task->got_subcommand("list"))
		return cmd_task_list(json);
	if (task->got_subcommand("show"))
		return cmd_task_show(t.name, json);
	if (task->got_subcommand("set"))
		return cmd_task_set(t.name, t.assignments);
	if (task->got_subcommand("enable"))
		return cmd_task_enable(t.name, true);
	if (task->got_subcommand("disable"))
		return cmd_task_enable(t.name, false);
	return (int)Exit::usage;
}

void add_task_commands(CLI::App &app, TaskArgs &t, bool &json)
{
	auto *task = app.add_subcommand("task", "tasks: a text pipeline on a kernel hook with an "
						"action (docs/tasks.md)");
	task->require_subcommand(1, 1);
	task->add_subcommand("add", "load a task from its manifest and attach it")
		->add_option("manifest", t.manifest, "task manifest (JSON)")
		->required();
	task->add_subcommand("remove", "detach and unload a task")
		->add_option("name", t.name, "task name")
		->required();
	task->add_subcommand("list", "list tasks with their settings and counters")
		->add_flag("--json", json, "JSON");
	auto *show = task->add_subcommand("show", "a task's settings, counters and binding");
	show->add_option("name", t.name, "task name")->required();
	show->add_flag("--json", json, "JSON");
	auto *set = task->add_subcommand("set", "change settings live: enabled, mode (audit|enforce), "
						"threshold, on_error (allow|deny), sample_rate");
	set->add_option("name", t.name, "task name")->required();
	set->add_option("settings", t.assignments, "KEY=VALUE ...")->required();
	task->add_subcommand("enable", "enable a task")->add_option("name", t.name, "task name")->required();
	task->add_subcommand("disable", "disable a task (events pass unclassified)")
		->add_option("name", t.name, "task name")
		->required();

	auto *events = app.add_subcommand("events", "what tasks flagged, denied or failed on, from "
						    "the events ring buffer");
	events->add_flag("--json", t.events.json, "one JSON object per event");
	events->add_flag("-f,--follow", t.events.follow, "wait for more events (until interrupted)");
	events->add_option("--timeout-ms", t.events.timeout_ms, "with --follow: stop after this long");
}

int dispatch(CLI::App &app, const std::string &file, const std::string &name, bool json,
	     const RunArgs &run, const std::string &share, const TokenizeArgs &tok,
	     const std::string &attach)
{
	const QuantOptions &q = run.quant;
	if (app.got_subcommand("tokenize"))
		return cmd_tokenize(tok);
	if (app.got_subcommand("pipeline"))
		return cmd_pipeline_load(file, name, attach);
	if (app.got_subcommand("classify"))
		return cmd_classify(name, tok.texts, json, tok.max_tokens);
	if (app.got_subcommand("load"))
		return cmd_load(file, name, run.shapes, share, attach, q);
	if (app.got_subcommand("swap"))
		return cmd_swap(file, name, share, q);
	if (app.got_subcommand("run"))
		return cmd_run(run);
	if (app.got_subcommand("inspect"))
		return cmd_inspect(file, name, json, run.shapes, q);
	if (app.got_subcommand("list"))
		return cmd_list(json);
	if (app.got_subcommand("show"))
		return cmd_show(name, json);
	if (app.got_subcommand("unload"))
		return cmd_unload(name);
	if (app.got_subcommand("ops"))
		return cmd_ops(json);
	if (app.got_subcommand("dump"))
		return cmd_dump(name, file, json);
	return (int)Exit::usage;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"kinfer: run neural networks inside the Linux kernel (eBPF + kinfer.ko)"};
	app.require_subcommand(1, 1);
	std::string file, name, share, attach;
	bool json = false;
	RunArgs run;

	auto *load = app.add_subcommand("load", "compile an ONNX model, load and pin it as <name>");
	load->add_option("model", file, "ONNX model file")->required();
	load->add_option("-n,--name", name, "model name (1..31 of [A-Za-z0-9_-])")->required();
	load->add_option("--shape", run.shapes, kShapes)->allow_extra_args(false);
	load->add_option("--share-weights", share,
			 "reuse the weight maps of this loaded model where they hold the same "
			 "bytes under the same name (another method of the same module)");
	load->add_option("--attach", attach,
			 "PINNED_PROG[:FUNC]: a text pipeline replaces that BPF program's global "
			 "function (default kinfer_pipeline_call, see uapi/kinfer_call.h)");
	add_quant_options(load, run.quant);

	auto *swap = app.add_subcommand("swap", "replace a loaded model by a new version of it "
						"(same inputs and outputs) atomically: each run "
						"uses the old version or the new one");
	swap->add_option("name", name, "loaded model name")->required();
	swap->add_option("model", file, "ONNX model file of the new version")->required();
	swap->add_option("--share-weights", share,
			 "reuse this loaded model's weight maps where they hold the same bytes");
	add_quant_options(swap, run.quant);

	auto *r = app.add_subcommand("run", "run a loaded model (or, with --reference, an ONNX "
					    "file in userspace)");
	r->add_option("model", run.target, "loaded model name, or ONNX file with --reference")
		->required();
	r->add_flag("--reference", run.reference,
		    "execute the compiled plan in userspace with the kernel's own checks and "
		    "math (no kernel needed)");
	r->add_option("--shape", run.shapes, kShapes)->allow_extra_args(false);
	r->add_option("-i,--input", run.inputs, kRunInputs)->required()->allow_extra_args(false);
	r->add_option("--repeat", run.repeat,
		      "run N times on the same inputs and report the run time's p50 and p99 on "
		      "stderr: in the kernel as the module times the run (acquire to release), "
		      "with --reference the userspace build's prepare and compute")
		->check(CLI::Range(1u, 1000000u));
	r->add_option("--timing-json", run.timing_json,
		      "with --repeat, also write the timings to FILE as JSON")
		->needs("--repeat");
	r->add_option("-o,--output", run.outputs,
		      "write output tensors to .npy files (one per model output); "
		      "default: print them")
		->allow_extra_args(false);
	add_quant_options(r, run.quant);

	auto *inspect = app.add_subcommand("inspect", "validate, lower and plan an ONNX model "
						      "offline and print what `show` would");
	inspect->add_option("model", file, "ONNX model file")->required();
	inspect->add_option("-n,--name", name, "model name (default: from the file name)");
	inspect->add_option("--shape", run.shapes, kShapes)->allow_extra_args(false);
	inspect->add_flag("--json", json, "machine-readable output");
	add_quant_options(inspect, run.quant);

	auto *list = app.add_subcommand("list", "list loaded models");
	list->add_flag("--json", json, "machine-readable output");

	auto *show = app.add_subcommand("show", "show a loaded model's nodes, maps and arena");
	show->add_option("name", name, "model name")->required();
	show->add_flag("--json", json, "machine-readable output");

	auto *unload = app.add_subcommand("unload", "unpin and unregister a model");
	unload->add_option("name", name, "model name")->required();

	auto *dump = app.add_subcommand("dump", "print the values of a loaded model's weight");
	dump->add_option("name", name, "model name")->required();
	dump->add_option("weight", file, "weight (initializer) or map name")->required();
	dump->add_flag("--json", json, "machine-readable output");

	auto *ops = app.add_subcommand("ops", "list the ONNX operators kinfer compiles and the "
					      "kernel ops they become");
	ops->add_flag("--json", json, "machine-readable output");

	TokenizeArgs tok;
	auto *tokenize = app.add_subcommand("tokenize", "BERT WordPiece token ids of texts, with the "
							"kernel's tokenizer built for userspace");
	tokenize->add_option("vocab", tok.vocab, "vocab.txt or tokenizer.json")->required();
	tokenize->add_option("text", tok.texts, "texts (default: --records, or all of stdin as one)");
	tokenize->add_option("--records", tok.records,
			     "file of texts as records: a 32-bit little-endian byte count, then the bytes");
	tokenize->add_option("--max-len", tok.max_len, "sequence length with [CLS] and [SEP] (default 128)");
	tokenize->add_flag("--json", tok.json, "one JSON object per text: ids and mask, padded");

	auto *pipeline = app.add_subcommand("pipeline", "text pipelines (tokenizer, model, labels)");
	pipeline->require_subcommand(1, 1);
	auto *pload = pipeline->add_subcommand("load", "load a pipeline from its manifest "
						       "(pipeline.json, as kinfer.nlp writes it)");
	pload->add_option("manifest", file, "pipeline.json")->required();
	pload->add_option("-n,--name", name, "model name (default: the manifest's name)");
	pload->add_option("--attach", attach, "PINNED_PROG[:FUNC], as for load");

	auto *classify = app.add_subcommand("classify", "label and score of texts by a loaded pipeline");
	classify->add_option("name", name, "pipeline name")->required();
	classify->add_option("text", tok.texts, "texts (each cut to the pipeline's max_bytes)")->required();
	classify->add_flag("--json", json, "one JSON object per text");
	classify->add_option("--max-tokens", tok.max_tokens,
			     "cut each text to this many token ids, [CLS] and [SEP] included "
			     "(0: the pipeline's length)");

	TaskArgs task;
	add_task_commands(app, task, json);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		int rc = app.exit(e);
		return rc == 0 ? 0 : (int)Exit::usage;
	}

	try {
		int rc = dispatch_task(app, task, json);
		if (rc >= 0)
			return rc;
		return dispatch(app, file, name, json, run, share, tok, attach);
	} catch (const Error &e) {
		fprintf(stderr, "kinfer: %s\n", printable(e.what()).c_str());
		return (int)e.code();
	} catch (const std::exception &e) {
		fprintf(stderr, "kinfer: internal error: %s\n", printable(e.what()).c_str());
		return (int)Exit::runtime;
	}
}
