"""`make bench`'s Python side: bench/models.py and the report of bench/run.py.

kinfer_bench is replaced by a fake (a Python script printing the JSON the
real tool prints, with numbers the tests choose), so the ratios, checks and
tables are checked against arithmetic on those numbers. The MLP that
bench/models.py builds is run by ONNX Runtime and compared with a numpy
relu MLP on the weights it saved. Building and inspecting every model is
slow (MiniLM is 86 MiB three times): KINFER_BENCH_SLOW=1 enables it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = Path(os.environ.get("KINFER_BIN", ROOT / "build/cmake/loader/kinfer"))


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# the names bench/run.py loads them under, so that both see one module
models = _load("kinfer_bench_models", ROOT / "bench/models.py")
run = _load("kinfer_bench_run", ROOT / "bench/run.py")

# What the fake kinfer_bench reports (GFLOP/s per GEMM engine, µs per model).
PEAK = 100.0
GEMM_GFLOPS = {"avx512": 70.0, "avx2": 40.0, "generic": 5.0, "eigen": 60.0}
MLP_US = {"kinfer": 0.8, "eigen": 0.9}
SECTIONS = {"INPUT": 0.25, "MATMUL": 4.5}  # longest FPU section per op kind, us

FAKE = textwrap.dedent(f"""\
    #!{sys.executable}
    import json, os, sys
    import numpy as np

    PEAK, GEMM, MLP, SECTIONS = {PEAK!r}, {GEMM_GFLOPS!r}, {MLP_US!r}, {SECTIONS!r}
    args = sys.argv[1:]
    log = os.environ.get("FAKE_BENCH_LOG")
    if log:
        with open(log, "a") as f:
            f.write(" ".join(args) + "\\n")
    opt = lambda name: args[args.index(name) + 1]

    def timing(us, reps):
        return {{"p50_us": us, "p99_us": 2 * us, "reps": int(reps)}}

    if args[0] == "peak":
        print(json.dumps({{"isa": "avx512", "gflops": PEAK}}))
    elif args[0] == "gemm":
        m, k, n = (int(a) for a in args[1:4])
        flop = 2.0 * m * k * n
        row = {{"m": m, "k": k, "n": n, "kinfer": {{}}}}
        for engine, gflops in GEMM.items():
            entry = {{**timing(flop / gflops / 1e3, opt("--reps")), "gflops": gflops}}
            if engine == "eigen":
                row["eigen"] = entry
            else:
                row["kinfer"][engine] = entry
        print(json.dumps(row))
    elif args[0] == "model":
        import onnxruntime as ort
        sess = ort.InferenceSession(args[1], providers=["CPUExecutionProvider"])
        inputs = [np.load(args[i + 1]) for i, a in enumerate(args) if a == "--input"]
        feeds = {{p.name: x for p, x in zip(sess.get_inputs(), inputs)}}
        y = sess.run(None, feeds)[0] + float(os.environ.get("FAKE_BENCH_OFFSET", "0"))
        np.save(opt("--output"), y)
        row = {{**timing(MLP["kinfer"], opt("--reps")), "isa": "avx512"}}
        if "--profile" in args:
            row["profile"] = {{"longest_section_us": SECTIONS}}
        print(json.dumps(row))
    elif args[0] == "mlp-eigen":
        print(json.dumps(timing(MLP["eigen"], opt("--reps"))))
    else:
        sys.exit(f"fake kinfer_bench: unknown command {{args}}")
    """)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory with the MLP built (the slow part: JAX)."""
    out = tmp_path_factory.mktemp("build")
    models.build(out / "bench/models", ["mlp"], log=lambda _: None)
    return out


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tool") / "kinfer_bench"
    path.write_text(FAKE)
    path.chmod(0o755)
    return path


def _bench(out: Path, fake: Path, *extra: str) -> int:
    return int(run.main(["--out", str(out), "--tool", str(fake), "--only", "mlp",
                         "--reps", "30", "--budget", "0.2", *extra]))  # fmt: skip


# --- models ------------------------------------------------------------------------------


def test_mlp_onnx_equals_numpy_relu_mlp_on_the_saved_weights(out: Path) -> None:
    import onnxruntime as ort

    root = out / "bench/models"
    entry = json.loads((root / "manifest.json").read_text())["models"]["mlp"]
    w = {k: np.load(root / p) for k, p in entry["eigen"].items()}
    assert w["W1"].shape == (31, 256) and w["b1"].shape == (256,)
    assert w["W2"].shape == (256, 2) and w["b2"].shape == (2,) and w["x"].shape == (1, 31)
    want = np.maximum(w["x"] @ w["W1"] + w["b1"], 0.0) @ w["W2"] + w["b2"]

    sess = ort.InferenceSession(str(root / entry["onnx"]), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: np.load(root / entry["inputs"][0])})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.abs(w["b1"]).max() > 0  # the biases are not Flax's zeros


