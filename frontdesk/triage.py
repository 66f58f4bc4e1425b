"""`frontdesk triage`: the real router, offline, over a file of messages; one JSON line out per message.

Nothing is sent and nothing needs Redis or a database: cases live in
`MemoryCases`, an in-memory implementation of the router's `CaseLookup`
whose indexes forget the least recently used entries past a fixed size, so
memory stays bounded however long the input. When a parent arrives after its
reply and the router merges two cases, the line of that message names the
surviving case and every later message of either case goes there; lines
already written keep the id they were given. Input is read as a stream:
`jsonl` (one object a line: `id`, `channel`, `text`, optional `sender`,
`subject`, `sent_at`, `thread_key`), `mbox` (input id = the Message-ID
header as written) or `eml` (one file, or a folder of `.eml` files).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from contextlib import nullcontext
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from frontdesk.errors import MalformedPayloadError
from frontdesk.models import Contact, Decision, Message, RawInbound

FORMATS = ("jsonl", "mbox", "eml")
MAX_RECORD_BYTES = 10 * 1024 * 1024
INDEX_LIMIT = 500_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Item:
    """One input record: its id as the input names it, and the message, or why there is none."""

    input_id: str
    message: Message | None
    error: str | None = None


class MemoryCases:
    """The router's CaseLookup over in-memory, size-bounded indexes (least recently used forgotten first),
    answering as the SQL store (frontdesk/store/lookup.py) does."""

    def __init__(self, limit: int = INDEX_LIMIT):
        self.limit = limit
        self.next_id = 1
        self.keys: OrderedDict[tuple[str, str], int] = OrderedDict()
        # As in the SQL store, a sender's (or verified email's) open case is the latest case that person opened.
        self.senders: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.emails: OrderedDict[str, int] = OrderedDict()
        self.anywhere: OrderedDict[str, tuple[int, datetime]] = OrderedDict()
        self.last_message_at: OrderedDict[int, datetime] = OrderedDict()
        self.merged_into: OrderedDict[int, int] = OrderedDict()

    def live(self, case_id: int) -> int:
        """The case a case was merged into (following merges of merges), or the case itself."""
        for _ in range(len(self.merged_into) + 1):
            if case_id not in self.merged_into:
                break
            case_id = self.merged_into[case_id]
        return case_id

    def case_for_thread_keys(self, channel: str, keys: Sequence[str]) -> int | None:
        """See router.threads.CaseLookup."""
        for key in keys:
            case_id = self.keys.get((channel, key))
            if case_id is not None:
                self.keys.move_to_end((channel, key))
                return self.live(case_id)
        return None

    def open_case_for_sender(self, channel: str, handle: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup."""
        return self._active(self.senders.get((channel, handle)), since)

    def open_case_for_email(self, email: str, since: datetime) -> int | None:
        """See router.threads.CaseLookup."""
        return self._active(self.emails.get(email), since)

    def _active(self, case_id: int | None, since: datetime) -> int | None:
        """The case, unless it is unknown, merged into another, or has had no message since `since`."""
        if case_id is None or case_id in self.merged_into:
            return None
        last = self.last_message_at.get(case_id)
        return case_id if last is not None and last >= since else None

    def cases_for_keys(self, keys: Sequence[str], since: datetime) -> dict[int, int]:
        """See router.threads.CaseLookup."""
        counts: dict[int, int] = {}
        for key in keys:
            found = self.anywhere.get(key)
            if found is not None and found[1] >= since:
                case_id = self.live(found[0])
                counts[case_id] = counts.get(case_id, 0) + 1
        return counts

    def record(self, message: Message, decision: Decision) -> int:
        """File the message under its decided case (a new one if none), merge the cases the decision names into
        it, and index its keys; return the case id."""
        case_id = decision.thread.case_id
        if case_id is None:
            case_id, self.next_id = self.next_id, self.next_id + 1
            self._put(self.senders, (message.channel, message.sender.handle), case_id)
            if message.sender.email and message.sender.email_verified:
                self._put(self.emails, message.sender.email.casefold(), case_id)
        case_id = self.live(case_id)
        latest = [message.sent_at, self.last_message_at.get(case_id, EPOCH)]
        for merged in map(self.live, decision.thread.merge_case_ids):
            if merged != case_id:
                self._put(self.merged_into, merged, case_id)
                latest.append(self.last_message_at.get(merged, EPOCH))
        self._put(self.last_message_at, case_id, max(latest))
        for key in (message.thread_key, *message.own_ids, *decision.thread.keys):
            if key:
                self._put(self.keys, (message.channel, key), case_id)
                self._put(self.anywhere, key, (case_id, message.sent_at))
        return case_id

    def _put(self, index: OrderedDict, key, value) -> None:
        index[key] = value
        index.move_to_end(key)
        if len(index) > self.limit:
            index.popitem(last=False)


