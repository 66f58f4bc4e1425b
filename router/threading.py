"""Threads without threading headers: normalised subjects and the quoted text of a reply.

Forwarded mail and clients that drop In-Reply-To/References still leave two
traces: a subject with a reply prefix ("Re:", "AW:", "SV:", "回复:" …) and the
lines of the earlier message quoted in the reply. Each message leaves
fingerprints of its own lines (router/quoted.py), and its normalised subject,
as thread keys of its case (`ThreadMatch.keys`, registered by the store); a
later reply continues the case whose lines it quotes most. A subject alone is
never enough to merge a new message — two customers writing "Refund" are two
cases — and a reply ("Re: …", or a list post "[list] …") joins another
sender's case on its subject only when the subject is specific (four words or
more); otherwise it is suggested.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import lru_cache

from config.schema import ChatSettings
from frontdesk.models import Message, ThreadMatch
from router.chat import asked_pair_keys, is_chat_line, resolve_chat
from router.dedupe import minhash_keys, resolve_link
from router.email_threads import CASE_REFERENCE, CASE_TOKEN, SUBJECT, resolve_email_thread
from router.quoted import own_line_keys, quoted_line_keys
from router.threads import CaseLookup, resolve_thread, thread_keys

# Reply and forward prefixes of common mail clients, by language, and list tags.
_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|antwort|wg|fw|fwd|tr|rv|r|ref|odp|pd|res|enc|ynt|vá|vl|atb|bls|vast|"
    r"回复|回覆|答复|转发|轉寄|返信|転送|답장|전달|отв|ответ|пересл|πρ|σχετ|השב|رد|إعادة توجيه)"
    r"(?:\s*\[\d+\]|\s*\(\d+\)|\^\d+)?\s*[:：]"
    r"|\s*\[[^\]]{1,60}\]"
    r"|\s*\((?:fwd|fw)\))+",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{1,60}\]\s*)*(?:re|aw|sv|vs|antw|antwort|odp|res|r|rv|ynt|vá|vast|atb|回复|回覆|答复|返信|답장"
    r"|отв|ответ|πρ|σχετ|השב|رد)(?:\s*\[\d+\]|\s*\(\d+\)|\^\d+)?\s*[:：]",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"\[([^\]]{1,60})\]")
_SERIES_PART = re.compile(r"\s*\d{1,4}\s*/\s*\d{1,4}\s*")
SPECIFIC_WORDS = 4
QUOTE_HORIZON = timedelta(days=366)
SERIES_SLOT_SECONDS = 6 * 3600
HINTS = (CASE_TOKEN, CASE_REFERENCE, SUBJECT)
MAX_REFERENCE_KEYS = 10
EMAIL = "email"  # its own order (router/email_threads.py): an unrelated mail from the same person is a new case
_SERIES = re.compile(r"\[([^\]\d]{0,40}?)\s*0*(\d{1,4})\s*/\s*0*(\d{1,4})\s*\]")
SERIES_KEY = "series:"
SUBJECT_KEY = "nsubject:"


def normalise_subject(subject: str | None) -> tuple[str, bool]:
    """The subject without reply/forward prefixes and list tags, case-folded; and whether it was a reply.

    A tag with a version in it ("[PATCH v2 3/7]") is kept without its part
    number, so that a second version is not taken for the first.
    """
    if not subject:
        return "", False
    is_reply = bool(_REPLY_PREFIX.match(subject))
    prefix = _PREFIX.match(subject)
    versions = [_SERIES_PART.sub("", tag) for tag in _TAG.findall(prefix.group(0))] if prefix else []
    stripped = subject[prefix.end():] if prefix else subject
    kept = " ".join(tag for tag in versions
                    if any(character.isdigit() for character in tag) and any(c.isalpha() for c in tag))
    return _SPACE.sub(" ", f"{kept} {stripped}").strip().casefold(), is_reply


@lru_cache(maxsize=1024)  # asked when a batch is read ahead, and again inside its write transaction
def subject_key(subject: str | None) -> str | None:
    """The thread key of a normalised subject, or None when nothing is left of it."""
    normalised, _ = normalise_subject(subject)
    if not normalised:
        return None
    return SUBJECT_KEY + hashlib.blake2b(normalised.encode(), digest_size=10).hexdigest()


def series_keys(message: Message) -> list[str]:
    """Keys shared by the parts of one numbered series ("[PATCH v2 3/7]") from one author sent close together.

    The first key is this message's own time slot, the second the slot before
    it, so parts either side of a slot boundary still meet.
    """
    if not message.subject or _REPLY_PREFIX.match(message.subject):
        return []
    match = _SERIES.search(message.subject)
    if not match:
        return []
    slot = int(message.sent_at.timestamp() // SERIES_SLOT_SECONDS)
    # The display name, not the address: list archives rewrite addresses, and one author sends from several.
    author = (message.sender.name or message.sender.handle).casefold()
    label = f"{author}\0{match.group(1).strip().casefold()}\0{match.group(3)}"
    return [SERIES_KEY + hashlib.blake2b(f"{label}\0{number}".encode("utf-8", "replace"), digest_size=10).hexdigest()
            for number in (slot, slot - 1)]


def content_keys(message: Message) -> tuple[str, ...]:
    """The keys a message leaves on its case for later header-less replies and later parts."""
    keys = own_line_keys(message.text)
    subject = subject_key(message.subject)
    keys.extend([subject] if subject else [])
    keys.extend(series_keys(message)[:1])
    return tuple(keys)


def resolve_by_content(message: Message, lookup: CaseLookup) -> ThreadMatch | None:
    """The case this message continues by quoted text, series or specific reply subject; else a suggestion or None."""
    quoted = resolve_quoted(message, lookup)
    if quoted is not None:
        return quoted
    series = series_keys(message)
    case_id = lookup.case_for_thread_keys(message.channel, series) if series else None
    if case_id is not None:
        return ThreadMatch(case_id=case_id, how="series", confidence=0.85,
                           evidence="another part of a numbered series from the same sender")
    normalised, is_reply = normalise_subject(message.subject)
    subject = subject_key(message.subject)
    # A list tag ("[notmuch] …") marks a discussion; archives often drop the "Re:" of its replies.
    if (is_reply or _TAG.match(message.subject.lstrip())) and subject:
        case_id = lookup.case_for_thread_keys(message.channel, [subject])
        if case_id is not None and specific(normalised):
            return ThreadMatch(case_id=case_id, how="reply_subject", confidence=0.75,
                               evidence=f"a reply to the specific subject {normalised[:80]!r} of this case")
        if case_id is not None:
            return ThreadMatch(case_id=None, how="new", confidence=0.5, suggested_case_id=case_id,
                               evidence=f"a reply with the subject of case {case_id}, too common to merge on: "
                                        "suggested, not merged")
    return None


def resolve_quoted(message: Message, lookup: CaseLookup) -> ThreadMatch | None:
    """The case whose messages' lines this message quotes most, within QUOTE_HORIZON; None when no case, or
    when two cases are quoted equally (a line that many messages share decides nothing)."""
    quoted = quoted_line_keys(message.text, message.quoted)
    counts = lookup.cases_for_keys(quoted, message.sent_at - QUOTE_HORIZON) if quoted else {}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    case_id, hits = ranked[0]
    return ThreadMatch(case_id=case_id, how="quoted_text", confidence=0.9,
                       evidence=f"quotes {'a line' if hits == 1 else f'{hits} lines'} of messages in this case")


def specific(normalised_subject: str) -> bool:
    """Whether a subject says enough to join two senders' mail: four words or more ("refund" does not)."""
    return len(normalised_subject.split()) >= SPECIFIC_WORDS


