"""Debian's Chromium for browser tests: where it is, how it is started, and the XSS payload corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = [line for line in (ROOT / "tests/fixtures/webchat/xss_payloads.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("# ")]
WAIT_MS = 15_000


def launch(playwright):
    """Start headless Chromium through a Playwright handle."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def needs_chromium():
    """The mark every browser test module carries: skipped, saying why, where Chromium is missing."""
    return pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def save_screenshot(page, name: str, full_page: bool = True) -> None:
    """Refresh docs/<name> from this run when FRONTDESK_UPDATE_SCREENSHOTS=1."""
    if os.environ.get("FRONTDESK_UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(ROOT / "docs" / name), full_page=full_page)
