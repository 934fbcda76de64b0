"""kinfer.flax.KernelModule in the kernel (in the VM).

to_kernel exports, compiles and loads Flax modules here (JAX traces them in
the guest); calls are compared with the JAX outputs make fixtures computed
on the host for the same zoo models and inputs (kinfer-models export-zoo).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import BPFFS, FIXTURES, SYSFS, kinfer, module_for_file

ZOO = FIXTURES / "zoo"
REL_TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file():
        yield
        leftovers = [p.name for p in BPFFS.iterdir()] if BPFFS.exists() else []
        assert leftovers == [], f"models left loaded: {leftovers}"


def zoo_entry(name: str):
    """The zoo model with the variables make fixtures saved (no init here)."""
    from kinfer.examples import zoo

    saved = ZOO / f"{name}.variables"
    return zoo.build(name, variables=saved.read_bytes() if saved.exists() else None)


def expected(label: str) -> np.ndarray:
    path = ZOO / label / "expected_0.npy"
    assert path.exists(), f"missing fixture {path}; run 'make fixtures'"
    return np.load(path)


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    assert rel <= REL_TOL, f"relative error {rel:.2e}"


def show(model: str) -> dict:
    return json.loads(kinfer("show", model, "--json").stdout)


def weight_map_ids(model: str) -> dict[str, int]:
    m = show(model)
    return {mp["pin"].split("/weights/", 1)[1]: mp["id"] for mp in m["maps"]
            if "/weights/" in mp["pin"]}


def test_methods_share_weights_and_match_jax() -> None:
    import kinfer.flax

    entry = zoo_entry("encoder")
    with kinfer.flax.to_kernel(entry.module, entry.variables, entry.example, name="enc",
                               methods=("__call__", "encode")) as km:
        assert km.methods == ("__call__", "encode")
        assert km.model_name("encode") == "enc-encode"
        assert_close(km(entry.example), expected("encoder_call"))
        assert_close(km.encode(entry.example), expected("encoder_encode"))
        primary, encode = weight_map_ids("enc"), weight_map_ids("enc-encode")
        shared = {k for k in encode if primary.get(k) == encode[k]}
        assert "params/embed/embedding" in shared
        assert any(k.startswith("params/layers_1/attn/") for k in shared)
        print(f"enc-encode shares {len(shared)} of {len(encode)} weight maps with enc")

        # a submodule handle: its own program on the parent's weight maps
        assert "layers_1" in km.submodules() and "layers_1/attn" in km.submodules()
        block = km.submodule("layers_1")
        assert block.model_name() == "enc-sub-layers_1"
        inputs = [np.load(ZOO / "encoder_layers_1" / f"input_{i}.npy") for i in range(2)]
        assert_close(block(*inputs), expected("encoder_layers_1"))
        sub = {k: v for k, v in weight_map_ids("enc-sub-layers_1").items()
               if k.startswith("params/")}
        assert sub and all(k.startswith("params/layers_1/") for k in sub)
        assert all(primary.get(k) == v for k, v in sub.items()), (sub, primary)
    for model in ("enc", "enc-encode", "enc-sub-layers_1"):
        assert not (BPFFS / model).exists()
    assert not (SYSFS / "models" / "enc").exists()


@pytest.mark.parametrize("name", ["mlp", "cnn", "nnx", "lstm", "embedding_bag", "two_methods"])
def test_zoo_model_through_kernel_module(name: str) -> None:
    import kinfer.flax

    entry = zoo_entry(name)
    args = (entry.example,) if entry.variables is None else (entry.variables, entry.example)
    with kinfer.flax.to_kernel(entry.module, *args, name=f"zoo_{name}",
                               methods=entry.methods) as km:
        for method in entry.methods:
            got = km.call(method, entry.example)
            assert_close(got, expected(f"{name}_{method.strip('_')}"))


def test_attach_from_another_process_and_close() -> None:
    import kinfer.flax

    entry = zoo_entry("two_methods")
    km = kinfer.flax.to_kernel(entry.module, entry.variables, entry.example, name="two",
                               methods=("__call__", "encode"))
    np.save("/tmp/two_x.npy", entry.example)
    script = (
        "import numpy as np, kinfer.flax\n"
        "km = kinfer.flax.attach('two')\n"
        "x = np.load('/tmp/two_x.npy')\n"
        "print(sorted(km.methods))\n"
        "np.save('/tmp/two_y.npy', km.encode(x))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['__call__', 'encode']"
    assert_close(np.load("/tmp/two_y.npy"), expected("two_methods_encode"))
    kinfer.flax.attach("two").close()
    with pytest.raises(kinfer.KernelError, match="is not loaded any more"):
        km(entry.example)
    km.close()


def test_errors_name_the_input_and_the_module_path() -> None:
    import kinfer
    import kinfer.flax

    entry = zoo_entry("embedding_bag")
    with kinfer.flax.to_kernel(entry.module, entry.variables, entry.example,
                               name="bag") as km:
        with pytest.raises(ValueError, match=r"input 'x' has shape \(2, 10\); the kernel "
                                             r"program was compiled for \(3, 10\)"):
            km(entry.example[:2])
        bad = entry.example.copy()
        bad[1, 3] = 1000  # past the 128-row embedding table
        with pytest.raises(kinfer.KernelError) as info:
            km(bad)
        assert info.value.module_path == "Embed_0", str(info.value)
        assert "Gather" in (info.value.node or "")
        assert int((SYSFS / "models" / "bag" / "errors").read_text()) == 1
        # the module stays usable after a failed call
        assert km(entry.example).shape == (3, 2)
    with pytest.raises(kinfer.KernelError, match="KernelModule 'bag' is closed"):
        km(entry.example)


def test_a_name_in_use_is_refused_and_nothing_leaks() -> None:
    import kinfer
    import kinfer.flax

    entry = zoo_entry("mlp")
    with kinfer.flax.to_kernel(entry.module, entry.variables, entry.example, name="taken"):
        with pytest.raises(kinfer.KernelError, match="'taken' is already loaded"):
            kinfer.flax.to_kernel(entry.module, entry.variables, entry.example, name="taken")
    assert not (BPFFS / "taken").exists()


def test_update_under_concurrent_callers_never_mixes_weights() -> None:
    """4 threads call while km.update swaps between two weight sets."""
    import threading

    import jax
    import kinfer.flax

    entry = zoo_entry("mlp")
    other = entry.module.init(jax.random.PRNGKey(99), entry.example)
    x = entry.example
    km = kinfer.flax.to_kernel(entry.module, entry.variables, x, name="swapped")
    try:
        old = km(x)
        km.update(other)
        new = km(x)
        km.update(entry.variables)
        assert not np.array_equal(old, new)
        assert_close(old, expected("mlp_call"))
        assert_close(new, np.asarray(entry.module.apply(other, x)))

        stop = threading.Event()
        results: list[np.ndarray] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def caller() -> None:
            try:
                while not stop.is_set():
                    y = km(x)
                    with lock:
                        results.append(y)
            except BaseException as e:  # noqa: BLE001 - reported below
                failures.append(e)

        threads = [threading.Thread(target=caller) for _ in range(4)]
        for t in threads:
            t.start()
        swaps = 0
        try:
            while swaps < 6 or len(results) < 1000:
                km.update(other if swaps % 2 == 0 else entry.variables)
                swaps += 1
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert failures == []
        n_old = sum(np.array_equal(y, old) for y in results)
        n_new = sum(np.array_equal(y, new) for y in results)
        print(f"{len(results)} calls across {swaps} swaps: {n_old} old, {n_new} new")
        assert n_old + n_new == len(results) >= 1000
        assert n_old > 0 and n_new > 0
    finally:
        km.close()
    assert not (BPFFS / "swapped").exists()
    assert not Path("/sys/fs/bpf/kinfer-swap/swapped").exists()


def test_mutable_collection_persists_across_100_calls() -> None:
    """The counter module's collection lives in the kernel: 100 calls, then
    its state equals JAX's after the same 100 calls (make fixtures)."""
    import kinfer.flax
    from flax import serialization

    entry = zoo_entry("counter")
    calls = ZOO / "counter_calls"
    inputs, outputs = np.load(calls / "inputs.npy"), np.load(calls / "outputs.npy")
    jax_state = serialization.msgpack_restore((calls / "state.msgpack").read_bytes())["counters"]
    with kinfer.flax.to_kernel(entry.module, entry.variables, entry.example, name="counter",
                               mutable=("counters",)) as km:
        assert set(km.state()) == {"counters/calls", "counters/input_sum"}
        assert float(km.state()["counters/calls"]) == 0.0
        for i, x in enumerate(inputs):
            assert_close(km(x), outputs[i])  # each output sees the count so far
        state = km.state()
        print(f"after {len(inputs)} calls: kernel {state}, JAX {jax_state}")
        assert float(state["counters/calls"]) == float(jax_state["calls"]) == 100.0
        assert_close(state["counters/input_sum"], np.asarray(jax_state["input_sum"]))
        assert [s["name"] for s in show("counter")["state"]] == ["counters/calls", "counters/input_sum"]
        km.reset_state()
        assert float(km.state()["counters/calls"]) == 0.0
        assert_close(km(inputs[0]), outputs[0])
        assert float(km.state()["counters/calls"]) == 1.0
