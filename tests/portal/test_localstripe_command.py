"""`manage.py localstripe` (make run's fake Stripe) beside a port already taken: it joins a
localstripe that answers there, and refuses anything else with a message that says what
to do, so `make run` after `.ci/run` (which leaves its localstripe running) still starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.stripe import _answers, _free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _command(port: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "localstripe", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen, text: str, *, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} never printed; saw: {''.join(seen)[-2000:]}")


@pytest.fixture
def running_localstripe():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not _answers(url):
        assert process.poll() is None and time.monotonic() < deadline, "localstripe did not start"
        time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=20)


def test_it_joins_a_localstripe_already_on_the_port(
    running_localstripe,
):
    process = _command(running_localstripe)
    try:
        line = _wait_for_line(process, "already runs")
        assert f"127.0.0.1:{running_localstripe}: using it" in line
        assert process.poll() is None  # it stays up beside the site until stopped
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_it_refuses_a_port_taken_by_something_else_saying_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _command(port)
        output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert f"Port {port} is taken by something that is not localstripe" in output
    assert "point STRIPE_API_BASE at another port" in output