def resolve_case(message: Message, lookup: CaseLookup, window: timedelta,
                 chat: ChatSettings = ChatSettings()) -> ThreadMatch:
    """Every way a message finds its case, in order.

    The channel's own thread keys (email: issue 3's order, router/email_threads.py),
    or, for a chat line with no key and no subject, whom it talks to and its
    sender's fresh case (router/chat.py); then a reply that arrived first and
    named this message as its parent (when the channel's keys named another
    case, the two are merged: see `merge_late_parent`); then, with a subject,
    quoted text, series and reply subject; then the same person or the same
    words on any channel (router/dedupe.py). The match carries the keys this
    message leaves for later ones.
    """
    pair_keys: tuple[str, ...] = ()
    if is_chat_line(message, chat):
        thread, pair_keys = resolve_chat(message, lookup, chat)
    else:
        thread = (resolve_email_thread if message.channel == EMAIL else resolve_thread)(message, lookup, window)
    late_parent = resolve_late_parent(message, lookup)
    if late_parent is not None:
        thread = merge_late_parent(thread, late_parent) if thread.case_id is not None else late_parent
    keys = reference_keys(message) + pair_keys
    if message.subject is not None:
        if thread.case_id is None:
            thread = resolve_by_content(message, lookup) or thread
        keys += content_keys(message)
    if thread.case_id is None and thread.suggested_case_id is None:
        thread = resolve_link(message, lookup, window) or thread
    return thread.model_copy(update={"keys": keys + tuple(minhash_keys(message.text))})


