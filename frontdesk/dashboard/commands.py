"""CLI commands of the operator's desk: `frontdesk user add|hash` and `frontdesk report`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from frontdesk.cli import CONFIG_OPTION, load


@click.group()
def user() -> None:
    """Operator accounts of the dashboard."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@CONFIG_OPTION
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "agent", "admin"]), default="agent", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def add(config_path, username, role, password_stdin) -> None:
    """Create an operator account in the database (the password is asked for, or read from stdin)."""
    from frontdesk.auth.accounts import add_operator
    from frontdesk.auth.errors import AccountError
    from frontdesk.store.db import make_engine, make_sessions, migrate

    settings = load(config_path)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    try:
        with make_sessions(engine).begin() as session:
            add_operator(session, username, role, _password(password_stdin))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"operator {username} added with role {role}")


@user.command("hash")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def hash_command(password_stdin) -> None:
    """Print an argon2 hash for `dashboard.operators[].password_hash` in the YAML."""
    from frontdesk.auth.accounts import hash_password
    from frontdesk.auth.errors import AccountError

    try:
        click.echo(hash_password(_password(password_stdin)))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@click.command()
@CONFIG_OPTION
@click.option("--since", default="30d", show_default=True, help="Look-back period, e.g. 7d, 30d, 12w.")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write a PNG chart.")
def report(config_path, since, output, png) -> None:
    """Cases by channel, category and urgency; times to acknowledge and resolve; breaches; recurring topics."""
    from config.types import parse_duration
    from frontdesk.models import utcnow
    from frontdesk.report import build_report, period, to_csv, to_png, to_table
    from frontdesk.store.db import make_engine, make_sessions, migrate

    try:
        look_back = parse_duration(since)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    settings = load(config_path)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with make_sessions(engine)() as session:
        figures = build_report(session, *period(look_back, utcnow()))
    click.echo(to_csv(figures) if output == "csv" else to_table(figures), nl=False)
    if png is not None:
        png.write_bytes(to_png(figures))
        click.echo(f"chart written to {png}", err=True)
