"""One person, recognisable anywhere: canary values sent through every registered channel, and
dumps of every store to search for them.

`send_everywhere` sends the person's complaint through every registered
channel: the generic API (plus a malformed request that is quarantined), the
web chat (complaint form and a chat line, over REST), Slack (a signed direct
message event), email (SMTP), and public mentions on X and Mastodon (polled
from the fakes); then it leaves a failed RQ job whose arguments carry the
email address, as a crashed job would.
"""

from __future__ import annotations

import json
import smtplib
import time
import zlib
from pathlib import Path

import redis
import requests
from rq import Queue, SimpleWorker
from sqlalchemy import inspect, select, text

from tests.channels.email.helpers import smtp_port
from tests.fakes.mastodon_api import FakeMastodonApi
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi, signed_headers
from tests.fakes.smtp_sink import SmtpSink
from tests.fakes.x_api import FakeXApi

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SHOP = "http://shop.test:8000"
KEYS = "V0h3bG1oRjN4b0dZbXJwRkZ6bWQ4bFl1d3o5c3lIQ3Q="  # a fixed data key for the tests
EMAIL = "quentin.canaryfield@example.org"
NAME = "Quentin Canaryfield"
HANDLE = "qcanary7731"
SLACK_USER = "UCANARY7731"
X_USER = "9907731"
MASTODON_USER = "8807731"
PHONE = "+44 20 7946 0958"
TEXT = f"CANARYBODY-5e1f my kettle exploded, call me on {PHONE}"
SUBJECT = "CANARYSUBJECT-77b2 kettle"
CANARIES = (EMAIL, NAME, HANDLE, SLACK_USER, X_USER, MASTODON_USER, PHONE, "CANARYBODY-5e1f", "CANARYSUBJECT-77b2")


class Fakes:
    """The provider stand-ins the channels talk to: Slack, X, Mastodon, and an SMTP sink for acknowledgments."""

    def __enter__(self) -> "Fakes":
        self.slack = FakeSlackApi().__enter__()
        self.x = FakeXApi()
        self.x_server = self.x.serve().__enter__()
        self.mastodon = FakeMastodonApi()
        self.mastodon_server = self.mastodon.serve().__enter__()
        self.sink = SmtpSink().__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.sink, self.mastodon_server, self.x_server, self.slack):
            server.__exit__(None, None, None)

    def settings(self, **extra) -> dict:
        """Settings overrides enabling every registered channel against the fakes, and encryption at rest."""
        poll = {"enabled": True, "poll_interval": "0.2s", "timeout": "2s"}
        return dict(
            environ={"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN, "FRONTDESK_DATA_KEYS": KEYS,
                     "X_BEARER_TOKEN": "read", "X_ACCESS_TOKEN": "write", "MASTODON_ACCESS_TOKEN": "token"},
            channels={"slack": {"enabled": True, "api_url": self.slack.base_url},
                      "webchat": {"allowed_origins": [SHOP]}, "email": {"smtp": {"port": 0}},
                      "x": {**poll, "api_base_url": self.x_server.url},
                      "mastodon": {**poll, "api_base_url": self.mastodon_server.url, "streaming": False}},
            outbound={"slack": {"api_url": self.slack.base_url, "timeout": "5s"},
                      "x": {"api_base_url": self.x_server.url, "timeout": "2s"},
                      "mastodon": {"api_base_url": self.mastodon_server.url, "timeout": "2s"},
                      "email": {"host": "127.0.0.1", "port": self.sink.port, "timeout": "5s",
                                "from_address": "help@localhost", "domain": "localhost"}},
            **extra,
        )


def send_everywhere(platform, fakes: Fakes, failing_job: bool = True) -> None:
    """The canary person complains on every channel; the workers route it all. With `failing_job`,
    a job carrying the email address in its arguments then fails, as a crashed job would."""
    _api(platform)
    _webchat(platform)
    _slack(platform)
    _email(platform)
    fakes.x.add_mention(f"@TweepyDev {TEXT}", {"id": X_USER, "name": NAME, "username": HANDLE})
    fakes.mastodon.add_mention(f"@frontdesk {TEXT}", {"id": MASTODON_USER, "username": HANDLE, "acct": HANDLE,
                                                       "display_name": NAME, "url": f"http://localhost/@{HANDLE}"})
    _wait_for_social(platform)
    if not failing_job:
        return
    connection = platform.runtime.redis
    Queue("outbound", connection=connection).enqueue("json.loads", f"not json: {EMAIL}", failure_ttl=3600)
    SimpleWorker(["outbound"], connection=connection).work(burst=True, logging_level="WARNING")