def _timestamp(value: object) -> datetime:
    if not value:
        return EPOCH
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _json_message(record: dict, number: int) -> Message:
    channel = str(record.get("channel") or "api")
    sender = record.get("sender") or f"unknown-{number}"
    if isinstance(sender, str):
        sender = {"handle": sender}
    sent_at = _timestamp(record.get("sent_at"))
    return Message(
        id=str(record["id"]), channel=channel, external_id=str(record["id"]),
        sender=Contact(channel=channel, **sender), text=str(record["text"]), subject=record.get("subject"),
        thread_key=record.get("thread_key"), sent_at=sent_at, received_at=sent_at,
    )


def read_jsonl(handle: IO[bytes]) -> Iterator[Item]:
    """Items from JSON lines; a bad line becomes an Item with its error (input id `line:<n>` if it has no id)."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        record: object = None
        try:
            if len(line) > MAX_RECORD_BYTES:
                raise ValueError(f"line longer than {MAX_RECORD_BYTES} bytes")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            yield Item(str(record.get("id", f"line:{number}")), _json_message(record, number))
        except (ValueError, KeyError, TypeError, ValidationError) as error:
            input_id = record.get("id") if isinstance(record, dict) and "id" in record else f"line:{number}"
            yield Item(str(input_id), None, f"line {number}: {type(error).__name__}: {str(error)[:200]}")


def _split_mbox(handle: IO[bytes]) -> Iterator[bytes]:
    chunk: list[bytes] = []
    size = 0
    for line in handle:
        if line.startswith(b"From ") and (not chunk or chunk[-1].strip() == b""):
            if chunk:
                yield b"".join(chunk)
            chunk, size = [], 0
            continue
        if line.startswith(b">From "):
            line = line[1:]
        if size <= MAX_RECORD_BYTES:
            chunk.append(line)
            size += len(line)
    if chunk and any(part.strip() for part in chunk):
        yield b"".join(chunk)


def _header_message_id(body: bytes) -> str | None:
    head = body[: 256 * 1024].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = head.decode("utf-8", "replace").splitlines()
    for index, line in enumerate(lines):
        if line.lower().startswith("message-id:"):
            value = line.split(":", 1)[1]
            for follow in lines[index + 1:]:
                if not follow[:1].isspace():
                    break
                value += " " + follow.strip()
            return value.strip() or None
    return None


def email_items(bodies: Iterator[bytes], parse) -> Iterator[Item]:
    """Items from raw emails, parsed by the email channel's own parser `parse(RawInbound) -> Message`."""
    for number, body in enumerate(bodies, 1):
        input_id = _header_message_id(body) or f"message:{number}"
        raw = RawInbound(id=f"triage-{number}", channel="email", external_id=input_id,
                         received_at=EPOCH, body=body, content_type="message/rfc822")
        try:
            yield Item(input_id, parse(raw))
        except (MalformedPayloadError, ValueError, ValidationError) as error:
            yield Item(input_id, None, f"message {number}: {type(error).__name__}: {str(error)[:200]}")


