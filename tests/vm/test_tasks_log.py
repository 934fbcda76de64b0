"""The log hook (in the VM): log-sentinel audits kernel log lines.

Lines are written to /dev/kmsg; the console tracepoint's hook only
queues them, and the module's worker runs all-MiniLM-L6-v2 on each (a
sleepable run), so the code that logged never waits for the model. The
probe lines' labels and cosines must equal JAX's (kinfer.examples.
log_sentinel, on the host).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from conftest import FIXTURES, SYSFS, dmesg_trouble, kinfer, module_for_file

SENTINEL = FIXTURES / "tasks/log-sentinel"
TASK = "log-sentinel"
TASK_DIR = SYSFS / "tasks" / TASK
SCORE_TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def module() -> Iterator[None]:
    with module_for_file():
        kinfer("task", "add", str(SENTINEL / f"{TASK}.task.json"))
        yield
        kinfer("task", "remove", TASK)


def counter(key: str) -> int:
    return int((TASK_DIR / key).read_text())


def probe_events(texts: set[str], want: int, timeout: float = 300.0) -> list[dict]:
    """The events of these lines, once the worker has reported `want` of them."""
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = kinfer("events", "--json", "--follow", "--timeout-ms", "2000").stdout
        found += [e for e in map(json.loads, out.splitlines()) if e["text"] in texts]
        if len(found) >= want:
            break
    return found


def test_log_lines_are_classified_in_a_worker_as_jax_does() -> None:
    probe = json.loads((SENTINEL / "probe.json").read_text())
    flagged = [p for p in probe if p["flagged"]]
    assert flagged and len(flagged) < len(probe)
    kinfer("events")  # drain
    errors = counter("errors")
    with open("/dev/kmsg", "w") as kmsg:
        for p in probe:
            kmsg.write(f"<4>{p['text']}\n")
            kmsg.flush()
    events = probe_events({p["text"] for p in probe}, len(flagged))
    assert [e["text"] for e in events] == [p["text"] for p in flagged]
    for e, p in zip(events, flagged):
        assert e["verdict"] == "flagged" and e["mode"] == "audit"
        assert e["label"] == p["label"]
        assert abs(e["score"] - p["score"]) <= SCORE_TOL
        assert e["latency_ns"] > 0
    assert counter("errors") == errors
    assert counter("flagged") >= len(flagged)
    assert counter("denied") == 0
    assert int((TASK_DIR / "runner").read_text()) > 0


def test_threshold_change_applies_to_the_next_line() -> None:
    """With the threshold above a trouble line's cosine, the worker does
    not flag it (the threshold is read when the line is classified)."""
    probe = json.loads((SENTINEL / "probe.json").read_text())
    line = max((p for p in probe if p["flagged"]), key=lambda p: p["score"])
    (TASK_DIR / "threshold").write_text(f"{min(1.0, line['score'] + 0.01):.6f}\n")
    try:
        flagged, latency = counter("flagged"), counter("last_latency_ns")
        with open("/dev/kmsg", "w") as kmsg:
            kmsg.write(f"<4>{line['text']}\n")
        deadline = time.monotonic() + 300
        while counter("last_latency_ns") == latency and time.monotonic() < deadline:
            time.sleep(0.2)
        assert counter("last_latency_ns") != latency, "the line was not classified"
        assert counter("flagged") == flagged
    finally:
        (TASK_DIR / "threshold").write_text("0.6\n")
    assert dmesg_trouble() == []
