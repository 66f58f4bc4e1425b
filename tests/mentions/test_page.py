"""The /mentions page in Debian's Chromium (headless, Playwright): chart and feed drawn from a replayed stream.

Set FRONTDESK_UPDATE_SCREENSHOTS=1 to refresh docs/mentions.png from this run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.harness import API_TOKEN
from tests.mentions import replay

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def test_page_draws_chart_and_feed(feed_platform, tmp_path):
    platform = feed_platform(replay.stream(240, hours=20))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.goto(f"{platform.url}/mentions#token={API_TOKEN}")
        page.wait_for_selector("body[data-loaded='true']", timeout=15_000)
        assert page.locator("#chart-network polyline[data-series='x']").count() == 1
        assert page.locator("#chart-sentiment rect[data-series='negative']").count() > 0
        assert page.locator("#feed tbody tr").count() == 100
        assert page.locator("#terms li").count() > 0
        assert "#token" not in page.url
        first_link = page.locator("#feed tbody tr").first.locator("a")
        assert first_link.get_attribute("href").startswith("https://x.com/")
        page.select_option("select[name=sentiment]", "negative")
        page.click("#filters button[type=submit]")
        expect(page.locator("#feed tbody td:nth-child(6)").filter(has_not_text="negative")).to_have_count(0)
        labels = page.locator("#feed tbody td:nth-child(6)").all_inner_texts()
        assert labels and all(label.startswith("negative") for label in labels)
        page.select_option("select[name=sentiment]", "")
        page.click("#filters button[type=submit]")
        expect(page.locator("#feed tbody tr")).to_have_count(100)
        page.select_option("select[name=language]", "en")  # the menu lists the languages the mentions are in
        page.click("#filters button[type=submit]")
        expect(page.locator("#feed tbody td:nth-child(3)").filter(has_not_text="en")).to_have_count(0)
        page.select_option("select[name=language]", "")
        page.click("#filters button[type=submit]")
        expect(page.locator("#feed tbody tr")).to_have_count(100)
        shot = tmp_path / "mentions.png"
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    if os.environ.get("FRONTDESK_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "mentions.png")


def test_page_asks_for_a_token_and_says_when_it_is_refused(feed_platform):
    platform = feed_platform(replay.stream(5, hours=1))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"{platform.url}/mentions")
        page.wait_for_selector("#token-form:not([hidden])", timeout=15_000)
        page.fill("#token", "wrong-token")
        page.click("#token-form button")
        expect(page.locator("#status")).to_contain_text("refused")
        page.fill("#token", API_TOKEN)
        page.click("#token-form button")
        page.wait_for_selector("body[data-loaded='true']", timeout=15_000)
        assert page.locator("#feed tbody tr").count() == 5
        browser.close()
