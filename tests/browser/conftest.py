"""The browser every test in this folder shares: Debian's Chromium, headless, through Playwright."""

from __future__ import annotations

import pytest

from tests.browser.chromium import launch


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()
