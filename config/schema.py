"""The whole YAML schema, one Pydantic model per section.

Every key is documented in `config/frontdesk.example.yaml`; a test keeps the
two in step. Later channels add their section to `ChannelsSettings`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, StringConstraints, ValidationInfo, field_validator, model_validator

from config.desk import ClocksSettings, DashboardSettings, Role
from config.email import EmailChannelSettings, EmailSenderSettings
from config.record import EncryptionSettings, RetentionSettings
from config.slack import SlackChannelSettings, SlackSenderSettings
from config.social import (
    MastodonChannelSettings, MastodonSenderSettings, MentionsSettings, XChannelSettings, XSenderSettings,
)
from config.types import Duration, Section
from config.webchat import WebchatChannelSettings
from frontdesk.models import CATEGORIES, Category, Urgency

SLUG = r"^[a-z][a-z0-9_]*$"
LANGUAGE_CODE = r"[a-z]{2,3}"  # ISO 639-1, or 639-3 where none
LanguageCode = Annotated[str, StringConstraints(pattern=rf"^{LANGUAGE_CODE}$")]


class OrganisationSettings(Section):
    """Who Frontdesk speaks for; used in templates and outbound headers."""

    name: str = "Frontdesk"
    postal_address: str | None = None
    dashboard_url: str = "http://127.0.0.1:8080"


class HttpSettings(Section):
    """The shared web server: intake APIs, Slack, web chat, dashboard, health."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class WorkerSettings(Section):
    """RQ workers: how many `run` starts, batch sizes and time limits."""

    count: int = Field(2, ge=1, le=64)
    batch_size: int = Field(200, ge=1, le=5000)
    job_timeout: Duration = timedelta(seconds=120)
    sweep_interval: Duration = timedelta(seconds=15)
    stuck_after: Duration = timedelta(seconds=60)
    max_delivery_attempts: int = Field(5, ge=1, le=50)
    retry_backoff: Duration = timedelta(seconds=10)


class ApiClientSettings(Section):
    """One caller of the generic HTTP channel, with its own token and callback."""

    name: str = Field("default", pattern=SLUG)
    token_env: str = "FRONTDESK_API_TOKEN"
    token: SecretStr | None = Field(None, json_schema_extra={"secret_env": "token_env"})
    callback_url: str | None = None
    callback_secret_env: str = "FRONTDESK_WEBHOOK_SECRET"
    callback_secret: SecretStr | None = Field(None, json_schema_extra={"secret_env": "callback_secret_env"})
    role: Role = "agent"

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value


class ApiChannelSettings(Section):
    """The generic HTTP channel, `POST /api/messages`."""

    enabled: bool = True
    max_body_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024)
    clients: list[ApiClientSettings] = Field(default_factory=lambda: [ApiClientSettings()])

    @field_validator("clients")
    @classmethod
    def _unique_names(cls, clients: list[ApiClientSettings]) -> list[ApiClientSettings]:
        names = [client.name for client in clients]
        if len(names) != len(set(names)):
            raise ValueError(f"client names must be unique: {names}")
        return clients


class ChannelsSettings(Section):
    """One section per inbound channel, keyed by the channel's slug."""

    api: ApiChannelSettings = Field(default_factory=ApiChannelSettings)
    x: XChannelSettings = Field(default_factory=XChannelSettings)
    mastodon: MastodonChannelSettings = Field(default_factory=MastodonChannelSettings)
    email: EmailChannelSettings = Field(default_factory=EmailChannelSettings)
    webchat: WebchatChannelSettings = Field(default_factory=WebchatChannelSettings)
    slack: SlackChannelSettings = Field(default_factory=SlackChannelSettings)


