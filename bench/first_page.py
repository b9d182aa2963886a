"""`make run` as a new user meets it: a fresh clone, no .venv, no var/, then the time from
the command to the first 200 from http://127.0.0.1:<port>/, with each step's share.

    python3 bench/first_page.py [--port 8000] [--source .] [--runs 1] [--keep]

It clones --source (committed work only: a clone is what a new user has) into a temporary
folder, runs `make run PORT=<port>` there in its own process group, stamps every line
make prints with the seconds since the start (make echoes each command as it starts it,
so the stamps split the run into steps), polls the home page every quarter second, then
stops everything make started (honcho, gunicorn, the Celery worker and beat) and deletes
the clone. uv finds its packages on PyPI; its warm cache is the case this measures.
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A line make echoes as it starts a step → the step's name.
STEPS = [
    (" -m venv ", "create .venv"),
    ("pip install --quiet uv", "install uv"),
    ("uv pip install", "install and byte-compile the project"),
    ("manage.py migrate", "migrate"),
    ("manage.py collectstatic", "collectstatic"),
    ("manage.py demo", "demo data"),
    ("honcho start", "start web, worker, beat"),
]
# What a new user's shell does not set: the run uses its own defaults (SQLite in var/).
CLEARED = ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "TIERWISE_VAR_DIR", "DEBUG"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to make's process group (honcho passes it on), SIGKILL after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def one_run(source: str, port: int, keep: bool, timeout: float) -> float | None:
    clone = Path(tempfile.mkdtemp(prefix="tierwise-first-page-"))
    subprocess.run(["git", "clone", "--quiet", source, str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    lines: list[tuple[float, str]] = []
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def read() -> None:
        for line in process.stdout:
            lines.append((time.monotonic() - start, line.rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/"
    answered = None
    while time.monotonic() - start < timeout and process.poll() is None:
        if _answers(url):
            answered = time.monotonic() - start
            break
        time.sleep(0.25)
    _stop(process)
    reader.join(timeout=5)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))
    marks = [(at, name) for at, line in lines for needle, name in STEPS if needle in line]
    ends = [at for at, _ in marks[1:]] + [answered if answered is not None else float("nan")]
    print(f"clone: {clone}")
    for (at, name), end in zip(marks, ends, strict=True):
        print(f"  {name:<26} {end - at:6.1f} s  (from {at:5.1f} s)")
    if answered is None:
        print(f"No 200 from {url} within {timeout:.0f} s; make's last lines:")
        print("\n".join(line for _, line in lines[-30:]))
    else:
        print(f"  {'first 200 from ' + url:<26} {answered:6.1f} s after `make run`")
    # Less dependent on the machine's load than the wall time: what the run itself used.
    print(f"  CPU used by everything make started, until stopped: {cpu:.1f} s")
    if keep:
        print(f"kept {clone}")
    else:
        shutil.rmtree(clone, ignore_errors=True)
    return answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--source", default=str(ROOT), help="what to clone (default: here)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    args = parser.parse_args()
    with open("/proc/loadavg") as loadavg:
        print(f"load average before: {' '.join(loadavg.read().split()[:3])}")
    results = [one_run(args.source, args.port, args.keep, args.timeout) for _ in range(args.runs)]
    if any(result is None for result in results):
        sys.exit(1)
    print("first page after: " + ", ".join(f"{result:.1f} s" for result in results))


if __name__ == "__main__":
    main()
