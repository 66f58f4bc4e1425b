"""channels/email/threading.py: reply tokens, case references and subject keys as thread hints."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from channels.email.parse import ParseOptions, parse_email
from channels.email.threading import case_reference, normalised_subject, reply_case, subject_keys
from config.email import TokenCodec
from tests.channels.email.test_parse import raw_of

CODEC = TokenCodec(b"secret")
WHEN = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def test_reply_token_in_a_recipient_or_our_message_id_names_the_case():
    token = CODEC.reply_token(42)
    assert reply_case(CODEC, "To: someone@x", [f"reply+{token}@help.example"]) == 42
    assert reply_case(CODEC, f"In-Reply-To: <fd.{token}.0123456789abcdef@help.example>", []) == 42
    assert reply_case(CODEC, f"To: Desk <REPLY+{token.upper()}@help.example>", []) == 42
    forged = TokenCodec(b"other").reply_token(42)
    assert reply_case(CODEC, f"To: reply+{forged}@help.example", []) is None


def test_subject_normalisation_and_case_reference():
    assert normalised_subject("RE: Fwd: [Support] AW: Broken   Kettle [FD-000042]") == "broken kettle"
    assert case_reference("Re: Broken kettle [FD-000042]") == 42
    assert case_reference("Order 42") is None


def test_subject_keys_match_within_the_window_and_only_for_the_same_sender():
    first = subject_keys("ann@x.example", "Broken kettle", WHEN, 14)
    reply = subject_keys("ann@x.example", "Re: broken kettle", WHEN + timedelta(days=13), 14)
    assert set(first) & set(reply)
    assert not set(first) & set(subject_keys("bob@x.example", "Broken kettle", WHEN, 14))
    assert not set(first) & set(subject_keys("ann@x.example", "Broken kettle", WHEN + timedelta(days=40), 14))
    assert subject_keys("ann@x.example", "Re:", WHEN, 14) is None


def test_parse_puts_hints_first_and_subject_keys_last():
    body = (b"From: ann@x.example\r\nSubject: Re: Broken kettle [FD-000042]\r\nMessage-ID: <m9@x.example>\r\n"
            b"In-Reply-To: <m1@x.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nStill broken.\r\n")
    message = parse_email(raw_of(body, reply_case="42"), ParseOptions())
    assert message.thread_refs[:3] == ("case:42", "case-ref:42", "m1@x.example")
    assert [ref[:8] for ref in message.thread_refs[3:]] == ["subject:", "subject:"]
    assert message.own_ids[0] == "m9@x.example" and message.own_ids[1] == message.thread_refs[3]
