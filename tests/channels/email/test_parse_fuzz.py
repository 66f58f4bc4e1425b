"""channels/email/parse.py under byte-level mutations of the fixtures: a Message or MalformedPayloadError, nothing else."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from channels.email.parse import parse_email
from frontdesk.errors import MalformedPayloadError
from tests.channels.email.test_parse import raw_of

FIXTURES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "email").glob("*.eml"))
SMALL = [path for path in FIXTURES if path.stat().st_size < 300_000]


def mutate(body: bytes, rng: random.Random) -> bytes:
    """Truncate, overwrite bytes, insert line breaks, turn LF into CR, or splice a slice elsewhere."""
    kind, at = rng.randrange(5), rng.randrange(len(body))
    if kind == 0:
        return body[:at]
    if kind == 1:
        changed = bytearray(body)
        for _ in range(rng.randrange(1, 20)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        return bytes(changed)
    if kind == 2:
        return body[:at] + b"\r\n" + body[at:]
    if kind == 3:
        return body.replace(b"\n", b"\r", rng.randrange(1, 50))
    source = rng.randrange(len(body))
    return body[:at] + body[source:source + 200] + body[at:]


@pytest.mark.parametrize("seed", range(8))
def test_mutated_fixtures_parse_or_are_quarantined(seed):
    rng = random.Random(seed)
    for _ in range(40):
        body = mutate(rng.choice(SMALL).read_bytes(), rng)
        try:
            message = parse_email(raw_of(body))
        except MalformedPayloadError:
            continue
        message.model_dump_json()  # every text field is valid Unicode: storable, sendable


def test_eight_bit_ids_and_report_fields_come_back_as_unicode():
    body = (b"From: MAILER-DAEMON@relay.example\r\nMessage-ID: <caf\xc3\xa9\xff@relay.example>\r\n"
            b"X-Failed-Recipients: b\xb1d@x.example\r\nSubject: failure\r\n\r\nundeliverable\r\n")
    message = parse_email(raw_of(body))
    assert message.external_id == "caf\u00e9\ufffd@relay.example"
    assert message.reply_to["report_recipients"] == "b\ufffdd@x.example"
    message.model_dump_json()
