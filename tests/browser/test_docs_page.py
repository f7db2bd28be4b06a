"""/docs in a real browser: Swagger UI renders this API's OpenAPI 3.1 document (every operation listed, no
"Unable to render this definition"), Authorize takes a real bearer token and "Try it out" calls the running
API with it; /docs/ renders too. Serving the HTML is not rendering it, hence a browser.

The browser is Debian's Chromium (``make install-test`` installs it; path in ``CHROMIUM``), driven by
Playwright (PyPI; its own browser downloads are not used). Without Chromium the test fails with that advice;
it is skipped only when asked: ``VILLAGE_CREDIT_SKIP_BROWSER=1``."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest import HANG_GUARD_SECONDS

pytestmark = [pytest.mark.stack, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Launch flags that keep a headless Chromium offline and quiet (no sync, updates, first-run or QUIC probes).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WAIT_MS = HANG_GUARD_SECONDS * 1000  # a hang guard, not a speed limit (see tests/conftest.py)


def _operations() -> int:
    doc = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text(encoding="utf-8"))
    verbs = {"get", "put", "post", "delete", "patch", "head", "options"}
    return sum(1 for item in doc["paths"].values() for verb in item if verb in verbs)


@pytest.fixture(scope="module")
def browser():
    if os.environ.get("VILLAGE_CREDIT_SKIP_BROWSER") == "1":
        pytest.skip("browser tests skipped on request (VILLAGE_CREDIT_SKIP_BROWSER=1)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make install-test` (it installs Debian's chromium) or set "
                    "CHROMIUM to a Chromium binary; VILLAGE_CREDIT_SKIP_BROWSER=1 skips this test")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="vc-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                        args=FLAGS, timeout=WAIT_MS)
        context.set_default_timeout(WAIT_MS)
        yield context
        context.close()


def _rendered(page, url: str):
    """Open ``url`` and wait until Swagger UI has drawn the operations (or said it cannot)."""
    page.goto(url)
    page.wait_for_function("document.querySelector('.opblock') !== null"
                           " || document.body.innerText.includes('Unable to render this definition')")
    assert "Unable to render this definition" not in page.locator("body").inner_text()
    return page


def test_docs_lists_every_operation_and_try_it_out_calls_the_api_with_the_token(browser, api_url, token):
    page = _rendered(browser.new_page(), f"{api_url}/docs")
    assert page.locator(".opblock").count() == _operations()
    assert page.locator(".info .version-stamp").inner_text().strip() == "OAS 3.1"

    page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(token("am.nongan"))
    dialog.locator("button.modal-btn.authorize").click()
    dialog.locator("button.btn-done").click()

    me = page.locator(".opblock-get", has=page.locator('.opblock-summary-path[data-path="/me"]'))
    me.locator(".opblock-summary").first.click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    status = me.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    body = json.loads(me.locator(".live-responses-table .response-col_description pre").first.inner_text())
    assert body["username"] == "am.nongan" and body["role"] == "account_manager"
    # the request went to this API (the document's relative server URL) and carried the bearer token
    assert me.locator(".request-url pre").inner_text().strip() == f"{api_url}/me"
    assert f"Authorization: Bearer {token('am.nongan')}" in me.locator(".curl-command").inner_text()


def test_docs_with_a_trailing_slash_renders_too(browser, api_url):
    page = _rendered(browser.new_page(), f"{api_url}/docs/")
    assert page.locator(".opblock").count() == _operations()
