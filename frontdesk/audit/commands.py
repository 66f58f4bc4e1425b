"""`frontdesk audit verify`: recompute every case's event chain and name the first broken link."""

from __future__ import annotations

import json
import sys

import click


@click.group()
def audit() -> None:
    """The tamper-evident record of case events."""


@audit.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, envvar="FRONTDESK_CONFIG",
              help="YAML settings file (default: built-in defaults).")
@click.option("--case", "case_ids", type=int, multiple=True, help="Only these cases (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes verifying ranges of cases side by side (worth it on a large store and idle cores).")
def verify(config_path, case_ids, as_json, jobs) -> None:
    """Recompute the hash chains; exit 1 naming the first broken link, 0 when all verify."""
    from frontdesk.audit.parallel import verify_in_parallel
    from frontdesk.audit.verify import verify_chains
    from frontdesk.cli import load
    from frontdesk.privacy.commands import open_store

    settings = load(config_path)
    sessions = open_store(settings)
    if case_ids:
        report = verify_chains(sessions, list(case_ids))
    else:
        report = verify_in_parallel(settings.effective_database_url, jobs)
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "cases": report.cases, "events": report.events,
                               "tombstones": report.tombstones, "anchor": report.anchor,
                               "broken": [link.__dict__ for link in report.broken]}))
    else:
        click.echo(f"{report.events} events in {report.cases} cases, {report.tombstones} erasure tombstones")
        if report.ok:
            click.echo(f"all chains verify; anchor {report.anchor}")
        else:
            click.echo(f"first broken link: {report.first}")
            for link in report.broken[1:]:
                click.echo(f"also broken: {link}")
    sys.exit(0 if report.ok else 1)
