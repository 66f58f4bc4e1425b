"""channels/email/attachments.store_attachments: bytes land sealed in the vault, once per content."""

from __future__ import annotations

import email
import hashlib
from email import policy
from pathlib import Path

from channels.email.attachments import attachment_parts, store_attachments
from frontdesk.privacy.crypto import Keyring, generate_key
from frontdesk.privacy.vault import Vault

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "email" / "message__attachment_russian_yahoo.eml"


def test_attachments_are_stored_sealed_and_read_back(tmp_path):
    message = email.message_from_bytes(FIXTURE.read_bytes(), policy=policy.default)
    parts = list(attachment_parts(message))
    assert parts
    vault = Vault(tmp_path, Keyring([generate_key()]))
    paths = store_attachments(message, vault)
    assert paths == store_attachments(message, vault)  # content-addressed: stored once
    for (attachment, payload), path in zip(parts, paths):
        assert path == tmp_path / "attachments" / "email" / attachment.sha256
        assert payload not in path.read_bytes() and path.stat().st_mode & 0o777 == 0o600
        assert vault.get("email", attachment.sha256) == payload
        assert hashlib.sha256(payload).hexdigest() == attachment.sha256
