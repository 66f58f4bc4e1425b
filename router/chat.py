"""Chat lines with no conversation key: who is talking to whom, and only while it is fresh.

Web chat sessions and Slack threads carry a thread key, mail a subject. On a
channel the operator names a room (`router.chat.rooms`: a chat room bridged
through the generic API), a line with neither may come from a room where
several people talk at once, so it joins a case only on evidence that it
belongs there (on any other channel, such a message is one person writing to
us and continues their open case, as the router does for every channel):

- a line that names someone ("bob: …", "bob, …", "@bob …", Slack's "<@U123>";
  in any case, as people type nicknames) continues the sender's exchange with
  that person, or else the case that person opened, if that case had a message
  within `reply_window`;
- a line that names someone at either end without a colon ("bob try this",
  "sorry bob, no idea") continues the case that person opened, if that case
  had a message within `reply_window`: a word counts as a name only when
  someone of that name has such a case;
- a line that names no one it has talked with continues its sender's own open
  case only if that case had a message within `sender_window`: a line typed
  right after one's own;
- every line that names someone leaves a key for the pair on its case, so the
  answer ("ann: …") and later lines that mention the other ("thanks bob")
  find it.

The sender's open case over the long `thread_window`, which the router uses
for keyed and subject-bearing messages, is wrong here: in a room one person's
lines an hour apart are mostly different conversations, and so are the lines
of someone who answers several people (measured on the IRC disentanglement
data: bench/judgement.py --only threads).

Pair keys carry the channel and a time slot of `reply_window`: a key leads to
the first case that registered it (as in the SQL store), so slots keep a pair's
later conversation from being sent back to their first one.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from fnmatch import fnmatchcase

from config.schema import ChatSettings
from frontdesk.models import Message, ThreadMatch
from router.threads import CaseLookup

# "bob: …" (IRC), "bob, …", "@bob …" and Slack's "<@U123> …".
_ADDRESSED = re.compile(r"^\s*(?:<@(\w{2,40})>|@([\w\-.]{2,40})\b|([\w\-\[\]\\`^{}|.]{2,40})\s*[:,]\s+\S)")
_NAME = re.compile(r"[\w\-\[\]\\`^{}|.]{2,40}")
ENDS = 3  # people name whom they talk to at either end of a line: "thanks bob", "try this, bob"
PAIR_KEY = "chat-pair:"


def is_chat_line(message: Message, settings: ChatSettings) -> bool:
    """A message with no thread key, no subject and no references, on a channel the operator named a room."""
    return (message.thread_key is None and message.subject is None and not message.thread_refs
            and message.channel != "email" and any(fnmatchcase(message.channel, room) for room in settings.rooms))


def addressee(text: str) -> str | None:
    """The name a chat line is addressed to ("bob: …", "bob, …", "@bob …", "<@U123> …"), or None."""
    match = _ADDRESSED.match(text)
    return next((group for group in match.groups() if group), None) if match else None


def _split(handle: str) -> tuple[str, str]:
    """(namespace, name): an API client's handles are `client:name`, and people write only the name."""
    namespace, _, name = handle.rpartition(":")
    return (namespace + ":" if namespace else ""), name


