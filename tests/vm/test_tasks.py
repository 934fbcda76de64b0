"""Tasks on kernel hooks (in the VM): cmdline-guard on exec.

The fixture (kinfer.examples.cmdline_guard, made on the host) is the
shipped task: a Flax classifier behind the in-kernel tokenizer, its task
manifest, and held-out commands with what JAX says of each. The tests
never run a command of the corpus: every exec runs a static binary that
only exits (tests/vm/exit0.c) with the command as its argv, which is the text the hook reads -- so the kernel
sees the malicious command line, and nothing harmful can run when the
task lets it through.

The task sees every exec in the VM, the tests' own helpers included, so
they run with the task disabled (task_off) wherever an exec is not the
one under test.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import struct
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from conftest import FIXTURES, SYSFS, dmesg_trouble, kinfer, module_for_file, run

GUARD = FIXTURES / "tasks/cmdline-guard"
TASK = "cmdline-guard"
TASK_DIR = SYSFS / "tasks" / TASK
TRUE = str(FIXTURES / "exit0")
EPERM = 1
SCORE_TOL = 1e-5
STORM_PROCS = 4
STORM_EXECS = 2500  # per process


@pytest.fixture(scope="module", autouse=True)
def module() -> Iterator[None]:
    with module_for_file():
        kinfer("task", "add", str(GUARD / "cmdline-guard.task.json"))
        yield
        write("enabled", "0")
        kinfer("task", "remove", TASK)


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return json.loads((GUARD / "heldout.json").read_text())


@pytest.fixture(autouse=True)
def settings() -> Iterator[None]:
    """Every test starts from the manifest's settings and leaves them so."""
    manifest = json.loads((GUARD / "cmdline-guard.task.json").read_text())
    start = {"enabled": "1", "mode": manifest["mode"], "threshold": f"{manifest['threshold']:.6f}",
             "on_error": manifest["on_error"], "sample_rate": str(manifest["sample_rate"]),
             "max_tokens": str(manifest.get("max_tokens", 0))}
    for key, value in start.items():
        write(key, value)
    yield
    for key, value in start.items():
        write(key, value)


def write(key: str, value: str) -> None:
    (TASK_DIR / key).write_text(value + "\n")


def read(key: str) -> str:
    return (TASK_DIR / key).read_text().strip()


def counters() -> dict[str, int]:
    return {k: int(read(k)) for k in ("events", "sampled_out", "flagged", "denied", "errors")}


def exec_as(argv: Sequence[str | bytes]) -> int:
    """Run exit0 with this argv; 0, or the errno of a refused exec."""
    try:
        pid = os.posix_spawn(TRUE, list(argv), {})
    except PermissionError as e:
        return e.errno
    assert os.waitpid(pid, 0)[1] == 0
    return 0


@contextlib.contextmanager
def task_off() -> Iterator[None]:
    """Disabled for the helpers' own execs, then as it was."""
    was = read("enabled")
    write("enabled", "0")
    try:
        yield
    finally:
        write("enabled", was)