def asked_keys(message: Message, chat: ChatSettings = ChatSettings()) -> tuple[list[str], list[str]]:
    """The keys `resolve_case` may look up for this message: (on its channel, on any channel).

    A hint for stores that answer a batch of messages from one read; a key
    missing here is still answered, from the store, so this only has to
    cover the common questions.
    """
    channel_keys = [*thread_keys(message), *message.own_ids, *series_keys(message)]
    subject = subject_key(message.subject)
    channel_keys.extend([subject] if subject else [])
    any_keys = [*quoted_line_keys(message.text, message.quoted), *minhash_keys(message.text),
                *asked_pair_keys(message, chat)]
    return channel_keys, any_keys


def reference_keys(message: Message) -> tuple[str, ...]:
    """The ids this message refers to, left as keys so that a parent arriving later finds its reply's case."""
    return tuple(ref for ref in message.thread_refs if not ref.startswith(HINTS))[:MAX_REFERENCE_KEYS]


def resolve_late_parent(message: Message, lookup: CaseLookup) -> ThreadMatch | None:
    """The case of a reply that arrived before this message, its parent; None if there is none."""
    own = [key for key in message.own_ids if not key.startswith(HINTS)]
    case_id = lookup.case_for_thread_keys(message.channel, own) if own else None
    if case_id is None:
        return None
    return ThreadMatch(case_id=case_id, how="parent_after_reply", confidence=0.95,
                       evidence="a reply that arrived earlier refers to this message")


def merge_late_parent(thread: ThreadMatch, late_parent: ThreadMatch) -> ThreadMatch:
    """This message continues `thread`'s case by its own keys, and an earlier reply's case names it as parent:
    one thread, so the two cases merge.

    The case opened first (the smaller id) survives, so the earliest complaint's
    SLA clock and the reference its sender was given stay valid; the store
    merges the other into it.
    """
    if late_parent.case_id == thread.case_id:
        return thread
    survivor, other = sorted((thread.case_id, late_parent.case_id))
    evidence = (f"{thread.evidence}; and a reply that arrived earlier, in case {late_parent.case_id}, "
                f"refers to this message: case {other} merged into case {survivor}")
    return thread.model_copy(update={"case_id": survivor, "how": "parent_after_reply", "merge_case_ids": (other,),
                                     "confidence": min(thread.confidence, late_parent.confidence),
                                     "evidence": evidence})
