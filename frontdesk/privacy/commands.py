"""`frontdesk privacy export|erase CONTACT` and `frontdesk keys generate|rotate`."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from frontdesk.privacy.errors import KeyringError, SubjectNotFoundError

CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                             envvar="FRONTDESK_CONFIG", help="YAML settings file (default: built-in defaults).")
ACTOR_OPTION = click.option("--actor", default=None, help="Who asks (recorded in the audit trail; default: $USER).")


def open_store(settings):
    """A migrated session factory on the configured store, with the data keys attached."""
    from frontdesk.cli import setup_logging
    from frontdesk.privacy.setup import apply_record_policy
    from frontdesk.store.db import make_engine, make_sessions, migrate

    setup_logging(settings.log_level)
    engine = make_engine(settings.effective_database_url)
    try:
        apply_record_policy(settings, engine)
    except KeyringError as error:
        raise click.ClickException(str(error)) from None
    migrate(engine)
    return make_sessions(engine)


def _contacts(sessions, contact: str) -> list[int]:
    from frontdesk.privacy.subjects import resolve_contacts

    with sessions() as session:
        try:
            return resolve_contacts(session, contact)
        except SubjectNotFoundError as error:
            raise click.ClickException(str(error)) from None


def _actor(actor: str | None) -> str:
    return f"cli:{actor or getpass.getuser()}"


@click.group()
def privacy() -> None:
    """Subject rights: export or erase everything held on a person."""


@privacy.command()
@CONFIG_OPTION
@ACTOR_OPTION
@click.argument("contact")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="privacy-export", show_default=True)
def export(config_path, actor, contact, out_dir) -> None:
    """Write everything held on CONTACT (id, email, handle or channel:handle) as JSON plus attachments."""
    from frontdesk.cli import load
    from frontdesk.privacy.export import export_contact
    from frontdesk.privacy.setup import vault_for

    settings = load(config_path)
    sessions = open_store(settings)
    for contact_id in _contacts(sessions, contact):
        folder = export_contact(sessions, contact_id, Path(out_dir), _actor(actor), vault_for(settings))
        click.echo(f"contact {contact_id}: {folder / 'subject.json'}")


@privacy.command()
@CONFIG_OPTION
@ACTOR_OPTION
@click.argument("contact")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(config_path, actor, contact, yes) -> None:
    """Remove or pseudonymise everything held on CONTACT in the database, attachments and Redis."""
    import redis

    from frontdesk.cli import load
    from frontdesk.privacy.erase import erase_contact
    from frontdesk.privacy.setup import vault_for

    settings = load(config_path)
    sessions = open_store(settings)
    contact_ids = _contacts(sessions, contact)
    if not yes:
        click.confirm(f"Erase the personal data of contact(s) {contact_ids}? This cannot be undone", abort=True)
    connection = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    for contact_id in contact_ids:
        report = erase_contact(sessions, connection, contact_id, _actor(actor), vault_for(settings))
        click.echo(f"contact {contact_id}: {report.cases} cases, {report.messages} messages, {report.tombstones} "
                   f"events tombstoned, {report.attachments} attachments, {report.redis_jobs} jobs and "
                   f"{report.redis_values} Redis values removed")
    if connection is None:
        click.echo("no redis_url configured: Redis was not scrubbed (the embedded Redis is scrubbed while it runs)")


@click.group()
def keys() -> None:
    """Data keys for encryption at rest (see docs/privacy.md)."""


@keys.command()
def generate() -> None:
    """Print a new data key to put first in the variable that encryption.keys_env names."""
    from frontdesk.privacy.crypto import generate_key

    click.echo(generate_key())


@keys.command()
@CONFIG_OPTION
def rotate(config_path) -> None:
    """Re-seal every raw payload and attachment with the first data key (safe to stop and re-run)."""
    from frontdesk.cli import load
    from frontdesk.privacy.rotation import rotate_keys
    from frontdesk.privacy.setup import keyring_for, vault_for

    settings = load(config_path)
    sessions = open_store(settings)
    keyring = keyring_for(settings)
    if keyring is None:
        raise click.ClickException(f"no data key: set {settings.encryption.keys_env}")
    report = rotate_keys(sessions, keyring, vault_for(settings))
    click.echo(f"re-sealed {report.payloads} payloads and {report.attachments} attachments; "
               f"{report.current} already used the current key")
