"""log-sentinel: kernel log lines compared with prototype sentences by all-MiniLM-L6-v2.

The shipped audit task for the ``log`` hook (docs/tasks.md). Each kernel
log line is embedded by all-MiniLM-L6-v2 in the kernel, behind the
in-kernel WordPiece tokenizer, and gets the label of its nearest prototype
sentence by cosine; a line whose nearest prototype is one of the trouble
labels, at a cosine of at least the threshold, is flagged. The
``normal`` prototypes give everyday lines somewhere closer to go.

No training: the prototypes are the model. They are short paraphrases of
what the kernel and common daemons print; a line unlike all of them
(a new driver's wording, another language) is not flagged.

    python -m kinfer.examples.log_sentinel OUTDIR

writes ``OUTDIR/pipeline.{onnx,json}`` (kinfer.nlp), the task manifest
``OUTDIR/log-sentinel.task.json`` and ``OUTDIR/probe.json``: sample log
lines with JAX's label and cosine for each, which the kernel must match.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PROTOTYPES", "PROBE_LINES", "build", "main"]

#: label -> prototype sentences. "normal" is the only label not flagged.
PROTOTYPES: dict[str, list[str]] = {
    "normal": [
        "eth0: link is up, 1000 Mbps full duplex",
        "systemd: started daily cleanup of temporary directories",
        "usb 1-1: new high-speed USB device number 2",
        "EXT4-fs (sda1): mounted filesystem with ordered data mode",
        "audit: type=1400 apparmor status",
    ],
    "out of memory": [
        "Out of memory: Killed process 4242 (java)",
        "oom-kill: constraint=CONSTRAINT_NONE, task memory exhausted",
        "page allocation failure: order 4, mode GFP_KERNEL",
    ],
    "segfault": [
        "segfault at 0000000000000000 ip error 4 in libc.so.6",
        "general protection fault in process nginx",
        "traps: python3 trap invalid opcode",
    ],
    "disk failure": [
        "blk_update_request: I/O error, dev sda, sector 123456",
        "ata1.00: failed command: READ FPDMA QUEUED",
        "EXT4-fs error (device sdb1): unable to read inode block",
    ],
    "authentication failure": [
        "sshd: Failed password for root from 203.0.113.7 port 52113",
        "pam_unix(sudo:auth): authentication failure; user=alice",
        "Invalid user admin from 198.51.100.23",
    ],
}

#: Lines the tests and the demo write to /dev/kmsg: some trouble, some not.
PROBE_LINES: list[str] = [
    "Out of memory: Killed process 812 (postgres) total-vm:2048000kB",
    "demo[77]: segfault at 10 ip 00007f3a sp 00007ffd error 4 in demo",
    "blk_update_request: I/O error, dev vdb, sector 2048 op 0x0:(READ)",
    "sshd[911]: Failed password for invalid user oracle from 192.0.2.50 port 40022",
    "e1000: eth1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX",
    "systemd[1]: Started Rotate log files.",
]

MAX_LENGTH = 32
MAX_BYTES = 256
THRESHOLD = 0.6
NAME = "log-sentinel"


def task_manifest() -> dict[str, Any]:
    """The task: the log hook in audit mode, every label but "normal" flagged."""
    return {
        "name": NAME,
        "description": "kernel log lines near a trouble prototype (all-MiniLM-L6-v2)",
        "pipeline": "pipeline.json",
        "hook": "log",
        "mode": "audit",
        "threshold": THRESHOLD,
        "on_error": "allow",
        "sample_rate": 1,
        "flag_labels": [label for label in PROTOTYPES if label != "normal"],
        "enabled": True,
    }


def build(outdir: str | Path) -> dict[str, Any]:
    """Build the pipeline, the task manifest and the probe lines' references."""
    from kinfer.examples.minilm import load_minilm, minilm_dir
    from kinfer.nlp import Pipeline

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    module, variables = load_minilm()
    pipe = Pipeline.similarity(module, variables, minilm_dir() / "vocab.txt", PROTOTYPES,
                               max_length=MAX_LENGTH, max_bytes=MAX_BYTES,
                               threshold=THRESHOLD, name=NAME)  # fmt: skip
    pipe.save(out)
    manifest = task_manifest()
    (out / f"{NAME}.task.json").write_text(json.dumps(manifest, indent=2) + "\n")
    flagged = set(manifest["flag_labels"])
    probe = []
    for line, (label, score) in zip(PROBE_LINES, pipe.reference_batch(PROBE_LINES), strict=True):
        probe.append({"text": line, "label": label, "score": score,
                      "flagged": label in flagged and score >= THRESHOLD})  # fmt: skip
    (out / "probe.json").write_text(json.dumps(probe, indent=2) + "\n")
    return {"prototypes": sum(len(v) for v in PROTOTYPES.values()), "probe": probe}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kinfer.examples.log_sentinel",
                                     description="build the log-sentinel task")  # fmt: skip
    parser.add_argument("outdir", help="where the pipeline and the task manifest go")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    summary = build(args.outdir)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
