"""Page buttons end to end: urgent message → Slack DM with buttons → clicks → cases, escalation and pages in place."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from frontdesk.store.tables import Case, CaseEvent
from outbound.slack import ACTION_IDS
from tests.channels.slack.conftest import DANA, MALLORY, SAM, fixture
from workers import escalation

URGENT = {"external_id": "chat-1", "sender": {"handle": "visitor-7", "name": "Ada"},
          "text": "The charger caught fire and there is smoke everywhere, my son has burns"}


def page_urgent_case(platform, fake_slack) -> int:
    """Post an urgent message through the generic channel, run the workers, return the case id paged to Dana."""
    assert platform.post_message(URGENT).status_code == 202
    platform.work()
    (page,) = [call for call in fake_slack.calls_to("chat.postMessage") if call.args["channel"] == "D0DANA"]
    (actions,) = [block for block in page.args["blocks"] if block["type"] == "actions"]
    values = {button["action_id"]: button["value"] for button in actions["elements"]}
    assert set(values) == set(ACTION_IDS.values()) and len(set(values.values())) == 1
    return int(values[ACTION_IDS["acknowledge"]])


def case_row(platform, case_id: int) -> Case:
    with platform.services.sessions() as session:
        return session.get(Case, case_id)


def events(platform, case_id: int, kind: str) -> list[CaseEvent]:
    with platform.services.sessions() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)))


def shown(fake_slack, channel: str) -> dict:
    """The current state of the page posted in `channel` (after any chat.update)."""
    (key,) = [key for key in fake_slack.messages if key[0] == channel]
    return fake_slack.message(*key)


def text_of(message: dict) -> str:
    return "\n".join(element["text"] for block in message["blocks"] if block["type"] == "context"
                     for element in block["elements"])


def buttons_of(message: dict) -> list[str]:
    return [button["action_id"] for block in message["blocks"] if block["type"] == "actions"
            for button in block["elements"]]


def test_the_full_loop_escalate_then_acknowledge_updates_every_page(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    assert case_row(slack_platform, case_id).urgency == "critical"

    assert slack.click("escalate", case_id, DANA, channel="D0DANA").status_code == 200
    slack_platform.work()
    assert [call.args["users"] for call in fake_slack.calls_to("conversations.open")] == [DANA, SAM]
    assert case_row(slack_platform, case_id).escalation_step == 1

    assert slack.click("acknowledge", case_id, SAM, channel="D0SAM").status_code == 200
    slack_platform.work()
    case = case_row(slack_platform, case_id)
    assert (case.status, case.acknowledged_by) == ("acknowledged", "Sam")
    for channel in ("D0DANA", "D0SAM"):
        message = shown(fake_slack, channel)
        assert "Acknowledged by *Sam* at <!date^" in text_of(message)
        assert buttons_of(message) == [ACTION_IDS["resolve"]]

    pages_before = len(fake_slack.calls_to("chat.postMessage"))
    assert escalation.escalate(slack_platform.runtime, case_id, 2) is False
    slack_platform.work()
    assert len(fake_slack.calls_to("chat.postMessage")) == pages_before

    (acknowledged,) = events(slack_platform, case_id, "acknowledged")
    assert (acknowledged.actor, acknowledged.data["via"]) == ("Sam", f"slack:{SAM}")
    (requested,) = events(slack_platform, case_id, "escalation_requested")
    assert (requested.actor, requested.data) == ("Dana", {"via": f"slack:{DANA}", "step": 1})


def test_a_double_click_changes_the_case_once(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    for _ in range(2):
        assert slack.click("acknowledge", case_id, DANA).status_code == 200
    slack_platform.work()
    assert len(events(slack_platform, case_id, "acknowledged")) == 1
    assert len(fake_slack.calls_to("chat.update")) == 1
    notices = fake_slack.wait_for("chat.postEphemeral")
    assert [call.args["user"] for call in notices] == [DANA]
    assert "already acknowledged" in notices[0].args["text"]


def test_a_click_from_someone_not_on_the_roster_changes_nothing(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    for action in ("acknowledge", "escalate", "resolve"):
        assert slack.click(action, case_id, MALLORY, channel="C0SHARED").status_code == 200
    slack_platform.work()
    case = case_row(slack_platform, case_id)
    assert (case.status, case.acknowledged_at, case.escalation_step) == ("open", None, 0)
    refused = events(slack_platform, case_id, "action_refused")
    assert [(event.actor, event.data["action"]) for event in refused] == [
        (f"slack:{MALLORY}", "acknowledge"), (f"slack:{MALLORY}", "escalate"), (f"slack:{MALLORY}", "resolve")]
    assert fake_slack.calls_to("chat.update") == []
    notices = fake_slack.wait_for("chat.postEphemeral", 3)
    assert {call.args["user"] for call in notices} == {MALLORY}
    assert "on-call roster" in notices[0].args["text"]


def test_resolve_stops_paging_and_removes_the_buttons(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    assert slack.click("resolve", case_id, DANA).status_code == 200
    slack_platform.work()
    assert case_row(slack_platform, case_id).status == "resolved"
    assert buttons_of(shown(fake_slack, "D0DANA")) == []
    assert escalation.escalate(slack_platform.runtime, case_id, 1) is False


def test_response_url_is_never_followed(slack_platform, slack, fake_slack, receiver):
    case_id = page_urgent_case(slack_platform, fake_slack)
    payload = fixture("block_actions__button")
    payload["response_url"] = f"{receiver.url}/actions/T111/111/stolen"
    payload["user"]["id"] = MALLORY
    payload["actions"][0].update(action_id=ACTION_IDS["acknowledge"], value=str(case_id))
    assert slack.interaction(payload).status_code == 200
    payload["user"]["id"] = DANA
    assert slack.interaction(payload).status_code == 200
    slack_platform.work()
    fake_slack.wait_for("chat.postEphemeral")
    assert receiver.requests == []


@pytest.mark.parametrize("value", ["", "abc", "-1", "1" * 40, "999999"])
def test_buttons_naming_no_case_change_nothing(slack_platform, slack, fake_slack, value):
    assert slack.click("acknowledge", value, DANA).status_code == 200
    notice = fake_slack.wait_for("chat.postEphemeral")[0].args["text"]
    assert "nothing was changed" in notice or "does not exist" in notice
    assert fake_slack.calls_to("chat.update") == []


def test_two_people_acknowledging_at_once_change_the_case_once(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    with ThreadPoolExecutor(max_workers=4) as pool:
        clicks = [pool.submit(slack.click, "acknowledge", case_id, user) for user in (DANA, SAM, DANA, SAM)]
        assert [click.result().status_code for click in clicks] == [200] * 4
    slack_platform.work()
    (acknowledged,) = events(slack_platform, case_id, "acknowledged")
    assert case_row(slack_platform, case_id).acknowledged_by == acknowledged.actor
    assert len(fake_slack.calls_to("chat.update")) == 1


def test_a_click_with_odd_shapes_changes_nothing(slack_platform, slack, fake_slack):
    case_id = page_urgent_case(slack_platform, fake_slack)
    payload = fixture("block_actions__button")
    payload["user"], payload["container"] = "U0DANA", ["not", "an", "object"]  # variant: shapes Slack never sends
    payload["actions"][0].update(action_id=ACTION_IDS["acknowledge"], value=str(case_id))
    assert slack.interaction(payload).status_code == 200
    assert case_row(slack_platform, case_id).acknowledged_at is None
