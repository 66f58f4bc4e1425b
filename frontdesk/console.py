"""Terminal output with rich: tables for cases and the demo summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from frontdesk.models import case_reference

URGENCY_STYLE = {"critical": "bold red", "high": "red", "normal": "yellow", "low": "dim"}


def cases_table(rows: list[dict], console: Console | None = None) -> None:
    """Print cases as a table, newest first."""
    table = Table(title=f"{len(rows)} case(s)")
    for column in ("case", "status", "urgency", "categories", "channel", "contact", "messages", "opened"):
        table.add_column(column)
    for row in rows:
        contact = row["contact"].get("name") or row["contact"].get("email") or f"#{row['contact']['id']}"
        table.add_row(case_reference(row["id"]), row["status"],
                      f"[{URGENCY_STYLE.get(row['urgency'], '')}]{row['urgency']}[/]",
                      ", ".join(row["categories"]), row["channel"], contact, str(row["message_count"]),
                      (row["opened_at"] or "")[:19].replace("T", " "))
    (console or Console()).print(table)
