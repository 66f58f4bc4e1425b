"""Sentence embeddings from WordLlama's static token vectors (`wordllama` on PyPI, MIT).

The wheel ships `weights/l2_supercat_256.safetensors` (Llama-2's 32,000 token
embeddings distilled to 256 dimensions, trained so that the first 64 or 128
stand on their own) and `tokenizers/l2_supercat_tokenizer_config.json`. A
message's embedding is the mean of its tokens' vectors, scaled to unit length.

`WordLlama.load()` looks for the tokenizer in a folder the wheel does not have
and then downloads it from a model hub, and importing `wordllama` configures the
root logger; so this module reads the two bundled files itself and never
imports `wordllama` nor reaches the network. The table is memory-mapped
straight from the safetensors file (an 8-byte header length, a JSON header,
then raw little-endian arrays), so the worker processes of one machine share
its pages instead of each holding a copy.
"""

from __future__ import annotations

import importlib.util
import json
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from classifier.errors import ArtefactError
from classifier.features import SILENT
from classifier.text import Prepared

PACKAGE = "wordllama"
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
MAX_DIMS = 256
# Texts embedded together: bounds the gathered token rows to a few MiB whatever the batch.
CHUNK = 512


def wheel_file(relative: str) -> Path:
    """The path of a file shipped inside the installed wordllama wheel; ArtefactError if it is absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ArtefactError(f"the classifier's embedding needs the {PACKAGE} package (pip install wordllama)")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ArtefactError(f"{path} is missing from the installed {PACKAGE} wheel")
    return path


def embedding_text(prepared: Prepared) -> str:
    """The words a message's embedding is made of: its own text and subject, without @handles and links,
    joined by single spaces (the word-by-word tokenising in `embedder` relies on it)."""
    return " ".join(raw for raw, token in zip(prepared.raw_words, prepared.tokens) if token not in SILENT)


class Embedder:
    """Mean token vectors over the first `dims` dimensions of WordLlama's table, unit length."""

    def __init__(self, table: np.ndarray, dims: int, tokenizer) -> None:
        self.table = table
        self.dims = dims
        self.tokenizer = tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        """One float32 row per text, in order; a text with no tokens gets a row of zeros."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            self._embed_chunk(texts[start:start + CHUNK], out[start:start + CHUNK])
        return out

    def _embed_chunk(self, texts: list[str], out: np.ndarray) -> None:
        # One encoder call per text: encode_batch would start a thread pool in every worker process.
        ids = [self.tokenizer.encode(text, add_special_tokens=False).ids for text in texts]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        filled = np.flatnonzero(lengths)
        if not len(filled):
            return
        flat = np.fromiter((token for row in filled for token in ids[row]), dtype=np.int64,
                           count=int(lengths.sum()))
        rows = self.table[flat, :self.dims].astype(np.float32)
        sums = np.empty((len(filled), self.dims), dtype=np.float32)
        start = 0
        # One reduce per message: np.add.reduceat over the rows costs three times as much.
        for index, end in enumerate(np.cumsum(lengths[filled]).tolist()):
            np.add.reduce(rows[start:end], axis=0, out=sums[index])
            start = end
        out[filled] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)

    def embed_prepared(self, prepared: list[Prepared]) -> np.ndarray:
        """`embed` over the embedding text of each prepared message."""
        return self.embed([embedding_text(item) for item in prepared])


def map_table(path: Path) -> np.ndarray:
    """WordLlama's float16 token table (tokens x MAX_DIMS), memory-mapped read-only from its safetensors file."""
    with path.open("rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        entry = json.loads(handle.read(size))[TENSOR]
    start, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if entry["dtype"] != "F16" or len(shape) != 2 or shape[1] != MAX_DIMS or end - start != 2 * shape[0] * shape[1]:
        raise ArtefactError(f"{path}: unexpected tensor {entry}")
    return np.memmap(path, dtype="<f2", mode="r", offset=8 + size + start, shape=shape)


@lru_cache(maxsize=2)
def embedder(dims: int) -> Embedder:
    """The embedder over the first `dims` dimensions, loaded from the wheel once per process, on first use."""
    if not 0 < dims <= MAX_DIMS:
        raise ArtefactError(f"embedding dims must be within 1..{MAX_DIMS}, not {dims}")
    from tokenizers import Tokenizer, pre_tokenizers

    try:
        table = map_table(wheel_file(WEIGHTS))
        tokenizer = Tokenizer.from_file(str(wheel_file(TOKENIZER)))
        # The bundled config hands BPE the whole text as one word, so BPE's cache (10,000
        # entries) would keep whole messages: tens of MiB per process. Cut at each word's
        # leading "▁" instead; Llama's merges never cross one, so the ids are the same.
        tokenizer.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ArtefactError(f"cannot load the {PACKAGE} embedding: {error}") from error
    return Embedder(table, dims, tokenizer)
