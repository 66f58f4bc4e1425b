"""Business-hours arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from config.desk import CalendarSettings
from frontdesk.clocks.calendar import Calendar

UTC = timezone.utc


def test_without_a_calendar_every_hour_counts():
    start = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    assert Calendar(None).add(start, timedelta(hours=8)) == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)


def test_business_hours_skip_nights_weekends_and_holidays():
    calendar = Calendar(CalendarSettings(holidays=[date(2026, 11, 23)]))
    friday_afternoon = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # a Friday
    # 1h left on Friday, Saturday/Sunday closed, Monday 23rd a holiday: 7h more end Tuesday 16:00.
    assert calendar.add(friday_afternoon, timedelta(hours=8)) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert calendar.add(saturday, timedelta(minutes=30)) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert calendar.add(early, timedelta(0)) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_local_time_zone_and_daylight_saving():
    calendar = Calendar(CalendarSettings(timezone="Europe/London", start=time(9), end=time(17)))
    # London is UTC+1 in summer, UTC+0 in winter: 9:00 local opens at 08:00 and 09:00 UTC.
    assert calendar.add(datetime(2026, 7, 1, 0, 0, tzinfo=UTC), timedelta(0)) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert calendar.add(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), timedelta(0)) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        CalendarSettings(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="before end"):
        CalendarSettings(start=time(17), end=time(9))
