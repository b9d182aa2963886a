import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


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


@pytest.fixture
def axe(page):
    """axe(page) runs axe-core on the current page and fails on serious or critical
    violations, listing each with the elements involved."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (make test does).")

    def check(label: str = "") -> list:
        page.add_script_tag(path=str(AXE))
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
        page.wait_for_load_state()

    return sign_in
