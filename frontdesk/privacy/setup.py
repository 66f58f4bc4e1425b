"""Applying the record and personal-data settings to a process: data keys on the engine, job record TTLs.

Called wherever a process builds its store engine (server, worker runtime,
CLI commands), after settings load; only a server says that payloads are stored unencrypted.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, event

from config.schema import Settings
from frontdesk.privacy.crypto import Keyring, attach_keyring
from frontdesk.privacy.errors import KeyringError
from frontdesk.privacy.vault import Vault

log = logging.getLogger(__name__)


def keyring_for(settings: Settings) -> Keyring | None:
    """The data keyring from the environment variable the settings name, or None when it is unset.

    Raises KeyringError for a malformed key, or when `encryption.required` is set and no key is given.
    """
    section = settings.encryption
    keyring = Keyring.from_text(section.keys.get_secret_value() if section.keys else None)
    if keyring is None and section.required:
        raise KeyringError(f"encryption.required is set but {section.keys_env} holds no data key")
    return keyring


def apply_record_policy(settings: Settings, engine: Engine, *, stores_payloads: bool = False) -> Keyring | None:
    """Attach the data keys to `engine` and cap RQ job record TTLs by the retention policy.

    `stores_payloads`: this process writes raw payloads and attachments (a server), so it says so when they
    are stored unencrypted; workers and commands, which only read them, keep quiet about it."""
    from frontdesk import queue

    keyring = keyring_for(settings)
    attach_keyring(engine, keyring)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _zero_freed_cells)
    queue.cap_job_record_ttl(int(settings.retention.job_records.total_seconds()))
    if keyring is None and stores_payloads:
        log.warning("raw payloads and attachments are stored unencrypted: set %s (see docs/privacy.md)",
                    settings.encryption.keys_env)
    return keyring


def _zero_freed_cells(connection, _record) -> None:
    # FAST: freed cells inside b-tree pages are zeroed at no extra I/O, so updated rows leave no old copy.
    connection.cursor().execute("PRAGMA secure_delete=FAST").close()


def vault_for(settings: Settings) -> Vault:
    """The attachment vault in the data directory, sealed with the data keys."""
    return Vault(settings.data_dir, keyring_for(settings))
