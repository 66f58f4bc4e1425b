"""Shared pieces of the email channel tests: a platform with the SMTP listener, and mail to send it."""

from __future__ import annotations

import time

from tests.fakes.smtp_sink import SmtpSink


def complaint(number: int = 1, sender: str = "ann@customer.example", subject: str = "My order is broken",
              extra: str = "") -> bytes:
    """A plain customer complaint with its own Message-ID."""
    return (f"From: Ann Customer <{sender}>\r\nTo: help@localhost\r\nSubject: {subject}\r\n"
            f"Message-ID: <complaint-{number}@customer.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            f"{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"The kettle I bought arrived broken (complaint {number}).\r\n").encode()


def email_overrides(sink: SmtpSink | None, **smtp) -> dict:
    """Settings overrides: the listener on a free port, acknowledgments to the sink."""
    overrides: dict = {"channels": {"email": {"smtp": {"port": 0, **smtp}}}}
    if sink is not None:
        overrides["outbound"] = {"email": {"host": "127.0.0.1", "port": sink.port, "timeout": "5s",
                                           "from_address": "help@localhost", "domain": "localhost"}}
    return overrides


def smtp_port(platform, timeout: float = 10.0) -> int:
    """The port the platform's SMTP listener bound (bounded wait)."""
    adapter = platform.services.adapters["email"]
    deadline = time.monotonic() + timeout
    while adapter.smtp_port is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert adapter.smtp_port, "SMTP listener did not start"
    return adapter.smtp_port


def cases(platform) -> list[dict]:
    """Every case, as the case API lists them."""
    return platform.http.get(f"{platform.url}/api/cases", timeout=10).json()["cases"]
