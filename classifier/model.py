"""The shipped linear model: one logistic head per judgement over a shared vocabulary and a sentence embedding.

The artefact is a single `.npz` of plain arrays (vocabulary as unicode, weights
as float16, the embedding block's weights, bias and Platt calibration as
float32, metadata as a JSON string) read with `allow_pickle=False`;
`python -m classifier.train` writes it. The embedding's own table is not in it:
it comes from the `wordllama` wheel (see `classifier.embedding`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from classifier.embedding import embedder
from classifier.errors import ArtefactError
from classifier.features import DENSE_LABELS, STOPWORDS, Extracted, bigram, dense_cues, token_features, words_of
from classifier.lexicon import polarity
from classifier.text import Prepared

ARTEFACT = Path(__file__).with_name("data") / "model.npz"
FORMAT = 2
TOKEN_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Vector:
    """One message's features as model columns, with the word behind each column, and its embedding (if any)."""

    indices: np.ndarray
    values: np.ndarray
    words: tuple[str, ...]
    embedded: np.ndarray | None = None


def vectorise(columns: dict[str, int], extracted: Extracted) -> Vector:
    """Map feature names to columns: each sparse feature counts once, all share unit L2 mass; dense cues keep their value."""
    found: dict[int, str] = {}
    for name, word in zip(extracted.names, extracted.words):
        column = columns.get(name)
        if column is not None and column not in found:
            found[column] = word
    return _vector(columns, found, extracted.dense)


def _vector(columns: dict[str, int], found: dict[int, str], dense: dict[str, float]) -> Vector:
    indices = list(found)
    words = list(found.values())
    values = [1.0 / np.sqrt(len(indices))] * len(indices) if indices else []
    for name, value in dense.items():
        column = columns.get(name)
        if column is not None:
            indices.append(column)
            values.append(value)
            words.append(name)
    return Vector(np.array(indices, dtype=np.int64), np.array(values, dtype=np.float32), tuple(words))