def test_mlp_flops_are_its_multiply_adds_twice(out: Path) -> None:
    entry = json.loads((out / "bench/models/manifest.json").read_text())["models"]["mlp"]
    assert entry["flops"] == 2 * (31 * 256 + 256 * 2)
    assert entry["shapes"] == [] and entry["input_names"] == ["x"]


def test_built_models_are_not_built_again(out: Path) -> None:
    built: list[str] = []
    models.build(out / "bench/models", ["mlp"], log=built.append)
    assert built == []


def test_contraction_macs_of_a_conv_and_an_lstm() -> None:
    from onnx import TensorProto, helper, numpy_helper

    def const(name: str, value: np.ndarray) -> Any:
        return numpy_helper.from_array(value, name)

    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], group=2),
        helper.make_node("Reshape", ["c", "s"], ["r"]),
        helper.make_node("LSTM", ["r", "W", "R"], ["y"], hidden_size=5),
    ]
    inits = [const("w", np.zeros((6, 2, 3, 3), np.float32)),
             const("s", np.array([8, 6, 6], np.int64)),
             const("W", np.zeros((1, 20, 6), np.float32)),
             const("R", np.zeros((1, 20, 5), np.float32))]  # fmt: skip
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    # Conv: 6 output channels x 8 x 6 positions, each 4 / 2 channels x 3 x 3
    conv = 6 * 8 * 6 * (2 * 3 * 3)
    # LSTM over [8 steps, 6 rows, 6 features]: 4 gates x 5 units x (6 inputs + 5 hidden)
    lstm = 8 * 6 * (4 * 5) * (6 + 5)
    assert models.contraction_macs(model) == conv + lstm


# --- report logic -------------------------------------------------------------------------


def _report(kinfer_gflops: float, mlp_us: float, minilm: tuple[float, float],
            cnn: tuple[float, float]) -> dict[str, Any]:  # fmt: skip
    def t(us: float) -> dict[str, Any]:
        return {"p50_us": us, "p99_us": 2 * us, "reps": 10}

    return {
        "peak": {"isa": "avx512", "gflops": PEAK},
        "gemm": [{"m": 32, "k": 384, "n": 1536,
                  "kinfer": {"avx512": {**t(1.0), "gflops": kinfer_gflops},
                             "generic": {**t(9.0), "gflops": 999.0}},
                  "eigen": {**t(1.0), "gflops": GEMM_GFLOPS["eigen"]}}],
        "models": {
            "mlp": {"kinfer": t(mlp_us), "ort": t(5.0), "eigen": t(MLP_US["eigen"]),
                    "diff": {"max_abs": 0.0, "rel": 0.0, "ok": True}},
            "minilm_32": {"kinfer": t(minilm[0]), "ort": t(minilm[1]),
                          "diff": {"max_abs": 1e-6, "rel": 2e-6, "ok": True}},
            "cnn": {"kinfer": t(cnn[0]), "ort": t(cnn[1]),
                    "diff": {"max_abs": 0.5, "rel": 0.1, "ok": False}},
        },
    }  # fmt: skip


