"""router/priority.py: a raw payload that a paging rule names goes ahead of the intake backlog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.schema import RouterSettings
from frontdesk.settings import load_settings
from router.priority import JSON_BYTES, SCREENED_CHARS, payload_text, urgent_screen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def screen():
    """The screen of the bundled rules (config/default.yaml)."""
    return urgent_screen(load_settings(environ={}).router)


def api_body(text: str, ensure_ascii: bool = True) -> bytes:
    return json.dumps({"external_id": "x-1", "sender": {"handle": "ann"}, "text": text},
                      ensure_ascii=ensure_ascii).encode()


def test_a_payload_a_paging_rule_names_is_put_first_with_that_rule(screen):
    assert screen(api_body("The charger caught fire in the kitchen"), "application/json") == "safety.fire"
    assert screen(api_body("There is a smell of gas after your engineer left"), "application/json") == \
        "safety.hazard"
    assert screen(api_body("My lawyer will be in touch"), "application/json") == "legal.threat"


def test_json_escapes_are_read_so_words_in_other_languages_are_found(screen):
    body = api_body("Hay una fuga de gás en la cocina")
    assert b"g\\u00e1s" in body  # what a Python client sends by default
    assert screen(body, "application/json") == "safety.hazard"
    assert screen(api_body("Hay una fuga de gás en la cocina", ensure_ascii=False), "application/json") == \
        "safety.hazard"


def test_routine_payloads_of_every_channel_are_not_put_first(screen):
    for path in [FIXTURES / "api" / "message__full.json", FIXTURES / "slack" / "event_callback__message_channel.json"]:
        assert screen(path.read_bytes(), "application/json") is None, path.name
    for path in sorted((FIXTURES / "email").glob("message__*.eml")):
        assert screen(path.read_bytes(), "message/rfc822") is None, path.name


def test_a_real_slack_event_with_a_dangerous_text_is_put_first(screen):
    event = json.loads((FIXTURES / "slack" / "event_callback__message_channel.json").read_text())
    event["event"]["text"] = "the heater in room 4 is sparking, please send someone"
    assert screen(json.dumps(event).encode(), "application/json") == "safety.fire"


def test_mail_is_read_as_text_before_any_parser(screen):
    mail = (FIXTURES / "email" / "message__gmail_reply.eml").read_bytes().replace(
        b"Subject: Re: Test", b"Subject: Re: carbon monoxide alarm went off")
    assert screen(mail, "message/rfc822") == "safety.hazard"


def test_rules_that_do_not_page_never_put_a_payload_first(screen):
    assert screen(api_body("Unsubscribe me, this is spam"), "application/json") is None
    settings = RouterSettings.model_validate({"page_urgencies": ["critical"], "rules": [
        {"name": "fire", "urgency": "high", "keywords": ["caught fire"]},
        {"name": "gas", "urgency": "critical", "keywords": ["gas leak"]}]})
    only_critical = urgent_screen(settings)
    assert only_critical(api_body("it caught fire"), "application/json") is None
    assert only_critical(api_body("a gas leak"), "application/json") == "gas"
    assert urgent_screen(RouterSettings.model_validate({"rules": [
        {"name": "optout", "categories": ["regulatory"], "opt_out": True, "keywords": ["stop"]}]})) is None


@pytest.mark.parametrize("body", [
    b'{"text": "caught fire", "sender": ',  # cut off
    b"\xff\xfe not json, caught fire",
])
def test_malformed_json_is_read_as_text(screen, body):
    assert screen(body, "application/json") == "safety.fire"


def test_json_nested_past_the_parsers_limit_is_read_as_text():
    deep = b"[" * 5000 + b'"caught fire"' + b"]" * 5000
    assert payload_text(deep, "application/json") == "[" * SCREENED_CHARS


def test_only_the_start_of_a_payload_is_read(screen):
    padding = "My order was late. " * (SCREENED_CHARS // 19 + 1)
    assert screen(api_body(padding + "It caught fire."), "application/json") is None
    assert screen(api_body("It caught fire. " + padding * 100), "application/json") == "safety.fire"
    assert len(api_body(padding * 100)) > JSON_BYTES  # read as text, not parsed
    assert len(payload_text(b"x" * (10 * SCREENED_CHARS), "text/plain")) == SCREENED_CHARS
    mail = b"Subject: help\r\nFrom: a@example.com\r\n\r\nThe kettle caught fire. " + b"x" * (10 * SCREENED_CHARS)
    assert screen(mail, "message/rfc822") == "safety.fire"
    assert screen(mail.replace(b"The kettle caught fire. ", b"x" * SCREENED_CHARS + b" caught fire"),
                  "message/rfc822") is None


@pytest.mark.parametrize(("mail", "text"), [
    (b"From: a\nSubject: Gas leak now\nTo: b\n\nHello", "Gas leak now\nHello"),
    (b"SUBJECT: Gas leak\r\n\r\nHello", "Gas leak\nHello"),
    (b"From: a\nTo: b\n\nSubject: only in the body", "\nSubject: only in the body"),
    (b"From: a\nX-Subject: no\n\nbody", "\nbody"),
    (b"no blank line, all header", "\n"),
])
def test_a_mail_is_read_as_its_subject_and_the_start_of_its_body(mail, text):
    assert payload_text(mail, "message/rfc822") == text


def test_keys_are_not_words():
    assert payload_text(b'{"fire": {"caught": ["smoke", 3, null]}, "n": "ok"}', "application/json") == "smoke\nok"
