"""Chat lines with no conversation key: who is talking to whom, and only while it is fresh.

Web chat sessions and Slack threads carry a thread key, mail a subject. A line
with neither (a chat room bridged through the generic API, a client that sends
no key) may come from a room where several people talk at once, so it joins
a case only on evidence that it belongs there:

- a line that names someone ("bob: …", "bob, …", "@bob …", Slack's "<@U123>")
  continues the sender's exchange with that person, or else the case that
  person opened, if that case had a message within `reply_window`;
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

from config.schema import ChatSettings
from frontdesk.models import Message, ThreadMatch
from router.threads import CaseLookup

# "bob: …" (IRC), "bob, …", "@bob …" and Slack's "<@U123> …".
_ADDRESSED = re.compile(r"^\s*(?:<@(\w{2,40})>|@([\w\-.]{2,40})\b|([\w\-\[\]\\`^{}|.]{2,40})\s*[:,]\s+\S)")
_NAME = re.compile(r"[\w\-\[\]\\`^{}|.]{2,40}")
ENDS = 3  # people name whom they talk to at either end of a line: "thanks bob", "try this, bob"
PAIR_KEY = "chat-pair:"


def is_chat_line(message: Message) -> bool:
    """A message with no thread key, no subject and no references, on a channel other than email."""
    return (message.thread_key is None and message.subject is None and not message.thread_refs
            and message.channel != "email")


def addressee(text: str) -> str | None:
    """The name a chat line is addressed to ("bob: …", "bob, …", "@bob …", "<@U123> …"), or None."""
    match = _ADDRESSED.match(text)
    return next((group for group in match.groups() if group), None) if match else None


def _split(handle: str) -> tuple[str, str]:
    """(namespace, name): an API client's handles are `client:name`, and people write only the name."""
    namespace, _, name = handle.rpartition(":")
    return (namespace + ":" if namespace else ""), name


def _partners(message: Message) -> list[str]:
    """Names this line may be talking to: its addressee first, then the words at either end of it."""
    _, own = _split(message.sender.handle)
    named = addressee(message.text)
    words = _NAME.findall(message.text)
    candidates = ([named] if named else []) + words[:ENDS] + words[-ENDS:]
    seen: list[str] = []
    for name in candidates:
        if name != own and name not in seen:
            seen.append(name)
    return seen


def pair_key(message: Message, other: str, at: datetime, settings: ChatSettings) -> str:
    """The key of the sender's exchange with `other` on the message's channel, in the slot of time `at`."""
    namespace, own = _split(message.sender.handle)
    first, second = sorted((own, other))
    slot = int(at.timestamp() // max(settings.reply_window.total_seconds(), 1))
    label = f"{message.channel}\0{namespace}\0{first}\0{second}\0{slot}"
    return PAIR_KEY + hashlib.blake2b(label.encode("utf-8", "replace"), digest_size=10).hexdigest()


def asked_pair_keys(message: Message, settings: ChatSettings) -> list[str]:
    """Every pair key `resolve_chat` may look up for this line (this slot's and the one before)."""
    if not is_chat_line(message):
        return []
    earlier = message.sent_at - settings.reply_window
    return [pair_key(message, name, at, settings) for name in _partners(message) for at in (message.sent_at, earlier)]


def _exchange(message: Message, lookup: CaseLookup, settings: ChatSettings,
              names: list[str]) -> tuple[int, str] | None:
    """The live case of the sender's exchange with the first of `names` that has one, and that name."""
    since = message.sent_at - settings.reply_window
    for name in names:
        keys = [pair_key(message, name, at, settings) for at in (message.sent_at, since)]
        counts = lookup.cases_for_keys(keys, since)
        if counts:
            return max(counts, key=lambda case_id: (counts[case_id], case_id)), name
    return None


def resolve_chat(message: Message, lookup: CaseLookup, settings: ChatSettings) -> tuple[ThreadMatch, str | None]:
    """The case a chat line continues (or none), and the name of whom it talks to, if anyone.

    In order: the exchange with its addressee; the addressee's own open case;
    an exchange with someone it mentions; the sender's own open case within
    `sender_window`.
    """
    namespace, _ = _split(message.sender.handle)
    named = addressee(message.text)
    partners = _partners(message)
    found = _exchange(message, lookup, settings, partners[:1] if named else [])
    if found is not None:
        return ThreadMatch(case_id=found[0], how="addressed", confidence=0.85,
                           evidence=f"addressed to {found[1]}, who talked with the sender in this case"), found[1]
    if named and named in partners:
        case_id = lookup.open_case_for_sender(message.channel, namespace + named, message.sent_at - settings.reply_window)
        if case_id is not None:
            return ThreadMatch(case_id=case_id, how="addressed", confidence=0.8,
                               evidence=f"addressed to {named}, who opened this case"), named
    found = _exchange(message, lookup, settings, partners[1:] if named else partners)
    if found is not None:
        return ThreadMatch(case_id=found[0], how="mentioned", confidence=0.75,
                           evidence=f"mentions {found[1]}, who talked with the sender in this case"), found[1]
    case_id = lookup.open_case_for_sender(message.channel, message.sender.handle,
                                          message.sent_at - settings.sender_window)
    if case_id is not None:
        return ThreadMatch(case_id=case_id, how="sender_open_case", confidence=0.9,
                           evidence=f"same sender, open case with a message within {settings.sender_window}"), named
    return ThreadMatch(case_id=None), named


def chat_keys(message: Message, partner: str | None, settings: ChatSettings) -> tuple[str, ...]:
    """The pair key this line leaves on its case: with whom it talks, in this slot."""
    return (pair_key(message, partner, message.sent_at, settings),) if partner else ()
