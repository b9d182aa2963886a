import contextlib
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.fixtures.stripe import localstripe_url, stripe_settings  # noqa: F401 (card payments)
from tests.helpers.services import CHROMIUM

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"

# Every wait is for a condition; these are only the ceilings, generous so that a busy
# machine (CI beside other jobs, `make test-under-load`) is slow, never red. Playwright's
# own defaults are 5 s for expect() and 30 s for an action or a page load.
EXPECT_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 60_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # This machine has no network: background services would only spam refusals.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# Each violation with the script that caused it, where the browser knows it.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => window.reportCspViolation(
  `${e.violatedDirective} refused ${e.blockedURI || 'inline'} on ${e.documentURI}`
  + (e.sourceFile ? ` by ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}` : '')
));
"""
# The event of a refusal is dispatched a moment after it (a task of its own): a test that
# ends right after an htmx swap was torn down before hearing of the swap's violation.
CSP_SETTLE = "() => new Promise((resolve) => setTimeout(resolve, 100))"


def watch_csp(page, violations: list[str]) -> None:
    """Adds to `violations` each Content-Security-Policy (or Permissions-Policy) problem
    the page reports from now on, as the console and securitypolicyviolation events tell
    (the event names the script that caused it, e.g. htmx-2.min.js:1:10373)."""

    def console(message) -> None:
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            violations.append(message.text)

    def event(description: str) -> None:
        violations.append(description)

    page.on("console", console)
    page.expose_function("reportCspViolation", event)
    page.add_init_script(CSP_LISTENER)


def settle_csp(page) -> None:
    """Lets the page report what it refused so far: a swap's violation reaches the test a
    moment after the swap shows."""
    if page.is_closed():
        return
    # A page gone or navigating away reported its violations on the way.
    with contextlib.suppress(PlaywrightError):
        page.evaluate(CSP_SETTLE)


@pytest.fixture
def csp_violations() -> list[str]:
    """What the `page` reported against the Content-Security-Policy so far."""
    return []


@pytest.fixture
def no_csp_violation(page, csp_violations):
    """no_csp_violation(label) fails if the page reported any Content-Security-Policy
    violation so far, once the page has had the moment it takes to report one. The `page`
    fixture checks the same at the end of every test; this is for a check in between."""

    def check(label: str = "") -> None:
        settle_csp(page)
        assert not csp_violations, (
            f"Content-Security-Policy violations {label or 'on ' + page.url}:\n"
            + "\n".join(csp_violations)
        )

    return check


@pytest.fixture
def context(context):
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


@pytest.fixture
def page(page, csp_violations):
    """Every browser test runs under the site's real Content-Security-Policy (no
    bypass) and fails if a page reports a violation, even one reported a moment after
    the test's last step."""
    watch_csp(page, csp_violations)
    yield page
    settle_csp(page)
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page_without_javascript(browser):
    """A page in a browser context with JavaScript off: the site works without it."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe(page):
    """axe(page) runs axe-core on the current page and fails on serious or critical
    violations, listing each with the elements involved."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (make test does).")
    # Served as if from the site itself, so the page's script-src 'self' lets it run: the
    # tests need no CSP bypass, and the policy stays in force for everything else.
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=AXE))

    def check(label: str = "") -> list:
        page.add_script_tag(url=urljoin(page.url, AXE_PATH))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        details = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — "
            + ", ".join(n["target"][0] for n in v["nodes"][:5])
            for v in serious
        )
        assert not serious, f"axe found serious problems on {label or page.url}:\n{details}"
        return result["violations"]

    return check


@pytest.fixture
def login(page, live_server):
    """login(user) signs in through the real form."""
    from tests.factories import PASSWORD

    def sign_in(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in
