"""Exec command lines for `make demo`, as the exec hook sees them.

    printf '%s\n' 'COMMAND LINE' ... | demo-exec.py

(on stdin: its own argv is an exec the hook classifies too).

Each command line is split as a shell would split it and exec'd as
/bin/true with exactly that argv: the kernel's exec hook reads the argv,
not the file, so it classifies the real command line, and nothing the
demo lists can do harm if a task lets it through. Prints whether the exec
ran or was refused (EPERM: a task in enforce mode denied it).
"""

from __future__ import annotations

import os
import shlex
import sys


def main(argv: list[str]) -> int:
    for line in (argv or sys.stdin.read().splitlines()):
        if not line.strip():
            continue
        args = shlex.split(line)
        try:
            pid = os.posix_spawn("/bin/true", args, {})
            os.waitpid(pid, 0)
            verdict = "ran"
        except PermissionError:
            verdict = "DENIED (EPERM)"
        print(f"  {verdict:<15} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
