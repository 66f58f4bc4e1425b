"""Attachment bytes on disk, sealed with the data keys: `<data_dir>/attachments/<channel>/<sha256>`.

Content-addressed, so two messages with the same file share one entry;
erasure removes a file only when no remaining message refers to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from frontdesk.privacy.crypto import Keyring, escape_plain, unescape_plain, is_sealed
from frontdesk.privacy.errors import KeyringError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


class Vault:
    """Reads and writes attachment files, sealing them when a keyring is given."""

    def __init__(self, data_dir: Path, keyring: Keyring | None):
        self.root = Path(data_dir) / "attachments"
        self.keyring = keyring

    def path(self, channel: str, sha256: str) -> Path:
        """Where an attachment lives; ValueError for a channel or digest that is not well formed."""
        if not _SLUG.match(channel) or not _SHA256.match(sha256):
            raise ValueError(f"not an attachment address: {channel!r}/{sha256!r}")
        return self.root / channel / sha256

    def put(self, channel: str, sha256: str, payload: bytes) -> Path:
        """Store the bytes once (atomically, mode 0600); returns the path."""
        path = self.path(channel, sha256)
        if not path.exists():
            self._write(path, self.keyring.seal(payload) if self.keyring else escape_plain(payload))
        return path

    def get(self, channel: str, sha256: str) -> bytes | None:
        """The plaintext bytes, or None when the file is absent."""
        try:
            stored = self.path(channel, sha256).read_bytes()
        except FileNotFoundError:
            return None
        return self._open(stored)

    def delete(self, channel: str, sha256: str) -> bool:
        """Remove the file; True when there was one."""
        try:
            self.path(channel, sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    def files(self) -> Iterator[tuple[str, str]]:
        """(channel, sha256) of every stored attachment."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
                if _SHA256.match(entry.name):
                    yield folder.name, entry.name

    def rotate(self, channel: str, sha256: str) -> bool:
        """Re-seal one file with the current key; True when it was rewritten."""
        if self.keyring is None:
            raise KeyringError("no data key is configured")
        path = self.path(channel, sha256)
        stored = path.read_bytes()
        if not self.keyring.needs_rotation(stored):
            return False
        self._write(path, self.keyring.rotate(stored))
        return True

    def _open(self, stored: bytes) -> bytes:
        if not is_sealed(stored):
            return unescape_plain(stored)
        if self.keyring is None:
            raise KeyringError("an attachment is sealed but no data key is configured")
        return self.keyring.open(stored)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
            handle.write(data)
        temporary.replace(path)
