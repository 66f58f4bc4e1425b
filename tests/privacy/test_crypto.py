"""Encryption at rest: the keyring, sealed raw payloads in the store, attachments on disk, and key rotation."""

from __future__ import annotations

import pytest
from sqlalchemy import LargeBinary, select, type_coerce

from frontdesk.privacy.crypto import ESCAPE, MAGIC, Keyring, generate_key
from frontdesk.privacy.errors import KeyringError
from frontdesk.privacy.rotation import rotate_keys
from frontdesk.privacy.setup import apply_record_policy
from frontdesk.privacy.vault import Vault
from frontdesk.store.db import make_engine, make_sessions, migrate
from frontdesk.store.tables import RawPayload
from tests.harness import base_settings

OLD, NEW = generate_key(), generate_key()
SECRET = b'{"text": "my card 4929 1234 5678 9012 was charged twice", "sender": {"handle": "canary-ann"}}'


def test_keyring_seals_opens_and_names_its_key():
    keyring = Keyring([NEW, OLD])
    sealed = keyring.seal(b"hello")
    assert sealed.startswith(MAGIC) and b"hello" not in sealed
    assert keyring.open(sealed) == b"hello" and not keyring.needs_rotation(sealed)
    old_sealed = Keyring([OLD]).seal(b"older")
    assert keyring.open(old_sealed) == b"older" and keyring.needs_rotation(old_sealed)
    with pytest.raises(KeyringError, match="no data key with id"):
        Keyring([generate_key()]).open(sealed)
    tampered = sealed[:-3] + (b"AAA" if sealed[-3:] != b"AAA" else b"BBB")
    with pytest.raises(KeyringError, match="fails authentication"):
        keyring.open(tampered)


@pytest.mark.parametrize("bad", ["", "not-a-key", "abc,def"])
def test_malformed_keys_are_refused_without_showing_them(bad):
    if not bad:
        assert Keyring.from_text(bad) is None
        return
    with pytest.raises(KeyringError) as error:
        Keyring.from_text(bad)
    assert bad.split(",")[0] not in str(error.value)


def store(tmp_path, database_url, redis_url, keys: str | None):
    environ = {"FRONTDESK_DATA_KEYS": keys} if keys else {}
    settings = base_settings(tmp_path, redis_url, database_url, environ=environ)
    engine = make_engine(database_url)
    apply_record_policy(settings, engine)
    migrate(engine)
    return make_sessions(engine), engine


def add_payload(sessions, payload_id: str, body: bytes) -> None:
    from frontdesk.models import utcnow

    with sessions.begin() as session:
        session.add(RawPayload(id=payload_id, idempotency_key=f"api:{payload_id}", channel="api", received_at=utcnow(),
                               content_type="application/json", body=body, meta={}))


def stored_bytes(sessions, payload_id: str) -> bytes:
    with sessions() as session:
        return bytes(session.scalar(select(type_coerce(RawPayload.body, LargeBinary)).where(RawPayload.id == payload_id)))


def read_body(sessions, payload_id: str) -> bytes:
    with sessions() as session:
        return session.get(RawPayload, payload_id).body


def test_raw_payloads_are_sealed_in_the_store_and_rotated(tmp_path, database_url, redis_url):
    plain_sessions, _ = store(tmp_path, database_url, redis_url, None)
    add_payload(plain_sessions, "before", SECRET)
    add_payload(plain_sessions, "lookalike", MAGIC + b"not really sealed")
    assert stored_bytes(plain_sessions, "lookalike").startswith(ESCAPE)
    assert read_body(plain_sessions, "lookalike") == MAGIC + b"not really sealed"

    sessions, _ = store(tmp_path, database_url, redis_url, OLD)
    add_payload(sessions, "sealed", SECRET)
    assert b"canary-ann" not in stored_bytes(sessions, "sealed")
    assert read_body(sessions, "sealed") == SECRET and read_body(sessions, "before") == SECRET

    vault = Vault(tmp_path / "var", Keyring([OLD]))
    vault.put("email", "a" * 64, b"attachment canary-ann")
    assert b"canary-ann" not in (tmp_path / "var" / "attachments" / "email" / ("a" * 64)).read_bytes()

    rotated, _ = store(tmp_path, database_url, redis_url, f"{NEW},{OLD}")
    keyring = Keyring([NEW, OLD])
    first = rotate_keys(rotated, keyring, Vault(tmp_path / "var", keyring))
    assert (first.payloads, first.attachments) == (3, 1)
    again = rotate_keys(rotated, keyring, Vault(tmp_path / "var", keyring))
    assert (again.payloads, again.attachments, again.current) == (0, 0, 4)

    only_new, _ = store(tmp_path, database_url, redis_url, NEW)
    assert read_body(only_new, "before") == SECRET and read_body(only_new, "sealed") == SECRET
    assert read_body(only_new, "lookalike") == MAGIC + b"not really sealed"
    assert Vault(tmp_path / "var", Keyring([NEW])).get("email", "a" * 64) == b"attachment canary-ann"


def test_a_sealed_payload_without_the_key_is_an_error_not_garbage(tmp_path, database_url, redis_url):
    sessions, _ = store(tmp_path, database_url, redis_url, OLD)
    add_payload(sessions, "sealed", SECRET)
    keyless, _ = store(tmp_path, database_url, redis_url, None)
    with pytest.raises(KeyringError, match="no data key is configured"):
        read_body(keyless, "sealed")
