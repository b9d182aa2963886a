import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app
from tests.fixtures.stripe import localstripe_url, stripe_settings  # noqa: F401 (card payments)

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list = []
        self.peers: list = []  # each message's client (host, port): its connection

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 60.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.host, inbox.port = controller.hostname, controller.port
    yield inbox
    controller.stop()


def _database_url() -> str:
    """The URL of the test database this process is using, for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = db["USER"] or ""
        if db["PASSWORD"]:
            auth += f":{db['PASSWORD']}"
        host = f"{auth}@" if auth else ""
        return f"postgres://{host}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    raise RuntimeError(f"No worker support for {connection.vendor}")


def _start_worker(log_path: Path, *, module: list[str], name: str, env: dict) -> subprocess.Popen:
    """A real Celery worker in its own process, on the suite's broker and queue, sharing
    the test database; its output goes to `log_path`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "SITE_URL": "http://testserver",
        **env,
    }
    command = [
        sys.executable, "-m", *module,
        "--pool", "solo", "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
        "--hostname", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path
    return process


def _stop_worker(process: subprocess.Popen) -> None:
    """Stops the worker if it still runs (a test may have killed it) and shows its log."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(process.log_path.read_text()[-4000:])


@pytest.fixture
def through_the_broker():
    """Tasks the test sends go through the broker to a worker: nothing runs eagerly."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def celery_worker_process(transactional_db, through_the_broker, smtp_server, tmp_path):
    """A real Celery worker sending mail to the loopback SMTP server."""
    process = _start_worker(
        tmp_path / "worker.log",
        module=["celery", "-A", "portal", "worker"],
        name="mail",
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": smtp_server.host,
            "EMAIL_PORT": str(smtp_server.port),
        },
    )
    yield process
    _stop_worker(process)


class PdfWorkers:
    """Starts real workers whose invoice PDF render step is hooked (hooked_worker.py):
    each render is noted in one log shared by all of them, and may be slow or fail."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.render_log = tmp_path / "renders.log"
        self.render_log.touch()
        self.processes: list[subprocess.Popen] = []

    def start(self, *, render_delay: float = 0, render_failures: int = 0) -> subprocess.Popen:
        name = f"pdf{len(self.processes) + 1}"
        process = _start_worker(
            self.tmp_path / f"{name}.log",
            module=["tests.integration.hooked_worker"],
            name=name,
            env={
                "TIERWISE_TEST_RENDER_LOG": str(self.render_log),
                "TIERWISE_TEST_RENDER_DELAY": str(render_delay),
                "TIERWISE_TEST_RENDER_FAILURES": str(render_failures),
            },
        )
        self.processes.append(process)
        return process

    def results(self, task: str) -> list[str]:
        """What each run of `task` returned, in every worker's log, e.g. ["'skipped'"]."""
        pattern = re.compile(rf"Task billing\.tasks\.{task}\[[^\]]+\] succeeded in \S+: (.+)$")
        return [
            match.group(1)
            for process in self.processes
            for line in process.log_path.read_text().splitlines()
            if (match := pattern.search(line))
        ]

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
        """Waits until `condition()` holds; if it never does, fails with the workers' logs
        (the log on a loaded machine tells a slow start from a lost message)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(
                    f"--- {p.log_path.name}\n{p.log_path.read_text()[-1500:]}"
                    for p in self.processes
                )
                raise AssertionError(f"Still waiting after {timeout}s for {what}\n{logs}")
            time.sleep(0.1)

    def all_ready(self) -> bool:
        """Whether every worker started is consuming from the queue."""
        return all(" ready." in process.log_path.read_text() for process in self.processes)

    def renders(self, event: str) -> int:
        """How many renders reached `event` (start, fail, done), in every worker."""
        return self.render_log.read_text().split().count(event)


@pytest.fixture
def pdf_workers(transactional_db, through_the_broker, tmp_path):
    workers = PdfWorkers(tmp_path)
    yield workers
    for process in workers.processes:
        _stop_worker(process)
