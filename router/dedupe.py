"""One complaint across channels: the same person by verified email, or the same words within the window.

A message that opened nothing by its own channel's threads is linked to an
open case when its sender's verified email is that case's contact's verified
email, or when its text is a near-duplicate (MinHash over word 3-shingles,
banded into thread keys) of a message in a case active within the window.
A near-duplicate of a short text, or a weaker match, is only suggested: two
customers can write the same few words about the same outage.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import lru_cache

import numpy as np

from frontdesk.models import Message, ThreadMatch
from router.threads import CaseLookup

SHINGLE = 3
BANDS = 16
ROWS = 2
MIN_WORDS = 8
LONG_WORDS = 15
MERGE_SHARE = 0.75
SUGGEST_SHARE = 0.25
DUPLICATE_KEY = "minhash:"
_PRIME = (1 << 61) - 1
_WORD = re.compile(r"\w+")
_SEEDS = np.random.default_rng(20261123).integers(1, _PRIME, size=(2, BANDS * ROWS), dtype=np.int64)


@lru_cache(maxsize=1024)  # a batch asks for a text's keys when it prefetches and again when it routes
def minhash_keys(text: str) -> tuple[str, ...]:
    """The banded MinHash keys of a text of at least MIN_WORDS words (none for shorter texts)."""
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return ()
    shingles = {" ".join(words[start:start + SHINGLE]) for start in range(len(words) - SHINGLE + 1)}
    hashes = np.array([int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=7).digest(), "little")
                       for shingle in shingles], dtype=np.int64)
    # Both factors are reduced below 2**31 first, so the universal hash never overflows int64.
    mixed = (hashes[None, :] % 2_147_483_647 * (_SEEDS[0][:, None] % 2_147_483_647) + _SEEDS[1][:, None]) % _PRIME
    signature = mixed.min(axis=1).reshape(BANDS, ROWS)
    return tuple(f"{DUPLICATE_KEY}{band}:" + hashlib.blake2b(row.tobytes(), digest_size=8).hexdigest()
                 for band, row in enumerate(signature))


def resolve_link(message: Message, lookup: CaseLookup, window: timedelta) -> ThreadMatch | None:
    """A case on any channel this message belongs to (or may belong to), or None."""
    since = message.sent_at - window
    if message.sender.email and message.sender.email_verified:
        case_id = lookup.open_case_for_email(message.sender.email.casefold(), since)
        if case_id is not None:
            return ThreadMatch(case_id=case_id, how="linked", confidence=0.95,
                               evidence=f"same verified email as this case's contact ({message.sender.email})")
    keys = minhash_keys(message.text)
    if not keys:
        return None
    counts = lookup.cases_for_keys(keys, since)
    if not counts:
        return None
    case_id, matched = max(counts.items(), key=lambda item: (item[1], -item[0]))
    share = matched / BANDS
    evidence = f"near-duplicate text: {matched} of {BANDS} MinHash bands match a message of case {case_id}"
    if share >= MERGE_SHARE and len(_WORD.findall(message.text)) >= LONG_WORDS:
        return ThreadMatch(case_id=case_id, how="linked", confidence=round(share, 3), evidence=evidence)
    if share >= SUGGEST_SHARE:
        return ThreadMatch(case_id=None, how="new", confidence=round(share, 3), suggested_case_id=case_id,
                           evidence=evidence + ": suggested, not merged")
    return None
