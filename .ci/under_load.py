"""`make test-under-load`: runs a command (the whole suite) while one busy process per
core competes with it for the CPU, as on a CI machine shared with other jobs. No test may
depend on an idle machine: every wait is for a condition, with a generous ceiling.

    python .ci/under_load.py make test

The busy processes are started here and stopped here, whatever happens to the command
(its failure, Ctrl-C, a SIGTERM); each also stops by itself if this script dies without
stopping it. Prints how long the command took and exits with its exit code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

# Each busy process spins in pure Python and, between spins, looks whether the process
# that started it is still there.
BUSY = """
import os, sys
parent = int(sys.argv[1])
while os.getppid() == parent:
    for _ in range(2_000_000):
        pass
"""


def start_busy(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", BUSY, str(os.getpid())]) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
    for process in processes:
        process.wait()


def stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    cores = os.cpu_count() or 1
    busy = start_busy(cores)
    print(f"under load: {cores} busy processes ({', '.join(str(p.pid) for p in busy)})")
    started = time.monotonic()
    try:
        code = subprocess.call(command)
    finally:
        stop(busy)
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    print(f"under load: `{' '.join(command)}` exited {code} after {minutes} min {seconds:02d} s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
