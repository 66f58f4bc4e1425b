"""Which raw payloads go ahead of the intake backlog: those an operator rule that pages already names.

Under a flood (a storm of mentions, a mail loop) the intake buffer grows, and
a message waits for every one before it to be routed. A payload that holds a
keyword of a rule of a paging urgency (`router.page_urgencies`) is put ahead
of them, so its page waits at most for the batches already being routed.

This is a hint, not a decision: it reads the start of the raw payload before
any parser (the strings of a JSON body; a mail's Subject and the start of its
first text part, its markup taken out if HTML, router/mail_peek.py; else the
bytes as text), and the worker still routes the message with every rule and
the model. A hint missed (a keyword past the first KiB, say) costs only the
message's place in line; one given wrongly costs only another's. What only the model finds urgent waits its turn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from config.schema import RouterSettings
from router.mail_peek import mail_words
from router.rules import RuleSet

log = logging.getLogger(__name__)

SCREENED_CHARS = 1024  # of a payload's words: complaints say what is wrong near the start
SCREENED_STRINGS = 200  # of a JSON body's string values, in document order
JSON_BYTES = 64 * 1024  # parsed for its strings; a longer JSON body is read as text

# (body, content type) -> the paging rule that names the payload, or None
UrgentScreen = Callable[[bytes, str], "str | None"]


def urgent_screen(settings: RouterSettings) -> UrgentScreen | None:
    """A function of (raw body, content type) naming the first paging rule whose keywords it holds, else
    None; None when no rule with keywords pages."""
    # Keywords only: an operator's regular expression has no word to look up first, and over a mail's first
    # KiB the bundled patterns would cost more than the rest of the screen, in the server's one event loop.
    paging = [rule.model_copy(update={"patterns": []}) for rule in settings.rules
              if rule.urgency in settings.page_urgencies and rule.keywords]
    if not paging:
        return None
    rules = RuleSet(paging)

    def first_rule(body: bytes, content_type: str) -> str | None:
        try:
            hits = rules.hits(payload_text(body, content_type))
        except Exception:  # a hint: a payload it cannot read waits its turn, and is never refused for it
            log.warning("the urgent screen could not read a %s payload", content_type, exc_info=True)
            return None
        return hits[0].rule.name if hits else None

    return first_rule


def payload_text(body: bytes, content_type: str) -> str:
    """The words of a raw payload, at most SCREENED_CHARS of them: a JSON body's string values (its \\u escapes
    read), one per line; a mail's Subject and the start of its first text part; anything else, or JSON
    that does not parse, the start of its bytes as UTF-8."""
    if "json" in content_type and len(body) <= JSON_BYTES:
        try:
            return "\n".join(_strings(json.loads(body)))[:SCREENED_CHARS]
        except (ValueError, RecursionError):
            pass
    elif content_type == "message/rfc822":
        return mail_words(body, SCREENED_CHARS)[:SCREENED_CHARS]
    return body[:SCREENED_CHARS * 4].decode("utf-8", "replace")[:SCREENED_CHARS]


def _strings(document: object) -> list[str]:
    """String values of a parsed JSON document, depth first, at most SCREENED_STRINGS (keys are not words)."""
    found: list[str] = []
    stack = [document]
    while stack and len(found) < SCREENED_STRINGS:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found
