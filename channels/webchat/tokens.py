"""Conversation tokens: the only thing that lets a visitor back into a conversation.

A token is `<conversation id>.<signature>`: the conversation id is 128 random
bits (`secrets.token_urlsafe(16)`), the signature HMAC-SHA256 over it with the
channel's key. Nothing about the token is stored; the store knows only the
conversation id, which staff may see and which on its own opens nothing. A
name or email address typed by the visitor never grants access.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from channels.webchat.parse import CONVERSATION_ID

_CONTEXT = b"frontdesk webchat token v1:"
KEY_FILE = "webchat.key"


@dataclass(frozen=True)
class Conversation:
    """A verified conversation: its id, and the token that proves it."""

    id: str
    token: str


class TokenSigner:
    """Issues and verifies conversation tokens with one secret key."""

    def __init__(self, key: bytes):
        if len(key) < 32:
            raise ValueError("the token key must be at least 32 bytes")
        self._key = key

    def _signature(self, conversation_id: str) -> str:
        digest = hmac.new(self._key, _CONTEXT + conversation_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self) -> Conversation:
        """A new conversation with a fresh, unguessable id."""
        conversation_id = secrets.token_urlsafe(16)
        return Conversation(conversation_id, f"{conversation_id}.{self._signature(conversation_id)}")

    def verify(self, token: object) -> Conversation | None:
        """The conversation a token proves, or None for anything else (compared in constant time)."""
        if not isinstance(token, str) or len(token) > 128:
            return None
        conversation_id, _, signature = token.partition(".")
        if not CONVERSATION_ID.match(conversation_id):
            return None
        if not hmac.compare_digest(signature.encode(), self._signature(conversation_id).encode()):
            return None
        return Conversation(conversation_id, token)


def load_or_create_key(data_dir: Path, configured: str | None) -> bytes:
    """The configured secret, or a key kept in `<data_dir>/webchat.key`, created once with mode 0600.

    The key is written to a temporary file and hard-linked into place, so
    processes starting together all end up reading the same complete key.
    """
    if configured:
        return configured.encode()
    path = Path(data_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_urlsafe(48).encode())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds a key shorter than 32 bytes; delete it to make a new one")
    return key
