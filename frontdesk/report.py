"""The complaints review (`frontdesk report --since 30d`, and `/report` on the dashboard).

Cases opened in the period by channel, category and urgency; median and p90
time to acknowledgment (a person acknowledging, or resolution) and to
resolution; response-time clock breaches; recurring topics (categories and the
words that keep coming back in subjects). Written as a text table, CSV rows or
a PNG chart (matplotlib, no display needed).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.clocks.watch import CaseClock
from frontdesk.store.tables import Case

STOPWORDS = frozenset("""a about after again all am an and any are as at be been but by can cannot could did do does
for from had has have how i if in into is it its me my no not of on or our out re fw fwd so than that the their them
then there these they this to too up us very was we were what when where which who why will with would you your
""".split())
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
TOP = 10


@dataclass
class Report:
    """The figures of one period."""

    since: datetime
    until: datetime
    cases: int = 0
    by_channel: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    by_urgency: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    acknowledge_seconds: list[float] = field(default_factory=list)
    resolve_seconds: list[float] = field(default_factory=list)
    breaches: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)

    def times(self) -> dict[str, dict[str, float | None]]:
        """Median and p90 seconds to acknowledgment and to resolution (None without data)."""
        return {name: {"median": percentile(values, 50), "p90": percentile(values, 90), "count": len(values)}
                for name, values in (("acknowledge", self.acknowledge_seconds), ("resolve", self.resolve_seconds))}


def percentile(values: list[float], pct: float) -> float | None:
    """The nearest-rank percentile of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def build_report(session: Session, since: datetime, until: datetime) -> Report:
    """Read the figures of the cases opened in [since, until)."""
    report = Report(since, until)
    rows = session.execute(
        select(Case.id, Case.channel, Case.urgency, Case.status, Case.categories, Case.subject, Case.opened_at,
               Case.acknowledged_at, Case.resolved_at)
        .where(Case.opened_at >= since, Case.opened_at < until, Case.merged_into.is_(None))
        .execution_options(yield_per=5000))
    for case_id, channel, urgency, status, categories, subject, opened, acked, resolved in rows:
        report.cases += 1
        report.by_channel[channel] += 1
        report.by_urgency[urgency] += 1
        report.by_status[status] += 1
        report.by_category.update(categories or ["uncategorised"])
        if acked is not None:
            report.acknowledge_seconds.append((acked - opened).total_seconds())
        if resolved is not None:
            report.resolve_seconds.append((resolved - opened).total_seconds())
        report.topics.update({word for word in WORD.findall((subject or "").lower()) if word not in STOPWORDS})
    breaches = session.execute(
        select(CaseClock.clock).join(Case, Case.id == CaseClock.case_id)
        .where(CaseClock.state == "breached", Case.opened_at >= since, Case.opened_at < until))
    report.breaches.update(clock for (clock,) in breaches)
    return report


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / 60:.0f}m" if seconds < 3600 else f"{seconds / 3600:.1f}h"


def report_rows(report: Report) -> list[tuple[str, str, str]]:
    """(section, key, value) rows: what the table, the CSV and the dashboard show."""
    rows = [("period", "since", f"{report.since:%Y-%m-%d %H:%M}"), ("period", "until", f"{report.until:%Y-%m-%d %H:%M}"),
            ("cases", "total", str(report.cases))]
    for section, counter in (("channel", report.by_channel), ("urgency", report.by_urgency),
                             ("category", report.by_category), ("status", report.by_status)):
        rows += [(section, key, str(count)) for key, count in counter.most_common()]
    for name, figures in report.times().items():
        rows += [(f"time_to_{name}", "median", _hours(figures["median"])),
                 (f"time_to_{name}", "p90", _hours(figures["p90"])),
                 (f"time_to_{name}", "cases", str(figures["count"]))]
    rows += [("breaches", clock, str(count)) for clock, count in sorted(report.breaches.items())]
    rows += [("topic", word, str(count)) for word, count in report.topics.most_common(TOP) if count > 1]
    return rows


def to_csv(report: Report) -> str:
    """The report as CSV with a header row `section,key,value`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    for section, key, value in report_rows(report):
        # A leading = + - @ would make a spreadsheet run the cell as a formula.
        writer.writerow((section, ("'" + key) if key[:1] in "=+-@" else key, value))
    return buffer.getvalue()


def to_table(report: Report) -> str:
    """The report as an aligned text table."""
    rows = report_rows(report)
    widths = [max(len(row[i]) for row in rows + [("section", "key", "value")]) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(("section", "key", "value")))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines) + "\n"


def to_png(report: Report) -> bytes:
    """A 2x2 chart: cases by channel, urgency and category, and the time figures in hours."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 7), dpi=100, layout="constrained")
    axes = figure.subplots(2, 2)
    for axis, (title, counter) in zip(axes.flat, (("Cases by channel", report.by_channel),
                                                  ("Cases by urgency", report.by_urgency),
                                                  ("Cases by category", report.by_category))):
        items = counter.most_common(TOP)
        axis.barh([key for key, _ in items][::-1], [count for _, count in items][::-1], color="#3b6ea5")
        axis.set_title(title)
    times = report.times()
    labels = [f"{name} {stat}" for name in times for stat in ("median", "p90")]
    values = [(times[name][stat] or 0) / 3600 for name in times for stat in ("median", "p90")]
    axes[1][1].bar(labels, values, color="#a53b3b")
    axes[1][1].set_title(f"Hours to acknowledge / resolve (breaches: {sum(report.breaches.values())})")
    axes[1][1].tick_params(axis="x", labelrotation=20)
    figure.suptitle(f"Complaints {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}: {report.cases} cases")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def period(since: timedelta, now: datetime) -> tuple[datetime, datetime]:
    """The report's [since, until) for a look-back duration ending now."""
    return now - since, now
