# SPDX-License-Identifier: GPL-2.0
"""CLI tests for `kinfer`: offline commands against onnxruntime, error
messages and exit codes.  Where kinfer.ko is loaded (in the VM: insmod
kmod/kinfer.ko first, as root) the test_kernel_* tests load, run, show,
list and unload real models (marker "kernel", selected with -m kernel);
on the host (-m "not kernel") the kernel commands are checked for their
"module not loaded" error instead.

The binary is $KINFER_BIN, default build/cmake/loader/kinfer.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
OPSET = 17

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
SYSFS_MODELS = Path("/sys/kernel/kinfer/models")


def kinfer(*args, check=None):
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check is not None:
        assert r.returncode == check, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not os.access(KINFER, os.X_OK):
        pytest.fail(f"{KINFER} is not built (cmake --build build/cmake)")


def rng(seed=0):
    return np.random.default_rng(seed)


def dense_nodes(prefix, x, w, b, y):
    return [
        helper.make_node("MatMul", [x, w], [y + "_mm"], name=f"{prefix}/MatMul"),
        helper.make_node("Add", [y + "_mm", b], [y], name=f"{prefix}/Add"),
    ]


def mlp_model(act="Relu", batch=2, din=5, hidden=16, dout=4, seed=0):
    """x -> Dense -> act -> Dense [-> Softmax if act is Softmax]."""
    g = rng(seed)
    inits = {
        "params/Dense_0/kernel": g.standard_normal((din, hidden)).astype(np.float32),
        "params/Dense_0/bias": g.standard_normal(hidden).astype(np.float32),
        "params/Dense_1/kernel": g.standard_normal((hidden, dout)).astype(np.float32) * 0.5,
        "params/Dense_1/bias": g.standard_normal(dout).astype(np.float32),
    }
    nodes = dense_nodes("Dense_0", "x", "params/Dense_0/kernel", "params/Dense_0/bias", "h")
    if act == "Softmax":
        nodes.append(helper.make_node("Relu", ["h"], ["a"], name="relu"))
        nodes += dense_nodes("Dense_1", "a", "params/Dense_1/kernel", "params/Dense_1/bias", "z")
        nodes.append(helper.make_node("Softmax", ["z"], ["y"], name="softmax", axis=-1))
    else:
        nodes.append(helper.make_node(act, ["h"], ["a"], name=act.lower()))
        nodes += dense_nodes("Dense_1", "a", "params/Dense_1/kernel", "params/Dense_1/bias", "y")
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, din])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, dout])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return make_model(graph)


def add_mul_model(batch=3, d=6, seed=1):
    """Two inputs: y = tanh((x . W + b) * s + z) * x2, with z broadcast as [d]."""
    g = rng(seed)
    inits = [
        numpy_helper.from_array(g.standard_normal((d, d)).astype(np.float32), "W"),
        numpy_helper.from_array(g.standard_normal(d).astype(np.float32), "b"),
        numpy_helper.from_array(g.standard_normal(d).astype(np.float32), "s"),
    ]
    nodes = dense_nodes("Dense", "x", "W", "b", "h") + [
        helper.make_node("Mul", ["h", "s"], ["hs"], name="scale"),
        helper.make_node("Add", ["hs", "z"], ["hz"], name="shift"),
        helper.make_node("Tanh", ["hz"], ["t"], name="tanh"),
        helper.make_node("Mul", ["t", "x"], ["y"], name="gate"),
    ]
    graph = helper.make_graph(
        nodes, "addmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, d]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, d])],
        inits)
    return make_model(graph)


def make_model(graph):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def save(tmp_path, model, name="model.onnx"):
    p = tmp_path / name
    onnx.save(model, str(p))
    return p


def ort_run(path, feeds):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def assert_close(got, want):
    tol = 1e-5 * float(np.max(np.abs(want))) + 1e-6
    err = float(np.max(np.abs(got - want)))
    assert err <= tol, f"max abs err {err} > {tol}"


# ---------------------------------------------------------------- inspect


def test_inspect_text(tmp_path):
    p = save(tmp_path, mlp_model())
    r = kinfer("inspect", p, check=EXIT_OK)
    assert "MATMUL" in r.stdout and "kinfer_matmul" in r.stdout
    assert "Dense_0/MatMul, Dense_0/Add, relu" in r.stdout
    assert "if no two tensors shared memory" in r.stdout
    assert "/sys/fs/bpf/kinfer/model/weights/params/Dense_0/kernel" in r.stdout


def test_inspect_json(tmp_path):
    p = save(tmp_path, mlp_model(act="Softmax"))
    m = json.loads(kinfer("inspect", p, "--name", "clf", "--json", check=EXIT_OK).stdout)
    assert m["model"] == "clf"
    assert [n["op"] for n in m["nodes"]] == ["INPUT", "MATMUL", "MATMUL", "SOFTMAX", "OUTPUT"]
    assert [n["kfunc"] for n in m["nodes"]][1] == "kinfer_matmul"
    assert m["nodes"][1]["onnx_nodes"] == ["Dense_0/MatMul", "Dense_0/Add", "relu"]
    assert m["nodes"][1]["binds"] == ["Dense_0.kernel", "Dense_0.bias"]     # map names
    weights = {mp["weight"]: mp for mp in m["maps"] if mp["role"] == "weight"}
    k = weights["params/Dense_0/kernel"]
    assert k["name"] == "Dense_0.kernel"
    assert k["pin"] == "/sys/fs/bpf/kinfer/clf/weights/params/Dense_0/kernel"
    assert k["bytes"] == 5 * 16 * 4
    assert {mp["role"] for mp in m["maps"]} == {"config", "io", "meta", "weight"}
    assert m["arena_bytes"] % 16 == 0 and m["arena_bytes"] > 0
    assert m["inputs"] == [{"name": "x", "shape": [2, 5], "dtype": "float32",
                            "io_offset": 0, "bytes": 40}]
    assert m["outputs"][0]["io_offset"] == 48
    # Header, then per node 16 bytes, 48 per tensor and its attributes.
    tensors = sum(len(n["in"]) + len(n["out"]) for n in m["nodes"])
    attrs = 32 + 32 + 8     # two matmul blocks, one softmax axis
    assert m["plan_bytes"] == 56 + 16 * len(m["nodes"]) + 48 * tensors + attrs
    assert m["prog"]["name"] == "kinfer_clf"
    assert m["work"] > 0
    assert m["arena_bytes"] <= m["arena_naive_bytes"]
    # SOFTMAX runs in place over the second MATMUL's output.
    assert m["nodes"][3]["in"][0]["offset"] == m["nodes"][3]["out"][0]["offset"]


# ------------------------------------------------------ run --reference


@pytest.mark.parametrize("act", ["Relu", "Sigmoid", "Tanh", "Softmax"])
def test_reference_matches_onnxruntime(tmp_path, act):
    p = save(tmp_path, mlp_model(act=act, seed=hash(act) % 1000))
    x = rng(7).standard_normal((2, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    kinfer("run", "--reference", p, "--input", tmp_path / "x.npy",
           "--output", tmp_path / "y.npy", check=EXIT_OK)
    got = np.load(tmp_path / "y.npy")
    want = ort_run(p, {"x": x})[0]
    assert got.dtype == np.float32 and got.shape == want.shape
    assert_close(got, want)


def test_reference_add_mul_two_inputs(tmp_path):
    p = save(tmp_path, add_mul_model())
    x = rng(3).standard_normal((3, 6)).astype(np.float32)
    z = rng(4).standard_normal(6).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    # The second input as an ONNX TensorProto, the first as float64 npy.
    (tmp_path / "z.pb").write_bytes(numpy_helper.from_array(z, "z").SerializeToString())
    np.save(tmp_path / "x64.npy", x.astype(np.float64))
    kinfer("run", "--reference", p, "--input", tmp_path / "x64.npy", "--input", tmp_path / "z.pb",
           "--output", tmp_path / "y.npy", check=EXIT_OK)
    assert_close(np.load(tmp_path / "y.npy"), ort_run(p, {"x": x, "z": z})[0])
    ops = [n["op"] for n in json.loads(kinfer("inspect", p, "--json").stdout)["nodes"]]
    assert ops == ["INPUT", "INPUT", "MATMUL", "MUL", "ADD", "TANH", "MUL", "OUTPUT"]


def test_reference_gemm_and_reshape(tmp_path):
    g = rng(5)
    w = g.standard_normal((3, 8)).astype(np.float32)        # [N, K] for transB
    c = g.standard_normal(3).astype(np.float32)
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["xf"], name="flat"),
        helper.make_node("Gemm", ["xf", "W", "C"], ["y"], name="gemm", transB=1, alpha=0.5),
    ]
    graph = helper.make_graph(
        nodes, "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(c, "C"),
         numpy_helper.from_array(np.array([2, 8], dtype=np.int64), "shape")])
    p = save(tmp_path, make_model(graph))
    x = g.standard_normal((2, 2, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", "-o", tmp_path / "y.npy", check=EXIT_OK)
    assert_close(np.load(tmp_path / "y.npy"), ort_run(p, {"x": x})[0])


def test_reference_repeat_reports_timings_and_the_same_outputs(tmp_path):
    p = save(tmp_path, mlp_model())
    x = rng(9).standard_normal((2, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", "-o", tmp_path / "y.npy",
               "--repeat", 25, "--timing-json", tmp_path / "t.json", check=EXIT_OK)
    assert_close(np.load(tmp_path / "y.npy"), ort_run(p, {"x": x})[0])
    t = json.loads((tmp_path / "t.json").read_text())
    assert t["runs"] == 25 and t["where"] == "userspace"
    assert t["isa"] in ("generic", "avx2", "avx512")
    assert 0 < t["min_us"] <= t["p50_us"] <= t["p99_us"]
    assert "25 runs in userspace" in r.stderr and "p50" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--timing-json", "t.json"], "--timing-json requires --repeat"),
    (["--repeat", "0"], "--repeat: Value 0 not in range"),
])
def test_reference_repeat_usage_errors(tmp_path, args, message):
    p = save(tmp_path, mlp_model())
    np.save(tmp_path / "x.npy", np.ones((2, 5), np.float32))
    r = kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", *args, check=EXIT_USAGE)
    assert message in r.stderr


def test_reference_prints_without_output(tmp_path):
    p = save(tmp_path, mlp_model())
    np.save(tmp_path / "x.npy", np.ones((2, 5), np.float32))
    r = kinfer("run", "--reference", p, "--input", tmp_path / "x.npy", check=EXIT_OK)
    assert r.stdout.startswith("y [2,4]:")
    assert len(r.stdout.strip().splitlines()) == 3


# ------------------------------------------------------- errors and exit codes


def test_truncated_model(tmp_path):
    p = save(tmp_path, mlp_model())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 7])
    r = kinfer("inspect", p, check=EXIT_INVALID)
    assert str(p) in r.stderr
    assert "truncated" in r.stderr


def test_garbage_model(tmp_path):
    p = tmp_path / "garbage.onnx"
    p.write_bytes(b"\xff\xfe this is not protobuf \x00\x01" * 4)
    r = kinfer("inspect", p, check=EXIT_INVALID)
    assert "not an ONNX model" in r.stderr


def test_unknown_op(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"], name="r"),
         helper.make_node("Det", ["a"], ["y"], name="my_det")],
        "det",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    p = save(tmp_path, make_model(graph))
    r = kinfer("inspect", p, check=EXIT_INVALID)
    assert f"{p}: node 1 'my_det' (Det): unsupported operator 'Det'" in r.stderr
    r = kinfer("run", "--reference", p, "--input", "/nonexistent.npy", check=EXIT_INVALID)
    assert "Det" in r.stderr


def test_wrong_weight_shape_message(tmp_path):
    m = mlp_model(din=5, hidden=16)
    for t in m.graph.initializer:
        if t.name == "params/Dense_1/kernel":
            t.CopyFrom(numpy_helper.from_array(np.zeros((12, 4), np.float32), t.name))
    p = tmp_path / "bad.onnx"
    p.write_bytes(m.SerializeToString())    # onnx.save would run no checks either
    r = kinfer("inspect", p, check=EXIT_INVALID)
    assert ("node 3 'Dense_1/MatMul' (MatMul): operands [2,16] and [12,4] do not multiply "
            "(inner dimensions 16 and 12)") in r.stderr


def test_wrong_input_shape(tmp_path):
    p = save(tmp_path, mlp_model())
    np.save(tmp_path / "x.npy", np.ones((5, 2), np.float32))
    r = kinfer("run", "--reference", p, "--input", tmp_path / "x.npy", check=EXIT_INVALID)
    assert "float32[5,2] does not match input 'x' float32[2,5]" in r.stderr


def test_wrong_input_count_and_dtype(tmp_path):
    p = save(tmp_path, mlp_model())
    np.save(tmp_path / "x.npy", np.ones((2, 5), np.float32))
    np.save(tmp_path / "i.npy", np.ones((2, 5), np.int32))
    np.save(tmp_path / "u.npy", np.ones((2, 5), np.uint16))
    r = kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", "-i", tmp_path / "x.npy",
               check=EXIT_INVALID)
    assert "takes 1 input(s)" in r.stderr
    r = kinfer("run", "--reference", p, "-i", tmp_path / "i.npy", check=EXIT_INVALID)
    assert "int32[2,5] does not match input 'x' float32[2,5]" in r.stderr
    r = kinfer("run", "--reference", p, "-i", tmp_path / "u.npy", check=EXIT_INVALID)
    assert "'<u2' is not supported" in r.stderr


def test_missing_files(tmp_path):
    r = kinfer("inspect", tmp_path / "nope.onnx", check=EXIT_INVALID)
    assert "nope.onnx" in r.stderr and "No such file" in r.stderr
    p = save(tmp_path, mlp_model())
    r = kinfer("run", "--reference", p, "--input", tmp_path / "nope.npy", check=EXIT_INVALID)
    assert "nope.npy" in r.stderr


def test_usage_errors(tmp_path):
    kinfer(check=EXIT_USAGE)
    kinfer("frobnicate", check=EXIT_USAGE)
    kinfer("run", "--reference", "m.onnx", check=EXIT_USAGE)          # no --input
    p = save(tmp_path, mlp_model())
    r = kinfer("inspect", p, "--name", "bad/name", check=EXIT_USAGE)
    assert "invalid model name" in r.stderr
    kinfer("--help", check=EXIT_OK)


# Host runs select "not kernel"; the VM runs "kernel" after insmod. Nothing
# is skipped: a test run where its precondition does not hold fails.
needs_no_module = pytest.mark.no_module


@needs_no_module
@pytest.mark.parametrize("cmd", [
    ["load", "{model}", "--name", "m"],
    ["run", "m", "--input", "{x}"],
    ["list"],
    ["show", "m"],
    ["unload", "m"],
])
def test_kernel_commands_without_module(tmp_path, cmd):
    p = save(tmp_path, mlp_model())
    np.save(tmp_path / "x.npy", np.ones((2, 5), np.float32))
    args = [a.format(model=p, x=tmp_path / "x.npy") for a in cmd]
    r = kinfer(*args, check=EXIT_RUNTIME)
    assert "kinfer.ko is not loaded" in r.stderr


# ------------------------------------------------------------ in the kernel

needs_module = pytest.mark.kernel


@pytest.fixture
def loaded(tmp_path):
    """load(model, name) -> path; unloads everything it loaded at teardown."""
    names = []

    def load(model, name):
        p = save(tmp_path, model, name + ".onnx")
        r = kinfer("load", p, "--name", name, check=EXIT_OK)
        assert f"loaded model '{name}'" in r.stdout
        names.append(name)
        return p

    yield load
    for n in names:
        kinfer("unload", n)


def kernel_vs_reference(tmp_path, name, path, feeds):
    args = []
    for i, (k, v) in enumerate(feeds.items()):
        np.save(tmp_path / f"in{i}.npy", v)
        args += ["--input", tmp_path / f"in{i}.npy"]
    kinfer("run", name, *args, "--output", tmp_path / "k.npy", check=EXIT_OK)
    kinfer("run", "--reference", path, *args, "--output", tmp_path / "r.npy", check=EXIT_OK)
    got, ref = np.load(tmp_path / "k.npy"), np.load(tmp_path / "r.npy")
    want = ort_run(path, feeds)[0]
    assert_close(got, want)
    assert_close(got, ref)


@needs_module
@pytest.mark.parametrize("act", ["Relu", "Sigmoid", "Tanh", "Softmax"])
def test_kernel_matches_onnxruntime(tmp_path, loaded, act):
    name = "t_" + act.lower()
    p = loaded(mlp_model(act=act, seed=3), name)
    x = rng(11).standard_normal((2, 5)).astype(np.float32)
    kernel_vs_reference(tmp_path, name, p, {"x": x})


@needs_module
def test_kernel_repeat_times_runs_by_the_module_clock(tmp_path, loaded):
    p = loaded(mlp_model(seed=4), "t_repeat")
    x = rng(12).standard_normal((2, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    calls = int((SYSFS_MODELS / "t_repeat" / "calls").read_text())
    kinfer("run", "t_repeat", "-i", tmp_path / "x.npy", "-o", tmp_path / "y.npy",
           "--repeat", 7, "--timing-json", tmp_path / "t.json", check=EXIT_OK)
    assert_close(np.load(tmp_path / "y.npy"), ort_run(p, {"x": x})[0])
    t = json.loads((tmp_path / "t.json").read_text())
    assert t["runs"] == 7 and t["where"] == "kernel"
    assert t["isa"] == (SYSFS_MODELS.parent / "isa").read_text().strip()
    assert 0 < t["min_us"] <= t["p50_us"] <= t["p99_us"]
    assert int((SYSFS_MODELS / "t_repeat" / "calls").read_text()) == calls + 7


@needs_module
def test_kernel_add_mul(tmp_path, loaded):
    p = loaded(add_mul_model(), "t_addmul")
    feeds = {"x": rng(1).standard_normal((3, 6)).astype(np.float32),
             "z": rng(2).standard_normal(6).astype(np.float32)}
    kernel_vs_reference(tmp_path, "t_addmul", p, feeds)


@needs_module
def test_kernel_show_list_unload(tmp_path, loaded):
    loaded(mlp_model(), "t_show")
    m = json.loads(kinfer("show", "t_show", "--json", check=EXIT_OK).stdout)
    assert m["prog"]["id"] > 0
    assert all(mp["id"] > 0 for mp in m["maps"])
    assert m["module"]["id"] == str(m["model_id"])
    assert any(mp["pin"].endswith("/weights/params/Dense_1/bias") for mp in m["maps"])
    text = kinfer("show", "t_show", check=EXIT_OK).stdout
    assert "kinfer_matmul" in text and "id " in text
    names = [e["name"] for e in json.loads(kinfer("list", "--json", check=EXIT_OK).stdout)]
    assert "t_show" in names
    assert "t_show" in kinfer("list", check=EXIT_OK).stdout

    r = kinfer("load", save(tmp_path, mlp_model(), "again.onnx"), "--name", "t_show",
               check=EXIT_RUNTIME)
    assert "already loaded" in r.stderr

    kinfer("unload", "t_show", check=EXIT_OK)
    assert not os.path.exists("/sys/fs/bpf/kinfer/t_show")
    assert not os.path.exists("/sys/kernel/kinfer/models/t_show")
    r = kinfer("unload", "t_show", check=EXIT_RUNTIME)
    assert "no model named 't_show'" in r.stderr


@needs_module
def test_kernel_run_errors(tmp_path, loaded):
    loaded(mlp_model(), "t_err")
    np.save(tmp_path / "bad.npy", np.ones((1, 5), np.float32))
    r = kinfer("run", "t_err", "--input", tmp_path / "bad.npy", check=EXIT_INVALID)
    assert "does not match input 'x' float32[2,5]" in r.stderr
    r = kinfer("run", "t_missing", "--input", tmp_path / "bad.npy", check=EXIT_RUNTIME)
    assert "no model named 't_missing'" in r.stderr


@needs_module
def test_kernel_failed_load_leaves_nothing(tmp_path):
    # More arena than the module has: refused before anything is created.
    arena = int(open("/sys/kernel/kinfer/arena_bytes").read())
    width = int((arena // 4) ** 0.5) + 64
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["y"])], "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [width, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [width, width])])
    p = save(tmp_path, make_model(graph))
    r = kinfer("load", p, "--name", "t_big", check=EXIT_RUNTIME)
    assert "arena" in r.stderr
    assert not os.path.exists("/sys/fs/bpf/kinfer/t_big")
    assert not os.path.exists("/sys/kernel/kinfer/models/t_big")


def _run_kernel(tmp_path, name, x):
    np.save(tmp_path / "x.npy", x)
    kinfer("run", name, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy",
           check=EXIT_OK)
    return np.load(tmp_path / "y.npy")


def _weight_ids(name):
    m = json.loads(kinfer("show", name, "--json", check=EXIT_OK).stdout)
    return {mp["pin"].split("/weights/", 1)[1]: mp["id"] for mp in m["maps"]
            if "/weights/" in mp["pin"]}


@needs_module
def test_kernel_swap_replaces_weights_and_keeps_the_model(tmp_path, loaded):
    x = rng(5).standard_normal((2, 5)).astype(np.float32)
    loaded(mlp_model(seed=0), "t_swap")
    before = _run_kernel(tmp_path, "t_swap", x)
    model_id = open("/sys/kernel/kinfer/models/t_swap/id").read()
    new = save(tmp_path, mlp_model(seed=7), "new.onnx")
    r = kinfer("swap", "t_swap", new, check=EXIT_OK)
    assert "swapped model 't_swap'" in r.stdout
    after = _run_kernel(tmp_path, "t_swap", x)
    assert_close(after, ort_run(new, {"x": x}))
    assert not np.allclose(before, after)
    assert open("/sys/kernel/kinfer/models/t_swap/id").read() == model_id
    assert os.listdir("/sys/fs/bpf/kinfer-swap") == []

    # another interface is refused, and the live model is untouched
    other = save(tmp_path, mlp_model(seed=7, batch=3), "other.onnx")
    r = kinfer("swap", "t_swap", other, check=EXIT_INVALID)
    assert "a swap keeps the interface" in r.stderr
    assert_close(_run_kernel(tmp_path, "t_swap", x), after)
    r = kinfer("swap", "t_nothing", new, check=EXIT_RUNTIME)
    assert "no model named 't_nothing'" in r.stderr


@needs_module
def test_kernel_share_weights_reuses_identical_maps(tmp_path, loaded):
    loaded(mlp_model(seed=0), "t_own")
    # Same first layer, other second layer: only the first layer is shared.
    second = mlp_model(seed=0)
    for init in second.graph.initializer:
        if init.name.startswith("params/Dense_1/"):
            arr = numpy_helper.to_array(init) + 1.0
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    p = save(tmp_path, second, "second.onnx")
    r = kinfer("load", p, "--name", "t_share", "--share-weights", "t_own", check=EXIT_OK)
    try:
        own, share = _weight_ids("t_own"), _weight_ids("t_share")
        same = {k for k in share if own.get(k) == share[k]}
        assert same and all(k.startswith("params/Dense_0/") for k in same), (own, share)
        assert f"{len(same)} of {len(share)} weight maps shared with 't_own'" in r.stdout
        x = rng(6).standard_normal((2, 5)).astype(np.float32)
        assert_close(_run_kernel(tmp_path, "t_share", x), ort_run(p, {"x": x}))
    finally:
        kinfer("unload", "t_share", check=EXIT_OK)
    r = kinfer("load", p, "--name", "t_share2", "--share-weights", "t_absent",
               check=EXIT_RUNTIME)
    assert "no model named 't_absent'" in r.stderr
    assert not os.path.exists("/sys/fs/bpf/kinfer/t_share2")
    assert not os.path.exists("/sys/kernel/kinfer/models/t_share2")