def _api(platform) -> None:
    api = {"external_id": "canary-1", "sender": {"handle": HANDLE, "name": NAME, "email": EMAIL},
           "subject": SUBJECT, "text": TEXT}
    assert platform.post_message(api).status_code == 202
    assert platform.post_message(json.dumps({"sender": EMAIL, "text": TEXT}).encode()).status_code == 400


def _webchat(platform) -> None:
    token = requests.post(f"{platform.url}/chat/conversations", json={}, headers={"Origin": SHOP},
                          timeout=10).json()["token"]
    for frame in ({"type": "complaint", "client_id": "c1", "form": {"name": NAME, "contact": EMAIL,
                   "what_happened": TEXT, "desired_outcome": "a refund"}},
                  {"type": "message", "client_id": "c2", "text": f"{TEXT} (chat)"}):
        answer = requests.post(f"{platform.url}/chat/messages", data=json.dumps(frame).encode(), timeout=10,
                               headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                        "Origin": SHOP})
        assert answer.status_code == 202, answer.text


def _slack(platform) -> None:
    event = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "slack" /
                        "event_callback__message_im.json").read_text())
    event["event"].update(user=SLACK_USER, text=TEXT, blocks=[])
    event["event_id"] = "EvCANARY1"
    body = json.dumps(event).encode()
    answer = requests.post(f"{platform.url}/slack/events", data=body, timeout=10,
                           headers=signed_headers(SIGNING_SECRET, body, content_type="application/json"))
    assert answer.status_code == 200, answer.text


def _email(platform) -> None:
    mail = (f"From: {NAME} <{EMAIL}>\r\nTo: help@localhost\r\nSubject: {SUBJECT}\r\n"
            f"Message-ID: <canary-1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{TEXT}\r\n").encode()
    with smtplib.SMTP("127.0.0.1", smtp_port(platform), timeout=10) as client:
        client.sendmail(EMAIL, ["help@localhost"], mail)


def _wait_for_social(platform, timeout: float = 30.0) -> None:
    """Work the queues until the X and Mastodon mentions are indexed (bounded)."""
    from frontdesk.mentions.store import Mention

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        platform.work()
        with platform.services.sessions() as session:
            if len(set(session.scalars(select(Mention.channel)))) >= 2:
                platform.work()
                return
        time.sleep(0.1)
    raise AssertionError(f"the X and Mastodon mentions were not indexed within {timeout}s")


def database_dump(engine) -> str:
    """Every row of every table in the store, as text (raw payload bodies opened with the data keys)."""
    from frontdesk.store.tables import RawPayload

    lines = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            if table == "raw_payloads":
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: {tuple(row)!r}")
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        for raw in session.query(RawPayload):
            lines.append(f"raw_payloads: {raw.id} {raw.idempotency_key} {raw.meta} {raw.error} "
                         f"{bytes(raw.body).decode(errors='replace')}")
    return "\n".join(lines)


def redis_dump(connection: redis.Redis) -> str:
    """Every key's DUMP, with RQ's compressed job fields opened, and every job's decoded record."""
    from rq.job import Job

    from frontdesk.privacy.redis_scrub import job_text

    parts = []
    for key in connection.scan_iter(count=500):
        parts.append(repr(key) + repr(connection.dump(key)))
        if connection.type(key) == b"hash":
            for name, value in connection.hgetall(key).items():
                try:
                    value = zlib.decompress(value)
                except zlib.error:
                    pass
                parts.append(f"{key!r} {name!r} {value!r}")
        if key.startswith(b"rq:job:") and b":" not in key[7:]:
            parts.append(job_text(Job.fetch(key[7:].decode(), connection=connection)).decode(errors="replace"))
    return "\n".join(parts)


def traces(haystack: str | bytes) -> list[str]:
    """The canaries found in the text."""
    if isinstance(haystack, bytes):
        return [canary for canary in CANARIES if canary.encode() in haystack]
    return [canary for canary in CANARIES if canary in haystack]
