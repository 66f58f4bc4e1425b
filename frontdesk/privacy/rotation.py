"""Key rotation: re-seal every raw payload and attachment with the current data key.

Works in batches, each its own transaction, and skips what the current key
already sealed, so it can be stopped and run again at any point.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import LargeBinary, select, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.privacy.crypto import Keyring
from frontdesk.privacy.vault import Vault
from frontdesk.store.tables import RawPayload

BATCH = 500


@dataclass
class RotationReport:
    """How many values were re-sealed and how many already used the current key."""

    payloads: int = 0
    attachments: int = 0
    current: int = 0


def rotate_keys(session_factory: sessionmaker[Session], keyring: Keyring, vault: Vault) -> RotationReport:
    """Re-seal raw payload bodies (and plain ones left from before encryption) and attachment files."""
    report = RotationReport()
    stored_body = type_coerce(RawPayload.body, LargeBinary)
    last_id = ""
    while True:
        with session_factory.begin() as session:
            rows = session.execute(select(RawPayload.id, stored_body).where(RawPayload.id > last_id)
                                   .order_by(RawPayload.id).limit(BATCH)).all()
            if not rows:
                break
            for payload_id, body in rows:
                body = bytes(body or b"")
                if keyring.needs_rotation(body):
                    session.execute(update(RawPayload).where(RawPayload.id == payload_id)
                                    .values(body=keyring.rotate(body)))
                    report.payloads += 1
                else:
                    report.current += 1
            last_id = rows[-1][0]
    for channel, sha256 in list(vault.files()):
        if vault.rotate(channel, sha256):
            report.attachments += 1
        else:
            report.current += 1
    return report
