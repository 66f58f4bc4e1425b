"""The `frontdesk` command line: run, serve, worker, demo, cases, check-config (and more added by features)."""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from frontdesk import heap
from frontdesk.errors import AlreadyRunningError, ConfigError

CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                             envvar="FRONTDESK_CONFIG", help="YAML settings file (default: built-in defaults).")


def load(config_path: str | None, **overrides):
    """Load settings or stop with the configuration error, never a traceback."""
    from frontdesk.settings import load_settings

    try:
        return load_settings(config_path, overrides={k: v for k, v in overrides.items() if v is not None})
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def setup_logging(level: str) -> None:
    """One log format for every process."""
    logging.basicConfig(level=getattr(logging, level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s")
    for noisy in ("rq.worker", "rq.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))
    from frontdesk.privacy.logs import install_log_redaction

    install_log_redaction()


@contextmanager
def start_up_plainly(settings):
    """What stops a serving command from starting (or going on), said in one line with exit status 1: its
    configuration, a data directory another run holds, a port taken, Redis or the database out of reach."""
    import redis
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except (ConfigError, AlreadyRunningError) as error:
        raise click.ClickException(str(error)) from None
    except redis.ConnectionError as error:
        where = hide_password(settings.redis_url) if settings.redis_url else "the embedded server"
        raise click.ClickException(f"cannot reach Redis at {where}: {error}") from None
    except OperationalError as error:
        raise click.ClickException(f"cannot use the database {hide_password(settings.effective_database_url)}: "
                                   f"{str(error.orig).strip()}") from None
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(f"{error}: is another Frontdesk running? Stop it, or choose other ports with "
                                   "--port and --smtp-port") from None


def hide_password(url: str) -> str:
    """The URL with any password in it replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def server_overrides(port: int | None, smtp_port: int | None, host: str | None) -> dict:
    """Settings overrides for the --host, --port and --smtp-port options."""
    overrides: dict = {}
    if host is not None or port is not None:
        overrides["http"] = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    from config.schema import ChannelsSettings

    if smtp_port is not None and "email" in ChannelsSettings.model_fields:
        overrides["channels"] = {"email": {"smtp": {"port": smtp_port}}}
    return overrides


@click.group()
def main() -> None:
    """Frontdesk: omnichannel complaint intake, triage and on-call paging."""


def server_options(function):
    """--host, --port, --smtp-port for the commands that serve."""
    function = click.option("--smtp-port", type=int, default=None, help="Inbound SMTP port (default 2525).")(function)
    function = click.option("--port", type=int, default=None, help="HTTP port (default 8080).")(function)
    return click.option("--host", default=None, help="HTTP address (default 127.0.0.1).")(function)


@main.command()
@CONFIG_OPTION
@server_options
def run(config_path, host, port, smtp_port) -> None:
    """Everything in one process tree: embedded Redis if none is configured, workers, servers."""
    from frontdesk.platform import ensure_api_token, ensure_mail_outbox, run_platform

    settings = load(config_path, **server_overrides(port, smtp_port, host))
    had_token = bool(os.environ.get("FRONTDESK_API_TOKEN"))
    token = ensure_api_token(settings.data_dir, os.environ)
    outbox = ensure_mail_outbox(settings, os.environ)
    if not had_token or outbox:  # both are read from the environment, which now holds them: read it again
        settings = load(config_path, **server_overrides(port, smtp_port, host))
    if token:
        click.echo(f"API token (saved in {settings.data_dir / 'api-token'}, shown once): {token}", err=True)
    if outbox:
        click.echo(f"No mail relay configured: outgoing mail is kept in {outbox} "
                   "(set outbound.email.host to send it)", err=True)
    setup_logging(settings.log_level)
    click.echo(f"Frontdesk on http://{settings.http.host}:{settings.http.port}  (Ctrl-C stops)", err=True)
    with start_up_plainly(settings):
        run_platform(settings, config_path, settings.http.host, settings.http.port)


@main.command()
@CONFIG_OPTION
@server_options
def serve(config_path, host, port, smtp_port) -> None:
    """Intake servers and pollers only (needs redis_url; workers run elsewhere)."""
    import asyncio

    from frontdesk.server import build_services, serve_forever

    settings = load(config_path, **server_overrides(port, smtp_port, host))
    if not settings.redis_url:
        raise click.ClickException("serve needs redis_url (or FRONTDESK_REDIS_URL); `frontdesk run` embeds one")
    setup_logging(settings.log_level)
    with start_up_plainly(settings):
        services = build_services(settings, settings.redis_url)
        heap.settle()
        asyncio.run(serve_forever(services, settings.http.host, settings.http.port))


@main.command()
@CONFIG_OPTION
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option("--name", default=None, help="Worker name shown by RQ.")
def worker(config_path, burst, name) -> None:
    """RQ workers on the queues pages, outbound, intake (in that order), with the scheduler."""
    from frontdesk.redis_server import check_eviction_policy
    from workers.main import run_worker

    settings = load(config_path)
    if not settings.redis_url:
        raise click.ClickException("worker needs redis_url (or FRONTDESK_REDIS_URL)")
    setup_logging(settings.log_level)
    import redis

    with start_up_plainly(settings):
        check_eviction_policy(redis.Redis.from_url(settings.redis_url))
        run_worker(settings, settings.redis_url, burst=burst, name=name)


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False))
def check_config(path) -> None:
    """Validate a settings file; prints each problem with its field path."""
    settings = load(path)
    people = len(settings.oncall.people)
    click.echo(f"{path}: ok ({len(settings.router.rules)} rules, {people} people on call)")


@main.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per case and line.")
@click.option("--status", default=None, help="open, acknowledged or resolved")
@click.option("--limit", default=50, show_default=True)
def cases(config_path, as_json, status, limit) -> None:
    """List cases, newest first."""
    from frontdesk.store.db import make_engine, make_sessions, migrate
    from frontdesk.store.queries import list_cases

    settings = load(config_path)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with make_sessions(engine)() as session:
        rows = list_cases(session, status=status, limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps({"id": row["id"], "status": row["status"], "urgency": row["urgency"],
                                   "categories": row["categories"], "channel": row["channel"],
                                   "contact": row["contact"], "message_count": row["message_count"]}))
        return
    from frontdesk.console import cases_table

    cases_table(rows)


@main.command()
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="A running Frontdesk.")
@click.option("--token", envvar="FRONTDESK_API_TOKEN", default=None, help="API token of the running platform.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for everything to arrive.")
def demo(url, token, timeout) -> None:
    """Push the bundled sample complaints through the pipeline and show what happened."""
    from frontdesk.demo.runner import run_demo

    sys.exit(run_demo(url, token, timeout))


@main.command()
@click.option("--format", "input_format", type=click.Choice(["jsonl", "mbox", "eml"]), required=True)
@click.option("--input", "input_path", type=click.Path(exists=True, path_type=Path), required=True,
              help="A .jsonl or mbox file, an .eml file or a folder of them.")
@CONFIG_OPTION
def triage(input_format, input_path, config_path) -> None:
    """Run the router offline over a file of messages: one JSON line per message on stdout."""
    from frontdesk.triage import run

    run(load(config_path), input_format, input_path, sys.stdout, sys.stderr)


def _desk_commands() -> None:
    from frontdesk.dashboard.commands import report, user

    main.add_command(user)
    main.add_command(report)


_desk_commands()


def _record_commands() -> None:
    from frontdesk.audit.commands import audit
    from frontdesk.privacy.commands import keys, privacy

    main.add_command(audit)
    main.add_command(privacy)
    main.add_command(keys)


_record_commands()


if __name__ == "__main__":
    main()