def _statuses(report: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {c["name"]: (c["status"], c["value"]) for c in run.evaluate(report)}


def test_checks_pass_and_fail_on_the_issue_limits() -> None:
    good = _statuses(_report(65.0, 0.8, (900.0, 1000.0), (140.0, 100.0)))
    assert good["GEMM 32x384x1536 >= 60% of peak"] == ("pass", pytest.approx(65.0 / PEAK))
    eigen_ratio = 65.0 / GEMM_GFLOPS["eigen"]
    assert good["GEMM 32x384x1536 >= 1.0x Eigen"] == ("pass", pytest.approx(eigen_ratio))
    assert good["MLP p50 <= 1 us"] == ("pass", 0.8)
    assert good["MLP p50 <= Eigen p50"] == ("pass", pytest.approx(0.8 / MLP_US["eigen"]))
    assert good["MiniLM 32 tokens kinfer/ORT <= 1.0"] == ("pass", pytest.approx(0.9))
    assert good["CNN kinfer/ORT <= 1.5"] == ("pass", pytest.approx(1.4))
    assert good["cnn output matches ORT (relative)"][0] == "fail"
    assert good["mlp output matches ORT (relative)"][0] == "pass"

    # the dispatched ISA (peak's) is judged, not the fastest entry (generic's 999 here)
    bad = _statuses(_report(55.0, 1.2, (1100.0, 1000.0), (160.0, 100.0)))
    assert bad["GEMM 32x384x1536 >= 60% of peak"][0] == "fail"
    assert bad["GEMM 32x384x1536 >= 1.0x Eigen"][0] == "fail"
    assert bad["MLP p50 <= 1 us"][0] == "fail"
    assert bad["MLP p50 <= Eigen p50"][0] == "fail"
    assert bad["MiniLM 32 tokens kinfer/ORT <= 1.0"] == ("fail", pytest.approx(1.1))
    assert bad["CNN kinfer/ORT <= 1.5"] == ("fail", pytest.approx(1.6))


def _int8(report: dict[str, Any], p50: float, held_out: float, sample_min: float) -> dict[str, Any]:
    report["models"]["minilm_32"]["int8"] = {
        "p50_us": p50, "p99_us": 2 * p50, "reps": 10, "cosine_vs_float": held_out,
        "max_abs_vs_float": 0.01,
        "quantize": {"mode": "int8", "matmuls": 36, "quantizes": 24, "samples": 16,
                     "outputs": [{"name": "embedding", "cosine_min": sample_min,
                                  "cosine_mean": 0.997, "max_abs_diff": 0.02}]}}  # fmt: skip
    return report


def test_int8_checks_speed_ratio_and_the_lower_cosine() -> None:
    report = _int8(_report(65.0, 0.8, (900.0, 1000.0), (140.0, 100.0)), 450.0, 0.998, 0.994)
    good = _statuses(report)
    assert good["int8 MiniLM >= 1.8x faster than float"] == ("pass", pytest.approx(2.0))
    assert good["int8 MiniLM cosine >= 0.99"] == ("pass", pytest.approx(0.994))
    md = run.render_markdown(report)
    assert "| minilm_32 | 900 | 450 | 2.00 | 0.9980 | 0.9940 / 0.9970 | 36 / 24 | 16 |" in md

    bad = _statuses(_int8(_report(65.0, 0.8, (900.0, 1000.0), (140.0, 100.0)), 600.0, 0.985, 0.994))
    assert bad["int8 MiniLM >= 1.8x faster than float"] == ("fail", pytest.approx(1.5))
    assert bad["int8 MiniLM cosine >= 0.99"] == ("fail", pytest.approx(0.985))

    report["models"]["minilm_32"]["int8"] = {"error": "kinfer_bench model exited with 3"}
    missing = _statuses(report)
    assert missing["int8 MiniLM >= 1.8x faster than float"] == ("missing", None)
    assert missing["int8 MiniLM cosine >= 0.99"] == ("missing", None)
    assert "exited with 3" in run.render_markdown(report)


def test_checks_without_numbers_are_missing() -> None:
    report = _report(65.0, 0.8, (900.0, 1000.0), (140.0, 100.0))
    report["models"]["cnn"]["kinfer"] = {"error": "kinfer_bench model exited with -11"}
    del report["models"]["minilm_32"]
    report["gemm"] = []
    statuses = _statuses(report)
    assert statuses["CNN kinfer/ORT <= 1.5"] == ("missing", None)
    assert statuses["MiniLM 32 tokens kinfer/ORT <= 1.0"] == ("missing", None)
    assert statuses["GEMM 32x384x1536 >= 60% of peak"] == ("missing", None)
    assert "exited with -11" in run.render_markdown(report)


def test_percentile_is_nearest_rank_as_numpy_computes_it() -> None:
    values = list(np.random.default_rng(3).exponential(10.0, 137))
    for q in (1, 50, 90, 99, 100):
        want = float(np.percentile(values, q, method="inverted_cdf"))
        assert run.percentile(values, q) == want


def test_reps_fit_the_budget() -> None:
    assert run.reps_for(1.0, 1000, 3.0) == 1000
    assert run.reps_for(50_000.0, 1000, 3.0) == 60  # 3 s of 50 ms runs
    assert run.reps_for(10e6, 1000, 3.0) == run.MIN_REPS
    assert run.reps_for(10e6, 5, 3.0) == 5


# --- run.py end to end with the fake tool ------------------------------------------------------


def test_main_reports_what_the_tool_and_ort_measured(out: Path, fake: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "calls.txt"
    monkeypatch.setenv("FAKE_BENCH_LOG", str(log))
    vm = tmp_path / "vm.json"
    vm.write_text(json.dumps({"mlp": {"kernel_p50_us": 3.0, "user_p50_us": 2.0}}))
    assert _bench(out, fake, "--vm-json", str(vm)) == 0
    report = json.loads((out / "bench.json").read_text())
    md = (out / "bench.md").read_text()
    printed = capsys.readouterr().out

    assert report["peak"] == {"isa": "avx512", "gflops": PEAK}
    assert [(g["m"], g["k"], g["n"]) for g in report["gemm"]] == list(run.GEMM_SHAPES)
    mlp = report["models"]["mlp"]
    assert mlp["kinfer"]["p50_us"] == MLP_US["kinfer"] and mlp["eigen"]["p50_us"] == MLP_US["eigen"]
    assert mlp["diff"]["max_abs"] == 0.0 and mlp["diff"]["ok"]
    assert 0 < mlp["ort"]["p50_us"] <= mlp["ort"]["p99_us"] and mlp["ort"]["reps"] >= 10
    assert mlp["flops"] == 2 * (31 * 256 + 256 * 2)

    calls = log.read_text().splitlines()
    model_call = next(c for c in calls if c.startswith("model "))
    assert "--output" in model_call and model_call.count("--input") == 1
    assert "W1.npy" in next(c for c in calls if c.startswith("mlp-eigen "))

    ratio = MLP_US["kinfer"] / mlp["ort"]["p50_us"]
    assert run._num(ratio) in md and run._num(mlp["ort"]["p50_us"]) in md
    assert "| 32x384x1536 | 70.0 | 40.0 | 5.00 | 60.0 |" in md  # GFLOP/s per ISA, Eigen
    assert f"| {run._num(100 * GEMM_GFLOPS['avx512'] / PEAK)} | " in md  # % of peak
    assert run._num(GEMM_GFLOPS["avx512"] / GEMM_GFLOPS["eigen"]) in md
    assert "| mlp | 3.00 | 2.00 | 1.50 |" in md  # the VM table and its ratio
    assert mlp["sections"] == SECTIONS and any(c.startswith("model ") and "--profile" in c
                                               for c in calls)  # fmt: skip
    assert "| MATMUL | 4.50 | mlp |" in md and md.index("| MATMUL |") < md.index("| INPUT |")
    assert "onnxruntime" in md and report["meta"]["isa"] == "avx512"
    assert "PASS    MLP p50 <= 1 us" in printed and "PASS    MLP p50 <= 1 us" in md
    assert "MISSING MiniLM 32 tokens" in printed  # only the MLP was timed


def test_a_wrong_kinfer_output_is_flagged(out: Path, fake: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BENCH_OFFSET", "0.01")
    assert _bench(out, fake, "--strict") == 1
    mlp = json.loads((out / "bench.json").read_text())["models"]["mlp"]
    assert mlp["diff"]["max_abs"] == pytest.approx(0.01, rel=1e-3)
    assert not mlp["diff"]["ok"] and "(!)" in (out / "bench.md").read_text()


def test_a_crashing_tool_is_recorded(out: Path, tmp_path: Path) -> None:
    tool = tmp_path / "kinfer_bench"
    tool.write_text("#!/bin/sh\necho 'segfault in gemm' >&2\nexit 139\n")
    tool.chmod(0o755)
    assert _bench(out, tool) == 0
    report = json.loads((out / "bench.json").read_text())
    assert "exited with 139" in report["models"]["mlp"]["kinfer"]["error"]
    assert "segfault in gemm" in report["gemm"][0]["error"]


def test_missing_tool_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "cmake/bench/kinfer_bench"
    assert run.main(["--out", str(tmp_path), "--tool", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "kinfer_bench not found" in err and str(missing) in err


# --- every model through kinfer inspect (slow) -------------------------------------------------


@pytest.mark.skipif(not os.environ.get("KINFER_BENCH_SLOW"), reason="KINFER_BENCH_SLOW=1: "
                    "builds MiniLM three times (about 30 s, 260 MiB)")
def test_every_model_passes_kinfer_inspect(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = Path(os.environ.get("KINFER_BENCH_MODELS") or tmp_path_factory.mktemp("models"))
    manifest = models.build(root, log=lambda _: None)
    for name, entry in manifest["models"].items():
        proc = subprocess.run([str(KINFER), "inspect", str(root / entry["onnx"]), "--json"],
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert proc.returncode == 0, f"{name}: kinfer inspect: {proc.stderr[-400:]}"
        info = json.loads(proc.stdout)
        assert len(info["inputs"]) == len(entry["inputs"]), name
