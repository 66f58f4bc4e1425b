"""Business hours: when a clock's target falls due, counting only open hours of open days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from config.desk import WEEKDAYS, CalendarSettings

MAX_DAYS = 3660  # ten years of closed days is a configuration error, not a loop


class Calendar:
    """Adds business time to an instant. Without settings every hour counts (a 24x7 calendar)."""

    def __init__(self, settings: CalendarSettings | None):
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone) if settings else timezone.utc
        self.days = {WEEKDAYS.index(day) for day in settings.days} if settings else set()
        self.holidays = set(settings.holidays) if settings else set()

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has passed since `start` (UTC, aware)."""
        if self.settings is None:
            return start + duration
        remaining = duration
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.days and day not in self.holidays:
                opens = datetime.combine(day, self.settings.start, self.zone).astimezone(timezone.utc)
                closes = datetime.combine(day, self.settings.end, self.zone).astimezone(timezone.utc)
                begin = max(opens, start)
                if begin < closes:
                    if remaining <= closes - begin:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError("the business calendar has no open hours within ten years")