class RuleSettings(Section):
    """An operator rule: when any keyword or pattern matches, it sets urgency and categories."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    urgency: Urgency | None = None
    categories: list[Category] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    opt_out: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"pattern {pattern!r} does not compile: {error}") from None
        return patterns

    @model_validator(mode="after")
    def _matches_something(self) -> "RuleSettings":
        if not self.keywords and not self.patterns:
            raise ValueError(f"rule {self.name!r} needs keywords or patterns")
        if self.urgency is None and not self.categories and not self.opt_out:
            raise ValueError(f"rule {self.name!r} sets nothing: give urgency, categories or opt_out")
        return self


class ClassifierSettings(Section):
    """The shipped model's thresholds (calibrated probabilities); the operator's rules win when they fire."""

    enabled: bool = Field(True, description="Run the model; off, no rule firing means default_urgency.")
    critical: float = Field(0.6, ge=0, le=1, description="Safety score for critical (high if nobody came to harm).")
    safety_high: float = Field(0.6, ge=0, le=1, description="Safety score for high and the safety category.")
    category: float = Field(0.5, ge=0, le=1, description="Privacy and regulatory score for high.")
    harassment: float = Field(0.9, ge=0, le=1, description="Harassment score for high (rude words are common).")
    financial: float = Field(0.9, ge=0, le=1, description="Financial score for high (money comes up in ordinary\n"
                             "complaints: a refund, a charge).")
    legal: float = Field(0.9, ge=0, le=1, description="Legal score for high (a refusal or a dispute reads close to\n"
                         "a legal one; the bundled legal.threat rule names a lawyer, a court, a claim).")
    case: float = Field(0.5, ge=0, le=1, description="Complaint score for normal; below it and the rest, low.")
    informative: float = Field(0.5, ge=0, le=1, description="Incident-report score for normal.")
    guards: bool = Field(True, description=(
        "Guards: negated harm, harm said of a thing, swearing that is no abuse, sarcasm, quoted text."))
    report_types: bool = Field(True, description="An incident report that is no complaint is high only if it is\n"
                               "about people affected, infrastructure damaged or a warning; else normal; low if\n"
                               "it reads most as sympathy and support.")
    report_urgent: float = Field(0.5, ge=0, le=1, description="A report that only its kind makes high (its safety\n"
                                 "score is under safety_high) needs that kind's score to reach this; else normal.")
    languages: list[LanguageCode] = Field(
        ["en"], description="Languages the model reads (ISO 639-1 codes). A message it judges low in another\n"
                            "language is not dropped: addressed to the organisation, it gets router.default_urgency;\n"
                            "a public mention stays low. Empty: languages are not checked.")


class ChatSettings(Section):
    """Lines of multi-party rooms (a chat room bridged through the API) with no thread key and no subject:
    who talks to whom."""

    rooms: list[str] = Field(
        default_factory=list,
        description="Channels whose messages without a thread key or subject are lines of a room where several\n"
                    "people talk at once (shell patterns: \"api\", \"irc-*\"). Elsewhere such a message continues\n"
                    "its sender's open case within router.thread_window, as one person's texts or form posts do.")
    sender_window: Duration = Field(
        timedelta(seconds=30),
        description="A line naming no one continues its sender's own case only if that case had a message this\n"
                    "recently; in a room one person's lines minutes apart are often different conversations.")
    reply_window: Duration = Field(
        timedelta(minutes=5),
        description="A line naming someone (\"bob: …\", \"@bob\") joins its sender's exchange with them, or the case\n"
                    "they opened, only if it had a message this recently.")


class RouterSettings(Section):
    """Threading window, the operator's rules, and which urgencies page someone."""

    thread_window: Duration = timedelta(days=14)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    rules: list[RuleSettings] = Field(default_factory=list, description=(
        "Keyword and regex rules; they always win when they fire. Yours come first; the bundled rules\n"
        "(config/default.yaml: legal threats, regulators, harassment and discrimination, staff advances,\n"
        "a disabled customer kept out, a customer accused of theft, searched or held,\n"
        "another person's data shown, fraud, safety hazards, threats of violence, assault and intimidation,\n"
        "people trapped, fire, lasting hazards such as black mould or a recall, vulnerable customers without\n"
        "a supply, a medicine or care, staff intruding on a customer's home, unsubscribe and spam,\n"
        "each in English and six more languages) follow, except one you give the same name, which yours\n"
        "replaces. The first is shown."))
    bundled_rules: bool = Field(True, description="Keep the bundled rules beside yours; false: only yours.")
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    page_urgencies: list[Urgency] = Field(default_factory=lambda: ["critical", "high"])
    default_urgency: Urgency = "normal"

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, rules: list[RuleSettings]) -> list[RuleSettings]:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique, repeated: {duplicates}")
        return rules