def events() -> list[dict]:
    with task_off():
        out = kinfer("events", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def escaped(text: bytes) -> str:
    """What kinfer events prints of these bytes (escape_text)."""
    out = []
    for c in text:
        if c in (0x5C, 0x22):
            out.append("\\" + chr(c))
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return "".join(out)


def kernel_log_clean() -> bool:
    with task_off():
        return dmesg_trouble() == []


def flagged_by_flax(cmd: dict, threshold: float) -> bool:
    return cmd["flax_label"] == 1 and cmd["flax_score"] >= threshold


def test_task_is_listed_with_its_binding() -> None:
    with task_off():
        show = json.loads(kinfer("task", "show", TASK, "--json").stdout)
        listed = json.loads(kinfer("task", "list", "--json").stdout)
        dump = run("bpftool", "map", "dump", "-j", "pinned",
                   f"/sys/fs/bpf/kinfer/tasks/{TASK}/config").stdout
    assert show["hook"] == "exec" and show["attached"] is True
    assert show["pipeline"] == TASK and show["mode"] == "enforce"
    assert [t["name"] for t in listed] == [TASK]
    config = json.loads(dump)[0]["formatted"]["value"]
    assert config["task_id"] == int(show["id"]) and config["text_bytes"] == 512
    assert config["flag_labels"] == 2  # label 1, "malicious"


def test_kernel_predictions_equal_flax_on_heldout(heldout: list[dict]) -> None:
    """The pipeline in the kernel gives every held-out command JAX's label
    and score, and the classifier is right on >= 95 % of them."""
    assert len(heldout) >= 500
    texts = [c["text"] for c in heldout]
    rows = []
    with task_off():  # the command lines are kinfer's own argv here
        for i in range(0, len(texts), 100):
            out = kinfer("classify", TASK, "--json", "--", *texts[i:i + 100]).stdout
            rows += [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(heldout)
    labels = ["benign", "malicious"]
    wrong = [(c["text"], r) for c, r in zip(heldout, rows) if r["label"] != labels[c["flax_label"]]]
    assert wrong == []
    worst = max(abs(r["score"] - c["flax_score"]) for c, r in zip(heldout, rows))
    assert worst <= SCORE_TOL
    accuracy = sum(c["flax_label"] == c["label"] for c in heldout) / len(heldout)
    assert accuracy >= 0.95


def test_enforce_denies_exactly_what_flax_flags(heldout: list[dict]) -> None:
    """Through the hook: each held-out command line is execed; the exec
    fails with EPERM exactly when JAX's label is malicious at or above the
    threshold, and the counters and events account for every exec."""
    assert_enforces(heldout)


def test_max_tokens_cuts_every_text_live(heldout: list[dict]) -> None:
    """tasks/<task>/max_tokens reaches the tokenizer on the next exec: with
    it set, what is denied and every score are JAX's on HF's ids truncated
    to that many tokens (capped.json), which differ from the uncut ones."""
    capped = json.loads((GUARD / "capped.json").read_text())
    rows = capped["rows"][:300]
    threshold = float(read("threshold"))
    changed = sum(flagged_by_flax(c, threshold) != flagged_by_flax(h, threshold)
                  for c, h in zip(rows, heldout))
    assert changed >= 5, "the cap must change verdicts for the test to see it"
    write("max_tokens", str(capped["max_tokens"]))
    assert read("max_tokens") == str(capped["max_tokens"])
    assert_enforces(rows)
    with task_off():  # kinfer classify --max-tokens gives the same answers
        out = kinfer("classify", TASK, "--json", "--max-tokens", str(capped["max_tokens"]),
                     "--", *[c["text"] for c in rows[:100]]).stdout
    got = [json.loads(line) for line in out.splitlines()]
    assert [g["label"] for g in got] == [["benign", "malicious"][c["flax_label"]] for c in rows[:100]]
    assert max(abs(g["score"] - c["flax_score"]) for g, c in zip(got, rows)) <= SCORE_TOL
    write("max_tokens", "0")  # back to the pipeline's length: the uncut verdict
    uncut = next(h for c, h in zip(rows, heldout)
                 if flagged_by_flax(c, threshold) != flagged_by_flax(h, threshold))
    assert exec_as(uncut["argv"]) == (EPERM if flagged_by_flax(uncut, threshold) else 0)


def assert_enforces(rows: list[dict]) -> None:
    """Exec each row's argv: EPERM exactly where its JAX answer is flagged,
    with counters and events accounting for every exec."""
    threshold = float(read("threshold"))
    events()  # drain
    before = counters()
    mismatched = []
    denied = 0
    for cmd in rows:
        err = exec_as(cmd["argv"])
        want = EPERM if flagged_by_flax(cmd, threshold) else 0
        denied += err == EPERM
        if err != want:
            mismatched.append((cmd["text"], cmd["flax_score"], err))
    assert mismatched == []
    after = counters()
    assert after["events"] - before["events"] == len(rows)
    assert after["denied"] - before["denied"] == denied
    assert after["flagged"] - before["flagged"] == denied
    assert after["errors"] == before["errors"]
    evs = events()
    assert len(evs) == denied
    malicious = [c for c in rows if flagged_by_flax(c, threshold)]
    assert len(malicious) == denied
    for ev, cmd in zip(evs, malicious):
        assert ev["verdict"] == "denied" and ev["label"] == "malicious"
        assert ev["text"] == escaped(cmd["text"].encode()[:256])
        assert abs(ev["score"] - cmd["flax_score"]) <= SCORE_TOL
        assert ev["pid"] > 0 and ev["uid"] == 0 and ev["latency_ns"] > 0


def pick(heldout: list[dict], malicious: bool) -> dict:
    threshold = float(read("threshold"))
    for cmd in heldout:
        if flagged_by_flax(cmd, threshold) == malicious and (
                not malicious or cmd["flax_score"] < 0.999):
            return cmd
    raise AssertionError("no such command in the held-out set")


def test_settings_change_behaviour_on_the_next_exec(heldout: list[dict]) -> None:
    bad, good = pick(heldout, True), pick(heldout, False)
    events()
    assert exec_as(bad["argv"]) == EPERM
    write("enabled", "0")
    before = counters()
    assert exec_as(bad["argv"]) == 0
    assert counters() == before  # disabled: not even counted
    write("enabled", "1")
    write("mode", "audit")
    assert exec_as(bad["argv"]) == 0
    after = counters()
    assert after["flagged"] == before["flagged"] + 1 and after["denied"] == before["denied"]
    assert [e["verdict"] for e in events()] == ["denied", "flagged"]
    write("mode", "enforce")
    assert exec_as(bad["argv"]) == EPERM
    # A threshold above the command's score lets it through; back, it is denied.
    write("threshold", f"{min(1.0, bad['flax_score'] + 1e-3):.6f}")
    assert exec_as(bad["argv"]) == 0
    write("threshold", f"{max(0.5, bad['flax_score'] - 1e-3):.6f}")
    assert exec_as(bad["argv"]) == EPERM
    # sample_rate 2: every other exec is classified.
    write("sample_rate", "2")
    results = [exec_as(bad["argv"]) for _ in range(6)]
    assert sorted(results) == [0, 0, 0, EPERM, EPERM, EPERM]
    assert exec_as(good["argv"]) == 0


def test_on_error_policy_applies_to_model_errors(heldout: list[dict]) -> None:
    """A run the module refuses (work budget 1) is an error: allowed or
    denied by on_error in enforce mode, counted either way."""
    good = pick(heldout, False)
    budget = Path("/sys/module/kinfer/parameters/budget_sleepable")
    saved = budget.read_text().strip()
    events()
    before = counters()
    try:
        budget.write_text("1\n")
        write("on_error", "allow")
        assert exec_as(good["argv"]) == 0
        write("on_error", "deny")
        assert exec_as(good["argv"]) == EPERM
        write("mode", "audit")
        assert exec_as(good["argv"]) == 0
    finally:
        budget.write_text(saved + "\n")
    after = counters()
    assert after["errors"] - before["errors"] == 3
    assert after["denied"] - before["denied"] == 1
    evs = events()
    assert [e["verdict"] for e in evs] == ["error", "denied", "error"]
    assert all(e["err"] == -7 for e in evs)  # -E2BIG: more work than the budget
    assert exec_as(good["argv"]) == 0


def test_bad_writes_are_refused_and_change_nothing() -> None:
    start = {k: read(k) for k in ("enabled", "mode", "threshold", "on_error", "sample_rate",
                                  "max_tokens")}
    bad = {"mode": ["bogus", "", "enforce2"], "threshold": ["2", "-1.5", "abc", "0.1234567", "1e-3"],
           "on_error": ["maybe"], "sample_rate": ["0", "-1", "1000001", "x"], "enabled": ["maybe"],
           "max_tokens": ["1", "-1", "65537", "x", "4294967296"]}
    for key, values in bad.items():
        for value in values:
            with pytest.raises(OSError) as e:
                write(key, value)
            assert e.value.errno == 22, (key, value)
    assert {k: read(k) for k in start} == start


def test_writes_as_non_root_are_refused() -> None:
    script = (
        "import os, sys\n"
        "os.setgid(65534); os.setuid(65534)\n"
        f"for key in ('mode', 'enabled', 'threshold', 'on_error', 'sample_rate', 'max_tokens'):\n"
        f"    try:\n"
        f"        open('{TASK_DIR}/' + key, 'w').write('audit\\n')\n"
        f"        sys.exit('written: ' + key)\n"
        f"    except PermissionError:\n"
        f"        pass\n"
        f"try:\n"
        f"    open('{SYSFS}/task_remove', 'w').write('{TASK}\\n')\n"
        f"    sys.exit('removed')\n"
        f"except PermissionError:\n"
        f"    pass\n"
        f"print(open('{TASK_DIR}/mode').read().strip())\n"
    )
    with task_off():
        proc = subprocess.run(["python3", "-c", script], capture_output=True, text=True,
                              timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "enforce"  # readable, unchanged
    assert read("mode") == "enforce"


def execve_raw(path: bytes, argv: Sequence[bytes]) -> int:
    """fork + execve with exactly this argv (may be empty); errno or 0."""
    libc = ctypes.CDLL(None, use_errno=True)
    arr = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    env = (ctypes.c_char_p * 1)(None)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        libc.execve(path, arr, env)
        os.write(w, struct.pack("<i", ctypes.get_errno()))
        os._exit(127)
    os.close(w)
    data = os.read(r, 4)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if data:
        return struct.unpack("<i", data)[0]
    assert os.WEXITSTATUS(status) == 0
    return 0


def test_bad_argv_is_classified_with_bounded_work() -> None:
    """Huge argument lists, invalid UTF-8, empty strings, empty argv and
    10,000-character words: every exec is classified or passes, counters
    are exact, events are truncated, the kernel log stays clean."""
    big = [b"x" * 100_000 for _ in range(15)]  # 1.5 MB of arguments
    cases: list[list[bytes]] = [
        [TRUE.encode()] + big,
        [b"\xff\xfe\xfd", b"\xc3\x28", b"cat", b"/etc/shadow\xff"],
        [b"", b"", b""],
        [],
        [b"a" * 10_000, b"b" * 10_000],
        [b"true"] + [b"-v"] * 50_000,
    ]
    events()
    before = counters()
    for argv in cases:
        assert execve_raw(TRUE.encode(), argv) in (0, EPERM)
    after = counters()
    assert after["events"] - before["events"] == len(cases)
    assert after["errors"] == before["errors"]
    for ev in events():
        assert ev["text_len"] <= 512
    assert kernel_log_clean()


STORM = """
import json, os, sys
argvs = json.loads(sys.stdin.readline()); n = int(sys.argv[1]); ok = denied = 0
for i in range(n):
    try:
        pid = os.posix_spawn(sys.argv[2], argvs[i % len(argvs)], {})
    except PermissionError:
        denied += 1
        continue
    ok += os.WEXITSTATUS(os.waitpid(pid, 0)[1]) == 0
print(ok, denied)
"""


def test_exec_storm_counters_exact(heldout: list[dict]) -> None:
    """4 processes x 2,500 execs with the task enforcing: every exec is
    counted once, every denial is an EPERM a process saw."""
    threshold = float(read("threshold"))
    good = [c["argv"] for c in heldout if not flagged_by_flax(c, threshold)][:40]
    bad = [c["argv"] for c in heldout if flagged_by_flax(c, threshold)][:10]
    mix = good[:4] + bad[:1]  # one in five malicious
    events()
    with task_off():  # the workers start unclassified, then wait for their input
        procs = [subprocess.Popen(["python3", "-c", STORM, str(STORM_EXECS), TRUE],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(STORM_PROCS)]
    before = counters()
    results = []
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(json.dumps(mix) + "\n")
        p.stdin.flush()
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        assert p.returncode == 0
        results.append(tuple(int(x) for x in out.split()))
    ok = sum(r[0] for r in results)
    denied = sum(r[1] for r in results)
    total = STORM_PROCS * STORM_EXECS
    after = counters()
    failed = [(e["err"], e["text"]) for e in events() if e["verdict"] == "error"]
    stats = {f: (SYSFS / "stats" / f).read_text().strip()
             for f in ("busy_sleepable", "sleepable_nomem", "acquired_sleepable", "busy_task")}
    assert ok + denied == total
    assert denied == total // len(mix), (failed[:10], stats)
    assert after["events"] - before["events"] == total
    assert after["denied"] - before["denied"] == denied
    assert after["flagged"] - before["flagged"] == denied
    assert after["errors"] == before["errors"], (failed[:10], stats)
    assert int(read("max_latency_ns")) >= int(read("last_latency_ns")) > 0
    assert kernel_log_clean()


def open_as_nobody(path: str) -> int:
    """0, or the errno of open(path) in a child running as uid 65534."""
    script = (
        "import os, sys\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        f"    os.close(os.open({path!r}, os.O_RDONLY))\n"
        "except OSError as e:\n"
        "    sys.exit(e.errno)\n"
    )
    with task_off():
        proc = subprocess.Popen(["python3", "-c", script])
    return proc.wait(timeout=120)


def test_file_open_hook_enforces_in_its_scope(tmp_path: Path) -> None:
    """A task on lsm.s/file_open, scoped to uid 65534, flagging every label
    at threshold 0: that user's opens fail with EPERM and are reported with
    their paths; root's opens are not even seen."""
    manifest = json.loads((GUARD / "cmdline-guard.task.json").read_text())
    manifest.update(name="paths", hook="file", pipeline=str(GUARD / "pipeline.json"),
                    mode="enforce", threshold=0.0, flag_labels=["benign", "malicious"],
                    scope={"uid": 65534})
    path = tmp_path / "paths.task.json"
    path.write_text(json.dumps(manifest))
    with task_off():
        kinfer("task", "add", str(path))
    paths = SYSFS / "tasks/paths"
    try:
        events()
        assert open_as_nobody("/etc/hostname") == EPERM
        assert int((paths / "denied").read_text()) >= 1
        seen = int((paths / "events").read_text())
        with open("/etc/hostname") as f:  # root: out of scope
            f.read()
        assert int((paths / "events").read_text()) == seen
        (paths / "mode").write_text("audit\n")
        assert open_as_nobody("/etc/hostname") == 0
        evs = [e for e in events() if e["task"] == "paths"]
        assert "/etc/hostname" in [e["text"] for e in evs]
        assert {e["verdict"] for e in evs} == {"denied", "flagged"}
        assert all(e["uid"] == 65534 for e in evs)
    finally:
        with task_off():
            kinfer("task", "remove", "paths")
    assert open_as_nobody("/etc/hostname") == 0
