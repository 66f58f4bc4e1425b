"""Threading inputs for bench/judgement.py: maildir corpora, their gold threads, routing them, generated load.

The notmuch corpora are GPL test data: they are read from shared/datasets at
run time and never copied into the repository.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from channels.registry import CHANNELS
from classifier.corpora import load_authored
from frontdesk.models import Contact, Message
from frontdesk.settings import load_settings
from frontdesk.triage import EPOCH, MemoryCases, email_items
from frontdesk.judging import build_router

_ID = re.compile(r"<([^<>\s]+)>")
_THREAD_HEADERS = re.compile(rb"^(?:in-reply-to|references):.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Mail:
    """One stored message: its bytes, Message-ID, the ids it refers to, and when it was sent."""

    body: bytes
    message_id: str
    refers_to: tuple[str, ...]
    sent_at: float


def _header(head: str, name: str) -> str:
    match = re.search(rf"^{name}:(.*(?:\n[ \t].*)*)", head, re.IGNORECASE | re.MULTILINE)
    return match.group(1).replace("\n", " ").strip() if match else ""


def load_maildirs(root: Path, corpora: tuple[str, ...]) -> list[Mail]:
    """Every message file under root/<corpus>, one per Message-ID (a re-delivery is dropped), by date."""
    mails: dict[str, Mail] = {}
    for corpus in corpora:
        for path in sorted(p for p in (root / corpus).rglob("*") if p.is_file()):
            body = path.read_bytes()
            head = body.split(b"\n\n", 1)[0].decode("utf-8", "replace")
            ids = _ID.findall(_header(head, "message-id"))
            if not ids or ids[0] in mails:
                continue
            refers = tuple(_ID.findall(_header(head, "in-reply-to")) + _ID.findall(_header(head, "references")))
            try:
                sent = parsedate_to_datetime(_header(head, "date")).timestamp()
            except (TypeError, ValueError):
                sent = 0.0
            mails[ids[0]] = Mail(body, ids[0], refers, sent)
    return sorted(mails.values(), key=lambda mail: (mail.sent_at, mail.message_id))


def gold_threads(mails: list[Mail]) -> list[str]:
    """Gold thread of each mail: connected components over Message-ID and In-Reply-To/References.

    Ids of messages not in the corpus are nodes too: two replies to the same
    missing message belong to one thread.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for mail in mails:
        for ref in mail.refers_to:
            parent[find(ref)] = find(mail.message_id)
    return [find(mail.message_id) for mail in mails]


def route_mails(mails: list[Mail], strip_headers: bool) -> list[int]:
    """The case each mail ends in (after any merges) when the real router (built-in default settings) sees them
    in date order."""
    settings = load_settings(None)
    router = build_router(settings.router, settings.acknowledgments)
    cases = MemoryCases()
    bodies = (_THREAD_HEADERS.sub(b"", mail.body) if strip_headers else mail.body for mail in mails)
    predicted = []
    for item in email_items(bodies, CHANNELS["email"].parse):
        if item.message is None:
            predicted.append(-len(predicted) - 1)
            continue
        message = item.message
        if message.sent_at == EPOCH:
            message = message.model_copy(update={"sent_at": message.received_at})
        predicted.append(cases.record(message, router.route(message, cases)))
    return [cases.live(case_id) if case_id > 0 else case_id for case_id in predicted]


def write_messages(path: Path, count: int, seed: int = 7) -> None:
    """`count` JSON lines built from our own examples: many senders, channels, some chat threads."""
    rng = random.Random(seed)
    texts = [example.text for example in load_authored()]
    channels = ("api", "webchat", "slack", "x")
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            channel = channels[number % len(channels)]
            record = {"id": f"m{number}", "channel": channel, "sender": f"user{rng.randrange(count // 5)}",
                      "text": rng.choice(texts), "sent_at": f"2026-11-{1 + number * 28 // count:02d}T12:00:00Z"}
            if channel in ("slack", "webchat") and rng.random() < 0.5:
                record["thread_key"] = f"t{rng.randrange(count // 10)}"
            handle.write(json.dumps(record) + "\n")


_IRC_LINE = re.compile(r"^\[(\d\d):(\d\d)\] <([^>]{1,40})> (.*)$")
FIRST_ANNOTATED = 1000


def load_irc(root: Path) -> tuple[list[Message], list[str]]:
    """irc-disentanglement dev: the annotated lines (from line 1,000) as chat Messages, and their gold conversation."""
    folder = root / "irc-disentanglement-dev"
    gold_of: dict[tuple[str, int], str] = {}
    for number, line in enumerate((folder / "gold.dev.clusters.txt").read_text().splitlines()):
        name, _, ids = line.partition(":")
        for index in ids.split():
            gold_of[(name, int(index))] = f"{name}#{number}"
    messages, gold = [], []
    for path in sorted((folder / "dev").glob("*.ascii.txt")):
        name = path.name.removesuffix(".ascii.txt")
        day = datetime.strptime(name[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
        for index, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
            if index < FIRST_ANNOTATED or (name, index) not in gold_of:
                continue
            messages.append(_irc_message(name, index, line, day))
            gold.append(gold_of[(name, index)])
    return messages, gold


def _irc_message(name: str, index: int, line: str, day: datetime) -> Message:
    match = _IRC_LINE.match(line)
    if match:
        hours, minutes, nick, text = match.groups()
        when = day + timedelta(hours=int(hours), minutes=int(minutes))
    else:  # a system line ("=== x has joined"): nobody's words
        nick, text, when = f"system-{index}", line, day
    channel = f"irc-{name}"
    return Message(id=f"{name}:{index}", channel=channel, external_id=f"{name}:{index}",
                   sender=Contact(channel=channel, handle=nick), text=text, sent_at=when, received_at=when)


def route_chat(messages: list[Message], **chat) -> list[int]:
    """The case each chat line ends in (after any merges) under the real router: built-in default settings,
    with the IRC channels named rooms (`router.chat.rooms`), as an operator bridging them would, and any
    other `router.chat` setting given as a keyword (`sender_window=timedelta(minutes=1)`)."""
    settings = load_settings(None)
    settings = settings.model_copy(update={"router": settings.router.model_copy(update={
        "chat": settings.router.chat.model_copy(update={"rooms": ["irc-*"], **chat})})})
    router = build_router(settings.router, settings.acknowledgments)
    cases = MemoryCases()
    predicted = [cases.record(message, router.route(message, cases)) for message in messages]
    return [cases.live(case_id) for case_id in predicted]