class _Line:
    """What `resolve_chat` asks about one line, worked out once: whom it names, and its pair keys with each
    (this slot's and the one before)."""

    def __init__(self, message: Message, settings: ChatSettings):
        self.namespace, self.own = _split(message.sender.handle)
        own = self.own.casefold()
        named = addressee(message.text)
        self.named = named if named and named.casefold() != own else None
        words = _NAME.findall(message.text)
        names: dict[str, str] = {}  # one per name whatever its case, as written first
        for name in ([self.named] if self.named else []) + words[:ENDS] + words[-ENDS:]:
            names.setdefault(name.casefold(), name)
        self.names = [name for folded, name in names.items() if folded != own]
        self.slot = int(message.sent_at.timestamp() // max(settings.reply_window.total_seconds(), 1))
        self.prefix = f"{message.channel}\0{self.namespace}\0"
        self._keys: dict[str, list[str]] = {}

    def keys(self, name: str) -> list[str]:
        """The pair keys of the sender and `name`, whatever the case either is written in ("Ann", "ann"): this
        slot's, then the one before."""
        if name not in self._keys:
            own, other = self.own.casefold(), name.casefold()
            pair = f"{own}\0{other}" if own < other else f"{other}\0{own}"
            self._keys[name] = [PAIR_KEY + hashlib.blake2b(f"{self.prefix}{pair}\0{slot}".encode("utf-8", "replace"),
                                                           digest_size=10).hexdigest()
                                for slot in (self.slot, self.slot - 1)]
        return self._keys[name]


def asked_handles(message: Message, settings: ChatSettings) -> list[str]:
    """Every handle whose open case `resolve_chat` may look up for this line."""
    if not is_chat_line(message, settings):
        return []
    line = _Line(message, settings)
    return [line.namespace + name for name in line.names]


def asked_pair_keys(message: Message, settings: ChatSettings) -> list[str]:
    """Every pair key `resolve_chat` may look up for this line."""
    if not is_chat_line(message, settings):
        return []
    line = _Line(message, settings)
    return [key for name in line.names for key in line.keys(name)]


def _exchange(lookup: CaseLookup, line: _Line, names: list[str], since: datetime) -> tuple[int, str] | None:
    """The live case of the sender's exchange with any of `names` (the one with most keys leading to it,
    then the latest), and the first of those names that leads to it."""
    counts = lookup.cases_for_keys([key for name in names for key in line.keys(name)], since) if names else {}
    if not counts:
        return None
    case_id = max(counts, key=lambda case: (counts[case], case))
    if len(names) > 1:  # which name it was: asked again only when something was found
        names = [name for name in names if case_id in lookup.cases_for_keys(line.keys(name), since)] or names
    return case_id, names[0]


def resolve_chat(message: Message, lookup: CaseLookup, settings: ChatSettings) -> tuple[ThreadMatch, tuple[str, ...]]:
    """The case a chat line continues (or none), and the pair key it leaves on its case, if it talks to anyone.

    In order: the exchange with its addressee; the addressee's own open case;
    an exchange with someone it mentions; the open case of someone it
    mentions; the sender's own open case within `sender_window`.
    """
    line = _Line(message, settings)
    since = message.sent_at - settings.reply_window
    named = line.named
    found = _exchange(lookup, line, [named], since) if named else None
    if found is not None:
        match = ThreadMatch(case_id=found[0], how="addressed", confidence=0.85,
                            evidence=f"addressed to {named}, who talked with the sender in this case")
        return match, tuple(line.keys(named)[:1])
    case_id = lookup.open_case_for_sender(message.channel, line.namespace + named, since) if named else None
    if case_id is not None:
        match = ThreadMatch(case_id=case_id, how="addressed", confidence=0.8,
                            evidence=f"addressed to {named}, who opened this case")
        return match, tuple(line.keys(named)[:1])
    found = _exchange(lookup, line, [name for name in line.names if name != named], since)
    if found is not None:
        match = ThreadMatch(case_id=found[0], how="mentioned", confidence=0.75,
                            evidence=f"mentions {found[1]}, who talked with the sender in this case")
        return match, tuple(line.keys(found[1])[:1])
    for name in line.names:
        case_id = lookup.open_case_for_sender(message.channel, line.namespace + name, since) if name != named else None
        if case_id is not None:
            match = ThreadMatch(case_id=case_id, how="mentioned", confidence=0.7,
                                evidence=f"mentions {name}, who opened this case")
            return match, tuple(line.keys(name)[:1])
    left = tuple(line.keys(named)[:1]) if named else ()
    case_id = lookup.open_case_for_sender(message.channel, message.sender.handle,
                                          message.sent_at - settings.sender_window)
    if case_id is not None:
        return ThreadMatch(case_id=case_id, how="sender_open_case", confidence=0.9,
                           evidence=f"same sender, open case with a message within {settings.sender_window}"), left
    return ThreadMatch(case_id=None), left
