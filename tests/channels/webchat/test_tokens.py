"""channels/webchat/tokens.py: unguessable, verifiable, never granted by anything a visitor types."""

from __future__ import annotations

import os
import stat

import pytest

from channels.webchat.tokens import KEY_FILE, TokenSigner, load_or_create_key

KEY = b"k" * 32


def test_issued_token_verifies_to_its_conversation():
    conversation = TokenSigner(KEY).issue()
    assert TokenSigner(KEY).verify(conversation.token) == conversation
    assert len(conversation.id) == 22  # 16 random bytes, base64url


def test_ids_are_128_bits_and_distinct():
    signer = TokenSigner(KEY)
    ids = {signer.issue().id for _ in range(2000)}
    assert len(ids) == 2000


@pytest.mark.parametrize("forged", [
    None, 42, "", ".", "dana@example.org", "a" * 22, "a" * 22 + ".", "a" * 22 + "." + "A" * 43, "x" * 500,
])
def test_anything_else_is_refused(forged):
    assert TokenSigner(KEY).verify(forged) is None


def test_token_of_another_key_or_another_id_is_refused():
    token = TokenSigner(KEY).issue().token
    assert TokenSigner(b"z" * 32).verify(token) is None
    conversation_id, signature = token.split(".")
    other = TokenSigner(KEY).issue().id
    assert TokenSigner(KEY).verify(f"{other}.{signature}") is None
    assert TokenSigner(KEY).verify(f"{conversation_id}.{signature[:-1]}") is None


def test_short_key_is_refused():
    with pytest.raises(ValueError):
        TokenSigner(b"short")


def test_key_is_created_once_private_and_reused(tmp_path):
    first = load_or_create_key(tmp_path, None)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    assert load_or_create_key(tmp_path, None) == first
    assert [path.name for path in tmp_path.iterdir()] == [KEY_FILE]


def test_configured_secret_wins(tmp_path):
    assert load_or_create_key(tmp_path, "s" * 40) == b"s" * 40
    assert not (tmp_path / KEY_FILE).exists()


def test_truncated_key_file_is_an_error(tmp_path):
    (tmp_path / KEY_FILE).write_bytes(b"abc")
    with pytest.raises(ValueError, match="shorter than 32"):
        load_or_create_key(tmp_path, None)
