"""Parse Mastodon statuses (https://docs.joinmastodon.org/entities/Status/) into Messages.

Pure: the poller's envelope in (one status, and the id of the root of its
reply chain when the poller looked it up), a Message out. The status's HTML
`content` becomes plain text; a `direct` or `private` status is not public.
"""

from __future__ import annotations

from html.parser import HTMLParser

from frontdesk.errors import MalformedPayloadError, UnsupportedEventError
from frontdesk.mentions import envelope as envelopes
from frontdesk.models import FLAG_OWN, Contact, Message, RawInbound

SLUG = "mastodon"
MAX_CONTENT_CHARS = 100_000


def parse(raw: RawInbound) -> Message:
    """One envelope to one Message; boosts are UnsupportedEventError, broken envelopes MalformedPayloadError."""
    envelope, status = envelopes.read(raw, "status")
    if status.get("reblog"):
        raise UnsupportedEventError(f"status {status['id']} is a boost")
    account = status.get("account")
    content = status.get("content")
    if not isinstance(account, dict) or not account.get("id") or not isinstance(content, str):
        raise MalformedPayloadError("status needs account.id and content", field="status")
    status_id, account_id = str(status["id"]), str(account["id"])
    parent = str(status.get("in_reply_to_id") or "")
    root = str(envelope.get("root_id") or parent or status_id)
    reply_to = {
        "status_id": status_id,
        "account_id": account_id,
        "acct": str(account.get("acct") or account.get("username") or ""),
        "in_reply_to_id": parent,
        "in_reply_to_account_id": str(status.get("in_reply_to_account_id") or ""),
        "visibility": str(status.get("visibility") or "public"),
        "stream": str(envelope.get("stream") or "mentions"),
        "url": str(status.get("url") or status.get("uri") or ""),
    }
    own = account_id == str(envelope.get("account_id") or "")
    return Message(
        id=raw.id, channel=SLUG, external_id=status_id,
        sender=Contact(channel=SLUG, handle=account_id, name=account.get("display_name") or account.get("username")),
        text=html_to_text(content[:MAX_CONTENT_CHARS]), thread_key=root,
        thread_refs=(parent,) if parent else (), own_ids=(status_id,),
        sent_at=envelopes.timestamp(status.get("created_at"), raw.received_at), received_at=raw.received_at,
        public=reply_to["visibility"] in ("public", "unlisted"), flags=frozenset({FLAG_OWN} if own else ()),
        reply_to=reply_to, language=status.get("language") if isinstance(status.get("language"), str) else None,
    )


class _TextExtractor(HTMLParser):
    """Collects text; paragraphs and line breaks become newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    """Mastodon's status HTML as plain text."""
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    return "".join(extractor.parts).strip()