def read_mbox(handle: IO[bytes], parse) -> Iterator[Item]:
    """Items from an mbox stream (mboxrd `>From ` unquoting), one message at a time."""
    return email_items(_split_mbox(handle), parse)


def read_eml(path: Path, parse) -> Iterator[Item]:
    """Items from one .eml file or every .eml file of a folder, in name order."""
    paths = sorted(path.glob("*.eml")) if path.is_dir() else [path]
    return email_items((item.read_bytes()[:MAX_RECORD_BYTES] for item in paths), parse)


def decision_line(input_id: str, case_id: int | None, decision: Decision) -> dict:
    """The JSON object written for one routed input."""
    return {"input_id": input_id, "case_id": case_id, "urgency": decision.urgency,
            "categories": list(decision.classification.categories),
            "reasons": [reason.model_dump(exclude_none=True) for reason in decision.reasons]}


def triage(items: Iterator[Item], router, out: IO[str], tick=None) -> dict[str, int]:
    """Route every item in order with `router` over fresh `MemoryCases`, writing one JSON line each.

    An item that could not be read or parsed gets a case of its own at urgency
    normal with the parse error as its reason, as a quarantined payload would.
    `tick(count)` is called every 1,000 items. Returns counts by urgency.
    """
    cases = MemoryCases()
    counts: dict[str, int] = {}
    for count, (item, classification) in enumerate(_classified(items, router), 1):
        if item.message is None:
            case_id, cases.next_id = cases.next_id, cases.next_id + 1
            line = {"input_id": item.input_id, "case_id": case_id, "urgency": "normal", "categories": [],
                    "reasons": [{"source": "policy", "name": "unparsed", "detail": item.error}]}
        else:
            decision = router.route(item.message, cases, classification)
            line = decision_line(item.input_id, cases.record(item.message, decision), decision)
        counts[line["urgency"]] = counts.get(line["urgency"], 0) + 1
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        if tick is not None and count % 1000 == 0:
            tick(count)
    return counts


CLASSIFY_AHEAD = 256  # items classified together: the model vectorises, and memory stays bounded


def _classified(items: Iterator[Item], router) -> Iterator[tuple[Item, object]]:
    """Each item with its classification (None for an unparsed one), classified CLASSIFY_AHEAD at a time."""
    while chunk := list(islice(items, CLASSIFY_AHEAD)):
        yield from zip(chunk, router.classify_many([item.message for item in chunk]))


def open_items(input_format: str, path: Path, handle: IO[bytes] | None) -> Iterator[Item]:
    """The item stream of one input in one of FORMATS (`handle` is the open file for jsonl and mbox)."""
    if input_format == "jsonl":
        return read_jsonl(handle)
    from channels.registry import CHANNELS

    parse = CHANNELS["email"].parse
    return read_mbox(handle, parse) if input_format == "mbox" else read_eml(path, parse)


def run(settings, input_format: str, path: Path, out: IO[str], err: IO[str]) -> dict[str, int]:
    """The `frontdesk triage` command: the configured router over `path`, progress on `err`."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from frontdesk.judging import build_router

    router = build_router(settings.router, settings.acknowledgments)
    size = path.stat().st_size if path.is_file() else None
    columns = (TextColumn("triage"), BarColumn(), TextColumn("{task.fields[count]} messages"), TimeElapsedColumn())
    with open(path, "rb") if path.is_file() else nullcontext() as handle, \
            Progress(*columns, console=Console(file=err), transient=False) as progress:
        task = progress.add_task("triage", total=size, count=0)

        def tick(count: int) -> None:
            progress.update(task, completed=handle.tell() if handle else None, count=count)

        counts = triage(open_items(input_format, path, handle), router, out, tick)
        progress.update(task, completed=size, count=sum(counts.values()))
    return counts

