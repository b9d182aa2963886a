"""The settings module, imported the way production imports it: in a fresh process with
only the documented environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production_env(tmp_path) -> dict:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TIERWISE_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
        "ALLOWED_HOSTS": "portal.example.com",
        "SITE_URL": "https://portal.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        # The account customers pay into; the demo's would fail the deploy check.
        "BANK_ACCOUNT_NAME": "Example Vendor Ltd",
        "BANK_NAME": "First Bank",
        "BANK_IBAN": "DE89 3704 0044 0532 0130 00",
        "BANK_BIC": "COBADEFFXXX",
        # The seller every invoice names; the demo company would fail the deploy check.
        "SELLER_LEGAL_NAME": "Example Vendor Ltd",
        "SELLER_ADDRESS": "2 Example Street|Dublin 2",
        "SELLER_COUNTRY": "IE",
        "SELLER_TAX_ID": "IE8D79739I",
        "SELLER_REGISTRATION": "Registered in Ireland, company no. 123456",
        "LICENSE_SIGNING_KEY": Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_passes_the_deployment_checks_in_production(production_env):
    assert len(production_env["SECRET_KEY"]) == 60
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_the_deployment_checks_without_the_https_redirect(production_env):
    # The check above must be able to fail: turning off the HTTPS redirect trips it.
    production_env["SECURE_SSL_REDIRECT"] = "false"
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("key", "check_id"), [(None, "licensing.E001"), ("not a key", "licensing.E002")]
)
def test_it_fails_the_deployment_checks_without_a_usable_signing_key(production_env, key, check_id):
    if key is None:
        del production_env["LICENSE_SIGNING_KEY"]
    else:
        production_env["LICENSE_SIGNING_KEY"] = key
    result = run(["manage.py", "check", "--deploy"], production_env)
    assert result.returncode != 0
    assert check_id in result.stderr


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        (None, "SECRET_KEY must be set when DEBUG is off."),
        ("", "SECRET_KEY must be set when DEBUG is off."),
        ("too-short", "SECRET_KEY must be a real secret (50+ characters)"),
        (
            "django-insecure-tierwise-development-key-not-for-production",
            "SECRET_KEY must be a real secret (50+ characters)",
        ),
    ],
    ids=["missing", "empty", "short", "development-key"],
)
def test_it_refuses_to_start_without_a_real_secret_key(production_env, secret_key, message):
    if secret_key is None:
        del production_env["SECRET_KEY"]
    else:
        production_env["SECRET_KEY"] = secret_key
    result = run(["-c", "import portal.settings"], production_env)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_it_starts_with_a_development_key_when_debugging(production_env):
    del production_env["SECRET_KEY"]
    production_env["DEBUG"] = "true"
    result = run(
        ["-c", "from portal import settings; print(settings.DEBUG, bool(settings.SECRET_KEY))"],
        production_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"


def test_it_refuses_a_debug_value_that_is_not_a_boolean(production_env):
    production_env["DEBUG"] = "maybe"
    result = run(["-c", "import portal.settings"], production_env)
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_it_uses_postgresql_and_redis_when_configured(production_env):
    production_env["DATABASE_URL"] = "postgres://tierwise:secret@db.internal:5432/tierwise"
    result = run(
        [
            "-c",
            "from portal import settings as s; "
            "print(s.DATABASES['default']['ENGINE']); "
            "print('pool' in s.DATABASES['default']['OPTIONS']); "
            "print(s.CACHES['default']['BACKEND']); "
            "print(s.TIERWISE_STAFF_REQUIRE_MFA)",
        ],
        production_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "True",
        "django.core.cache.backends.redis.RedisCache",
        "True",
    ]


@pytest.mark.parametrize(("value", "count"), [(None, "0"), ("1", "1"), ("2", "2")])
def test_it_reads_how_many_proxies_to_trust(production_env, value, count):
    if value is not None:
        production_env["TRUSTED_PROXY_COUNT"] = value
    result = run(
        ["-c", "from portal import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"],
        production_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == count


@pytest.mark.parametrize("value", ["-1", "one"])
def test_it_refuses_a_proxy_count_that_is_not_a_count(production_env, value):
    production_env["TRUSTED_PROXY_COUNT"] = value
    result = run(["-c", "import portal.settings"], production_env)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be" in result.stderr


@pytest.mark.parametrize(
    ("extra", "starts"),
    [
        ({}, True),
        ({"TEST_CLOCK": "on"}, False),
        ({"TEST_CLOCK": "on", "TEST_CLOCK_WITHOUT_DEBUG": "true"}, True),
    ],
    ids=["off-by-default", "refused-without-debug", "explicitly-allowed"],
)
def test_the_test_clock_is_never_on_in_production_unless_asked(production_env, extra, starts):
    production_env.update(extra)
    result = run(
        ["-c", "import portal.settings as s; print('TEST_CLOCK', s.TEST_CLOCK)"], production_env
    )
    if starts:
        assert result.returncode == 0, result.stderr
        assert f"TEST_CLOCK {bool(extra)}" in result.stdout
    else:
        assert "TEST_CLOCK is for development" in result.stderr


def test_it_starts_a_web_process_without_weasyprint_until_a_pdf_is_made(production_env):
    # Every process loads the admin and the tasks; WeasyPrint was a third of that start-up.
    script = (
        "import sys\n"
        "from portal.wsgi import application\n"
        "print('weasyprint' in sys.modules)\n"
        "from billing.pdf import html_to_pdf\n"
        "print(html_to_pdf('<p>Paid</p>')[:5].decode(), 'weasyprint' in sys.modules)\n"
    )
    result = run(["-c", script], production_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False", "%PDF- True"]