class AcknowledgmentSettings(Section):
    """Acknowledgments to the sender: at most one per case and sender per window."""

    window: Duration = timedelta(hours=24)
    acknowledge_low: bool = False
    templates_dir: Path | None = None


class NotifyStep(Section):
    """Send a page through one of the person's contact methods."""

    notify: str = Field(pattern=SLUG)


class WaitStep(Section):
    """Wait before the person's next notify step."""

    wait: Duration


class PersonSettings(Section):
    """Someone on call: contact methods by sender slug, and their personal notification policy."""

    id: str = Field(pattern=SLUG)
    name: str
    contact: dict[str, str]
    notify: list[NotifyStep | WaitStep]

    @model_validator(mode="after")
    def _policy_uses_known_methods(self, info: ValidationInfo) -> "PersonSettings":
        senders = (info.context or {}).get("senders")
        for step in self.notify:
            if isinstance(step, NotifyStep):
                if step.notify not in self.contact:
                    raise ValueError(f"notify: {step.notify!r} has no entry in contact of {self.id!r}")
                if senders is not None and step.notify not in senders:
                    raise ValueError(f"notify: {step.notify!r} is not a sender (known: {sorted(senders)})")
        if not any(isinstance(step, NotifyStep) for step in self.notify):
            raise ValueError(f"{self.id!r} has no notify step")
        return self


class EscalationSettings(Section):
    """Who is paged in turn, how long each has to acknowledge, how many rounds."""

    chain: list[str] = Field(default_factory=list)
    ack_timeout: Duration = timedelta(minutes=5)
    rounds: int = Field(2, ge=1, le=10)


class OncallSettings(Section):
    """The on-call roster and its escalation chain."""

    people: list[PersonSettings] = Field(default_factory=list)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)

    @model_validator(mode="after")
    def _chain_names_people(self) -> "OncallSettings":
        ids = [person.id for person in self.people]
        if len(ids) != len(set(ids)):
            raise ValueError(f"person ids must be unique: {ids}")
        unknown = [pid for pid in self.escalation.chain if pid not in ids]
        if unknown:
            raise ValueError(f"escalation.chain names unknown people {unknown} (known: {ids})")
        return self

    def person(self, person_id: str) -> PersonSettings:
        """The person with this id; KeyError when there is none."""
        for person in self.people:
            if person.id == person_id:
                return person
        raise KeyError(person_id)


class WebhookSenderSettings(Section):
    """Outbound HTTP callbacks of the generic channel."""

    timeout: Duration = timedelta(seconds=5)


class AppriseSenderSettings(Section):
    """Pages through Apprise URLs (Slack, email, SMS gateways, Telegram, Teams, json:// …)."""

    timeout: Duration = timedelta(seconds=10)


class OutboundSettings(Section):
    """Settings of the outbound senders, one section per sender slug."""

    api: WebhookSenderSettings = Field(default_factory=WebhookSenderSettings)
    apprise: AppriseSenderSettings = Field(default_factory=AppriseSenderSettings)
    x: XSenderSettings = Field(default_factory=XSenderSettings)
    mastodon: MastodonSenderSettings = Field(default_factory=MastodonSenderSettings)
    email: EmailSenderSettings = Field(default_factory=EmailSenderSettings)
    slack: SlackSenderSettings = Field(default_factory=SlackSenderSettings)


class Settings(Section):
    """Everything Frontdesk reads from its one YAML file."""

    data_dir: Path = Path("var")
    redis_url: str | None = None
    database_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    organisation: OrganisationSettings = Field(default_factory=OrganisationSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    workers: WorkerSettings = Field(default_factory=WorkerSettings)
    channels: ChannelsSettings = Field(default_factory=ChannelsSettings)
    router: RouterSettings = Field(default_factory=RouterSettings)
    acknowledgments: AcknowledgmentSettings = Field(default_factory=AcknowledgmentSettings)
    oncall: OncallSettings = Field(default_factory=OncallSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    encryption: EncryptionSettings = Field(default_factory=EncryptionSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    mentions: MentionsSettings = Field(default_factory=MentionsSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    clocks: ClocksSettings = Field(default_factory=ClocksSettings)

    @property
    def sqlite_path(self) -> Path:
        """Where the default SQLite database lives."""
        return self.data_dir / "frontdesk.sqlite3"

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"


__all__ = ["Settings", "CATEGORIES"]
