"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright): sign in, open a case,
acknowledge it, see the audit event; visitor-supplied script in a message shows as text and never runs.

Set FRONTDESK_UPDATE_SCREENSHOTS=1 to refresh docs/dashboard-*.png from this run.
"""

from __future__ import annotations

from tests.browser.chromium import PAYLOADS, WAIT_MS, needs_chromium, save_screenshot
from tests.dashboard.desk import PASSWORD, dashboard_settings, open_case

pytestmark = needs_chromium()


def screenshot(page, name: str) -> None:
    save_screenshot(page, name)


def test_sign_in_open_acknowledge_and_see_the_audit_event(browser, make_platform):
    desk = make_platform(dashboard=dashboard_settings())
    open_case(desk, "m-1", "My kettle stopped working after a week.", subject="Kettle broken", handle="bob")
    case_id = open_case(desk, "m-2", "The charger caught fire and burned my hand.", subject="Charger caught fire")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)

    page.goto(f"{desk.url}/")
    assert page.url.startswith(f"{desk.url}/login")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table.cases")
    assert page.locator("table.cases tbody tr").count() == 2
    screenshot(page, "dashboard-cases.png")

    page.click(f"table.cases a[href='/cases/{case_id}'] >> nth=0")
    page.wait_for_selector("h1:has-text('Charger caught fire')")
    assert page.locator("#status").inner_text() == "open"
    page.click("button[value=acknowledge]")
    page.wait_for_selector(".notice:has-text('Acknowledged.')")
    assert page.locator("#status").inner_text() == "acknowledged"
    audit = page.locator("tr.event-acknowledged")
    assert audit.count() == 1 and "agent" in audit.inner_text()
    screenshot(page, "dashboard-case.png")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{desk.url}/")
    small.wait_for_selector("table.cases")
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(small, "dashboard-phone.png")
    small.goto(f"{desk.url}/report?since=30d")
    small.wait_for_selector("img.chart")
    page.goto(f"{desk.url}/report?since=30d")
    page.wait_for_function("document.querySelector('img.chart').naturalWidth > 0")
    screenshot(page, "dashboard-report.png")
    phone.close()
    context.close()


def test_script_in_a_message_renders_as_text(browser, make_platform):
    desk = make_platform(dashboard=dashboard_settings())
    case_id = open_case(desk, "xss-1", "\n".join(PAYLOADS), subject=PAYLOADS[0])
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{desk.url}/login?next=/cases/{case_id}")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("pre.text")

    shown = page.locator("pre.text").inner_text()
    for payload in PAYLOADS:
        assert payload.strip() in shown, payload
    assert page.locator("h1").inner_text().endswith(PAYLOADS[0])
    assert page.evaluate("document.querySelectorAll('main script, main img, main svg, main iframe').length") == 0
    page.wait_for_timeout(500)  # let any injected handler have its chance to fire
    assert dialogs == []
    context.close()