class LinearModel:
    """Calibrated logistic heads; `heads` names the columns of every score array."""

    def __init__(self, vocabulary: list[str], weights: np.ndarray, bias: np.ndarray,
                 platt: np.ndarray, heads: list[str], meta: dict, embedding: np.ndarray | None = None) -> None:
        embedding = np.zeros((0, len(heads))) if embedding is None else embedding
        if weights.shape != (len(vocabulary), len(heads)) or platt.shape != (len(heads), 2) \
                or embedding.shape[1:] != (len(heads),):
            raise ArtefactError(f"artefact arrays disagree: weights {weights.shape}, embedding {embedding.shape}, "
                                f"{len(vocabulary)} features, {len(heads)} heads")
        self.vocabulary = vocabulary
        self.columns = {name: index for index, name in enumerate(vocabulary)}
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.platt = platt.astype(np.float32)
        self.heads = heads
        self.meta = meta
        self.embedding = embedding.astype(np.float32)
        self.embedding_dims = embedding.shape[0]
        self._token_columns: dict[tuple[str, bool], tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> "LinearModel":
        """Read an artefact written by `save`; raise ArtefactError if it is missing or malformed."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                meta = json.loads(str(arrays["meta"]))
                if meta.get("format") != FORMAT:
                    raise ArtefactError(f"{path}: artefact format {meta.get('format')!r}, expected {FORMAT}")
                return cls([str(name) for name in arrays["vocabulary"]], arrays["weights"],
                           arrays["bias"], arrays["platt"], [str(head) for head in arrays["heads"]], meta,
                           arrays["embedding"])
        except (OSError, KeyError, ValueError) as error:
            raise ArtefactError(f"cannot load classifier artefact {path}: {error}") from error

    def save(self, path: Path) -> None:
        """Write the artefact as plain compressed arrays (no pickle)."""
        np.savez_compressed(
            path,
            vocabulary=np.array(self.vocabulary, dtype=str),
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            platt=self.platt,
            embedding=self.embedding,
            heads=np.array(self.heads, dtype=str),
            meta=np.array(json.dumps({**self.meta, "format": FORMAT}, sort_keys=True)),
        )

    def vectorise(self, extracted: Extracted) -> Vector:
        """This model's columns for `extracted` (see `vectorise`)."""
        return vectorise(self.columns, extracted)

    def vector_for(self, prepared: Prepared) -> tuple[Vector, float, float]:
        """The same vector as `vectorise(extract(prepared))`, faster: per-word columns are cached.

        Returns the vector and the positive and negative polarity sums.
        """
        columns, cache = self.columns, self._token_columns
        found: dict[int, str] = {}
        for token, shown, negated, previous in words_of(prepared):
            own = cache.get((token, negated))
            if own is None:
                own = tuple(column for name in token_features(token, negated)
                            if (column := columns.get(name)) is not None)
                if len(cache) < TOKEN_CACHE_LIMIT:
                    cache[(token, negated)] = own
            for column in own:
                found.setdefault(column, shown)
            if previous is not None and (column := columns.get(bigram(previous, token, negated))) is not None:
                found.setdefault(column, f"{previous[1]} {shown}")
        positive, negative = polarity(prepared.tokens, prepared.negated)
        return _vector(columns, found, dense_cues(prepared, positive, negative)), positive, negative

    def vectors_for(self, prepared: list[Prepared]) -> list[tuple[Vector, float, float]]:
        """`vector_for` of each message, with the embeddings of the whole batch computed in one call."""
        vectored = [self.vector_for(item) for item in prepared]
        if not self.embedding_dims or not prepared:
            return vectored
        rows = embedder(self.embedding_dims).embed_prepared(prepared)
        return [(replace(vector, embedded=row), positive, negative)
                for (vector, positive, negative), row in zip(vectored, rows)]

    def probabilities(self, vectors: list[Vector]) -> np.ndarray:
        """Calibrated probabilities, one row per vector, one column per head."""
        logits = self.logits(vectors)
        return 0.5 * (1.0 + np.tanh(0.5 * (logits * self.platt[:, 0] + self.platt[:, 1])))

    def logits(self, vectors: list[Vector]) -> np.ndarray:
        """Raw linear scores, one row per vector (the embedding block counts where vectors carry one)."""
        if self.embedding_dims and vectors and all(vector.embedded is not None for vector in vectors):
            # einsum stays on one thread; a BLAS matmul per batch wakes OpenBLAS's spinning threads.
            dense = np.einsum("ij,jk->ik", np.stack([vector.embedded for vector in vectors]), self.embedding)
        else:
            dense = 0.0
        if len(vectors) == 1:
            vector = vectors[0]
            return (self.bias + np.einsum("i,ij->j", vector.values, self.weights[vector.indices]))[None, :] + dense
        out = np.tile(self.bias, (len(vectors), 1))
        lengths = np.array([len(vector.indices) for vector in vectors])
        filled = np.flatnonzero(lengths)
        if len(filled):
            indices = np.concatenate([vectors[row].indices for row in filled])
            values = np.concatenate([vectors[row].values for row in filled])
            contributions = self.weights[indices] * values[:, None]
            starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
            out[filled] += np.add.reduceat(contributions, starts, axis=0)
        return out + dense

    def tone(self, vector: Vector, head: str, direction: float = 1.0) -> float:
        """How much the embedding block pushed `head` up (down, with direction -1); 0 without one."""
        if vector.embedded is None or not self.embedding_dims:
            return 0.0
        return float(np.einsum("i,i->", vector.embedded, self.embedding[:, self.heads.index(head)])) * direction

    def top_words(self, vector: Vector, head: str, limit: int = 3, direction: float = 1.0) -> list[tuple[str, float]]:
        """The words (or cues) that pushed `head` up most (down, with direction -1), with their contribution."""
        column = self.heads.index(head)
        contributions = self.weights[vector.indices, column] * vector.values * direction
        strongest = np.argsort(-contributions)[: limit * 4]
        totals: dict[str, float] = {}
        for position, contribution in zip(strongest.tolist(), contributions[strongest].tolist()):
            if contribution <= 0:
                break
            key = shown_word(vector.words[position])
            if key is not None:
                totals[key] = totals.get(key, 0.0) + contribution
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]


@lru_cache(maxsize=65_536)
def shown_word(word: str) -> str | None:
    """How a feature's word is shown in a reason (a dense cue by its label, a word in lower case), or None for
    one made only of stopwords, which explains nothing."""
    key = DENSE_LABELS.get(word, word) if word.startswith("d:") else word.lower()
    if all(part in STOPWORDS for part in key.replace("'", "").replace("’", "").split()):
        return None
    return key


@lru_cache(maxsize=1)
def shipped() -> LinearModel:
    """The model committed with the package, loaded once per process."""
    return LinearModel.load()
