# SPDX-License-Identifier: GPL-2.0
"""`kinfer run --reference` on .tflite files (kinfer.examples.tflite_zoo)
against the TFLite interpreter.

Each zoo file comes with an input and two interpreter outputs: the
reference kernels' (OpResolverType.BUILTIN_REF), which kinfer's int8
kernels reproduce, and the default interpreter's (optimised kernels with
the XNNPACK delegate), which rounds differently on a few elements.
Quantised outputs are compared in quantisation steps: equal on >= 99% of
the elements and never more than one step off the reference kernels; the
default interpreter gets the same criteria, widened by how far it is
itself from the reference kernels. The float file matches within 1e-4 of
the largest output; the CNN's dequantised output picks the float Keras
model's class on most samples.

The files are generated in-process (about a minute), or taken from
$KINFER_TFLITE_FIXTURES (make fixtures writes build/fixtures/tflite).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kinfer.examples import tflite_zoo

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
MIN_EQUAL = 0.99  # fraction of elements equal to the reference
MAX_STEPS = 1  # quantisation steps any element may be off
REL_TOL = 1e-4  # float model, relative to the largest output
MIN_ARGMAX = 0.75  # CNN samples whose class matches the float Keras model's


def kinfer(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("KINFER_TFLITE_FIXTURES")
    if given and all((Path(given) / f"{n}.json").exists() for n in tflite_zoo.ZOO):
        return Path(given)
    out = tmp_path_factory.mktemp("tflite")
    for name in tflite_zoo.ZOO:
        tflite_zoo.write(out, name)
    return out


def run_kinfer(zoo: Path, name: str, tmp_path: Path) -> np.ndarray:
    """kinfer's output on the whole input, run by run (the CNNs take one sample)."""
    meta = json.loads((zoo / f"{name}.json").read_text())
    x = np.load(zoo / f"{name}.input.npy")
    outs = []
    for start in range(0, x.shape[0], meta["batch"]):
        xi, yi = tmp_path / f"x{start}.npy", tmp_path / f"y{start}.npy"
        np.save(xi, x[start : start + meta["batch"]])
        r = kinfer("run", "--reference", zoo / f"{name}.tflite", "--input", xi, "--output", yi)
        assert r.returncode == 0, f"{name}: kinfer exited {r.returncode}\n{r.stderr}"
        outs.append(np.load(yi))
    return np.concatenate(outs)


def steps(a: np.ndarray, b: np.ndarray, step: float | None) -> np.ndarray:
    """|a - b| in quantisation steps (int8 arrays, or floats dequantised with ``step``)."""
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return diff if a.dtype == np.int8 else diff / step


def check_quantised(
    got: np.ndarray,
    want: np.ndarray,
    step: float,
    what: str,
    min_equal: float = MIN_EQUAL,
    max_steps: float = MAX_STEPS,
) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype, (
        what,
        got.shape,
        got.dtype,
        want.shape,
        want.dtype,
    )
    off = steps(got, want, step)
    equal = float(np.mean(off < 0.5))
    worst = float(np.max(off))
    assert equal >= min_equal and worst <= max_steps + 1e-3, (
        f"{what}: {equal:.4%} of {off.size} elements equal (need {min_equal:.2%}), "
        f"worst {worst:.2f} steps (allowed {max_steps})"
    )


@pytest.mark.parametrize("name", list(tflite_zoo.ZOO))
def test_tflite_matches_interpreter(zoo: Path, name: str, tmp_path: Path) -> None:
    meta = json.loads((zoo / f"{name}.json").read_text())
    got = run_kinfer(zoo, name, tmp_path)
    ref = np.load(zoo / f"{name}.ref_builtin_ref.npy")
    default = np.load(zoo / f"{name}.ref.npy")
    step = meta["output_step"]
    if step is None:  # a float model
        for want, which in ((ref, "reference kernels"), (default, "default interpreter")):
            assert got.shape == want.shape and got.dtype == want.dtype
            err = float(np.max(np.abs(got.astype(np.float64) - want)))
            assert err <= REL_TOL * float(np.max(np.abs(want))), (
                f"{name} vs {which}: max |error| {err:.3g}"
            )
        return
    check_quantised(got, ref, step, f"{name} vs the reference kernels")
    # XNNPACK rounds some elements differently from the reference kernels
    # (up to 2 steps on MUL): allow kinfer the same distance from it.
    apart = steps(default, ref, step)
    check_quantised(
        got,
        default,
        step,
        f"{name} vs the default interpreter",
        min_equal=min(MIN_EQUAL, float(np.mean(apart < 0.5)) - 0.01),
        max_steps=max(MAX_STEPS, float(np.max(apart)) + MAX_STEPS),
    )


@pytest.mark.parametrize("name", [n for n, e in tflite_zoo.ZOO.items() if e.cnn])
def test_cnn_keeps_the_keras_models_answers(zoo: Path, name: str, tmp_path: Path) -> None:
    meta = json.loads((zoo / f"{name}.json").read_text())
    got = tflite_zoo.dequantise(run_kinfer(zoo, name, tmp_path), meta["outputs"][0])
    want = np.load(zoo / f"{name}.tf.npy")
    if meta["output_step"] is None:
        err = float(np.max(np.abs(got - want)))
        assert err <= REL_TOL * float(np.max(np.abs(want))), (
            f"{name} vs Keras: max |error| {err:.3g}"
        )
    agree = float(np.mean(np.argmax(got, -1) == np.argmax(want, -1)))
    assert agree >= MIN_ARGMAX, (
        f"{name}: the Keras model's class on {agree:.0%} of {len(want)} samples"
    )
