"""The web chat widget in a real browser: Debian's Chromium, headless, driven by Playwright.

A host page on another loopback origin embeds the widget with one script tag;
the visitor fills in the complaint form, sees the acknowledgment arrive,
reloads and sees the history. Set FRONTDESK_UPDATE_SCREENSHOTS=1 to refresh
docs/webchat.png from this run.
"""

from __future__ import annotations

import os
import shutil

import pytest
from aiohttp import web

from tests.browser.chromium import PAYLOADS, ROOT, WAIT_MS, needs_chromium

pytestmark = needs_chromium()


@pytest.fixture
def host_site(loop_thread):
    """A shop's page on its own loopback origin; `embed(chat_url)` makes it carry the widget's script tag."""
    state = {"chat": "", "attributes": "data-title='Complaints'"}

    async def page(request: web.Request) -> web.Response:
        return web.Response(content_type="text/html", text=(
            "<!doctype html><html lang=en><head><meta name=viewport content='width=device-width'>"
            "<title>Shop</title></head><body><h1>Example shop</h1>"
            f"<script src='{state['chat']}/chat/widget.js' {state['attributes']} async></script></body></html>"))

    async def start():
        app = web.Application()
        app.router.add_get("/", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

    runner, url = loop_thread.call(start())
    yield url, state
    loop_thread.call(runner.cleanup())


def fill_complaint(page) -> None:
    page.fill("#fd-name", "Dana Whitfield")
    page.fill("#fd-contact", "dana@example.org")
    page.fill("#fd-what_happened", "I was charged twice for order 8812.")
    page.fill("#fd-desired_outcome", "Refund the second charge.")
    page.click("form.complaint button[type=submit]")


def test_complaint_acknowledgment_and_history(browser, make_platform, tmp_path):
    platform = make_platform()
    page = browser.new_page(viewport={"width": 420, "height": 760})
    page.goto(f"{platform.url}/chat")
    page.wait_for_selector("#fd-name", state="visible", timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.id") == "fd-name"
    fill_complaint(page)
    page.wait_for_selector(".entry.visitor .meta:has-text('Received')", timeout=WAIT_MS)
    platform.work()
    ack = page.wait_for_selector(".entry.staff .text:has-text('FD-')", timeout=WAIT_MS)
    assert "We have received your message" in ack.text_content()
    screenshot = tmp_path / "webchat.png"
    page.screenshot(path=str(screenshot))
    if os.environ.get("FRONTDESK_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(screenshot, ROOT / "docs" / "webchat.png")
    page.reload()
    page.wait_for_selector(".entry.staff .text:has-text('FD-')", timeout=WAIT_MS)
    texts = page.locator("ol.log .entry .text").all_text_contents()
    assert texts[0].startswith("I was charged twice for order 8812.") and "FD-" in texts[1]
    assert page.locator("form.complaint").is_hidden()
    page.close()


def test_embedded_on_another_origin_keyboard_only(browser, make_platform, host_site):
    shop, state = host_site
    platform = make_platform(channels={"webchat": {"allowed_origins": [shop]}})
    state["chat"] = platform.url
    page = browser.new_page()
    page.goto(shop)
    launcher = page.wait_for_selector("button.launcher", timeout=WAIT_MS)
    assert launcher.get_attribute("aria-expanded") == "false" and launcher.text_content() == "Complaints"
    launcher.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#fd-name", state="visible", timeout=WAIT_MS)
    assert launcher.get_attribute("aria-expanded") == "true"
    assert page.locator("#fd-panel").get_attribute("role") == "dialog"
    assert page.locator("ol.log").get_attribute("aria-live") == "polite"
    page.keyboard.type("Dana")
    for value in ("dana@example.org", "Broken on arrival.", "A replacement."):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".entry.visitor .meta:has-text('Received')", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    assert page.locator("#fd-panel").is_hidden()
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "launcher"
    page.close()


def test_rest_and_event_stream_fallback(browser, make_platform, host_site):
    shop, state = host_site
    platform = make_platform(channels={"webchat": {"allowed_origins": [shop]}})
    state.update(chat=platform.url, attributes="data-transport='rest'")
    page = browser.new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(shop)
    page.click("button.launcher")
    page.wait_for_selector("#fd-name", state="visible", timeout=WAIT_MS)
    fill_complaint(page)
    page.wait_for_selector(".entry.visitor .meta:has-text('Received')", timeout=WAIT_MS)
    platform.work()
    page.wait_for_selector(".entry.staff .text:has-text('FD-')", timeout=WAIT_MS)
    page.reload()
    page.wait_for_selector(".entry.staff .text:has-text('FD-')", timeout=WAIT_MS)
    assert page.locator("ol.log .entry").count() == 2 and sockets == []
    page.close()


def test_refused_origin_never_connects(browser, make_platform, host_site):
    shop, state = host_site
    platform = make_platform(channels={"webchat": {"allowed_origins": ["https://other.example"]}})
    state["chat"] = platform.url
    page = browser.new_page()
    page.goto(shop)
    page.click("button.launcher")
    page.wait_for_selector(".status:has-text('Connection lost')", timeout=WAIT_MS)
    assert page.locator("#fd-name").is_hidden()
    page.close()


def test_hostile_text_is_shown_as_text(browser, make_platform):
    platform = make_platform(channels={"webchat": {"complaint_form": False, "rate_limits": {
        "per_connection": "200/minute", "per_ip": "200/minute"}}})
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{platform.url}/chat")
    page.wait_for_selector("#fd-message", state="visible", timeout=WAIT_MS)
    for payload in PAYLOADS:
        page.fill("#fd-message", payload)
        page.press("#fd-message", "Enter")
    page.wait_for_function(
        "n => document.querySelector('#frontdesk-chat').shadowRoot.querySelectorAll('.entry .meta').length === n"
        " && [...document.querySelector('#frontdesk-chat').shadowRoot.querySelectorAll('.entry .meta')]"
        ".every(m => m.textContent.includes('Received'))", arg=len(PAYLOADS), timeout=WAIT_MS)
    page.reload()
    page.wait_for_function(
        "n => document.querySelector('#frontdesk-chat').shadowRoot.querySelectorAll('.entry').length === n",
        arg=len(PAYLOADS), timeout=WAIT_MS)
    assert page.locator("ol.log .entry .text").all_text_contents() == [payload.strip() for payload in PAYLOADS]
    shadow_html = page.evaluate("document.querySelector('#frontdesk-chat').shadowRoot.innerHTML")
    assert "<img" not in shadow_html and "<svg" not in shadow_html and "<script" not in shadow_html
    assert dialogs == []
    page.close()


def test_fits_a_phone_screen(browser, make_platform):
    platform = make_platform()
    page = browser.new_page(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(f"{platform.url}/chat")
    page.wait_for_selector("#fd-name", state="visible", timeout=WAIT_MS)
    box = page.locator("#fd-panel").bounding_box()
    assert box["width"] <= 360 and box["x"] >= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    font = page.evaluate("getComputedStyle(document.querySelector('#frontdesk-chat').shadowRoot"
                         ".querySelector('#fd-contact')).fontSize")
    assert font == "16px"  # smaller inputs make phones zoom in on focus
    page.close()
