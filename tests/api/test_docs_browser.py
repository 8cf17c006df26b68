"""/api/docs in a real browser: Swagger UI renders from our vendored files with every request
outside this server blocked, as on a county intranet with no internet access, and under the
page's Content-Security-Policy with nothing refused."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import need
from tests.portal.live import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

SPLIT = '[data-path="/t/{slug}/api/v1/nodes/{node_id}/split"]'  # one operation of the core's


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app on a local port (the docs page and the spec read no county data)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_swagger_ui_renders_offline_from_vendored_files(served):
    need(importlib.util.find_spec("playwright") is not None, "playwright")
    need(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )

            def only_local(route):
                if route.request.url.startswith(served):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_local)
            page.goto(f"{served}/api/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
            assert "gridgov" in page.inner_text(".swagger-ui .info .title")
            # the operations of the spec are listed, grouped by resource (the core's and the
            # modules'); with this many, Swagger UI renders only what is in view: scroll on
            tags = _tags_while_scrolling(page)
            assert SPLIT in tags
            assert {"nodes", "tasks", "module_api_disputes", "module_api_fire_safety"} <= tags
            assert page.locator("button.authorize").count() == 1  # the bearer schemes
            assert refused == []
        finally:
            browser.close()
    assert outside == []


def _tags_while_scrolling(page) -> set[str]:
    """The tags (and the split operation, by its selector) rendered while scrolling the page to
    its end: Swagger UI virtualizes long lists of operations."""
    page.wait_for_selector("[data-tag]", timeout=15_000)
    seen: set[str] = set()
    for _ in range(200):
        seen.update(page.eval_on_selector_all("[data-tag]", "tags => tags.map(t => t.dataset.tag)"))
        if page.locator(SPLIT).count():
            seen.add(SPLIT)
        at_end = page.evaluate("window.innerHeight + window.scrollY >= document.body.scrollHeight")
        if at_end and "module_api_fire_safety" in seen:
            break
        page.evaluate("window.scrollBy(0, 800)")
        page.wait_for_timeout(50)
    return seen
