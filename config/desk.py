"""Settings of the operator's desk: dashboard sign-in (`dashboard`) and response-time clocks (`clocks`)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from config.types import Duration, Section

Role = Literal["viewer", "agent", "admin"]
ROLES: tuple[str, ...] = ("viewer", "agent", "admin")
USERNAME = r"^[a-z0-9][a-z0-9_.@-]{0,63}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OperatorSettings(Section):
    """An operator account written in the YAML: the argon2 hash (from `frontdesk user hash`), never a password."""

    username: str = Field(pattern=USERNAME)
    role: Role = "viewer"
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("password_hash must be an argon2 hash (make one with `frontdesk user hash`)")
        return value


class DashboardSettings(Section):
    """Sign-in and sessions of the dashboard served at `/`."""

    enabled: bool = True
    operators: list[OperatorSettings] = Field(default_factory=list)
    session_secret_env: str = "FRONTDESK_SESSION_SECRET"
    session_secret: SecretStr | None = Field(None, json_schema_extra={"secret_env": "session_secret_env"})
    session_lifetime: Duration = timedelta(hours=12)
    login_attempts: int = Field(5, ge=1, le=1000)
    login_window: Duration = timedelta(minutes=15)
    page_size: int = Field(50, ge=10, le=500)

    @field_validator("operators")
    @classmethod
    def _unique_usernames(cls, operators: list[OperatorSettings]) -> list[OperatorSettings]:
        names = [operator.username for operator in operators]
        if len(names) != len(set(names)):
            raise ValueError(f"operator usernames must be unique: {names}")
        return operators


class ClockTargets(Section):
    """Targets of one urgency; None means no target for that clock."""

    acknowledge: Duration | None = None
    first_response: Duration | None = None
    resolve: Duration | None = None


def _default_targets() -> dict[str, ClockTargets]:
    # Complaint procedures: acknowledge urgent cases within the hour, others within one business day.
    urgent = ClockTargets(acknowledge=timedelta(hours=1), first_response=timedelta(hours=4))
    routine = ClockTargets(acknowledge=timedelta(hours=8), first_response=timedelta(hours=16))
    return {"critical": urgent, "high": urgent, "normal": routine, "low": routine}


class CalendarSettings(Section):
    """Business hours: clocks only run inside them. Absent, clocks run around the clock."""

    timezone: str = "UTC"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> "CalendarSettings":
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        if not self.days:
            raise ValueError("days must name at least one weekday")
        return self


class ClocksSettings(Section):
    """Response-time clocks: targets per urgency, warning point, calendar, and how often they are checked."""

    enabled: bool = True
    targets: dict[str, ClockTargets] = Field(default_factory=_default_targets)
    warn_at: float = Field(0.8, gt=0, lt=1, description="fraction of a target after which the assignee is told")
    calendar: CalendarSettings | None = None
    check_interval: Duration = timedelta(seconds=60)

    @field_validator("targets")
    @classmethod
    def _urgencies(cls, targets: dict[str, ClockTargets]) -> dict[str, ClockTargets]:
        unknown = [key for key in targets if not re.match(r"^(critical|high|normal|low)$", key)]
        if unknown:
            raise ValueError(f"targets are keyed by urgency (critical, high, normal, low), not {unknown}")
        return targets
