"""The whole spine on loopback: HTTP in -> worker -> case -> signed acknowledgment -> page -> escalation."""

from __future__ import annotations

import time

from standardwebhooks import Webhook

from tests.harness import WEBHOOK_SECRET

URGENT = {"external_id": "e2e-1", "sender": {"handle": "ann", "name": "Ann Smith", "email": "ann@example.org"},
          "subject": "Charger caught fire", "text": "The charger caught fire last night and my son burned his hand."}


def oncall(receiver_url: str, people=("dana", "lee", "sam")) -> dict:
    """A roster whose pages land on the receiver as Apprise json:// posts, one path per person."""
    host = receiver_url.removeprefix("http://")
    return {
        "people": [{"id": pid, "name": pid.title(), "contact": {"apprise": f"json://{host}/page/{pid}"},
                    "notify": [{"notify": "apprise"}]} for pid in people],
        "escalation": {"chain": list(people), "ack_timeout": "1s", "rounds": 1},
    }


def callback(receiver_url: str) -> dict:
    """The default API client with its acknowledgment callback on the receiver."""
    return {"api": {"clients": [{"name": "default", "callback_url": f"{receiver_url}/ack"}]}}


def test_urgent_message_is_acknowledged_paged_and_escalated_until_acknowledged(make_platform, receiver, database_url):
    platform = make_platform(database_url=database_url, channels=callback(receiver.url), oncall=oncall(receiver.url))

    response = platform.post_message(URGENT)
    assert response.status_code == 202
    message_id = response.json()["id"]
    platform.work()

    cases = platform.http.get(f"{platform.url}/api/cases").json()["cases"]
    assert [(c["urgency"], c["categories"], c["message_count"]) for c in cases] == [("critical", ["safety"], 1)]
    case_id = cases[0]["id"]

    acks = receiver.on("/ack")
    assert len(acks) == 1
    payload = Webhook(WEBHOOK_SECRET).verify(acks[0].body, acks[0].headers)
    assert payload["data"]["message_id"] == message_id
    assert payload["data"]["case_ref"] == f"FD-{case_id:06d}"
    assert "Ann Smith" in payload["data"]["text"] and "emergency services" in payload["data"]["text"]

    assert len(receiver.on("/page/dana")) == 1
    page = receiver.on("/page/dana")[0].json()
    assert page["title"].startswith("[CRITICAL] FD-") and f"/api/cases/{case_id}/ack" in page["message"]
    assert receiver.on("/page/lee") == []

    time.sleep(1.2)
    platform.work()
    assert len(receiver.on("/page/lee")) == 1

    ack = platform.http.post(f"{platform.url}/api/cases/{case_id}/ack", json={"by": "lee"})
    assert ack.status_code == 200 and ack.json()["changed"] is True
    time.sleep(1.2)
    platform.work()
    assert receiver.on("/page/sam") == []

    detail = platform.http.get(f"{platform.url}/api/cases/{case_id}").json()
    kinds = [event["kind"] for event in detail["events"]]
    assert kinds[0] == "opened"
    assert kinds.count("paging") == 2 and "acknowledged" in kinds
    assert [e["actor"] for e in detail["events"] if e["kind"] == "acknowledged"] == ["lee (api:default)"]
    assert detail["status"] == "acknowledged"
    assert {(d["kind"], d["recipient"], d["status"]) for d in detail["deliveries"]} == {
        ("ack", str(cases[0]["contact"]["id"]), "sent"), ("page", "dana", "sent"), ("page", "lee", "sent")}
    assert any(r["source"] in ("rule", "model") and "safety" in r["name"] for r in detail["reasons"])

    metrics = platform.http.get(f"{platform.url}/metrics").text
    assert 'frontdesk_pages_total{result="sent",sender="apprise"} 2.0' in metrics
    assert 'frontdesk_deliveries_total{kind="ack",result="sent",sender="api"} 1.0' in metrics
    assert 'frontdesk_routed_total{channel="api",urgency="critical"} 1.0' in metrics
    assert 'frontdesk_routing_seconds_count{channel="api"} 1.0' in metrics


def test_unanswered_escalation_runs_out_and_says_so(make_platform, receiver):
    platform = make_platform(channels=callback(receiver.url), oncall=oncall(receiver.url, people=("dana",)))
    platform.post_message(URGENT)
    platform.work()
    time.sleep(1.2)
    platform.work()
    case = platform.http.get(f"{platform.url}/api/cases").json()["cases"][0]
    kinds = [e["kind"] for e in platform.http.get(f"{platform.url}/api/cases/{case['id']}").json()["events"]]
    assert kinds.count("paging") == 1 and "escalation_exhausted" in kinds
    assert len(receiver.on("/page/dana")) == 1


def test_complaints_in_other_languages_open_cases_and_are_acknowledged_in_theirs(make_platform, receiver):
    platform = make_platform(channels=callback(receiver.url), oncall=oncall(receiver.url))
    german = {"external_id": "e2e-de", "sender": {"handle": "jonas", "name": "Jonas Weber"},
              "text": "Meine Bestellung kam zu spät und der Karton war beschädigt. Ich will mein Geld zurück."}
    polish = {"external_id": "e2e-pl", "sender": {"handle": "ola", "name": "Ola Nowak"},  # no glossary, no template
              "text": "Moja paczka przyszła spóźniona, a pudełko było uszkodzone. Chcę zwrotu pieniędzy."}
    praise = {"external_id": "e2e-en", "sender": {"handle": "ann", "name": "Ann Smith"},
              "text": "Thank you so much, the staff were wonderful!"}
    assert {platform.post_message(body).status_code for body in (german, polish, praise)} == {202}
    platform.work()

    cases = platform.http.get(f"{platform.url}/api/cases").json()["cases"]
    by_sender = {case["contact"]["name"]: case for case in cases}
    details = {name: platform.http.get(f"{platform.url}/api/cases/{by_sender[name]['id']}").json()
               for name in ("Jonas Weber", "Ola Nowak")}
    for name in details:
        assert (by_sender[name]["urgency"], by_sender[name]["categories"]) == ("normal", ["service"])
    # German is read through the model's glossary; Polish is not read, and gets the default urgency and why.
    assert details["Jonas Weber"]["reasons"][0]["name"] == "model:case"
    names = [reason["name"] for reason in details["Ola Nowak"]["reasons"]]
    assert names[0] == "unread-language" and "guard:language" in names
    assert [[message["language"] for message in detail["messages"]] for detail in details.values()] == [["de"], ["pl"]]
    acks = {ack["data"]["case_ref"]: ack["data"]
            for ack in (Webhook(WEBHOOK_SECRET).verify(ack.body, ack.headers) for ack in receiver.on("/ack"))}
    assert sorted(acks) == sorted(f"FD-{by_sender[name]['id']:06d}" for name in details)
    german_ack = acks[f"FD-{by_sender['Jonas Weber']['id']:06d}"]
    assert german_ack["subject"].startswith("Wir haben Ihre Nachricht erhalten")  # in the sender's language
    assert german_ack["text"].startswith("Guten Tag Jonas Weber,")
    assert acks[f"FD-{by_sender['Ola Nowak']['id']:06d}"]["text"].startswith("Hello Ola Nowak")  # no Polish template
    assert receiver.on("/page/dana") == []
