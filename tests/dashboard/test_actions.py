"""Case actions from the dashboard: each changes the case through the store, is audited with the operator,
and refreshes the case's pages; forms without the session's CSRF token or from too weak a role change nothing."""

from __future__ import annotations

import re

import pytest
from rq import Queue

from frontdesk.privacy.redaction import ERASED_KIND
from frontdesk.queue import PAGES
from tests.dashboard.desk import csrf_of, dashboard_settings, open_case, post_action, sign_in


@pytest.fixture
def desk(make_platform):
    return make_platform(dashboard=dashboard_settings())


def case_json(platform, case_id: int) -> dict:
    return platform.http.get(f"{platform.url}/api/cases/{case_id}", timeout=10).json()


def refresh_jobs(platform) -> list[tuple]:
    return [tuple(job.args) for job in Queue(PAGES, connection=platform.runtime.redis).get_jobs()
            if job.func_name == "workers.jobs.refresh_pages"]


def test_acknowledge_resolve_reopen_are_audited_with_the_operator(desk):
    case_id = open_case(desk, "m-1", "My kettle leaks.")
    agent = sign_in(desk.url, "agent")

    answer = post_action(agent, desk.url, case_id, "acknowledge")
    assert answer.status_code == 200 and answer.url.endswith(f"/cases/{case_id}?done=acknowledged")
    assert "Acknowledged." in answer.text and "Acknowledged by <strong>agent</strong>" in answer.text
    assert refresh_jobs(desk) == [(case_id,)]
    assert "Nothing changed" in post_action(agent, desk.url, case_id, "acknowledge").text

    post_action(agent, desk.url, case_id, "resolve")
    post_action(agent, desk.url, case_id, "reopen")
    detail = case_json(desk, case_id)
    assert detail["status"] == "open" and detail["acknowledged_by"] == "agent"
    kinds = [(e["kind"], e["actor"], e["data"].get("via")) for e in detail["events"] if e["actor"] == "agent"]
    assert kinds == [("acknowledged", "agent", "dashboard"), ("resolved", "agent", "dashboard"),
                     ("reopened", "agent", "dashboard")]


def test_note_and_urgency_change_need_their_text(desk):
    case_id = open_case(desk, "m-1", "My kettle leaks.")
    agent = sign_in(desk.url, "agent")
    assert post_action(agent, desk.url, case_id, "note", text="   ").status_code == 400
    assert post_action(agent, desk.url, case_id, "urgency", urgency="high", reason="").status_code == 400
    assert post_action(agent, desk.url, case_id, "urgency", urgency="urgent!", reason="x").status_code == 400

    post_action(agent, desk.url, case_id, "note", text="Called back, <b>waiting</b> for photos")
    page = post_action(agent, desk.url, case_id, "urgency", urgency="high", reason="customer is elderly").text
    assert "Urgency changed." in page and "customer is elderly" in page and "<b>waiting</b>" not in page
    detail = case_json(desk, case_id)
    assert detail["urgency"] == "high"
    events = {e["kind"]: e["data"] for e in detail["events"]}
    assert events["note"]["text"] == "Called back, <b>waiting</b> for photos"
    assert events["urgency_changed"] == {"old": "normal", "new": "high", "reason": "customer is elderly",
                                         "via": "dashboard"}


