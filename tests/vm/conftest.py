"""Shared helpers for the in-kernel tests (run inside the VM)."""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
FIXTURES = Path(os.environ.get("KINFER_FIXTURES", str(ROOT / "build/fixtures")))
MODULE = ROOT / "kmod/kinfer.ko"
SYSFS = Path("/sys/kernel/kinfer")
BPFFS = Path("/sys/fs/bpf/kinfer")

# The kernel's own markers of trouble; a plain "bug" would match ACPI lines.
KERNEL_TROUBLE = re.compile(r"WARNING:|BUG:|Oops|cut here|Call Trace|general protection")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def kinfer(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(KINFER, *args, check=check)


def dmesg_trouble() -> list[str]:
    out = run("dmesg").stdout
    return [line for line in out.splitlines() if KERNEL_TROUBLE.search(line)]


def rmmod_with_retry(name: str = "kinfer", attempts: int = 20) -> subprocess.CompletedProcess[str]:
    """rmmod, retrying while freed programs wait out their RCU grace period."""
    proc = run("rmmod", name, check=False)
    for i in range(attempts):
        if proc.returncode == 0:
            break
        time.sleep(0.1 * (i + 1))
        proc = run("rmmod", name, check=False)
    return proc


@pytest.fixture(scope="session")
def kernel_module() -> Path:
    if not (SYSFS / "version").exists():
        run("insmod", str(MODULE))
    return SYSFS


@contextlib.contextmanager
def module_for_file(*models: str) -> Iterator[Path]:
    """kinfer.ko for one test file: inserted if absent; at the end the
    file's models are unloaded, the module removed, the kernel log clean."""
    if not (SYSFS / "version").exists():
        run("insmod", str(MODULE))
    yield SYSFS
    for m in models:
        kinfer("unload", m, check=False)
    assert rmmod_with_retry().returncode == 0
    assert dmesg_trouble() == []
