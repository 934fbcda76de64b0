"""``kinfer-models export-mlp``: fixtures for the in-kernel tests and the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import onnx
import pytest

from kinfer.examples import make_mlp
from kinfer.models_cli import main
from kinfer_parity import assert_close, op_types, run_onnx


def _export(tmp_path: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "fixture"
    return main(["export-mlp", "--out", str(out), *extra]), out


@pytest.mark.parametrize("style", ["setup", "compact"])
def test_export_mlp_writes_fixtures(tmp_path: Path, style: str) -> None:
    code, out = _export(
        tmp_path,
        "--layers",
        "6,10,4",
        "--activation",
        "tanh",
        "--style",
        style,
        "--softmax",
        "--seed",
        "5",
        "--batch",
        "3",
        "--samples",
        "2",
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "expected_0.npy",
        "expected_1.npy",
        "input_0.npy",
        "input_1.npy",
        "meta.json",
        "model.onnx",
    ]
    meta = json.loads((out / "meta.json").read_text())
    assert meta["layers"] == [6, 10, 4]
    assert meta["activation"] == "tanh" and meta["seed"] == 5 and meta["style"] == style
    assert meta["weight_bytes"] == 4 * (6 * 10 + 10 + 10 * 4 + 4)
    assert meta["ops"] == ["MatMul", "Add", "Tanh", "MatMul", "Add", "Softmax"]

    model = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.name == "mlp"
    assert op_types(model) == meta["ops"]

    # The expected outputs are JAX's, for the parameters the seed gives.
    module = make_mlp([6, 10, 4], "tanh", style, softmax=True)
    key_params, _ = jax.random.split(jax.random.key(5))
    variables = module.init(key_params, np.zeros((3, 6), np.float32))
    inputs = [np.load(out / f"input_{i}.npy") for i in range(2)]
    assert not np.array_equal(inputs[0], inputs[1])
    for i, x in enumerate(inputs):
        assert x.dtype == np.float32 and x.shape == (3, 6)
        expected = np.load(out / f"expected_{i}.npy")
        assert expected.dtype == np.float32 and expected.shape == (3, 4)
        np.testing.assert_allclose(expected, module.apply(variables, x), rtol=1e-6, atol=1e-7)
        assert_close(run_onnx(model, x), expected)


def test_export_mlp_is_deterministic(tmp_path: Path) -> None:
    args = ["--layers", "4,3", "--seed", "9", "--samples", "1"]
    assert _export(tmp_path / "a", *args)[0] == 0
    assert _export(tmp_path / "b", *args)[0] == 0
    for name in ("model.onnx", "input_0.npy", "expected_0.npy", "meta.json"):
        a = (tmp_path / "a" / "fixture" / name).read_bytes()
        assert a == (tmp_path / "b" / "fixture" / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export-mlp", "--layers", "16", "--out", "d"], "at least two comma-separated"),
        (["export-mlp", "--layers", "16,x", "--out", "d"], "at least two comma-separated"),
        (["export-mlp", "--layers", "16,0", "--out", "d"], "positive widths"),
        (["export-mlp", "--layers", "4,2", "--activation", "gelu", "--out", "d"], "invalid choice"),
        (
            ["export-mlp", "--layers", "4,2", "--style", "functional", "--out", "d"],
            "invalid choice",
        ),
        (["export-mlp", "--layers", "4,2", "--batch", "0", "--out", "d"], "positive integer"),
        (["export-mlp", "--layers", "4,2", "--samples", "-1", "--out", "d"], "positive integer"),
        (["export-mlp", "--layers", "4,2", "--seed", "-3", "--out", "d"], "[0, 2**32)"),
        (["export-mlp", "--layers", "4,2", "--name", "a/b", "--out", "d"], "[A-Za-z0-9_-]"),
        (["export-mlp", "--layers", "4,2", "--name", "a.b", "--out", "d"], "[A-Za-z0-9_-]"),
        (["export-mlp", "--layers", "4,2"], "--out"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2(capsys, monkeypatch, tmp_path, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err
    assert not (tmp_path / "d").exists()


def test_help_and_version(capsys) -> None:
    assert main(["--help"]) == 0
    assert "export-mlp" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert "0.1.0" in capsys.readouterr().out


def test_output_dir_error_exits_1(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export-mlp", "--layers", "4,2", "--out", str(blocker / "sub")]) == 1
    assert "kinfer-models: error:" in capsys.readouterr().err


SCRIPT = Path(sys.executable).with_name("kinfer-models")


@pytest.mark.skipif(not SCRIPT.exists(), reason="kinfer is not pip-installed in this environment")
def test_console_script(tmp_path: Path) -> None:
    run = subprocess.run(
        [SCRIPT, "export-mlp", "--layers", "4,2", "--out", tmp_path],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "model.onnx").is_file()
    bad = subprocess.run([SCRIPT, "export-mlp"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--layers" in bad.stderr