def test_merge_moves_messages_and_acknowledgments_and_keeps_the_evidence(make_platform, receiver):
    desk = make_platform(dashboard=dashboard_settings(),
                         channels={"api": {"clients": [{"name": "default", "callback_url": f"{receiver.url}/ack"}]}})
    first = open_case(desk, "m-1", "My kettle leaks.", handle="ann")
    second = open_case(desk, "m-2", "Same kettle, now it sparks.", subject="Kettle again", handle="ann.other")
    agent = sign_in(desk.url, "agent")
    assert post_action(agent, desk.url, second, "merge", into=str(second), reason="x").status_code == 400
    assert post_action(agent, desk.url, second, "merge", into="abc", reason="x").status_code == 400

    acks = [d["id"] for case in (first, second) for d in case_json(desk, case)["deliveries"] if d["kind"] == "ack"]
    assert len(acks) == 2
    page = post_action(agent, desk.url, second, "merge", into=f"#{first}", reason="same kettle, same person")
    assert page.url.endswith(f"/cases/{first}?done=merged")
    assert f'href="/cases/{second}"' in page.text and "same kettle, same person" in page.text
    target, source = case_json(desk, first), case_json(desk, second)
    assert target["message_count"] == 2 and len(target["messages"]) == 2
    assert source["merged_into"] == first and source["status"] == "resolved" and source["messages"] == []
    assert sorted(d["id"] for d in target["deliveries"] if d["kind"] == "ack") == sorted(acks)
    assert [d for d in source["deliveries"] if d["kind"] == "ack"] == []
    assert sorted(refresh_jobs(desk)) == [(first,), (second,)]


def test_split_moves_the_ticked_messages_to_a_new_case(desk):
    case_id = open_case(desk, "m-1", "My kettle leaks.")
    body = {"external_id": "m-2", "sender": {"handle": "ann"}, "text": "Also my toaster burns bread.",
            "thread_key": None}
    detail = case_json(desk, case_id)
    desk.post_message({**body, "subject": "Re: Broken kettle"})
    desk.work()
    detail = case_json(desk, case_id)
    assert detail["message_count"] == 2
    toaster = next(m["id"] for m in detail["messages"] if "toaster" in m["text"])
    agent = sign_in(desk.url, "agent")
    everything = post_action(agent, desk.url, case_id, "split", reason="two products",
                             message=[m["id"] for m in detail["messages"]])
    assert everything.status_code == 400

    page = post_action(agent, desk.url, case_id, "split", reason="two products", message=[toaster])
    new_id = int(re.search(r"/cases/(\d+)\?done=split", page.url).group(1))
    assert new_id != case_id and "Split from case" in page.text
    assert [m["id"] for m in case_json(desk, new_id)["messages"]] == [toaster]
    assert case_json(desk, case_id)["message_count"] == 1


def test_forms_need_the_sessions_csrf_token_and_an_agent(desk):
    case_id = open_case(desk, "m-1", "My kettle leaks.")
    agent = sign_in(desk.url, "agent")
    assert agent.post(f"{desk.url}/cases/{case_id}/acknowledge", data={}, timeout=10).status_code == 403
    other = sign_in(desk.url, "admin")
    stolen = csrf_of(other.get(f"{desk.url}/cases/{case_id}", timeout=10).text)
    assert agent.post(f"{desk.url}/cases/{case_id}/acknowledge", data={"csrf": stolen}, timeout=10).status_code == 403

    viewer = sign_in(desk.url, "viewer")
    token = csrf_of(viewer.get(f"{desk.url}/", timeout=10).text)  # the sign-out form's token
    refused = viewer.post(f"{desk.url}/cases/{case_id}/acknowledge", data={"csrf": token}, timeout=10)
    assert refused.status_code == 403 and "needs the agent role" in refused.text
    assert case_json(desk, case_id)["acknowledged_at"] is None


def test_erase_is_for_admins_and_removes_the_contacts_data(desk):
    case_id = open_case(desk, "m-1", "My kettle leaks, call me on 07700 900123.")
    agent = sign_in(desk.url, "agent")
    assert post_action(agent, desk.url, case_id, "erase", confirm="erase").status_code == 403
    admin = sign_in(desk.url, "admin")
    assert post_action(admin, desk.url, case_id, "erase", confirm="yes").status_code == 400
    page = post_action(admin, desk.url, case_id, "erase", confirm="erase")
    assert page.url.endswith("?done=erased") and "Personal data erased." in page.text
    assert "07700 900123" not in page.text and "Ann Smith" not in page.text and "ann@example.org" not in page.text
    detail = case_json(desk, case_id)
    erasure = [e for e in detail["events"] if e["kind"] == ERASED_KIND]
    assert len(erasure) == 1 and erasure[0]["actor"] == "admin"
