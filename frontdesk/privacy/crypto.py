"""Encryption at rest for raw payloads and attachments: AES-256-GCM from `cryptography`.

A sealed value is `FDX1:<key id>:` followed by a random 96-bit nonce and the
GCM ciphertext with its tag; the header is authenticated too. The key id
(first 8 hex digits of the key's SHA-256) picks the key directly, and lets
rotation skip what the current key already sealed. Keys come from the
environment variable named in `encryption.keys_env`: comma-separated keys of
32 random bytes in URL-safe base64 (`frontdesk keys generate`); the first one
seals, all of them open. (AES-GCM rather than Fernet: the intake seals in its
group-commit flush, and GCM costs about a fifteenth of Fernet per payload.)

The store's `SealedBytes` column type seals on write and opens on read with
the keyring attached to the engine (`attach_keyring`), so every reader of
`raw_payloads.body` gets plaintext and the intake seals in its flush thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from frontdesk.privacy.errors import KeyringError

MAGIC = b"FDX1:"
# A plain value that happens to start like a sealed or escaped one is stored behind this prefix.
ESCAPE = b"FDX0:"
_ENGINE_ATTRIBUTE = "frontdesk_keyring"


NONCE_BYTES = 12


def key_id(key: bytes) -> bytes:
    """The 8-hex-digit id of a data key."""
    return hashlib.sha256(key).hexdigest()[:8].encode()


def hashed_address(address: str) -> str:
    """How an erased person's opt-out address is kept: `sha256:` and the digest, still matchable, not readable."""
    return "sha256:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def generate_key() -> str:
    """A new random data key (32 bytes, URL-safe base64), as text."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class Keyring:
    """The data keys: the first seals, every one opens."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise KeyringError("no data key given")
        self._ciphers: dict[bytes, AESGCM] = {}
        order: list[bytes] = []
        for number, key in enumerate(keys, 1):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise KeyringError(f"data key #{number} is not a key of 32 bytes in url-safe base64") from None
            kid = key_id(key.strip().encode())
            self._ciphers[kid] = AESGCM(raw)
            order.append(kid)
        self.current = order[0]

    @classmethod
    def from_text(cls, text: str | None) -> "Keyring | None":
        """A keyring from `key1,key2,…`, or None for empty text."""
        keys = [part for part in (text or "").replace("\n", ",").split(",") if part.strip()]
        return cls(keys) if keys else None

    def seal(self, plain: bytes) -> bytes:
        """Encrypt and authenticate with the current key."""
        header = MAGIC + self.current + b":"
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self._ciphers[self.current].encrypt(nonce, plain, header)

    def open(self, sealed: bytes) -> bytes:
        """Decrypt a sealed value; plain values (stored before encryption was on) pass through."""
        if not is_sealed(sealed):
            return unescape_plain(sealed)
        kid, _, body = sealed[len(MAGIC):].partition(b":")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise KeyringError(f"no data key with id {kid.decode(errors='replace')} is configured")
        try:
            return cipher.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], MAGIC + kid + b":")
        except (InvalidTag, ValueError):
            raise KeyringError(f"a value sealed with key {kid.decode()} fails authentication") from None

    def needs_rotation(self, value: bytes) -> bool:
        """Whether the value is plain or sealed with a key other than the current one."""
        return not value.startswith(MAGIC + self.current + b":")

    def rotate(self, value: bytes) -> "Sealed":
        """The value sealed with the current key (plain values get sealed)."""
        return Sealed(self.seal(self.open(value)))


def is_sealed(value: bytes) -> bool:
    """Whether the bytes are a sealed value."""
    return value[: len(MAGIC)] == MAGIC


class Sealed(bytes):
    """Bytes that are already sealed (key rotation writes these as they are)."""


def escape_plain(value: bytes) -> bytes:
    """A plain value, prefixed when it would otherwise read as sealed or escaped."""
    return ESCAPE + value if value[: len(MAGIC)] in (MAGIC, ESCAPE) else value


def unescape_plain(value: bytes) -> bytes:
    """The plain value behind `escape_plain`."""
    return value[len(ESCAPE):] if value[: len(ESCAPE)] == ESCAPE else value


def attach_keyring(engine: Engine, keyring: Keyring | None) -> None:
    """Make `SealedBytes` columns on this engine seal with `keyring` (None: store plain)."""
    setattr(engine.dialect, _ENGINE_ATTRIBUTE, keyring)


def engine_keyring(engine: Engine) -> Keyring | None:
    """The keyring attached to the engine, if any."""
    return getattr(engine.dialect, _ENGINE_ATTRIBUTE, None)


class SealedBytes(TypeDecorator):
    """Bytes sealed at rest with the engine's keyring; plaintext in Python."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, Sealed):
            return value
        keyring = getattr(dialect, _ENGINE_ATTRIBUTE, None)
        return escape_plain(bytes(value)) if keyring is None else keyring.seal(bytes(value))

    def process_result_value(self, value, dialect):
        if value is None or not is_sealed(value):
            return None if value is None else unescape_plain(bytes(value))
        keyring = getattr(dialect, _ENGINE_ATTRIBUTE, None)
        if keyring is None:
            raise KeyringError("a sealed value was read but no data key is configured (encryption.keys_env)")
        return keyring.open(bytes(value))
