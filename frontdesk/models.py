"""The shared models every package speaks: what came in, what was decided, what went out.

All are frozen Pydantic models so a value handed from one stage to the next can
never be changed behind the other's back.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Urgency = Literal["critical", "high", "normal", "low"]
Category = Literal["safety", "legal", "privacy", "harassment", "financial", "regulatory", "service"]

URGENCIES: tuple[Urgency, ...] = ("critical", "high", "normal", "low")
CATEGORIES: tuple[Category, ...] = (
    "safety", "legal", "privacy", "harassment", "financial", "regulatory", "service",
)
URGENCY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "critical": 3}

# Message flags the router and outbound understand; channels set them while parsing.
FLAG_AUTO_SUBMITTED = "auto_submitted"  # RFC 3834 auto-replies, vacation notices
FLAG_BULK = "bulk"  # list or bulk mail (Precedence, List-Id, List-Unsubscribe)
FLAG_BOUNCE = "bounce"  # delivery status notifications, mailer-daemon
FLAG_UNPARSED = "unparsed"  # quarantined payload that still needs a human
FLAG_OWN = "own"  # something we sent ourselves, seen again (loops)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class Frozen(BaseModel):
    """Base for the shared models: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Contact(Frozen):
    """Who sent a message, as the channel knows them.

    `handle` is the channel's stable address for the person (an email address,
    a Slack user id, an X user id, a web chat visitor token); `channel` plus
    `handle` identify one channel identity.
    """

    channel: str
    handle: str
    name: str | None = None
    email: str | None = None
    email_verified: bool = False


class Attachment(Frozen):
    """Metadata of a stored attachment; the bytes live in the data directory."""

    filename: str
    content_type: str
    size: int
    sha256: str


class RawInbound(Frozen):
    """A provider payload exactly as received, before any parsing.

    `id` is the message id Frontdesk assigns at intake; `external_id` is the
    provider's id for the event, which makes the idempotency key.
    """

    id: str
    channel: str
    external_id: str
    received_at: datetime
    body: bytes
    content_type: str = "application/json"
    meta: dict[str, str] = Field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """`<slug>:<provider event id>`, unique across all intake."""
        return f"{self.channel}:{self.external_id}"


class Message(Frozen):
    """One normalised inbound message, whatever channel it came by.

    `thread_key` is the channel's own conversation id (Slack thread_ts, X
    conversation_id, a web chat session, an API client's key); `thread_refs`
    are further ids this message refers to (email In-Reply-To and References),
    and `own_ids` are ids under which others may refer to this message (an
    email's Message-ID). `reply_to` carries what the channel's sender needs
    to answer in place (an API client name, a Slack channel), never decisions.
    `quoted` is the history a channel removed from `text` (email: `>`-quoted
    lines and earlier messages below a reply header), handed over only so the
    router can match it against earlier messages; it is neither classified nor stored.
    """

    id: str
    channel: str
    external_id: str
    sender: Contact
    text: str
    quoted: str = ""
    subject: str | None = None
    thread_key: str | None = None
    thread_refs: tuple[str, ...] = ()
    own_ids: tuple[str, ...] = ()
    sent_at: datetime
    received_at: datetime
    public: bool = False
    attachments: tuple[Attachment, ...] = ()
    flags: frozenset[str] = frozenset()
    reply_to: dict[str, str] = Field(default_factory=dict)
    language: str | None = None

    @property
    def idempotency_key(self) -> str:
        """`<slug>:<provider event id>`, unique across all intake."""
        return f"{self.channel}:{self.external_id}"


class Reason(Frozen):
    """Why a decision came out as it did: one rule, model score or thread match."""

    source: Literal["rule", "model", "guard", "thread", "policy"]
    name: str
    detail: str
    score: float | None = None


class Classification(Frozen):
    """Urgency, categories and the reasons for them, for one message."""

    urgency: Urgency
    categories: tuple[Category, ...] = ()
    scores: dict[str, float] = Field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()
    sentiment: float | None = None
    opt_out: bool = False
    # The language the message is written in (ISO 639 code), when it could be told: acknowledgments use it.
    language: str | None = None
    # The same, for a message the model judged low in a language it does not read: that verdict says nothing,
    # and the router does not let it drop a message addressed to the organisation.
    unread_language: str | None = None


class ThreadMatch(Frozen):
    """Which existing case a message belongs to, or none (a new case)."""

    case_id: int | None
    how: str = "new"
    confidence: float = 1.0
    evidence: str = ""
    suggested_case_id: int | None = None
    # Cases this message proves to be the same thread as `case_id` (a parent arriving after its reply):
    # the store merges them into `case_id`, with `evidence` as the reason.
    merge_case_ids: tuple[int, ...] = ()
    # Further keys under which later messages find this message's case (content fingerprints, subject).
    keys: tuple[str, ...] = ()


class Decision(Frozen):
    """What the router decided for one message; workers carry it out."""

    message_id: str
    thread: ThreadMatch
    classification: Classification
    acknowledge: bool
    page: bool
    reasons: tuple[Reason, ...] = ()

    @property
    def urgency(self) -> Urgency:
        """The decided urgency."""
        return self.classification.urgency


DeliveryStatus = Literal["sent", "failed", "skipped"]


class DeliveryResult(Frozen):
    """What one outbound attempt did: to whom, how it ended, the provider's answer."""

    target: str
    status: DeliveryStatus
    provider_id: str | None = None
    error: str | None = None
    retryable: bool = False
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the provider accepted the message."""
        return self.status == "sent"


class Rendered(Frozen):
    """A rendered outbound message and what its sender needs to place it.

    `reply_to` is the inbound message's `reply_to` (for acknowledgments: an
    email's Message-ID, a Slack thread); `meta` carries case facts a sender
    may lay out itself (`case_id`, `case_ref`, `urgency`, `categories`,
    `reasons`, `person`, `case_url`); `idempotency_key` is the delivery's key,
    which senders pass on where the provider dedupes (webhook-id, Message-ID).
    """

    text: str
    subject: str = ""
    html: str | None = None
    kind: Literal["ack", "page", "reply", "alert", "status"] = "ack"
    idempotency_key: str = ""
    reply_to: dict[str, str] = Field(default_factory=dict)
    meta: dict[str, str] = Field(default_factory=dict)


def case_reference(case_id: int) -> str:
    """The reference customers and staff quote, e.g. `FD-000042`."""
    return f"FD-{case_id:06d}"
