import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
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


@pytest.fixture
def celery_worker_process(transactional_db, smtp_server, tmp_path):
    """A real Celery worker in its own process, on the suite's broker and queue, sharing
    the test database and sending mail to the loopback SMTP server. Tasks sent by the
    test go through the broker to it: nothing runs eagerly."""
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "SITE_URL": "http://testserver",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "--pool", "solo", "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    process.log_path = log_path
    yield process
    celery_app.conf.task_always_eager = eager
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    print(log_path.read_text()[-4000:])
